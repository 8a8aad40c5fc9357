"""Score pledge tracking against a gold series: a folder of articles (`<id>.txt`), their gold
claims (`<id>.json`, the ANNOTATION.md gold format) and `expected.json` (the pledges and
events a reader expects).

    python -m extractor.track_eval fixtures/series            # tracking on the gold claims
    python -m extractor.track_eval fixtures/series --extract  # on the extractor's claims

Groups are compared as sets of (article, figure value) appearances, exactly and pairwise;
events on (actor, topic, measure, kind, direction, before, after, article of the later
claim), speakers by surname. Claims marked `optional` in gold are not used for tracking on
gold; predicted pledges made only of optional figures are ignored in the group scores.
"""

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from extractor.models import Article, Claim, Commitment, Figure, Level, Timeframe, Topic
from extractor.track import Pledge, speaker_key, track

Pair = tuple[str, float]
EventKey = tuple[str, ...]


class Series(BaseModel):
    """A gold series: its articles by id and the gold documents (parsed JSON)."""

    articles: dict[str, Article]
    gold: dict[str, dict[str, Any]]
    expected: dict[str, Any]


def load_series(folder: str | Path) -> Series:
    """Read every `<id>.json` with its text file, and expected.json."""
    root = Path(folder)
    articles: dict[str, Article] = {}
    gold: dict[str, dict[str, Any]] = {}
    for path in sorted(root.glob("*.json")):
        if path.name == "expected.json":
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        text = (root / doc["text"]).read_text(encoding="utf-8")
        articles[doc["id"]] = Article(
            id=doc["id"], text=text, title=doc.get("title"), published=doc.get("published")
        )
        gold[doc["id"]] = doc
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    return Series(articles=articles, gold=gold, expected=expected)


def _first(values: Sequence[str], pick: int = 0) -> str | None:
    if not values:
        return None
    value = values[pick % len(values)]
    return value or None


def gold_claims(series: Series, *, actor_pick: int = 0, optional: bool = False) -> list[Claim]:
    """The gold claims as Claim objects: the first accepted answer of each field (the
    `actor_pick`-th for the actor, to test that every accepted name links the same way)."""
    claims: list[Claim] = []
    for article_id, doc in series.gold.items():
        article = series.articles[article_id]
        for g in doc["claims"]:
            if g.get("optional") and not optional:
                continue
            at = article.text.index(g["sentence"]) + g["sentence"].index(g["figure"])
            span = (at, at + len(g["figure"]))
            figure = Figure(text=g["figure"], value=g["value"], unit=g["unit"], base=g["base"])
            claims.append(
                Claim(
                    claim_id=Claim.make_id(article.identity, span, figure),
                    article_id=article_id,
                    sentence=g["sentence"],
                    span=span,
                    figure=figure,
                    topic=Topic(g["topic"][0]),
                    actor=_first(g["actor"], actor_pick),
                    speaker=_first(g["speaker"]),
                    commitment=Commitment(level=Level(g["commitment"])),
                    timeframe=Timeframe(start=_first(g["start"]), deadline=_first(g["deadline"])),
                    published=article.published,
                )
            )
    return claims


def _value(value: float) -> float:
    return float(f"{value:.3g}")


def _gold_pairs(series: Series) -> tuple[set[Pair], set[Pair]]:
    """(pairs of required gold claims, pairs of optional-only gold claims)."""
    required: set[Pair] = set()
    optional: set[Pair] = set()
    for article_id, doc in series.gold.items():
        for g in doc["claims"]:
            pair = (article_id, _value(g["value"]))
            (optional if g.get("optional") else required).add(pair)
    return required, optional - required


def _norm(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "figure":
        return f"{_value(float(value)):g}"
    if kind == "speaker":
        return speaker_key(str(value)) or str(value).casefold()
    return str(value)


def expected_groups(expected: dict[str, Any]) -> list[frozenset[Pair]]:
    return [
        frozenset((a, _value(c["value"])) for c in p["claims"] for a in c["appearances"])
        for p in expected["pledges"]
    ]


def expected_events(expected: dict[str, Any]) -> list[EventKey]:
    keys = []
    for p in expected["pledges"]:
        for e in p["events"]:
            keys.append(
                (
                    p["actor"],
                    p["topic"],
                    p["measure"],
                    e["kind"],
                    e["direction"],
                    _norm(e["kind"], e["before"]),
                    _norm(e["kind"], e["after"]),
                    e["later"],
                )
            )
    return keys


def predicted_groups(pledges: Iterable[Pledge], ignore: set[Pair]) -> list[frozenset[Pair]]:
    groups = []
    for p in pledges:
        pairs = frozenset(
            (a.article_id, _value(tc.claim.figure.value)) for tc in p.claims for a in tc.appearances
        )
        if pairs - ignore:
            groups.append(pairs - ignore)
    return groups


def predicted_events(pledges: Iterable[Pledge]) -> list[EventKey]:
    keys = []
    for p in pledges:
        for e in p.events:
            if e.kind == "figure":
                before, after = e.from_value, e.to_value
            else:
                before, after = e.before, e.after
            keys.append(
                (
                    p.actor,
                    p.topic.value,
                    p.measure,
                    e.kind,
                    e.direction,
                    _norm(e.kind, before),
                    _norm(e.kind, after),
                    e.later.article_id,
                )
            )
    return keys


class PR(BaseModel):
    """Precision and recall with their counts."""

    tp: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 1.0

    def __str__(self) -> str:
        return (
            f"P {self.precision:.2f} ({self.tp}/{self.predicted})  "
            f"R {self.recall:.2f} ({self.tp}/{self.gold})"
        )


class Score(BaseModel):
    groups: PR
    links: PR
    events: PR
    missing_events: list[EventKey]
    spurious_events: list[EventKey]
    missing_groups: list[list[Pair]]
    spurious_groups: list[list[Pair]]


def _links(groups: Iterable[frozenset[Pair]]) -> set[frozenset[Pair]]:
    return {frozenset(pair) for g in groups for pair in combinations(sorted(g), 2)}


def score(pledges: Sequence[Pledge], series: Series) -> Score:
    """Compare tracked pledges with the series' expected.json."""
    _, optional_only = _gold_pairs(series)
    gold_g = expected_groups(series.expected)
    pred_g = predicted_groups(pledges, optional_only)
    gold_set, pred_set = set(gold_g), set(pred_g)
    gold_l, pred_l = _links(gold_g), _links(pred_g)
    gold_e, pred_e = expected_events(series.expected), predicted_events(pledges)
    gs, ps = set(gold_e), set(pred_e)
    return Score(
        groups=PR(tp=len(gold_set & pred_set), predicted=len(pred_g), gold=len(gold_g)),
        links=PR(tp=len(gold_l & pred_l), predicted=len(pred_l), gold=len(gold_l)),
        events=PR(tp=len(gs & ps), predicted=len(pred_e), gold=len(gold_e)),
        missing_events=sorted(gs - ps),
        spurious_events=sorted(ps - gs),
        missing_groups=[sorted(g) for g in gold_g if g not in pred_set],
        spurious_groups=[sorted(g) for g in pred_g if g not in gold_set],
    )


def run(folder: str | Path, *, extract: bool = False, model: str | None = None) -> Score:
    """Track the series from its gold claims, or from the extractor's claims."""
    series = load_series(folder)
    if extract:
        from extractor.pipeline import Extractor

        claims = [c for _, cs in Extractor(model).pipe(series.articles.values()) for c in cs]
    else:
        claims = gold_claims(series)
    return score(track(claims, articles=series.articles), series)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--extract", action="store_true", help="track the extractor's claims")
    parser.add_argument("--model", default=None, help="spaCy pipeline for --extract")
    args = parser.parse_args(argv)
    result = run(args.folder, extract=args.extract, model=args.model)
    print(f"groups (exact)  {result.groups}")
    print(f"links (pairs)   {result.links}")
    print(f"events          {result.events}")
    for key in result.missing_events:
        print("  missing event ", " | ".join(key))
    for key in result.spurious_events:
        print("  spurious event", " | ".join(key))
    for group in result.missing_groups:
        print("  missing group ", group)
    for group in result.spurious_groups:
        print("  spurious group", group)
    return 0


if __name__ == "__main__":
    sys.exit(main())
