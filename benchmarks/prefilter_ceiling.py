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
  sentences    the same on the sentences that hold a figure (a regex split), with PAD_WORDS
               words around each: a finer prefilter, also not exact today
  regex only   finding the figures, the floor of any prefilter

Prints words/s, the ratio to naive and, for region-only, how many articles' claims differ.
"""

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.bench import naive_model, set_rule_error_handler  # noqa: E402
from extractor.pipeline import Extractor, _one_blas_thread, article_from_dict  # noqa: E402
from extractor.prefilter import PAD_WORDS, _blank_outside, figure_starts, region  # noqa: E402

# A sentence: up to a full stop (or ?, !, a closing quote after them) followed by a capital,
# a digit or a currency sign, or to the end of the line.
SENTENCE = re.compile(r"[^\n]+?(?:[.!?][\"”’]?(?=\s+[\"“‘]?[A-Z0-9£$€])|$)", re.M)
WORD = re.compile(r"\S+")


def sentence_region(text: str, starts: list[int]) -> str:
    """`text` with all but the figure sentences and PAD_WORDS words around each blanked."""
    spans: list[tuple[int, int]] = []
    for m in SENTENCE.finditer(text):
        s, e = m.start(), m.end()
        if e <= s or not any(s <= p < e for p in starts):
            continue
        before = [w.start() for w in WORD.finditer(text, 0, s)]
        after = [w.end() for w in WORD.finditer(text, e)]
        a = before[-PAD_WORDS] if len(before) >= PAD_WORDS else 0
        b = after[PAD_WORDS - 1] if len(after) >= PAD_WORDS else len(text)
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
        else:
            spans.append((a, b))
    return _blank_outside(text, spans)


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

    differ: dict[str, int] = {}
    for name, blank in (
        ("region-only", lambda text, starts: region(text, starts).text),
        ("sentences", sentence_region),
    ):
        t = time.perf_counter()
        claims: list[list[dict]] = []
        docs = []
        for a in articles:
            starts = figure_starts(a.text, fast._figures)
            docs.append(fast._make_doc(a, blank(a.text, starts), 0) if starts else None)
        with _one_blas_thread():
            processed = iter(fast.nlp.pipe(d for d in docs if d is not None))
            for d in docs:
                claims.append(dump(next(processed)._.claims) if d is not None else [])
        timings[name] = time.perf_counter() - t
        differ[name] = sum(a != b for a, b in zip(claims, want, strict=True))

    t = time.perf_counter()
    for a in articles:
        figure_starts(a.text, fast._figures)
    timings["regex only"] = time.perf_counter() - t

    for name, seconds in timings.items():
        note = f"  ({differ[name]} of {len(articles)} articles differ)" if name in differ else ""
        print(
            f"{name:<12}{words / seconds:>10.0f} words/s {timings['naive'] / seconds:>7.1f}x{note}"
        )


if __name__ == "__main__":
    main()
