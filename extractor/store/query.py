"""Querying stored claims: filters in, `extractor.models.Claim` out.

    engine = connect("sqlite:///claims.db", create=False)
    query_claims(engine, Filters(actor="Britain", topic="defence", level="certainty",
                                 published_since="2025-01-01"))

Text filters (actor, speaker, text) are case-insensitive; actor and speaker match the whole
value, text matches any part of the sentence. topic, level and unit take one value or a list
(any of them). Date bounds are inclusive. start and deadline are ISO partial dates ("2030",
"2030-06"): a partial date counts as its first day, and a bound covers its whole period, so
deadline_until="2030" keeps "2030", "2030-06" and "2030-12-31".
Results are ordered by publication date (undated last), article, position: the same on
SQLite and PostgreSQL.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from extractor.models import ISO_PARTIAL, Claim, Commitment, Figure, Level, Timeframe, Topic
from extractor.store import schema as s
from extractor.store.db import read_transaction


def _as_tuple(v: object) -> object:
    if v is None:
        return ()
    if isinstance(v, str):
        return (v,)
    return tuple(v) if isinstance(v, list | tuple | set | frozenset) else v


_Partial = Annotated[str, Field(pattern=ISO_PARTIAL)]


class Filters(BaseModel):
    """Which claims to return; every filter given must hold (AND)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    actor: str | None = None
    speaker: str | None = None
    topic: Annotated[tuple[Topic, ...], BeforeValidator(_as_tuple)] = ()
    level: Annotated[tuple[Level, ...], BeforeValidator(_as_tuple)] = ()
    unit: Annotated[
        tuple[Annotated[str, Field(pattern=r"^(percent|[A-Za-z]{3})$")], ...],
        BeforeValidator(_as_tuple),
    ] = ()
    published_since: dt.date | None = None
    published_until: dt.date | None = None
    start_since: _Partial | None = None
    start_until: _Partial | None = None
    deadline_since: _Partial | None = None
    deadline_until: _Partial | None = None
    text: str | None = Field(default=None, description="Part of the sentence.")
    article: str | None = Field(default=None, description="An article id or URL.")
    include_superseded: bool = False

    @field_validator("start_since", "start_until", "deadline_since", "deadline_until")
    @classmethod
    def _real_date(cls, v: str | None) -> str | None:
        if v is not None:
            parts = [int(p) for p in v.split("-")] + [1, 1]
            dt.date(*parts[:3])  # ValueError (month 13, 30 February) becomes a validation error
        return v

    @field_validator("unit")
    @classmethod
    def _unit_case(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(u if u == "percent" else u.upper() for u in v)


def next_period(partial: str) -> str:
    """The first partial date after the period `partial` names: '2030' -> '2031',
    '2030-12' -> '2031-01', '2030-02-28' -> '2030-03-01'."""
    parts = [int(p) for p in partial.split("-")]
    if len(parts) == 1:
        return f"{parts[0] + 1:04d}"
    if len(parts) == 2:
        year, month = parts
        return f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"
    day = dt.date(*parts) + dt.timedelta(days=1)
    return day.isoformat()


def _ordered_text(conn: sa.Connection, column: Any) -> Any:
    # PostgreSQL sorts text by the database's locale; "C" gives code point order, as SQLite.
    return column.collate("C") if conn.dialect.name == "postgresql" else column


def where_clauses(filters: Filters) -> list[Any]:
    """SQL conditions on the claims table for `filters`."""
    c = s.claims.c
    out: list[Any] = []
    if not filters.include_superseded:
        out.append(c.superseded_at.is_(None))
    if filters.actor is not None:
        out.append(sa.func.lower(c.actor) == filters.actor.lower())
    if filters.speaker is not None:
        out.append(sa.func.lower(c.speaker) == filters.speaker.lower())
    if filters.topic:
        out.append(c.topic.in_([t.value for t in filters.topic]))
    if filters.level:
        out.append(c.level.in_([lv.value for lv in filters.level]))
    if filters.unit:
        out.append(c.figure_unit.in_(list(filters.unit)))
    if filters.published_since is not None:
        out.append(c.published >= filters.published_since)
    if filters.published_until is not None:
        out.append(c.published <= filters.published_until)
    for name in ("start", "deadline"):
        column = c[name]
        since = getattr(filters, f"{name}_since")
        until = getattr(filters, f"{name}_until")
        if since is not None:
            out.append(column >= since)
        if until is not None:
            out.append(column < next_period(until))
    if filters.text:
        out.append(sa.func.lower(c.sentence).contains(filters.text.lower(), autoescape=True))
    if filters.article is not None:
        out.append(
            sa.or_(
                c.article_id == filters.article,
                c.article_key == filters.article,
            )
        )
    return out


def select_claims(conn: sa.Connection, filters: Filters, *, limit: int | None = None) -> sa.Select:
    """claims joined with their article (url, title, site), filtered and ordered."""
    c, a = s.claims.c, s.articles.c
    stmt = (
        sa.select(
            s.claims,
            a.url.label("article_url"),
            a.title.label("article_title"),
            a.site.label("article_site"),
        )
        .join(s.articles, a.article_key == c.article_key)
        .where(*where_clauses(filters))
        .order_by(
            c.published.is_(None),
            c.published,
            _ordered_text(conn, c.article_key),
            c.span_start,
            _ordered_text(conn, c.claim_id),
        )
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


def row_to_claim(row: Any) -> Claim:
    """A stored row back as the model extraction returns."""
    m = row._mapping
    return Claim(
        schema_version=m["claim_schema_version"],
        claim_id=m["claim_id"],
        article_id=m["article_id"],
        sentence=m["sentence"],
        span=(m["span_start"], m["span_end"]),
        figure=Figure(
            text=m["figure_text"],
            value=m["figure_value"],
            unit=m["figure_unit"],
            base=m["figure_base"],
        ),
        topic=m["topic"],
        actor=m["actor"],
        speaker=m["speaker"],
        commitment=Commitment(level=m["level"], cues=list(m["cues"] or [])),
        timeframe=Timeframe(start=m["start"], deadline=m["deadline"]),
        published=m["published"],
        published_source=m["published_source"],
    )


def iter_rows(
    db: sa.Engine, filters: Filters | None = None, *, limit: int | None = None
) -> Iterator[Any]:
    """Stream the matching rows (claims columns plus article_url/title/site)."""
    filters = filters or Filters()
    with read_transaction(db) as conn:
        result = conn.execution_options(yield_per=500).execute(
            select_claims(conn, filters, limit=limit)
        )
        yield from result


def query_claims(
    db: sa.Engine, filters: Filters | None = None, *, limit: int | None = None
) -> list[Claim]:
    """The stored claims matching `filters`, as `Claim` models, in a stable order."""
    return [row_to_claim(r) for r in iter_rows(db, filters, limit=limit)]


def count_claims(db: sa.Engine, filters: Filters | None = None) -> int:
    """How many stored claims match `filters`."""
    filters = filters or Filters()
    with read_transaction(db) as conn:
        return conn.scalar(
            sa.select(sa.func.count()).select_from(s.claims).where(*where_clauses(filters))
        )
