"""Dates: find the time expressions that can give a claim its start or deadline, and resolve
them against the article's publication date.

Writes doc.spans["dates"] and Span._.date = {"role": "start"|"deadline"|"none", "value": ISO
partial date or None, "text"}. Rules: patterns/dates.jsonl (bounded regexes with named
groups) and patterns/locales.jsonl (fiscal years). Resolution is rule-based for years,
decades, parliaments, fiscal years and 'within N years'; dateparser reads month names and
simple relative dates ('next month'), only on the spans found here, with languages=['en'] and
the publication date as RELATIVE_BASE, cached by (text, base).
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from extractor.components.base import RuleComponent
from extractor.components.context import get_context, scan, source_text

MONTHS = {
    m: i
    for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"],
        start=1,
    )
}  # fmt: skip
NUMBER_WORDS = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "decade": 10, "year": 1,
}  # fmt: skip
# UK general elections; a parliament lasts at most five years.
UK_ELECTIONS = (2010, 2015, 2017, 2019, 2024)


@dataclass(frozen=True)
class DateMatch:
    start: int
    end: int
    text: str
    role: str
    value: str | None


@dataclass(frozen=True)
class Context:
    published: dt.date
    fiscal_month: int
    named_by_end: bool


def _year(m: re.Match[str]) -> int:
    return int(m.group("year"))


def _month(m: re.Match[str]) -> int | None:
    name = (m.groupdict().get("month") or "").lower()
    return MONTHS.get(name)


def _n(m: re.Match[str]) -> int | None:
    raw = (m.groupdict().get("n") or "").lower()
    if raw.isdigit():
        return int(raw)
    return NUMBER_WORDS.get(raw)


def _fiscal_start(year: int, ctx: Context) -> str:
    """The start of fiscal year `year` as the article's country names it."""
    if ctx.fiscal_month == 1:
        return f"{year:04d}"
    if ctx.named_by_end:
        return f"{year - 1:04d}-{ctx.fiscal_month:02d}"
    return f"{year:04d}-{ctx.fiscal_month:02d}"


def _current_fiscal_year(ctx: Context) -> int:
    """The first calendar year of the fiscal year that contains the publication date."""
    p = ctx.published
    return p.year if p.month >= ctx.fiscal_month else p.year - 1


def r_year(m: re.Match[str], ctx: Context) -> str | None:
    month = _month(m)
    return f"{_year(m):04d}-{month:02d}" if month else f"{_year(m):04d}"


def r_fiscal_year(m: re.Match[str], ctx: Context) -> str | None:
    return _fiscal_start(_year(m), ctx)


def r_fiscal_range(m: re.Match[str], ctx: Context) -> str | None:
    # '2026-27': a fiscal year named by both calendar years, starting in the first.
    if ctx.fiscal_month == 1:
        return f"{_year(m):04d}"
    return f"{_year(m):04d}-{ctx.fiscal_month:02d}"


def r_relative_year(m: re.Match[str], ctx: Context) -> str | None:
    shift = {"this": 0, "next": 1, "last": -1, "current": 0, "coming": 1, "previous": -1}
    word = (m.group("rel") or "").lower()
    return f"{ctx.published.year + shift.get(word, 0):04d}"


def r_relative_fiscal(m: re.Match[str], ctx: Context) -> str | None:
    shift = {"this": 0, "next": 1, "last": -1, "current": 0, "coming": 1, "previous": -1}
    word = (m.group("rel") or "").lower()
    year = _current_fiscal_year(ctx) + shift.get(word, 0)
    if ctx.fiscal_month == 1:
        return f"{year:04d}"
    return f"{year:04d}-{ctx.fiscal_month:02d}"


def r_plus_years(m: re.Match[str], ctx: Context) -> str | None:
    n = _n(m)
    return f"{ctx.published.year + n:04d}" if n else None


def r_end_of_decade(m: re.Match[str], ctx: Context) -> str | None:
    return f"{(ctx.published.year // 10 + 1) * 10:04d}"


def r_parliament_end(m: re.Match[str], ctx: Context) -> str | None:
    elected = max((y for y in UK_ELECTIONS if y <= ctx.published.year), default=None)
    return f"{elected + 5:04d}" if elected else None


def r_fiscal_ended(m: re.Match[str], ctx: Context) -> str | None:
    """'the fiscal year that ended in March': the year that began the month after the last
    such March before publication."""
    month = _month(m)
    if month is None:
        return None
    p = ctx.published
    end_year = p.year if month < p.month else p.year - 1
    if month == 12:
        return f"{end_year:04d}-01"
    return f"{end_year - 1:04d}-{month + 1:02d}"


def r_dateparser(m: re.Match[str], ctx: Context) -> str | None:
    """Month names and simple relative dates, read by dateparser."""
    return _dateparse(m.group(0), ctx.published.isoformat())


def r_unresolved(m: re.Match[str], ctx: Context) -> str | None:
    return None


RESOLVERS: dict[str, Callable[[re.Match[str], Context], str | None]] = {
    "year": r_year,
    "fiscal_year": r_fiscal_year,
    "fiscal_range": r_fiscal_range,
    "relative_year": r_relative_year,
    "relative_fiscal": r_relative_fiscal,
    "plus_years": r_plus_years,
    "end_of_decade": r_end_of_decade,
    "parliament_end": r_parliament_end,
    "dateparser": r_dateparser,
    "fiscal_ended": r_fiscal_ended,
    "unresolved": r_unresolved,
}


@lru_cache(maxsize=4096)
def _dateparse(text: str, base: str) -> str | None:
    import dateparser

    phrase = re.sub(r"^(?:by|from|in|until|through|to|since)\s+", "", text, flags=re.I)
    settings = {
        "RELATIVE_BASE": dt.datetime.fromisoformat(base),
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    parsed = dateparser.parse(phrase, languages=["en"], settings=settings)
    if parsed is None:
        return None
    words = phrase.lower()
    if re.search(r"\b\d{1,2}(st|nd|rd|th)?\b", re.sub(r"\b\d{4}\b", "", words)):
        return parsed.date().isoformat()
    if any(mn in words for mn in MONTHS) or "month" in words:
        return f"{parsed.year:04d}-{parsed.month:02d}"
    return f"{parsed.year:04d}"


class DateFinder(RuleComponent):
    RULE_FILES = ("dates", "locales")

    def compile(self) -> None:
        self.patterns = []
        for rule in self.rules.get("dates", []):
            if rule.resolver not in RESOLVERS:
                raise ValueError(
                    f"date rule {rule.id!r}: unknown resolver {rule.resolver!r}; "
                    f"known: {sorted(RESOLVERS)}"
                )
            self.patterns.append((rule, re.compile(rule.regex, re.IGNORECASE)))
        self.locales = {r.country: r for r in self.rules.get("locales", [])}

    def context(self, doc: Doc) -> Context | None:
        if not doc._.published:
            return None
        locale = self.locales.get(doc._.locale or "")
        return Context(
            published=dt.date.fromisoformat(doc._.published),
            fiscal_month=locale.fiscal_month if locale else 1,
            named_by_end=locale.fiscal_named_by_end if locale else False,
        )

    def match(self, doc: Doc) -> list[DateMatch]:
        ctx = self.context(doc)
        found: list[tuple[int, int, DateMatch]] = []
        text = source_text(doc)
        # After the figures component, only the figures' context needs dates.
        spans = get_context(doc) if "figures" in doc.spans else [(0, len(text))]
        for order, (rule, pattern) in enumerate(self.patterns):
            for m in scan(pattern, text, spans):
                value = RESOLVERS[rule.resolver](m, ctx) if ctx else None
                found.append(
                    (
                        order,
                        m.end() - m.start(),
                        DateMatch(m.start(), m.end(), m.group(0), rule.role, value),
                    )
                )
        # Longest match first, then rule order; keep non-overlapping matches.
        found.sort(key=lambda x: (-x[1], x[0], x[2].start))
        kept: list[DateMatch] = []
        for _, _, d in found:
            if all(d.end <= k.start or d.start >= k.end for k in kept):
                kept.append(d)
        return sorted(kept, key=lambda d: d.start)

    def set_annotations(self, doc: Doc, matches: list[DateMatch]) -> None:
        spans = []
        for d in matches:
            span = doc.char_span(d.start, d.end, alignment_mode="expand")
            if span is None:
                continue
            span._.date = {"role": d.role, "value": d.value, "text": d.text}
            spans.append(span)
        doc.spans["dates"] = spans


@Language.factory("newsclaims_dates", assigns=["doc.spans", "span._.date"])
def make_dates(nlp: Language, name: str) -> DateFinder:
    """Find and resolve date expressions."""
    return DateFinder(nlp, name)
