"""HTML to Article: trafilatura's main-text extraction with metadata.

`html_to_article` does the work in the calling process. `CleanerPool` runs it in worker
processes that are killed when one page takes longer than `Settings.extraction_timeout`
(trafilatura can hang on pathological HTML, and a thread cannot be stopped).
"""

import datetime as dt
import os
import queue
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
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

    from extractor.ingest.fetch import decode_html

    if isinstance(html, bytes):
        # One decoder for files and fetched pages, robust to pages that lie about encoding.
        html = decode_html(html)
    if html.lstrip().startswith("<?xml"):
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


def _worker_main(inbox: Connection, outbox: Connection) -> None:
    """Loop in the worker process: receive keyword arguments, send back an Article or error."""
    while True:
        try:
            kwargs = inbox.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            article = html_to_article(**kwargs)
            outbox.send(("ok", article.model_dump(mode="json")))
        except InputError as e:
            outbox.send((type(e).__name__, e.reason))
        except Exception as e:  # an extraction bug on one page must not end the worker
            outbox.send(("ExtractionCrash", f"{type(e).__name__}: {e}"))


class _Worker:
    """A `python -m extractor.ingest.clean` child talking over two private pipes.

    A plain subprocess rather than multiprocessing: 'fork' is unsafe in a process that runs
    threads, and 'spawn'/'forkserver' re-import the caller's __main__, which breaks scripts
    without a main guard.
    """

    def __init__(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "extractor.ingest.clean", str(to_child_r), str(from_child_w)],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            env=env,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.outbox = Connection(to_child_w, readable=False)
        self.inbox = Connection(from_child_r, writable=False)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.close_pipes()

    def close_pipes(self) -> None:
        self.outbox.close()
        self.inbox.close()


class CleanerPool:
    """`size` worker processes running html_to_article, each call bounded by `timeout` seconds.

    Thread-safe: fetch threads call `clean` concurrently; at most `size` pages are cleaned at
    once. Workers start when first needed and are replaced after a timeout or crash.
    """

    def __init__(self, size: int = 1, *, timeout: float = 30.0) -> None:
        self.size = size
        self.timeout = timeout
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(size):
            self._idle.put(None)  # a slot; its worker starts when first needed
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()

    def __enter__(self) -> "CleanerPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def clean(self, html: str | bytes, *, source: str, **kwargs: Any) -> Article:
        """html_to_article in a worker; raises ExtractionTimeout or another InputError."""
        worker = self._idle.get()
        try:
            if worker is None or not worker.alive():
                if worker is not None:
                    self._discard(worker)
                worker = self._start()
            try:
                worker.outbox.send({"html": html, "source": source, **kwargs})
                ready = worker.inbox.poll(self.timeout)
            except OSError as e:
                self._discard(worker)
                worker = None
                raise ExtractionCrash(source, f"the extraction worker died ({e})") from e
            if not ready:
                self._discard(worker)
                worker = None
                raise ExtractionTimeout(
                    source, f"extraction took longer than {self.timeout:g} s; worker killed"
                )
            try:
                status, payload = worker.inbox.recv()
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
        worker = _Worker()
        with self._lock:
            self._all.add(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def close(self) -> None:
        """Stop the workers: closing their inbox ends their loop; stragglers are killed."""
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.close_pipes()
            try:
                worker.process.wait(2)
            except subprocess.TimeoutExpired:
                worker.kill()


if __name__ == "__main__":
    _worker_main(
        Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False)
    )
