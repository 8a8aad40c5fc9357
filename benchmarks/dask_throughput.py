"""Throughput of `run` (one process) vs `run --engine dask` on 1 and 2 local workers.

    .venv/bin/python benchmarks/dask_throughput.py [--corpus FILE] [--articles 400]
        [--exclude ID...] [--model NAME] [--partition-size 50] [--workers 1 2]

Reads the first N articles of ../shared/external/bbc.jsonl (real BBC prose, not part of the
project), and prints, for each engine: wall time, articles/s end to end, articles/s per worker
process while extracting (summed task time), articles per CPU-second of the extracting
processes (what a core does when nothing else runs), the cost of loading the pipeline in a
fresh worker, and whether the claim sets agree. The machine's load average is printed too: on a
shared machine the numbers move with what else runs.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BBC = ROOT.parent / "shared" / "external" / "bbc.jsonl"


def claim_set(out: Path) -> list[str]:
    return sorted(
        line for p in sorted(out.glob("claims-*.jsonl")) for line in p.read_text().splitlines()
    )


def cpu_seconds() -> float:
    """CPU time of this process so far (user + system): the work done, whatever else ran."""
    times = os.times()
    return times.user + times.system


def load_seconds(model: str | None) -> float:
    from extractor.distributed import get_extractor

    started = time.perf_counter()
    get_extractor(model)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=BBC, help="a JSONL article dump")
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--exclude", nargs="*", default=[], help="article ids to leave out")
    parser.add_argument("--model", default=None)
    parser.add_argument("--partition-size", type=int, default=50)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"{args.corpus} is absent: nothing to measure")

    from distributed import Client, LocalCluster

    from extractor.batch import run
    from extractor.distributed import DaskLedger, run_dask
    from extractor.settings import Settings

    settings = Settings()
    tmp = Path(tempfile.mkdtemp(prefix="dask-bench-"))
    subset = tmp / "bbc-subset.jsonl"
    with args.corpus.open(encoding="utf-8") as src:
        lines = [line for line in src if json.loads(line)["id"] not in args.exclude]
    lines = lines[: args.articles]
    subset.write_text("".join(lines), encoding="utf-8")
    chars = sum(len(json.loads(x)["text"]) for x in lines) / len(lines)
    print(
        f"{len(lines)} articles (first lines of {args.corpus.name}), {chars:.0f} chars on average"
    )
    print(f"load average before: {os.getloadavg()}")

    rows = []
    started = time.perf_counter()
    cpu0 = cpu_seconds()
    single = run([str(subset)], tmp / "single", settings=settings, model=args.model, progress=False)
    wall = time.perf_counter() - started
    cpu = cpu_seconds() - cpu0
    rows.append(
        ("run (1 process)", 1, wall, single.written / wall, single.written / wall, None, cpu)
    )
    reference = claim_set(tmp / "single")

    for n in args.workers:
        t0 = time.perf_counter()
        with (
            LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            startup = time.perf_counter() - t0
            loads = client.run(load_seconds, args.model)
            cpu0 = sum(client.run(cpu_seconds).values())
            out = tmp / f"dask-{n}"
            t1 = time.perf_counter()
            summary = run_dask(
                [str(subset)],
                out,
                settings=settings,
                model=args.model,
                client=client,
                partition_size=args.partition_size,
                progress=False,
            )
            wall = time.perf_counter() - t1
            cpu = sum(client.run(cpu_seconds).values()) - cpu0
            ledger = DaskLedger(out / "dask-ledger.sqlite")
            busy = ledger.query("SELECT SUM(seconds), SUM(articles) FROM partitions")[0]
            ledger.close()
        same = claim_set(out) == reference
        rows.append(
            (
                f"dask, {n} worker(s)",
                n,
                wall,
                summary.written / wall,
                busy[1] / busy[0],
                (startup, max(loads.values()), same),
                cpu,
            )
        )

    print(f"load average after: {os.getloadavg()}")
    print(
        "| engine | wall s | articles/s | articles/s per worker process (task time) | "
        "articles per CPU-second | cluster start s | pipeline load s per worker | same claims |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, _n, wall, rate, per_worker, extra, cpu in rows:
        start, load, same = extra if extra else ("-", "-", "(reference)")
        fmt = lambda v: f"{v:.1f}" if isinstance(v, float) else v  # noqa: E731
        print(
            f"| {name} | {wall:.1f} | {rate:.2f} | {per_worker:.2f} | "
            f"{single.written / cpu:.2f} | {fmt(start)} | {fmt(load)} | {same} |"
        )
    print(f"(outputs in {tmp})")


if __name__ == "__main__":
    main()
