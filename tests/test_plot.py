"""The timeline plot: points per claim, colour = level, marker = speaker, walk-backs marked."""

import sys

import pytest
from claimfactory import make_claim

from extractor.frames import MissingExtraError, to_dataframe
from extractor.models import Level
from extractor.view import LEVEL_COLOURS

matplotlib = pytest.importorskip("matplotlib", reason="the plot extra is not installed")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402

from extractor.plot import plot_timeline  # noqa: E402

MONDAY = "Britain will spend 3% of GDP on defence, Marsh said. It spends 2.3% today."
TUESDAY = "Marsh called 3% an ambition. NATO urged 3.5% and the Treasury refused £5bn."


def walk_back_claims():
    return [
        make_claim(
            MONDAY,
            "3%",
            3.0,
            "percent",
            "certainty",
            published="2025-06-02",
            actor="Britain",
            speaker="Helen Marsh",
            article_id="mon",
        ),
        make_claim(
            MONDAY,
            "2.3%",
            2.3,
            "percent",
            "statement",
            published="2025-06-02",
            actor="Britain",
            article_id="mon",
        ),
        make_claim(
            TUESDAY,
            "3%",
            3.0,
            "percent",
            "ambition",
            published="2025-06-03",
            actor="Britain",
            speaker="Helen Marsh",
            article_id="tue",
        ),
        make_claim(
            TUESDAY,
            "3.5%",
            3.5,
            "percent",
            "proposal",
            published="2025-06-03",
            actor="Britain",
            speaker="NATO",
            article_id="tue",
        ),
        make_claim(
            TUESDAY,
            "£5bn",
            5e9,
            "GBP",
            "rejected",
            published="2025-06-03",
            actor="Britain",
            speaker="the Treasury",
            article_id="tue",
        ),
    ]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _claim_markers(ax):
    return [c for c in ax.collections if c.get_gid() != "walk-back"]


def _rings(ax):
    return [c for c in ax.collections if c.get_gid() == "walk-back"]


def _points(ax):
    """(x, y, colour) of every scatter point drawn."""
    points = []
    for coll in _claim_markers(ax):
        colours = [to_hex(c) for c in coll.get_facecolors()]
        offsets = coll.get_offsets()
        assert len(colours) in (1, len(offsets))
        for i, (x, y) in enumerate(offsets):
            points.append((float(x), float(y), colours[i if len(colours) > 1 else 0]))
    return points


def _legend_labels(ax):
    legends = [c for c in ax.get_children() if isinstance(c, Legend)]
    return {lg.get_title().get_text(): [t.get_text() for t in lg.get_texts()] for lg in legends}


def test_plot_draws_one_point_per_claim_in_its_level_colour():
    ax = plot_timeline(walk_back_claims(), actor="Britain", unit="percent")
    points = _points(ax)
    assert len(points) == 4
    expected = {
        (3.0, LEVEL_COLOURS[Level.certainty]),
        (2.3, LEVEL_COLOURS[Level.statement]),
        (3.0, LEVEL_COLOURS[Level.ambition]),
        (3.5, LEVEL_COLOURS[Level.proposal]),
    }
    assert {(y, colour) for _, y, colour in points} == expected


def test_plot_marks_the_walk_back_from_certainty_to_ambition():
    ax = plot_timeline(walk_back_claims(), actor="Britain", topic="defence")
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("walk-back: certainty → ambition") == 1
    rings = _rings(ax)
    assert len(rings) == 1
    ring_xy = tuple(rings[0].get_offsets()[0])
    ambition = [(x, y) for x, y, colour in _points(ax) if colour == LEVEL_COLOURS[Level.ambition]]
    assert ambition == [ring_xy]


def test_plot_keeps_close_claims_of_one_figure_apart():
    """A pledge and the next day's walk-back must not hide each other on a long axis."""
    late = make_claim(
        TUESDAY,
        "3%",
        3.0,
        "percent",
        "statement",
        published="2025-12-01",
        actor="Britain",
        article_id="dec",
    )
    ax = plot_timeline([*walk_back_claims(), late], unit="percent")
    threes = sorted(x for x, y, _ in _points(ax) if y == 3.0)
    assert len(threes) == 3
    assert threes[1] - threes[0] >= 0.025 * (threes[2] - threes[0]) * 0.99


@pytest.mark.parametrize(
    ("first", "second", "second_value"),
    [
        ("ambition", "certainty", 3.0),
        ("certainty", "ambition", 3.5),
        ("certainty", "statement", 3.0),
    ],
    ids=["firmer-later", "different-figure", "statement-is-no-pledge"],
)
def test_plot_no_walk_back_without_one(first, second, second_value):
    claims = [
        make_claim(MONDAY, "3%", 3.0, "percent", first, published="2025-06-02", actor="Britain"),
        make_claim(
            TUESDAY,
            "3.5%" if second_value == 3.5 else "3%",
            second_value,
            "percent",
            second,
            published="2025-06-03",
            actor="Britain",
        ),
    ]
    ax = plot_timeline(claims)
    assert len(_points(ax)) == 2
    assert not any(t.get_text().startswith("walk-back") for t in ax.texts)
    assert _rings(ax) == []


def test_plot_legends_name_levels_and_speakers():
    ax = plot_timeline(walk_back_claims(), unit="percent")
    legends = _legend_labels(ax)
    assert legends["commitment"] == ["certainty", "ambition", "proposal", "statement"]
    assert sorted(legends["speaker"]) == ["(no speaker)", "Helen Marsh", "NATO"]


def test_plot_speakers_get_different_markers():
    ax = plot_timeline(walk_back_claims(), unit="percent")
    markers = _claim_markers(ax)
    assert len(markers) == 4  # one scatter per (level, speaker)
    paths = {tuple(map(tuple, c.get_paths()[0].vertices.round(3))) for c in markers}
    assert len(paths) == 3  # Marsh, NATO, nobody


def test_plot_picks_the_most_common_unit_and_says_what_it_left_out():
    ax = plot_timeline(walk_back_claims())
    assert len(_points(ax)) == 4
    assert "1 in other units not shown" in ax.get_title()
    assert ax.get_ylabel() == "figure (%)"
    money = plot_timeline(walk_back_claims(), unit="GBP")
    assert len(_points(money)) == 1
    assert money.yaxis.get_major_formatter()(5e9, 0) == "£5bn"


def test_plot_accepts_a_dataframe_and_an_existing_axes():
    _fig, ax = plt.subplots()
    out = plot_timeline(to_dataframe(walk_back_claims()), actor="britain", ax=ax)
    assert out is ax
    assert len(_points(ax)) == 4


def test_plot_errors_when_nothing_is_left():
    with pytest.raises(ValueError, match="no claims with a publication date: France"):
        plot_timeline(walk_back_claims(), actor="France")
    with pytest.raises(ValueError, match="units present: GBP, percent"):
        plot_timeline(walk_back_claims(), unit="EUR")


def test_plot_undated_claims_are_counted_in_the_title():
    claims = [*walk_back_claims(), make_claim(MONDAY, "3%", 3.0, "percent", "certainty")]
    ax = plot_timeline(claims, unit="percent")
    assert "1 without a date not shown" in ax.get_title()


def test_plot_without_matplotlib_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'newsclaims\[plot\]'"):
        plot_timeline(walk_back_claims())
