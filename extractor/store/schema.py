"""The database schema (SQLAlchemy Core) and its versioned migrations.

Four tables: `articles` (one row per article identity), `claims` (one row per claim id, never
deleted: a claim that disappears from a re-fetched article gets `superseded_at`), `failures`
(inputs that could not be loaded) and `schema_version` (one row per applied migration).

Upgrade path: MIGRATIONS is an append-only list. A new database is created from `metadata`
(the newest schema) and stamped with every version. An existing database runs the steps after
its version, each in one transaction that also records it in `schema_version`; that happens
when it is opened for writing (`load`, `run --db`) or by `newsclaims migrate`. A database
whose version is newer than SCHEMA_VERSION is refused, so an old newsclaims never writes rows
a newer one would misread. To change the schema: edit the tables below, append a step whose
`upgrade` does the same with ALTER TABLE (and any backfill), and add a test that upgrading a
database of the previous version gives the tables of a new one. Never edit a released step.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

metadata = sa.MetaData()

# ISO partial dates ("2027", "2027-04", "2027-04-01") as text: they sort chronologically.
_PartialDate = sa.String(10)
_Timestamp = sa.DateTime(timezone=True)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("article_key", sa.Text, primary_key=True, comment="Article.identity: URL, else id"),
    sa.Column("article_id", sa.Text, nullable=False, comment="The caller's id for the article"),
    sa.Column("url", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("published", sa.Date),
    sa.Column("published_source", sa.String(16)),
    sa.Column("site", sa.Text),
    sa.Column("author", sa.Text),
    sa.Column("fetched_at", _Timestamp, comment="When the text was fetched, where known"),
    sa.Column("text_hash", sa.String(64), comment="sha256 of the text; null if not known"),
    sa.Column("text_chars", sa.Integer),
    sa.Column("extractor_version", sa.Text),
    sa.Column("loaded_at", _Timestamp, nullable=False),
)
sa.Index("ix_articles_article_id", articles.c.article_id)
sa.Index("ix_articles_published", articles.c.published)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("claim_id", sa.String(64), primary_key=True),
    sa.Column(
        "article_key",
        sa.Text,
        sa.ForeignKey("articles.article_key"),
        nullable=False,
    ),
    sa.Column("article_id", sa.Text, nullable=False),
    sa.Column("sentence", sa.Text, nullable=False),
    sa.Column("span_start", sa.Integer, nullable=False),
    sa.Column("span_end", sa.Integer, nullable=False),
    sa.Column("figure_text", sa.Text, nullable=False),
    sa.Column("figure_value", sa.Double, nullable=False),
    sa.Column("figure_unit", sa.String(8), nullable=False),
    sa.Column("figure_base", sa.String(8)),
    sa.Column("topic", sa.String(32), nullable=False),
    sa.Column("actor", sa.Text),
    sa.Column("speaker", sa.Text),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("cues", sa.JSON, nullable=False),
    sa.Column("start", _PartialDate),
    sa.Column("deadline", _PartialDate),
    sa.Column("published", sa.Date),
    sa.Column("published_source", sa.String(16)),
    sa.Column("claim_schema_version", sa.String(8), nullable=False),
    sa.Column(
        "content_key",
        sa.String(64),
        nullable=False,
        comment="Hash of the normalised sentence and figure: the same claim in other articles",
    ),
    sa.Column("text_hash", sa.String(64), comment="articles.text_hash when the claim was found"),
    sa.Column("extractor_version", sa.Text),
    sa.Column("loaded_at", _Timestamp, nullable=False),
    sa.Column("updated_at", _Timestamp, nullable=False),
    sa.Column("superseded_at", _Timestamp, comment="Set when a later load no longer found it"),
)
sa.Index("ix_claims_article_key", claims.c.article_key)
sa.Index("ix_claims_content_key", claims.c.content_key)
sa.Index("ix_claims_published", claims.c.published)
sa.Index("ix_claims_topic_level", claims.c.topic, claims.c.level)

failures = sa.Table(
    "failures",
    metadata,
    sa.Column("failure_id", sa.String(64), primary_key=True, comment="Hash of source/line/msg"),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("line", sa.Integer),
    sa.Column("article_key", sa.Text),
    sa.Column("stage", sa.String(32), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("recorded_at", _Timestamp, nullable=False),
)

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied_at", _Timestamp, nullable=False),
)


@dataclass(frozen=True)
class Migration:
    """One schema step from version-1 to `version`; runs inside the transaction recording it."""

    version: int
    description: str
    upgrade: Callable[[sa.Connection], None] | None


# Version 1 is the baseline: `metadata` above. A later step appends itself here with an
# `upgrade` that spells out its own ALTER TABLE statements (never `metadata`, which always
# describes the newest schema), and the table definitions above are edited to match.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "articles, claims, failures, schema_version", None),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
NEWSCLAIMS_TABLES = ("articles", "claims", "failures", "schema_version")


def utcnow() -> dt.datetime:
    """Timestamps are stored in UTC."""
    return dt.datetime.now(dt.UTC)
