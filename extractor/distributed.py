"""Scale-out: one pure partition function, and a Dask runner built on it.

    from extractor.distributed import process_partition, process_partition_jsonl
    claims = list(process_partition(articles, model="blank"))          # anywhere: Dask, Spark, Ray
    bag = dask.bag.read_text("archive/*.jsonl.gz").map_partitions(process_partition_jsonl)

`process_partition` is the whole NLP step. It keeps no state but a per-process cache of loaded
pipelines (loading spaCy costs about a second; a worker process pays it once, not per
partition) and does no I/O, so any engine that can call a Python function on a batch of
records can run it. The single-machine `newsclaims run` (extractor.batch) goes through the
same `pipe_articles`, so both engines produce the same claims for the same articles.

`run_dask` is `newsclaims run --engine dask`: the client plans partitions (uncompressed JSONL
files split every `partition_size` lines, a compressed one per file, pages and URLs in groups),
the workers read, fetch, clean and extract, and each partition writes its own shard
`claims-<partition id>.jsonl` (temp file, fsync, rename), so a task retried after a worker
died overwrites its own shard and never adds a second copy. Partition ids are hashes of what a
partition covers, the same on every run. As partitions finish, the client loads their results
into `ledger-dask.sqlite` in one transaction each: a partition already loaded is skipped,
articles and claims are keyed (claim_id is the primary key), so a rerun after a worker or a
whole-job failure does only the partitions that are missing and records every claim once.
"""

import bz2
import contextlib
import datetime as dt
import gzip
import hashlib
import json
import logging
import lzma
import os
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from extractor.errors import InputError, NewsclaimsError
from extractor.models import Article, Claim

if TYPE_CHECKING:
    from extractor.ingest.sources import Failure, Item
    from extractor.pipeline import Extractor
    from extractor.settings import Settings

log = logging.getLogger(__name__)

LEDGER = "dask-ledger.sqlite"
FAILURES = "failures.jsonl"
SUMMARY = "summary.json"
DEFAULT_PARTITION_SIZE = 100  # articles per partition: ~10-30 s of NLP on one core

JSONL_SUFFIXES = (".jsonl", ".ndjson")
COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}

# --- the partition function ------------------------------------------------------------------

_EXTRACTORS: dict[str, "Extractor"] = {}
_LOAD_LOCK = threading.Lock()


def get_extractor(model: str | None = None) -> "Extractor":
    """The Extractor for `model`, loaded once per process and then reused.

    This cache is the only state the partition functions keep: a worker process loads the
    spaCy pipeline on its first partition and every later partition reuses it.
    """
    key = model or ""
    extractor = _EXTRACTORS.get(key)
    if extractor is None:
        with _LOAD_LOCK:
            extractor = _EXTRACTORS.get(key)
            if extractor is None:
                from extractor.pipeline import Extractor

                extractor = Extractor(model)
                _EXTRACTORS[key] = extractor
    return extractor


def pipe_articles(
    articles: Iterable[Article],
    *,
    model: str | None = None,
    extractor: "Extractor | None" = None,
    batch_size: int = 32,
    n_process: int = 1,
) -> Iterator[tuple[Article, list[Claim]]]:
    """(article, claims) in input order: the one NLP step of every engine.

    `extractor` wins over `model` (the cached pipeline for `model` otherwise). Articles must
    have non-empty text (Extractor.pipe raises InputError otherwise); the runners turn empty
    articles into failures before they get here.
    """
    ex = extractor if extractor is not None else get_extractor(model)
    yield from ex.pipe(articles, batch_size=batch_size, n_process=n_process)


def process_partition(
    articles: Iterable[Article], *, model: str | None = None, batch_size: int = 32
) -> Iterator[Claim]:
    """The claims of a partition of articles, in article order. Pure: no I/O, no globals
    beyond the per-process pipeline cache, the same output for the same input anywhere."""
    for _article, claims in pipe_articles(articles, model=model, batch_size=batch_size):
        yield from claims


def process_partition_jsonl(
    lines: Iterable[str | bytes],
    *,
    model: str | None = None,
    batch_size: int = 32,
    on_error: Literal["skip", "raise"] = "skip",
) -> list[Claim]:
    """Claims from JSONL article records (a dask.bag partition of `read_text` lines).

    Returns a list, not a generator, so that the partition can be pickled between workers.
    Blank lines are ignored; a line that is not an article record is logged and skipped
    (on_error="skip") or raises InputError ("raise"), as do articles with empty text.
    """
    from extractor.pipeline import article_from_dict

    def articles() -> Iterator[Article]:
        for number, line in enumerate(lines, 1):
            text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
            if not text.strip():
                continue
            try:
                data = json.loads(text)
                if not isinstance(data, dict):
                    raise InputError("jsonl", "a record must be a JSON object", line=number)
                article = article_from_dict(data, source="jsonl", line=number)
                if not article.text.strip():
                    raise InputError(article.id, "the article text is empty")
            except (ValueError, InputError) as e:
                if on_error == "raise":
                    if isinstance(e, InputError):
                        raise
                    raise InputError("jsonl", f"not JSON: {e}", line=number) from e
                log.warning("skipping partition line %d: %s", number, e)
                continue
            yield article

    return list(process_partition(articles(), model=model, batch_size=batch_size))


# --- partitions --------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionSpec:
    """What one Dask task processes; `pid` is a hash of that, stable across runs."""

    pid: str
    kind: Literal["jsonl", "items"]
    source: str  # the argument the partition came from
    path: str | None = None  # resolved JSONL file
    start: int = 0  # byte offset of the first line (uncompressed JSONL)
    end: int | None = None  # byte offset after the last line; None: to the end of the file
    first_line: int = 1
    items: tuple["Item", ...] = ()

    @property
    def shard(self) -> str:
        return f"claims-{self.pid}.jsonl"

    def describe(self) -> str:
        if self.kind == "jsonl":
            span = "" if self.end is None and self.start == 0 else f" bytes {self.start}-{self.end}"
            return f"{self.path}{span} (from line {self.first_line})"
        return f"{len(self.items)} items of {self.source}"


def _pid(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


def _compression(path: Path) -> Callable[..., IO[bytes]] | None:
    return COMPRESSED.get(path.suffix.lower())


def is_jsonl(spec: str) -> bool:
    """A JSONL article dump, plain or compressed (.jsonl, .ndjson, + .gz/.bz2/.xz)."""
    name = spec.lower()
    for suffix in ("", *COMPRESSED):
        if suffix and not name.endswith(suffix):
            continue
        stem = name[: len(name) - len(suffix)] if suffix else name
        if stem.endswith(JSONL_SUFFIXES):
            return "://" not in spec
    return False


def split_jsonl(path: Path, source: str, partition_size: int) -> list[PartitionSpec]:
    """Partitions of `partition_size` lines of a plain JSONL file, found by one byte scan
    (nothing is parsed on the client); a compressed file is one partition."""
    resolved = str(path.resolve())
    if _compression(path) is not None:
        return [PartitionSpec(_pid("jsonl", resolved), "jsonl", source, resolved)]
    specs: list[PartitionSpec] = []
    start = offset = 0
    first = line = 1
    with path.open("rb") as handle:
        for raw in handle:
            offset += len(raw)
            line += 1
            if line - first == partition_size:
                specs.append(_jsonl_spec(resolved, source, start, offset, first))
                start, first = offset, line
    if offset > start or not specs:
        specs.append(_jsonl_spec(resolved, source, start, offset, first))
    return specs


def _jsonl_spec(path: str, source: str, start: int, end: int, first: int) -> PartitionSpec:
    return PartitionSpec(
        _pid("jsonl", path, str(start), str(end)), "jsonl", source, path, start, end, first
    )


def _expand_globs(sources: list[str]) -> Iterator[str]:
    """Quoted patterns ("archive/*.jsonl.gz") expanded here, sorted: an archive of 100,000
    files is more than a shell passes to one command."""
    import glob

    for spec in sources:
        if "://" not in spec and any(c in spec for c in "*?[") and not Path(spec).exists():
            matches = sorted(glob.glob(spec, recursive=True))
            yield from matches or [spec]
        else:
            yield spec


def plan(
    sources: list[str],
    *,
    settings: "Settings",
    partition_size: int,
    since: dt.date | None = None,
    published: dt.date | None = None,
    fetcher: Any = None,
) -> tuple[list[PartitionSpec], list["Failure"]]:
    """Partitions for `sources`, in argument order, and the sources that failed outright.

    JSONL dumps are split by byte ranges without parsing; every other argument is expanded on
    the client by ingest.sources (feeds and sitemaps are fetched here, their pages on the
    workers) and its items grouped `partition_size` at a time. A file or URL named twice is
    planned once.
    """
    from extractor.ingest.fetch import Fetcher
    from extractor.ingest.sources import Failure, iter_sources

    specs: list[PartitionSpec] = []
    failures: list[Failure] = []
    seen_files: set[str] = set()
    others: list[str] = []
    for spec in _expand_globs(sources):
        if not is_jsonl(spec):
            others.append(spec)
            continue
        path = Path(spec)
        if not path.is_file():
            failures.append(Failure(spec, spec, "source", "input", f"{spec}: no such file"))
            continue
        resolved = str(path.resolve())
        if resolved in seen_files:
            continue
        seen_files.add(resolved)
        try:
            specs.extend(split_jsonl(path, spec, partition_size))
        except OSError as e:
            failures.append(Failure(spec, spec, "source", "input", f"{spec}: {e}"))
    if not others:
        return specs, failures
    with contextlib.ExitStack() as stack:
        if fetcher is None and any("://" in s for s in others):
            fetcher = stack.enter_context(Fetcher(settings))
        group: list[Item] = []
        seen: set[str] = set()

        def flush() -> None:
            if group:
                keys = [item.key for item in group]
                pid = _pid("items", *keys)
                specs.append(PartitionSpec(pid, "items", group[0].source, items=tuple(group)))
                group.clear()

        for entry in iter_sources(others, fetcher=fetcher, since=since, published=published):
            if entry.key in seen:
                continue
            seen.add(entry.key)
            if isinstance(entry, Failure):
                failures.append(entry)
                continue
            group.append(entry)
            if len(group) >= partition_size:
                flush()
        flush()
    return specs, failures


# --- one partition on a worker -----------------------------------------------------------


@dataclass
class PartitionResult:
    """What a task returns to the client (small: keys and ids, the claims are in the shard)."""

    pid: str
    shard: str | None  # None: the partition has no claims, no file was written
    articles: list[tuple[str, str, list[str]]] = field(default_factory=list)  # key, source, ids
    failures: list[dict[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    worker_pid: int = 0


def write_atomic(path: Path, data: str) -> None:
    """Write through a uniquely named temp file, fsync and rename over `path`.

    Unique temp names let two attempts of the same task (a worker presumed dead that was not)
    write at once: each rename is whole, and both hold the same claims.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_lines(spec: PartitionSpec) -> Iterator[tuple[int, str]]:
    """(line number, text) of a JSONL partition, decoded as the batch engine decodes it."""
    assert spec.path is not None
    path = Path(spec.path)
    opener = _compression(path)
    with opener(path, "rb") if opener else path.open("rb") as handle:
        if not opener:
            handle.seek(spec.start)
        number = spec.first_line
        offset = spec.start
        for raw in handle:
            if spec.end is not None and not opener and offset >= spec.end:
                return
            offset += len(raw)
            yield number, raw.decode("utf-8", "replace")
            number += 1


def _jsonl_items(
    spec: PartitionSpec, since: dt.date | None, published: dt.date | None
) -> Iterator["Item | Failure"]:
    """Items of a JSONL partition, keyed exactly like ingest.sources keys a whole file."""
    from extractor.ingest.sources import jsonl_items

    yield from jsonl_items(
        _open_lines(spec), spec.path, spec.source, since=since, published=published
    )


def extract_isolated(
    articles: list[Article], model: str | None, batch_size: int
) -> Iterator[list[Claim] | Exception]:
    """Claims per article, in order; an article that makes the pipeline raise gets the
    exception instead, and the others are still extracted.

    Batches run whole (fast); when one raises, its articles are run one at a time to find
    the culprit, then batching resumes. One bad article must not cost a partition at the
    scale of millions (the default engine stops the run on such an error).
    """
    done = 0
    while done < len(articles):
        try:
            for _article, claims in pipe_articles(
                articles[done:], model=model, batch_size=batch_size
            ):
                done += 1
                yield claims
        except Exception:
            for article in articles[done : done + batch_size]:
                try:
                    claims = next(pipe_articles([article], model=model, batch_size=1))[1]
                except Exception as e:
                    log.exception("extraction of %s failed", article.identity)
                    claims = e
                done += 1
                yield claims


def run_partition(
    spec: PartitionSpec,
    out_dir: str,
    *,
    settings: "Settings",
    model: str | None = None,
    since: dt.date | None = None,
    published: dt.date | None = None,
    batch_size: int = 32,
) -> PartitionResult:
    """One Dask task: read/fetch/clean the partition's articles, extract, write its shard.

    Articles are prepared exactly as extractor.batch prepares them (same failures, same
    cleaned text) and go through the same pipe_articles. Runs again from scratch when retried.
    """
    from extractor.batch import _prepare
    from extractor.ingest.clean import CleanerPool
    from extractor.ingest.fetch import Fetcher
    from extractor.ingest.sources import Failure, Item

    started = time.monotonic()
    result = PartitionResult(spec.pid, None, worker_pid=os.getpid())
    entries: Iterable[Item | Failure]
    entries = _jsonl_items(spec, since, published) if spec.kind == "jsonl" else spec.items
    ready: list[tuple[str, str, Article]] = []
    with contextlib.ExitStack() as stack:
        seen: set[str] = set()
        todo: list[Item] = []
        for entry in entries:
            if entry.key in seen:
                continue
            seen.add(entry.key)
            if isinstance(entry, Failure):
                result.failures.append(entry.to_json())
            else:
                todo.append(entry)
        needs_web = any(item.kind in ("url", "page", "html_file") for item in todo)
        fetcher = cleaner = None
        if needs_web:
            fetcher = stack.enter_context(Fetcher(settings))
            cleaner = stack.enter_context(
                CleanerPool(settings.extraction_workers, timeout=settings.extraction_timeout)
            )

        def prepare(item: Item) -> Any:
            try:
                return _prepare(item, fetcher, cleaner, settings, since, published)
            except Exception as e:  # a bug, not a page problem: data, as in extractor.batch
                log.exception("unexpected error preparing %s", item.key)
                message = f"{item.key}: {type(e).__name__}: {e}"
                return Failure(item.key, item.source, "fetch", "crash", message)

        if needs_web and len(todo) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(settings.fetch_workers) as pool:
                outcomes = list(pool.map(prepare, todo))
        else:
            outcomes = [prepare(item) for item in todo]
        for item, outcome in zip(todo, outcomes, strict=True):
            if isinstance(outcome, Failure):
                result.failures.append(outcome.to_json())
            elif outcome is None:
                result.skipped.append((item.key, item.source))
            else:
                ready.append((item.key, item.source, outcome))

    lines: list[str] = []
    for (key, source, _article), outcome in zip(
        ready, extract_isolated([a for _k, _s, a in ready], model, batch_size), strict=True
    ):
        if isinstance(outcome, Exception):
            message = f"{key}: {type(outcome).__name__}: {outcome}"
            result.failures.append(Failure(key, source, "extract", "crash", message).to_json())
            continue
        result.articles.append((key, source, [c.claim_id for c in outcome]))
        lines.extend(c.model_dump_json() + "\n" for c in outcome)
    if lines:
        write_atomic(Path(out_dir) / spec.shard, "".join(lines))
        result.shard = spec.shard
    result.seconds = round(time.monotonic() - started, 3)
    return result


# --- the client's ledger ---------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS partitions (
    pid TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('loaded', 'failed')),
    shard TEXT,
    articles INTEGER NOT NULL DEFAULT 0,
    claims INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    seconds REAL,
    message TEXT,
    db_loaded INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('written', 'failed', 'skipped')),
    pid TEXT,
    n_claims INTEGER,
    stage TEXT,
    reason TEXT,
    message TEXT,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS claims (
    claim_id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    pid TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS duplicates (
    key TEXT NOT NULL,
    pid TEXT NOT NULL,
    claim_ids TEXT NOT NULL,
    PRIMARY KEY (key, pid)
);
"""


class DaskLedger:
    """The client's record of an output directory: loaded partitions, articles, claims."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, tuple(params)).fetchall()

    def loaded(self) -> set[str]:
        return {r[0] for r in self.query("SELECT pid FROM partitions WHERE state = 'loaded'")}

    def with_failed_items(self) -> set[str]:
        rows = self.query(
            "SELECT DISTINCT pid FROM items WHERE state = 'failed' AND pid IS NOT NULL"
        )
        return {r[0] for r in rows}

    def load(self, spec: PartitionSpec, result: PartitionResult) -> bool:
        """Record a finished partition in one transaction; False if it was loaded before.

        An article already written by another partition (the same record twice in a file) is
        kept as a duplicate and its claims are removed from this shard by `finalise`.
        """
        now = time.time()
        with self._tx() as db:
            row = db.execute("SELECT state FROM partitions WHERE pid = ?", (spec.pid,)).fetchone()
            if row and row[0] == "loaded":
                return False
            n_claims = 0
            for key, source, ids in result.articles:
                owner = db.execute(
                    "SELECT pid FROM items WHERE key = ? AND state = 'written'", (key,)
                ).fetchone()
                if owner and owner[0] != spec.pid:
                    db.execute(
                        "INSERT OR IGNORE INTO duplicates (key, pid, claim_ids) VALUES (?, ?, ?)",
                        (key, spec.pid, json.dumps(ids)),
                    )
                    continue
                db.execute(
                    "INSERT INTO items (key, source, state, pid, n_claims, updated) "
                    "VALUES (?, ?, 'written', ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                    "state = 'written', pid = excluded.pid, n_claims = excluded.n_claims, "
                    "stage = NULL, reason = NULL, message = NULL, updated = excluded.updated",
                    (key, source, spec.pid, len(ids), now),
                )
                db.executemany(
                    "INSERT OR IGNORE INTO claims (claim_id, key, pid) VALUES (?, ?, ?)",
                    [(cid, key, spec.pid) for cid in ids],
                )
                n_claims += len(ids)
            for f in result.failures:
                self._failed(db, f, spec.pid, now)
            for key, source in result.skipped:
                db.execute(
                    "INSERT INTO items (key, source, state, pid, updated) "
                    "VALUES (?, ?, 'skipped', ?, ?) ON CONFLICT(key) DO NOTHING",
                    (key, source, spec.pid, now),
                )
            db.execute(
                "INSERT INTO partitions (pid, spec, state, shard, articles, claims, failed, "
                "seconds, updated) VALUES (?, ?, 'loaded', ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(pid) DO UPDATE SET state = 'loaded', shard = excluded.shard, "
                "articles = excluded.articles, claims = excluded.claims, "
                "failed = excluded.failed, seconds = excluded.seconds, message = NULL, "
                "db_loaded = 0, updated = excluded.updated",
                (
                    spec.pid,
                    spec.describe(),
                    result.shard,
                    len(result.articles),
                    n_claims,
                    len(result.failures),
                    result.seconds,
                    now,
                ),
            )
        return True

    @staticmethod
    def _failed(db: sqlite3.Connection, f: dict[str, str], pid: str | None, now: float) -> None:
        db.execute(
            "INSERT INTO items (key, source, state, pid, stage, reason, message, updated) "
            "VALUES (?, ?, 'failed', ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
            "stage = excluded.stage, reason = excluded.reason, message = excluded.message, "
            "pid = excluded.pid, updated = excluded.updated WHERE items.state = 'failed'",
            (f["key"], f["source"], pid, f["stage"], f["reason"], f["message"], now),
        )

    def source_failures(self, failures: Iterable["Failure"]) -> None:
        now = time.time()
        with self._tx() as db:
            for f in failures:
                self._failed(db, f.to_json(), None, now)

    def partition_failed(self, spec: PartitionSpec, message: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO partitions (pid, spec, state, message, updated) "
                "VALUES (?, ?, 'failed', ?, ?) ON CONFLICT(pid) DO UPDATE SET "
                "state = 'failed', message = excluded.message, updated = excluded.updated "
                "WHERE partitions.state = 'failed'",
                (spec.pid, spec.describe(), message, time.time()),
            )

    def failures(self) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT key, source, stage, reason, message FROM items WHERE state = 'failed' "
            "ORDER BY key"
        )
        out = [
            dict(zip(("key", "source", "stage", "reason", "message"), r, strict=True)) for r in rows
        ]
        for pid, spec, message in self.query(
            "SELECT pid, spec, message FROM partitions WHERE state = 'failed' ORDER BY pid"
        ):
            out.append(
                {
                    "key": f"partition:{pid}",
                    "source": spec,
                    "stage": "extract",
                    "reason": "crash",
                    "message": message,
                }
            )
        return out

    def duplicates(self) -> dict[str, set[str]]:
        """Claim ids to remove, by partition, of articles another partition wrote."""
        out: dict[str, set[str]] = {}
        for pid, ids in self.query("SELECT pid, claim_ids FROM duplicates"):
            out.setdefault(pid, set()).update(json.loads(ids))
        return out

    def not_in_db(self) -> list[tuple[str, str | None]]:
        return self.query(  # type: ignore[return-value]
            "SELECT pid, shard FROM partitions WHERE state = 'loaded' AND db_loaded = 0 "
            "ORDER BY pid"
        )

    def in_db(self, pid: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE partitions SET db_loaded = 1 WHERE pid = ?", (pid,))

    def shard_of(self, pid: str) -> str | None:
        row = self.query("SELECT shard FROM partitions WHERE pid = ?", (pid,))
        return row[0][0] if row else None


def load_db(ledger: DaskLedger, out: Path, db: str) -> int:
    """Load the shards not yet in database `db` (store.load_claims_file, idempotent); returns
    the claims stored. A shard is marked loaded only after its load committed: a crash in
    between loads it again, and the store keeps each claim once."""
    try:
        from extractor.store import connect, load_claims_file
    except ImportError as e:
        raise NewsclaimsError("--db needs the db extra: pip install 'newsclaims[db]'") from e

    engine = connect(db, create=True)
    stored = 0
    try:
        for pid, shard in ledger.not_in_db():
            if shard and (out / shard).exists():
                stored += load_claims_file(engine, out / shard).claims
            ledger.in_db(pid)
    finally:
        engine.dispose()
    return stored


def finalise(ledger: DaskLedger, out: Path) -> int:
    """Drop from shards the claims of articles that another partition wrote (idempotent).

    Run after every task has been released, so no retry can write an unfiltered shard again.
    Returns the number of claim lines removed.
    """
    removed = 0
    for pid, ids in ledger.duplicates().items():
        name = ledger.shard_of(pid)
        if not name or not (out / name).exists():
            continue
        kept: list[str] = []
        dropped = 0
        for line in (out / name).read_text(encoding="utf-8").splitlines(keepends=True):
            if json.loads(line)["claim_id"] in ids:
                dropped += 1
            else:
                kept.append(line)
        removed += dropped
        if dropped:
            if kept:
                write_atomic(out / name, "".join(kept))
            else:
                (out / name).unlink()
    return removed


# --- the runner --------------------------------------------------------------------------


@dataclass
class DaskSummary:
    """Counts for the whole output directory, plus this invocation's work and rate."""

    output: str
    engine: str
    workers: int
    partitions: int
    partitions_run: int
    partitions_failed: int
    articles: int
    written: int
    claims: int
    failed: int
    skipped: int
    processed_now: int
    elapsed_s: float
    articles_per_s: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        return (
            f"{self.written} articles written, {self.claims} claims, {self.failed} failed, "
            f"{self.skipped} skipped; {self.processed_now} this run on {self.workers} Dask "
            f"worker(s), {self.partitions_run} of {self.partitions} partitions, in "
            f"{self.elapsed_s:.1f} s ({self.articles_per_s:.2f} art/s) -> {self.output}"
        )


def run_dask(
    sources: list[str],
    out_dir: str | Path,
    *,
    settings: "Settings",
    model: str | None = None,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    batch_size: int = 32,
    since: dt.date | None = None,
    published: dt.date | None = None,
    retry_failed: bool = False,
    progress: bool | None = None,
    db: str | None = None,
) -> DaskSummary:
    """Process `sources` into `out_dir` on Dask, resuming whatever a previous run left.

    client: a dask.distributed Client to use (left open); else one connected to `scheduler`
        (tcp://host:8786), else a LocalCluster of `workers` processes (default: one per
        core) with one thread each, closed at the end. With a remote scheduler `out_dir`
        must be a path every worker can write (a shared file system) and the workers need
        newsclaims and its model installed.
    db: a database URL (extractor.store) to load the claims into after the run; only shards
        not loaded by an earlier run are loaded, and loading is idempotent.
    Failed articles are data (failures.jsonl); a partition whose workers keep dying is
    recorded as failed and tried again by the next run.
    """
    started = time.monotonic()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(str(out), f"cannot create the output directory: {e}") from e
    from extractor.batch import LEDGER as BATCH_LEDGER

    if (out / BATCH_LEDGER).exists():
        raise InputError(
            str(out), "holds a run of the default engine; use another directory for --engine dask"
        )
    if partition_size < 1:
        raise InputError("--partition-size", "must be at least 1")
    specs, source_failures = plan(
        sources, settings=settings, partition_size=partition_size, since=since, published=published
    )
    ledger = DaskLedger(out / LEDGER)
    try:
        for tmp in out.glob(".claims-*.tmp"):
            tmp.unlink()
        ledger.source_failures(source_failures)
        written_before = _count(ledger, "written")
        done = ledger.loaded()
        if retry_failed:
            done -= ledger.with_failed_items()
        todo = [s for s in specs if s.pid not in done]
        n_workers = 0
        if todo:
            n_workers = _run_on_dask(
                todo,
                ledger,
                out,
                client=client,
                scheduler=scheduler,
                workers=workers,
                progress=progress,
                task_kwargs={
                    "settings": settings,
                    "model": model,
                    "since": since,
                    "published": published,
                    "batch_size": batch_size,
                },
            )
        finalise(ledger, out)
        if db:
            load_db(ledger, out, db)
        summary = _summarise(ledger, out, specs, len(todo), n_workers, started, written_before)
        write_atomic(out / FAILURES, "".join(json.dumps(f) + "\n" for f in ledger.failures()))
        write_atomic(out / SUMMARY, json.dumps(summary.to_json(), indent=2) + "\n")
    finally:
        ledger.close()
    return summary


def _count(ledger: DaskLedger, state: str) -> int:
    return int(ledger.query("SELECT COUNT(*) FROM items WHERE state = ?", (state,))[0][0])


def _summarise(
    ledger: DaskLedger,
    out: Path,
    specs: list[PartitionSpec],
    ran: int,
    n_workers: int,
    started: float,
    written_before: int,
) -> DaskSummary:
    counts = dict(ledger.query("SELECT state, COUNT(*) FROM items GROUP BY state"))
    claims = ledger.query("SELECT COALESCE(SUM(n_claims), 0) FROM items WHERE state = 'written'")
    failed_parts = ledger.query("SELECT COUNT(*) FROM partitions WHERE state = 'failed'")
    elapsed = time.monotonic() - started
    now = counts.get("written", 0) - written_before
    return DaskSummary(
        output=str(out),
        engine="dask",
        workers=n_workers,
        partitions=len(specs),
        partitions_run=ran,
        partitions_failed=int(failed_parts[0][0]),
        articles=sum(counts.values()),
        written=counts.get("written", 0),
        claims=int(claims[0][0]),
        failed=counts.get("failed", 0) + int(failed_parts[0][0]),
        skipped=counts.get("skipped", 0),
        processed_now=now,
        elapsed_s=round(elapsed, 3),
        articles_per_s=round(now / elapsed, 3) if elapsed > 0 else 0.0,
    )


def _run_on_dask(
    todo: list[PartitionSpec],
    ledger: DaskLedger,
    out: Path,
    *,
    client: Any,
    scheduler: str | None,
    workers: int | None,
    progress: bool | None,
    task_kwargs: dict[str, Any],
) -> int:
    """Submit one task per partition and load each result as it arrives; returns workers."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as e:
        raise NewsclaimsError("--engine dask needs Dask: pip install 'newsclaims[dask]'") from e

    with contextlib.ExitStack() as stack:
        if client is None:
            if scheduler:
                try:
                    client = stack.enter_context(Client(scheduler, timeout="10s"))
                except (OSError, TimeoutError) as e:
                    raise NewsclaimsError(
                        f"cannot reach the Dask scheduler {scheduler}: {e}"
                    ) from e
            else:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=workers or os.cpu_count() or 1,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",
                    )
                )
                client = stack.enter_context(Client(cluster))
        show = sys.stderr.isatty() if progress is None else progress
        if show and client.dashboard_link:
            print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
        n_workers = len(client.scheduler_info().get("workers", {}))
        by_key = {f"newsclaims-partition-{s.pid}": s for s in todo}
        futures = [
            client.submit(
                run_partition, spec, str(out), key=key, pure=False, retries=1, **task_kwargs
            )
            for key, spec in by_key.items()
        ]
        bar = None
        if show:
            from distributed.diagnostics.progressbar import progress as dask_progress

            bar = threading.Thread(
                target=dask_progress, args=(futures,), kwargs={"complete": True}, daemon=True
            )
            bar.start()
        try:
            for future in as_completed(futures):
                spec = by_key[future.key]
                try:
                    result = future.result()
                except Exception as e:  # KilledWorker, or a bug on one partition
                    log.warning("partition %s failed: %s", spec.pid, e)
                    ledger.partition_failed(spec, f"{type(e).__name__}: {e}")
                else:
                    ledger.load(spec, result)
                future.release()
        finally:
            for future in futures:
                future.release()
            if bar is not None:
                bar.join(timeout=5)
        return n_workers
