"""Idempotent loading: each article in its own transaction, each claim stored once.

    engine = connect("sqlite:///claims.db")
    for article, claims in Extractor().pipe(articles):
        load_claims(engine, article, claims, extractor_version="0.1.0")

A claim's key is its claim_id (a hash of the article identity, the figure and its position),
so loading the same run twice, or two processes loading overlapping batches, leaves each
claim once: inserts use ON CONFLICT DO NOTHING. The latest load of an article is
authoritative: claims it no longer contains get `superseded_at` (they are never deleted), a
superseded claim that comes back is revived, and a claim whose content changed (a newer
extractor) is updated in place.
"""

import contextlib
import datetime as dt
import functools
import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite

from extractor.errors import InputError
from extractor.models import Article, Claim
from extractor.store import schema as s
from extractor.store.db import as_engine, write_transaction

# Columns compared to decide whether a stored claim must be updated.
_CONTENT = (
    "article_id",
    "sentence",
    "span_start",
    "span_end",
    "figure_text",
    "figure_value",
    "figure_unit",
    "figure_base",
    "topic",
    "actor",
    "speaker",
    "level",
    "cues",
    "start",
    "deadline",
    "published",
    "published_source",
    "claim_schema_version",
    "content_key",
)
# Article columns a claims-only load (no text, no URL) must not blank out.
_ARTICLE_KEEP = (
    "url",
    "title",
    "published",
    "published_source",
    "site",
    "author",
    "fetched_at",
    "text_hash",
    "text_chars",
)
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


@dataclass
class LoadResult:
    """What one or more loads did. `failed` counts input records that could not be loaded."""

    articles: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0
    failed: int = 0
    messages: list[str] = field(default_factory=list)

    def add(self, other: "LoadResult") -> None:
        for f in fields(self):
            if f.name == "messages":
                self.messages.extend(other.messages)
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def claims(self) -> int:
        """Claims present after the load (new, updated or already there)."""
        return self.inserted + self.updated + self.unchanged


def text_hash(text: str) -> str:
    """sha256 of the article text: tells a re-fetched, changed article from the same one."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_key(claim: Claim) -> str:
    """The same claim wherever it appears: normalised sentence plus figure value and unit.

    Wire copy carried by several outlets gives claims with different claim_ids (the article
    differs) but one content_key; exports use it to find a claim's first appearance.
    """
    sentence = re.sub(r"\s+", " ", claim.sentence.translate(_QUOTES)).strip().casefold()
    payload = json.dumps([sentence, claim.figure.value, claim.figure.unit], separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def claim_row(claim: Claim) -> dict[str, Any]:
    """The content columns of one claim (no article key, no timestamps)."""
    return {
        "claim_id": claim.claim_id,
        "article_id": claim.article_id,
        "sentence": claim.sentence,
        "span_start": claim.span[0],
        "span_end": claim.span[1],
        "figure_text": claim.figure.text,
        "figure_value": claim.figure.value,
        "figure_unit": claim.figure.unit,
        "figure_base": claim.figure.base,
        "topic": claim.topic.value,
        "actor": claim.actor,
        "speaker": claim.speaker,
        "level": claim.commitment.level.value,
        "cues": list(claim.commitment.cues),
        "start": claim.timeframe.start,
        "deadline": claim.timeframe.deadline,
        "published": claim.published,
        "published_source": claim.published_source,
        "claim_schema_version": claim.schema_version,
        "content_key": content_key(claim),
    }


def article_row(
    article: Article, *, extractor_version: str | None, fetched_at: dt.datetime | None
) -> dict[str, Any]:
    """The articles row for a full article (its text is hashed, not stored)."""
    return {
        "article_key": article.identity,
        "article_id": article.id,
        "url": article.url,
        "title": article.title,
        "published": article.published,
        "published_source": article.published_source or ("article" if article.published else None),
        "site": article.site,
        "author": article.author,
        "fetched_at": fetched_at,
        "text_hash": text_hash(article.text),
        "text_chars": len(article.text),
        "extractor_version": extractor_version,
    }


def load_claims(
    db: sa.Engine | str,
    article: Article,
    claims: Iterable[Claim],
    *,
    extractor_version: str | None = None,
    fetched_at: dt.datetime | None = None,
) -> LoadResult:
    """Store one article and ALL its claims in one transaction; return what changed.

    db: an engine from `connect()` (reuse it across articles) or a URL (opened, migrated and
        closed again for this one call).
    claims: the complete list for this article: stored claims of the article that are not in
        it are marked superseded. An empty list records the article and supersedes them all.
    extractor_version: recorded on the article and new claims (default: this newsclaims).
    fetched_at: when the text was fetched, if known.
    Raises InputError if a claim belongs to another article, StoreError if the database
    fails (the transaction is rolled back: nothing of this article is written).
    """
    claims = list(claims)
    for claim in claims:
        if claim.article_id != article.id:
            raise InputError(
                article.id,
                f"claim {claim.claim_id} belongs to article {claim.article_id!r}, "
                f"not {article.id!r}",
            )
    version = extractor_version or _default_version()
    row = article_row(article, extractor_version=version, fetched_at=fetched_at)
    engine, owned = as_engine(db)
    try:
        with write_transaction(engine) as conn:
            return _load(conn, row, claims, version=version, supersede=True)
    finally:
        if owned:
            engine.dispose()


def load_claim_group(
    engine: sa.Engine,
    claims: list[Claim],
    *,
    article: Article | None = None,
    extractor_version: str | None = None,
    supersede: bool = True,
) -> LoadResult:
    """Store claims of one article known only from claim records (no article text).

    The article row is found by a stored claim id or article id, else keyed by the
    article id; its known metadata is kept. supersede=False adds without superseding (a
    later group of the same article in one input file).
    """
    if not claims:
        return LoadResult()
    version = extractor_version or _default_version()
    if article is not None:
        row = article_row(article, extractor_version=version, fetched_at=None)
    else:
        first = claims[0]
        row = {
            "article_key": None,
            "article_id": first.article_id,
            "published": first.published,
            "published_source": first.published_source,
            "extractor_version": version,
        }
    with write_transaction(engine) as conn:
        if row["article_key"] is None:
            row["article_key"] = _find_article_key(conn, claims)
        return _load(conn, row, claims, version=version, supersede=supersede)


_KEY_OF_CLAIMS = (
    sa.select(s.claims.c.article_key)
    .where(s.claims.c.claim_id.in_(sa.bindparam("ids", expanding=True)))
    .distinct()
)
_KEY_OF_ARTICLE_ID = sa.select(s.articles.c.article_key).where(
    s.articles.c.article_id == sa.bindparam("article_id")
)


def _find_article_key(conn: sa.Connection, claims: list[Claim]) -> str:
    keys = conn.scalars(_KEY_OF_CLAIMS, {"ids": [c.claim_id for c in claims]}).all()
    if len(keys) == 1:
        return keys[0]
    article_id = claims[0].article_id
    keys = conn.scalars(_KEY_OF_ARTICLE_ID, {"article_id": article_id}).all()
    return keys[0] if len(keys) == 1 else article_id


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


# Statements are built once per dialect (and column set) so SQLAlchemy's compiled cache hits.
@functools.cache
def _article_upsert(dialect: str, columns: tuple[str, ...]) -> Any:
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(s.articles)
    update = {
        c: (
            sa.func.coalesce(stmt.excluded[c], s.articles.c[c])
            if c in _ARTICLE_KEEP
            else stmt.excluded[c]
        )
        for c in columns
        if c not in ("article_key", "article_id")
    }
    # Rewrite the row only when something but the load time differs: an unchanged re-run then
    # writes nothing (no commit to flush). PostgreSQL locks the conflicting row even when the
    # WHERE is false, so concurrent loads of one article still take turns.
    changed = sa.or_(
        *(s.articles.c[c].is_distinct_from(v) for c, v in update.items() if c != "loaded_at")
    )
    return stmt.on_conflict_do_update(
        index_elements=["article_key"], set_=update, where=changed
    ).returning(s.articles.c.article_key)


@functools.cache
def _claim_insert(dialect: str) -> Any:
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(s.claims)
    return stmt.on_conflict_do_nothing(index_elements=["claim_id"]).returning(s.claims.c.claim_id)


_c = s.claims.c
_STORED = sa.select(
    _c.claim_id, _c.article_key, _c.superseded_at, *(_c[n] for n in _CONTENT)
).where(
    sa.or_(
        _c.article_key == sa.bindparam("key"),
        _c.claim_id.in_(sa.bindparam("ids", expanding=True)),
    )
)
_UPDATE = (
    sa.update(s.claims)
    .where(_c.claim_id == sa.bindparam("b_claim_id"))
    .values(
        {n: sa.bindparam(n) for n in (*_CONTENT, "updated_at", "extractor_version")}
        | {"superseded_at": None}
    )
)
_SUPERSEDE = (
    sa.update(s.claims)
    .where(_c.claim_id.in_(sa.bindparam("ids", expanding=True)), _c.superseded_at.is_(None))
    .values(superseded_at=sa.bindparam("now"), updated_at=sa.bindparam("now"))
)


def _load(
    conn: sa.Connection,
    row: dict[str, Any],
    claims: list[Claim],
    *,
    version: str,
    supersede: bool,
) -> LoadResult:
    now = s.utcnow()
    key = row["article_key"]
    result = LoadResult(articles=1)

    # The article upsert comes first: on PostgreSQL its row lock makes concurrent loads of the
    # same article take turns, so the claim comparison below sees the other's committed rows.
    row = {**row, "loaded_at": now}
    article_written = conn.execute(_article_upsert(conn.dialect.name, tuple(row)), row).first()

    incoming = {}
    for claim in claims:
        incoming.setdefault(claim.claim_id, claim_row(claim))
    stored = {r.claim_id: r for r in conn.execute(_STORED, {"key": key, "ids": list(incoming)})}

    new_rows, changed = [], []
    for claim_id, values in incoming.items():
        old = stored.get(claim_id)
        if old is None:
            new_rows.append(
                {
                    **values,
                    "article_key": key,
                    "text_hash": row.get("text_hash"),
                    "extractor_version": version,
                    "loaded_at": now,
                    "updated_at": now,
                    "superseded_at": None,
                }
            )
        elif old.superseded_at is not None or any(getattr(old, n) != values[n] for n in _CONTENT):
            changed.append(
                {**values, "b_claim_id": claim_id, "updated_at": now, "extractor_version": version}
            )
        else:
            result.unchanged += 1

    if new_rows:
        inserted = conn.execute(_claim_insert(conn.dialect.name), new_rows).all()
        result.inserted = len(inserted)
        result.unchanged += len(new_rows) - len(inserted)  # a concurrent loader was first
    if changed:
        conn.execute(_UPDATE, changed)
        result.updated = len(changed)

    if supersede:
        gone = [
            claim_id
            for claim_id, old in stored.items()
            if claim_id not in incoming and old.article_key == key and old.superseded_at is None
        ]
        if gone:
            conn.execute(_SUPERSEDE, {"ids": gone, "now": now})
            result.superseded = len(gone)

    if (
        conn.dialect.name == "postgresql"
        and article_written is None
        and not (result.inserted or result.updated or result.superseded)
    ):
        # Nothing changed; only the article row's lock was written. Such a commit need not
        # wait for its WAL flush: losing it in a server crash loses no data.
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
    return result


def record_failure(
    db: sa.Engine,
    *,
    source: str,
    message: str,
    stage: str = "load",
    line: int | None = None,
    article_key: str | None = None,
) -> None:
    """Record an input that could not be loaded; recording the same failure twice keeps one."""
    failure_id = hashlib.sha256(
        json.dumps([source, line, stage, message], separators=(",", ":")).encode()
    ).hexdigest()[:32]
    with write_transaction(db) as conn:
        conn.execute(
            _insert(conn, s.failures)
            .values(
                failure_id=failure_id,
                source=source,
                line=line,
                article_key=article_key,
                stage=stage,
                message=message,
                recorded_at=s.utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["failure_id"])
        )


def load_claims_file(
    db: sa.Engine,
    path: str | Path,
    *,
    articles: Mapping[str, Article] | None = None,
    extractor_version: str | None = None,
    stream: IO[bytes] | None = None,
) -> LoadResult:
    """Load a claim JSONL file (the output of `newsclaims extract`), one article at a time.

    The claims of one article_id are gathered from the whole file (a first pass indexes the
    lines) and stored in one transaction, so an article split across the file is still
    loaded as one. A line that is not a valid claim is recorded in the failures table,
    counted in `failed` and skipped; its article is then loaded without superseding, since
    its claim list is incomplete. articles: Article records by id (the input given to
    `extract`) to store URL, title and text hash. stream: read this binary stream (stdin)
    instead of opening `path`, which then only names the source.
    """
    source = str(path)
    result = LoadResult()

    def fail(lineno: int, message: str) -> None:
        result.failed += 1
        result.messages.append(f"{source}:{lineno}: {message}")
        record_failure(db, source=source, line=lineno, message=message)

    with _seekable(source, stream) as handle:
        index: dict[str, list[tuple[int, int]]] = {}
        offset = 0
        for lineno, raw in enumerate(handle, 1):
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError as e:
                fail(lineno, f"not JSON ({e})")
                continue
            article_id = record.get("article_id") if isinstance(record, dict) else None
            if not isinstance(article_id, str) or not article_id:
                fail(lineno, "not a claim record: article_id: missing or not a string")
                continue
            index.setdefault(article_id, []).append((lineno, start))

        for article_id, entries in index.items():
            claims: list[Claim] = []
            complete = True
            for lineno, start in entries:
                handle.seek(start)
                try:
                    claims.append(Claim.model_validate_json(handle.readline()))
                except ValidationError as e:
                    fail(lineno, "not a claim record: " + _first_error(e))
                    complete = False
            result.add(
                load_claim_group(
                    db,
                    claims,
                    article=articles.get(article_id) if articles else None,
                    extractor_version=extractor_version,
                    supersede=complete,
                )
            )
    return result


@contextlib.contextmanager
def _seekable(source: str, stream: IO[bytes] | None) -> Iterator[IO[bytes]]:
    if stream is None:
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as e:
            raise InputError(source, e.strerror or str(e)) from None
        with handle:
            yield handle
    elif stream.seekable():
        yield stream
    else:
        with tempfile.TemporaryFile() as spool:
            shutil.copyfileobj(stream, spool)
            spool.seek(0)
            yield spool


def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err['msg']}" if where else err["msg"]


def _default_version() -> str:
    from extractor import __version__

    return f"newsclaims {__version__}"
