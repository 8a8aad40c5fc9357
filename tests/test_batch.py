"""Batch runs against the local test server: outputs, failures as data, resume, exactly once."""

import collections
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from extractor.batch import FAILURES, LEDGER, SUMMARY, run
from extractor.ingest.fetch import Fetcher, is_public_address
from extractor.settings import Settings

pytest_plugins = ["webserver"]

WEB = Path(__file__).parent / "data" / "web"
ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from extractor.cli import main; main()", "run"]


@pytest.fixture(scope="module")
def fast_model() -> list[str]:
    """CLI options for the fastest pipeline that works: 'blank' (no trained model), else the
    default one (the blank pipeline is the NLP owner's, and may lag behind its rules)."""
    from extractor.models import Article
    from extractor.pipeline import Extractor

    try:
        Extractor("blank").extract(Article(id="probe", text="The city will spend $3m on parks."))
    except Exception:
        return []
    return ["--model", "blank"]


@pytest.fixture(scope="module")
def blank(fast_model):
    from extractor.pipeline import Extractor

    return Extractor(fast_model[1] if fast_model else None)


@pytest.fixture
def settings() -> Settings:
    return Settings(
        allow_private=True, per_host_delay=0, read_timeout=1, total_timeout=2, max_bytes=1_000_000
    )


def claim_lines(out: Path) -> list[str]:
    return [
        line
        for shard in sorted(out.glob("claims-*.jsonl"))
        for line in shard.read_text(encoding="utf-8").splitlines()
    ]


def failures(out: Path) -> dict[str, tuple[str, str]]:
    rows = [json.loads(line) for line in (out / FAILURES).read_text().splitlines()]
    return {row["key"]: (row["stage"], row["reason"]) for row in rows}


def test_run_feeds_sitemap_and_adversarial_urls(tmp_path, web, blank, settings):
    web.bomb()
    adversarial = {
        "status/404": ("fetch", "status"),
        "status/500": ("fetch", "status"),
        "slow": ("fetch", "timeout"),
        "trickle": ("fetch", "timeout"),
        "endless": ("fetch", "too_large"),
        "gzip-bomb": ("fetch", "too_large"),
        "image.png": ("fetch", "content_type"),
        "page.pdf": ("fetch", "content_type"),
        "redirect-loop": ("fetch", "redirects"),
        "redirect-to?url=file:///etc/passwd": ("fetch", "scheme"),
        "private/secret.html": ("fetch", "robots"),
    }
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(web.url(p) for p in adversarial) + "\nnot a url\n")
    sources = [web.url("feed.rss"), web.url("atom.xml"), web.url("sitemap.xml"), str(urls)]
    out = tmp_path / "out"
    started = time.monotonic()
    summary = run(sources, out, settings=settings, extractor=blank, shard_size=2)
    assert time.monotonic() - started < 30  # nothing hangs the run

    # The six good pages (the sitemap repeats feed entries: processed once each).
    assert summary.written == 6
    assert summary.failed == len(adversarial) + 1
    got = failures(out)
    assert len(got) == len(adversarial) + 1
    for path, expected in adversarial.items():
        assert got[web.url(path)] == expected, path
    assert got[f"{urls}:{len(adversarial) + 1}"] == ("source", "scheme")

    lines = claim_lines(out)
    assert len(lines) == summary.claims > 0
    claims = [json.loads(line) for line in lines]
    assert len({c["claim_id"] for c in claims}) == len(claims)
    by_article = {c["article_id"] for c in claims}
    assert web.url("news/defence-budget.html") in by_article
    summary_file = json.loads((out / SUMMARY).read_text())
    assert summary_file["claims"] == len(lines)
    assert not list(out.glob(".*.tmp"))


def test_rerun_skips_finished_articles_and_writes_nothing_twice(tmp_path, web, blank, settings):
    out = tmp_path / "out"
    first = run([web.url("feed.rss")], out, settings=settings, extractor=blank, shard_size=3)
    before = claim_lines(out)
    web.requests.clear()
    second = run([web.url("feed.rss")], out, settings=settings, extractor=blank, shard_size=3)
    assert second.processed_now == 0
    assert claim_lines(out) == before
    assert (second.written, second.claims) == (first.written, first.claims)
    # Only the feed was fetched again (to look for new entries), no article page.
    assert [p for p in web.requests if p.startswith("/news/")] == []


def test_published_source_recorded_on_claims(tmp_path, web, blank, settings):
    out = tmp_path / "out"
    run(
        [web.url("news/undated-aid.html"), web.url("news/hospital-fund.html")],
        out, settings=settings, extractor=blank,
    )  # fmt: skip
    claims = [json.loads(line) for line in claim_lines(out)]
    sources = {c["article_id"]: c["published_source"] for c in claims}
    assert sources[web.url("news/hospital-fund.html")] == "metadata"
    assert sources[web.url("news/undated-aid.html")] == "fetch_date"


def test_since_skips_old_pages(tmp_path, web, blank, settings):
    import datetime as dt

    out = tmp_path / "out"
    summary = run(
        [web.url("news/old-story.html"), web.url("news/rail-upgrade.html")],
        out, settings=settings, extractor=blank, since=dt.date(2024, 1, 1),
    )  # fmt: skip
    assert (summary.written, summary.skipped) == (1, 1)


def test_redirect_to_private_address_is_a_recorded_failure(tmp_path, web, blank, settings):
    strict = settings.model_copy(update={"allow_private": False})
    fetcher = Fetcher(strict, address_allowed=lambda a: a == "127.0.0.1" or is_public_address(a))
    urls = tmp_path / "urls.txt"
    targets = ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]/"]
    urls.write_text("".join(web.url(f"redirect-to?url={t}") + "\n" for t in targets))
    out = tmp_path / "out"
    summary = run(
        [str(urls), web.url("news/rail-upgrade.html")], out,
        settings=strict, extractor=blank, fetcher=fetcher,
    )  # fmt: skip
    assert (summary.written, summary.failed) == (1, 3)
    assert set(failures(out).values()) == {("fetch", "blocked_address")}


def test_local_html_and_jsonl_sources(tmp_path, blank, settings):
    dump = tmp_path / "dump.jsonl"
    dump.write_text(
        json.dumps({"id": "d1", "text": "The council will spend $3m on parks next year."}) + "\n"
    )
    out = tmp_path / "out"
    summary = run([str(WEB / "news"), str(dump)], out, settings=settings, extractor=blank)
    assert summary.written == len(list((WEB / "news").glob("*.html"))) + 1
    assert summary.failed == 0


# --- kill -9 and resume (real subprocesses) --------------------------------------------------


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def written_articles(out: Path) -> int:
    ledger = out / LEDGER
    if not ledger.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM items WHERE state = 'written'").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("kill_after", [1, 12], ids=["early", "mid"])
def test_kill_9_then_resume_writes_every_claim_exactly_once(tmp_path, web, kill_after, fast_model):
    pages = sorted(p.name for p in (WEB / "news").glob("*.html"))
    urls = tmp_path / "urls.txt"
    # 8 copies of each page under distinct URLs (a query string makes each its own article).
    total = 8 * len(pages)
    urls.write_text("".join(web.url(f"news/{p}?copy={i}") + "\n" for i in range(8) for p in pages))
    args = [str(urls), *fast_model, "--allow-private", "--shard-size", "3",
            "--batch-size", "2"]  # fmt: skip
    env = cli_env(NEWSCLAIMS_PER_HOST_DELAY="0.05", NEWSCLAIMS_PER_HOST_CONCURRENCY="1")

    reference = tmp_path / "reference"
    done = run_cli([*args, "-o", str(reference)], env)
    assert done.returncode == 0, done.stderr
    expected = collections.Counter(claim_lines(reference))
    assert sum(expected.values()) > total

    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [*CLI, *args, "-o", str(out)], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while written_articles(out) < kill_after and proc.poll() is None:
        assert time.monotonic() < deadline, "the run never wrote a shard"
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = written_articles(out)
    assert kill_after <= partial < total

    resumed = run_cli([*args, "-o", str(out)], env)
    assert resumed.returncode == 0, resumed.stderr
    assert collections.Counter(claim_lines(out)) == expected
    assert written_articles(out) == total
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["processed_now"] == total - partial


def test_cli_exit_code_and_failure_file(tmp_path, web, fast_model):
    out = tmp_path / "out"
    result = run_cli(
        [web.url("news/rail-upgrade.html"), web.url("status/404"), "-o", str(out),
         *fast_model, "--allow-private"],
        cli_env(NEWSCLAIMS_PER_HOST_DELAY="0"),
    )  # fmt: skip
    assert result.returncode == 1
    assert "1 failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert "\r" not in result.stderr  # stderr is not a terminal: no progress bar
    assert failures(out) == {web.url("status/404"): ("fetch", "status")}


def test_cli_refuses_private_addresses_without_the_flag(tmp_path, web, fast_model):
    out = tmp_path / "out"
    result = run_cli([web.url("news/rail-upgrade.html"), "-o", str(out), *fast_model], cli_env())
    assert result.returncode == 1
    assert failures(out) == {web.url("news/rail-upgrade.html"): ("fetch", "blocked_address")}
    assert web.hits("/news/") == 0


def test_cli_bad_settings_file_is_one_line(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text("max_bytez = 5\n")
    result = run_cli(["x.html", "-o", str(tmp_path / "o"), "--settings", str(bad)], cli_env())
    assert result.returncode == 2
    assert "max_bytez" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("renamed", [False, True], ids=["before-rename", "after-rename"])
def test_shard_interrupted_between_assign_and_mark_is_finished_once(
    tmp_path, web, blank, settings, renamed
):
    out = tmp_path / "out"
    run([web.url("feed.rss")], out, settings=settings, extractor=blank, shard_size=2)
    before = claim_lines(out)
    shards = sorted(out.glob("claims-*.jsonl"))
    assert len(shards) >= 2
    last = shards[-1]
    per_article = collections.defaultdict(str)
    for line in last.read_text().splitlines():
        per_article[json.loads(line)["article_id"]] += line + "\n"
    assert per_article
    # Put the ledger back where a kill between "assign shard" and "mark written" leaves it.
    with sqlite3.connect(out / LEDGER) as db:
        for key, text in per_article.items():
            db.execute(
                "UPDATE items SET state = 'extracted', claims = ? WHERE key = ? AND shard = ?",
                (text, key, last.name),
            )
    if not renamed:
        last.unlink()
    web.requests.clear()
    summary = run([web.url("feed.rss")], out, settings=settings, extractor=blank, shard_size=2)
    assert sorted(claim_lines(out)) == sorted(before)
    assert summary.pending == 0
    assert [p for p in web.requests if p.startswith("/news/")] == []


def test_extract_command_reads_one_url(web):
    env = cli_env(NEWSCLAIMS_PER_HOST_DELAY="0", NEWSCLAIMS_ALLOW_PRIVATE="1")
    extract = [sys.executable, "-c", "from extractor.cli import main; main()", "extract"]
    result = subprocess.run(
        [*extract, web.url("news/defence-budget.html")], env=env, capture_output=True,
        text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    claims = [json.loads(line) for line in result.stdout.splitlines()]
    assert claims
    assert {c["published"] for c in claims} == {"2025-03-14"}
    assert {c["published_source"] for c in claims} == {"metadata"}
