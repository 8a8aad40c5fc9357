"""The bundled fixtures are valid gold: every claim can be found and reads as ANNOTATION.md says.

A gold file that points at a sentence the text does not hold, or a value that disagrees with its
figure, would silently score the extractor against nothing, so these checks guard every fixture.
They need no spaCy model; the HTML pages go through the same cleaner the extractor uses.
"""

import datetime as dt
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from extractor.models import Article, Level, Topic

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ARTICLES = FIXTURES / "articles"
HTML = FIXTURES / "html"

LEVELS = {level.value for level in Level}
TOPICS = {topic.value for topic in Topic}
BASES = {"GDP", "GNI", "budget", None}
ISO_PARTIAL = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
CLAIM_KEYS = {
    "figure",
    "sentence",
    "value",
    "unit",
    "base",
    "topic",
    "actor",
    "speaker",
    "commitment",
    "start",
    "deadline",
}
OPTIONAL_KEYS = {"optional", "note"}

# --- reading a figure's text, independently of the extractor --------------------------------

_WORD_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
}
_PERCENT = re.compile(r"^(?P<num>.+?)\s*(%|per\s?cent|percent|pc)$", re.IGNORECASE)
_PREFIXES = (  # longest first: "US$" before "$"
    ("US$", "USD"),
    ("C$", "CAD"),
    ("CA$", "CAD"),
    ("A$", "AUD"),
    ("AU$", "AUD"),
    ("NZ$", "NZD"),
    ("Rs.", "INR"),
    ("Rs", "INR"),
    ("₹", "INR"),
    ("£", "GBP"),
    ("€", "EUR"),
    ("¥", "JPY"),
    ("$", "$"),
)
_SUFFIX_CURRENCIES = {
    "pounds": "GBP",
    "pound": "GBP",
    "euros": "EUR",
    "euro": "EUR",
    "yen": "JPY",
    "rupees": "INR",
    "dollars": "$",
}
_MULTIPLIERS = {
    "": 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "tn": 1e12,
    "trn": 1e12,
    "trillion": 1e12,
    "lakh": 1e5,
    "crore": 1e7,
    "lakh crore": 1e12,
}
_DOLLARS = {"USD", "CAD", "AUD", "NZD", "SGD", "HKD"}


def _number(text: str) -> float:
    """Read '3.5', '1,28,650', 'two' or 'three-and-a-half' as a number."""
    text = text.strip().lower()
    if re.fullmatch(r"\d[\d,]*(\.\d+)?", text):
        return float(text.replace(",", ""))
    half = 0.0
    if text.endswith("-and-a-half") or text.endswith(" and a half"):
        half, text = 0.5, text[: -len("-and-a-half")]
    if text in _WORD_NUMBERS:
        return _WORD_NUMBERS[text] + half
    raise ValueError(f"cannot read the number {text!r}")


def read_figure(figure: str) -> tuple[float, str]:
    """The (value, unit) a figure's text states; bare '$' comes back as unit '$'."""
    figure = figure.strip()
    match = _PERCENT.match(figure)
    if match:
        return _number(match["num"]), "percent"
    unit = None
    rest = figure
    for prefix, code in _PREFIXES:
        if rest.startswith(prefix):
            unit, rest = code, rest[len(prefix) :].strip()
            break
    words = rest.split()
    if unit is None and words and words[-1].lower() in _SUFFIX_CURRENCIES:
        unit, rest = _SUFFIX_CURRENCIES[words[-1].lower()], " ".join(words[:-1])
    if unit is None:
        raise ValueError(f"{figure!r} is neither a share nor a sum of money")
    rest = rest.replace("-a-year", "")
    match = re.fullmatch(r"(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<mult>[a-zA-Z ]*)", rest)
    if not match:
        raise ValueError(f"cannot read the amount in {figure!r}")
    mult = match["mult"].strip().lower()
    if mult not in _MULTIPLIERS:
        raise ValueError(f"unknown multiplier {mult!r} in {figure!r}")
    return _number(match["num"]) * _MULTIPLIERS[mult], unit


# --- loading the fixtures ------------------------------------------------------------------


def _gold_files() -> list[Path]:
    example = [FIXTURES / "example.json"] if (FIXTURES / "example.json").is_file() else []
    return sorted(ARTICLES.glob("*.json")) + sorted(HTML.glob("*.json")) + example


@cache
def _load(path: Path) -> tuple[dict, str]:
    """The gold dict and the text its sentences are found in (cleaned text for HTML pages)."""
    gold = json.loads(path.read_text(encoding="utf-8"))
    source = path.parent / gold["text"]
    raw = source.read_text(encoding="utf-8")
    if source.suffix == ".html":
        return gold, _html_article(source).text
    return gold, raw


@cache
def _html_article(path: Path) -> Article:
    """The page as the extractor sees it: cleaned by the project's own HTML ingest."""
    from extractor.ingest.clean import html_to_article

    return html_to_article(path.read_text(encoding="utf-8"), source=str(path))


def _all_claims() -> list[tuple[str, dict]]:
    return [(p.stem, c) for p in _gold_files() for c in _load(p)[0]["claims"]]


GOLD = _gold_files()
IDS = [f"{p.parent.name}/{p.stem}" for p in GOLD]


# --- tests ---------------------------------------------------------------------------------


def test_figure_reader_reads_every_form() -> None:
    """The checker must read every figure form the fixtures use, or its checks mean nothing."""
    assert read_figure("3.5%") == (3.5, "percent")
    assert read_figure("3.5 per cent") == (3.5, "percent")
    assert read_figure("3.5pc") == (3.5, "percent")
    assert read_figure("two per cent") == (2.0, "percent")
    assert read_figure("three-and-a-half per cent") == (3.5, "percent")
    assert read_figure("£2.2bn") == (2.2e9, "GBP")
    assert read_figure("$1.5 trillion") == (1.5e12, "$")
    assert read_figure("2.2 billion pounds") == (2.2e9, "GBP")
    assert read_figure("US$40bn") == (40e9, "USD")
    assert read_figure("€800 billion") == (800e9, "EUR")
    assert read_figure("¥5tn") == (5e12, "JPY")
    assert read_figure("Rs 20,000 crore") == (2e11, "INR")
    assert read_figure("₹1,28,650 crore") == (1.2865e12, "INR")
    assert read_figure("Rs 2.4 lakh crore") == (2.4e12, "INR")
    assert read_figure("C$7.5 billion") == (7.5e9, "CAD")
    assert read_figure("£650m") == (650e6, "GBP")
    with pytest.raises(ValueError):
        read_figure("40 years")


def test_enough_fixtures() -> None:
    assert len(list(ARTICLES.glob("*.json"))) >= 15
    assert len(list(HTML.glob("*.json"))) >= 3
    assert (FIXTURES / "example.txt").is_file()
    assert (FIXTURES / "example.json").is_file()


def test_every_text_has_gold() -> None:
    """A text without gold (or gold without text) is a fixture someone forgot to finish."""
    texts = {p.stem for p in ARTICLES.glob("*.txt")} | {p.stem for p in HTML.glob("*.html")}
    golds = {p.stem for p in ARTICLES.glob("*.json")} | {p.stem for p in HTML.glob("*.json")}
    assert texts, "no fixture texts found"
    assert texts == golds


@pytest.mark.parametrize("path", GOLD, ids=IDS)
def test_gold_header(path: Path) -> None:
    gold, text = _load(path)
    assert set(gold) == {"id", "published", "title", "text", "claims"}
    assert gold["id"] == path.stem
    assert (path.parent / gold["text"]).stem == path.stem
    dt.date.fromisoformat(gold["published"])
    assert gold["title"].strip()
    assert text.splitlines()[0].strip() == gold["title"], "the first line is the headline"
    assert len(gold["claims"]) >= 3


@pytest.mark.parametrize(
    "path", [*sorted(ARTICLES.glob("*.txt")), FIXTURES / "example.txt"], ids=lambda p: p.stem
)
def test_article_text_shape(path: Path) -> None:
    """Realistic length, headline then blank-line-separated paragraphs, no trailing junk."""
    text = path.read_text(encoding="utf-8")
    words = len(text.split())
    assert 150 <= words <= 400, f"{words} words"
    assert "\n\n" in text
    assert text == text.strip() + "\n"
    assert "\r" not in text


@pytest.mark.parametrize("path", sorted(HTML.glob("*.html")), ids=lambda p: p.stem)
def test_html_metadata_is_read(path: Path) -> None:
    """The page's own metadata gives the gold title and publication date."""
    gold = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    article = _html_article(path)
    assert article.title == gold["title"]
    assert article.published is not None
    assert article.published.isoformat() == gold["published"]
    for boilerplate in ("cookie", "Subscribe", "All rights reserved"):
        assert boilerplate not in article.text, f"boilerplate {boilerplate!r} leaked into the text"


@pytest.mark.parametrize("path", GOLD, ids=IDS)
def test_claims_are_valid_gold(path: Path) -> None:
    gold, text = _load(path)
    for claim in gold["claims"]:
        where = f"{path.name}: {claim.get('figure')!r} in {claim.get('sentence', '')[:60]!r}"
        assert CLAIM_KEYS <= set(claim) <= CLAIM_KEYS | OPTIONAL_KEYS, where
        sentence, figure = claim["sentence"], claim["figure"]
        assert text.count(sentence) == 1, f"{where}: sentence found {text.count(sentence)} times"
        assert figure in sentence, where
        value, unit = read_figure(figure)
        if unit == "$":
            assert claim["unit"] in _DOLLARS, where
        else:
            assert claim["unit"] == unit, where
        assert claim["value"] == pytest.approx(value, rel=1e-6), where
        if claim["unit"] == "percent":
            assert claim["base"] in BASES, where
            assert 0 < claim["value"] <= 100, where
        else:
            assert claim["base"] is None, f"{where}: a sum of money has no base"
        assert claim["commitment"] in LEVELS, where
        assert claim["topic"], where
        assert set(claim["topic"]) <= TOPICS, where
        assert claim["actor"], where
        assert all(isinstance(a, str) and a.strip() for a in claim["actor"]), where
        assert all(isinstance(s, str) for s in claim["speaker"]), where
        for date in claim["start"] + claim["deadline"]:
            assert date == "" or ISO_PARTIAL.match(date), f"{where}: bad date {date!r}"
        assert claim.get("optional", False) in (True, False), where
        assert isinstance(claim.get("note", ""), str), where


@pytest.mark.parametrize("path", GOLD, ids=IDS)
def test_claims_listed_in_text_order(path: Path) -> None:
    """Gold lists claims in reading order, so a reviewer can walk text and gold side by side."""
    gold, text = _load(path)
    claims = gold["claims"]
    positions = [text.index(c["sentence"]) + c["sentence"].index(c["figure"]) for c in claims]
    assert positions == sorted(positions)


@pytest.mark.parametrize("path", GOLD, ids=IDS)
def test_headline_figures_are_optional_and_restated(path: Path) -> None:
    """ANNOTATION.md: a headline figure that the body states again is optional, so each
    headline claim must be optional and have a non-optional twin (same value and unit) below."""
    gold, text = _load(path)
    headline_end = len(text.splitlines()[0])
    headline = [c for c in gold["claims"] if text.index(c["sentence"]) < headline_end]
    body = [c for c in gold["claims"] if text.index(c["sentence"]) >= headline_end]
    for claim in headline:
        assert claim.get("optional"), f"headline figure {claim['figure']!r} not optional"
        twins = [
            c
            for c in body
            if not c.get("optional")
            and c["unit"] == claim["unit"]
            and c["value"] == pytest.approx(claim["value"], rel=0.01)
        ]
        assert twins, f"headline figure {claim['figure']!r} is not restated in the body"


def test_all_levels_present_several_times() -> None:
    claims = _all_claims()
    assert len(claims) >= 150
    levels = Counter(c["commitment"] for _, c in claims if not c.get("optional"))
    assert set(levels) == LEVELS
    assert min(levels.values()) >= 5, levels


def test_optional_claims_are_explained() -> None:
    """Every optional claim says why (headline, pointer, conversion): optional is a decision."""
    optional = [(name, c) for name, c in _all_claims() if c.get("optional")]
    assert len(optional) >= 10
    for name, claim in optional:
        assert claim.get("note"), f"{name}: optional {claim['figure']!r} without a note"


FORMS = {
    "3.5%": r"^\d+(\.\d+)?%$",
    "3.5 per cent": r"^\d+(\.\d+)? per cent$",
    "3.5pc": r"^\d+(\.\d+)?pc$",
    "two per cent": r"^[a-z]+ per ?cent$",
    "three-and-a-half per cent": r"^[a-z]+-and-a-half per cent$",
    "£2.2bn": r"^£\d+(\.\d+)?bn$",
    "$1.5 trillion": r"^\$\d+(\.\d+)? trillion$",
    "2.2 billion pounds": r"^\d+(\.\d+)? billion pounds$",
    "US$40bn": r"^US\$\d+(\.\d+)?bn$",
    "€800 billion": r"^€\d+(\.\d+)? billion$",
    "¥5tn": r"^¥\d+(\.\d+)?tn$",
    "Rs 20,000 crore": r"^Rs [\d,]+ crore$",
    "C$": r"^C\$",
    "£650m": r"^£\d+m$",
}


def test_every_figure_form_is_covered() -> None:
    figures = [c["figure"] for _, c in _all_claims() if not c.get("optional")]
    missing = [form for form, rx in FORMS.items() if not any(re.match(rx, f) for f in figures)]
    assert not missing
    units = Counter(c["unit"] for _, c in _all_claims())
    assert {"GBP", "USD", "EUR", "JPY", "INR", "CAD", "AUD", "percent"} <= set(units)
    bare_cad = [c for _, c in _all_claims() if c["figure"].startswith("$") and c["unit"] == "CAD"]
    assert bare_cad, "a Canadian outlet's bare '$' read as CAD"


def test_dates_cover_relative_and_fiscal_forms() -> None:
    claims = [c for _, c in _all_claims()]
    starts = {d for c in claims for d in c["start"]}
    assert any(d.endswith("-04") for d in starts), "a UK/India/Canada fiscal year start"
    assert any(d.endswith("-10") for d in starts), "a US fiscal year start"
    assert sum(1 for c in claims if c["deadline"]) >= 15
    assert any("" in c["deadline"] for c in claims), "an unresolved 'next parliament' deadline"
