"""Candidate prefilter: decide cheaply which parts of an article the trained model must read.

Every claim is a figure ('3.5%', '£2.2bn'), and the figure rules are regular expressions over
the raw text, so a text without a figure has no claim and needs no model at all. For a text
with figures, `region` keeps the paragraphs that hold one, plus a few words of context on each
side, and blanks out everything else with spaces: the result has the article's length, so
every character offset still refers to the article, and a run of blanks is a single
whitespace token for the model.

Why paragraphs and padding: a line break always ends a sentence (the paragraph component
sets it before the parser), so a paragraph parses the same on its own as inside the article,
except near its edges, where the model's convolution window (four tokens each way in
en_core_web_sm) and the parser's look-ahead reach into the neighbouring paragraphs. PAD_WORDS
words of each neighbour keep those windows as they were.

What a region decides is only whether an article has any claim: whether a figure is a claim
depends on its own sentence, but a claim's fields also use the whole article (its main actor,
the full names and genders of people mentioned anywhere), so articles with claims are run on
their whole text (see Extractor._claims_for).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Words of each neighbouring paragraph kept around a candidate paragraph (>= the model's
# four-token window plus the parser's look-ahead).
PAD_WORDS = 8

_PARAGRAPH = re.compile(r"[^\n]+")
_WORD = re.compile(r"\S+")
_NOT_NEWLINE = re.compile(r"[^\n]+")


class FigureMatcher(Protocol):
    """The figures component: `match(doc)` reads only `doc.text`."""

    def match(self, doc: "_Text") -> Sequence[object]: ...


@dataclass(frozen=True)
class _Text:
    """A stand-in Doc for rule matchers that read only `.text` (no tokenizing needed)."""

    text: str


@dataclass(frozen=True)
class Region:
    """The part of an article the model reads: `text` has the article's length, with
    everything outside `spans` replaced by spaces (line breaks kept)."""

    text: str
    spans: tuple[tuple[int, int], ...]

    @property
    def kept(self) -> int:
        """Characters kept (for statistics)."""
        return sum(e - s for s, e in self.spans)


def figure_starts(text: str, figures: FigureMatcher) -> list[int]:
    """Start offsets of every figure the figures component finds in `text`."""
    return [m.start for m in figures.match(_Text(text))]  # type: ignore[attr-defined]


def region(text: str, starts: Sequence[int], pad_words: int = PAD_WORDS) -> Region:
    """Keep the paragraphs holding a figure start, and `pad_words` words of each neighbour."""
    paragraphs = [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]
    core: set[int] = set()
    k = 0
    for pos in sorted(starts):
        while k < len(paragraphs) and paragraphs[k][1] <= pos:
            k += 1
        if k < len(paragraphs) and paragraphs[k][0] <= pos:
            core.add(k)
    spans: list[tuple[int, int]] = []
    for k in sorted(core):
        start, end = paragraphs[k]
        if k > 0 and k - 1 not in core:
            ps, pe = paragraphs[k - 1]
            words = [m.start() for m in _WORD.finditer(text, ps, pe)]
            start = words[-pad_words] if len(words) >= pad_words else ps
        if k + 1 < len(paragraphs) and k + 1 not in core:
            ns, ne = paragraphs[k + 1]
            words = [m.end() for m in _WORD.finditer(text, ns, ne)]
            end = words[pad_words - 1] if len(words) >= pad_words else ne
        if spans and (start <= spans[-1][1] or not text[spans[-1][1] : start].strip()):
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return Region(_blank_outside(text, spans), tuple(spans))


def _blank_outside(text: str, spans: Sequence[tuple[int, int]]) -> str:
    parts: list[str] = []
    pos = 0
    for s, e in spans:
        parts.append(_blank(text[pos:s]))
        parts.append(text[s:e])
        pos = e
    parts.append(_blank(text[pos:]))
    return "".join(parts)


def _blank(s: str) -> str:
    return _NOT_NEWLINE.sub(lambda m: " " * len(m.group()), s)
