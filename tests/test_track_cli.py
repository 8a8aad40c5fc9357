"""`newsclaims track` and `newsclaims events` from the shell: claim JSONL files, a SQLite
database, filters, a user's alias file and bad input (typer's CliRunner, real files)."""

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import _register, app
from extractor.track import Pledge, track
from extractor.track_eval import gold_claims, load_series

SERIES = Path(__file__).resolve().parent.parent / "fixtures" / "series"

_register()
runner = CliRunner()


@pytest.fixture(scope="module")
def series_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The series' gold claims and articles as the JSONL files `extract` reads and writes."""
    series = load_series(SERIES)
    root = tmp_path_factory.mktemp("series")
    claims, articles = root / "claims.jsonl", root / "articles.jsonl"
    claims.write_text("".join(c.model_dump_json() + "\n" for c in gold_claims(series)))
    articles.write_text("".join(a.model_dump_json() + "\n" for a in series.articles.values()))
    return claims, articles


def library_pledges() -> list[Pledge]:
    series = load_series(SERIES)
    return track(gold_claims(series), articles=series.articles)


def test_track_text_table_shows_walk_back_and_raise(series_files: tuple[Path, Path]) -> None:
    claims, articles = series_files
    args = ["--articles", str(articles), "--actor", "UK", "--topic", "defence"]
    result = runner.invoke(app, ["track", str(claims), *args])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    headers = [line for line in lines if line.startswith("pledge: ")]
    assert len(headers) == 4
    assert all("Britain · defence" in h for h in headers)
    walk_back = [line for line in lines if "WALK-BACK: certainty → ambition" in line]
    assert len(walk_back) == 1
    assert "2026-03-04" in walk_back[0] and "(s04 +1 copy)" in walk_back[0]
    assert any("RAISED: 3% → 3.5%" in line and "2026-06-25" in line for line in lines)


def test_track_jsonl_equals_library(series_files: tuple[Path, Path], tmp_path: Path) -> None:
    claims, articles = series_files
    out = tmp_path / "pledges.jsonl"
    args = ["track", str(claims), "--articles", str(articles), "--format", "jsonl", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    got = [Pledge.model_validate_json(line) for line in out.read_text().splitlines()]
    want = library_pledges()
    assert len(got) == len(want) == 6
    assert [p.model_dump() for p in got] == [p.model_dump() for p in want]
    # an existing output is not overwritten without --force
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "exists" in again.stderr


def test_track_bad_lines_are_reported_and_the_rest_tracked(
    series_files: tuple[Path, Path], tmp_path: Path
) -> None:
    claims, articles = series_files
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"claim_id": "x"}\nnot json\n')
    result = runner.invoke(
        app, ["track", str(claims), str(bad), "--articles", str(articles), "--format", "jsonl"]
    )
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert f"{bad}:1: not a claim" in errors[0]
    assert f"{bad}:2: not valid JSON" in errors[1]
    assert "2 input line(s) failed" in errors[-1]
    assert len(result.stdout.splitlines()) == 6


def test_track_user_alias_file(series_files: tuple[Path, Path], tmp_path: Path) -> None:
    claims, articles = series_files
    mine = tmp_path / "aliases.jsonl"
    mine.write_text(
        json.dumps(
            {"id": "actor.united_kingdom", "canonical": "United Kingdom", "country": True,
             "aliases": ["Britain", "UK", "the Treasury"]}
        ) + "\n"
    )  # fmt: skip
    result = runner.invoke(
        app, ["track", str(claims), "--articles", str(articles), "--aliases", str(mine),
              "--actor", "Britain", "--topic", "aid"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("pledge: United Kingdom · aid · % of GNI")
    mine.write_text('{"id": "x"}\n')
    bad = runner.invoke(app, ["track", str(claims), "--aliases", str(mine)])
    assert bad.exit_code == 2
    assert f"{mine}:1: " in bad.stderr and "canonical" in bad.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give claim JSONL files or --db"),
        (["x.jsonl", "--topic", "weather"], "--topic: unknown topic"),
        (["x.jsonl", "--since", "June"], "--since 'June' is not a date"),
        (["x.jsonl", "--save"], "--save needs --db"),
    ],
    ids=["no-input", "bad-topic", "bad-date", "save-without-db"],
)
def test_track_usage_errors(args: list[str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSCLAIMS_DB", raising=False)
    result = runner.invoke(app, ["track", *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_track_missing_file_is_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["track", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(f"newsclaims: {tmp_path / 'none.jsonl'}: cannot read")
    assert "Traceback" not in result.output


def test_track_from_database_saves_and_exports_events(
    series_files: tuple[Path, Path], tmp_path: Path
) -> None:
    pytest.importorskip("sqlalchemy", reason="the db extra is not installed (sqlalchemy)")
    claims, articles = series_files
    db = f"sqlite:///{tmp_path / 'claims.db'}"
    loaded = runner.invoke(app, ["load", str(claims), "--db", db, "--articles", str(articles)])
    assert loaded.exit_code == 0, loaded.output

    result = runner.invoke(app, ["track", "--db", db, "--format", "jsonl", "--save"])
    assert result.exit_code == 0, result.output
    got = [Pledge.model_validate_json(line) for line in result.stdout.splitlines()]
    want = library_pledges()
    assert [(p.pledge_id, [e.label for e in p.events]) for p in got] == [
        (p.pledge_id, [e.label for e in p.events]) for p in want
    ]

    exported = runner.invoke(app, ["events", "--db", db])
    assert exported.exit_code == 0, exported.output
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    labels = [e.label for p in want for e in p.events]
    assert len(rows) == len(labels) == 17
    assert [r["label"] for r in rows] == labels
    walk_backs = [r for r in rows if r["label"] == "WALK-BACK: certainty → ambition"]
    assert [(r["earlier_article_id"], r["later_article_id"]) for r in walk_backs] == [
        ("s06", "s10"),
        ("s03", "s04"),
    ]
    walk_back = walk_backs[1]
    assert (walk_back["actor"], walk_back["topic"], walk_back["by"]) == (
        "Britain",
        "defence",
        "Helen Marsh",
    )
    assert walk_back["later_published"] == "2026-03-04"
    assert "ambition" in walk_back["later_sentence"]

    # a scoped save replaces only its own scope; CSV carries the same rows
    again = runner.invoke(app, ["track", "--db", db, "--topic", "aid", "--save"])
    assert again.exit_code == 0, again.output
    table = runner.invoke(app, ["events", "--db", db, "--format", "csv"])
    assert table.exit_code == 0, table.output
    csv_rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [r["label"] for r in csv_rows] == labels
    aid_only = runner.invoke(app, ["events", "--db", db, "--topic", "aid"])
    assert len(aid_only.stdout.splitlines()) == 5


def test_events_on_a_missing_database_is_one_line_error(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy", reason="the db extra is not installed (sqlalchemy)")
    result = runner.invoke(app, ["events", "--db", f"sqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 1
    assert "no such database file" in result.stderr
