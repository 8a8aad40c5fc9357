"""Pledge tracking: link the claims that are about one commitment across articles over time,
and say how its firmness, size, deadline and spokesperson moved.

    from extractor.track import track
    for pledge in track(claims, articles=articles_by_id):
        print(pledge.label, [e.label for e in pledge.events])

The rule (docs/tracking.md says it in plain words):

1. Actor. A claim's actor is resolved through the alias table (patterns/actor_aliases.jsonl,
   plus a user's own file): "UK" and "Britain" are one actor. "The government", a missing
   actor, or an actor that is the speaker himself ("Marsh" for a claim Marsh made) mean the
   article's own country: its most-mentioned country (from the article text when `articles`
   is given, else from the article's other claims), or failing that the actor of a
   syndicated copy of the same sentence (step 4). Claims whose actor stays unknown, and
   `statement` claims (current or past spending: no commitment to track), are not tracked.
2. Key. Claims can only be linked when actor, topic and measure are equal. The measure is
   "% of GDP" / "% of GNI" / "% of budget" for a share, or the currency code for money. A
   share without a base takes the base that the same actor and topic use everywhere else,
   when there is exactly one.
3. Time order. Claims are read by publication date, then article id, then position.
4. Same statement. A claim whose sentence is nearly the same (word-set Jaccard >= 0.8) as a
   claim already seen in another article, with the same figure and key, is that statement's
   syndicated or quoted copy: it becomes an `appearance`, never a new claim or an event.
5. Camps. Certainty, ambition and rejected are the actor's own stance; proposal and
   expectation are someone else's (a demand, a prediction).
6. Same target. Otherwise a claim joins the pledge of its key whose latest figure equals its
   own (percent within 0.01 points, money within 1%) and whose latest claim is of the same
   camp.
7. Revision. Otherwise a claim revises a pledge of its key when all of these hold: both it
   and the pledge's latest claim are the actor's own stance (certainty or ambition now;
   certainty, ambition or rejected before), or both are someone else's; the pledge's latest
   claim is from another article (two figures in one article are two targets); their
   horizons (deadline year, else start year) are unknown or at most 2 years apart; and for
   money the amounts are at most 2x apart. Among several candidates the closest horizon
   wins, then the most recently updated pledge.
8. Adoption. Otherwise the actor's own claim joins a same-figure pledge of the other camp
   (a demand the actor takes up or refuses). Someone else's prediction never joins the
   actor's own pledge: "expected to commit to 3.5%" is not a raise.
9. Otherwise the claim starts a new pledge.

Events compare each claim of a pledge with the one before it: firmness (a change of level:
rejected when the new level is `rejected`, else strengthened or weakened by the order
certainty > ambition > expectation > proposal), figure (raised or cut), deadline (earlier
or later, against the last claim that had a deadline) and speaker (against the last named
speaker; descriptions such as "officials" are not compared).
"""

import datetime as dt
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extractor.aliases import ActorAlias, AliasTable, normalise_name
from extractor.models import Article, Base, Claim, Level, Topic

# Named so the documented rule and the code cannot drift apart.
SAME_SENTENCE_JACCARD = 0.8
PERCENT_TOLERANCE = 0.01  # percentage points
MONEY_TOLERANCE = 0.01  # relative, as in gold matching
HORIZON_YEARS = 2
MONEY_REVISION_RATIO = 2.0

# Firmness order for the direction of a change; `rejected` is its own direction.
FIRMNESS = {
    Level.certainty: 4,
    Level.ambition: 3,
    Level.expectation: 2,
    Level.proposal: 1,
    Level.rejected: 0,
}
_OWN_NEW = {Level.certainty, Level.ambition}
_OWN_OLD = {Level.certainty, Level.ambition, Level.rejected}
_OTHERS = {Level.proposal, Level.expectation}


def _own(level: Level) -> bool:
    return level in _OWN_OLD


EventKind = Literal["firmness", "figure", "deadline", "speaker"]
Direction = Literal[
    "strengthened", "weakened", "rejected", "raised", "cut", "earlier", "later", "changed"
]


class Appearance(BaseModel):
    """One place a statement was published: the original or a syndicated/quoted copy
    (schema.org `appearance`)."""

    model_config = ConfigDict(extra="forbid")

    claim_id: str
    article_id: str
    published: dt.date | None = None
    url: str | None = None
    site: str | None = None
    sentence: str


class TrackedClaim(BaseModel):
    """A claim in a pledge: the first appearance's claim, the resolved actor, and every
    appearance of the same statement (the first included)."""

    model_config = ConfigDict(extra="forbid")

    claim: Claim
    actor: str
    published: dt.date | None = None
    appearances: list[Appearance]


class Citation(BaseModel):
    """One side of an event: the claim, its article and its sentence."""

    model_config = ConfigDict(extra="forbid")

    claim_id: str
    article_id: str
    published: dt.date | None = None
    sentence: str
    figure: str
    level: Level
    speaker: str | None = None


class Event(BaseModel):
    """A change between two claims of one pledge."""

    model_config = ConfigDict(extra="forbid")

    kind: EventKind
    direction: Direction
    before: str = Field(description="Level, figure, deadline or speaker before the change.")
    after: str = Field(description="The same after the change.")
    from_level: Level | None = None
    to_level: Level | None = None
    from_value: float | None = None
    to_value: float | None = None
    by: str | None = Field(default=None, description="Speaker of the later claim: who moved it.")
    earlier: Citation
    later: Citation

    @property
    def label(self) -> str:
        """Short flag for tables: 'WALK-BACK: certainty → ambition'."""
        name = {
            ("firmness", "weakened"): "WALK-BACK",
            ("firmness", "strengthened"): "STRENGTHENED",
            ("firmness", "rejected"): "REJECTED",
            ("figure", "raised"): "RAISED",
            ("figure", "cut"): "CUT",
            ("deadline", "earlier"): "DEADLINE EARLIER",
            ("deadline", "later"): "DEADLINE LATER",
            ("speaker", "changed"): "SPEAKER",
        }[(self.kind, self.direction)]
        return f"{name}: {self.before} → {self.after}"


class Pledge(BaseModel):
    """One commitment followed over time: its key, its claims in time order, its events."""

    model_config = ConfigDict(extra="forbid")

    pledge_id: str
    actor: str
    topic: Topic
    unit: str
    base: Base | None = None
    measure: str = Field(description="'% of GDP', '%' or a currency code.")
    claims: list[TrackedClaim]
    events: list[Event]

    @property
    def label(self) -> str:
        return f"{self.actor} · {self.topic.value} · {self.measure}"


# -- helpers ---------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_ROLE_WORDS = frozenset(
    (
        "minister", "secretary", "chancellor", "president", "spokesman", "spokeswoman",
        "spokesperson", "government", "ministry", "office", "department", "treasury",
        "officials", "sources", "general", "premier", "leader", "pm", "mp", "mps",
    )
)  # fmt: skip


def _words(sentence: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in _WORD.findall(sentence))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _same_value(a: Claim, b: Claim) -> bool:
    if a.figure.unit != b.figure.unit:
        return False
    x, y = a.figure.value, b.figure.value
    if a.figure.unit == "percent":
        return abs(x - y) <= PERCENT_TOLERANCE + 1e-9
    return abs(x - y) <= MONEY_TOLERANCE * max(abs(x), abs(y))


def _date_parts(value: str | None) -> tuple[int, ...] | None:
    if not value:
        return None
    return tuple(int(p) for p in value.split("-"))


def _horizon(claim: Claim) -> int | None:
    parts = _date_parts(claim.timeframe.deadline) or _date_parts(claim.timeframe.start)
    return parts[0] if parts else None


def _compare_dates(a: str, b: str) -> int:
    """-1, 0 or 1, comparing ISO partial dates at the precision both have ('2034' == '2034-06')."""
    pa, pb = _date_parts(a) or (), _date_parts(b) or ()
    n = min(len(pa), len(pb))
    x, y = pa[:n], pb[:n]
    return (x > y) - (x < y)


def speaker_key(speaker: str | None, aliases: AliasTable | None = None) -> str | None:
    """The name a speaker is compared by: the last capitalised word ('Defence Secretary
    Helen Marsh' and 'Marsh' -> 'marsh'). None for descriptions ('officials', 'the
    minister', 'Prime Minister') and, given the alias table, for names of actors ('Britain',
    'the Treasury', 'NATO leaders'): they say nothing about which person spoke."""
    if not speaker:
        return None
    if aliases is not None and aliases.is_actor_name(speaker):
        return None
    caps = [w for w in _WORD.findall(speaker) if w[0].isupper()]
    if not caps or caps[-1].casefold() in _ROLE_WORDS:
        return None
    return caps[-1].casefold()


def measure_of(unit: str, base: str | None) -> str:
    """How a key's figures are measured: '% of GDP', '%', or the currency code."""
    if unit != "percent":
        return unit
    return f"% of {base}" if base else "%"


def _fmt_value(claim: Claim) -> str:
    f = claim.figure
    if f.unit == "percent":
        return f"{f.value:g}%"
    return f.text


# -- linking ---------------------------------------------------------------------------------


class _Item:
    """A claim on its way into a pledge, with what linking needs precomputed."""

    __slots__ = ("actor", "article", "base", "claim", "date", "headline_copies", "who", "words")

    def __init__(
        self,
        claim: Claim,
        actor: str,
        date: dt.date | None,
        article: Article | None,
        who: str | None = None,
    ) -> None:
        self.claim = claim
        self.actor = actor
        self.date = date
        self.article = article
        self.who = who  # speaker_key of the claim's speaker
        self.base = claim.figure.base
        self.words = _words(claim.sentence)
        self.headline_copies: list[_Item] = []

    @property
    def key(self) -> tuple[str, str, str, str | None]:
        unit = self.claim.figure.unit
        return (self.actor, self.claim.topic.value, unit, self.base if unit == "percent" else None)

    def sort_key(self) -> tuple:
        c = self.claim
        return (self.date is None, self.date or dt.date.min, c.article_id, c.span[0], c.claim_id)

    def appearance(self) -> Appearance:
        a = self.article
        return Appearance(
            claim_id=self.claim.claim_id,
            article_id=self.claim.article_id,
            published=self.date,
            url=a.url if a else None,
            site=a.site if a else None,
            sentence=self.claim.sentence,
        )


class _Statement:
    __slots__ = ("copies", "item")

    def __init__(self, item: _Item) -> None:
        self.item = item
        self.copies: list[_Item] = [item, *item.headline_copies]

    def articles(self) -> set[str]:
        return {c.claim.article_id for c in self.copies}


def _can_revise(old: _Item, new: _Item) -> bool:
    lo, ln = old.claim.commitment.level, new.claim.commitment.level
    own = ln in _OWN_NEW and lo in _OWN_OLD
    others = ln in _OTHERS and lo in _OTHERS
    if not (own or others):
        return False
    if old.claim.article_id == new.claim.article_id:
        return False
    ho, hn = _horizon(old.claim), _horizon(new.claim)
    if ho is not None and hn is not None and abs(ho - hn) > HORIZON_YEARS:
        return False
    if new.claim.figure.unit != "percent":
        x, y = abs(old.claim.figure.value), abs(new.claim.figure.value)
        if min(x, y) == 0 or max(x, y) / min(x, y) > MONEY_REVISION_RATIO:
            return False
    return True


def _choose(tracks: list[list[_Statement]], new: _Item, candidates: dict[int, int]) -> int:
    """The best candidate track (candidates: track index -> step of its last update): the
    closest known horizon, then the most recently updated."""
    hn = _horizon(new.claim)

    def rank(i: int) -> tuple[int, int]:
        ho = _horizon(tracks[i][-1].item.claim)
        gap = abs(ho - hn) if ho is not None and hn is not None else HORIZON_YEARS + 1
        return (gap, -candidates[i])

    return min(candidates, key=rank)


def _link(items: list[_Item]) -> list[list[_Statement]]:
    """Steps 4-9 of the rule, for the items of one key in time order."""
    tracks: list[list[_Statement]] = []
    updated: list[int] = []  # per track: position of its last update, for recency
    statements: list[_Statement] = []
    for step, item in enumerate(items):
        copy_of = next(
            (
                s
                for s in statements
                if item.claim.article_id not in s.articles()
                and _same_value(s.item.claim, item.claim)
                and _jaccard(s.item.words, item.words) >= SAME_SENTENCE_JACCARD
            ),
            None,
        )
        if copy_of is not None:
            copy_of.copies.extend([item, *item.headline_copies])
            continue
        statement = _Statement(item)
        statements.append(statement)
        same = {
            i: updated[i] for i, t in enumerate(tracks) if _same_value(t[-1].item.claim, item.claim)
        }
        own = _own(item.claim.commitment.level)
        same_camp = {
            i: u for i, u in same.items() if _own(tracks[i][-1].item.claim.commitment.level) == own
        }
        candidates = same_camp or {
            i: updated[i] for i, t in enumerate(tracks) if _can_revise(t[-1].item, item)
        }
        if not candidates and own:
            candidates = same
        if candidates:
            best = _choose(tracks, item, candidates)
            tracks[best].append(statement)
            updated[best] = step
        else:
            tracks.append([statement])
            updated.append(step)
    return tracks


# -- events ----------------------------------------------------------------------------------


def _cite(item: _Item) -> Citation:
    c = item.claim
    return Citation(
        claim_id=c.claim_id,
        article_id=c.article_id,
        published=item.date,
        sentence=c.sentence,
        figure=c.figure.text,
        level=c.commitment.level,
        speaker=c.speaker,
    )


def _events(track: list[_Statement]) -> list[Event]:
    events: list[Event] = []
    last_deadline: _Item | None = None
    last_speaker: _Item | None = None
    prev: _Item | None = None
    for statement in track:
        cur = statement.item
        c = cur.claim
        by = c.speaker
        if prev is not None:
            p = prev.claim
            if not _same_value(p, c):
                events.append(
                    Event(
                        kind="figure",
                        direction="raised" if c.figure.value > p.figure.value else "cut",
                        before=_fmt_value(p),
                        after=_fmt_value(c),
                        from_value=p.figure.value,
                        to_value=c.figure.value,
                        by=by,
                        earlier=_cite(prev),
                        later=_cite(cur),
                    )
                )
            lp, lc = p.commitment.level, c.commitment.level
            if lp != lc:
                if lc == Level.rejected:
                    direction: Direction = "rejected"
                elif FIRMNESS[lc] > FIRMNESS[lp]:
                    direction = "strengthened"
                else:
                    direction = "weakened"
                events.append(
                    Event(
                        kind="firmness",
                        direction=direction,
                        before=lp.value,
                        after=lc.value,
                        from_level=lp,
                        to_level=lc,
                        by=by,
                        earlier=_cite(prev),
                        later=_cite(cur),
                    )
                )
        deadline = c.timeframe.deadline
        if deadline:
            if last_deadline is not None:
                before = last_deadline.claim.timeframe.deadline or ""
                cmp = _compare_dates(deadline, before)
                if cmp:
                    events.append(
                        Event(
                            kind="deadline",
                            direction="later" if cmp > 0 else "earlier",
                            before=before,
                            after=deadline,
                            by=by,
                            earlier=_cite(last_deadline),
                            later=_cite(cur),
                        )
                    )
            last_deadline = cur
        if cur.who is not None:
            if last_speaker is not None and last_speaker.who != cur.who:
                events.append(
                    Event(
                        kind="speaker",
                        direction="changed",
                        before=last_speaker.claim.speaker or "",
                        after=c.speaker or "",
                        by=by,
                        earlier=_cite(last_speaker),
                        later=_cite(cur),
                    )
                )
            last_speaker = cur
        prev = cur
    return events


# -- the public function ---------------------------------------------------------------------


def _in_headline(claim: Claim, article: Article | None) -> bool:
    if article is None or not article.title:
        return False
    title = article.title.strip()
    head = article.text.lstrip()
    offset = len(article.text) - len(head)
    return head.startswith(title) and claim.span[1] <= offset + len(title)


def _fold_headlines(pool: list[Claim], articles: Mapping[str, Article]) -> dict[str, str]:
    """Headline claim id -> the body claim (same figure; same topic preferred) restating it."""
    folded: dict[str, str] = {}
    by_article: dict[str, list[Claim]] = defaultdict(list)
    for c in pool:
        by_article[c.article_id].append(c)
    for article_id, group in by_article.items():
        article = articles.get(article_id)
        heads = [c for c in group if _in_headline(c, article)]
        body = [c for c in group if c not in heads]
        for h in heads:
            same = [b for b in body if _same_value(b, h)]
            if same:
                best = min(same, key=lambda b: (b.topic != h.topic, b.span))
                folded[h.claim_id] = best.claim_id
    return folded


AliasSource = AliasTable | str | Path | Sequence[str | Path] | Sequence[ActorAlias] | None


def _alias_table(aliases: AliasSource) -> AliasTable:
    if isinstance(aliases, AliasTable):
        return aliases
    return AliasTable.load(aliases)


def _is_speaker(actor: str, speaker: str | None) -> bool:
    """An actor that is the claim's own speaker ('Marsh' for Helen Marsh) stands for the
    speaker's government."""
    if not speaker:
        return False
    a, s = normalise_name(actor), normalise_name(speaker)
    return a == s or (speaker_key(actor) is not None and speaker_key(actor) == speaker_key(speaker))


def track(
    claims: Iterable[Claim],
    *,
    articles: Mapping[str, Article] | None = None,
    aliases: AliasSource = None,
) -> list[Pledge]:
    """Group claims into pledges and find the events in each (the rule: module docstring).

    claims: claims from any number of articles, in any order.
    articles: the articles by id, for publication dates a claim lacks, for the article's own
        country (what "the government" means) and for appearance urls and sites.
    aliases: an AliasTable, or a user's alias file(s) or rows added to the packaged table.

    Returns pledges ordered by actor, topic, measure and first date; the result does not
    depend on the order of `claims`.
    """
    table = _alias_table(aliases)
    articles = articles or {}
    pool = sorted(
        {c.claim_id: c for c in claims}.values(), key=lambda c: (c.article_id, c.span, c.claim_id)
    )

    # The article's own country: from its text when we have it, else its claims' actors.
    by_article: dict[str, list[Claim]] = defaultdict(list)
    for c in pool:
        by_article[c.article_id].append(c)
    country: dict[str, str | None] = {}
    for article_id, group in by_article.items():
        article = articles.get(article_id)
        found = None
        if article is not None:
            found = table.article_country(f"{article.title or ''}\n{article.text}")
        if found is None:
            named = Counter(
                r.canonical
                for r in (table.resolve(c.actor) for c in group)
                if r.country and r.canonical
            )
            found = min(named, key=lambda n: (-named[n], n)) if named else None
        country[article_id] = found

    # A headline figure that the body states again is the body's statement (ANNOTATION.md:
    # headlines are optional): it is kept as an appearance, never linked on its own.
    folded = _fold_headlines(pool, articles)

    items: list[_Item] = []
    by_id: dict[str, _Item] = {}
    unresolved: list[_Item] = []
    for c in pool:
        if c.commitment.level == Level.statement or c.claim_id in folded:
            continue
        res = table.resolve(c.actor)
        actor = res.canonical
        if res.contextual or (c.actor and not res.country and _is_speaker(c.actor, c.speaker)):
            actor = country[c.article_id]
        article = articles.get(c.article_id)
        date = c.published or (article.published if article else None)
        item = _Item(c, actor or "", date, article, speaker_key(c.speaker, table))
        (items if actor else unresolved).append(item)
        by_id[c.claim_id] = item
    # A contextual actor in an article that names no country: a syndicated copy of the same
    # sentence elsewhere says whose money it is.
    for item in unresolved:
        source = next(
            (
                other
                for other in items
                if other.claim.article_id != item.claim.article_id
                and _same_value(other.claim, item.claim)
                and _jaccard(other.words, item.words) >= SAME_SENTENCE_JACCARD
            ),
            None,
        )
        if source is not None:
            item.actor = source.actor
            items.append(item)
    for c in pool:
        body = by_id.get(folded.get(c.claim_id, ""))
        if body is not None and body.actor:
            body.headline_copies.append(_Item(c, body.actor, body.date, body.article))

    # A share with no base takes the one base its actor and topic use elsewhere.
    bases: dict[tuple[str, str], set[str]] = defaultdict(set)
    for it in items:
        if it.claim.figure.unit == "percent" and it.base:
            bases[(it.actor, it.claim.topic.value)].add(it.base)
    for it in items:
        if it.claim.figure.unit == "percent" and it.base is None:
            known = bases.get((it.actor, it.claim.topic.value), set())
            if len(known) == 1:
                it.base = next(iter(known))

    by_key: dict[tuple, list[_Item]] = defaultdict(list)
    for it in sorted(items, key=_Item.sort_key):
        by_key[it.key].append(it)

    pledges: list[Pledge] = []
    for key in sorted(by_key, key=lambda k: (k[0], k[1], k[2], k[3] or "")):
        actor, topic, unit, base = key
        for track_ in _link(by_key[key]):
            first = track_[0].item
            pledge_id = hashlib.sha256(
                json.dumps([actor, topic, unit, base, first.claim.claim_id]).encode()
            ).hexdigest()[:16]
            pledges.append(
                Pledge(
                    pledge_id=pledge_id,
                    actor=actor,
                    topic=Topic(topic),
                    unit=unit,
                    base=base,
                    measure=measure_of(unit, base),
                    claims=[
                        TrackedClaim(
                            claim=s.item.claim,
                            actor=actor,
                            published=s.item.date,
                            appearances=[copy.appearance() for copy in s.copies],
                        )
                        for s in track_
                    ],
                    events=_events(track_),
                )
            )
    pledges.sort(
        key=lambda p: (
            p.actor,
            p.topic.value,
            p.measure,
            p.claims[0].published is None,
            p.claims[0].published or dt.date.min,
            p.claims[0].claim.article_id,
            p.claims[0].claim.span[0],
            p.pledge_id,
        )
    )
    return pledges


# -- output ----------------------------------------------------------------------------------


def _timeframe(claim: Claim) -> str:
    tf = claim.timeframe
    parts = []
    if tf.start:
        parts.append(f"from {tf.start}")
    if tf.deadline:
        parts.append(f"by {tf.deadline}")
    return " ".join(parts)


def render_text(pledges: Sequence[Pledge], *, width_speaker: int = 18) -> str:
    """The pledges as the text table `newsclaims track` prints."""
    lines: list[str] = []
    for pledge in pledges:
        lines.append(f"pledge: {pledge.label}  [{pledge.pledge_id}]")
        flags: dict[str, list[str]] = defaultdict(list)
        for event in pledge.events:
            flags[event.later.claim_id].append(event.label)
        for tc in pledge.claims:
            c = tc.claim
            date = tc.published.isoformat() if tc.published else "????-??-??"
            speaker = (c.speaker or "—")[:width_speaker]
            copies = len(tc.appearances) - 1
            where = c.article_id + (
                f" +{copies} cop{'y' if copies == 1 else 'ies'}" if copies else ""
            )
            row = (
                f"  {date}  {_fmt_value(c):<8} {c.commitment.level.value:<11} "
                f"{speaker:<{width_speaker}} {_timeframe(c):<18} ({where})"
            )
            if flags.get(c.claim_id):
                row += "  ← " + "; ".join(flags[c.claim_id])
            lines.append(row)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + ("\n" if lines else "")
