"""Dask engine: same claims as the single-process run, exactly once, also when workers die.

The corpus is generated from the project's own fixtures (fixtures/articles): every article
is repeated with its paragraphs rotated, a new id and a shifted publication date, so the
claims differ from copy to copy (ids, resolved dates) and a few hundred articles exist.
"""

import gzip
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the dask extra is not installed")


from distributed import Client, LocalCluster
from distributed_corpus import make_corpus, write_jsonl

from extractor.batch import run
from extractor.distributed import (
    LEDGER,
    DaskLedger,
    PartitionResult,
    finalise,
    plan,
    process_partition,
    process_partition_jsonl,
    run_dask,
    split_jsonl,
)
from extractor.models import Article
from extractor.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from extractor.cli import main; main()", "run"]
SETTINGS = Settings(allow_private=True, per_host_delay=0)

pytest_plugins = ["webserver"]


BAD_LINES = (
    '{"id": "broken", "text": ',
    '["not", "an", "object"]',
    '{"id": "empty", "text": "   "}',
    "",
)


@pytest.fixture(scope="module")
def fast_model() -> str | None:
    """'blank' when it works (fast), else the default pipeline."""
    from extractor.pipeline import Extractor

    try:
        Extractor("blank").extract(Article(id="probe", text="The city will spend $3m on parks."))
    except Exception:
        return None
    return "blank"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    return write_jsonl(folder / "corpus.jsonl", make_corpus(14), BAD_LINES)


@pytest.fixture(scope="module")
def reference(corpus, fast_model, tmp_path_factory) -> Path:
    """The single-process `run` of the corpus."""
    out = tmp_path_factory.mktemp("single")
    summary = run([str(corpus)], out, settings=SETTINGS, model=fast_model, progress=False)
    assert summary.written > 200
    return out


@pytest.fixture(scope="module")
def cluster():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield cluster, client


def claim_lines(out: Path) -> list[str]:
    return [
        line
        for shard in sorted(out.glob("claims-*.jsonl"))
        for line in shard.read_text(encoding="utf-8").splitlines()
    ]


def claim_ids(out: Path) -> list[str]:
    return [json.loads(line)["claim_id"] for line in claim_lines(out)]


def failure_keys(out: Path) -> set[tuple[str, str, str]]:
    rows = [json.loads(x) for x in (out / "failures.jsonl").read_text().splitlines()]
    return {(r["key"], r["stage"], r["reason"]) for r in rows}


def assert_same_claims(out: Path, reference: Path) -> None:
    got = claim_lines(out)
    want = claim_lines(reference)
    assert len(want) > 300
    ids = [json.loads(line)["claim_id"] for line in got]
    duplicates = [cid for cid, n in Counter(ids).items() if n > 1]
    assert duplicates == []
    # Whole records, not only ids: the same sentence, figure, dates, level for every claim.
    assert sorted(got) == sorted(want)


# --- the pure function ---------------------------------------------------------------------


def test_process_partition_equals_extract_per_article(fast_model):
    from extractor.pipeline import Extractor

    records = make_corpus(1)[:6]
    articles = [Article.model_validate(r) for r in records]
    single = Extractor(fast_model)
    want = [c for a in articles for c in single.extract(a)]
    got = list(process_partition(iter(articles), model=fast_model))
    assert len(want) > 5
    assert [c.model_dump() for c in got] == [c.model_dump() for c in want]


def test_pipeline_is_loaded_once_per_process(fast_model):
    from extractor import distributed

    list(process_partition([Article(id="a", text="It will spend $3m.")], model=fast_model))
    first = distributed.get_extractor(fast_model)
    list(process_partition([Article(id="b", text="It will spend $4m.")], model=fast_model))
    assert distributed.get_extractor(fast_model) is first


def test_dask_bag_of_jsonl_lines(corpus, fast_model):
    import dask
    import dask.bag as db

    records = make_corpus(1)
    folder = corpus.parent / "bag"
    folder.mkdir(exist_ok=True)
    with gzip.open(folder / "a.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("".join(json.dumps(r) + "\n" for r in records[:9]) + "not json\n")
    write_jsonl(folder / "b.jsonl", records[9:])
    bag = db.read_text(str(folder / "*.jsonl*")).map_partitions(
        process_partition_jsonl, model=fast_model
    )
    with dask.config.set(scheduler="synchronous"):
        got = bag.compute()
        # The docs' way to write the claims out: JSONL files, one claim a line.
        bag.map(lambda c: c.model_dump_json()).to_textfiles(
            str(folder / "claims" / "*.jsonl"), last_endline=True
        )
    want = list(process_partition([Article.model_validate(r) for r in records], model=fast_model))
    assert len(want) > 20
    assert sorted(c.model_dump_json() for c in got) == sorted(c.model_dump_json() for c in want)
    written = "".join(p.read_text() for p in sorted((folder / "claims").glob("*.jsonl")))
    assert sorted(written.splitlines()) == sorted(c.model_dump_json() for c in want)


# --- planning --------------------------------------------------------------------------------


def test_partitions_cover_every_line_once_and_keep_their_names(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", make_corpus(1))
    lines = path.read_text().splitlines()
    specs = split_jsonl(path, str(path), 5)
    assert len(specs) == -(-len(lines) // 5)
    assert [s.first_line for s in specs] == list(range(1, len(lines) + 1, 5))
    assert specs[0].start == 0 and specs[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in itertools.pairwise(specs))
    assert len({s.pid for s in specs}) == len(specs)
    # Planning again (another run, another process) names the partitions the same; a file
    # named twice, or by a pattern too, is planned once.
    again, failed = plan(
        [str(path), str(path), str(tmp_path / "*.jsonl")], settings=SETTINGS, partition_size=5
    )
    assert [s.pid for s in again] == [s.pid for s in specs]
    assert failed == []


# --- the Dask runner ------------------------------------------------------------------------


def test_dask_run_equals_single_process_run_when_a_worker_is_killed(
    cluster, corpus, reference, fast_model, tmp_path
):
    _cluster, client = cluster
    out = tmp_path / "dask"
    pids = client.run(os.getpid)
    assert len(pids) == 2
    victim = sorted(pids.values())[0]
    killed, finished = threading.Event(), threading.Event()
    at_kill: list[int] = []

    def kill_when_running() -> None:
        # Wait until the first partitions are loaded, so the kill lands mid-run.
        while not finished.is_set():
            shards = len(list(out.glob("claims-*.jsonl")))
            if (out / LEDGER).exists() and shards >= 2:
                os.kill(victim, signal.SIGKILL)
                at_kill.append(shards)
                killed.set()
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_when_running, daemon=True)
    killer.start()
    try:
        summary = run_dask(
            [str(corpus)],
            out,
            settings=SETTINGS,
            model=fast_model,
            client=client,
            partition_size=12,
            progress=False,
        )
    finally:
        finished.set()
        killer.join()
    assert killed.is_set()
    # Both workers were busy: most partitions were still to come when one died.
    assert at_kill[0] < summary.partitions / 2
    assert summary.partitions == summary.partitions_run > 10
    assert summary.partitions_failed == 0
    assert_same_claims(out, reference)
    single = json.loads((reference / "summary.json").read_text())
    assert (summary.written, summary.claims, summary.failed) == (
        single["written"],
        single["claims"],
        single["failed"],
    )
    assert failure_keys(out) == failure_keys(reference)
    assert len(failure_keys(out)) == 3  # two bad records and the empty article
    assert not list(out.glob(".*.tmp"))
    # The ledger holds every claim once, and knows the shard that has it.
    ledger = DaskLedger(out / LEDGER)
    try:
        assert ledger.query("SELECT COUNT(*) FROM claims")[0][0] == summary.claims
    finally:
        ledger.close()

    # A rerun finds everything done: no task, nothing written again.
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("claims-*.jsonl")}
    again = run_dask(
        [str(corpus)],
        out,
        settings=SETTINGS,
        model=fast_model,
        client=client,
        partition_size=12,
        progress=False,
    )
    assert (again.partitions_run, again.processed_now) == (0, 0)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("claims-*.jsonl")} == before


def test_cli_job_killed_and_rerun_writes_every_claim_once(corpus, reference, fast_model, tmp_path):
    """kill -9 the whole job (client, scheduler, workers) mid-run; the same command finishes."""
    out = tmp_path / "out"
    args = [
        *CLI,
        str(corpus),
        "-o",
        str(out),
        "--engine",
        "dask",
        "--workers",
        "1",
        "--partition-size",
        "25",
        "--no-progress",
    ]
    if fast_model:
        args += ["--model", fast_model]
    job = subprocess.Popen(
        args, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    try:
        while job.poll() is None and time.monotonic() < deadline:
            if len(list(out.glob("claims-*.jsonl"))) >= 3:
                break
            time.sleep(0.05)
    finally:
        os.killpg(job.pid, signal.SIGKILL)
        job.wait()
    assert job.returncode == -signal.SIGKILL, job.stderr.read().decode()
    partial = len(list(out.glob("claims-*.jsonl")))
    assert 3 <= partial < 11

    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr  # the corpus has bad lines: exit code 1
    assert "failed: see" in done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert 0 < summary["partitions_run"] < summary["partitions"]
    assert_same_claims(out, reference)


def test_compressed_input_gives_the_same_claims(corpus, fast_model, cluster, tmp_path):
    _cluster, client = cluster
    records = make_corpus(1)
    plain = write_jsonl(tmp_path / "p.jsonl", records)
    packed = tmp_path / "z.jsonl.gz"
    with gzip.open(packed, "wb") as f:
        f.write(plain.read_bytes())
    a = run_dask(
        [str(plain)],
        tmp_path / "a",
        settings=SETTINGS,
        model=fast_model,
        client=client,
        partition_size=4,
        progress=False,
    )
    b = run_dask(
        [str(packed)],
        tmp_path / "b",
        settings=SETTINGS,
        model=fast_model,
        client=client,
        partition_size=4,
        progress=False,
    )
    assert (a.partitions, b.partitions) == (5, 1)
    strip = [{k: v for k, v in json.loads(x).items()} for x in claim_lines(tmp_path / "a")]
    assert len(strip) > 20
    assert sorted(claim_lines(tmp_path / "a")) == sorted(claim_lines(tmp_path / "b"))


def test_same_record_in_two_partitions_is_written_once(tmp_path):
    """The loader keeps an article its first partition wrote, and finalise drops the copy."""
    from extractor.distributed import PartitionSpec

    out = tmp_path
    ledger = DaskLedger(out / LEDGER)
    first = PartitionSpec("a" * 16, "jsonl", "x.jsonl", "/x.jsonl", 0, 10)
    second = PartitionSpec("b" * 16, "jsonl", "x.jsonl", "/x.jsonl", 10, 20)
    (out / first.shard).write_text('{"claim_id": "c1"}\n{"claim_id": "c2"}\n')
    (out / second.shard).write_text('{"claim_id": "c1"}\n{"claim_id": "c3"}\n')
    try:
        assert ledger.load(
            first, PartitionResult(first.pid, first.shard, [("/x.jsonl#k", "x", ["c1", "c2"])])
        )
        assert ledger.load(
            second,
            PartitionResult(
                second.pid, second.shard, [("/x.jsonl#k", "x", ["c1"]), ("/x.jsonl#m", "x", ["c3"])]
            ),
        )
        assert not ledger.load(second, PartitionResult(second.pid, second.shard))  # loaded
        assert finalise(ledger, out) == 1
        assert finalise(ledger, out) == 0
        assert ledger.query("SELECT COUNT(*) FROM claims")[0][0] == 3
    finally:
        ledger.close()
    assert claim_ids(out) == ["c1", "c2", "c3"]


def test_output_of_the_default_engine_is_refused(tmp_path, corpus):
    from extractor.errors import InputError

    (tmp_path / "ledger.sqlite").write_bytes(b"")
    with pytest.raises(InputError, match="default engine"):
        run_dask([str(corpus)], tmp_path, settings=SETTINGS, client=object())


class _Boom:
    """Fault injection: the real pipeline, raising on the article whose id ends in 'boom'."""

    def __init__(self, real) -> None:
        self.real = real

    def pipe(self, articles, **kwargs):
        def checked():
            for article in articles:
                if article.id.endswith("boom"):
                    raise RuntimeError("pipeline bug")
                yield article

        return self.real.pipe(checked(), **kwargs)


def test_an_article_that_crashes_the_pipeline_fails_alone(tmp_path, fast_model, monkeypatch):
    from extractor import distributed
    from extractor.distributed import run_partition, split_jsonl

    records = make_corpus(1)[:7]
    records[4] = {**records[4], "id": "boom"}
    path = write_jsonl(tmp_path / "a.jsonl", records)
    monkeypatch.setitem(
        distributed._EXTRACTORS, "boom", _Boom(distributed.get_extractor(fast_model))
    )
    [spec] = split_jsonl(path, str(path), 100)
    result = run_partition(spec, str(tmp_path), settings=SETTINGS, model="boom", batch_size=3)

    assert [f["key"] for f in result.failures] == [f"{path.resolve()}#boom"]
    assert result.failures[0]["stage"] == "extract"
    assert "pipeline bug" in result.failures[0]["message"]
    others = [Article.model_validate(r) for i, r in enumerate(records) if i != 4]
    want = list(process_partition(others, model=fast_model))
    assert len(want) > 5
    assert claim_lines(tmp_path) == [c.model_dump_json() for c in want]
    assert len(result.articles) == 6


def test_database_load_after_the_run_stores_each_claim_once(cluster, fast_model, tmp_path):
    pytest.importorskip("sqlalchemy", reason="the db extra is not installed")
    from extractor.store import Filters, connect, count_claims

    _cluster, client = cluster
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(1))
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    kwargs = {"settings": SETTINGS, "model": fast_model, "client": client, "progress": False}
    first = run_dask([str(corpus)], tmp_path / "out", partition_size=5, db=url, **kwargs)
    engine = connect(url, create=False)
    try:
        # Superseded claims would not count: all are live, and none twice.
        assert count_claims(engine, Filters()) == first.claims > 20
        again = run_dask([str(corpus)], tmp_path / "out", partition_size=5, db=url, **kwargs)
        assert again.partitions_run == 0
        assert count_claims(engine, Filters()) == first.claims
        # A crash after the database committed but before the ledger knew: loaded again.
        ledger = DaskLedger(tmp_path / "out" / LEDGER)
        ledger.query("UPDATE partitions SET db_loaded = 0")
        ledger.close()
        run_dask([str(corpus)], tmp_path / "out", partition_size=5, db=url, **kwargs)
        assert count_claims(engine, Filters()) == first.claims
    finally:
        engine.dispose()


def test_pages_feeds_and_url_lists_give_the_same_claims_and_failures(
    cluster, web, fast_model, tmp_path
):
    """Items fetched and cleaned on the workers, as the default engine fetches and cleans."""
    _cluster, client = cluster
    settings = Settings(allow_private=True, per_host_delay=0, read_timeout=1, total_timeout=2)
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{web.url('news/hospital-fund.html')}\n{web.url('status/404')}\nnope\n")
    sources = [web.url("feed.rss"), str(urls), str(ROOT / "fixtures" / "html")]
    single = run(sources, tmp_path / "single", settings=settings, model=fast_model, progress=False)
    dask = run_dask(
        sources,
        tmp_path / "dask",
        settings=settings,
        model=fast_model,
        client=client,
        partition_size=3,
        progress=False,
    )
    assert single.written == dask.written > 5
    assert dask.partitions > 1
    want = claim_lines(tmp_path / "single")
    assert len(want) > 5
    assert sorted(claim_lines(tmp_path / "dask")) == sorted(want)
    assert failure_keys(tmp_path / "dask") == failure_keys(tmp_path / "single")
    assert len(failure_keys(tmp_path / "dask")) == 2  # the 404 and the line that is no URL


def test_a_dump_that_grew_is_finished_without_writing_an_article_twice(
    cluster, fast_model, tmp_path
):
    _cluster, client = cluster
    records = make_corpus(1)[:12]
    dump = write_jsonl(tmp_path / "grows.jsonl", records[:7])
    kwargs = {"settings": SETTINGS, "model": fast_model, "client": client, "progress": False}
    first = run_dask([str(dump)], tmp_path / "out", partition_size=5, **kwargs)
    assert (first.partitions, first.written) == (2, 7)
    with dump.open("a", encoding="utf-8") as f:
        f.write("".join(json.dumps(r) + "\n" for r in records[7:]))
    second = run_dask([str(dump)], tmp_path / "out", partition_size=5, **kwargs)
    # The first five lines keep their partition; lines 6-10 and 11-12 are new partitions.
    assert (second.partitions, second.partitions_run, second.written) == (3, 2, 12)
    fresh = run_dask([str(dump)], tmp_path / "fresh", partition_size=5, **kwargs)
    ids = claim_ids(tmp_path / "out")
    assert len(ids) == len(set(ids)) == fresh.claims == second.claims > 10
    assert sorted(claim_lines(tmp_path / "out")) == sorted(claim_lines(tmp_path / "fresh"))
