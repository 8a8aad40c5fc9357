"""Rule files: packaged rules load and validate; a bad row names its file and line."""

import json

import pytest

from extractor.errors import RuleFileError
from extractor.rules import RULE_FILES, load_rules, patterns_dir


@pytest.mark.parametrize("name", sorted(RULE_FILES))
def test_rules_packaged_files_load(name):
    rules = load_rules(name)
    assert len(rules) > 0
    assert len({r.id for r in rules}) == len(rules)


@pytest.mark.parametrize("name", sorted(RULE_FILES))
def test_rules_every_file_opens_with_a_comment(name):
    first = (patterns_dir() / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# "), f"patterns/{name}.jsonl needs a header saying what a row means"


def test_rules_bad_json_names_file_and_line(tmp_path):
    path = tmp_path / "commitment.jsonl"
    path.write_text(
        '# cues\n{"id": "a", "literal": "pledged", "level": "certainty"}\n{"id": "b",\n'
    )
    with pytest.raises(RuleFileError, match=r"commitment\.jsonl:3: not valid JSON"):
        load_rules("commitment", path)


def test_rules_invalid_value_names_field(tmp_path):
    path = tmp_path / "commitment.jsonl"
    row = {"id": "a", "literal": "pledged", "level": "certain"}
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(RuleFileError, match=r"commitment\.jsonl:1: level"):
        load_rules("commitment", path)


def test_rules_unknown_key_is_refused(tmp_path):
    path = tmp_path / "topics.jsonl"
    path.write_text(
        json.dumps({"id": "t", "topic": "defence", "terms": ["army"], "wieght": 2}) + "\n"
    )
    with pytest.raises(RuleFileError, match=r"topics\.jsonl:1: wieght"):
        load_rules("topics", path)


def test_rules_duplicate_id_is_refused(tmp_path):
    path = tmp_path / "topics.jsonl"
    row = json.dumps({"id": "t", "topic": "defence", "terms": ["army"]})
    path.write_text(row + "\n" + row + "\n")
    with pytest.raises(
        RuleFileError, match=r"topics\.jsonl:2: duplicate id 't' \(first on line 1\)"
    ):
        load_rules("topics", path)


def test_rules_uncompilable_date_regex_is_refused(tmp_path):
    path = tmp_path / "dates.jsonl"
    path.write_text(
        json.dumps({"id": "d", "role": "start", "regex": "(unclosed", "resolver": "year"}) + "\n"
    )
    with pytest.raises(RuleFileError, match=r"dates\.jsonl:1: .*regex does not compile"):
        load_rules("dates", path)


def test_rules_component_takes_rules_from_initialize(blank_extractor):
    """A user's own rules replace the packaged ones and survive to_disk/from_disk."""
    import spacy

    from extractor.components import register_extensions

    register_extensions()
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    figures = nlp.add_pipe("newsclaims_figures")
    numbers = [{"id": "pct", "kind": "percent", "literal": "%"},
               {"id": "two", "kind": "word", "literal": "two", "value": 2}]  # fmt: skip
    currencies = [{"id": "gbp", "code": "GBP", "literal": "£", "position": "prefix"}]
    locales = [{"id": "uk", "country": "Britain", "markers": ["UK"]}]
    figures.initialize(rules={"numbers": numbers, "currencies": currencies, "locales": locales})
    doc = nlp("It pledged 2% and £3bn.")
    assert [s._.figure["value"] for s in doc.spans["figures"]] == [2.0, 3.0]  # no 'bn' rule
    data = figures.to_bytes()
    other = spacy.blank("en").add_pipe("newsclaims_figures")
    other.from_bytes(data)
    assert [r.id for r in other.rules["numbers"]] == ["pct", "two"]
