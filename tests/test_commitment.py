"""Commitment levels on sentences written for this project, with the trained pipeline.

Grouped as price-parser groups its cases: the six levels, then the precedence rules of
the annotation guide (the cue governing the figure's own clause wins)."""

import pytest

LEVELS = [
    ("Ottawa has committed to spend 2% of GDP on defence from next April.", "2%", "certainty"),
    ("The Treasury pledged £3bn for new hospitals.", "£3bn", "certainty"),
    ("The minister said Spain would spend €4 billion on air defence.", "€4 billion", "certainty"),
    ("Sweden has set itself a goal of reaching 1% of GNI on aid.", "1%", "ambition"),
    ("The government hopes to lift research spending to 3% of GDP.", "3%", "ambition"),
    ("Norway is expected to commit 2.5% of GDP to its armed forces.", "2.5%", "expectation"),
    ("Analysts believe Rome is likely to spend €9bn on rail.", "€9bn", "expectation"),
    ("Unions have called for £5bn to repair crumbling schools.", "£5bn", "proposal"),
    ("The alliance urged members to devote 3% of GDP to defence.", "3%", "proposal"),
    ("Poland currently spends 4.1% of GDP on its military.", "4.1%", "statement"),
    ("Italy spent €30bn on pensions last year.", "€30bn", "statement"),
    ("The chancellor ruled out spending £20bn on the new line.", "£20bn", "rejected"),
    ("Madrid refused to commit to 3.5% of GDP.", "3.5%", "rejected"),
]

PRECEDENCE = [
    # a hedge about a proposal leaves it a proposal
    (
        "The commissioner is thought to be pushing for states to commit to 2.5% of GDP.",
        "2.5%",
        "proposal",
    ),
    # a condition makes a pledge an ambition
    ("Rome will raise aid to 0.5% of GNI only if growth returns.", "0.5%", "ambition"),
    ("The premier said spending will rise to 3% when economic conditions allow.", "3%", "ambition"),
    # expected to propose: proposal; expected to commit: expectation
    ("The commission is expected to propose €90 billion for the fund.", "€90 billion", "proposal"),
    ("Lisbon is expected to commit €2 billion to the fund.", "€2 billion", "expectation"),
    # ruling out going beyond a figure leaves that figure a statement
    ("She ruled out going beyond the current £4bn a year.", "£4bn", "statement"),
    # a refusal of someone's proposal rejects it
    ("He rejected a proposal from unions to spend £2bn on pay.", "£2bn", "rejected"),
    # the old level in 'from X' is a statement
    (
        "Berlin will raise the budget to €60 billion, up from €52 billion this year.",
        "€52 billion",
        "statement",
    ),
]


@pytest.mark.parametrize(
    ("text", "figure", "level"), LEVELS, ids=[c[2] + ":" + c[1] for c in LEVELS]
)
def test_commitment_levels(claims_of, text, figure, level):
    claims = claims_of(text)
    assert figure in claims, list(claims)
    assert claims[figure].commitment.level == level


@pytest.mark.parametrize(
    ("text", "figure", "level"), PRECEDENCE, ids=[c[2] + ":" + c[1] for c in PRECEDENCE]
)
def test_commitment_precedence(claims_of, text, figure, level):
    claims = claims_of(text)
    assert figure in claims, list(claims)
    assert claims[figure].commitment.level == level


def test_commitment_cues_are_the_evidence(claims_of):
    claim = claims_of("Madrid refused to commit to 3.5% of GDP.")["3.5%"]
    assert any("refused" in cue for cue in claim.commitment.cues)
