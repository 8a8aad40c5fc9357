"""Exports from the claims database: JSONL, CSV, Parquet, schema.org Claim JSON-LD, and the
committed JSON Schemas they must match. Runs on SQLite and PostgreSQL; one test loads the same
extractor output into both and requires identical query results and exports."""

import csv
import datetime as dt
import io
import json

import pytest
from store_support import *  # noqa: F403
from store_support import (
    ARTICLES,
    REPO,
    Article,
    article_claims,
    make_claim,
    synthetic_articles,
)

from extractor.models import Topic
from extractor.store import (
    ExportRow,
    Filters,
    claim_jsonld,
    connect,
    export,
    iter_export_rows,
    load_claims,
    load_claims_file,
    query_claims,
    to_dataframe,
)
from extractor.store.export import COLUMNS, row_schema, speaker_type

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema (dev extra) is not installed")

ROW_SCHEMA = REPO / "schema" / "export-row.schema.json"
CLAIM_SCHEMA = REPO / "schema" / "claimreview.schema.json"


@pytest.fixture
def engine(db_url: str):
    eng = connect(db_url)
    by_article = article_claims()
    for article in ARTICLES:
        load_claims(eng, article, by_article[article.id])
    yield eng
    eng.dispose()


def text_export(engine, fmt: str, filters: Filters | None = None) -> str:
    out = io.StringIO()
    export(engine, fmt, out, filters)
    return out.getvalue()


def validator(path) -> jsonschema.protocols.Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


# -- JSONL and CSV ---------------------------------------------------------------------


def test_store_export_jsonl_is_the_extraction_contract_and_round_trips(engine, other_db_url,
                                                                       tmp_path):  # fmt: skip
    path = tmp_path / "claims.jsonl"
    assert export(engine, "jsonl", path) == 9
    assert not list(tmp_path.glob(".*.tmp"))
    other = connect(other_db_url)
    try:
        result = load_claims_file(other, path)
        assert (result.inserted, result.failed) == (9, 0)
        assert query_claims(other) == query_claims(engine)
    finally:
        other.dispose()


def test_store_export_csv_has_the_schema_columns(engine):
    text = text_export(engine, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 9
    assert tuple(rows[0]) == COLUMNS
    nordic = next(r for r in rows if r["figure_text"] == "£2bn")
    assert nordic["article_url"] == ARTICLES[0].url
    assert nordic["article_title"] == ARTICLES[0].title
    assert nordic["cues"] == "committed"
    assert nordic["published"] == "2025-03-03"
    assert float(nordic["figure_value"]) == 2e9
    undated = [r for r in rows if r["article_id"] == "undated-note"]
    assert len(undated) == 2 and all(r["published"] == "" for r in undated)


def test_store_export_rows_validate_against_the_committed_schema(engine):
    check = validator(ROW_SCHEMA)
    rows = list(iter_export_rows(engine, Filters(include_superseded=True)))
    assert len(rows) == 9
    for row in rows:
        check.validate(ExportRow.model_validate(row).model_dump(mode="json"))
    assert set(check.schema["properties"]) == set(COLUMNS)


def test_store_export_row_schema_has_not_drifted_from_the_model():
    committed = json.loads(ROW_SCHEMA.read_text(encoding="utf-8"))
    assert committed == row_schema(), (
        "schema/export-row.schema.json is stale: run `python -m extractor.store schema`"
    )


def test_store_export_applies_filters(engine):
    rows = list(csv.DictReader(io.StringIO(text_export(engine, "csv", Filters(unit="GBP")))))
    assert len(rows) == 3
    assert {r["figure_unit"] for r in rows} == {"GBP"}


def test_store_export_parquet_and_dataframe(engine, tmp_path):
    pd = pytest.importorskip("pandas", reason="the pandas extra is not installed")
    pytest.importorskip("pyarrow", reason="the pandas extra is not installed (pyarrow)")
    path = tmp_path / "claims.parquet"
    assert export(engine, "parquet", path, Filters(topic=["defence", "aid"])) == 4
    frame = pd.read_parquet(path)
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 4
    assert set(frame["topic"]) == {"defence", "aid"}
    assert frame["span_start"].dtype == "int64"
    assert frame["figure_value"].dtype == "float64"
    assert list(frame.loc[frame["figure_text"] == "1%", "cues"].iloc[0]) == ["hopes to"]

    everything = to_dataframe(engine)
    assert len(everything) == 9
    assert everything["published"].dtype.kind == "M"
    assert everything["published"].isna().sum() == 2  # the undated article's claims
    assert export(engine, "parquet", tmp_path / "all.parquet") == 9
    assert pd.read_parquet(tmp_path / "all.parquet")["published"].dtype.kind == "M"
    assert frame["published"].dtype.kind == "M"


# -- schema.org Claim JSON-LD ----------------------------------------------------------


def test_store_claimreview_export_validates_and_carries_speaker_date_url(engine):
    document = json.loads(text_export(engine, "claimreview"))
    validator(CLAIM_SCHEMA).validate(document)
    nodes = document["@graph"]
    stored = {c.claim_id: c for c in query_claims(engine)}
    urls = {a.id: a.url for a in ARTICLES}
    assert len(nodes) == len(stored) == 9
    for node in nodes:
        claim = stored[node["identifier"]]
        assert node["text"] == claim.sentence
        if claim.speaker:
            assert node["author"]["name"] == claim.speaker
        else:
            assert "author" not in node
        if claim.published:
            assert node["datePublished"] == claim.published.isoformat()
        else:
            assert "datePublished" not in node
        if urls[claim.article_id]:
            assert node["appearance"]["url"] == urls[claim.article_id]
        else:
            assert "url" not in node["appearance"]
        assert node["about"]["name"] == claim.topic.value


def test_store_claimreview_first_appearance_is_the_earliest_dated_article(db_url):
    # Wire copy: the same quote in three outlets; the undated one cannot be first.
    sentence = "The minister said Kenya will spend £4bn on new railways by 2029."
    outlets = [
        Article(id="late", url="https://late.example/rail", published=dt.date(2025, 5, 2),
                text=sentence, site="Late Post"),
        Article(id="early", url="https://early.example/rail", published=dt.date(2025, 5, 1),
                text="Kenya rail.\n" + sentence, title="Rail plan", site="Early Times"),
        Article(id="undated", url="https://undated.example/rail", text=sentence),
    ]  # fmt: skip
    engine = connect(db_url)
    try:
        for article in outlets:
            claim = make_claim(article, "£4bn", 4e9, "GBP", topic="transport", actor="Kenya")
            if article.id == "early":
                claim = claim.model_copy(update={"sentence": sentence})
            load_claims(engine, article, [claim])
        document = json.loads(text_export(engine, "claimreview"))
    finally:
        engine.dispose()
    validator(CLAIM_SCHEMA).validate(document)
    nodes = document["@graph"]
    assert len(nodes) == 3
    for node in nodes:
        first = node["firstAppearance"]
        assert first["url"] == "https://early.example/rail"
        assert first["datePublished"] == "2025-05-01"
        assert first["headline"] == "Rail plan"
        assert first["publisher"] == {"@type": "Organization", "name": "Early Times"}


def test_store_claimreview_schema_lists_only_what_the_export_produces(engine):
    schema = json.loads(CLAIM_SCHEMA.read_text(encoding="utf-8"))
    nodes = json.loads(text_export(engine, "claimreview"))["@graph"]
    produced = {key for node in nodes for key in node}
    declared = set(schema["$defs"]["Claim"]["properties"]) - {"@context"}
    assert produced == declared
    works = {key for node in nodes for key in node["appearance"] | node.get("firstAppearance", {})}
    assert works == set(schema["$defs"]["NewsArticle"]["properties"])
    topics = schema["$defs"]["Claim"]["properties"]["about"]["properties"]["name"]["enum"]
    assert topics == [t.value for t in Topic]


def test_store_claim_jsonld_alone_has_its_context(engine):
    from extractor.store.query import iter_rows

    rows = list(iter_rows(engine))
    assert len(rows) == 9
    node = claim_jsonld(rows[0]._mapping)
    assert node["@context"] == "https://schema.org"
    schema = validator(CLAIM_SCHEMA).schema
    jsonschema.validate(node, {"$ref": "#/$defs/Claim", "$defs": schema["$defs"]})


@pytest.mark.parametrize(
    ("speaker", "kind"),
    [
        ("Jonas Store", "Person"),
        ("Prime Minister Jonas Store", "Person"),
        ("The Treasury", "Organization"),
        ("Ministry of Defence", "Organization"),
        ("a government spokesperson", "Organization"),
        ("NATO", "Organization"),
        ("IMF", "Organization"),
        ("Ana", "Person"),
    ],
)
def test_store_speaker_type(speaker, kind):
    assert speaker_type(speaker) == kind


# -- the same on both backends ---------------------------------------------------------


@pytest.mark.postgres
def test_store_sqlite_and_postgresql_give_identical_results(pg_db_url, tmp_path, claim_extractor):
    articles = ARTICLES + synthetic_articles(40, prefix="same")
    pairs = list(claim_extractor.pipe(articles))
    assert sum(len(claims) for _, claims in pairs) > 40
    engines = [connect(f"sqlite:///{tmp_path / 'same.db'}"), connect(pg_db_url)]
    try:
        for eng in engines:
            for article, claims in pairs:
                load_claims(eng, article, claims, extractor_version="same")
        queries = [
            Filters(),
            Filters(topic="defence", level="certainty"),
            Filters(published_since="2024-06-01", published_until="2025-01-31"),
            Filters(deadline_until="2030", unit="percent"),
            Filters(text="GOVERNMENT"),
            Filters(speaker="Jonas Store"),
            Filters(include_superseded=True),
        ]
        for filters in queries:
            sqlite_result, pg_result = (query_claims(eng, filters) for eng in engines)
            assert sqlite_result == pg_result, filters
        assert len(query_claims(engines[0])) == sum(len(c) for _, c in pairs)
        for fmt in ("jsonl", "csv", "claimreview"):
            sqlite_text, pg_text = (text_export(eng, fmt) for eng in engines)
            assert sqlite_text == pg_text, fmt
    finally:
        for eng in engines:
            eng.dispose()
