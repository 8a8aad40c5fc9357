"""Dates: each phrase resolved against the publication date, with its role.

Resolution needs no model: these run on the blank pipeline."""

import pytest

CASES = [
    # (sentence, published, role, value)
    ("to spend 3% by 2030.", "2025-06-05", "deadline", "2030"),
    ("to reach 2% by fiscal 2027.", "2025-06-05", "deadline", "2027"),
    ("3% by the end of the decade.", "2025-06-05", "deadline", "2030"),
    ("3.5% within the next decade.", "2025-06-05", "deadline", "2035"),
    ("£2bn within five years.", "2025-06-05", "deadline", "2030"),
    ("$200 billion over the next 10 years.", "2025-05-15", "deadline", "2035"),
    ("€500 billion over 12 years.", "2025-11-28", "deadline", "2037"),
    ("£13bn for the rest of the parliament.", "2025-05-18", "deadline", "2029"),
    ("¥43tn through March 2028.", "2024-12-27", "deadline", "2028-03"),
    ("£1bn a year until 2029.", "2025-11-28", "deadline", "2029"),
    ("2.5% from April 2027.", "2025-06-05", "start", "2027-04"),
    ("5.4% of GDP next year.", "2025-09-24", "start", "2026"),
    ("1.37% of GDP last year.", "2025-06-09", "start", "2024"),
    ("3.4% of GDP this year.", "2025-09-24", "start", "2025"),
    ("£4bn in 2023.", "2025-04-15", "start", "2023"),
    ("€4 billion for 2025.", "2024-07-18", "start", "2025"),
    ("£9bn from next year.", "2025-06-05", "start", "2026"),
]


@pytest.mark.parametrize(("text", "published", "role", "value"), CASES, ids=[c[0] for c in CASES])
def test_dates_resolve_against_publication(run, blank_extractor, text, published, role, value):
    doc = run(text, published=published, ex=blank_extractor)
    dates = [s._.date for s in doc.spans["dates"] if s._.date["value"]]
    assert len(dates) == 1, dates
    assert (dates[0]["role"], dates[0]["value"]) == (role, value)


@pytest.mark.parametrize(
    ("text", "locale_words", "value"),
    [
        ("£2bn in 2026-27.", "Britain's Chancellor in London, UK.", "2026-04"),
        ("A$2bn in 2025-26.", "Australia's Treasurer in Canberra, Australia.", "2025-07"),
        ("$2bn in fiscal 2027.", "The US Congress in Washington.", "2026-10"),
        ("£2bn this financial year.", "Britain's Chancellor in London, UK.", "2025-04"),
    ],
)
def test_dates_fiscal_years_follow_the_article_country(
    run, blank_extractor, text, locale_words, value
):
    doc = run(f"{locale_words} {text}", published="2025-06-05", ex=blank_extractor)
    dates = [s._.date["value"] for s in doc.spans["dates"] if s._.date["value"]]
    assert dates == [value]


def test_dates_next_parliament_is_left_unresolved(run, blank_extractor):
    doc = run("a goal of 3% over the next parliament.", ex=blank_extractor)
    assert [s._.date for s in doc.spans["dates"]] == [
        {"role": "none", "value": None, "text": "over the next parliament"}
    ]


def test_dates_without_publication_date_find_spans_but_resolve_nothing(blank_extractor):
    from extractor.models import Article

    article = Article(id="x", text="3% by 2030 and 2% next year.")
    doc = blank_extractor.nlp(blank_extractor._make_doc(article, article.text, 0))
    assert len(doc.spans["dates"]) == 2
    assert all(s._.date["value"] is None for s in doc.spans["dates"])


def test_dates_dateparser_reads_month_names_with_the_base(blank_extractor):
    from extractor.components.dates import _dateparse

    assert _dateparse("by June 2027", "2025-06-05") == "2027-06"
    assert _dateparse("next month", "2025-06-05") == "2025-07"
