"""The actor alias table: packaged data, validation errors naming file and line, a user's file."""

import json
from pathlib import Path

import pytest

from extractor.aliases import ActorAlias, AliasTable, normalise_name, parse_aliases
from extractor.errors import RuleFileError


def write_rows(path: Path, rows: list[object], header: str = "# test aliases") -> Path:
    path.write_text(
        header + "\n" + "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n"
    )
    return path


def test_packaged_aliases_load_and_resolve() -> None:
    table = AliasTable.load()
    assert len(table.rows) >= 5
    for name in ("UK", "U.K.", "Britain", "the United Kingdom's", "Downing Street"):
        assert table.resolve(name).canonical == "Britain", name
    assert table.resolve("NATO allies").canonical == "NATO members"
    assert table.resolve("the government").contextual
    assert table.resolve(None).contextual
    unknown = table.resolve("  the Republic of Freedonia ")
    assert (unknown.canonical, unknown.contextual) == ("Republic of Freedonia", False)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("the U.K.'s", "uk"),
        ("UK", "uk"),
        ("Britain’s", "britain"),
        (" NATO  allies ", "nato allies"),
    ],
    ids=["dots-possessive", "plain", "curly-possessive", "spaces"],
)
def test_normalise_name(text: str, key: str) -> None:
    assert normalise_name(text) == key


def test_article_country_is_the_most_mentioned() -> None:
    table = AliasTable.load()
    assert table.article_country("Germany and Britain. Britain again. The UK too.") == "Britain"
    assert table.article_country("The US said us and them.") == "United States"
    assert table.article_country("no country here") is None
    # A locale marker (patterns/locales.jsonl) counts when no name does.
    assert table.article_country("The Chancellor told Westminster.") == "Britain"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('{"id": "x", "canonical": "X"', "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ({"id": "x", "aliases": ["y"]}, "needs a canonical name"),
        ({"id": "x", "kind": "contextual", "canonical": "X", "aliases": ["y"]}, "contextual"),
        ({"id": "x", "kind": "contextual", "aliases": []}, "at least one alias"),
        ({"id": "x", "canonical": "X", "colour": "red"}, "colour"),
        ({"id": "x", "canonical": "X", "aliases": ["..."]}, "empty once normalised"),
    ],
    ids=["bad-json", "not-object", "no-canonical", "contextual-canonical", "contextual-empty",
         "unknown-field", "empty-alias"],
)  # fmt: skip
def test_bad_alias_row_names_file_and_line(tmp_path: Path, row: object, message: str) -> None:
    path = write_rows(tmp_path / "mine.jsonl", [{"id": "ok", "canonical": "Fine"}, row])
    with pytest.raises(RuleFileError) as info:
        AliasTable.load(path)
    assert info.value.path == str(path)
    assert info.value.line == 3
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:3: ")


def test_duplicate_id_and_name_conflict_are_errors() -> None:
    rows = [
        json.dumps({"id": "a", "canonical": "A", "aliases": ["Alpha"]}),
        json.dumps({"id": "a", "canonical": "B"}),
    ]
    with pytest.raises(RuleFileError, match=r"src:2: duplicate id 'a' \(first on line 1\)"):
        parse_aliases(rows, "src")
    rows[1] = json.dumps({"id": "b", "canonical": "B", "aliases": ["the Alpha"]})
    with pytest.raises(RuleFileError, match="src:2: name 'the Alpha' already belongs to 'a'"):
        parse_aliases(rows, "src")


def test_missing_user_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match=r"nope\.jsonl: cannot read alias file"):
        AliasTable.load(tmp_path / "nope.jsonl")


def test_user_file_adds_actors_and_overrides_packaged_names(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "mine.jsonl",
        [
            {"id": "actor.freedonia", "canonical": "Freedonia", "country": True,
             "aliases": ["Freedonian government"]},
            # moves "Whitehall" from Britain to a new actor
            {"id": "actor.whitehall_dept", "canonical": "Whitehall departments",
             "aliases": ["Whitehall"]},
        ],
    )  # fmt: skip
    table = AliasTable.load(path)
    assert table.resolve("the Freedonian government").canonical == "Freedonia"
    assert table.resolve("Whitehall").canonical == "Whitehall departments"
    assert table.resolve("UK").canonical == "Britain"
    assert table.article_country("Freedonia said. Freedonia again.") == "Freedonia"


def test_user_row_with_a_packaged_id_replaces_it() -> None:
    row = ActorAlias(id="actor.united_kingdom", canonical="United Kingdom", country=True,
                     aliases=["UK"])  # fmt: skip
    table = AliasTable.load([row])
    assert table.resolve("UK").canonical == "United Kingdom"
    # the replaced row's other names are gone with it
    assert table.resolve("Downing Street").canonical == "Downing Street"
