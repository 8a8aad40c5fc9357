"""Where the time goes: seconds per stage of newsclaims and of the naive path, same articles.

    .venv/bin/python benchmarks/stages.py [CORPUS.jsonl] [--every 4]

On every `every`-th article of the corpus (default ../shared/external/bbc.jsonl), in one
process, each path runs its components one after the other over all its Docs (so a stage's
time is its own), and prints per stage: seconds and share. For newsclaims the first rows are
the model-free planning (figure scan, evidence test and context, blanking) and making the
region Docs. Both paths must give the same claims (checked). Figures vary with the machine's
load; compare rows within one run.
"""

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.bench import naive_model  # noqa: E402
from extractor.pipeline import Extractor, _one_blas_thread, article_from_dict  # noqa: E402


def run(ex: Extractor, articles: list, plan: bool) -> tuple[dict[str, float], list]:
    times: dict[str, float] = defaultdict(float)
    docs = []
    for a in articles:
        if plan:
            t = time.perf_counter()
            r = ex.region(a.text)
            times["plan (figures, evidence, context, blanking)"] += time.perf_counter() - t
            if r is None:
                continue
            t = time.perf_counter()
            doc = ex._make_doc(a, r.text, 0)
            doc._.context = [list(s) for s in r.context]
            doc._.source_text = a.text
            times["tokenize"] += time.perf_counter() - t
        else:
            t = time.perf_counter()
            doc = ex._make_doc(a, a.text, 0)
            times["tokenize"] += time.perf_counter() - t
        docs.append(doc)
    with _one_blas_thread() if plan else _nothing():
        for name, proc in ex.nlp.pipeline:
            t = time.perf_counter()
            if hasattr(proc, "pipe"):
                docs = list(proc.pipe(docs, batch_size=64))
            else:
                docs = [proc(d) for d in docs]
            times[name] += time.perf_counter() - t
    t = time.perf_counter()
    claims = [c.model_dump(mode="json") for d in docs for c in d._.claims]
    times["Claim models"] += time.perf_counter() - t
    return times, claims


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared/external/bbc.jsonl"))
    parser.add_argument("--every", type=int, default=4)
    args = parser.parse_args()
    with open(args.corpus, encoding="utf-8") as fh:
        articles = [
            article_from_dict(json.loads(line), source=args.corpus, line=n)
            for n, line in enumerate(fh, start=1)
            if (n - 1) % args.every == 0
        ]
    words = sum(len(a.text.split()) for a in articles)
    print(f"{len(articles)} articles, {words} words (every {args.every}th of {args.corpus})\n")
    fast_times, fast_claims = run(Extractor(), articles, plan=True)
    naive_times, naive_claims = run(
        Extractor(naive_model(None), prefilter=False), articles, plan=False
    )
    for label, times in (("newsclaims", fast_times), ("naive", naive_times)):
        total = sum(times.values())
        print(f"{label}: {total:.2f} s, {words / total:,.0f} words/s")
        for name, seconds in times.items():
            print(f"  {name:<46}{seconds:>7.2f} s {seconds / total:>6.1%}")
        print()
    print(f"ratio {sum(naive_times.values()) / sum(fast_times.values()):.1f}x")
    same = sorted(map(json.dumps, fast_claims)) == sorted(map(json.dumps, naive_claims))
    print(f"claims: {len(fast_claims)} and {len(naive_claims)}, identical: {same}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
