"""A highlighted article view: every claim's figure marked in its commitment level's colour.

    view = show(text, claims)      # in Jupyter the view displays itself (_repr_html_)
    view.save("article.claims.html")

The page is one self-contained HTML file: inline CSS, no script, no web fonts, no images,
so it opens offline and can be mailed around. Every piece of article text and every claim
field is HTML-escaped, and a Content-Security-Policy forbids scripts as a second line of
defence: a hostile article cannot run code in the reader's browser.

Why not spaCy's displaCy: its span renderer lays out tokens, and its entity renderer has
no hover details and no legend. Claims already carry character offsets, so a small
template in displaCy's style (`<mark>` with an inline label) serves better.
"""

import html
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from extractor.models import Article, Claim, Level

# One colour per level, light enough for dark text to stay readable on it. The plot uses
# the same colours so a notebook reads as one picture.
LEVEL_COLOURS: dict[Level, str] = {
    Level.certainty: "#4caf50",
    Level.ambition: "#ffb74d",
    Level.expectation: "#64b5f6",
    Level.proposal: "#ba68c8",
    Level.statement: "#bdbdbd",
    Level.rejected: "#e57373",
}

# What each level means, in a reader's words (full definitions: README, 'Commitment levels').
LEVEL_MEANINGS: dict[Level, str] = {
    Level.certainty: "committed, pledged or stated as definite",
    Level.ambition: "a goal or hope, or a conditional or undated pledge",
    Level.expectation: "someone else predicts the actor will commit",
    Level.proposal: "demanded, urged or proposed to another",
    Level.statement: "a current or past level, no forward commitment",
    Level.rejected: "refused, ruled out or abandoned",
}

# The rule under the legend; the browser test splits its screenshot there.
LEGEND_RULE_COLOUR = "#263238"

_CSS = f"""
.nc-view {{ font: 16px/1.7 Georgia, 'DejaVu Serif', serif; color: #1a1a1a; max-width: 46em;
  margin: 1em auto; padding: 0 1em; }}
.nc-view h1 {{ font-size: 1.4em; line-height: 1.3; margin: 0.4em 0; }}
.nc-meta {{ font: 13px/1.4 sans-serif; color: #555; margin: 0 0 0.6em; }}
.nc-legend {{ display: flex; flex-wrap: wrap; gap: 0.3em 1.2em; list-style: none;
  margin: 0 0 1em; padding: 0 0 0.6em; border-bottom: 3px solid {LEGEND_RULE_COLOUR};
  font: 13px/1.5 sans-serif; }}
.nc-legend li {{ display: flex; align-items: center; gap: 0.4em; }}
.nc-swatch {{ display: inline-block; width: 1.2em; height: 1.2em; border-radius: 3px; }}
.nc-legend .nc-count {{ color: #555; }}
.nc-text {{ white-space: pre-wrap; overflow-wrap: break-word; }}
.nc-view mark {{ color: inherit; padding: 0.1em 0.3em; margin: 0 0.1em; border-radius: 0.3em;
  white-space: nowrap; cursor: help; }}
.nc-label {{ font: bold 10px/1 sans-serif; text-transform: uppercase; letter-spacing: 0.03em;
  margin-left: 0.4em; vertical-align: middle; }}
.nc-table {{ border-collapse: collapse; margin-top: 1.5em; font: 13px/1.4 sans-serif; }}
.nc-table th, .nc-table td {{ text-align: left; padding: 0.2em 0.6em;
  border-bottom: 1px solid #ddd; vertical-align: top; }}
.nc-none {{ font: 13px/1.4 sans-serif; color: #555; }}
"""
_CSS += "".join(
    f".nc-view mark.nc-{level.value} {{ background: {colour}; }}\n"
    f".nc-view .nc-swatch.nc-{level.value} {{ background: {colour}; }}\n"
    for level, colour in LEVEL_COLOURS.items()
)

# Styles inline only; no script, no network fetch of any kind.
_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _dates(claim: Claim) -> str:
    tf = claim.timeframe
    if tf.start and tf.deadline:
        return f"from {tf.start} by {tf.deadline}"
    if tf.deadline:
        return f"by {tf.deadline}"
    if tf.start:
        return f"from {tf.start}"
    return "no dates"


def describe(claim: Claim) -> str:
    """The hover line: topic · actor · speaker · level · cue · dates (plain text)."""
    cues = ", ".join(claim.commitment.cues) or "no cue"
    return " · ".join(
        (
            claim.topic.value,
            claim.actor or "no actor",
            f"said by {claim.speaker}" if claim.speaker else "no speaker",
            claim.commitment.level.value,
            f"cue: {cues}",
            _dates(claim),
        )
    )


@dataclass(frozen=True)
class ClaimView:
    """One article with its claims highlighted. Displays itself in Jupyter.

    text (str): the article text the claims' spans point into.
    claims (tuple[Claim, ...]): the claims, in text order.
    title (str | None): shown above the text and as the page title.
    published (str | None): the publication date shown under the title (ISO).
    """

    text: str
    claims: tuple[Claim, ...]
    title: str | None = None
    published: str | None = None

    def __repr__(self) -> str:
        return f"<ClaimView {self.title or 'article'!r}: {len(self.claims)} claims>"

    @property
    def level_counts(self) -> Counter[Level]:
        """How many claims of each level the article holds."""
        return Counter(c.commitment.level for c in self.claims)

    def body_html(self) -> str:
        """The view as an HTML fragment (legend, highlighted text, claim table)."""
        return _render_body(self)

    def _repr_html_(self) -> str:
        return f"<style>{_CSS}</style>{self.body_html()}"

    @property
    def html(self) -> str:
        """A complete, self-contained HTML page."""
        return page_html([self], title=self.title)

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path


def show(
    text: str | Article,
    claims: Iterable[Claim],
    *,
    title: str | None = None,
) -> ClaimView:
    """Highlight each claim's figure in `text`, coloured by its commitment level.

    text (str | Article): the article text, or the Article (its title is then used).
    claims (Iterable[Claim]): claims extracted from exactly this text.
    title (str | None): a heading; defaults to the Article's title.
    RETURNS (ClaimView): displays itself in Jupyter; `.html` is the full page, `.save(path)`
        writes it.

    Raises ValueError when a claim's span does not point at its figure in this text (the
    claims belong to another article, or the text was changed after extraction).
    """
    published = None
    if isinstance(text, Article):
        title = title or text.title
        published = text.published.isoformat() if text.published else None
        text = text.text
    ordered = sorted(claims, key=lambda c: (c.span[0], -c.span[1]))
    for claim in ordered:
        start, end = claim.span
        if not (0 <= start < end <= len(text)):
            raise ValueError(
                f"claim {claim.claim_id}: span {list(claim.span)} lies outside the text "
                f"({len(text)} characters); were these claims extracted from this text?"
            )
        if text[start:end] != claim.figure.text:
            raise ValueError(
                f"claim {claim.claim_id}: the text at span {list(claim.span)} is "
                f"{text[start:end]!r}, not the figure {claim.figure.text!r}; "
                "were these claims extracted from this text?"
            )
    if published is None:
        dates = {c.published.isoformat() for c in ordered if c.published}
        published = dates.pop() if len(dates) == 1 else None
    return ClaimView(text=text, claims=tuple(ordered), title=title, published=published)


def _render_body(view: ClaimView) -> str:
    parts = ['<div class="nc-view">']
    if view.title:
        parts.append(f"<h1>{_esc(view.title)}</h1>")
    meta = f"{len(view.claims)} spending claim{'s' if len(view.claims) != 1 else ''}"
    if view.published:
        meta = f"published {_esc(view.published)} · {meta}"
    parts.append(f'<p class="nc-meta">{meta}; hover over a figure for its details.</p>')
    parts.append(_legend(view.level_counts))
    parts.append(f'<div class="nc-text">{_highlight(view.text, view.claims)}</div>')
    parts.append(_table(view.claims))
    parts.append("</div>")
    return "\n".join(parts)


def _legend(counts: Counter[Level]) -> str:
    items = [
        f'<li title="{_esc(LEVEL_MEANINGS[level])}"><span class="nc-swatch nc-{level.value}">'
        f'</span>{level.value} <span class="nc-count">({counts.get(level, 0)})</span></li>'
        for level in Level
    ]
    return '<ul class="nc-legend" aria-label="commitment levels">' + "".join(items) + "</ul>"


def _highlight(text: str, claims: Sequence[Claim]) -> str:
    """The text with a <mark> per claim; a figure overlapping an earlier one joins its hover."""
    groups: list[list[Claim]] = []
    for claim in claims:
        if groups and claim.span[0] < groups[-1][0].span[1]:
            groups[-1].append(claim)
        else:
            groups.append([claim])
    out: list[str] = []
    pos = 0
    for group in groups:
        first = group[0]
        start, end = first.span
        level = first.commitment.level.value
        hover = "\n".join(describe(c) for c in group)
        out.append(_esc(text[pos:start]))
        out.append(
            f'<mark class="nc-{level}" data-level="{level}" data-claim-id="{_esc(first.claim_id)}"'
            f' title="{_esc(hover)}">{_esc(text[start:end])}'
            f'<span class="nc-label">{level} · {_esc(first.topic.value)}</span></mark>'
        )
        pos = end
    out.append(_esc(text[pos:]))
    return "".join(out)


def _table(claims: Sequence[Claim]) -> str:
    if not claims:
        return '<p class="nc-none">No spending claims found in this text.</p>'
    head = "".join(
        f"<th>{h}</th>" for h in ("figure", "level", "topic", "actor", "speaker", "cue", "dates")
    )
    rows = []
    for c in claims:
        cells = (
            c.figure.text,
            c.commitment.level.value,
            c.topic.value,
            c.actor or "",
            c.speaker or "",
            ", ".join(c.commitment.cues),
            _dates(c) if c.timeframe.start or c.timeframe.deadline else "",
        )
        rows.append("<tr>" + "".join(f"<td>{_esc(v)}</td>" for v in cells) + "</tr>")
    return (
        f'<table class="nc-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def page_html(views: Sequence[ClaimView], *, title: str | None = None) -> str:
    """One self-contained HTML page holding one or more article views."""
    page_title = title or (views[0].title if len(views) == 1 else None) or "newsclaims view"
    bodies = "\n<hr>\n".join(v.body_html() for v in views)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(page_title)}</title>\n"
        f"<style>{_CSS}</style></head>\n"
        f"<body>\n{bodies}\n</body></html>\n"
    )
