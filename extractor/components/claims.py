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
from extractor.components.context import context_ents, in_context, source_text
from extractor.components.evidence import EvidenceMixin
from extractor.components.timeframes import ANAPHORS, TimeframeMixin
from extractor.models import Claim, Commitment, Figure, Timeframe

GOVERNMENT_WORDS = {
    "government", "province", "state", "coalition", "cabinet", "administration", "ministry",
    "department", "council", "treasury", "centre", "alliance", "bloc", "union", "commission",
    "bank", "city", "mod", "parliament", "congress", "legislature",
}  # fmt: skip
# Plural spenders: 'urging allies to …', 'rich nations', 'state-run utilities'.
AGENT_NOUNS = {
    "ally", "member", "nation", "country", "state", "donor", "utility", "government",
    "province", "region", "municipality", "council", "partner", "economy", "force",
    "authority", "board", "trust",
}  # fmt: skip
# Nouns whose owner is the spender ('Estonia's military budget').
SPENDING_NOUNS = {
    "budget", "spending", "expenditure", "outlay", "aid", "investment", "contribution",
    "allocation", "funding", "share", "money", "package", "programme", "program",
}  # fmt: skip
# Characters back from 'they' within which the place it stands for is looked for.
THEY_REACH = 450
# ORG-tagged words that are documents or pots, not spenders.
NOT_ACTORS = {"budget", "fund", "plan", "review", "bill", "act", "law"}


class ClaimAssembler(EvidenceMixin, TimeframeMixin, RuleComponent):
    RULE_FILES = ("context", "topics", "actors", "attribution")

    def compile(self) -> None:
        ctx = self.rules.get("context", [])
        self.compile_context(ctx)
        self.topic_terms: list[tuple[list[str], str, float]] = []
        for r in self.rules.get("topics", []):
            for term in r.terms:
                self.topic_terms.append((term.lower().split(), r.topic.value, r.weight))
        # first word -> [(order, words, topic, weight)]; one-word terms also match lemmas
        self.topic_index: dict[str, list[tuple[int, list[str], str, float]]] = {}
        for order, (words, topic, weight) in enumerate(self.topic_terms):
            if words:
                self.topic_index.setdefault(words[0], []).append((order, words, topic, weight))
        attribution = self.rules.get("attribution", [])
        self.report_verbs = {r.literal for r in attribution if r.kind == "speech_verb"}
        # Acts of pledging: a date on them ('pledged last year') is not the money's start.
        self.act_verbs = {r.literal for r in self.rules.get("context", []) if r.kind == "act"}
        # Verbs whose subject proposes and whose object (or 'on' object) would spend.
        self.urging_verbs = {
            "urge", "press", "push", "call", "lobby", "appeal", "want", "demand",
            "propose", "recommend",
        }  # fmt: skip
        self.aliases: dict[str, str] = {}
        self.kinds = {r.canonical: r.kind for r in self.rules.get("actors", [])}
        for r in self.rules.get("actors", []):
            for name in [r.canonical, *r.aliases]:
                self.aliases[name.lower()] = r.canonical

    # -- matching ------------------------------------------------------------------------
    def match(self, doc: Doc) -> list[tuple[Span, dict]]:
        self._sentences = {}  # words of the sentences read, for this Doc only
        figures, anchors = self._candidates(doc)
        # Each figure's own topic, read once: for the article's default, the evidence of
        # spending, and the claim itself.
        own_topic = {f.start: self.topic(doc, f) for f in figures}
        default_topic = self.article_topic(own_topic.values())
        default_actor = self.article_actor(doc)
        text = source_text(doc)
        kept = []
        recent: tuple[int, str] | None = None  # (paragraph start, actor) of the last claim
        decided: dict[int, bool] = {}  # figure start -> is it spending?
        topics: dict[int, str] = {}
        recent_topic: tuple[int, str] | None = None
        for fig in figures:
            unit_kind = "percent" if fig._.figure["unit"] == "percent" else "money"
            # A conversion in brackets ('$1.13bn (£600m)') and a coordinated figure ('by 9.4%
            # and 8.1%') are read as the figure they go with.
            leader = anchors.get(fig.start) or self._coordinated_with(fig, figures)
            if leader is not None and leader.start in decided:
                spending = decided[leader.start]
            else:
                spending = self.is_spending(doc, fig, unit_kind, own_topic[fig.start])
            decided[fig.start] = spending
            if not spending:
                continue
            para = text.rfind("\n", 0, fig.start_char)
            actor = self.actor(doc, fig)
            if actor:
                recent = (para, actor)
            elif recent and recent[0] == para:
                actor = recent[1]  # the paragraph is still about the same spender
            topic = own_topic[fig.start]
            if leader is not None and leader.start in topics:
                topic = topics[leader.start]  # '₹12.2 lakh crore, or 3.1 per cent of GDP'
            elif topic is None and recent_topic and recent_topic[0] == para:
                topic = recent_topic[1]  # 'The fund, worth €500bn': the paragraph's purpose
            topic = topic or default_topic
            topics[fig.start] = topic
            recent_topic = (para, topic)
            info = {
                "base": self.base(doc, fig, unit_kind),
                "topic": topic,
                "actor": actor or default_actor,
            }
            kept.append((fig, info))
        return kept

    def set_annotations(self, doc: Doc, matches: list[tuple[Span, dict]]) -> None:
        dates = list(doc.spans.get("dates", []))
        figures, anchors = self._candidates(doc)
        previous: tuple[Span, dict] | None = None  # the last claim's sentence and timeframe
        for fig, info in matches:
            fig._.claim = info
            tf = self.timeframe(fig, dates, figures, anchors)
            sent = fig.sent
            if (
                not tf["start"]
                and not tf["deadline"]
                and previous is not None
                and previous[0].end == sent.start
                and sent[0].lower_ in ANAPHORS
            ):
                tf = dict(previous[1])  # 'That will bring total spending to $62 billion'
            fig._.timeframe = tf
            previous = (sent, tf)
        doc.spans["claims"] = [fig for fig, _ in matches]

    def _candidates(self, doc: Doc) -> tuple[list[Span], dict[int, Span | None]]:
        """The figures that can be claims (those in the context: figures outside it cannot,
        extractor.components.context), and for each the figure a bracketed conversion of it
        restates (by token start)."""
        figures = [f for f in doc.spans.get("figures", []) if in_context(doc, f.start_char)]
        text = source_text(doc)
        return figures, {f.start: self.conversion_anchor(f, figures, text) for f in figures}

    # -- distractors ---------------------------------------------------------------------
    def topic(self, doc: Doc, fig: Span) -> str | None:
        """The nearest topic word of the figure's sentence (by distance / the rule's weight;
        ties go to the earlier rule, then the earlier word)."""
        sent = fig.sent
        low, _ = self._sentence_words(sent)
        best: tuple[float, int, int, str] | None = None
        for i, word in enumerate(low):
            tok = sent[i]
            lemma = tok.lemma_.lower()
            hits = [
                (order, topic, weight)
                for order, words, topic, weight in self.topic_index.get(word, ())
                if low[i : i + len(words)] == words
            ]
            if lemma and lemma != word:
                hits += [
                    (order, topic, weight)
                    for order, words, topic, weight in self.topic_index.get(lemma, ())
                    if len(words) == 1
                ]
            if not hits:
                continue
            pos = tok.i
            dist = fig.start - pos if pos < fig.start else pos - fig.end + 1
            if tok.ent_type_ in ("ORG", "PERSON", "FAC", "WORK_OF_ART"):
                dist *= 2  # 'Institute for Economic Research' names, not a purpose
            if self._in_source_phrase(tok):
                dist *= 3  # '12bn from its infrastructure fund into climate': the source
            for order, topic, weight in hits:
                key = (dist / weight, order, i, topic)
                if best is None or key[:3] < best[:3]:
                    best = key
        return best[3] if best else None

    @staticmethod
    def _in_source_phrase(tok: Token) -> bool:
        """Is the word inside a 'from …' phrase (where money comes from, not what it is for)?"""
        for _ in range(4):
            if tok.dep_ == "pobj" and tok.head.lower_ == "from":
                return True
            if tok.head.i == tok.i:
                return False
            tok = tok.head
        return False

    @staticmethod
    def article_topic(topics: Iterable[str | None]) -> str:
        """The most common topic of the article's figures ('other' when none has one)."""
        counts = Counter(t for t in topics if t)
        return counts.most_common(1)[0][0] if counts else "other"

    def canonical(self, name: str) -> str:
        """The actor table's name for `name`, else `name` without a leading 'the'."""
        bare = re.sub(r"^the\s+", "", name.strip(), flags=re.I)
        return self.aliases.get(bare.lower(), self.aliases.get(name.lower(), bare))

    def article_actor(self, doc: Doc) -> str | None:
        """The article's main spender: places and known bodies (EU, NATO) weighted by how
        often they are subjects or owners; the article's country gets a head start, and
        places not in the actor table (cities) count half."""
        # Provinces and states are spenders when named as such, but count like any place
        # toward the article's main spender.
        known = {name for name in self.aliases.values() if self.kinds.get(name) != "region"}
        counts: Counter[str] = Counter()
        for ent in context_ents(doc):
            name = self.canonical(ent.text)
            if ent.label_ != "GPE" and name not in known:
                continue
            weight = 3.0 if ent.root.dep_ in ("nsubj", "nsubjpass", "poss") else 1.0
            counts[name] += weight if name in known else weight / 2
        if doc._.locale:
            # The article's country leads; a union or alliance (EU) only a little.
            kind = self.kinds.get(self.canonical(doc._.locale), "country")
            counts[self.canonical(doc._.locale)] += 4 if kind == "country" else 1
        return counts.most_common(1)[0][0] if counts else None

    def actor(self, doc: Doc, fig: Span) -> str | None:
        """Whose money, from the figure's own clause: the owner of the spending noun
        ('Estonia's military budget'), the subject that spends or commits, the one urged
        ('urging allies to agree to spend'), 'X, which spends'. Reporting verbs end the
        search: who says it is not whose money it is."""
        if not doc.has_annotation("DEP"):
            return None
        after = doc[fig.end : min(fig.end + 3, fig.sent.end)]
        if len(after) >= 2 and after[0].lower_ == "in" and after[1].ent_type_ == "GPE":
            return self.canonical(self._ent_text(doc, after[1]))
        tok = fig.root
        for _ in range(10):
            for child in tok.children:
                if child.dep_ == "poss" and (
                    tok.lemma_.lower() in SPENDING_NOUNS or tok.i == fig.root.i
                ):
                    name = self._agent_name(doc, child)
                    if name:
                        return name
            if tok.i != fig.root.i and tok.lemma_.lower() in self.report_verbs:
                # 'expected the Treasury to add £500m': the one expected to spend.
                obj = next((c for c in tok.children if c.dep_ == "dobj"), None)
                if obj is not None and any(c.dep_ == "xcomp" for c in tok.children):
                    return self._agent_name(doc, obj)
                return None
            for child in tok.children:
                if tok.lemma_.lower() in self.urging_verbs:
                    break  # the one urging proposes; the one urged would spend
                if child.dep_ in ("nsubj", "nsubjpass") and not (fig.start <= child.i < fig.end):
                    if child.lower_ in ("which", "that", "who") and tok.dep_ == "relcl":
                        name = self._agent_name(doc, tok.head)
                    elif child.lemma_.lower() in SPENDING_NOUNS:
                        # "Estonia's defence budget will rise to 5.4%"
                        owner = next((c for c in child.children if c.dep_ == "poss"), None)
                        name = self._agent_name(doc, owner) if owner is not None else None
                    else:
                        name = self._agent_name(doc, child)
                    if name:
                        return name
            if tok.lemma_.lower() in self.urging_verbs:
                for child in tok.children:
                    target = child
                    if child.dep_ == "prep" and child.lower_ == "on":
                        target = next((c for c in child.children if c.dep_ == "pobj"), child)
                    if target.dep_ in ("dobj", "pobj"):
                        name = self._agent_name(doc, target)
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
        """A name for a spender: a place, a government body, or a group of them."""
        if tok.ent_type_ == "GPE" or (
            tok.ent_type_ == "ORG" and tok.pos_ == "PROPN" and tok.lower_ not in NOT_ACTORS
        ):
            return self.canonical(self._ent_text(doc, tok))
        if (
            tok.pos_ == "PROPN"
            and not tok.ent_type_
            and (
                tok.lower_ in self.aliases
                or tok.text in {e.text for e in context_ents(doc) if e.label_ == "GPE"}
            )
        ):
            return self.canonical(tok.text)  # a place the tagger missed here but knows elsewhere
        lemma = tok.lemma_.lower()
        if tok.lower_ in GOVERNMENT_WORDS or lemma in GOVERNMENT_WORDS or lemma in AGENT_NOUNS:
            left = tok.left_edge.i
            while left < tok.i and doc[left].dep_ in ("det", "predet", "punct"):
                left += 1
            return self.canonical(doc[left : tok.i + 1].text)
        if tok.lower_ == "they":
            for ent in reversed([e for e in context_ents(doc) if e.end <= tok.i]):
                if tok.idx - ent.end_char > THEY_REACH:
                    break
                if ent.label_ == "GPE":
                    return self.canonical(ent.text)
        return None

    # -- dates ---------------------------------------------------------------------------


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
