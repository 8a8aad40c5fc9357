"""Measure `newsclaims run` end to end against the local test server (no outside network).

    .venv/bin/python benchmarks/batch_local.py [--copies 10] [--model NAME]

Serves the real pages of ../shared/external/html (each under `copies` distinct URLs) plus
our own test pages and the adversarial endpoints of tests/webserver.py, runs the CLI in a
subprocess and prints: articles/s, peak RSS of the run's process tree (sampled every 50 ms
with psutil when installed), and the failure table of the adversarial URLs.
"""

import argparse
import collections
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from webserver import EXTERNAL, start_server  # noqa: E402

ADVERSARIAL = [
    "status/404",
    "status/500",
    "slow",
    "trickle",
    "endless",
    "gzip-bomb",
    "image.png",
    "data.json",
    "page.pdf",
    "redirect-loop",
    "redirect-to?url=file:///etc/passwd",
    "private/secret.html",
]


def tree_rss(pid: int) -> int:
    try:
        import psutil
    except ImportError:
        return 0
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):  # the process ended meanwhile
            total += p.memory_info().rss
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--model", default=None)
    parser.add_argument("--n-process", type=int, default=1)
    args = parser.parse_args()

    httpd, web = start_server()
    web.bomb()
    pages = sorted(p.name for p in EXTERNAL.glob("*.html")) if EXTERNAL.is_dir() else []
    urls = [web.url(f"external/{p}?copy={i}") for i in range(args.copies) for p in pages]
    own = sorted(p.name for p in (ROOT / "tests/data/web/news").glob("*.html"))
    urls += [web.url(f"news/{p}") for p in own]
    bad = [web.url(p) for p in ADVERSARIAL]
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "urls.txt"
        listing.write_text("\n".join(urls + bad) + "\n")
        out = Path(tmp) / "out"
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(ROOT),
            NEWSCLAIMS_PER_HOST_DELAY="0",
            NEWSCLAIMS_PER_HOST_CONCURRENCY="8",
            NEWSCLAIMS_READ_TIMEOUT="2",
            NEWSCLAIMS_TOTAL_TIMEOUT="5",
        )
        cmd = [sys.executable, "-c", "from extractor.cli import main; main()", "run",
               str(listing), "-o", str(out), "--allow-private", "--no-progress",
               "--n-process", str(args.n_process)]  # fmt: skip
        if args.model:
            cmd += ["--model", args.model]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)  # fmt: skip
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        stderr = proc.stderr.read() if proc.stderr else ""
        summary = json.loads((out / "summary.json").read_text())
        failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    httpd.shutdown()

    print(f"exit code {proc.returncode}; {stderr.strip().splitlines()[0] if stderr else ''}")
    print(f"URLs: {len(urls)} pages + {len(bad)} adversarial")
    print(f"articles written {summary['written']}, claims {summary['claims']}, "
          f"failed {summary['failed']}")  # fmt: skip
    print(f"wall time {elapsed:.1f} s (incl. start-up and model load): "
          f"{summary['written'] / elapsed:.2f} articles/s; run's own rate "
          f"{summary['articles_per_s']:.2f} articles/s")  # fmt: skip
    if peak:
        print(f"peak RSS of the process tree: {peak / 2**20:.0f} MiB")
    print("\n| URL | stage | reason |\n| --- | --- | --- |")
    by_key = {f["key"]: f for f in failures}
    for path in ADVERSARIAL:
        row = by_key.get(web.url(path))
        print(f"| /{path} | {row['stage'] if row else '-'} | {row['reason'] if row else 'OK?'} |")
    other = collections.Counter(
        f["reason"] for f in failures if f["key"] not in map(web.url, ADVERSARIAL)
    )
    if other:
        print(f"other failures: {dict(other)}")


if __name__ == "__main__":
    main()
