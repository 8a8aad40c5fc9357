"""Actor aliases for pledge tracking: which written names mean the same spender.

Claims name their actor the way the article does ("UK", "Britain", "the government"), so
linking a pledge across articles needs one name per actor. The names are data, in
patterns/actor_aliases.jsonl (one JSON object a line, '#' lines are comments), checked by
`ActorAlias`; a user adds or overrides rows with a file of the same form
(`AliasTable.load(extra=path)`, `newsclaims track --aliases path`).

Two kinds of row:

- kind=actor: `canonical` is the name shown, `aliases` the other spellings; `country=true`
  marks a country, which makes it a candidate for an article's own country, and its
  `markers` are words that show an article is from there without naming the spender
  ("Commons", "MPs").
- kind=contextual: words that mean whichever country the article is about ("the
  government", "ministers"); they resolve through `AliasTable.article_country`.

Matching ignores case, dots, a leading "the" and a trailing possessive, so "the U.K.'s"
and "UK" are the same name. A bad row raises RuleFileError naming the file and line.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from extractor.errors import RuleFileError
from extractor.rules import patterns_dir, read_rows

ALIAS_FILE = "actor_aliases.jsonl"


class ActorAlias(BaseModel):
    """One row of an alias file: an actor and its other names, or contextual words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    kind: Literal["actor", "contextual"] = "actor"
    canonical: str | None = Field(default=None, min_length=1)
    country: bool = False
    aliases: list[str] = Field(default_factory=list)
    markers: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self) -> "ActorAlias":
        if self.kind == "actor" and self.canonical is None:
            raise ValueError("an actor row needs a canonical name")
        if self.kind == "contextual":
            if self.canonical is not None or self.country or self.markers:
                raise ValueError(
                    "a contextual row has no canonical name or markers and is not a country"
                )
            if not self.aliases:
                raise ValueError("a contextual row needs at least one alias")
        if self.markers and not self.country:
            raise ValueError("markers only belong to a country row")
        for alias in self.aliases:
            if not normalise_name(alias):
                raise ValueError(f"alias {alias!r} is empty once normalised")
        return self

    def names(self) -> list[str]:
        """Every written form this row recognises, canonical first."""
        return ([self.canonical] if self.canonical else []) + list(self.aliases)


_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_POSSESSIVE = re.compile(r"'s?$")
_NON_WORD = re.compile(r"[^\w' &-]+")
_SPACES = re.compile(r"\s+")


def normalise_name(text: str) -> str:
    """The matching key of a name: 'the U.K.'s' -> 'uk', 'Britain ' -> 'britain'."""
    s = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    s = s.replace(".", "")
    s = _NON_WORD.sub(" ", s)
    s = _SPACES.sub(" ", s).strip(" '-&")
    s = _POSSESSIVE.sub("", s).strip()
    if s.startswith("the "):
        s = s[4:]
    return s


def parse_aliases(lines: Iterable[str], source: str) -> list[ActorAlias]:
    """Validate alias lines; errors name `source` and the line.

    Ids are unique, and one name may not mean two different actors within one file.
    """
    rows: list[ActorAlias] = []
    owner: dict[str, tuple[str, int]] = {}  # normalised name -> (row id, line)
    for lineno, row in read_rows(lines, source, ActorAlias):
        for name in row.names():
            key = normalise_name(name)
            other = owner.get(key)
            if other is not None and other[0] != row.id:
                raise RuleFileError(
                    source,
                    lineno,
                    f"name {name!r} already belongs to {other[0]!r} (line {other[1]})",
                )
            owner[key] = (row.id, lineno)
        rows.append(row)
    return rows


def read_alias_file(path: str | Path) -> list[ActorAlias]:
    """Read and validate a user's alias file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RuleFileError(str(p), None, f"cannot read alias file: {e}") from e
    return parse_aliases(text.splitlines(), str(p))


@cache
def _packaged() -> tuple[ActorAlias, ...]:
    path = patterns_dir() / ALIAS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise RuleFileError(str(path), None, "alias file is missing from the installation") from e
    return tuple(parse_aliases(text.splitlines(), f"patterns/{ALIAS_FILE}"))


@cache
def _locale_markers() -> dict[str, tuple[str, ...]]:
    """Words that show which country an article is from ('Westminster', 'Chancellor'), from
    the extractor's patterns/locales.jsonl: the same question the '$' reading asks."""
    from extractor.rules import load_rules

    try:
        rows = load_rules("locales")
    except RuleFileError:
        return {}
    return {row.country: tuple(row.markers) for row in rows}


class Resolution(BaseModel):
    """What a written actor name means: a canonical actor, or 'the article's country'."""

    model_config = ConfigDict(frozen=True)

    canonical: str | None
    contextual: bool = False
    country: bool = False


class AliasTable:
    """Resolves written actor names to canonical ones, and finds an article's own country.

    markers: extra words per country that mark an article as from there (not names of the
        actor, so they never resolve a claim's actor); `load` takes them from
        patterns/locales.jsonl.
    rows: alias rows in order; a later row overrides an earlier one with the same id, and a
    later row's names take precedence over an earlier row's (so a user's file can move a
    name to another actor).
    """

    def __init__(
        self, rows: Iterable[ActorAlias], *, markers: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        by_id: dict[str, ActorAlias] = {}
        for row in rows:
            by_id.pop(row.id, None)
            by_id[row.id] = row
        self.rows: tuple[ActorAlias, ...] = tuple(by_id.values())
        self._names: dict[str, Resolution] = {}
        self._mention_owner: dict[str, str] = {}
        for row in self.rows:
            res = Resolution(
                canonical=row.canonical, contextual=row.kind == "contextual", country=row.country
            )
            for name in row.names():
                self._names[normalise_name(name)] = res
        self._country_pattern = self._mention_pattern(markers or {})

    @classmethod
    def load(
        cls,
        extra: str | Path | Sequence[str | Path] | Sequence[ActorAlias] | None = None,
        *,
        packaged: bool = True,
    ) -> "AliasTable":
        """The packaged table plus a user's file(s) or rows, which win on conflict."""
        rows: list[ActorAlias] = list(_packaged()) if packaged else []
        if extra is None:
            extra_items: Sequence[str | Path | ActorAlias] = ()
        elif isinstance(extra, str | Path):
            extra_items = (extra,)
        else:
            extra_items = extra
        for item in extra_items:
            if isinstance(item, ActorAlias):
                rows.append(item)
            else:
                rows.extend(read_alias_file(item))
        return cls(rows, markers=_locale_markers())

    def resolve(self, name: str | None) -> Resolution:
        """The meaning of a written name. Unknown names stay themselves (tidied)."""
        if name is None or not normalise_name(name):
            return Resolution(canonical=None, contextual=True)
        found = self._names.get(normalise_name(name))
        if found is not None:
            return found
        return Resolution(canonical=_tidy(name))

    def is_actor_name(self, name: str) -> bool:
        """Whether `name` is in the table: an actor or a contextual word, not a person."""
        return normalise_name(name) in self._names

    def _mention_pattern(self, markers: Mapping[str, Sequence[str]]) -> re.Pattern[str] | None:
        # Literal names only (escaped), longest first, bounded by non-word characters: no
        # backtracking blow-up. Case-sensitive as written, so 'US' does not match 'us'.
        forms: dict[str, str] = {}
        for country, words in markers.items():
            res = self.resolve(country)
            for word in words:
                forms[word] = res.canonical or country
        for row in self.rows:
            if row.kind == "actor" and row.country and row.canonical:
                for name in [*row.names(), *row.markers]:
                    forms[name] = row.canonical
        if not forms:
            return None
        self._mention_owner = forms
        alternation = "|".join(re.escape(f) for f in sorted(forms, key=lambda f: (-len(f), f)))
        return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")

    def article_country(self, text: str) -> str | None:
        """The country an article is about: the most-mentioned country; ties go to the one
        mentioned first. None when no country is mentioned."""
        if self._country_pattern is None or not text:
            return None
        counts: Counter[str] = Counter()
        first: dict[str, int] = {}
        for m in self._country_pattern.finditer(text):
            canonical = self._mention_owner[m.group(0)]
            counts[canonical] += 1
            first.setdefault(canonical, m.start())
        if not counts:
            return None
        return min(counts, key=lambda c: (-counts[c], first[c]))


def _tidy(name: str) -> str:
    s = _SPACES.sub(" ", unicodedata.normalize("NFKC", name).translate(_APOSTROPHES)).strip()
    s = _POSSESSIVE.sub("", s).strip()
    if s.lower().startswith("the "):
        s = s[4:]
    return s
