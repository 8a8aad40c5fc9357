"""spaCy components, one per concern, talking through doc.spans and plain-valued extensions.

    figures ─► dates ─► attribution ─► commitment ─► claims

doc.spans keys: "figures" (every percent/money figure), "dates", "speakers",
"commitment_cues", "claims" (the figures kept as spending claims). Per-figure results are
Span extensions holding plain JSON values (stored in doc.user_data, so DocBin and
n_process>1 need no custom encoders). `Doc._.claims` builds the pydantic Claims.
"""

import re

import numpy
from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

COMPONENTS = (
    "newsclaims_paragraphs",
    "newsclaims_figures",
    "newsclaims_dates",
    "newsclaims_attribution",
    "newsclaims_commitment",
    "newsclaims_claims",
)


def register_extensions() -> None:
    """Declare the extension attributes (idempotent)."""
    doc_ext = {
        "article_id": "article",
        "article_key": None,
        "published": None,  # ISO date string: the base for relative dates
        "published_source": None,
        "offset": 0,  # where this Doc starts in the article text (long articles are chunked)
        "title": None,
        "dollar_code": None,  # what a bare '$' means in this article
        "locale": None,  # the article's country (patterns/locales.jsonl)
        # [[start_char, end_char], ...] the claims' context, when the caller decided it
        # (a region Doc from the prefilter); computed on first use otherwise (context.py)
        "context": None,
        "source_text": None,  # the article's text when Doc.text is a blanked region of it
    }
    for name, default in doc_ext.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)
    span_ext = {
        "figure": None,  # {"text", "value", "unit", "start", "end"}
        "date": None,  # {"role": "start"|"deadline"|"none", "value": ISO partial or None}
        "speaker": None,  # resolved name (str) or None
        "speaker_cue": None,
        "commitment": None,  # {"level", "cues"}
        "timeframe": None,  # {"start", "deadline"}
        "claim": None,  # {"base", "topic", "actor"}
    }
    for name, default in span_ext.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    if not Doc.has_extension("claims"):
        from extractor.components.claims import doc_claims

        Doc.set_extension("claims", getter=doc_claims)


class SpendingClaims:
    """All newsclaims components as one pipe, for `nlp.add_pipe("spending_claims")` in a
    user's own pipeline. It splits headlines and paragraphs into sentences itself only when
    the Doc has no sentence boundaries yet (put it after the parser or a sentencizer)."""

    def __init__(self, nlp: Language, name: str) -> None:
        from extractor.components.attribution import make_attribution
        from extractor.components.claims import make_claims
        from extractor.components.commitment import make_commitment
        from extractor.components.dates import make_dates
        from extractor.components.figures import make_figures

        register_extensions()
        self.name = name
        self.pipes = [
            make_figures(nlp, f"{name}.figures"),
            make_dates(nlp, f"{name}.dates"),
            make_attribution(nlp, f"{name}.attribution"),
            make_commitment(nlp, f"{name}.commitment"),
            make_claims(nlp, f"{name}.claims"),
        ]
        self._initialized = False

    def initialize(self, get_examples=None, *, nlp: Language | None = None) -> None:
        for pipe in self.pipes:
            pipe.initialize(get_examples, nlp=nlp)
        self._initialized = True

    def __call__(self, doc: Doc) -> Doc:
        if not self._initialized:
            # A bare add_pipe without nlp.initialize(): the packaged rules, quietly.
            self.initialize()
        if not doc.has_annotation("SENT_START"):
            doc = paragraph_boundaries(doc)
            for tok in doc:
                if tok.is_sent_start is None:
                    tok.is_sent_start = tok.i == 0
        for pipe in self.pipes:
            doc = pipe(doc)
        return doc


@Language.factory(
    "spending_claims",
    assigns=["doc.spans", "doc._.claims"],
    requires=["doc.sents"],
)
def make_spending_claims(nlp: Language, name: str) -> SpendingClaims:
    """The whole newsclaims pipeline as one component."""
    return SpendingClaims(nlp, name)


# A title abbreviation or an initial before a capitalised word does not end a sentence.
_NAME_PREFIX = re.compile(
    r"^(?:[A-Z]\.|Gov\.|Sen\.|Rep\.|Dr\.|Mr\.|Mrs\.|Ms\.|St\.|Gen\.|Lt\.|Col\.|Prof\.|"
    r"Rev\.|Hon\.|Supt\.|Insp\.|Sgt\.|Capt\.|Cllr\.)$"
)


# A sentence end: full stop, question or exclamation mark, any closing quotes or brackets,
# then spaces (a line break is a boundary of its own).
_SENTENCE_END = re.compile(r"[.?!…][\"”’')\]]*[ \t\u00a0]+")
_LINE_BREAK = re.compile(r"\n\s*")
_OPENERS = "\"“‘'([£$€¥₹"
# Abbreviations with a full stop that end no sentence ('U.S. Navy', 'Smith Jr. said'), and
# those that end none before a number ('No. 10', 'Jan. 5').
_ABBREVIATION = re.compile(r"^(?:(?:[A-Za-z]\.)+|(?:Jr|Sr|vs|approx|est)\.)$")
_BEFORE_NUMBER = re.compile(
    r"^(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|No|Nos|Vol|Fig|Art|Sec|Para)\.$"
)


def sentence_starts(text: str) -> list[int]:
    """Where sentences start, from the text alone: at 0, after a line break (headlines,
    bylines and standfirsts have no full stop), and after a full stop, question or
    exclamation mark — with any closing quotes or brackets — and spaces, before a capital, a
    digit, a currency sign or an opening quote. A title or an initial ('Gov. Daniel Moreno',
    'R. Palanisamy', 'U.S. Navy') ends no sentence. Each decision reads only the few
    characters around it."""
    starts = {0}
    for m in _LINE_BREAK.finditer(text):
        if m.end() < len(text):
            starts.add(m.end())
    for m in _SENTENCE_END.finditer(text):
        nxt = m.end()
        if nxt >= len(text):
            continue
        ch = text[nxt]
        if not (ch.isupper() or ch.isdigit() or ch in _OPENERS):
            continue
        k = m.start()
        if text[k] == ".":
            begin = max(text.rfind(" ", 0, k), text.rfind("\n", 0, k), text.rfind("\t", 0, k))
            word = text[begin + 1 : k + 1].lstrip(_OPENERS)
            if _NAME_PREFIX.match(word) or _ABBREVIATION.match(word):
                continue
            if ch.isdigit() and _BEFORE_NUMBER.match(word):
                continue
        starts.add(nxt)
    return sorted(starts)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences `sentence_starts` finds (each up to the next)."""
    starts = sentence_starts(text)
    return list(zip(starts, [*starts[1:], len(text)], strict=True))


@Language.component("newsclaims_paragraphs", assigns=["token.is_sent_start"])
def paragraph_boundaries(doc: Doc) -> Doc:
    """Every sentence boundary, set before the parser (which keeps them) from the text alone
    (`sentence_starts`): a token starts a sentence exactly when a sentence starts at its
    first character. Sentences are then a function of the text, so the prefilter can find a
    figure's sentence without the model (see extractor.components.context)."""
    if not len(doc):
        return doc
    starts = numpy.asarray(sentence_starts(doc.text), dtype="int64")
    idx = doc.to_array([IDX]).astype("int64")
    values = numpy.where(numpy.isin(idx, starts), 1, -1)
    values[0] = 1
    doc.from_array([SENT_START], values.astype("uint64").reshape(-1, 1))
    return doc


def finite_relative_clause(tok: Token) -> bool:
    """Is `tok` the verb of a finite relative clause ('which spends 3.4%', 'the £40bn it
    would cost')? Infinitival ones ('the package to reach ¥3tn') carry their head's stance."""
    # 'a demand that the State spend …' is a content clause mis-attached as relative: its
    # 'that' is a complementiser (mark), where a relative 'that' is the clause's subject/object.
    return tok.dep_ == "relcl" and not any(
        (c.dep_ == "aux" and c.lower_ == "to") or (c.dep_ == "mark" and c.lower_ == "that")
        for c in tok.children
    )


def _import_factories() -> None:
    # Registers every factory (the spacy_factories entry points do this for spacy.load).
    from extractor.components import (  # noqa: F401
        attribution,
        claims,
        commitment,
        dates,
        figures,
        lean,
    )
