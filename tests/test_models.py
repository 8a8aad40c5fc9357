"""The output contract: models validate, the committed JSON Schema matches them."""

import datetime as dt
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from extractor.models import Article, Claim, Figure
from extractor.schema import SCHEMAS, render

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_models_committed_schema_matches(name):
    committed = (ROOT / "schema" / name).read_text(encoding="utf-8")
    assert committed == render(SCHEMAS[name]), "run: python -m extractor.schema"


def test_models_claim_json_validates_against_schema(extractor):
    import jsonschema

    from extractor.pipeline import extract

    schema = json.loads((ROOT / "schema" / "claim.schema.json").read_text())
    claims = extract("Madrid pledged €2 billion for rail by 2030.", published="2025-01-10")
    assert len(claims) == 1
    jsonschema.validate(json.loads(claims[0].model_dump_json()), schema)


def test_models_article_accepts_datetimes_and_blank_dates():
    assert Article(id="a", text="x", published="2025-06-05T10:00:00Z").published == dt.date(
        2025, 6, 5
    )
    assert Article(id="a", text="x", published="").published is None
    assert Article(id=7, text="x").id == "7"


def test_models_figure_rejects_bad_units():
    with pytest.raises(ValidationError):
        Figure(text="5 quid", value=5, unit="quid")


def test_models_claim_id_depends_on_identity_span_and_figure():
    fig = Figure(text="£2bn", value=2e9, unit="GBP")
    a = Claim.make_id("https://example.org/a", (10, 14), fig)
    assert a == Claim.make_id("https://example.org/a", (10, 14), fig)
    assert a != Claim.make_id("https://example.org/b", (10, 14), fig)
    assert a != Claim.make_id("https://example.org/a", (11, 15), fig)
