"""Rule data: load and validate patterns/*.jsonl.

Each file holds one JSON object a line; lines that start with '#' are comments (every file
opens with one saying what a row means). Each file has one pydantic model below; a bad row
raises RuleFileError naming the file and line. Ids are unique within a file.
"""

import json
from collections.abc import Iterable, Iterator
from enum import StrEnum
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, model_validator

from extractor.errors import RuleFileError
from extractor.models import Level, Topic


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)


class CurrencyRule(_Rule):
    """A way of writing a currency: a symbol or code before the number, or a word after it."""

    code: str = Field(pattern=r"^[A-Z]{3}$")
    literal: str = Field(min_length=1)
    position: Literal["prefix", "suffix"]
    dollar: bool = False  # a bare '$': the article's country decides the code


class NumberRule(_Rule):
    """Number words, multipliers ('bn', 'crore') and percent signs ('per cent', 'pc')."""

    kind: Literal["word", "fraction", "multiplier", "percent"]
    literal: str = Field(min_length=1)
    value: float | None = None

    @model_validator(mode="after")
    def _value_needed(self) -> "NumberRule":
        if self.kind != "percent" and self.value is None:
            raise ValueError(f"a {self.kind!r} rule needs a value")
        return self


class Direction(StrEnum):
    """Which way a cue's scope reaches from the cue (medspaCy ConText)."""

    forward = "FORWARD"
    backward = "BACKWARD"
    bidirectional = "BIDIRECTIONAL"
    terminate = "TERMINATE"
    pseudo = "PSEUDO"


class CueRule(_Rule):
    """A commitment cue (ConText-style): words that set how firm a figure in their scope is.

    `pattern` is a spaCy Matcher token pattern; without one, `literal` is matched as a
    lower-case phrase. `priority` breaks ties between cues at the same distance.
    """

    literal: str = Field(min_length=1)
    pattern: list[dict[str, object]] | None = None
    level: Level | None = None
    direction: Direction = Direction.bidirectional
    max_scope: PositiveInt | None = None
    priority: int = 0

    @model_validator(mode="after")
    def _level_needed(self) -> "CueRule":
        needs = self.direction not in (Direction.terminate, Direction.pseudo)
        if needs and self.level is None:
            raise ValueError(f"a {self.direction.value} cue needs a level")
        return self


class AttributionRule(_Rule):
    """Attribution cues. speech_verb: a reporting verb (by lemma or form: 'say', 'told') whose
    subject is the speaker; commit_verb: a verb of pledging or proposing whose subject is
    the claimant when nobody reports it; refuse_verb: a verb of refusing, whose subject is
    the claimant even of a cost someone else reported; commit_noun: a noun of pledging whose
    owner is the claimant ('Trump's call for'); according_to: a phrase whose object is the
    source; anonymous_source: head nouns of subjects that can claim without a name;
    not_a_speaker: subjects never reported as speakers."""

    kind: Literal[
        "speech_verb", "commit_verb", "refuse_verb", "commit_noun", "according_to",
        "anonymous_source", "not_a_speaker",
    ]  # fmt: skip
    literal: str = Field(min_length=1)


class TopicRule(_Rule):
    """Words that say what money is for; `weight` ranks topics when several match."""

    topic: Topic
    terms: list[str] = Field(min_length=1)
    weight: float = 1.0


class ContextRule(_Rule):
    """Words near a figure that say it is not a spending claim, or that it is one.

    kind=distractor rejects the figure when found within `window` tokens (on the given
    `side`) nearer than any spending word; kind=change rejects a share right after a verb of
    change ('rose 5%', but not 'rose to 5%'); kind=cut rejects money cut or saved ('cut … by
    $45bn'); kind=spending is evidence that it is spending; kind=base sets the base;
    kind=act is a verb (lemma) of pledging or announcing whose adverbial date ('pledged last
    year') dates the act, not the money.
    """

    kind: Literal["distractor", "spending", "base", "change", "cut", "act"]
    literal: str = Field(min_length=1)
    applies_to: Literal["percent", "money", "any"] = "any"
    side: Literal["before", "after", "both"] = "both"
    window: PositiveInt = 8
    base: Literal["GDP", "GNI", "budget"] | None = None


class ActorRule(_Rule):
    """An actor's canonical name and the other names that mean it."""

    canonical: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    # 'region': a province, state or devolved nation with a budget of its own
    kind: Literal["country", "alliance", "body", "government", "region"] = "country"


class DateRule(_Rule):
    """A date phrase: a bounded regular expression with named groups (year, year2, month, n),
    whether it gives a start or a deadline, and the name of the resolver that turns it into
    an ISO partial date (see components/dates.py RESOLVERS)."""

    role: Literal["start", "deadline", "none"]
    regex: str = Field(min_length=1)
    resolver: str = Field(min_length=1)

    @model_validator(mode="after")
    def _compiles(self) -> "DateRule":
        import re

        try:
            re.compile(self.regex)
        except re.error as e:
            raise ValueError(f"regex does not compile: {e}") from e
        return self


class LocaleRule(_Rule):
    """A country an article can be from: words that mark it, what a bare '$' means there,
    and the month its fiscal year starts (1 = calendar year; US federal fiscal years start in
    October of the year before their number)."""

    country: str = Field(min_length=1)
    markers: list[str] = Field(min_length=1)
    dollar: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    fiscal_month: int = Field(default=1, ge=1, le=12)
    fiscal_named_by_end: bool = False


RULE_FILES: dict[str, type[_Rule]] = {
    "currencies": CurrencyRule,
    "locales": LocaleRule,
    "numbers": NumberRule,
    "commitment": CueRule,
    "attribution": AttributionRule,
    "topics": TopicRule,
    "context": ContextRule,
    "actors": ActorRule,
    "dates": DateRule,
}


def patterns_dir() -> Traversable:
    """Where the packaged rule files are: inside the installed wheel, or the source checkout."""
    packaged = resources.files("extractor") / "patterns"
    if packaged.is_dir():
        return packaged
    # A source checkout (editable install): patterns/ sits beside the package, and the wheel
    # build copies it in as extractor/patterns.
    return resources.files("extractor").joinpath("..", "patterns")


def parse_rules(name: str, lines: Iterable[str], source: str) -> list[_Rule]:
    """Validate JSONL rule lines for rule file `name`; errors name `source` and the line."""
    model = RULE_FILES.get(name)
    if model is None:
        raise RuleFileError(
            source, None, f"unknown rule file {name!r}; known: {sorted(RULE_FILES)}"
        )
    return [rule for _, rule in read_rows(lines, source, model)]


M = TypeVar("M", bound=BaseModel)


def read_rows(lines: Iterable[str], source: str, model: type[M]) -> Iterator[tuple[int, M]]:
    """(line number, validated row) for each JSONL row; '#' lines are comments. Any bad row —
    not JSON, not an object, invalid for `model`, a repeated id — raises RuleFileError naming
    `source` and the line."""
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            raise RuleFileError(
                source, lineno, f"not valid JSON: {e.msg} (column {e.colno})"
            ) from e
        if not isinstance(data, dict):
            raise RuleFileError(source, lineno, "a rule must be a JSON object")
        try:
            row = model.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "(row)"
            raise RuleFileError(source, lineno, f"{loc}: {first['msg']}") from e
        row_id = getattr(row, "id", None)
        if row_id in seen:
            raise RuleFileError(
                source, lineno, f"duplicate id {row_id!r} (first on line {seen[row_id]})"
            )
        if row_id is not None:
            seen[row_id] = lineno
        yield lineno, row


@cache
def _load_packaged(name: str) -> tuple[_Rule, ...]:
    path = patterns_dir() / f"{name}.jsonl"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise RuleFileError(str(path), None, "rule file is missing from the installation") from e
    return tuple(parse_rules(name, text.splitlines(), f"patterns/{name}.jsonl"))


def load_rules(name: str, path: str | Path | None = None) -> list:
    """Load rule file `name` ('commitment', 'topics', …), from `path` or the packaged data."""
    if path is None:
        return list(_load_packaged(name))
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RuleFileError(str(p), None, f"cannot read rule file: {e}") from e
    return parse_rules(name, text.splitlines(), str(p))
