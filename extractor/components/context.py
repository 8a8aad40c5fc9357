"""The part of an article a claim's fields may read: its context.

Only a figure whose sentence the words do not rule out can be a claim (a distractor, a rate
of change or a cut nearer than any sign of spending, or a sum too small, rules it out: the
figures component decides this from the words alone). Such a claim's fields come from its
own sentence and a little around it: when the figure's sentence has a pronoun, the
sentences before it back to one that names someone (the name it stands for); when the
figure is quoted, the sentences where the quotation's segments start and end and the one
before it (a lead-in). The article-wide features — the main spender, a surname's full name,
a person's gender, a title's holder, the antecedent of a pronoun — are read from the named
entities *inside the context*, not from the whole text (a surname outside it takes its full
name from the text, names.py).

That rule is what makes the prefilter exact: the context is decided from the text alone
(rule-based sentences, the figures' regular expressions, the words around them, quotation
marks), so the trained model can run on the context only (plus a few words of padding, see
extractor.prefilter) and give the same claims as a run over the whole article.

Doc._.context holds the spans as [[start_char, end_char], ...]: set by the Extractor for a
region Doc (FigureFinder.plan on the text), by the figures component on a whole Doc (the
same decision on the Doc's words), or computed here with every figure's sentence when
neither ran.
"""

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence

from spacy.tokens import Doc, Span, Token

from extractor.components import sentence_spans
from extractor.components.quotes import find_quotes

# Characters past a context span's end that a pattern scan may read ('£5bn.' at its end).
SCAN_MARGIN = 40
# When a figure's sentence has a pronoun, the sentences before it back to the nearest one
# that names someone ('Ms Castell', 'Tom Aldridge'), at most this many, join its context.
PREVIOUS_SENTENCES = 3
# Pronouns that can be a speaker (the subject of 'said', 'pledged') or a spender ('they').
_PRONOUN = re.compile(r"\b(?:he|she|they|it|we)\b", re.I)
# A person's name: a title and a capitalised word, or two capitalised words.
_NAMED = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Lord|Lady)\.?\s+[A-Z]|\b[A-Z][a-z]+\s+[A-Z][a-z]+"
)


def source_text(doc: Doc) -> str:
    """The article's own text: a region Doc has everything outside its context blanked, but
    text-only features (quotation marks, the locale's markers) read the article."""
    return doc._.source_text or doc.text


def context_spans(
    text: str, sentences: Sequence[tuple[int, int]], figure_starts: Sequence[int]
) -> list[tuple[int, int]]:
    """Merged character spans of the context of every figure in `text`: the figure's
    sentence, when it has a pronoun the sentences before it back to one that names someone
    (at most PREVIOUS_SENTENCES) and, for a figure inside a
    quotation, the sentences where each segment of that quotation starts and ends and the
    sentence before its first segment.
    `sentences` are the article's sentence spans in order (`sentence_spans(text)`, which is
    how the pipeline splits sentences too)."""
    if not figure_starts or not sentences:
        return []
    firsts = [s for s, _ in sentences]

    def index(pos: int) -> int:
        return max(0, bisect_right(firsts, pos) - 1)

    keep: set[int] = set()
    for pos in figure_starts:
        k = index(pos)
        keep.add(k)
        if _PRONOUN.search(text, *sentences[k]):
            for j in range(k - 1, max(-1, k - 1 - PREVIOUS_SENTENCES), -1):
                keep.add(j)
                if _NAMED.search(text, *sentences[j]):
                    break
    quotes = find_quotes(text)
    groups: dict[int, list[tuple[int, int]]] = {}
    for q in quotes:
        groups.setdefault(q.group, []).append((q.start, q.end))
    for segments in groups.values():
        if not any(s <= pos < e for pos in figure_starts for s, e in segments):
            continue
        first = index(segments[0][0])
        keep.add(max(0, first - 1))
        for s, e in segments:
            # Where each segment starts and ends: where its speaker is named.
            keep.update((index(s), index(max(s, e - 1))))
    spans: list[tuple[int, int]] = []
    for k in sorted(keep):
        s, e = sentences[k]
        if spans and spans[-1][1] >= s:
            spans[-1] = (spans[-1][0], max(e, spans[-1][1]))
        else:
            spans.append((s, e))
    return spans


def get_context(doc: Doc) -> list[tuple[int, int]]:
    """The Doc's context spans (computed from its sentences and figures on first use)."""
    cached = doc.user_data.get("newsclaims_context_spans")
    if cached is not None:
        return cached
    preset = doc._.context
    if preset is not None:
        spans = [(int(s), int(e)) for s, e in preset]
    else:
        starts = [f._.figure["start"] for f in doc.spans.get("figures", [])]
        text = source_text(doc)
        spans = context_spans(text, sentence_spans(text), starts)
    doc.user_data["newsclaims_context_spans"] = spans
    return spans


def in_context(doc: Doc, start_char: int, end_char: int | None = None) -> bool:
    """Does the character range lie inside the Doc's context?"""
    spans = get_context(doc)
    starts = doc.user_data.get("newsclaims_context_starts")
    if starts is None:
        starts = doc.user_data["newsclaims_context_starts"] = [s for s, _ in spans]
    end = start_char if end_char is None else end_char
    k = bisect_right(starts, start_char) - 1
    return k >= 0 and spans[k][0] <= start_char and end <= spans[k][1]


def context_ents(doc: Doc) -> list[Span]:
    """The named entities inside the context, in order (what article-wide features read)."""
    cached = doc.user_data.get("newsclaims_context_ents")
    if cached is not None:
        return [Span(doc, s, e, label=label) for s, e, label in cached]
    ents = [e for e in doc.ents if in_context(doc, e.start_char, e.end_char)]
    doc.user_data["newsclaims_context_ents"] = [(e.start, e.end, e.label_) for e in ents]
    return ents


def context_tokens(doc: Doc, start: int, end: int, limit: int) -> Iterator[Token]:
    """The first `limit` tokens of doc[start:end] that lie inside the context (a count of
    context tokens, so the same words whether or not the rest of the article was read)."""
    n = 0
    for tok in doc[start:end]:
        if n >= limit:
            return
        if in_context(doc, tok.idx):
            n += 1
            yield tok


def scan(
    pattern: "re.Pattern[str]", text: str, spans: Sequence[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    """Matches of `pattern` that start inside `spans` (sorted), each found once; a match may
    run a little past its span's end, as it would in the whole text."""
    last = -1
    for start, end in spans:
        for m in pattern.finditer(text, start, min(len(text), end + SCAN_MARGIN)):
            if m.start() >= end:
                break
            if m.start() > last:
                last = m.start()
                yield m


def context_spans_of(doc: Doc) -> list[Span]:
    """The context as token spans (the tokens wholly inside each character span)."""
    out = []
    for start, end in get_context(doc):
        span = doc.char_span(start, end, alignment_mode="contract")
        if span is not None and len(span):
            out.append(span)
    return out
