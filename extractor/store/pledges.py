"""Pledges and their events in the claims database, and their export.

    from extractor.store.pledges import save_pledges, iter_event_rows, write_events
    save_pledges(engine, track(query_claims(engine), articles=...))
    write_events(engine, sys.stdout, fmt="csv")

Tracking is derived data: it is recomputed from the claims whenever they change, so its
tables are not part of the claims schema's migrations (extractor/store/schema.py) but are
created on first save, in their own metadata. A save replaces the stored pledges in its
scope (the topics and actor it was run for; everything when unscoped) in one transaction.

Tables: `pledges` (one row per pledge), `pledge_claims` (one row per appearance of each of
its claims: position in the pledge, the claim, whether it is the first appearance) and
`pledge_events` (one row per event, citing both claims, their articles and sentences).
"""

import csv
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, Literal

import sqlalchemy as sa

from extractor.models import Article
from extractor.store import schema as s
from extractor.store.db import read_transaction, write_transaction
from extractor.track import Pledge

tracking_metadata = sa.MetaData()
_Timestamp = sa.DateTime(timezone=True)

pledges_table = sa.Table(
    "pledges",
    tracking_metadata,
    sa.Column("pledge_id", sa.String(32), primary_key=True),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("topic", sa.String(32), nullable=False),
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("base", sa.String(8)),
    sa.Column("measure", sa.String(16), nullable=False),
    sa.Column("first_published", sa.Date),
    sa.Column("last_published", sa.Date),
    sa.Column("first_article_id", sa.Text, nullable=False),
    sa.Column("first_span_start", sa.Integer, nullable=False),
    sa.Column("claims", sa.Integer, nullable=False),
    sa.Column("events", sa.Integer, nullable=False),
    sa.Column("computed_at", _Timestamp, nullable=False),
)
sa.Index("ix_pledges_actor_topic", pledges_table.c.actor, pledges_table.c.topic)

pledge_claims_table = sa.Table(
    "pledge_claims",
    tracking_metadata,
    sa.Column("pledge_id", sa.String(32), primary_key=True),
    sa.Column("claim_id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, comment="Index of the claim in the pledge"),
    sa.Column("article_id", sa.Text, nullable=False),
    sa.Column("first_appearance", sa.Boolean, nullable=False),
    sa.Column("statement_claim_id", sa.String(64), nullable=False, comment="The first copy"),
)

EVENT_COLUMNS = (
    "event_id",
    "pledge_id",
    "position",
    "actor",
    "topic",
    "measure",
    "kind",
    "direction",
    "label",
    "before",
    "after",
    "from_level",
    "to_level",
    "from_value",
    "to_value",
    "by",
    "earlier_claim_id",
    "earlier_article_id",
    "earlier_published",
    "earlier_sentence",
    "later_claim_id",
    "later_article_id",
    "later_published",
    "later_sentence",
)

pledge_events_table = sa.Table(
    "pledge_events",
    tracking_metadata,
    sa.Column("event_id", sa.String(32), primary_key=True),
    sa.Column("pledge_id", sa.String(32), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("topic", sa.String(32), nullable=False),
    sa.Column("measure", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("direction", sa.String(16), nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("before", sa.Text, nullable=False),
    sa.Column("after", sa.Text, nullable=False),
    sa.Column("from_level", sa.String(16)),
    sa.Column("to_level", sa.String(16)),
    sa.Column("from_value", sa.Double),
    sa.Column("to_value", sa.Double),
    sa.Column("by", sa.Text),
    sa.Column("earlier_claim_id", sa.String(64), nullable=False),
    sa.Column("earlier_article_id", sa.Text, nullable=False),
    sa.Column("earlier_published", sa.Date),
    sa.Column("earlier_sentence", sa.Text, nullable=False),
    sa.Column("later_claim_id", sa.String(64), nullable=False),
    sa.Column("later_article_id", sa.Text, nullable=False),
    sa.Column("later_published", sa.Date),
    sa.Column("later_sentence", sa.Text, nullable=False),
    sa.Column("computed_at", _Timestamp, nullable=False),
)
sa.Index("ix_pledge_events_pledge", pledge_events_table.c.pledge_id)
TRACKING_TABLES = ("pledges", "pledge_claims", "pledge_events")


def _event_rows(pledge: Pledge, now: dt.datetime) -> Iterator[dict[str, Any]]:
    for i, e in enumerate(pledge.events):
        yield {
            "event_id": hashlib.sha256(f"{pledge.pledge_id}:{i}".encode()).hexdigest()[:16],
            "pledge_id": pledge.pledge_id,
            "position": i,
            "actor": pledge.actor,
            "topic": pledge.topic.value,
            "measure": pledge.measure,
            "kind": e.kind,
            "direction": e.direction,
            "label": e.label,
            "before": e.before,
            "after": e.after,
            "from_level": e.from_level.value if e.from_level else None,
            "to_level": e.to_level.value if e.to_level else None,
            "from_value": e.from_value,
            "to_value": e.to_value,
            "by": e.by,
            "earlier_claim_id": e.earlier.claim_id,
            "earlier_article_id": e.earlier.article_id,
            "earlier_published": e.earlier.published,
            "earlier_sentence": e.earlier.sentence,
            "later_claim_id": e.later.claim_id,
            "later_article_id": e.later.article_id,
            "later_published": e.later.published,
            "later_sentence": e.later.sentence,
            "computed_at": now,
        }


def save_pledges(
    engine: sa.Engine,
    pledges: Sequence[Pledge],
    *,
    topics: Iterable[str] | None = None,
    actor: str | None = None,
) -> int:
    """Store `pledges` and their events, replacing the stored ones in scope (pledges of
    `topics` and `actor` when given, else all). Returns the number of events stored."""
    now = s.utcnow()
    topic_list = sorted(set(topics or ()))
    with write_transaction(engine) as conn:
        tracking_metadata.create_all(conn, checkfirst=True)
        scope = []
        if topic_list:
            scope.append(pledges_table.c.topic.in_(topic_list))
        if actor is not None:
            scope.append(pledges_table.c.actor == actor)
        old = sa.select(pledges_table.c.pledge_id).where(*scope)
        conn.execute(sa.delete(pledge_events_table).where(pledge_events_table.c.pledge_id.in_(old)))
        conn.execute(sa.delete(pledge_claims_table).where(pledge_claims_table.c.pledge_id.in_(old)))
        conn.execute(sa.delete(pledges_table).where(*scope))
        pledge_rows, claim_rows, event_rows = [], [], []
        for p in pledges:
            dates = [tc.published for tc in p.claims if tc.published]
            pledge_rows.append(
                {
                    "pledge_id": p.pledge_id,
                    "actor": p.actor,
                    "topic": p.topic.value,
                    "unit": p.unit,
                    "base": p.base,
                    "measure": p.measure,
                    "first_published": min(dates) if dates else None,
                    "last_published": max(dates) if dates else None,
                    "first_article_id": p.claims[0].claim.article_id,
                    "first_span_start": p.claims[0].claim.span[0],
                    "claims": len(p.claims),
                    "events": len(p.events),
                    "computed_at": now,
                }
            )
            for position, tc in enumerate(p.claims):
                for k, a in enumerate(tc.appearances):
                    claim_rows.append(
                        {
                            "pledge_id": p.pledge_id,
                            "claim_id": a.claim_id,
                            "position": position,
                            "article_id": a.article_id,
                            "first_appearance": k == 0,
                            "statement_claim_id": tc.claim.claim_id,
                        }
                    )
            event_rows.extend(_event_rows(p, now))
        for table, rows in (
            (pledges_table, pledge_rows),
            (pledge_claims_table, claim_rows),
            (pledge_events_table, event_rows),
        ):
            if rows:
                conn.execute(sa.insert(table), rows)
    return len(event_rows)


def stored_articles(engine: sa.Engine, article_ids: Iterable[str]) -> list[Article]:
    """The stored articles with these ids, as Articles (the text is not stored: empty)."""
    ids = sorted(set(article_ids))
    a = s.articles.c
    out: list[Article] = []
    with read_transaction(engine) as conn:
        for i in range(0, len(ids), 500):
            rows = conn.execute(
                sa.select(s.articles).where(a.article_id.in_(ids[i : i + 500]))
            ).mappings()
            for m in rows:
                out.append(
                    Article(
                        id=m["article_id"],
                        text="",
                        title=m["title"],
                        published=m["published"],
                        url=m["url"],
                        site=m["site"],
                        published_source=m["published_source"],
                        author=m["author"],
                    )
                )
    return out


def iter_event_rows(
    engine: sa.Engine, *, actor: str | None = None, topic: str | None = None
) -> Iterator[dict[str, Any]]:
    """Stored events in the order `track` returns them: pledges by actor, topic, measure and
    first claim (date, article, position), then events in order."""
    e, p = pledge_events_table.c, pledges_table.c
    with read_transaction(engine) as conn:
        if not sa.inspect(conn).has_table("pledge_events"):
            return
        stmt = (
            sa.select(*(e[name] for name in EVENT_COLUMNS))
            .join(pledges_table, p.pledge_id == e.pledge_id)
            .order_by(
                p.actor, p.topic, p.measure, p.first_published.is_(None), p.first_published,
                p.first_article_id, p.first_span_start, p.pledge_id, e.position,
            )
        )  # fmt: skip
        if actor is not None:
            stmt = stmt.where(sa.func.lower(p.actor) == actor.lower())
        if topic is not None:
            stmt = stmt.where(p.topic == topic)
        for row in conn.execute(stmt).mappings():
            yield dict(row)


def write_events(
    engine: sa.Engine,
    out: IO[str],
    *,
    fmt: Literal["jsonl", "csv"] = "jsonl",
    actor: str | None = None,
    topic: str | None = None,
) -> int:
    """Export the stored events, one a line (JSONL) or a CSV table; returns the count."""
    import json

    n = 0
    writer = None
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(EVENT_COLUMNS), lineterminator="\n")
        writer.writeheader()
    for row in iter_event_rows(engine, actor=actor, topic=topic):
        for key in ("earlier_published", "later_published"):
            if row[key] is not None:
                row[key] = row[key].isoformat()
        if writer is not None:
            writer.writerow(row)
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n
