"""`newsclaims bench`: runs both pipelines in subprocesses, compares claims, prints the table."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.bench import RunResult, compare, read_corpus
from extractor.cli import _register, app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Our own fixture articles plus two without any figure, as a JSONL corpus."""
    path = tmp_path_factory.mktemp("bench") / "corpus.jsonl"
    lines = []
    for gold in sorted((ROOT / "fixtures" / "articles").glob("*.json"))[:6]:
        data = json.loads(gold.read_text())
        text = (gold.parent / data["text"]).read_text()
        lines.append({"id": data["id"], "text": text, "published": data.get("published")})
    lines.append({"id": "quiet-1", "text": "The council met on Tuesday and adjourned."})
    lines.append({"id": "quiet-2", "text": "Rain is expected in the north tomorrow."})
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def invoke(*args: str):
    _register()
    return CliRunner().invoke(app, ["bench", *args])


def test_bench_cli_prints_both_pipelines_and_identical_claims(corpus):
    result = invoke(str(corpus), "--model", "blank", "--n-process", "1", "--n-process", "2",
                    "--latency-sample", "3")  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert "articles 8 " in out
    for label in ("naive (full model)", "newsclaims n_process=1", "newsclaims n_process=2"):
        assert label in out
    assert "claims n_process=1 vs naive: identical claims" in out
    assert "claims n_process=2 vs naive: identical claims" in out
    assert "2 of 8 articles had no figure" in out
    row = next(ln for ln in out.splitlines() if ln.startswith("newsclaims n_process=1"))
    assert row.rstrip().endswith("x")


def test_bench_memory_check_reports_ten_copies(corpus):
    result = invoke(str(corpus), "--model", "blank", "--n-process", "1", "--latency-sample", "0",
                    "--limit", "4", "--memory-check")  # fmt: skip
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("memory:"))
    assert "on 4 articles" in line and "on 40 (10x)" in line


def test_bench_runs_import_one_snapshot_of_the_code(corpus):
    from extractor.bench import bench

    report = bench(corpus, n_process=(1,), model="blank", latency_sample=0, limit=2)
    sources = {r.source for r in (report.naive, *report.runs)}
    assert len(sources) == 1
    (source,) = sources
    assert source.endswith("extractor") and not source.startswith(str(ROOT))
    assert report.identical


def test_bench_missing_corpus_is_a_one_line_error(tmp_path):
    result = invoke(str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_bench_compare_finds_the_differing_article(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    claim = {"figure": {"text": "£4bn"}, "actor": "UK"}
    a.write_text("[]\n" + json.dumps([claim]) + "\n[]\n")
    b.write_text("[]\n" + json.dumps([{**claim, "actor": "France"}]) + "\n[]\n")
    differ, shown = compare(a, b)
    assert differ == 1
    assert shown == ["article #2: claim '£4bn': {'actor': ('UK', 'France')}"]
    assert compare(a, a) == (0, [])


def test_bench_corpus_is_read_lazily_and_repeated(corpus):
    articles = read_corpus(corpus, limit=3, repeat=2)
    assert next(articles).id == json.loads(corpus.read_text().splitlines()[0])["id"]
    assert len([1, *articles]) == 6


def test_bench_latency_quantiles():
    r = RunResult(
        "x", 1, 100, 1000, 0, 2.0, 0.1, 100.0, 0.0, latency_ms=[float(n) for n in range(1, 101)]
    )
    assert (r.articles_per_s, r.words_per_s) == (50.0, 500.0)
    assert r.latency(0.5) == pytest.approx(50.5, abs=0.6)
    assert r.latency(0.95) == pytest.approx(95, abs=1)
