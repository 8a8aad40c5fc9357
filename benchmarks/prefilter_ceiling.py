"""How fast could a prefilter make newsclaims, and what would it cost in exactness?

    .venv/bin/python benchmarks/prefilter_ceiling.py [CORPUS.jsonl] [--every 4]

On every `every`-th article of the corpus (default ../shared/external/bbc.jsonl), in one
process, one after the other:

  naive        the default spaCy pipeline + rules on every article (the bench baseline)
  newsclaims   the default Extractor (exact: same claims as naive)
  region-only  model + rules on the figure paragraphs (+ padding) only, never the whole
               article: what the prefilter would give if every rule read only the figure's
               own paragraph. Today it is NOT exact (claims use the whole article's entities:
               the main actor, full names, genders), so the differing articles are counted.
  regex only   finding the figures, the floor of any prefilter

Prints words/s, the ratio to naive and, for region-only, how many articles' claims differ.
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.bench import naive_model, set_rule_error_handler  # noqa: E402
from extractor.pipeline import Extractor, _one_blas_thread, article_from_dict  # noqa: E402
from extractor.prefilter import figure_starts, region  # noqa: E402


def dump(claims) -> list[dict]:
    return [c.model_dump(mode="json") for c in claims]


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
    print(f"{len(articles)} articles, {words} words (every {args.every}th of {args.corpus})")
    naive = Extractor(naive_model(None), prefilter=False)
    fast = Extractor()
    for ex in (naive, fast):
        set_rule_error_handler(ex.nlp, lambda *a: None)

    timings: dict[str, float] = {}
    t = time.perf_counter()
    want = [dump(c) for _, c in naive.pipe(articles)]
    timings["naive"] = time.perf_counter() - t

    t = time.perf_counter()
    got = [dump(c) for _, c in fast.pipe(articles)]
    timings["newsclaims"] = time.perf_counter() - t
    assert got == want, "newsclaims differs from naive"

    t = time.perf_counter()
    region_only: list[list[dict]] = []
    docs = []
    for a in articles:
        starts = figure_starts(a.text, fast._figures)
        docs.append(fast._make_doc(a, region(a.text, starts).text, 0) if starts else None)
    with _one_blas_thread():
        processed = iter(fast.nlp.pipe(d for d in docs if d is not None))
        for d in docs:
            region_only.append(dump(next(processed)._.claims) if d is not None else [])
    timings["region-only"] = time.perf_counter() - t
    differ = sum(a != b for a, b in zip(region_only, want, strict=True))

    t = time.perf_counter()
    for a in articles:
        figure_starts(a.text, fast._figures)
    timings["regex only"] = time.perf_counter() - t

    for name, seconds in timings.items():
        note = f"  ({differ} of {len(articles)} articles differ)" if name == "region-only" else ""
        print(
            f"{name:<12}{words / seconds:>10.0f} words/s {timings['naive'] / seconds:>7.1f}x{note}"
        )


if __name__ == "__main__":
    main()
