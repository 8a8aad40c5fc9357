"""spaCy components, one per concern, talking through doc.spans and plain-valued extensions.

    figures ─► dates ─► attribution ─► commitment ─► claims

doc.spans keys: "figures" (every percent/money figure), "dates", "speakers",
"commitment_cues", "claims" (the figures kept as spending claims). Per-figure results are
Span extensions holding plain JSON values (stored in doc.user_data, so DocBin and
n_process>1 need no custom encoders). `Doc._.claims` builds the pydantic Claims.
"""

import re

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


@Language.component("newsclaims_paragraphs", assigns=["token.is_sent_start"])
def paragraph_boundaries(doc: Doc) -> Doc:
    """A line break ends a sentence: headlines, bylines and standfirsts have no full stop.
    Runs before the parser, which keeps boundaries that are already set."""
    for tok in doc[1:]:
        prev = doc[tok.i - 1]
        if "\n" in prev.text or "\n" in prev.whitespace_:
            tok.is_sent_start = True
        elif _NAME_PREFIX.match(prev.text) and tok.is_title:
            tok.is_sent_start = False  # 'Gov. Daniel Moreno', 'R. Palanisamy': one sentence
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
    from extractor.components import attribution, claims, commitment, dates, figures  # noqa: F401
