"""End to end on real news pages (../shared/external/html) served from 127.0.0.1: `run` over
their URLs gives the same claims as `extract` over the same files, with metadata dates."""

import collections
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from extractor.batch import LEDGER

pytest_plugins = ["webserver"]

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from extractor.cli import main; main()"]
FALLBACK_DATE = "2025-01-01"
# Claim fields that name the article (URL for run, file stem for extract); the rest must agree.
IDENTITY_FIELDS = ("claim_id", "article_id")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["NEWSCLAIMS_PER_HOST_DELAY"] = "0"
    env["NEWSCLAIMS_PER_HOST_CONCURRENCY"] = "4"
    return env


def _by_page(lines: list[str]) -> dict[str, collections.Counter]:
    pages: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for line in lines:
        claim = json.loads(line)
        page = Path(claim["article_id"]).name.removesuffix(".html")
        rest = {k: v for k, v in claim.items() if k not in IDENTITY_FIELDS}
        pages[page][json.dumps(rest, sort_keys=True)] += 1
    return pages


def _words(text: str | None) -> set[str]:
    return {w.strip(".,:;'\"’‘-–|").lower() for w in (text or "").split()} - {""}


@pytest.mark.slow
def test_run_over_served_real_pages_matches_extract_on_the_files(tmp_path, web, external_pages):
    files = [row["path"] for row in external_pages]
    assert len(files) >= 20
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(web.url(f"external/{f.name}") + "\n" for f in files))
    out = tmp_path / "run"
    ran = subprocess.run(
        [*CLI, "run", str(urls), "-o", str(out), "--allow-private", "--no-progress",
         "--published", FALLBACK_DATE],
        env=_env(), capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    extracted = subprocess.run(
        [*CLI, "extract", *map(str, files), "--published", FALLBACK_DATE],
        env=_env(), capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert extracted.returncode == 0, extracted.stderr

    run_lines = [
        line
        for shard in sorted(out.glob("claims-*.jsonl"))
        for line in shard.read_text().splitlines()
    ]
    extract_lines = extracted.stdout.splitlines()
    assert len(run_lines) == len(extract_lines) > 0
    run_pages, extract_pages = _by_page(run_lines), _by_page(extract_lines)
    assert run_pages.keys() == extract_pages.keys()
    for page in run_pages:
        assert run_pages[page] == extract_pages[page], page

    # Titles and dates come from the page metadata.
    with sqlite3.connect(out / LEDGER) as db:
        articles = [json.loads(a) for (a,) in db.execute("SELECT article FROM items")]
    assert len(articles) == len(files)
    by_name = {Path(a["id"]).name: a for a in articles}
    dated = titled = date_hits = title_hits = 0
    for row in external_pages:
        article = by_name[row["file"]]
        assert article["title"], row["file"]
        expected = row.get("expected_metadata") or {}
        if expected.get("date"):
            dated += 1
            date_hits += article["published"] == expected["date"]
            assert article["published_source"] == "metadata", row["file"]
        if expected.get("title"):
            titled += 1
            want, got = _words(expected["title"]), _words(article["title"])
            title_hits += len(want & got) / len(want | got) >= 0.5
    assert dated and date_hits / dated >= 0.8, f"{date_hits}/{dated} metadata dates right"
    assert titled and title_hits / titled >= 0.9, f"{title_hits}/{titled} titles right"
