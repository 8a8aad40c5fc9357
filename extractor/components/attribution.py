"""Attribution: who made each claim — by a speech verb, a quotation (also one that runs over
several paragraphs), 'according to', a lead-in ('He said:') or a trailing '…, officials said',
or as the subject who committed, proposed or refused. Pronouns are resolved to the nearest
compatible named speaker before them; anonymous sources keep the text's words.

Reads doc.spans["figures"]; writes doc.spans["quotes"], doc.spans["speakers"], and on each
figure Span._.speaker (a name or None) and Span._.speaker_cue. Rules:
patterns/attribution.jsonl.

Quotation marks are paired by direction (“ ”), and straight quotes by alternation within a
paragraph; a paragraph that ends inside a quote continues it when the next paragraph opens
with a quote mark (the news convention), and closes it otherwise — unlike textacy, an odd
number of marks never fails the whole document.
"""

import itertools
import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from extractor.components import finite_relative_clause
from extractor.components.base import RuleComponent

OPEN_Q = "“„«"
CLOSE_Q = "”»"
STRAIGHT_Q = '"'
SUBJECTS = ("nsubj", "nsubjpass", "csubj")
# Words that open a clause of its own: a speech verb after them is no trailing attribution.
CLAUSE_OPENERS = {"and", "but", "though", "although", "while", "whereas", "as", "because",
                  "which", "who", "that", "when", "after", "before", "since", "if"}  # fmt: skip
# Titles that name one person ('the Health Secretary').
ROLE_TITLES = {"minister", "secretary", "chancellor", "president", "premier", "governor",
               "mayor", "commissioner", "treasurer", "spokesman", "spokeswoman"}  # fmt: skip
# Nouns for a piece of evidence rather than its author ('an analysis by X').
SOURCE_NOUNS = {"analysis", "report", "study", "estimate", "estimates", "figures", "data",
                "calculations", "survey", "review", "research", "assessment"}  # fmt: skip
# Subject nouns whose 'of'/'at' phrase says who they are ('a group of lawmakers').
GROUP_NOUNS = {"group", "number", "coalition", "panel", "team", "body", "sources", "source"}
PRONOUNS = {
    "he": "PERSON", "she": "PERSON", "him": "PERSON", "her": "PERSON",
    "it": "ORG", "they": "GROUP", "we": "QUOTE", "i": "QUOTE",
}  # fmt: skip
TITLES = re.compile(
    r"^(?:(?:the|former|then|new|acting|shadow|deputy|prime|minister|secretary|president|"
    r"chancellor|premier|treasurer|commissioner|mr|mrs|ms|dr|sir|dame|lord|lady|general|senator|"
    r"governor|mayor)\.?\s+)+",
    re.I,
)


@dataclass(frozen=True)
class Quote:
    start: int  # character offsets
    end: int
    group: int  # segments of one multi-paragraph quotation share a group


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
    @staticmethod
    def quotes(text: str) -> list[Quote]:
        found: list[Quote] = []
        group = 0
        open_at: int | None = None
        paragraphs = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
        for n, (ps, pe) in enumerate(paragraphs):
            i = ps
            if open_at is not None:
                open_at = ps  # a quotation carried over from the previous paragraph
            while i < pe:
                ch = text[i]
                if ch in OPEN_Q and open_at is None:
                    open_at = i
                elif ch in OPEN_Q and open_at is not None and i == ps:
                    pass  # re-opening mark of a continued quotation
                elif (ch in CLOSE_Q or ch == STRAIGHT_Q) and open_at is not None:
                    if not (ch == STRAIGHT_Q and i == ps):
                        found.append(Quote(open_at, i + 1, group))
                        group += 1
                        open_at = None
                elif ch == STRAIGHT_Q and open_at is None:
                    open_at = i
                i += 1
            if open_at is not None:
                nxt = paragraphs[n + 1][0] if n + 1 < len(paragraphs) else None
                found.append(Quote(open_at, pe, group))
                if nxt is None or text[nxt] not in OPEN_Q + STRAIGHT_Q:
                    group += 1
                    open_at = None
        return found

    # -- matching ------------------------------------------------------------------------
    def match(self, doc: Doc) -> tuple[list[Quote], dict[int, Attribution | None]]:
        quotes = self.quotes(doc.text)
        quote_of = {}  # char offset -> quote
        for q in quotes:
            quote_of.update(dict.fromkeys(range(q.start, q.end), q))
        parsed = doc.has_annotation("DEP")
        sent_attr: dict[int, Attribution | None] = {}
        for sent in doc.sents:
            sent_attr[sent.start] = self.sentence_attribution(doc, sent, quote_of, parsed)
        result: dict[int, Attribution | None] = {}
        group_attr: dict[int, Attribution | None] = {}
        for q in quotes:
            if q.group not in group_attr or group_attr[q.group] is None:
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
        full = self.full_names(doc)
        for fig in doc.spans.get("figures", []):
            attr = by_figure.get(fig.start_char)
            fig._.speaker = full.get(attr.name, attr.name) if attr else None
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
                above = next(t for t in path[path.index(tok) :] if self.kind(t) == "refuse")
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
        for below, tok in itertools.pairwise(path[:4]):
            if below.lower_ not in ("for", "of", "to"):
                continue  # 'Trump's call for $1.5 trillion', not every figure near a call
            if tok.pos_ in ("NOUN", "PROPN") and tok.lemma_.lower() in self.nominal:
                owner = next((c for c in tok.children if c.dep_ == "poss"), None)
                if owner is not None and owner.lower_ not in PRONOUNS:
                    span = self.mention(doc, owner)
                    return Attribution(self.clean(span.text), tok.text, span.start, span.end)
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
                full = self.full_name(doc, names[-1])
                return Attribution(self.clean(full.text), v.text, full.start, full.end)
            after = [e for e in doc.ents if e.label_ == "PERSON" and e.start in (v.i + 1, v.i + 2)]
            if after and doc[v.i - 1].text == ",":
                full = self.full_name(doc, after[0])
                return Attribution(self.clean(full.text), v.text, full.start, full.end)
            prev = doc[v.i - 1]
            if prev.lower_ in PRONOUNS and PRONOUNS[prev.lower_] != "QUOTE":
                resolved = self.resolve_pronoun(doc, prev)
                if resolved:
                    return Attribution(resolved[0], v.text, resolved[1], resolved[2])
            subj = next((c for c in v.children if c.dep_ in SUBJECTS), None)
            if subj is not None and subj.i > fig.end:
                span = self.mention(doc, subj)
                return Attribution(self.clean(span.text), v.text, span.start, span.end)
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
                    span = self._noun_run(doc, sent.start + i + n, sent.end)
                    if span is None:
                        continue
                    nxt = doc[span.end] if span.end < sent.end else None
                    if (
                        nxt is not None
                        and nxt.lower_ in ("by", "from", "of")
                        and (span.root.lower_ in SOURCE_NOUNS)
                    ):
                        behind = self._noun_run(doc, span.end + 1, sent.end)
                        if behind is not None:
                            span = behind
                    return Attribution(
                        self.clean(span.text), " ".join(phrase), span.start, span.end
                    )
        for i, tok in enumerate(sent):
            if tok.lower_ == "by" and i + 1 < len(sent):
                span = self._noun_run(doc, tok.i + 1, sent.end)
                if span is not None and span[-1].lower_ in SOURCE_NOUNS:
                    return Attribution(self.clean(span.text), "by", span.start, span.end)
        return None

    def _noun_run(self, doc: Doc, start: int, limit: int) -> Span | None:
        end = start
        while end < limit and (
            doc[end].pos_ in ("PROPN", "NOUN", "ADJ", "DET", "PART", "NUM")
            or doc[end].is_title
            or doc[end].lower_ in ("of", "'s", "and")
        ):
            end += 1
        while end > start and doc[end - 1].lower_ in ("of", "and", "'s"):
            end -= 1
        return doc[start:end] if end > start else None

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
        span = self.mention(doc, subj)
        if committing and not self.is_agent(span, strict=strict):
            return None
        text = self.clean(span.text)
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

    def mention(self, doc: Doc, tok: Token) -> Span:
        """The name or noun phrase of a subject token, without relative clauses. A title
        with a name in apposition ('The Railway Minister, Sunil Bhatt,') gives the name, and
        a bare title takes the name it is given elsewhere ('Defence Minister Anita D.')."""
        appos = next(
            (c for c in tok.children if c.dep_ == "appos" and c.ent_type_ == "PERSON"), None
        )
        if appos is not None:
            tok = appos
        if tok.ent_type_:
            for ent in doc.ents:
                if ent.start <= tok.i < ent.end:
                    if ent.label_ == "PERSON":
                        return self.full_name(doc, ent)
                    break
        left = tok.left_edge.i
        # Keep compounds, adjectives and possessives; drop determiners at the edge.
        while left < tok.i and doc[left].dep_ in ("det", "punct", "cc", "predet"):
            left += 1
        right = tok.i + 1
        if tok.lower_ in GROUP_NOUNS:
            of = next((c for c in tok.rights if c.lower_ in ("of", "at")), None)
            if of is not None:
                right = of.right_edge.i + 1
        span = doc[left:right]
        persons = [e for e in span.ents if e.label_ == "PERSON"]
        if persons:
            return self.full_name(doc, persons[-1])
        return self.titled(doc, span) or span

    def titled(self, doc: Doc, span: Span) -> Span | None:
        """The person a bare title names ('Defence minister' → 'Anita Desrosiers')."""
        words = [t.lower_ for t in span if not t.is_punct]
        if not words or words[-1] not in ROLE_TITLES:
            return None
        n = len(words)
        for ent in doc.ents:
            if ent.label_ != "PERSON" or ent.start < n:
                continue
            before = [t.lower_ for t in doc[ent.start - n : ent.start]]
            qualifier = doc[ent.start - n - 1].lower_ if ent.start > n else ""
            if before == words and qualifier not in ("shadow", "former", "deputy", "junior"):
                return self.full_name(doc, ent)
        return None

    def full_names(self, doc: Doc) -> dict[str, str]:
        """A surname used alone ('Brennan') → the fullest name ending in it in the article
        ('Aoife Brennan'), so one person is one speaker."""
        out: dict[str, str] = {}
        for ent in doc.ents:
            if ent.label_ != "PERSON" or len(ent) < 2:
                continue
            name = self.clean(ent.text)
            last = name.split()[-1] if name else ""
            if last and len(name) > len(out.get(last, "")):
                out[last] = name
        return out

    def full_name(self, doc: Doc, ent: Span) -> Span:
        """A surname alone ('Carney') takes the fullest earlier mention ('Mark Carney')."""
        if len(ent) > 1:
            return ent
        last = ent.text
        for other in doc.ents:
            if other.label_ == "PERSON" and len(other) > 1 and other[-1].text == last:
                return other
        return ent

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
                    span = self.mention(doc, subj)
                    return self.clean(span.text), span.start, span.end
        earlier = [e for e in doc.ents if e.end <= pron.i and pron.i - e.end <= 150]
        if kind == "PERSON":
            want = "f" if pron.lower_ in ("she", "her") else "m"
            genders = self.genders(doc)
            people = [
                e for e in earlier
                if e.label_ == "PERSON" and genders.get(self.full_name(doc, e).text, want) == want
            ]  # fmt: skip
            subjects = [e for e in people if e.root.dep_ in SUBJECTS]
            for group in (subjects[-1:], people[-1:]):
                if group:
                    full = self.full_name(doc, group[0])
                    return self.clean(full.text), full.start, full.end
            return None
        for ent in reversed(earlier):
            if ent.label_ in ("ORG", "GPE", "NORP"):
                return self.clean(ent.text), ent.start, ent.end
        return None

    def genders(self, doc: Doc) -> dict[str, str]:
        """Whom 'he' and 'she' can mean: a person's gender from a title ('Ms Reeves') or
        from the first he/she that follows their first mention before anyone else's."""
        cached = doc.user_data.get("newsclaims_genders")
        if cached is not None:
            return cached
        out: dict[str, str] = {}
        people = [e for e in doc.ents if e.label_ == "PERSON"]
        for n, ent in enumerate(people):
            name = self.full_name(doc, ent).text
            title = doc[ent.start - 1].lower_.rstrip(".") if ent.start else ""
            if title in ("ms", "mrs", "miss", "dame", "lady"):
                out[name] = "f"
                continue
            if title in ("mr", "sir", "lord"):
                out[name] = "m"
                continue
            if name in out:
                continue
            stop = people[n + 1].start if n + 1 < len(people) else len(doc)
            for tok in doc[ent.end : min(stop, ent.end + 60)]:
                if tok.lower_ in ("he", "his", "him"):
                    out[name] = "m"
                    break
                if tok.lower_ in ("she", "her", "hers"):
                    out[name] = "f"
                    break
        doc.user_data["newsclaims_genders"] = out
        return out

    def adjacent_name(self, doc: Doc, verb: Token) -> Attribution | None:
        """No parser: the capitalised words right before (or after) the speech verb."""
        i = verb.i - 1
        while i >= 0 and doc[i].is_title and not doc[i].is_sent_start:
            i -= 1
        if i + 1 < verb.i:
            span = doc[i + 1 : verb.i]
            return Attribution(self.clean(span.text), verb.text, span.start, span.end)
        j = verb.i + 1
        while j < len(doc) and doc[j].is_title:
            j += 1
        if j > verb.i + 1:
            span = doc[verb.i + 1 : j]
            return Attribution(self.clean(span.text), verb.text, span.start, span.end)
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

    @staticmethod
    def clean(text: str) -> str:
        text = re.sub(r"\s+", " ", text).strip(" ,.:;\"'“”‘’")
        text = re.sub(r"['’]s$", "", text)
        stripped = TITLES.sub("", text)
        # Keep a title when nothing else is left ('the spokesman', 'Prime minister').
        return stripped if stripped and stripped[0].isupper() else text


@Language.factory(
    "newsclaims_attribution",
    assigns=["doc.spans", "span._.speaker", "span._.speaker_cue"],
    requires=["doc.sents"],
)
def make_attribution(nlp: Language, name: str) -> AttributionFinder:
    """Find who made each claim."""
    return AttributionFinder(nlp, name)
