"""The fixture series (fixtures/series): 12 articles over nine months about Britain's defence
and aid pledges, with walk-backs, raises, a cut, deadline moves and syndicated copies.

Tracking is checked twice: on the gold claims (the tracking rule alone: must equal
expected.json exactly) and on the claims the real extractor finds (end to end: floors
pinned below the measured scores, and the exact result)."""

from pathlib import Path

import pytest

from extractor.track import track
from extractor.track_eval import (
    Series,
    expected_events,
    expected_groups,
    gold_claims,
    load_series,
    predicted_groups,
    score,
)

SERIES = Path(__file__).resolve().parent.parent / "fixtures" / "series"


@pytest.fixture(scope="module")
def series() -> Series:
    return load_series(SERIES)


def test_series_fixture_shape(series: Series) -> None:
    assert len(series.articles) >= 8
    dates = sorted(a.published for a in series.articles.values() if a.published)
    assert len(dates) == len(series.articles)
    assert (dates[-1] - dates[0]).days > 180
    assert len(expected_groups(series.expected)) == 6
    kinds = {(k[3], k[4]) for k in expected_events(series.expected)}
    for needed in [
        ("firmness", "weakened"),
        ("firmness", "strengthened"),
        ("figure", "raised"),
        ("figure", "cut"),
        ("deadline", "later"),
        ("speaker", "changed"),
    ]:
        assert needed in kinds
    copies = [
        c for p in series.expected["pledges"] for c in p["claims"] if len(c["appearances"]) > 1
    ]
    assert len(copies) >= 4


@pytest.mark.parametrize("actor_pick", range(5), ids=lambda i: f"actor-name-{i}")
def test_tracking_gold_claims_equals_expected(series: Series, actor_pick: int) -> None:
    """Every accepted way of naming the actor ('Britain', 'UK', 'the government', ...) gives
    the expected pledges and events."""
    claims = gold_claims(series, actor_pick=actor_pick)
    assert len(claims) == 24
    result = score(track(claims, articles=series.articles), series)
    assert result.missing_groups == [] and result.spurious_groups == []
    assert result.missing_events == [] and result.spurious_events == []
    assert result.groups.tp == result.groups.gold == 6
    assert result.events.tp == result.events.gold == 17


def test_tracking_gold_claims_matches_expected_claims_and_citations(series: Series) -> None:
    pledges = track(gold_claims(series), articles=series.articles)
    assert len(pledges) == len(series.expected["pledges"])
    by_group = dict(zip(predicted_groups(pledges, set()), pledges, strict=True))
    for want, group in zip(
        series.expected["pledges"], expected_groups(series.expected), strict=True
    ):
        got = by_group[group]
        assert (got.actor, got.topic.value, got.measure) == (
            want["actor"],
            want["topic"],
            want["measure"],
        )
        assert [
            (
                [a.article_id for a in tc.appearances],
                tc.claim.commitment.level.value,
                tc.claim.timeframe.deadline,
            )
            for tc in got.claims
        ] == [(c["appearances"], c["level"], c["deadline"]) for c in want["claims"]]
        events = [
            (e.kind, e.direction, e.earlier.article_id, e.later.article_id) for e in got.events
        ]
        assert events == [
            (e["kind"], e["direction"], e["earlier"], e["later"]) for e in want["events"]
        ]


@pytest.fixture(scope="module")
def extracted(series: Series) -> list:
    from extractor.pipeline import Extractor

    try:
        ex = Extractor()
    except Exception as e:  # any failure to load means no end-to-end run
        pytest.skip(f"no spaCy pipeline to run the extractor: {e}")
    return [c for _, cs in ex.pipe(series.articles.values()) for c in cs]


@pytest.mark.slow
def test_tracking_extracted_claims_scores_above_floor(series: Series, extracted: list) -> None:
    """End to end. Measured on this series: see docs/tracking.md. The floors catch a
    regression in extraction or tracking; they rise as the extractor improves."""
    assert len(extracted) >= 20
    result = score(track(extracted, articles=series.articles), series)
    assert result.links.precision >= 0.9
    assert result.links.recall >= 0.45
    assert result.events.precision >= 0.75
    assert result.events.recall >= 0.4


@pytest.mark.slow
def test_tracking_extracted_claims_equals_expected(series: Series, extracted: list) -> None:
    result = score(track(extracted, articles=series.articles), series)
    assert result.missing_events == [] and result.spurious_events == []
    assert result.missing_groups == [] and result.spurious_groups == []
