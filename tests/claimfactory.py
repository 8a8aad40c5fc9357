"""Hand-made Claim objects for tests about rendering, where the extractor is not the point."""

import datetime as dt
import functools
from typing import TYPE_CHECKING

from extractor.models import Claim, Commitment, Figure, Timeframe

if TYPE_CHECKING:
    from extractor.pipeline import Extractor


def make_claim(
    text: str,
    figure: str,
    value: float,
    unit: str,
    level: str,
    *,
    occurrence: int = 0,
    published: str | dt.date | None = None,
    topic: str = "defence",
    actor: str | None = None,
    speaker: str | None = None,
    cues: tuple[str, ...] = (),
    start: str | None = None,
    deadline: str | None = None,
    base: str | None = None,
    article_id: str = "article",
) -> Claim:
    """A claim on the `occurrence`-th appearance of `figure` in `text`."""
    pos = -1
    for _ in range(occurrence + 1):
        pos = text.index(figure, pos + 1)
    span = (pos, pos + len(figure))
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    sentence = text[line_start : line_end if line_end >= 0 else len(text)]
    fig = Figure(text=figure, value=value, unit=unit, base=base)
    return Claim(
        claim_id=Claim.make_id(article_id, span, fig),
        article_id=article_id,
        sentence=sentence,
        span=span,
        figure=fig,
        topic=topic,
        actor=actor,
        speaker=speaker,
        commitment=Commitment(level=level, cues=list(cues)),
        timeframe=Timeframe(start=start, deadline=deadline),
        published=published,
        published_source="article" if published else None,
    )


SIX_LEVELS_TEXT = (
    "Six ways to talk about money\n\n"
    "Ministers have committed to spend 3% of GDP on defence by 2030.\n"
    "They hope to reach £4bn for schools in the next parliament.\n"
    "Analysts expect a further £2bn for hospitals next year.\n"
    "Campaigners called for 0.7% of GNI on aid.\n"
    "The country currently spends 2.3% of GDP on defence.\n"
    "The Treasury ruled out the £40bn rail line."
)


def six_level_claims() -> list[Claim]:
    """One claim of each commitment level on SIX_LEVELS_TEXT."""
    t = SIX_LEVELS_TEXT
    return [
        make_claim(
            t,
            "3%",
            3.0,
            "percent",
            "certainty",
            actor="Britain",
            speaker="Helen Marsh",
            cues=("committed to",),
            deadline="2030",
            base="GDP",
            published="2025-06-02",
        ),
        make_claim(
            t,
            "£4bn",
            4e9,
            "GBP",
            "ambition",
            topic="education",
            actor="Britain",
            cues=("hope to",),
            published="2025-06-02",
        ),
        make_claim(
            t,
            "£2bn",
            2e9,
            "GBP",
            "expectation",
            topic="health",
            actor="Britain",
            speaker="Analysts",
            cues=("expect",),
            start="2026",
            published="2025-06-02",
        ),
        make_claim(
            t,
            "0.7%",
            0.7,
            "percent",
            "proposal",
            topic="aid",
            actor="Britain",
            speaker="Campaigners",
            cues=("called for",),
            base="GNI",
            published="2025-06-02",
        ),
        make_claim(
            t,
            "2.3%",
            2.3,
            "percent",
            "statement",
            actor="Britain",
            cues=("currently",),
            base="GDP",
            published="2025-06-02",
        ),
        make_claim(
            t,
            "£40bn",
            4e10,
            "GBP",
            "rejected",
            topic="transport",
            actor="the Treasury",
            speaker="the Treasury",
            cues=("ruled out",),
            published="2025-06-02",
        ),
    ]


@functools.cache
def extractor(model: str | None = None) -> "Extractor":
    """One Extractor per model for the whole test session (the trained one loads in ~2 s)."""
    from extractor.pipeline import Extractor

    return Extractor(model)
