"""HTML to Article: trafilatura's main-text extraction with metadata.

`html_to_article` does the work in the calling process. `CleanerPool` runs it in worker
processes that are killed when one page takes longer than `Settings.extraction_timeout`
(trafilatura can hang on pathological HTML, and a thread cannot be stopped).
"""

import datetime as dt
import multiprocessing as mp
import queue
import threading
from multiprocessing.connection import Connection
from typing import Any

from extractor.errors import InputError
from extractor.models import Article


class ExtractionTimeout(InputError):
    """Cleaning one page took longer than the extraction timeout; its worker was killed."""

    code = "timeout"


class EmptyArticle(InputError):
    """The page has no main text that trafilatura could find."""

    code = "empty"


class ArticleTooLong(InputError):
    """The cleaned text is longer than Settings.max_article_chars."""

    code = "too_large"


class ExtractionCrash(InputError):
    """The cleaning worker raised an unexpected error or died."""

    code = "crash"


_ERRORS: dict[str, type[InputError]] = {
    cls.__name__: cls for cls in (EmptyArticle, ArticleTooLong, ExtractionCrash, InputError)
}


def html_to_article(
    html: str | bytes,
    *,
    source: str,
    article_id: str | None = None,
    url: str | None = None,
    published: dt.date | None = None,
    fetched: dt.date | None = None,
    max_chars: int | None = None,
) -> Article:
    """Clean one HTML page into an Article (title, text, publication date, site, author).

    The publication date (the base for relative dates) comes from the page metadata
    (htmldate through trafilatura), else `published` (the user's --published), else `fetched`
    (the day the page was fetched); `published_source` records which. Raises InputError when
    the page has no extractable text or the text is longer than `max_chars`.
    """
    import trafilatura

    if isinstance(html, str) and html.lstrip().startswith("<?xml"):
        # lxml refuses str input that carries an encoding declaration.
        html = html.encode("utf-8")
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    text = (doc.text if doc is not None else None) or ""
    if not text.strip():
        raise EmptyArticle(source, "no article text could be extracted from the HTML")
    page_date = _date(doc.date)
    title = doc.title or None
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    if max_chars is not None and len(text) > max_chars:
        raise ArticleTooLong(source, f"cleaned text has {len(text)} characters (limit {max_chars})")
    if page_date:
        date, date_source = page_date, "metadata"
    elif published:
        date, date_source = published, "option"
    elif fetched:
        date, date_source = fetched, "fetch_date"
    else:
        date, date_source = None, None
    return Article(
        id=article_id or source,
        title=title,
        text=text,
        url=url or doc.url or None,
        published=date,
        published_source=date_source,
        site=doc.sitename or None,
        author=doc.author or None,
    )


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


# --- killable workers ------------------------------------------------------------------------


def _worker_main(conn: Connection) -> None:
    """Loop in the worker process: receive keyword arguments, send back an Article or error."""
    while True:
        try:
            kwargs = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            article = html_to_article(**kwargs)
            conn.send(("ok", article.model_dump(mode="json")))
        except InputError as e:
            conn.send((type(e).__name__, e.reason))
        except Exception as e:  # an extraction bug on one page must not end the worker
            conn.send(("ExtractionCrash", f"{type(e).__name__}: {e}"))


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class CleanerPool:
    """`size` worker processes running html_to_article, each call bounded by `timeout` seconds.

    Thread-safe: fetch threads call `clean` concurrently; at most `size` pages are cleaned at
    once. Workers start lazily with the 'spawn' method (forking a process that runs threads is
    unsafe) and are replaced after a timeout or crash.
    """

    def __init__(self, size: int = 1, *, timeout: float = 30.0) -> None:
        self.size = size
        self.timeout = timeout
        self._ctx = mp.get_context("spawn")
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(size):
            self._idle.put(None)  # a slot; the worker starts when first needed
        self._closed = False
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()

    def __enter__(self) -> "CleanerPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def clean(self, html: str | bytes, *, source: str, **kwargs: Any) -> Article:
        """html_to_article in a worker; raises ExtractionTimeout or InputError."""
        worker = self._idle.get()
        try:
            if worker is None or not worker.process.is_alive():
                worker = self._start()
            worker.conn.send({"html": html, "source": source, **kwargs})
            if not worker.conn.poll(self.timeout):
                self._discard(worker)
                worker = None
                raise ExtractionTimeout(
                    source, f"extraction took longer than {self.timeout:g} s; worker killed"
                )
            try:
                status, payload = worker.conn.recv()
            except (EOFError, OSError) as e:
                self._discard(worker)
                worker = None
                raise ExtractionCrash(source, "the extraction worker died") from e
        finally:
            self._idle.put(worker)
        if status == "ok":
            return Article.model_validate(payload)
        raise _ERRORS.get(status, InputError)(source, payload)

    def _start(self) -> _Worker:
        worker = _Worker(self._ctx)
        with self._lock:
            self._all.add(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def close(self) -> None:
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.conn.close()
            worker.process.join(1)
            if worker.process.is_alive():
                worker.kill()
