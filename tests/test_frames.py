"""Claims as a pandas DataFrame: typed columns and a lossless round trip."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from claimfactory import SIX_LEVELS_TEXT, extractor, make_claim, six_level_claims

from extractor.frames import COLUMNS, MissingExtraError, from_dataframe, to_dataframe
from extractor.models import Article, Level, Topic

pd = pytest.importorskip("pandas", reason="the pandas extra is not installed")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"


def _claims():
    claims = six_level_claims()
    # One with every optional field empty, to check that missing values survive.
    claims.append(make_claim(SIX_LEVELS_TEXT, "2.3%", 2.3, "percent", "statement"))
    return claims


def test_frames_columns_are_typed():
    df = to_dataframe(_claims())
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == 7
    assert df["value"].dtype == "float64"
    assert df["level"].cat.categories.tolist() == [lvl.value for lvl in Level]
    assert df["level"].cat.ordered
    assert df["topic"].cat.categories.tolist() == [t.value for t in Topic]
    assert isinstance(df["unit"].dtype, pd.CategoricalDtype)
    assert set(df["unit"].cat.categories) == {"GBP", "percent"}
    assert pd.api.types.is_datetime64_any_dtype(df["published"])
    for col in ("actor", "speaker", "start", "deadline", "claim_id"):
        assert isinstance(df[col].dtype, pd.StringDtype), col
    assert df.loc[0, "deadline"] == "2030"
    assert df.loc[0, "cues"] == ["committed to"]
    assert df.loc[6, "actor"] is pd.NA
    assert pd.isna(df.loc[6, "published"])


def test_frames_level_sorts_by_the_spec_order_not_alphabetically():
    df = to_dataframe(reversed(six_level_claims()))
    assert df.sort_values("level")["level"].astype(str).tolist() == [lvl.value for lvl in Level]


def test_frames_round_trip_is_lossless():
    claims = _claims()
    assert from_dataframe(to_dataframe(claims)) == claims


def test_frames_round_trip_through_csv_and_parquet(tmp_path):
    claims = _claims()
    df = to_dataframe(claims)
    df.to_csv(tmp_path / "c.csv", index=False)
    assert from_dataframe(pd.read_csv(tmp_path / "c.csv")) == claims
    pytest.importorskip("pyarrow")
    df.to_parquet(tmp_path / "c.parquet")
    assert from_dataframe(pd.read_parquet(tmp_path / "c.parquet")) == claims


def test_frames_accept_jsonl_records():
    claims = _claims()
    records = [json.loads(c.model_dump_json()) for c in claims]
    assert from_dataframe(to_dataframe(records)) == claims


def test_frames_empty_keeps_columns_and_types():
    df = to_dataframe([])
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == 0
    assert df["value"].dtype == "float64"
    assert df["level"].cat.categories.tolist() == [lvl.value for lvl in Level]
    assert from_dataframe(df) == []


def test_frames_extra_columns_are_ignored_and_filters_keep_working():
    df = to_dataframe(_claims())
    df["value_bn"] = df["value"] / 1e9
    firm = df[df["level"] == "certainty"]
    assert [c.commitment.level for c in from_dataframe(firm)] == [Level.certainty]


def test_frames_errors_name_the_problem():
    df = to_dataframe(_claims())
    with pytest.raises(ValueError, match="lacks the columns level, cues"):
        from_dataframe(df.drop(columns=["level", "cues"]))
    bad = df.copy()
    bad["level"] = bad["level"].astype(str)
    bad.loc[3, "level"] = "maybe"
    with pytest.raises(ValueError, match=r"row 3: commitment\.level"):
        from_dataframe(bad)


def test_frames_round_trip_of_extracted_claims():
    ex = extractor("blank")
    lines = (EXAMPLES / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    claims = []
    for article, found in ex.pipe(Article.model_validate(json.loads(ln)) for ln in lines):
        assert article.id
        claims.extend(found)
    assert len(claims) >= 4
    assert from_dataframe(to_dataframe(claims)) == claims


def test_frames_without_pandas_say_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an import of a missing package does
    with pytest.raises(MissingExtraError, match=r"pip install 'newsclaims\[pandas\]'"):
        to_dataframe(_claims())
    with pytest.raises(ImportError):  # also an ImportError, for code that catches those
        to_dataframe(_claims())


def test_frames_core_import_does_not_load_pandas_or_matplotlib():
    code = (
        "import sys, extractor, extractor.view, extractor.frames, extractor.plot, "
        "extractor.cli_view\n"
        "heavy = sorted(m for m in ('pandas', 'matplotlib', 'spacy') if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
