"""Claim assembly: keep the figures that are spending claims and give each its base, topic,
actor and timeframe.

Reads doc.spans["figures"], doc.spans["dates"] and the figure extensions set by the
attribution and commitment components; writes doc.spans["claims"] and Span._.claim /
Span._.timeframe. `doc_claims` (the Doc._.claims getter) turns them into pydantic Claims.
Rules: patterns/context.jsonl (distractors, spending evidence, bases), patterns/topics.jsonl,
patterns/actors.jsonl.

A figure is rejected when a distractor ('inflation', 'poll', 'interest rate', 'cut … by')
is nearer to it in its sentence than any word of spending evidence.
"""

import re
from collections import Counter
from collections.abc import Iterable

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from extractor.components.base import RuleComponent
from extractor.models import Claim, Commitment, Figure, Timeframe

PEOPLE_NORP = ("NORP",)
GOVERNMENT_WORDS = {
    "government", "province", "state", "coalition", "cabinet", "administration", "ministry",
    "department", "council", "treasury", "centre", "alliance", "bloc", "union", "commission",
    "bank", "fund", "city", "mod",
}  # fmt: skip


class ClaimAssembler(RuleComponent):
    RULE_FILES = ("context", "topics", "actors")

    def compile(self) -> None:
        ctx = self.rules.get("context", [])
        self.context_rules = [(r, r.literal.lower().split()) for r in ctx]
        self.topic_terms: list[tuple[list[str], str, float]] = []
        for r in self.rules.get("topics", []):
            for term in r.terms:
                self.topic_terms.append((term.lower().split(), r.topic.value, r.weight))
        self.aliases: dict[str, str] = {}
        for r in self.rules.get("actors", []):
            for name in [r.canonical, *r.aliases]:
                self.aliases[name.lower()] = r.canonical

    # -- matching ------------------------------------------------------------------------
    def match(self, doc: Doc) -> list[tuple[Span, dict]]:
        figures = list(doc.spans.get("figures", []))
        default_topic = self.article_topic(doc, figures)
        default_actor = self.article_actor(doc)
        kept = []
        for fig in figures:
            unit_kind = "percent" if fig._.figure["unit"] == "percent" else "money"
            if not self.is_spending(doc, fig, unit_kind):
                continue
            kept.append(
                (
                    fig,
                    {
                        "base": self.base(doc, fig, unit_kind),
                        "topic": self.topic(doc, fig) or default_topic,
                        "actor": self.actor(doc, fig) or default_actor,
                    },
                )
            )
        return kept

    def set_annotations(self, doc: Doc, matches: list[tuple[Span, dict]]) -> None:
        dates = list(doc.spans.get("dates", []))
        figures = list(doc.spans.get("figures", []))
        for fig, info in matches:
            fig._.claim = info
            fig._.timeframe = self.timeframe(fig, dates, figures)
        doc.spans["claims"] = [fig for fig, _ in matches]

    # -- distractors ---------------------------------------------------------------------
    def _find(self, words: list[str], toks: list[Token]) -> list[int]:
        """Positions (token indices) where `words` occur in toks."""
        low = [t.lower_ for t in toks]
        n = len(words)
        return [toks[i].i for i in range(len(low) - n + 1) if low[i : i + n] == words]

    def _nearest(self, doc: Doc, fig: Span, kind: str, unit_kind: str) -> int | None:
        sent = fig.sent
        best = None
        for rule, words in self.context_rules:
            if rule.kind != kind or rule.applies_to not in (unit_kind, "any"):
                continue
            lo = max(sent.start, fig.start - rule.window)
            hi = min(sent.end, fig.end + rule.window)
            toks = []
            if rule.side in ("before", "both"):
                toks.append(list(doc[lo : fig.start]))
            if rule.side in ("after", "both"):
                toks.append(list(doc[fig.end : hi]))
            for part in toks:
                for i in self._find(words, part):
                    d = fig.start - i - len(words) + 1 if i < fig.start else i - fig.end + 1
                    best = d if best is None else min(best, d)
        return best

    def is_spending(self, doc: Doc, fig: Span, unit_kind: str) -> bool:
        bad = self._nearest(doc, fig, "distractor", unit_kind)
        if bad is None:
            bad = self._people_share(doc, fig, unit_kind)
        if bad is None:
            return True
        good = self._nearest(doc, fig, "spending", unit_kind)
        return good is not None and good < bad

    def _people_share(self, doc: Doc, fig: Span, unit_kind: str) -> int | None:
        """'70 per cent of Canadians': a share of people."""
        if unit_kind != "percent" or fig.end + 1 >= len(doc):
            return None
        nxt = doc[fig.end]
        if nxt.lower_ != "of":
            return None
        for tok in doc[fig.end + 1 : min(fig.end + 4, fig.sent.end)]:
            if tok.ent_type_ in PEOPLE_NORP:
                return 1
        return None

    # -- base, topic, actor --------------------------------------------------------------
    def base(self, doc: Doc, fig: Span, unit_kind: str) -> str | None:
        if unit_kind != "percent":
            return None
        sent = fig.sent
        after = list(doc[fig.end : min(sent.end, fig.end + 8)])
        for rule, words in self.context_rules:
            if rule.kind == "base" and self._find(words, after):
                return rule.base
        return "GDP"

    def topic(self, doc: Doc, fig: Span) -> str | None:
        sent = fig.sent
        best: tuple[float, str] | None = None
        toks = list(sent)
        low = [t.lower_ for t in toks]
        for words, topic, weight in self.topic_terms:
            n = len(words)
            for i in range(len(low) - n + 1):
                if low[i : i + n] == words or (
                    n == 1 and toks[i].lemma_.lower() == words[0] and toks[i].lemma_
                ):
                    pos = toks[i].i
                    dist = fig.start - pos if pos < fig.start else pos - fig.end + 1
                    score = dist / weight
                    if best is None or score < best[0]:
                        best = (score, topic)
        return best[1] if best else None

    def article_topic(self, doc: Doc, figures: Iterable[Span]) -> str:
        counts: Counter[str] = Counter()
        for fig in figures:
            t = self.topic(doc, fig)
            if t:
                counts[t] += 1
        return counts.most_common(1)[0][0] if counts else "other"

    def canonical(self, name: str) -> str:
        key = re.sub(r"^the\s+", "", name.strip(), flags=re.I).lower()
        return self.aliases.get(key, self.aliases.get(name.lower(), name))

    def article_actor(self, doc: Doc) -> str | None:
        counts: Counter[str] = Counter()
        for ent in doc.ents:
            if ent.label_ == "GPE":
                counts[self.canonical(ent.text)] += 1
        if doc._.locale and doc._.locale not in ("European Union",):
            counts[doc._.locale] += 2
        return counts.most_common(1)[0][0] if counts else None

    def actor(self, doc: Doc, fig: Span) -> str | None:
        if not doc.has_annotation("DEP"):
            return None
        # A possessive on the figure's noun phrase or its head: "Estonia's military budget".
        tok = fig.root
        for _ in range(8):
            for child in tok.children:
                if child.dep_ == "poss" and child.ent_type_ in ("GPE", "ORG", "NORP"):
                    return self.canonical(self._ent_text(doc, child))
            for child in tok.children:
                if child.dep_ in ("nsubj", "nsubjpass") and child.i != fig.root.i:
                    name = self._agent_name(doc, child)
                    if name:
                        return name
            if tok.head.i == tok.i:
                break
            tok = tok.head
        return None

    def _ent_text(self, doc: Doc, tok: Token) -> str:
        for ent in doc.ents:
            if ent.start <= tok.i < ent.end:
                return ent.text
        return tok.text

    def _agent_name(self, doc: Doc, tok: Token) -> str | None:
        if tok.ent_type_ in ("GPE",) or (tok.ent_type_ == "ORG" and tok.pos_ == "PROPN"):
            return self.canonical(self._ent_text(doc, tok))
        if tok.lower_ in GOVERNMENT_WORDS or tok.lemma_.lower() in GOVERNMENT_WORDS:
            left = tok.left_edge.i
            while left < tok.i and doc[left].dep_ in ("det",):
                left += 1
            text = doc[left : tok.i + 1].text
            return self.canonical(text)
        if tok.lower_ in ("it", "they"):
            for ent in reversed([e for e in doc.ents if e.end <= tok.i]):
                if ent.label_ in ("GPE",):
                    return self.canonical(ent.text)
                if tok.i - ent.end > 80:
                    break
        return None

    # -- dates ---------------------------------------------------------------------------
    def timeframe(self, fig: Span, dates: list[Span], figures: list[Span]) -> dict:
        """The start and deadline among the figure's sentence's dates that are nearer to
        this figure than to any other figure in the sentence."""
        sent = fig.sent
        mine = [f for f in figures if f.sent == sent]
        out: dict[str, str | None] = {"start": None, "deadline": None}
        best: dict[str, int] = {}
        for d in dates:
            if not (sent.start <= d.start and d.end <= sent.end):
                continue
            info = d._.date
            if info["role"] not in ("start", "deadline") or not info["value"]:
                continue

            def dist(f: Span, d: Span = d) -> int:
                return f.start - d.end if d.end <= f.start else d.start - f.end + 1

            nearest = min(mine, key=lambda f: (dist(f), f.start > d.start))
            if nearest.start != fig.start:
                continue
            k = info["role"]
            if k not in best or dist(fig) < best[k]:
                best[k] = dist(fig)
                out[k] = info["value"]
        return out


def doc_claims(doc: Doc) -> list[Claim]:
    """Doc._.claims: the pydantic Claims of a processed Doc (spans offset into the article)."""
    offset = doc._.offset or 0
    claims = []
    for fig in doc.spans.get("claims", []):
        f, info = fig._.figure, fig._.claim
        if not f or not info:
            continue
        span = (f["start"] + offset, f["end"] + offset)
        figure = Figure(text=f["text"], value=f["value"], unit=f["unit"], base=info["base"])
        commitment = fig._.commitment or {"level": "certainty", "cues": []}
        tf = fig._.timeframe or {}
        claims.append(
            Claim(
                claim_id=Claim.make_id(doc._.article_key or doc._.article_id, span, figure),
                article_id=doc._.article_id,
                sentence=fig.sent.text.strip(),
                span=span,
                figure=figure,
                topic=info["topic"],
                actor=info["actor"],
                speaker=fig._.speaker,
                commitment=Commitment(level=commitment["level"], cues=commitment["cues"]),
                timeframe=Timeframe(start=tf.get("start"), deadline=tf.get("deadline")),
                published=doc._.published,
                published_source=doc._.published_source,
            )
        )
    return claims


@Language.factory(
    "newsclaims_claims",
    assigns=["doc.spans", "span._.claim", "span._.timeframe"],
    requires=["doc.sents"],
)
def make_claims(nlp: Language, name: str) -> ClaimAssembler:
    """Keep spending figures and give them base, topic, actor and timeframe."""
    return ClaimAssembler(nlp, name)
