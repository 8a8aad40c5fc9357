"""Figures: every percent and money form, read from rules on a blank pipeline.

Cases are written for this project (price-parser style table: text, figure, value, unit)."""

import pytest

CASES = [
    # shares
    ("spend 3.5% on defence", "3.5%", 3.5, "percent"),
    ("spend 3.5 per cent on defence", "3.5 per cent", 3.5, "percent"),
    ("spend 3.5pc on defence", "3.5pc", 3.5, "percent"),
    ("spend 2.6 percent on roads", "2.6 percent", 2.6, "percent"),
    ("to two per cent of GDP", "two per cent", 2.0, "percent"),
    ("to three-and-a-half per cent of GDP", "three-and-a-half per cent", 3.5, "percent"),
    ("to two and a half per cent", "two and a half per cent", 2.5, "percent"),
    ("twenty-five per cent of the budget", "twenty-five per cent", 25.0, "percent"),
    ("0.7% of gross national income", "0.7%", 0.7, "percent"),
    # money with a symbol or code before it
    ("a further £2.2bn for schools", "£2.2bn", 2.2e9, "GBP"),
    ("a £650m package", "£650m", 6.5e8, "GBP"),
    ("$1.5 trillion over a decade", "$1.5 trillion", 1.5e12, "USD"),
    ("US$40bn in loans", "US$40bn", 4.0e10, "USD"),
    ("€800 billion plan", "€800 billion", 8.0e11, "EUR"),
    ("¥5tn programme", "¥5tn", 5.0e12, "JPY"),
    ("Rs 20,000 crore for rail", "Rs 20,000 crore", 2.0e11, "INR"),
    ("₹1,28,650 crore for schools", "₹1,28,650 crore", 1.2865e12, "INR"),
    ("₹2 lakh crore for the grid", "₹2 lakh crore", 2.0e12, "INR"),
    ("C$7.5 billion for drugs", "C$7.5 billion", 7.5e9, "CAD"),
    ("A$3bn for submarines", "A$3bn", 3.0e9, "AUD"),
    ("an extra $9.3B for defence", "$9.3B", 9.3e9, "USD"),
    # money with a currency word after it
    ("2.2 billion pounds for aid", "2.2 billion pounds", 2.2e9, "GBP"),
    ("126.7 billion euros of investment", "126.7 billion euros", 1.267e11, "EUR"),
    ("500 billion euro fund", "500 billion euro", 5.0e11, "EUR"),
    ("40 billion yen for chips", "40 billion yen", 4.0e10, "JPY"),
]


@pytest.mark.parametrize(("text", "figure", "value", "unit"), CASES, ids=[c[1] for c in CASES])
def test_figures_reads_every_form(run, blank_extractor, text, figure, value, unit):
    doc = run(text, ex=blank_extractor)
    found = [s._.figure for s in doc.spans["figures"]]
    assert len(found) == 1, found
    assert found[0]["text"] == figure
    assert found[0]["value"] == pytest.approx(value)
    assert found[0]["unit"] == unit
    assert text[found[0]["start"] : found[0]["end"]] == figure


@pytest.mark.parametrize(
    "text",
    ["billions of pounds extra", "a percentage of the vote", "in 2025 and 2026", "over 12 months"],
)
def test_figures_ignores_numbers_that_are_not_figures(run, blank_extractor, text):
    doc = run(text, ex=blank_extractor)
    assert len(doc.spans["figures"]) == 0


def test_figures_bare_dollar_follows_the_article_country(run, blank_extractor):
    text = (
        "Ottawa will spend $2 billion on Arctic radar, Canada's defence minister said. "
        "Canada's allies welcomed the Canadian plan."
    )
    doc = run(text, ex=blank_extractor)
    (fig,) = doc.spans["figures"]
    assert fig._.figure["unit"] == "CAD"


def test_figures_bracketed_dollar_conversion_is_us_dollars(run, blank_extractor):
    text = "Canada will spend C$7.5 billion ($5.4 billion) on drugs, Ottawa said."
    doc = run(text, ex=blank_extractor)
    units = [s._.figure["unit"] for s in doc.spans["figures"]]
    assert units == ["CAD", "USD"]


def test_figures_two_figures_in_one_sentence(run, blank_extractor):
    text = "They agreed 3.5% on the military, with a further 1.5% on resilience."
    doc = run(text, ex=blank_extractor)
    values = [s._.figure["value"] for s in doc.spans["figures"]]
    assert values == [3.5, 1.5]
