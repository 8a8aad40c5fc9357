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
        if not df.empty:  # the title uses the data's spelling of the name
            wanted = _describe_filter(str(df["actor"].iloc[0]), topic)
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
    df["_topic"] = df["topic"].astype(str)
    df["_speaker"] = df["speaker"].fillna(_NO_SPEAKER).astype(str)
    df = df.sort_values(["published", "span_start"], kind="stable")
    df["_x"] = _dodged(df, pd)
    markers = _speaker_markers(df["_speaker"])

    # One line per figure of one actor on one topic: the same pledge over time.
    for _, track in df.groupby(["_actor", "_topic", "value"], sort=True):
        if len(track) > 1:
            ax.plot(track["_x"], track["value"], color="#90a4ae", lw=1.2, zorder=1)
        _mark_walk_backs(ax, track, df["_x"].min(), df["_x"].max())
    if df[["_actor", "_topic"]].drop_duplicates().shape[0] > 1:
        _label_tracks(ax, df)
    for (level, speaker), group in df.groupby([df["level"].astype(str), "_speaker"]):
        ax.scatter(
            group["_x"],
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


def _dodged(df: "pd.DataFrame", pd: Any) -> "pd.Series":
    """x positions that keep markers of one figure apart: claims of the same value closer in
    time than a marker's width (a headline and its body, a pledge and next day's walk-back)
    are spread evenly around their mean date, in date order."""
    days = max((df["published"].max() - df["published"].min()).days, 7)
    step = pd.Timedelta(seconds=round(days * 0.025 * 86400))
    x = df["published"].astype("datetime64[ns]")
    for _, group in df.groupby("value", sort=False):
        dates = group["published"].tolist()
        cluster = [0]
        for i in range(1, len(dates) + 1):
            if i < len(dates) and dates[i] - dates[cluster[-1]] < step:
                cluster.append(i)
                continue
            if len(cluster) > 1:
                centre = dates[cluster[0]] + (dates[cluster[-1]] - dates[cluster[0]]) / 2
                for k, j in enumerate(cluster):
                    x.loc[group.index[j]] = centre + (k - (len(cluster) - 1) / 2) * step
            cluster = [i]
    return x


def _label_tracks(ax: "Axes", df: "pd.DataFrame") -> None:
    """Name each actor · topic once, at its latest claim; labels on one spot are stacked."""
    used: dict[tuple[Any, float], int] = {}
    for (actor, topic), track in df.groupby(["_actor", "_topic"], sort=True):
        last = track.iloc[-1]
        spot = (last["published"], round(float(last["value"]), 6))
        n = used[spot] = used.get(spot, -1) + 1
        ax.annotate(
            f"{actor} · {topic}",
            (last["_x"], last["value"]),
            xytext=(8, 4 + 10 * n),
            textcoords="offset points",
            fontsize=7,
            color="#455a64",
        )


def _mark_walk_backs(ax: "Axes", track: "pd.DataFrame", x_min: Any, x_max: Any) -> None:
    """Arrow from a certainty to a later, weaker statement of the same figure."""
    before = None
    for _, row in track.iterrows():
        level = Level(str(row["level"]))
        if level is Level.certainty:
            before = row
            continue
        if level not in WALK_BACK_TO or before is None:
            continue
        if row["published"] <= before["published"]:
            continue
        ax.annotate(
            "",
            xy=(row["_x"], row["value"]),
            xytext=(before["_x"], before["value"]),
            arrowprops={
                "arrowstyle": "->",
                "color": "#c62828",
                "lw": 1.6,
                "shrinkA": 6,
                "shrinkB": 6,
                "connectionstyle": "arc3,rad=-0.5",
            },
            zorder=2,
        )
        # A red ring keeps the walked-back claim visible even when the two are days apart
        # on an axis of months.
        ax.scatter(
            [row["_x"]],
            [row["value"]],
            s=320,
            facecolors="none",
            edgecolors="#c62828",
            linewidths=1.8,
            zorder=4,
            gid="walk-back",
        )
        # Text to the side with room, so it stays inside the axes.
        right_half = row["_x"] - x_min > (x_max - x_min) / 2
        ax.annotate(
            f"walk-back: certainty → {level.value}",
            (row["_x"], row["value"]),
            xytext=(-10 if right_half else 10, 12),
            textcoords="offset points",
            ha="right" if right_half else "left",
            fontsize=8,
            color="#c62828",
            fontweight="bold",
        )
        before = None


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
