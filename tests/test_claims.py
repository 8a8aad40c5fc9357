"""Claim assembly: distractors are not claims; base, topic and actor are read right."""

import pytest

NOT_CLAIMS = [
    "Inflation rose to 3.1% in May, the statistics office said.",
    "The central bank held its key interest rate at 4.25 per cent.",
    "A poll found 62 per cent of voters back higher defence spending.",
    "Unemployment stood at 5.2% in the spring.",
    "Shares in the contractor have risen 40% this year.",
    "There is a 40% chance of a recession next year.",
    "The plan would cut the welfare budget by £5bn.",
    "Pensioners will receive payments of £300 each this winter.",
    "The deficit is forecast at £120bn this year.",
    "Billions of pounds will be needed to fix the roads.",
    "Nearly 30 per cent of hospitals lack a working scanner.",
]


@pytest.mark.parametrize("text", NOT_CLAIMS)
def test_claims_distractors_are_not_claims(claims_of, text):
    assert claims_of(text) == {}


def test_claims_base_from_text_and_inference(claims_of):
    text = (
        "Warsaw will spend 4.7% of GDP on defence this year. Aid will rise to 0.5% of gross "
        "national income. The ministry will devote 10% of its budget to drones, and 3% to cyber."
    )
    claims = claims_of(text)
    assert claims["4.7%"].figure.base == "GDP"
    assert claims["0.5%"].figure.base == "GNI"
    assert claims["10%"].figure.base == "budget"
    assert claims["3%"].figure.base == "budget"


@pytest.mark.parametrize(
    ("text", "figure", "topic"),
    [
        ("Rome will spend €2 billion on new frigates for the navy.", "€2 billion", "defence"),
        ("The state will invest $3 billion in hospitals and clinics.", "$3 billion", "health"),
        ("Paris pledged €1 billion in humanitarian aid for Sudan.", "€1 billion", "aid"),
        ("The city will spend £400m on affordable housing.", "£400m", "housing"),
        ("Tokyo set aside ¥300bn for research and development.", "¥300bn", "research"),
    ],
)
def test_claims_topic(claims_of, text, figure, topic):
    assert claims_of(text)[figure].topic == topic


def test_claims_actor_is_whose_money(claims_of):
    text = (
        "Estonia's defence budget will rise to 5.4% of GDP next year. "
        "NATO urged allies to spend 3.5% of GDP on core defence."
    )
    claims = claims_of(text, published="2025-09-24")
    assert claims["5.4%"].actor == "Estonia"
    assert claims["3.5%"].actor == "allies"


def test_claims_ids_are_stable_and_spans_point_at_the_figure(claims_of):
    from extractor.pipeline import extract

    text = "Ottawa will spend $4 billion on Arctic radar over four years, the minister said."
    first = extract(text, published="2025-04-01", article_id="a1")
    second = extract(text, published="2025-04-01", article_id="a1")
    assert len(first) == 1
    assert [c.claim_id for c in first] == [c.claim_id for c in second]
    start, end = first[0].span
    assert text[start:end] == "$4 billion"
    other = extract(text, published="2025-04-01", article_id="a2")
    assert other[0].claim_id != first[0].claim_id
