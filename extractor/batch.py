"""Batch runs: sources -> safe fetch -> clean -> Extractor.pipe -> JSONL shards, resumable.

The output directory holds

  ledger.sqlite      one row per article: pending -> fetched -> extracted -> written
                     (or failed / skipped), with the cleaned article and, until written,
                     its claims
  claims-NNNNN.jsonl claim shards, each written to a temp file, fsynced and renamed
  failures.jsonl     one row per failed article or source: key, source, stage, reason
  summary.json       counts and rate of the whole output directory

Exactly once: a shard is first *assigned* its articles in the ledger (one transaction), then
written from the claims stored in the ledger and renamed, then its articles are marked
written. After a kill at any point, `recover` finishes an assigned shard from the ledger (or
accepts it if the rename happened), and articles not yet extracted are extracted again, so
every claim lands in exactly one shard. Killing loses at most the work in flight.
"""

import contextlib
import datetime as dt
import json
import logging
import os
import queue
import sqlite3
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from extractor.errors import InputError, NewsclaimsError
from extractor.ingest.sources import Failure, Item, iter_sources
from extractor.models import Article, Claim
from extractor.settings import Settings

log = logging.getLogger(__name__)

LEDGER = "ledger.sqlite"
FAILURES = "failures.jsonl"
SUMMARY = "summary.json"
SHARD_PATTERN = "claims-{:05d}.jsonl"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN
        ('pending', 'fetched', 'extracted', 'written', 'failed', 'skipped')),
    article TEXT,
    claims TEXT,
    n_claims INTEGER,
    shard TEXT,
    stage TEXT,
    reason TEXT,
    message TEXT,
    seq INTEGER NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS items_state ON items(state);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Ledger:
    """The SQLite state of one output directory. One connection, serialised by a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        # WAL: a killed process never loses a committed transaction; NORMAL sync is enough
        # for process crashes (power loss could lose the last commits, never corrupt).
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _tx(self, sql: str, params: Iterable[Any] = ()) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(sql, tuple(params))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def add(self, key: str, source: str) -> str:
        """Register an item (no-op if known); returns its current state."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT state FROM items WHERE key = ?", (key,)).fetchone()
                if row is None:
                    seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM items").fetchone()
                    self._db.execute(
                        "INSERT INTO items (key, source, state, seq, updated) "
                        "VALUES (?, ?, 'pending', ?, ?)",
                        (key, source, seq[0], time.time()),
                    )
                    state = "pending"
                else:
                    state = row[0]
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return state

    def reset(self, key: str) -> None:
        self._tx(
            "UPDATE items SET state = 'pending', stage = NULL, reason = NULL, message = NULL, "
            "updated = ? WHERE key = ? AND state = 'failed'",
            (time.time(), key),
        )

    def fetched(self, key: str, article: Article) -> None:
        self._tx(
            "UPDATE items SET state = 'fetched', article = ?, updated = ? "
            "WHERE key = ? AND state = 'pending'",
            (article.model_dump_json(), time.time(), key),
        )

    def failed(self, failure: Failure) -> None:
        """Record a failure unless the item already succeeded (a source may list it twice)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT state FROM items WHERE key = ?", (failure.key,)
                ).fetchone()
                if row is None:
                    seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM items").fetchone()
                    self._db.execute(
                        "INSERT INTO items (key, source, state, stage, reason, message, seq, "
                        "updated) VALUES (?, ?, 'failed', ?, ?, ?, ?, ?)",
                        (
                            failure.key,
                            failure.source,
                            failure.stage,
                            failure.reason,
                            failure.message,
                            seq[0],
                            time.time(),
                        ),
                    )
                elif row[0] in ("pending", "fetched", "failed"):
                    self._db.execute(
                        "UPDATE items SET state = 'failed', stage = ?, reason = ?, message = ?, "
                        "updated = ? WHERE key = ?",
                        (failure.stage, failure.reason, failure.message, time.time(), failure.key),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def skipped(self, key: str) -> None:
        self._tx(
            "UPDATE items SET state = 'skipped', updated = ? WHERE key = ? AND state = 'pending'",
            (time.time(), key),
        )

    def extracted(self, key: str, claims_jsonl: str, n_claims: int) -> None:
        self._tx(
            "UPDATE items SET state = 'extracted', claims = ?, n_claims = ?, updated = ? "
            "WHERE key = ? AND state IN ('pending', 'fetched')",
            (claims_jsonl, n_claims, time.time(), key),
        )

    def fetched_articles(self, keys: Iterable[str]) -> list[tuple[str, Article]]:
        wanted = set(keys)
        rows = self.query("SELECT key, article FROM items WHERE state = 'fetched' ORDER BY seq")
        return [(k, Article.model_validate_json(a)) for k, a in rows if k in wanted]

    def counts(self) -> dict[str, int]:
        return dict(self.query("SELECT state, COUNT(*) FROM items GROUP BY state"))  # type: ignore[arg-type]

    # shards ---------------------------------------------------------------------------------

    def assign_shard(self) -> str | None:
        """Give every extracted, unassigned article the next shard name (one transaction)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = self._db.execute(
                    "SELECT COUNT(*) FROM items WHERE state = 'extracted' AND shard IS NULL"
                ).fetchone()
                if not rows[0]:
                    self._db.execute("COMMIT")
                    return None
                row = self._db.execute("SELECT value FROM meta WHERE name = 'shards'").fetchone()
                number = (int(row[0]) if row else 0) + 1
                name = SHARD_PATTERN.format(number)
                self._db.execute(
                    "INSERT INTO meta (name, value) VALUES ('shards', ?) "
                    "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                    (str(number),),
                )
                self._db.execute(
                    "UPDATE items SET shard = ? WHERE state = 'extracted' AND shard IS NULL",
                    (name,),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return name

    def shard_claims(self, name: str) -> list[str]:
        rows = self.query(
            "SELECT claims FROM items WHERE shard = ? AND state = 'extracted' ORDER BY seq", (name,)
        )
        return [r[0] for r in rows if r[0]]

    def open_shards(self) -> list[str]:
        rows = self.query(
            "SELECT DISTINCT shard FROM items WHERE state = 'extracted' AND shard IS NOT NULL "
            "ORDER BY shard"
        )
        return [r[0] for r in rows]

    def shard_written(self, name: str) -> None:
        self._tx(
            "UPDATE items SET state = 'written', claims = NULL, updated = ? "
            "WHERE shard = ? AND state = 'extracted'",
            (time.time(), name),
        )

    def failures(self) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT key, source, stage, reason, message FROM items WHERE state = 'failed' "
            "ORDER BY seq"
        )
        return [
            dict(zip(("key", "source", "stage", "reason", "message"), r, strict=True)) for r in rows
        ]


def write_atomic(path: Path, data: str) -> None:
    """Write to a temp file in the same directory, fsync, rename over `path`, fsync the dir."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class RunSummary:
    """Counts for the whole output directory, plus this invocation's work and rate."""

    output: str
    articles: int  # items known to the ledger
    written: int
    claims: int
    failed: int
    skipped: int
    pending: int
    processed_now: int  # articles written by this invocation
    elapsed_s: float
    articles_per_s: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        return (
            f"{self.written} articles written, {self.claims} claims, {self.failed} failed, "
            f"{self.skipped} skipped; {self.processed_now} this run in {self.elapsed_s:.1f} s "
            f"({self.articles_per_s:.2f} art/s) -> {self.output}"
        )


class _Writer:
    """Turns extracted articles into shards every `shard_size` articles."""

    def __init__(self, ledger: Ledger, out: Path, shard_size: int) -> None:
        self.ledger = ledger
        self.out = out
        self.shard_size = shard_size
        self.unflushed = 0

    def recover(self) -> None:
        """Finish shards a killed run had assigned; remove temp files it left."""
        for tmp in self.out.glob(".claims-*.jsonl.tmp"):
            tmp.unlink()
        for name in self.ledger.open_shards():
            if not (self.out / name).exists():
                self._write(name)
            self.ledger.shard_written(name)

    def add(self) -> None:
        self.unflushed += 1
        if self.unflushed >= self.shard_size:
            self.flush()

    def flush(self) -> None:
        name = self.ledger.assign_shard()
        self.unflushed = 0
        if name is None:
            return
        self._write(name)
        self.ledger.shard_written(name)

    def _write(self, name: str) -> None:
        chunks = self.ledger.shard_claims(name)
        if not any(chunks):
            # Articles without claims are marked written without an empty shard file.
            return
        write_atomic(self.out / name, "".join(chunks))


def run(
    sources: list[str],
    out_dir: str | Path,
    *,
    settings: Settings,
    model: str | None = None,
    extractor: Any = None,
    fetcher: Any = None,
    n_process: int = 1,
    batch_size: int = 32,
    since: dt.date | None = None,
    published: dt.date | None = None,
    shard_size: int = 500,
    retry_failed: bool = False,
    progress: bool | None = None,
) -> RunSummary:
    """Process `sources` into `out_dir`, resuming whatever a previous run there left.

    `extractor` (an Extractor) wins over `model`; `fetcher` (an ingest.fetch.Fetcher, left
    open) replaces the one built from `settings`, e.g. one with its own address policy.
    progress=None shows a tqdm bar only when stderr is a terminal. Failed articles are data
    (failures.jsonl), not exceptions; a
    NewsclaimsError is raised only for problems with the run itself (unusable output dir,
    model that cannot load).
    """
    started = time.monotonic()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(str(out), f"cannot create the output directory: {e}") from e
    if extractor is None:
        from extractor.pipeline import Extractor

        extractor = Extractor(model)
    ledger = Ledger(out / LEDGER)
    writer = _Writer(ledger, out, shard_size)
    written_before = ledger.counts().get("written", 0)
    try:
        writer.recover()
        _process(
            sources,
            ledger,
            writer,
            extractor,
            fetcher,
            settings=settings,
            n_process=n_process,
            batch_size=batch_size,
            since=since,
            published=published,
            retry_failed=retry_failed,
            progress=progress,
        )
        writer.flush()
        summary = _summarise(ledger, out, started, written_before)
        write_atomic(out / FAILURES, "".join(json.dumps(f) + "\n" for f in ledger.failures()))
        write_atomic(out / SUMMARY, json.dumps(summary.to_json(), indent=2) + "\n")
    finally:
        ledger.close()
    return summary


def _summarise(ledger: Ledger, out: Path, started: float, written_before: int) -> RunSummary:
    counts = ledger.counts()
    claims = ledger.query("SELECT COALESCE(SUM(n_claims), 0) FROM items WHERE state = 'written'")
    elapsed = time.monotonic() - started
    now = counts.get("written", 0) - written_before
    return RunSummary(
        output=str(out),
        articles=sum(counts.values()),
        written=counts.get("written", 0),
        claims=int(claims[0][0]),
        failed=counts.get("failed", 0),
        skipped=counts.get("skipped", 0),
        pending=counts.get("pending", 0) + counts.get("fetched", 0) + counts.get("extracted", 0),
        processed_now=now,
        elapsed_s=round(elapsed, 3),
        articles_per_s=round(now / elapsed, 3) if elapsed > 0 else 0.0,
    )


_DONE = object()


def _process(
    sources: list[str],
    ledger: Ledger,
    writer: _Writer,
    extractor: Any,
    fetcher: Any,
    *,
    settings: Settings,
    n_process: int,
    batch_size: int,
    since: dt.date | None,
    published: dt.date | None,
    retry_failed: bool,
    progress: bool | None,
) -> None:
    from tqdm import tqdm

    from extractor.ingest.clean import CleanerPool
    from extractor.ingest.fetch import Fetcher

    with contextlib.ExitStack() as stack:
        if fetcher is None:
            fetcher = stack.enter_context(Fetcher(settings))
        cleaner = stack.enter_context(
            CleanerPool(settings.extraction_workers, timeout=settings.extraction_timeout)
        )
        todo: list[Item] = []
        ready_keys: list[str] = []
        seen: set[str] = set()
        for entry in iter_sources(sources, fetcher=fetcher, since=since, published=published):
            if entry.key in seen:
                continue
            seen.add(entry.key)
            if isinstance(entry, Failure):
                ledger.failed(entry)
                continue
            state = ledger.add(entry.key, entry.source)
            if state == "failed" and retry_failed:
                ledger.reset(entry.key)
                state = "pending"
            if state == "pending":
                todo.append(entry)
            elif state == "fetched":
                ready_keys.append(entry.key)
        ready = ledger.fetched_articles(ready_keys)

        show = sys.stderr.isatty() if progress is None else progress
        bar = tqdm(
            total=len(todo) + len(ready),
            unit="art",
            desc="articles",
            file=sys.stderr,
            disable=not show,
            dynamic_ncols=True,
        )
        stats = {"claims": 0, "failed": 0}
        results: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()

        def prepare(item: Item) -> Article | Failure | None:
            return _prepare(item, fetcher, cleaner, settings, since, published)

        def produce() -> None:
            window = threading.BoundedSemaphore(settings.fetch_workers * 4)
            with ThreadPoolExecutor(settings.fetch_workers, thread_name_prefix="fetch") as pool:
                for item in todo:
                    window.acquire()
                    if stop.is_set():
                        window.release()
                        break

                    def done(future: Any, item: Item = item) -> None:
                        window.release()
                        try:
                            results.put((item, future.result()))
                        except Exception as e:  # a bug, not a page problem: keep it as data
                            log.exception("unexpected error preparing %s", item.key)
                            results.put(
                                (
                                    item,
                                    Failure(
                                        item.key,
                                        item.source,
                                        "fetch",
                                        "crash",
                                        f"{item.key}: {type(e).__name__}: {e}",
                                    ),
                                )
                            )

                    pool.submit(prepare, item).add_done_callback(done)
            results.put(_DONE)

        producer = threading.Thread(target=produce, name="fetch-producer", daemon=True)
        producer.start()
        keys: deque[str] = deque()

        def articles() -> Iterator[Article]:
            for key, article in ready:
                keys.append(key)
                yield article
            while True:
                entry = results.get()
                if entry is _DONE:
                    return
                item, outcome = entry
                if isinstance(outcome, Failure):
                    ledger.failed(outcome)
                    stats["failed"] += 1
                    bar.update(1)
                    bar.set_postfix(stats, refresh=False)
                elif outcome is None:
                    ledger.skipped(item.key)
                    bar.update(1)
                else:
                    ledger.fetched(item.key, outcome)
                    keys.append(item.key)
                    yield outcome

        try:
            # The same NLP step as every other engine (Extractor's batches), so `run` and
            # `run --engine dask` give the same claims for the same articles; an article
            # that breaks the pipeline gets its exception (in any number of processes).
            outcomes: Iterator[tuple[Article, list[Claim] | Exception]] = extractor.pipe_outcomes(
                articles(), batch_size=batch_size, n_process=n_process
            )
            for _article, claims in outcomes:
                key = keys.popleft()
                if isinstance(claims, Exception):
                    # One article that breaks the pipeline fails alone; the run goes on.
                    source = ledger.query("SELECT source FROM items WHERE key = ?", (key,))
                    message = f"{key}: {type(claims).__name__}: {claims}"
                    ledger.failed(Failure(key, source[0][0] if source else key, "extract",
                                          "crash", message))  # fmt: skip
                    stats["failed"] += 1
                    bar.update(1)
                    continue
                text = "".join(c.model_dump_json() + "\n" for c in claims)
                ledger.extracted(key, text, len(claims))
                stats["claims"] += len(claims)
                bar.update(1)
                bar.set_postfix(stats, refresh=False)
                writer.add()
        finally:
            stop.set()
            # Unblock the producer if NLP stopped early, then let it wind down.
            while producer.is_alive():
                with contextlib.suppress(queue.Empty):
                    results.get(timeout=0.1)
            bar.close()


def _prepare(
    item: Item,
    fetcher: Any,
    cleaner: Any,
    settings: Settings,
    since: dt.date | None,
    published: dt.date | None,
) -> Article | Failure | None:
    """Fetch and clean one item in a fetch thread. None means: older than --since, skip."""
    from extractor.ingest import article_from_response
    from extractor.ingest.fetch import FetchError, decode_html

    try:
        if item.kind == "article":
            article = item.article
            assert article is not None
        elif item.kind in ("url", "page"):
            response = item.response
            if response is None:
                response = fetcher.fetch(item.url, accept="html")
            article = article_from_response(
                response,
                settings=settings,
                cleaner=cleaner,
                article_id=item.key,
                published=published,
            )
        else:
            path = Path(item.path or item.key)
            try:
                data = path.read_bytes()
            except OSError as e:
                return Failure(item.key, item.source, "source", "input", f"{path}: {e}")
            if len(data) > settings.max_bytes:
                return Failure(
                    item.key,
                    item.source,
                    "source",
                    "too_large",
                    f"{path}: {len(data)} bytes exceed {settings.max_bytes}",
                )
            article = cleaner.clean(
                decode_html(data),
                source=str(path),
                article_id=str(path),
                published=published,
                max_chars=settings.max_article_chars,
            )
    except FetchError as e:
        return Failure(item.key, item.source, "fetch", e.reason, str(e))
    except InputError as e:
        return Failure(item.key, item.source, "clean", getattr(e, "code", "parse"), str(e))
    except NewsclaimsError as e:
        return Failure(item.key, item.source, "clean", "parse", str(e))
    if not article.text.strip():
        return Failure(item.key, item.source, "clean", "empty", f"{item.key}: empty text")
    dated = article.published_source == "metadata" and article.published is not None
    if since and dated and article.published < since:  # type: ignore[operator]
        return None
    return article
