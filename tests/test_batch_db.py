"""`newsclaims run … --db URL`: a run's claims land in the database once, on SQLite and on a
real PostgreSQL server, and a rerun (or a rerun after a crash) adds nothing."""

import shutil
from pathlib import Path

from store_support import *  # noqa: F403
from typer.testing import CliRunner

from extractor.cli import _register, app
from extractor.models import Claim

_register()
FIXTURE_PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "html"


def shard_claims(out: Path) -> list[Claim]:
    return [
        Claim.model_validate_json(line)
        for shard in sorted(out.glob("claims-*.jsonl"))
        for line in shard.read_text().splitlines()
        if line.strip()
    ]


def test_run_db_loads_each_claim_once(db_url, tmp_path):
    from extractor.store import connect, query_claims

    pages = tmp_path / "pages"
    shutil.copytree(FIXTURE_PAGES, pages, ignore=shutil.ignore_patterns("*.json"))
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(
        app, ["run", str(pages), "-o", str(out), "--db", db_url, "--model", "blank"]
    )
    assert first.exit_code == 0, first.output
    written = shard_claims(out)
    assert len(written) > 0
    engine = connect(db_url)
    try:
        stored = query_claims(engine)
        assert sorted(c.claim_id for c in stored) == sorted(c.claim_id for c in written)
        # A rerun, and a rerun that lost its record of what was loaded, change nothing.
        again = runner.invoke(
            app, ["run", str(pages), "-o", str(out), "--db", db_url, "--model", "blank"]
        )
        assert again.exit_code == 0, again.output
        import sqlite3

        with sqlite3.connect(out / "ledger.sqlite") as ledger:
            ledger.execute("DELETE FROM db_loads")
        third = runner.invoke(
            app, ["run", str(pages), "-o", str(out), "--db", db_url, "--model", "blank"]
        )
        assert third.exit_code == 0, third.output
        assert sorted(c.claim_id for c in query_claims(engine)) == sorted(
            c.claim_id for c in written
        )
    finally:
        engine.dispose()


def test_run_db_bad_url_is_a_clear_error(tmp_path):
    pages = tmp_path / "pages"
    shutil.copytree(FIXTURE_PAGES, pages, ignore=shutil.ignore_patterns("*.json"))
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(pages),
            "-o",
            str(tmp_path / "out"),
            "--db",
            "nosuchdb://x",
            "--model",
            "blank",
        ],
    )
    assert result.exit_code == 2
    assert "nosuchdb" in result.output
