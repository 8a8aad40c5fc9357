"""`newsclaims load | query | export | migrate` from the shell (typer's CliRunner, real
databases: SQLite and PostgreSQL)."""

import json

import pytest
from store_support import *  # noqa: F403
from store_support import ARTICLES, REPO, article_claims, write_jsonl
from typer.testing import CliRunner

from extractor.cli import _register, app
from extractor.models import Claim

_register()
runner = CliRunner()


def invoke(*args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin)


def claims_of(text: str) -> list[Claim]:
    return [Claim.model_validate_json(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def extracted(tmp_path):
    """articles.jsonl and the claims.jsonl `newsclaims extract` makes of it."""
    articles = write_jsonl(tmp_path / "articles.jsonl", ARTICLES)
    claims = tmp_path / "claims.jsonl"
    result = invoke("extract", str(articles), "-o", str(claims))
    assert result.exit_code == 0, result.stderr
    assert len(claims_of(claims.read_text(encoding="utf-8"))) >= 4
    return articles, claims


def test_store_cli_extract_load_query_export(extracted, db_url, tmp_path):
    articles, claims_file = extracted
    claims = claims_of(claims_file.read_text(encoding="utf-8"))

    result = invoke("load", str(claims_file), "--db", db_url, "--articles", str(articles))
    assert result.exit_code == 0, result.stderr
    assert f"loaded {len(claims)} claim(s)" in result.stderr
    assert f"{len(claims)} new" in result.stderr

    again = invoke("load", str(claims_file), "--db", db_url, "--articles", str(articles))
    assert again.exit_code == 0, again.stderr
    assert f"0 new, 0 updated, {len(claims)} unchanged, 0 superseded" in again.stderr

    everything = invoke("query", "--db", db_url, "--format", "jsonl")
    assert everything.exit_code == 0, everything.stderr
    assert sorted(claims_of(everything.stdout), key=lambda c: c.claim_id) == sorted(
        claims, key=lambda c: c.claim_id
    )

    wanted = [c for c in claims if c.topic == "defence" and c.published
              and c.published.isoformat() >= "2025-01-01"]  # fmt: skip
    some = invoke(
        "query", "--db", db_url, "--topic", "defence", "--since", "2025-01-01", "--format", "jsonl"
    )
    assert some.exit_code == 0, some.stderr
    assert {c.claim_id for c in claims_of(some.stdout)} == {c.claim_id for c in wanted}

    table = invoke("query", "--db", db_url)
    assert table.exit_code == 0, table.stderr
    assert table.stdout.splitlines()[0].split()[:3] == ["article_id", "figure", "level"]
    assert table.stdout.rstrip().endswith(f"{len(claims)} claim(s)")

    out = tmp_path / "claims.jsonld"
    exported = invoke("export", "--db", db_url, "--format", "claimreview", "-o", str(out))
    assert exported.exit_code == 0, exported.stderr
    nodes = json.loads(out.read_text(encoding="utf-8"))["@graph"]
    assert len(nodes) == len(claims)
    urls = {a.url for a in ARTICLES if a.url}
    with_url = [n for n in nodes if "url" in n["appearance"]]
    assert with_url and {n["appearance"]["url"] for n in with_url} <= urls

    refused = invoke("export", "--db", db_url, "--format", "csv", "-o", str(out))
    assert refused.exit_code == 2
    assert "exists; use --force" in refused.stderr
    forced = invoke("export", "--db", db_url, "--format", "csv", "-o", str(out), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert out.read_text(encoding="utf-8").startswith("claim_id,article_id,article_url,")


def test_store_cli_load_from_stdin_and_bad_lines(db_url, tmp_path):
    claims = article_claims()["chile-aid"]
    text = claims[0].model_dump_json() + "\n{not json\n" + claims[1].model_dump_json() + "\n"
    result = invoke("load", "-", "--db", db_url, stdin=text)
    assert result.exit_code == 1
    assert "newsclaims: <stdin>:2: not JSON" in result.stderr
    assert "loaded 2 claim(s) of 1 article(s)" in result.stderr
    assert "1 line(s) failed" in result.stderr
    assert "Traceback" not in result.stderr
    listed = invoke("query", "--db", db_url, "--format", "jsonl")
    assert claims_of(listed.stdout) == claims


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["query", "--level", "sure"], 2, "--level: Input should be 'certainty'"),
        (["query", "--since", "yesterday"], 2, "--since: Input should be a valid date"),
        (["query", "--deadline-until", "2030-13"], 2, "--deadline-until:"),
        (["query", "--format", "xml"], 2, "--format 'xml'"),
        (["export", "--format", "xml"], 2, "--format 'xml'"),
        (["export", "--format", "parquet"], 2, "--format parquet needs -o FILE"),
    ],
    ids=["level", "since", "deadline", "query-format", "export-format", "parquet"],
)
def test_store_cli_bad_options_are_one_line_errors(db_url, args, code, message):
    invoke("migrate", "--db", db_url)
    result = invoke(*args, "--db", db_url)
    assert result.exit_code == code, result.stderr
    assert result.stderr.startswith("newsclaims: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_store_cli_missing_or_wrong_database(tmp_path):
    missing = tmp_path / "missing.db"
    result = invoke("query", "--db", str(missing))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"newsclaims: sqlite:///{missing}: no such database file (load claims into it first)"
    )
    assert not missing.exists()
    wrong = invoke("export", "--db", "oracle://fc@db/claims")
    assert wrong.exit_code == 1
    assert "unsupported database 'oracle'" in wrong.stderr


def test_store_cli_migrate_and_env_var(db_url, monkeypatch):
    result = invoke("migrate", "--db", db_url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith(": schema version 1")
    monkeypatch.setenv("NEWSCLAIMS_DB", db_url)
    listed = runner.invoke(app, ["query", "--format", "jsonl"], env={"NEWSCLAIMS_DB": db_url})
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout == ""


def test_store_cli_commands_have_help():
    for command in ("load", "query", "export", "migrate"):
        result = invoke(command, "--help")
        assert result.exit_code == 0
        assert "--db" in result.stdout
    top = invoke("--help")
    for command in ("load", "query", "export", "migrate"):
        assert command in top.stdout
    docs = (REPO / "docs" / "database.md").read_text(encoding="utf-8")
    for command in ("load", "query", "export", "migrate"):
        assert f"newsclaims {command}" in docs
