"""Candidate prefilter: decide cheaply which parts of an article the trained model must read.

Every claim is a figure ('3.5%', '£2.2bn'), and the figure rules are regular expressions over
the raw text, so a text without a figure has no claim and needs no model at all. For a text
with figures, the model reads only the claims' *context* (extractor.components.context: each
figure's sentence, the sentence before it, and the sentences of a quotation holding it), which
is decided from the text alone. `region` keeps those spans plus PAD_WORDS words on each side
and blanks out everything else with spaces: the result has the article's length, so every
character offset still refers to the article, and a run of blanks is one whitespace token.

Why the padding: sentence boundaries are set from the text before the parser (the
newsclaims_paragraphs component), so a kept sentence is one sentence in either Doc; what the
model reads across its edges is the convolution window of its token vectors (four tokens each
way in en_core_web_sm) and the parser's look-ahead. PAD_WORDS words of the neighbouring text
keep those inputs as they are in the whole article. This is an argument; the proof is the
benchmark and the tests, which compare the claims of both paths on whole corpora.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Words kept on each side of a context span: en_core_web_sm's token vectors (the shared
# tok2vec and the NER's own) are windowed convolutions of depth 4 and window 1, so a token
# sees 4 tokens each way, and a word is at least one token.
PAD_WORDS = 4

_WORD = re.compile(r"\S+")
_NOT_NEWLINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Region:
    """The part of an article the model reads: `text` has the article's length, with
    everything outside `spans` replaced by spaces (line breaks kept); `context` are the
    spans the rules may read (inside `spans`, which add the padding)."""

    text: str
    spans: tuple[tuple[int, int], ...]
    context: tuple[tuple[int, int], ...]

    @property
    def kept(self) -> int:
        """Characters the model reads (for statistics)."""
        return sum(e - s for s, e in self.spans)


def region(text: str, context: Sequence[tuple[int, int]], pad_words: int = PAD_WORDS) -> Region:
    """Keep the `context` spans with `pad_words` words on each side; blank the rest."""
    spans: list[tuple[int, int]] = []
    for start, end in context:
        before = [m.start() for m in _WORD.finditer(text, max(0, start - 40 * pad_words), start)]
        a = before[-pad_words] if len(before) > pad_words else _back(text, start, pad_words)
        after = []
        for m in _WORD.finditer(text, end):
            after.append(m.end())
            if len(after) == pad_words:
                break
        b = after[-1] if len(after) == pad_words else len(text)
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
        else:
            spans.append((a, b))
    return Region(_blank_outside(text, spans), tuple(spans), tuple(context))


def _back(text: str, start: int, pad_words: int) -> int:
    """Where the `pad_words`-th word before `start` begins (0 when there are fewer)."""
    before = [m.start() for m in _WORD.finditer(text, 0, start)]
    return before[-pad_words] if len(before) >= pad_words else 0


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
