"""Exports of stored claims: JSONL, CSV, Parquet/DataFrame and schema.org Claim JSON-LD.

    engine = connect("sqlite:///claims.db", create=False)
    export(engine, "claimreview", "claims.jsonld", Filters(topic="defence"))

- jsonl: one `Claim` per line, exactly what `newsclaims extract` writes (and `load` reads).
- csv / parquet / `to_dataframe`: flat rows (`ExportRow`, schema/export-row.schema.json) with
  the article's URL and title; in CSV the cues are joined with "; ".
- claimreview: a JSON-LD document {"@context": "https://schema.org", "@graph": [Claim...]}
  (schema/claimreview.schema.json). Each node is a schema.org `Claim` ready to be the
  `itemReviewed` of a fact-checker's ClaimReview: text = the sentence, author = the speaker
  (Person or Organization), datePublished, appearance = the article, firstAppearance = the
  earliest dated article carrying the same sentence and figure.

Regenerate the row schema after changing ExportRow (from the repository root):
    python -m extractor.store schema
"""

import csv
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from extractor.models import Base, IsoPartialDate, Level, PublishedSource, Topic
from extractor.store import schema as s
from extractor.store.db import StoreError, read_transaction
from extractor.store.query import Filters, _ordered_text, row_to_claim, select_claims

FORMATS = ("jsonl", "csv", "parquet", "claimreview")
ExportFormat = Literal["jsonl", "csv", "parquet", "claimreview"]
CUE_SEPARATOR = "; "


class ExportRow(BaseModel):
    """One claim as a flat row (CSV, Parquet, DataFrame)."""

    model_config = ConfigDict(extra="forbid", title="newsclaims export row")

    claim_id: str
    article_id: str
    article_url: str | None = Field(description="The article's URL where known.")
    article_title: str | None
    site: str | None
    published: dt.date | None
    published_source: PublishedSource | None
    sentence: str
    span_start: int = Field(ge=0)
    span_end: int = Field(ge=0)
    figure_text: str
    figure_value: float
    figure_unit: str = Field(pattern=r"^(percent|[A-Z]{3})$")
    figure_base: Base | None
    topic: Topic
    actor: str | None
    speaker: str | None
    level: Level
    cues: list[str] = Field(description=f"Cue words; in CSV joined with {CUE_SEPARATOR!r}.")
    start: IsoPartialDate | None
    deadline: IsoPartialDate | None
    status: Literal["active", "superseded"]
    content_key: str = Field(description="Equal for the same sentence and figure anywhere.")
    extractor_version: str | None


COLUMNS = tuple(ExportRow.model_fields)


def row_schema() -> dict[str, Any]:
    """The JSON Schema of ExportRow, as committed in schema/export-row.schema.json."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **ExportRow.model_json_schema(mode="serialization"),
    }


def _export_row(m: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "claim_id": m["claim_id"],
        "article_id": m["article_id"],
        "article_url": m["article_url"],
        "article_title": m["article_title"],
        "site": m["article_site"],
        "published": m["published"],
        "published_source": m["published_source"],
        "sentence": m["sentence"],
        "span_start": m["span_start"],
        "span_end": m["span_end"],
        "figure_text": m["figure_text"],
        "figure_value": m["figure_value"],
        "figure_unit": m["figure_unit"],
        "figure_base": m["figure_base"],
        "topic": m["topic"],
        "actor": m["actor"],
        "speaker": m["speaker"],
        "level": m["level"],
        "cues": list(m["cues"] or []),
        "start": m["start"],
        "deadline": m["deadline"],
        "status": "active" if m["superseded_at"] is None else "superseded",
        "content_key": m["content_key"],
        "extractor_version": m["extractor_version"],
    }


def iter_export_rows(db: sa.Engine, filters: Filters | None = None) -> Iterator[dict[str, Any]]:
    """Flat rows (Python values: dates as date) for the matching claims, in query order."""
    for row in _iter(db, filters or Filters(), first_appearance=False):
        yield _export_row(row._mapping)


def _iter(db: sa.Engine, filters: Filters, *, first_appearance: bool) -> Iterator[Any]:
    with read_transaction(db) as conn:
        stmt = select_claims(conn, filters)
        if first_appearance:
            first = _first_appearances(conn)
            stmt = stmt.add_columns(
                first.c.article_key.label("first_key"),
                first.c.url.label("first_url"),
                first.c.title.label("first_title"),
                first.c.site.label("first_site"),
                first.c.published.label("first_published"),
                first.c.article_id.label("first_article_id"),
            ).outerjoin(first, first.c.content_key == s.claims.c.content_key)
        yield from conn.execution_options(yield_per=500).execute(stmt)


def _first_appearances(conn: sa.Connection) -> Any:
    """Per content_key, the earliest dated article where an active claim with it appears."""
    c, a = s.claims.c, s.articles.c
    ranked = (
        sa.select(
            c.content_key,
            a.article_key,
            a.article_id,
            a.url,
            a.title,
            a.site,
            c.published,
            sa.func.row_number()
            .over(
                partition_by=c.content_key,
                order_by=(c.published, _ordered_text(conn, a.article_key)),
            )
            .label("rank"),
        )
        .join(s.articles, a.article_key == c.article_key)
        .where(c.superseded_at.is_(None), c.published.is_not(None))
        .subquery()
    )
    return sa.select(ranked).where(ranked.c.rank == 1).subquery("first_appearance")


# -- schema.org ------------------------------------------------------------------------


@cache
def _organisation_words() -> re.Pattern[str]:
    text = (resources.files("extractor.store") / "organisation_words.txt").read_text("utf-8")
    words = [w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")]
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


def speaker_type(speaker: str) -> Literal["Person", "Organization"]:
    """Organization for 'the Treasury', 'Nato allies', 'IMF'; Person otherwise."""
    if re.fullmatch(r"[A-Z]{2,6}", speaker.strip()) or _organisation_words().search(speaker):
        return "Organization"
    return "Person"


def _creative_work(
    *,
    url: str | None,
    title: str | None,
    site: str | None,
    published: dt.date | None,
    article_id: str,
) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "NewsArticle"}
    if url:
        work["url"] = url
    if title:
        work["headline"] = title
    if published:
        work["datePublished"] = published.isoformat()
    if site:
        work["publisher"] = {"@type": "Organization", "name": site}
    work["identifier"] = article_id
    return work


def claim_jsonld(m: Mapping[str, Any], *, context: bool = True) -> dict[str, Any]:
    """One schema.org Claim for a stored row (with first_* columns when known).

    Wrap it as `{"@type": "ClaimReview", "itemReviewed": <this>, "claimReviewed":
    <its text>, "reviewRating": ..., "author": <the fact-checker>, "url": ...}`.
    """
    node: dict[str, Any] = {"@context": "https://schema.org"} if context else {}
    node |= {"@type": "Claim", "identifier": m["claim_id"], "text": m["sentence"]}
    if m["speaker"]:
        node["author"] = {"@type": speaker_type(m["speaker"]), "name": m["speaker"]}
    if m["published"]:
        node["datePublished"] = m["published"].isoformat()
    node["appearance"] = _creative_work(
        url=m["article_url"],
        title=m["article_title"],
        site=m["article_site"],
        published=m["published"],
        article_id=m["article_id"],
    )
    if m.get("first_key"):
        node["firstAppearance"] = _creative_work(
            url=m["first_url"],
            title=m["first_title"],
            site=m["first_site"],
            published=m["first_published"],
            article_id=m["first_article_id"],
        )
    node["about"] = {"@type": "Thing", "name": m["topic"]}
    return node


# -- writers ---------------------------------------------------------------------------


def write_jsonl(db: sa.Engine, out: IO[str], filters: Filters | None = None) -> int:
    """Claims as JSON lines (the extraction output contract); returns the count."""
    n = 0
    for row in _iter(db, filters or Filters(), first_appearance=False):
        out.write(row_to_claim(row).model_dump_json() + "\n")
        n += 1
    return n


def write_csv(db: sa.Engine, out: IO[str], filters: Filters | None = None) -> int:
    """Flat rows as CSV with a header; returns the count."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    n = 0
    for row in iter_export_rows(db, filters):
        row["cues"] = CUE_SEPARATOR.join(row["cues"])
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
        n += 1
    return n


def write_claimreview(db: sa.Engine, out: IO[str], filters: Filters | None = None) -> int:
    """The schema.org Claim JSON-LD document, streamed one node per line; returns the count."""
    out.write('{"@context": "https://schema.org", "@graph": [')
    n = 0
    for row in _iter(db, filters or Filters(), first_appearance=True):
        out.write(",\n" if n else "\n")
        out.write(json.dumps(claim_jsonld(row._mapping, context=False), ensure_ascii=False))
        n += 1
    out.write("\n]}\n")
    return n


def to_dataframe(db: sa.Engine, filters: Filters | None = None) -> Any:
    """The flat rows as a pandas DataFrame (needs the pandas extra); `published` is
    datetime64 (NaT when unknown), `cues` holds lists."""
    try:
        import pandas as pd
    except ImportError:
        raise StoreError(
            "pandas", "DataFrame and Parquet exports need pandas: pip install 'newsclaims[pandas]'"
        ) from None
    rows = list(iter_export_rows(db, filters))
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for name in ("span_start", "span_end"):
        frame[name] = frame[name].astype("int64")
    frame["figure_value"] = frame["figure_value"].astype("float64")
    # datetime64 whatever the rows hold (missing dates are NaT), so Parquet files of different
    # selections share one schema.
    frame["published"] = pd.to_datetime(frame["published"]).astype("datetime64[ns]")
    return frame


def write_parquet(db: sa.Engine, path: str | Path, filters: Filters | None = None) -> int:
    """The flat rows as a Parquet file (pandas + pyarrow); returns the count."""
    frame = to_dataframe(db, filters)
    try:
        frame.to_parquet(path, index=False)
    except ImportError as e:
        raise StoreError(
            str(path), f"Parquet needs pyarrow: pip install 'newsclaims[pandas]' ({e})"
        ) from None
    return len(frame)


def export(
    db: sa.Engine,
    fmt: ExportFormat,
    out: str | Path | IO[str],
    filters: Filters | None = None,
) -> int:
    """Write the matching claims in `fmt` to a path or text stream; returns the count.

    A path is written to a temporary sibling first and renamed, so a failed export never
    leaves a half-written file under the requested name.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    writers = {"jsonl": write_jsonl, "csv": write_csv, "claimreview": write_claimreview}
    if fmt == "parquet":
        if not isinstance(out, str | Path):
            raise ValueError("Parquet is written to a file path, not a stream")
        return _atomic(Path(out), lambda tmp: write_parquet(db, tmp, filters))
    if isinstance(out, str | Path):
        target = Path(out)

        def write(tmp: Path) -> int:
            newline = "" if fmt == "csv" else None
            with open(tmp, "w", encoding="utf-8", newline=newline) as handle:
                return writers[fmt](db, handle, filters)

        return _atomic(target, write)
    return writers[fmt](db, out, filters)


def _atomic(target: Path, write: Any) -> int:
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        n = write(tmp)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n


def write_schemas(directory: Path) -> Path:
    """Write export-row.schema.json into `directory` (claimreview.schema.json is hand-written:
    it describes JSON-LD that no pydantic model produces)."""
    path = directory / "export-row.schema.json"
    path.write_text(json.dumps(row_schema(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path
