"""Commitment: how firm each figure is, from ConText-style cue rules with a scope.

Reads doc.spans["figures"]; writes doc.spans["commitment_cues"] and, on each figure,
Span._.commitment = {"level", "cues"}. Rules: patterns/commitment.jsonl (see rules.CueRule).

Which cue wins. With a dependency parse, the cues whose head governs the figure (lies on the
path from the figure up to the root) are read bottom-up: the nearest sets the level, and a
cue higher up replaces it only when the nearer one is a plain commitment verb ('commit to',
'spend') that is the *content* of the higher one ('refused to commit to', 'pushing for
members to commit to', 'expected to commit to'). A proposal or refusal is not softened by a
hedge above it ('is thought to be pushing for' stays a proposal). Conditions anywhere in the
sentence ('when conditions allow', 'only if') turn a certainty into an ambition. Without a
governing cue, the nearest cue in scope (direction, max_scope, not past a terminator) decides;
without any cue, the verb's tense does (past or present simple: a statement).
"""

from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, Token

from extractor.components import finite_relative_clause
from extractor.components.base import RuleComponent
from extractor.components.context import context_spans_of
from extractor.rules import CueRule, Direction

DEFAULT_SCOPE = 12
# Token attributes only a trained pipeline sets.
MODEL_ATTRS = {"POS", "TAG", "LEMMA", "DEP", "MORPH", "ENT_TYPE"}
# Levels a cue further up the tree may override (see module docstring).
OVERRIDABLE = {"certainty"}
# ...and a refusal above a proposal, goal or forecast rejects it ('rejected a proposal to').
REJECTABLE = {"proposal", "ambition", "expectation"}
# Verbs that report a level of spending rather than commit to one ('spends', 'stood at').
STATIVE = {
    "spend", "be", "total", "average", "hover", "stand", "amount", "remain", "cap", "run",
    "account", "cost", "provide", "give", "devote", "receive", "sit", "come",
}  # fmt: skip
# Verbs of change: in the past ('had doubled its aid to') they report a level reached.
CHANGE = {"double", "triple", "increase", "raise", "boost", "lift", "cut", "reduce", "rise", "grow"}


@dataclass(frozen=True)
class Cue:
    start: int  # token offsets
    end: int
    rule: CueRule

    @property
    def level(self) -> str | None:
        return self.rule.level.value if self.rule.level else None


class CommitmentTagger(RuleComponent):
    RULE_FILES = ("commitment",)

    def compile(self) -> None:
        self.by_key: dict[str, CueRule] = {}
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.matcher = Matcher(self.nlp.vocab)
        # Patterns that read no tagger/parser attribute, for pipelines without a model.
        self.surface_matcher = Matcher(self.nlp.vocab)
        for rule in self.rules.get("commitment", []):
            self.by_key[rule.id] = rule
            if rule.pattern:
                self.matcher.add(rule.id, [rule.pattern])
                if not any(MODEL_ATTRS & set(tok) for tok in rule.pattern):
                    self.surface_matcher.add(rule.id, [rule.pattern])
            else:
                self.phrases.add(rule.id, [self.nlp.make_doc(rule.literal)])

    def match(self, doc: Doc) -> list[Cue]:
        matcher = self.matcher if doc.has_annotation("TAG") else self.surface_matcher
        # After the figures component, cues are looked for in the figures' context only.
        parts = context_spans_of(doc) if "figures" in doc.spans else [doc[:]]
        found = []
        for part in parts:
            # The PhraseMatcher gives Doc offsets for a Span, the Matcher offsets in the Span.
            found += self.phrases(part)
            found += [(k, part.start + s, part.start + e) for k, s, e in matcher(part)]
        raw = [Cue(s, e, self.by_key[self.nlp.vocab.strings[k]]) for k, s, e in found]
        pseudo = [c for c in raw if c.rule.direction == Direction.pseudo]
        cues = [
            c
            for c in raw
            if c.rule.direction != Direction.pseudo
            and not any(p.start <= c.start and c.end <= p.end for p in pseudo)
        ]
        # Longest cue wins where cues overlap.
        cues.sort(key=lambda c: (-(c.end - c.start), c.start))
        kept: list[Cue] = []
        for c in cues:
            if all(c.end <= k.start or c.start >= k.end for k in kept):
                kept.append(c)
        return sorted(kept, key=lambda c: c.start)

    def set_annotations(self, doc: Doc, cues: list[Cue]) -> None:
        doc.spans["commitment_cues"] = [
            Span(doc, c.start, c.end, label=c.level or c.rule.direction.value) for c in cues
        ]
        parsed = doc.has_annotation("DEP")
        for fig in doc.spans.get("figures", []):
            sent = fig.sent
            in_sent = [c for c in cues if sent.start <= c.start and c.end <= sent.end]
            level, used = self.decide(doc, fig, in_sent, parsed)
            fig._.commitment = {"level": level, "cues": [doc[c.start : c.end].text for c in used]}

    # -- deciding ---------------------------------------------------------------------
    def decide(self, doc: Doc, fig: Span, cues: list[Cue], parsed: bool) -> tuple[str, list[Cue]]:
        terms = [c for c in cues if c.rule.direction == Direction.terminate]
        real = [c for c in cues if c.level]
        level, used = None, []
        if parsed:
            level, used = self._governing(doc, fig, real)
        if level is None:
            # Inside a relative clause only its own words count ('…, which now stands at 2%').
            relcl = self._relative_clause(fig) if parsed else None
            if relcl is not None:
                real = [c for c in real if relcl[0] <= c.start and c.end <= relcl[1]]
            near = self._nearest(fig, real, terms)
            if near is not None:
                level, used = near.level, [near]
        if level is None:
            level = self._by_tense(fig) if parsed else "certainty"
        # Conditions anywhere in the sentence make a commitment an ambition.
        conditions = [
            c
            for c in real
            if c.rule.priority >= 100
            and c.level == "ambition"
            and (c.rule.direction != Direction.backward or c.start >= fig.end)
        ]
        if level == "certainty" and conditions:
            level, used = "ambition", [*used, conditions[0]]
        return level, used

    def _governing(self, doc: Doc, fig: Span, cues: list[Cue]) -> tuple[str | None, list[Cue]]:
        path: list[Token] = []
        tok: Token = fig.root
        while True:
            path.append(tok)
            # A relative clause is a claim of its own ('Sweden, which spends 3.4%'), unless
            # it gives the cost of what it describes ('the leg, which would cost £40bn', 'a
            # policy the group says would cost £1bn').
            costs = any(t.lemma_ == "cost" for t in path)
            if tok.head.i == tok.i or (finite_relative_clause(tok) and not costs):
                break
            tok = tok.head
        depth = {t.i: n for n, t in enumerate(path)}
        own_clause: set[int] = set()  # '£14.5bn the government has committed'
        for child in fig.root.children:
            if child.dep_ in ("relcl", "acl") and child.i > fig.root.i:
                for t in child.subtree:
                    depth.setdefault(t.i, 0)
                    own_clause.add(t.i)
        for t in path:
            for child in t.children:
                adverbial = child.dep_ in ("advmod", "neg", "npadvmod") or (
                    child.dep_ == "prep" and child.i < t.i  # 'At present Britain spends'
                )
                if adverbial and child.i not in depth:
                    depth[child.i] = depth[t.i]
        on_path = []
        for c in cues:
            if c.rule.priority >= 100:
                continue  # sentence-wide conditions are applied separately
            if c.start not in own_clause:
                if c.rule.direction == Direction.forward and c.start >= fig.start:
                    continue
                if c.rule.direction == Direction.backward and c.end <= fig.start:
                    continue
            hits = [depth[i] for i in range(c.start, c.end) if i in depth]
            if hits and not (c.start <= fig.start < c.end):
                on_path.append((min(hits), c))
        if not on_path:
            return None, []
        on_path.sort(key=lambda x: (x[0], -x[1].rule.priority))
        level, used = on_path[0][1].level, [on_path[0][1]]
        for _, c in on_path[1:]:
            if c.level != level and (
                level in OVERRIDABLE or (c.level == "rejected" and level in REJECTABLE)
            ):
                level, used = c.level, [*used, c]
        return level, used

    @staticmethod
    def _relative_clause(fig: Span) -> tuple[int, int] | None:
        """The token range of the relative clause the figure sits in, if any."""
        tok: Token = fig.root
        while tok.head.i != tok.i:
            if finite_relative_clause(tok):
                return tok.left_edge.i, tok.right_edge.i + 1
            tok = tok.head
        return None

    def _nearest(self, fig: Span, cues: list[Cue], terms: list[Cue]) -> Cue | None:
        best: tuple[int, int, Cue] | None = None
        for c in cues:
            if c.rule.priority >= 100:
                continue
            before = c.end <= fig.start
            after = c.start >= fig.end
            if c.rule.direction == Direction.forward and not before:
                continue
            if c.rule.direction == Direction.backward and not after:
                continue
            dist = fig.start - c.end if before else c.start - fig.end
            if dist < 0 or dist > (c.rule.max_scope or DEFAULT_SCOPE):
                continue
            lo, hi = (c.end, fig.start) if before else (fig.end, c.start)
            if any(lo <= t.start and t.end <= hi for t in terms):
                continue
            key = (dist, -c.rule.priority, c)
            if best is None or key[:2] < best[:2]:
                best = key
        return best[2] if best else None

    def _by_tense(self, fig: Span) -> str:
        """No cue: a figure that names a programme, deal or law ('a ¥43 trillion programme')
        is a commitment; a level that a verb of spending reports in the past or present
        simple ('spent', 'spends', 'stands at', 'had doubled') is a statement."""
        tok: Token = fig.root
        if tok.dep_ in ("compound", "nmod", "amod", "nummod") and tok.head.pos_ in (
            "NOUN",
            "PROPN",
        ):
            return "certainty"
        for _ in range(6):
            if tok.pos_ in ("VERB", "AUX") or tok.head.i == tok.i or finite_relative_clause(tok):
                break
            tok = tok.head
        if tok.pos_ not in ("VERB", "AUX"):
            return "certainty"
        aux = {c.lower_ for c in tok.children if c.dep_ in ("aux", "auxpass")}
        lemma = tok.lemma_.lower()
        if aux & {"will", "would", "'ll", "shall", "'d"} or tok.dep_ == "xcomp":
            return "certainty"
        if lemma not in STATIVE and lemma not in CHANGE:
            return "certainty"
        if tok.tag_ in ("VBD", "VBZ", "VBP") and (lemma in STATIVE or tok.tag_ == "VBD"):
            return "statement"
        if tok.tag_ == "VBG" and aux & {"is", "are", "was", "were", "'s", "'re"}:
            return "statement" if lemma in STATIVE else "certainty"
        if tok.tag_ == "VBN" and aux & {"has", "have", "had"}:
            return "statement"
        if tok.tag_ == "VBN" and aux & {"was", "were"} and lemma in STATIVE:
            return "statement"  # 'was spent on housing refugees last year'
        return "certainty"


@Language.factory(
    "newsclaims_commitment",
    assigns=["doc.spans", "span._.commitment"],
    requires=["doc.sents"],
)
def make_commitment(nlp: Language, name: str) -> CommitmentTagger:
    """Grade how firm each figure is."""
    return CommitmentTagger(nlp, name)
