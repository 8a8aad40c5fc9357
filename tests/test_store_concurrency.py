"""Loading for real: two `newsclaims load` processes at once, and kill -9 in the middle.

Both run on SQLite and on PostgreSQL. The loaders are subprocesses of the installed CLI.
"""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from store_support import *  # noqa: F403
from store_support import (
    REPO,
    Claim,
    sa,
    synthetic_articles,
    synthetic_claims,
    write_jsonl,
)

from extractor.store import Filters, connect, count_claims, load_claims_file, query_claims
from extractor.store import schema as s


@pytest.fixture(scope="session")
def extracted(claim_extractor) -> list[tuple]:
    """(article, claims) for 240 articles, claims from the real extractor."""
    pairs = list(claim_extractor.pipe(synthetic_articles(240, prefix="conc")))
    assert sum(len(claims) for _, claims in pairs) > 240
    return pairs


def start_loader(path: Path, db_url: str, *, label: str = "test") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from extractor.cli import main; main()", "load", str(path),
         "--db", db_url, "--extractor-version", label],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def stored(db_url: str) -> tuple[list[Claim], int, int]:
    """(current claims, claim rows in total, superseded rows)."""
    engine = connect(db_url, create=False)
    try:
        with engine.connect() as conn:
            total = conn.scalar(sa.select(sa.func.count()).select_from(s.claims))
            superseded = conn.scalar(
                sa.select(sa.func.count())
                .select_from(s.claims)
                .where(s.claims.c.superseded_at.is_not(None))
            )
        return query_claims(engine), total, superseded
    finally:
        engine.dispose()


def test_store_two_loaders_on_overlapping_input(extracted, db_url, other_db_url, tmp_path):
    # Real extractor output, plus hand-made claims of 1200 more articles so that each load
    # lasts longer than the loaders' start-up: they must overlap in time.
    more = [(a, synthetic_claims(a)) for a in synthetic_articles(1200, prefix="many")]
    pairs = extracted + more
    claims = [c for _, cl in pairs for c in cl]
    n = len(pairs)
    assert n == 1440
    first = write_jsonl(tmp_path / "first.jsonl", [c for _, cl in pairs[: n * 2 // 3] for c in cl])
    second = write_jsonl(tmp_path / "second.jsonl", [c for _, cl in pairs[n // 3 :] for c in cl])

    loaders = [start_loader(first, db_url, label="A"), start_loader(second, db_url, label="B")]
    outputs = [p.communicate(timeout=300) for p in loaders]
    for proc, (_out, err) in zip(loaders, outputs, strict=True):
        assert proc.returncode == 0, err

    # The two loads really ran at the same time: the times of the claims each one inserted
    # overlap (the label is the extractor version each loader recorded).
    engine = connect(db_url, create=False)
    try:
        with engine.connect() as conn:
            spans = dict(
                (row[0], row[1:])
                for row in conn.execute(
                    sa.select(
                        s.claims.c.extractor_version,
                        sa.func.min(s.claims.c.loaded_at),
                        sa.func.max(s.claims.c.loaded_at),
                    ).group_by(s.claims.c.extractor_version)
                )
            )
    finally:
        engine.dispose()
    assert set(spans) == {"A", "B"}
    assert spans["A"][0] <= spans["B"][1] and spans["B"][0] <= spans["A"][1], spans

    current, total, superseded = stored(db_url)
    assert len(current) == len(claims)  # no duplicates, nothing lost
    assert {c.claim_id for c in current} == {c.claim_id for c in claims}
    assert (total, superseded) == (len(claims), 0)

    # The same as one plain load of everything.
    everything = write_jsonl(tmp_path / "all.jsonl", claims)
    reference = connect(other_db_url)
    try:
        assert load_claims_file(reference, everything).inserted == len(claims)
    finally:
        reference.dispose()
    assert stored(other_db_url)[0] == current


def test_store_kill_9_mid_load_then_resume(db_url, tmp_path):
    articles = synthetic_articles(1500, prefix="kill")
    by_article = {a.id: synthetic_claims(a) for a in articles}
    claims = [c for cl in by_article.values() for c in cl]
    path = write_jsonl(tmp_path / "claims.jsonl", claims)

    proc = start_loader(path, db_url)
    engine = None
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
            if engine is None:
                try:
                    engine = connect(db_url, create=False)
                except Exception:  # the loader has not created the tables yet
                    continue
            if count_claims(engine) >= len(claims) // 10:
                break
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if engine is not None:
            engine.dispose()
    assert proc.returncode == -signal.SIGKILL, "the loader finished before it could be killed"

    partial, total, _ = stored(db_url)
    assert 0 < len(partial) < len(claims)
    assert total == len(partial)
    # One transaction per article: every article present has all of its claims.
    per_article: dict[str, int] = {}
    for claim in partial:
        per_article[claim.article_id] = per_article.get(claim.article_id, 0) + 1
    assert per_article == {k: len(by_article[k]) for k in per_article}

    resumed = start_loader(path, db_url)
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    final, total, superseded = stored(db_url)
    assert (len(final), total, superseded) == (len(claims), len(claims), 0)
    assert {c.claim_id for c in final} == {c.claim_id for c in claims}
    engine = connect(db_url, create=False)
    try:
        assert query_claims(engine, Filters(article="kill-00007")) == by_article["kill-00007"]
    finally:
        engine.dispose()
