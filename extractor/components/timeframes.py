"""Which of a sentence's dates belong to which figure.

A mixin of the claim assembler. Each date goes to the nearest figure, a comma between them
counting as far and a figure before the date preferred; a currency conversion in brackets
shares its figure's dates; a date on the act of pledging ('pledged last year') is no start.
"""

from spacy.tokens import Span

# Sentence openers that point back to the money of the sentence before.
ANAPHORS = {"that", "this", "it", "these"}
# Tokens (with a comma counting 8) beyond which a date is not a figure's.
MAX_DATE_DISTANCE = 16


class TimeframeMixin:
    act_verbs: set[str]
    report_verbs: set[str]

    def timeframe(
        self, fig: Span, dates: list[Span], figures: list[Span], anchors: dict[int, Span | None]
    ) -> dict:
        """The start and deadline among the sentence's dates that belong to this figure: each
        date goes to the nearest figure, where a comma between them counts as far and a figure
        before the date is preferred; a currency conversion in brackets shares its figure's
        dates. A date on the act of pledging ('pledged last year', 'the plan announced in
        2024') is no start."""
        sent = fig.sent
        anchor = anchors.get(fig.start) or fig
        mine = [f for f in figures if f.sent == sent and anchors.get(f.start) is None]
        out: dict[str, str | None] = {"start": None, "deadline": None}
        best: dict[str, float] = {}
        for d in dates:
            if not (sent.start <= d.start and d.end <= sent.end):
                continue
            info = d._.date
            role = info["role"]
            if role not in ("start", "deadline") or not info["value"]:
                continue
            if role == "start" and self.on_the_act(d):
                continue
            nearest = min(mine, key=lambda f: (self._date_distance(f, d), f.start))
            if nearest.start != anchor.start:
                continue
            dist = self._date_distance(anchor, d)
            if dist > MAX_DATE_DISTANCE:
                continue
            if role not in best or dist < best[role]:
                best[role] = dist
                out[role] = info["value"]
        return out

    @staticmethod
    def _date_distance(f: Span, d: Span) -> float:
        doc = f.doc
        if d.end <= f.start:
            gap, between = f.start - d.end, doc[d.end : f.start]
            after = 1.0  # a date before its figure is less usual
        else:
            gap, between = max(0, d.start - f.end), doc[f.end : d.start]
            after = 0.0
        commas = sum(1 for t in between if t.text in (",", ";", "—", "–"))
        return gap + 8.0 * commas + after

    @staticmethod
    def conversion_anchor(fig: Span, figures: list[Span], text: str) -> Span | None:
        """'¥1.2tn ($7.6bn)', '9.5bn kronor (£722m; $1.3bn)': the figure a bracketed
        conversion restates (the one right before the bracket). `text` is the article's text
        (extractor.components.context.source_text)."""
        start = fig._.figure["start"]
        opening = text.rfind("(", max(0, start - 40), start)
        if opening < 0 or ")" in text[opening:start]:
            return None
        inside = text[opening + 1 : start]
        for other in figures:
            o = other._.figure
            if opening < o["start"] < start:
                inside = inside.replace(o["text"], "")
        if inside.strip(" ;,") or text[opening - 1 : opening] not in (" ", ""):
            return None  # not just other conversions before it in the bracket
        before = [f for f in figures if f._.figure["end"] <= opening]
        if before and not text[before[-1]._.figure["end"] : opening].strip():
            return before[-1]
        return None

    def on_the_act(self, d: Span) -> bool:
        """Is the date about the pledging, announcing or endorsing, not the money? Only an
        adverbial date can be ('pledged last year', 'adopted in December 2022'); 'for
        2025-26' and 'the 2026 budget' are the money's own."""
        first = d[0].lower_
        if first in ("for", "from") or not (d.root.dep_ == "npadvmod" or first == "in"):
            return False
        head = d.root.head
        for _ in range(2):
            lemma = head.lemma_.lower()
            if head.pos_ == "VERB" and (lemma in self.report_verbs or lemma in self.act_verbs):
                return True
            if head.dep_ not in ("prep", "npadvmod") or head.head.i == head.i:
                break
            head = head.head
        return False
