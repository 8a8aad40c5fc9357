"""Is a figure a spending claim, and what is a share a share of?

A mixin of the claim assembler: it reads the context rules (patterns/context.jsonl) compiled
there as `self.context_rules` and `self.distractor_words`. A figure is rejected when a
distractor ('inflation', 'poll', 'interest rate', 'profits') is nearer to it in its sentence
than any sign of spending, a comma counting as CLAUSE_GAP tokens; when it is a rate of change
('rose 5%'), money cut or saved ('cut … by $45bn'), a share of people or things, or a sum too
small to be a budget. A bare share needs some sign of spending in its sentence.
"""

from spacy.tokens import Doc, Span, Token

PEOPLE_NORP = ("NORP",)
# Extra distance, in tokens, for each comma between a context word and its figure.
CLAUSE_GAP = 8
# Smallest sum of money read as spending by a government or body.
MIN_MONEY = 100_000
# Plural nouns a share can be a share of and still be spending ('of total approvals').
POTS = {"approval", "fund", "expenditure", "outlay", "budget", "resource", "revenue", "spending"}


class EvidenceMixin:
    context_rules: list
    # kind -> first word -> [(rule, words)]: the context rules by the word they start with
    context_index: dict[str, dict[str, list]]
    distractor_words: set[str]
    _sentences: dict[tuple[int, int], tuple[list[str], list[int]]]

    def _find(self, words: list[str], toks: list[Token]) -> list[int]:
        """Positions (token indices) where `words` occur in toks."""
        low = [t.lower_ for t in toks]
        n = len(words)
        return [toks[i].i for i in range(len(low) - n + 1) if low[i : i + n] == words]

    def _sentence_words(self, sent: Span) -> tuple[list[str], list[int]]:
        """The sentence's lower-cased words, and before each position the number of clause
        separators so far (read once per sentence while the Doc is processed)."""
        key = (sent.start, sent.end)
        cached = self._sentences.get(key)
        if cached is None:
            low = [t.lower_ for t in sent]
            seps = [0]
            for w in low:
                seps.append(seps[-1] + (w in (",", ";", "—")))
            cached = self._sentences[key] = (low, seps)
        return cached

    def _nearest(self, doc: Doc, fig: Span, kind: str, unit_kind: str) -> int | None:
        """Distance in tokens from the figure to the nearest context word of `kind` within
        its rule's window and side, in the figure's sentence (commas count CLAUSE_GAP)."""
        sent = fig.sent
        s0 = sent.start
        low, seps = self._sentence_words(sent)
        index = self.context_index.get(kind, {})
        best = None
        for p in range(s0, sent.end):
            candidates = index.get(low[p - s0])
            if not candidates:
                continue
            for rule, words in candidates:
                if rule.applies_to not in (unit_kind, "any"):
                    continue
                n = len(words)
                if low[p - s0 : p - s0 + n] != words:
                    continue
                if p + n <= fig.start:
                    if rule.side not in ("before", "both") or p < fig.start - rule.window:
                        continue
                    d, a, b = fig.start - p - n + 1, p + n, fig.start
                elif p >= fig.end:
                    if rule.side not in ("after", "both") or p + n > fig.end + rule.window:
                        continue
                    d, a, b = p - fig.end + 1, fig.end, p
                else:
                    continue
                if kind == "spending" and p > s0 and low[p - 1 - s0] in self.distractor_words:
                    continue  # 'deficit target', 'growth forecast': not spending
                # Words across a comma belong to another clause: count them as further.
                d += CLAUSE_GAP * (seps[b - s0] - seps[a - s0])
                best = d if best is None else min(best, d)
        return best

    def compile_context(self, rows: list) -> None:
        """Index the context rules (patterns/context.jsonl) for the evidence methods."""
        self.context_rules = [(r, r.literal.lower().split()) for r in rows]
        self.context_index = {}
        for rule, words in self.context_rules:
            if words:
                by_word = self.context_index.setdefault(rule.kind, {})
                by_word.setdefault(words[0], []).append((rule, words))
        self.distractor_words = {
            r.literal.lower() for r in rows if r.kind == "distractor" and " " not in r.literal
        }
        self._sentences = {}

    def may_be_spending(self, doc: Doc, fig: Span, unit_kind: str, value: float) -> bool:
        """False when the words alone settle that the figure is no spending claim: a sum too
        small, or a distractor, a rate of change or a cut nearer than any sign of spending.
        `is_spending` can only agree then (it adds evidence against, never for), so a
        sentence whose figures all fail here needs no model. Reads only the words."""
        if self._too_small(unit_kind, value):
            return False
        bad = self._words_against(doc, fig, unit_kind)
        if bad is None:
            return True
        good = self._nearest(doc, fig, "spending", unit_kind)
        return good is not None and good < bad

    def _words_against(self, doc: Doc, fig: Span, unit_kind: str) -> int | None:
        """The nearest evidence against spending that the words alone give: a distractor, a
        rate of change or a cut (None when there is none)."""
        found = [
            d
            for d in (
                self._nearest(doc, fig, "distractor", unit_kind),
                self._change(doc, fig, unit_kind),
                self._cut(doc, fig, unit_kind),
            )
            if d is not None
        ]
        return min(found) if found else None

    def is_spending(self, doc: Doc, fig: Span, unit_kind: str, topic: str | None) -> bool:
        """`topic`: the figure's own topic (ClaimAssembler.topic), evidence for a share."""
        if self._too_small(unit_kind, fig._.figure["value"]):
            return False
        # What the words say against it (as in may_be_spending), and a share of people or
        # things, which needs the tagger and entities.
        found = [
            d
            for d in (
                self._words_against(doc, fig, unit_kind),
                self._people_share(doc, fig, unit_kind),
            )
            if d is not None
        ]
        bad = min(found) if found else None
        good = self._nearest(doc, fig, "spending", unit_kind)
        if bad is not None:
            return good is not None and good < bad
        if unit_kind == "percent":
            # A bare share needs some sign of spending in its sentence: a spending word, a
            # commitment cue or a topic word ('45% of GDP' alone may be farming's share).
            return (
                good is not None or bool((fig._.commitment or {}).get("cues")) or topic is not None
            )
        return True

    @staticmethod
    def _coordinated_with(fig: Span, figures: list[Span]) -> Span | None:
        """The figure this one is coordinated with ('9.4% and 8.1%', '3% or 4%')."""
        doc = fig.doc
        between = doc[max(fig.sent.start, fig.start - 2) : fig.start]
        if not any(t.lower_ in ("and", "or", "to", "-", "–") for t in between):
            return None
        for other in figures:
            if other.end <= fig.start and fig.start - other.end <= 2:
                return other
        return None

    def _change(self, doc: Doc, fig: Span, unit_kind: str) -> int | None:
        """'rose 5%', 'fell by 5.1%': a rate of change, not a level ('rose to 5%')."""
        if unit_kind != "percent":
            return None
        lo = max(fig.sent.start, fig.start - 3)
        before = list(doc[lo : fig.start])
        for rule, words in self.context_rules:
            if rule.kind != "change":
                continue
            for i in self._find(words, before):
                between = doc[i + len(words) : fig.start]
                if not any(t.lower_ in ("to", "of") for t in between):
                    return fig.start - i  # 'rose 5%', 'growing at 25%'; not 'rose to 5%'
        return None

    def _cut(self, doc: Doc, fig: Span, unit_kind: str) -> int | None:
        """'cut the Medicaid budget by $45bn': money no one spends."""
        if unit_kind != "money" or fig.start < 1:
            return None
        near = [t.lower_ for t in doc[max(fig.sent.start, fig.start - 3) : fig.start]]
        if "by" not in near:
            return None
        lo = max(fig.sent.start, fig.start - 10)
        before = list(doc[lo : fig.start])
        for rule, words in self.context_rules:
            if rule.kind == "cut" and self._find(words, before):
                return 1
        return None

    def _people_share(self, doc: Doc, fig: Span, unit_kind: str) -> int | None:
        """'70 per cent of Canadians', '60 per cent of district hospitals': a share of people
        or things, not of a budget or of national income."""
        if unit_kind != "percent" or fig.end + 1 >= len(doc) or doc[fig.end].lower_ != "of":
            return None
        if self._explicit_base(doc, fig) is not None:
            return None
        for tok in doc[fig.end + 1 : min(fig.end + 5, fig.sent.end)]:
            if tok.ent_type_ in PEOPLE_NORP or (tok.tag_ == "NNS" and tok.lemma_ not in POTS):
                return 1
            if tok.pos_ in ("VERB", "AUX", "ADP") or tok.is_punct:
                break
        return None

    @staticmethod
    def _too_small(unit_kind: str, value: float) -> bool:
        """Sums that size are what a person pays or gets ('£15 a year', '$781 a fortnight'),
        not what a government spends."""
        return unit_kind == "money" and value < MIN_MONEY

    # -- base, topic, actor --------------------------------------------------------------

    def _explicit_base(self, doc: Doc, fig: Span) -> str | None:
        after = list(doc[fig.end : min(fig.sent.end, fig.end + 8)])
        for rule, words in self.context_rules:
            if rule.kind == "base" and self._find(words, after):
                return rule.base
        return None

    def base(self, doc: Doc, fig: Span, unit_kind: str) -> str | None:
        """A share's base: stated after it, else that of a share stated in the same sentence,
        else GDP (the reader's inference in spending news)."""
        if unit_kind != "percent":
            return None
        explicit = self._explicit_base(doc, fig)
        if explicit:
            return explicit
        for other in doc.spans.get("figures", []):
            if (
                other.sent == fig.sent
                and other.start != fig.start
                and other._.figure["unit"] == "percent"
            ):
                found = self._explicit_base(doc, other)
                if found:
                    return found
        return "GDP"
