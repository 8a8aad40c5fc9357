"""A timeline of spending claims: each figure against the date it was published.

    ax = plot_timeline(df, actor="Britain", topic="defence")
    ax.figure.savefig("timeline.png", bbox_inches="tight")

Colour is the commitment level (the same colours as the HTML view), the marker is the
speaker, and a grey line joins the claims of one actor on one topic in date order, so a
pledge that moves from `certainty` to `ambition` shows as a change of colour on one track.
Such a walk-back of the same figure is also marked with an arrow and a label. Needs the
optional `plot` extra (matplotlib, pandas).
"""

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from extractor.frames import require, to_dataframe
from extractor.models import Claim, Level
from extractor.view import LEVEL_COLOURS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

# Speakers beyond the first len(_MARKERS) share the last marker under "other speakers".
_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "<", ">", "h")
_NO_SPEAKER = "(no speaker)"
_NO_ACTOR = "(no actor)"
# A walk-back: the same figure, first a certainty, later one of these weaker pledge levels.
WALK_BACK_TO = frozenset({Level.ambition, Level.expectation, Level.proposal, Level.rejected})
_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥"}


def plot_timeline(
    data: "pd.DataFrame | Iterable[Claim | Mapping[str, Any]]",
    actor: str | None = None,
    topic: str | None = None,
    ax: "Axes | None" = None,
    *,
    unit: str | None = None,
) -> "Axes":
    """Plot figures against publication date, coloured by commitment level.

    data (DataFrame | Iterable[Claim | Mapping]): a frame from `to_dataframe`, or claims.
    actor (str | None): keep only this actor's claims (case-insensitive).
    topic (str | None): keep only this topic.
    ax (Axes | None): draw here; a new figure is made when None.
    unit (str | None): 'percent' or a currency code. One axis holds one unit, so when the
        claims mix units and none is given the most common is drawn and the title says how
        many claims were left out.
    RETURNS (Axes): the axes drawn on; `ax.figure.savefig(path)` writes an image.
    Raises ValueError when no claim with a publication date is left after filtering.
    """
    pd = require("pandas", "plot", "plot_timeline")
    require("matplotlib", "plot", "plot_timeline")
    df = data if isinstance(data, pd.DataFrame) else to_dataframe(data)
    wanted = _describe_filter(actor, topic)
    if actor is not None:
        df = df[df["actor"].str.casefold() == actor.casefold()]
    if topic is not None:
        df = df[df["topic"].astype("string") == topic]
    undated = int(df["published"].isna().sum())
    df = df[df["published"].notna()]
    if df.empty:
        raise ValueError(f"plot_timeline: no claims with a publication date{wanted}")
    counts = df["unit"].astype("string").value_counts()
    if unit is None:
        unit = str(sorted(counts.index, key=lambda u: (-counts[u], u))[0])
    elif unit not in counts.index:
        raise ValueError(
            f"plot_timeline: no dated claims in unit {unit!r}{wanted}; "
            f"units present: {', '.join(sorted(counts.index))}"
        )
    other_units = int(len(df) - counts[unit])
    df = df[df["unit"].astype("string") == unit].copy()

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
    df["_actor"] = df["actor"].fillna(_NO_ACTOR).astype(str)
    df["_speaker"] = df["speaker"].fillna(_NO_SPEAKER).astype(str)
    df = df.sort_values(["published", "span_start"], kind="stable")
    markers = _speaker_markers(df["_speaker"])

    tracks = list(df.groupby(["_actor", df["topic"].astype(str)], sort=True))
    for (track_actor, track_topic), track in tracks:
        ax.plot(track["published"], track["value"], color="#90a4ae", lw=1.2, zorder=1)
        if len(tracks) > 1:
            last = track.iloc[-1]
            ax.annotate(
                f"{track_actor} · {track_topic}",
                (last["published"], last["value"]),
                xytext=(6, 6),
                textcoords="offset points",
                fontsize=8,
                color="#455a64",
            )
        _mark_walk_backs(ax, track)
    for (level, speaker), group in df.groupby([df["level"].astype(str), "_speaker"]):
        ax.scatter(
            group["published"],
            group["value"],
            color=LEVEL_COLOURS[Level(level)],
            marker=markers.get(speaker, _MARKERS[-1]),
            s=80,
            edgecolors="#263238",
            linewidths=0.7,
            zorder=3,
        )
    _axes_format(ax, unit)
    _legends(ax, df, markers)
    notes = [
        f"{n} {what} not shown"
        for n, what in ((other_units, "in other units"), (undated, "without a date"))
        if n
    ]
    title = f"Spending claims over time{wanted}"
    if notes:
        title += "\n(" + "; ".join(notes) + ")"
    ax.set_title(title, fontsize=11)
    return ax


def _describe_filter(actor: str | None, topic: str | None) -> str:
    parts = [p for p in (actor, topic) if p]
    return ": " + " · ".join(parts) if parts else ""


def _speaker_markers(speakers: "pd.Series") -> dict[str, str]:
    """The most frequent speakers get their own marker; the rest share the last one."""
    order = speakers.value_counts(sort=True).index.tolist()
    return {name: _MARKERS[i] for i, name in enumerate(order[: len(_MARKERS) - 1])}


def _mark_walk_backs(ax: "Axes", track: "pd.DataFrame") -> None:
    """Arrow from a certainty to a later, weaker statement of the same figure."""
    last_certain: dict[float, Any] = {}
    for _, row in track.iterrows():
        level = Level(str(row["level"]))
        key = round(float(row["value"]), 6)
        if level is Level.certainty:
            last_certain[key] = row
            continue
        before = last_certain.get(key)
        if level in WALK_BACK_TO and before is not None and row["published"] > before["published"]:
            ax.annotate(
                "",
                xy=(row["published"], row["value"]),
                xytext=(before["published"], before["value"]),
                arrowprops={
                    "arrowstyle": "->",
                    "color": "#c62828",
                    "lw": 1.6,
                    "shrinkA": 7,
                    "shrinkB": 7,
                    "connectionstyle": "arc3,rad=-0.3",
                },
                zorder=2,
            )
            middle = before["published"] + (row["published"] - before["published"]) / 2
            ax.annotate(
                f"walk-back: certainty → {level.value}",
                (middle, (before["value"] + row["value"]) / 2),
                xytext=(0, 16),
                textcoords="offset points",
                ha="center",
                fontsize=8,
                color="#c62828",
                fontweight="bold",
            )
            del last_certain[key]


def _axes_format(ax: "Axes", unit: str) -> None:
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("publication date")
    if unit == "percent":
        ax.set_ylabel("figure (%)")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}%"))
    else:
        ax.set_ylabel(f"figure ({unit})")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _money(v, unit)))
    ax.grid(True, axis="y", color="#eceff1")
    ax.margins(x=0.08, y=0.15)


def _money(value: float, unit: str) -> str:
    symbol = _SYMBOLS.get(unit, f"{unit} ")
    for size, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m")):
        if abs(value) >= size:
            return f"{symbol}{value / size:g}{suffix}"
    return f"{symbol}{value:g}"


def _legends(ax: "Axes", df: "pd.DataFrame", markers: dict[str, str]) -> None:
    from matplotlib.lines import Line2D

    present = set(df["level"].astype(str))
    level_handles = [
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            markersize=9,
            color=LEVEL_COLOURS[lvl],
            markeredgecolor="#263238",
            label=lvl.value,
        )
        for lvl in Level
        if lvl.value in present
    ]
    speaker_handles = [
        Line2D(
            [],
            [],
            ls="",
            marker=m,
            markersize=8,
            color="#b0bec5",
            markeredgecolor="#263238",
            label=name,
        )
        for name, m in markers.items()
    ]
    if len(set(df["_speaker"])) > len(markers):
        speaker_handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=_MARKERS[-1],
                markersize=8,
                color="#b0bec5",
                markeredgecolor="#263238",
                label="other speakers",
            )
        )
    first = ax.legend(
        handles=level_handles,
        title="commitment",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        title_fontsize=9,
    )
    ax.add_artist(first)
    ax.legend(
        handles=speaker_handles,
        title="speaker",
        loc="lower left",
        bbox_to_anchor=(1.01, 0.0),
        fontsize=8,
        title_fontsize=9,
    )
