"""Attribution: who made each claim — by a speech verb, a quotation (also one that runs over
several paragraphs), 'according to', a lead-in ('He said:') or a trailing '…, officials said',
or as the subject who committed, proposed or refused. Pronouns are resolved to the nearest
compatible named speaker before them; anonymous sources keep the text's words.

Reads doc.spans["figures"]; writes doc.spans["quotes"], doc.spans["speakers"], and on each
figure Span._.speaker (a name or None) and Span._.speaker_cue. Rules:
patterns/attribution.jsonl. Quotations are paired in quotes.py; names, titles and genders are
read in names.py.
"""

from dataclasses import dataclass
from itertools import pairwise

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from extractor.components import finite_relative_clause
from extractor.components.base import RuleComponent
from extractor.components.context import context_ents, in_context, source_text
from extractor.components.names import (
    PRONOUNS,
    SUBJECTS,
    clean,
    full_name,
    full_names,
    genders,
    mention,
    noun_run,
    speaker_name,
)
from extractor.components.quotes import Quote, find_quotes

# Words that open a clause of its own: a speech verb after them is no trailing attribution.
CLAUSE_OPENERS = {"and", "but", "though", "although", "while", "whereas", "as", "because",
                  "which", "who", "that", "when", "after", "before", "since", "if"}  # fmt: skip
# Nouns for a piece of evidence rather than its author ('an analysis by X').
SOURCE_NOUNS = {"analysis", "report", "study", "estimate", "estimates", "figures", "data",
                "calculations", "survey", "review", "research", "assessment"}  # fmt: skip


# Characters back from a pronoun within which its antecedent is looked for (about 150 words;
# the context usually ends sooner).
PRONOUN_REACH = 800


@dataclass(frozen=True)
class Attribution:
    name: str
    cue: str
    start: int  # token offsets of the speaker mention
    end: int


class AttributionFinder(RuleComponent):
    RULE_FILES = ("attribution",)

    def compile(self) -> None:
        rows = self.rules.get("attribution", [])
        self.report = {r.literal.lower() for r in rows if r.kind == "speech_verb"}
        self.commit = {r.literal.lower() for r in rows if r.kind == "commit_verb"}
        self.refuse = {r.literal.lower() for r in rows if r.kind == "refuse_verb"}
        self.nominal = {r.literal.lower() for r in rows if r.kind == "commit_noun"}
        self.speech = self.report | self.commit | self.refuse
        self.according = [r.literal.lower().split() for r in rows if r.kind == "according_to"]
        self.anonymous = {r.literal.lower() for r in rows if r.kind == "anonymous_source"}
        self.not_speaker = {r.literal.lower() for r in rows if r.kind == "not_a_speaker"}

    # -- quotations ----------------------------------------------------------------------
    def match(self, doc: Doc) -> tuple[list[Quote], dict[int, Attribution | None]]:
        # Quotation marks are paired on the article's text; only quotations inside the
        # context of the figures matter (extractor.components.context).
        quotes = [q for q in find_quotes(source_text(doc)) if in_context(doc, q.start, q.end)]
        quote_of = {}  # char offset -> quote
        for q in quotes:
            quote_of.update(dict.fromkeys(range(q.start, q.end), q))
        parsed = doc.has_annotation("DEP")
        sent_attr: dict[int, Attribution | None] = {}
        for sent in doc.sents:
            if in_context(doc, sent.start_char):
                sent_attr[sent.start] = self.sentence_attribution(doc, sent, quote_of, parsed)
        result: dict[int, Attribution | None] = {}
        group_attr: dict[int, Attribution | None] = {}
        figure_groups = {
            quote_of[f._.figure["start"]].group
            for f in doc.spans.get("figures", [])
            if f._.figure["start"] in quote_of
        }
        for q in quotes:
            if q.group in figure_groups and group_attr.get(q.group) is None:
                group_attr[q.group] = self.quote_attribution(doc, q, quotes, sent_attr, quote_of)
        for fig in doc.spans.get("figures", []):
            start_char = fig._.figure["start"]
            q = quote_of.get(start_char)
            attr = None
            if q is not None and (q.end - q.start) > 25:
                attr = group_attr.get(q.group)
            if attr is None:
                attr = self.figure_attribution(doc, fig, quote_of, parsed)
            if attr is None and not parsed:
                attr = sent_attr.get(fig.sent.start)
            result[fig.start_char] = attr
        return quotes, result

    def set_annotations(
        self, doc: Doc, matches: tuple[list[Quote], dict[int, Attribution | None]]
    ) -> None:
        quotes, by_figure = matches
        doc.spans["quotes"] = [
            s
            for q in quotes
            if (s := doc.char_span(q.start, q.end, alignment_mode="expand")) is not None
        ]
        speakers = []
        full = full_names(doc)
        for fig in doc.spans.get("figures", []):
            attr = by_figure.get(fig.start_char)
            fig._.speaker = speaker_name(doc, attr.name, full) if attr else None
            fig._.speaker_cue = attr.cue if attr else None
            if attr:
                speakers.append(Span(doc, attr.start, attr.end, label="SPEAKER"))
        doc.spans["speakers"] = speakers

    # -- speakers ------------------------------------------------------------------------
    def is_speech(self, tok: Token) -> bool:
        return (tok.lemma_ or tok.lower_).lower() in self.speech or tok.lower_ in self.speech

    def sentence_attribution(
        self, doc: Doc, sent: Span, quote_of: dict, parsed: bool
    ) -> Attribution | None:
        """Who the sentence is attributed to, by words outside any quotation."""
        acc = self.according_to(doc, sent)
        if acc:
            return acc
        verbs = [t for t in sent if self.kind(t) == "report" and t.idx not in quote_of]
        if parsed:
            verbs.sort(key=lambda t: (t.dep_ != "ROOT", t.i))
        for verb in verbs:
            attr = self.subject_of(doc, verb, parsed)
            if attr:
                return attr
        return None

    def figure_attribution(
        self, doc: Doc, fig: Span, quote_of: dict, parsed: bool
    ) -> Attribution | None:
        """Who the figure's own clause attributes it to, in order:
        1. the lowest reporting or refusing verb above it ('officials said X ruled out' →
           officials; 'X ruled out the plan, which Y says would cost' → X);
        2. 'according to' (or 'by X estimates') in the sentence;
        3. a reporting verb at the top of the sentence ('…, Haddad told reporters');
        4. the subject of the highest committing verb above it ('pushing for members to
           commit to': the one pushing), then a noun of pledging with its owner ('Trump's
           call for');
        5. a person or body as subject of the main clause ('Chalmers has locked in').
        A relative clause is background ('the NSF, which spent $9.1 billion'): the search
        stops at it, unless a refusal above makes it the cost of what was refused."""
        if not parsed:
            return None
        path = self.path(fig)
        refused_above = any(self.kind(t) == "refuse" for t in path)
        for tok in path:
            if tok.idx in quote_of:
                continue
            kind = self.kind(tok)
            if kind == "report" and not (finite_relative_clause(tok) and refused_above):
                attr = self.subject_of(doc, tok, parsed, exclude=fig)
                if attr:
                    return attr
            if finite_relative_clause(tok):
                if not refused_above:
                    break
                # The cost of what was refused belongs to the one refusing.
                above = next((t for t in path[path.index(tok) :] if self.kind(t) == "refuse"), None)
                if above is None:
                    break  # the refusal is inside the relative clause, not above it
                attr = self.subject_of(doc, above, parsed, committing=True, exclude=fig)
                if attr:
                    return attr
        acc = self.according_to(doc, fig.sent)
        if acc:
            return acc
        for tok in self.top_level(fig.sent):
            if tok.idx not in quote_of and self.kind(tok) == "report":
                attr = self.subject_of(doc, tok, parsed, exclude=fig)
                if attr:
                    return attr
        trailing = self.trailing(doc, fig, quote_of)
        if trailing:
            return trailing
        if any(finite_relative_clause(t) for t in path):
            return None
        for tok in reversed(path):
            if tok.idx not in quote_of and self.kind(tok) in ("commit", "refuse"):
                attr = self.subject_of(doc, tok, parsed, committing=True, exclude=fig)
                if attr:
                    return attr
        for below, tok in pairwise(path[:4]):
            if below.lower_ not in ("for", "of", "to"):
                continue  # 'Trump's call for $1.5 trillion', not every figure near a call
            if tok.pos_ in ("NOUN", "PROPN") and tok.lemma_.lower() in self.nominal:
                owner = next((c for c in tok.children if c.dep_ == "poss"), None)
                if owner is not None and owner.lower_ not in PRONOUNS:
                    span = mention(doc, owner)
                    return Attribution(clean(span.text), tok.text, span.start, span.end)
        return None

    def trailing(self, doc: Doc, fig: Span, quote_of: dict) -> Attribution | None:
        """'…, the Health Secretary, Daniel Okafor, announced on Wednesday' and '…, said
        Mark Rutte', read from the surface where the parser tangles the appositions."""
        sent = fig.sent
        for v in doc[fig.end : sent.end]:
            if v.idx in quote_of or self.kind(v) != "report" or not v.tag_.startswith("VB"):
                continue
            lo = max(fig.end, v.i - 9)
            if not any(t.text == "," for t in doc[lo : v.i]) and not (
                v.i > 0 and doc[v.i - 1].text == ","
            ):
                continue
            last_comma = max(t.i for t in doc[lo : v.i + 1] if t.text == "," or t.i == lo)
            if any(t.lower_ in CLAUSE_OPENERS for t in doc[last_comma : v.i]):
                continue  # 'and the coalition has said …' is another clause, not an attribution
            names = [e for e in doc.ents if e.label_ == "PERSON" and lo <= e.start and e.end <= v.i]
            if names:
                full = full_name(doc, names[-1])
                return Attribution(clean(full.text), v.text, full.start, full.end)
            after = [e for e in doc.ents if e.label_ == "PERSON" and e.start in (v.i + 1, v.i + 2)]
            if after and doc[v.i - 1].text == ",":
                full = full_name(doc, after[0])
                return Attribution(clean(full.text), v.text, full.start, full.end)
            prev = doc[v.i - 1]
            if prev.lower_ in PRONOUNS and PRONOUNS[prev.lower_] != "QUOTE":
                resolved = self.resolve_pronoun(doc, prev)
                if resolved:
                    return Attribution(resolved[0], v.text, resolved[1], resolved[2])
            subj = next((c for c in v.children if c.dep_ in SUBJECTS), None)
            if subj is not None and subj.i > fig.end:
                span = mention(doc, subj)
                return Attribution(clean(span.text), v.text, span.start, span.end)
        return None

    @staticmethod
    def top_level(sent: Span) -> list[Token]:
        """The sentence root and the clauses hanging from it that can carry a trailing
        attribution ('…, Haddad told reporters'); not coordinated clauses ('but Rutte said')."""
        root = sent.root
        return [root] + [c for c in root.children if c.dep_ in ("parataxis", "ccomp", "advcl")]

    def path(self, fig: Span) -> list[Token]:
        """The figure's ancestors, nearest first."""
        out = []
        tok = fig.root
        while tok.head.i != tok.i:
            if tok.dep_ == "conj" and any(c.dep_ in SUBJECTS for c in tok.children):
                break  # a coordinated clause with its own subject is a claim of its own
            tok = tok.head
            out.append(tok)
        return out

    def kind(self, tok: Token) -> str | None:
        if tok.lemma_.lower() == "add" and any(c.dep_ == "dobj" for c in tok.children):
            return None  # 'added $50 billion to the budget' spends; '…, he added' reports
        for form in ((tok.lemma_ or "").lower(), tok.lower_):
            if form in self.report:
                return "report"
            if form in self.refuse:
                return "refuse"
            if form in self.commit:
                return "commit"
        return None

    def according_to(self, doc: Doc, sent: Span) -> Attribution | None:
        """'according to X' (X, or the body behind 'an analysis by X'), and 'by X estimates'."""
        words = [t.lower_ for t in sent]
        for phrase in self.according:
            n = len(phrase)
            for i in range(len(words) - n):
                if words[i : i + n] == phrase:
                    span = noun_run(doc, sent.start + i + n, sent.end)
                    if span is None:
                        continue
                    nxt = doc[span.end] if span.end < sent.end else None
                    if (
                        nxt is not None
                        and nxt.lower_ in ("by", "from", "of")
                        and (span.root.lower_ in SOURCE_NOUNS)
                    ):
                        behind = noun_run(doc, span.end + 1, sent.end)
                        if behind is not None:
                            span = behind
                    return Attribution(clean(span.text), " ".join(phrase), span.start, span.end)
        for i, tok in enumerate(sent):
            if tok.lower_ == "by" and i + 1 < len(sent):
                span = noun_run(doc, tok.i + 1, sent.end)
                if span is not None and span[-1].lower_ in SOURCE_NOUNS:
                    return Attribution(clean(span.text), "by", span.start, span.end)
        return None

    def subject_of(
        self,
        doc: Doc,
        verb: Token,
        parsed: bool,
        committing: bool = False,
        exclude: Span | None = None,
        strict: bool = False,
    ) -> Attribution | None:
        if not parsed:
            return self.adjacent_name(doc, verb)
        subj = next((c for c in verb.children if c.dep_ in SUBJECTS), None)
        if subj is None:
            # 'said X' after a quote: subject can hang as dobj/attr in inverted order
            # ('…, said Mark Rutte'); xcomp/conj verbs share their head's subject.
            if self.kind(verb) == "report":
                subj = next(
                    (c for c in verb.rights
                     if c.dep_ in ("dobj", "attr", "npadvmod") and c.pos_ == "PROPN"),
                    None,
                )  # fmt: skip
            if subj is None and verb.dep_ in ("xcomp", "conj", "advcl") and verb.head.i != verb.i:
                return self.subject_of(doc, verb.head, parsed, committing, exclude, strict)
            if subj is None:
                agent = next((c for c in verb.children if c.dep_ == "agent"), None)
                if agent is not None:
                    subj = next((c for c in agent.children if c.dep_ == "pobj"), None)
        if subj is None:
            return None
        if exclude is not None and exclude.start <= subj.i < exclude.end:
            return None  # the figure itself is the subject ('£650m had been approved')
        if subj.dep_ == "nsubjpass" and self.kind(verb) == "report" and verb.lower_ != "told":
            return None  # 'X is expected to commit': X is expected, not the one expecting
        if subj.is_upper and len(subj) > 3 and subj.ent_type_ != "ORG":
            return None  # a dateline ('LONDON, April 15 (Reuters) - …') parsed as subject
        if subj.lower_ in PRONOUNS:
            resolved = self.resolve_pronoun(doc, subj)
            if resolved is None:
                return None
            name, s, e = resolved
            return Attribution(name, verb.text, s, e)
        span = mention(doc, subj)
        if committing and not self.is_agent(span, strict=strict):
            return None
        text = clean(span.text)
        if not text or text.lower() in self.not_speaker:
            return None
        return Attribution(text, verb.text, span.start, span.end)

    def is_agent(self, span: Span, strict: bool = False) -> bool:
        """Can this subject make a pledge? People, organisations, governments, sources; with
        a verb of pledging also a place or any proper name ('The Netherlands has refused')."""
        if any(t.ent_type_ in ("PERSON", "ORG", "NORP") for t in span):
            return True
        if not strict and (span.root.pos_ == "PROPN" or span.root.ent_type_ == "GPE"):
            return True
        head = span.root.lemma_.lower()
        return head in self.anonymous or span.root.lower_ in self.anonymous

    def resolve_pronoun(self, doc: Doc, pron: Token) -> tuple[str, int, int] | None:
        """A pronoun's speaker: the subject of a reporting verb above it in the same sentence
        ('Executives said they expected…'), else the nearest earlier compatible name, people
        who were subjects first."""
        kind = PRONOUNS[pron.lower_]
        if kind == "QUOTE":
            return None
        tok = pron.head
        while tok.head.i != tok.i:
            tok = tok.head
            if self.kind(tok) == "report":
                subj = next((c for c in tok.children if c.dep_ in SUBJECTS), None)
                if subj is not None and subj.lower_ not in PRONOUNS and subj.i < pron.i:
                    span = mention(doc, subj)
                    return clean(span.text), span.start, span.end
        earlier = [
            e for e in context_ents(doc)
            if e.end <= pron.i and pron.idx - e.end_char <= PRONOUN_REACH
        ]  # fmt: skip
        if kind == "PERSON":
            want = "f" if pron.lower_ in ("she", "her") else "m"
            known = genders(doc)
            people = [
                e for e in earlier
                if e.label_ == "PERSON" and known.get(full_name(doc, e).text, want) == want
            ]  # fmt: skip
            subjects = [e for e in people if e.root.dep_ in SUBJECTS]
            for group in (subjects[-1:], people[-1:]):
                if group:
                    full = full_name(doc, group[0])
                    return clean(full.text), full.start, full.end
            return None
        for ent in reversed(earlier):
            if ent.label_ in ("ORG", "GPE", "NORP"):
                return clean(ent.text), ent.start, ent.end
        return None

    def adjacent_name(self, doc: Doc, verb: Token) -> Attribution | None:
        """No parser: the capitalised words right before (or after) the speech verb."""
        i = verb.i - 1
        while i >= 0 and doc[i].is_title and not doc[i].is_sent_start:
            i -= 1
        if i + 1 < verb.i:
            span = doc[i + 1 : verb.i]
            return Attribution(clean(span.text), verb.text, span.start, span.end)
        j = verb.i + 1
        while j < len(doc) and doc[j].is_title:
            j += 1
        if j > verb.i + 1:
            span = doc[verb.i + 1 : j]
            return Attribution(clean(span.text), verb.text, span.start, span.end)
        return None

    def quote_attribution(
        self,
        doc: Doc,
        q: Quote,
        quotes: list[Quote],
        sent_attr: dict[int, Attribution | None],
        quote_of: dict,
    ) -> Attribution | None:
        """The speaker of a quotation: in the sentences it touches (trailing '…, she said'),
        else a lead-in before it ('He said:'), else the paragraph before a quote block."""
        segs = [s for s in quotes if s.group == q.group]
        first, last = segs[0], segs[-1]
        candidates: list[Span] = []
        for s in (last, first):
            span = doc.char_span(s.start, s.end, alignment_mode="expand")
            if span is None:
                continue
            for tok in (span[-1], span[0]):
                if tok.sent not in candidates:
                    candidates.append(tok.sent)
        for seg in segs:
            span = doc.char_span(seg.start, seg.end, alignment_mode="expand")
            if span is not None:
                for sent in (span[0].sent, span[-1].sent):
                    if sent not in candidates:
                        candidates.append(sent)
        start_tok = doc.char_span(first.start, first.end, alignment_mode="expand")
        if start_tok is not None and start_tok.start > 0:
            prev = doc[start_tok.start - 1].sent
            candidates.append(prev)
        # Sentences touching the quote, then the one before it.
        for sent in candidates:
            attr = sent_attr.get(sent.start)
            if attr is not None:
                return attr
        return None


@Language.factory(
    "newsclaims_attribution",
    assigns=["doc.spans", "span._.speaker", "span._.speaker_cue"],
    requires=["doc.sents"],
)
def make_attribution(nlp: Language, name: str) -> AttributionFinder:
    """Find who made each claim."""
    return AttributionFinder(nlp, name)
