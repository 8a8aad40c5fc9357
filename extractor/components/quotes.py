"""Quotations in news text, paired without failing on odd marks.

Directional marks (“ ”) pair by direction; straight quotes alternate within a paragraph. A
paragraph that ends inside a quotation continues it when the next paragraph opens with a quote
mark (the news convention for a quotation over several paragraphs), and closes it otherwise.
Unlike textacy's pairing, an odd number of marks never fails the whole document.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

OPEN_Q = "“„«"
CLOSE_Q = "”»"
STRAIGHT_Q = '"'


@dataclass(frozen=True)
class Quote:
    start: int  # character offsets
    end: int
    group: int  # segments of one multi-paragraph quotation share a group


_MARK = re.compile(f"[{OPEN_Q}{CLOSE_Q}{STRAIGHT_Q}]")


@lru_cache(maxsize=4)
def find_quotes(text: str) -> tuple[Quote, ...]:
    """The quotations of a text, in order (cached: the context and attribution both ask)."""
    found: list[Quote] = []
    group = 0
    open_at: int | None = None
    paragraphs = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    for n, (ps, pe) in enumerate(paragraphs):
        if open_at is not None:
            open_at = ps  # a quotation carried over from the previous paragraph
        for mark in _MARK.finditer(text, ps, pe):
            i = mark.start()
            ch = text[i]
            if ch in OPEN_Q and open_at is None:
                open_at = i
            elif ch in OPEN_Q and open_at is not None and i == ps:
                pass  # re-opening mark of a continued quotation
            elif (ch in CLOSE_Q or ch == STRAIGHT_Q) and open_at is not None:
                if not (ch == STRAIGHT_Q and i == ps):
                    found.append(Quote(open_at, i + 1, group))
                    group += 1
                    open_at = None
            elif ch == STRAIGHT_Q and open_at is None:
                open_at = i
        if open_at is not None:
            nxt = paragraphs[n + 1][0] if n + 1 < len(paragraphs) else None
            found.append(Quote(open_at, pe, group))
            if nxt is None or text[nxt] not in OPEN_Q + STRAIGHT_Q:
                group += 1
                open_at = None
    return tuple(found)


# -- matching ------------------------------------------------------------------------
