"""Attribution: speakers by speech verb, quotation, 'according to', lead-ins, trailing
attributions, pronouns and anonymous sources; quotation pairing without a model."""

import pytest

from extractor.components.quotes import find_quotes

SPEAKERS = [
    (
        "Finance Minister Ana Ribeiro said Portugal would spend €3 billion on rail.",
        "€3 billion",
        "Ana Ribeiro",
    ),
    (
        "Lisbon will spend €3 billion on rail, Finance Minister Ana Ribeiro said on Monday.",
        "€3 billion",
        "Ana Ribeiro",
    ),
    (
        "Lisbon will spend €3 billion on rail, said Ana Ribeiro, the finance minister.",
        "€3 billion",
        "Ana Ribeiro",
    ),
    (
        "Portugal will spend €3 billion on rail, according to the Treasury.",
        "€3 billion",
        "Treasury",
    ),
    ("Senior officials said the ministry would add €500m for ports.", "€500m", "Senior officials"),
    ("The Greens have called for €7 billion for insulation.", "€7 billion", "Greens"),
    (
        "Oslo will lift aid to 1% of GNI, two diplomats familiar with the talks said.",
        "1%",
        "two diplomats",
    ),
]


@pytest.mark.parametrize(
    ("text", "figure", "speaker"), SPEAKERS, ids=[c[2] + ":" + c[1] for c in SPEAKERS]
)
def test_attribution_speakers(claims_of, text, figure, speaker):
    claims = claims_of(text)
    assert figure in claims, list(claims)
    assert claims[figure].speaker is not None
    assert speaker.lower() in claims[figure].speaker.lower()


def test_attribution_pronoun_resolves_to_the_named_speaker(claims_of):
    text = (
        "Health Secretary Miriam Castell visited a hospital in Leeds on Monday.\n\n"
        "She said the government would spend £4bn on new scanners."
    )
    assert claims_of(text)["£4bn"].speaker == "Miriam Castell"


def test_attribution_pronoun_skips_a_person_of_the_other_gender(claims_of):
    text = (
        "Ms Castell met Tom Aldridge, the hospitals chief, in Leeds. He warned of delays.\n\n"
        "She told reporters the government would spend £4bn on new scanners."
    )
    assert claims_of(text)["£4bn"].speaker == "Castell"


def test_attribution_quote_across_paragraphs_keeps_its_speaker(claims_of):
    text = (
        'Treasurer Dana Whitlock spoke at length. "We are not going to wait," she said. '
        '"Our roads need it.\n\n'
        '"That is why we will put $2 billion into regional highways this year.\n\n'
        '"And we will not stop there."'
    )
    claims = claims_of(text)
    assert claims["$2 billion"].speaker == "Dana Whitlock"


def test_attribution_reporter_statement_has_no_speaker(claims_of):
    text = "Germany spent about 2.1% of GDP on defence last year."
    assert claims_of(text)["2.1%"].speaker is None


def test_attribution_refusal_owns_the_cost_it_rules_out(claims_of):
    text = "The minister ruled out the northern bypass, which engineers say would cost £6bn."
    claim = claims_of(text)["£6bn"]
    assert claim.speaker is not None and "minister" in claim.speaker.lower()
    assert claim.commitment.level == "rejected"


@pytest.mark.parametrize(
    ("text", "quotes"),
    [
        ('He said "we will spend it" and left.', ['"we will spend it"']),
        ("“First,” she said, “second.”", ["“First,”", "“second.”"]),
        ("An odd “quote with no end\n\nNext paragraph.", ["“quote with no end"]),
        ("“Part one.\n\n“Part two,” he said.", ["“Part one.", "“Part two,”"]),
    ],
)
def test_attribution_quotes_are_paired_without_failing(text, quotes):
    found = find_quotes(text)
    assert [text[q.start : q.end] for q in found] == quotes


def test_attribution_multi_paragraph_quote_is_one_group():
    text = "“Part one.\n\n“Part two,” he said."
    groups = {q.group for q in find_quotes(text)}
    assert len(groups) == 1
