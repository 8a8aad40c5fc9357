"""Figures: every share ('3.5%', 'two per cent', '3.5pc') and sum of money ('£2.2bn',
'US$40bn', '2.2 billion pounds', 'Rs 20,000 crore') in the text, with its value and unit.

Writes doc.spans["figures"] and Span._.figure = {"text", "value", "unit", "start", "end"}
(character offsets into the Doc's text). Rules: patterns/numbers.jsonl,
patterns/currencies.jsonl, patterns/locales.jsonl.

The regular expression is assembled from the rule literals (each re.escape'd) as
alternations of fixed strings around bounded digit runs: no nested quantifiers.
"""

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractor.components import paragraph_boundaries, sentence_spans
from extractor.components.base import RuleComponent
from extractor.components.context import context_spans, get_context, scan, source_text
from extractor.components.evidence import EvidenceMixin

# Western (1,234,567) and Indian (1,28,650) digit grouping, or plain digits.
_DIGITS = (
    r"\d{1,3}(?:,\d{3})+(?:\.\d{1,4})?|\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d{1,4})?"
    r"|\d{1,12}(?:\.\d{1,4})?"
)


@dataclass(frozen=True)
class FigureMatch:
    start: int
    end: int
    text: str
    value: float
    unit: str  # 'percent', an ISO code, or '$' until the article's dollar is known


@dataclass(frozen=True)
class TextOnly:
    """A stand-in Doc for `FigureFinder.match`, which reads only `.text` (no tokenizing)."""

    text: str


def _alt(literals: list[str]) -> str:
    return "|".join(re.escape(x) for x in sorted(set(literals), key=len, reverse=True))


class FigureFinder(EvidenceMixin, RuleComponent):
    """Finds figures, and decides the claims' context (extractor.components.context): the
    sentences whose figures the words alone do not rule out as spending claims."""

    RULE_FILES = ("numbers", "currencies", "locales", "context")

    def compile(self) -> None:
        self.compile_context(self.rules.get("context", []))
        numbers = self.rules.get("numbers", [])
        self.words = {r.literal.lower(): r.value for r in numbers if r.kind == "word"}
        self.fractions = {r.literal.lower(): r.value for r in numbers if r.kind == "fraction"}
        self.multipliers = {r.literal.lower(): r.value for r in numbers if r.kind == "multiplier"}
        self.multipliers_cs = {r.literal: r.value for r in numbers if r.kind == "multiplier"}
        percents = [r.literal for r in numbers if r.kind == "percent"]
        currencies = self.rules.get("currencies", [])
        self.prefixes = {r.literal.lower(): r for r in currencies if r.position == "prefix"}
        self.suffixes = {r.literal.lower(): r for r in currencies if r.position == "suffix"}
        self.locales = self.rules.get("locales", [])
        # Every locale's markers in one alternation, longest first (markers are literals):
        # the text is read once, and each marker found counts for the locales that list it.
        self.marker_countries: dict[str, list[str]] = {}
        for rule in self.locales:
            for m in rule.markers:
                self.marker_countries.setdefault(m, []).append(rule.country)
        markers = sorted(self.marker_countries, key=len, reverse=True)
        self.locale_pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, markers)) + r")(?!\w)")
            if markers
            else None
        )
        if not (self.words and percents and currencies):
            self.pattern = None
            return
        word = _alt(list(self.words))
        frac = _alt(list(self.fractions)) or "half"
        # 'twenty-five', 'three-and-a-half', 'two and a half'
        word_num = rf"(?:{word})(?:[- ](?:{word}))?(?:[- ]and[- ]a[- ](?:{frac}))?"
        num = rf"(?:{_DIGITS})"
        mult_words = [m for m in self.multipliers if len(m) > 2 or m in ("bn", "tn", "mn")]
        mult_attached = _alt(list(self.multipliers_cs))
        mult_spaced = _alt(mult_words)
        pct = _alt(percents)
        pre = _alt([r.literal for r in currencies if r.position == "prefix"])
        suf = _alt([r.literal for r in currencies if r.position == "suffix"])
        self.pattern = re.compile(
            rf"(?<![\w.])(?:"
            rf"(?P<pnum>{num}|{word_num})[ \u00a0]?(?P<pct>{pct})(?![\w])"
            rf"|(?P<pre>{pre})[ \u00a0]?(?P<mnum>{num})"
            rf"(?:(?P<mult_a>{mult_attached})\b|[ \u00a0](?P<mult_s>{mult_spaced})\b)?"
            rf"(?:[ \u00a0](?P<mult_2>{mult_spaced})\b)?"
            rf"|(?P<snum>{num}|{word_num})"
            rf"(?:(?P<smult_a>{mult_attached})|[ \u00a0](?P<smult_s>{mult_spaced}))?"
            rf"[ \u00a0](?P<suf>{suf})\b"
            rf")",
            re.IGNORECASE,
        )

    def number(self, text: str) -> float | None:
        t = text.lower().replace(",", "")
        try:
            return float(t)
        except ValueError:
            pass
        total = 0.0
        for part in re.split(r"[- ]", t):
            if part in ("and", "a", ""):
                continue
            if part in self.words:
                total += self.words[part]
            elif part in self.fractions:
                total += self.fractions[part]
            else:
                return None
        return total

    def multiplier(self, token: str | None, case_sensitive: bool) -> float:
        if not token:
            return 1.0
        if case_sensitive and token in self.multipliers_cs:
            return self.multipliers_cs[token]
        return self.multipliers.get(token.lower(), 1.0)

    def locale(self, text: str) -> str | None:
        """The article's country: the locale whose markers occur most often."""
        if self.locale_pattern is None:
            return None
        counts = dict.fromkeys((r.country for r in self.locales), 0)
        for m in self.locale_pattern.finditer(text):
            for country in self.marker_countries[m.group()]:
                counts[country] += 1
        best, best_n = None, 0
        for country, n in counts.items():  # the first locale wins a tie, as listed
            if n > best_n:
                best, best_n = country, n
        return best

    def dollar_code(self, country: str | None) -> str:
        """What a bare '$' means in an article from `country` (USD unless it has its own)."""
        for rule in self.locales:
            if rule.country == country and rule.dollar:
                return rule.dollar
        return "USD"

    def _scan(self, doc: Doc, text: str) -> Iterator[re.Match[str]]:
        """Figure matches in the text; in a region Doc only its context is read (everything
        else is blank, and every figure of the article lies in the context)."""
        assert self.pattern is not None
        if not isinstance(doc, Doc) or doc._.context is None:
            return self.pattern.finditer(text)
        return scan(self.pattern, text, get_context(doc))

    def match(self, doc: Doc) -> list[FigureMatch]:
        if self.pattern is None:
            return []
        found = []
        # A region Doc (prefilter) is blank outside its context: read the article itself.
        text = source_text(doc) if isinstance(doc, Doc) else doc.text
        for m in self._scan(doc, text):
            g = m.groupdict()
            if g["pct"]:
                value = self.number(g["pnum"])
                unit = "percent"
            elif g["pre"]:
                value = self.number(g["mnum"])
                if value is not None:
                    value *= self.multiplier(g["mult_a"], True) * self.multiplier(
                        g["mult_s"], False
                    )
                    value *= self.multiplier(g["mult_2"], False)
                rule = self.prefixes[g["pre"].lower()]
                unit = "$" if rule.dollar else rule.code
            else:
                value = self.number(g["snum"])
                if value is not None:
                    value *= self.multiplier(g["smult_a"], True) * self.multiplier(
                        g["smult_s"], False
                    )
                rule = self.suffixes[g["suf"].lower()]
                unit = "$" if rule.dollar else rule.code
            if value is None:
                continue
            found.append(FigureMatch(m.start(), m.end(), m.group(0), value, unit))
        return found

    # -- the claims' context ---------------------------------------------------------------
    def plan(self, text: str) -> list[tuple[int, int]]:
        """The context of `text`'s possible claims, read from the text alone (no model): the
        sentences holding a figure the words do not rule out, and what `context_spans` adds
        around them. Empty when no figure can be a claim."""
        matches = self.match(TextOnly(text))  # type: ignore[arg-type]
        if not matches:
            return []
        sentences = sentence_spans(text)
        firsts = [s for s, _ in sentences]
        by_sentence: dict[int, list[FigureMatch]] = {}
        for m in matches:
            by_sentence.setdefault(bisect_right(firsts, m.start) - 1, []).append(m)
        groups = []
        for k, found in by_sentence.items():
            start, end = sentences[k]
            doc = paragraph_boundaries(self.nlp.make_doc(text[start:end]))
            pairs = [
                (doc.char_span(m.start - start, m.end - start, alignment_mode="expand"), m)
                for m in found
            ]
            groups.append((doc, pairs))
        return self._context(text, sentences, groups)

    def _context(
        self,
        text: str,
        sentences: list[tuple[int, int]],
        groups: list[tuple[Doc, list[tuple[Span | None, FigureMatch]]]],
    ) -> list[tuple[int, int]]:
        """The context of the figures of each sentence's group (its words in `doc`) that the
        words do not rule out: the one decision of `plan` and `_context_of`."""
        kept = [
            m.start for doc, pairs in groups if self._may_hold_claim(doc, pairs) for _, m in pairs
        ]
        return context_spans(text, sentences, kept)

    def _may_hold_claim(self, doc: Doc, pairs: list[tuple[Span | None, FigureMatch]]) -> bool:
        """Can any of these figures (one sentence's) be a spending claim, by its words?"""
        self._sentences = {}
        return any(
            span is not None
            and self.may_be_spending(
                doc, span, "percent" if m.unit == "percent" else "money", m.value
            )
            for span, m in pairs
        )

    def _context_of(self, doc: Doc, pairs: list[tuple[Span, FigureMatch]]) -> list[list[int]]:
        """The same decision as `plan`, on a Doc of the whole text (same words, same
        sentences): the context of a Doc that no prefilter prepared."""
        by_sentence: dict[int, list[tuple[Span | None, FigureMatch]]] = {}
        for span, m in pairs:
            by_sentence.setdefault(span.sent.start, []).append((span, m))
        text = source_text(doc)
        groups = [(doc, group) for group in by_sentence.values()]
        return [[s, e] for s, e in self._context(text, sentence_spans(text), groups)]

    def set_annotations(self, doc: Doc, matches: list[FigureMatch]) -> None:
        text = source_text(doc)
        doc._.locale = self.locale(text)
        dollar = self.dollar_code(doc._.locale)
        spans = []
        pairs = []
        previous: FigureMatch | None = None
        for f in matches:
            span = doc.char_span(f.start, f.end, alignment_mode="expand")
            if span is None:
                continue
            pairs.append((span, f))
            unit = f.unit
            if unit == "$":
                unit = dollar
                converts = (
                    previous is not None
                    and previous.unit not in ("$", "percent", "USD")
                    and text[previous.end : f.start].strip() == "("
                )
                if converts:
                    unit = "USD"  # 'C$7.5 billion ($5.4 billion)': a conversion to US dollars
            previous = f
            span._.figure = {
                "text": f.text,
                "value": f.value,
                "unit": unit,
                "start": f.start,
                "end": f.end,
            }
            spans.append(span)
        doc._.dollar_code = dollar
        doc.spans["figures"] = spans
        if doc._.context is None and doc.has_annotation("SENT_START"):
            doc._.context = self._context_of(doc, pairs)


@Language.factory(
    "newsclaims_figures",
    assigns=["doc.spans", "span._.figure"],
)
def make_figures(nlp: Language, name: str) -> FigureFinder:
    """Find percent and money figures."""
    return FigureFinder(nlp, name)
