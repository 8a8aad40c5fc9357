"""Pledge tracking on constructed claims: linking, duplicates and every kind of event."""

import datetime as dt
import random

import pytest

from extractor.models import Article, Claim, Commitment, Figure, Level, Timeframe, Topic
from extractor.track import Pledge, render_text, speaker_key, track

_counter = iter(range(10_000))


def make_claim(
    article: str,
    date: str,
    value: float,
    level: str,
    *,
    sentence: str | None = None,
    unit: str = "percent",
    base: str | None = "GDP",
    topic: str = "defence",
    actor: str | None = "Britain",
    speaker: str | None = None,
    deadline: str | None = None,
    start: str | None = None,
    at: int | None = None,
) -> Claim:
    text = f"{value:g}%" if unit == "percent" else f"£{value / 1e9:g}bn"
    sentence = sentence or f"Sentence {next(_counter)} says {text} is {level}."
    start_at = at if at is not None else 100 + next(_counter)
    span = (start_at, start_at + len(text))
    figure = Figure(text=text, value=value, unit=unit, base=base if unit == "percent" else None)
    return Claim(
        claim_id=Claim.make_id(article, span, figure),
        article_id=article,
        sentence=sentence,
        span=span,
        figure=figure,
        topic=Topic(topic),
        actor=actor,
        speaker=speaker,
        commitment=Commitment(level=Level(level)),
        timeframe=Timeframe(start=start, deadline=deadline),
        published=dt.date.fromisoformat(date),
    )


def only(pledges: list[Pledge]) -> Pledge:
    assert len(pledges) == 1, [p.label for p in pledges]
    return pledges[0]


def kinds(pledge: Pledge) -> list[tuple[str, str, str, str]]:
    return [(e.kind, e.direction, e.before, e.after) for e in pledge.events]


# -- events ------------------------------------------------------------------------------


def test_track_walk_back_cites_both_claims_and_articles() -> None:
    a = make_claim("a1", "2026-03-03", 3, "certainty", speaker="Helen Marsh", deadline="2034")
    b = make_claim("a2", "2026-03-04", 3, "ambition", speaker="Marsh")
    pledge = only(track([a, b]))
    assert kinds(pledge) == [("firmness", "weakened", "certainty", "ambition")]
    event = pledge.events[0]
    assert event.label == "WALK-BACK: certainty → ambition"
    assert (event.earlier.claim_id, event.earlier.article_id) == (a.claim_id, "a1")
    assert (event.later.claim_id, event.later.article_id) == (b.claim_id, "a2")
    assert event.earlier.sentence == a.sentence and event.later.sentence == b.sentence
    assert event.from_level == Level.certainty and event.to_level == Level.ambition
    assert event.by == "Marsh"


@pytest.mark.parametrize(
    ("before", "after", "direction"),
    [
        ("ambition", "certainty", "strengthened"),
        ("proposal", "expectation", "strengthened"),
        ("expectation", "proposal", "weakened"),
        ("certainty", "rejected", "rejected"),
        ("ambition", "rejected", "rejected"),
        ("rejected", "certainty", "strengthened"),
        ("rejected", "ambition", "strengthened"),
    ],
    ids=lambda v: str(v),
)
def test_track_firmness_direction_for_each_pair(before: str, after: str, direction: str) -> None:
    pledge = only(
        track([make_claim("a1", "2026-01-01", 2, before), make_claim("a2", "2026-02-01", 2, after)])
    )
    assert kinds(pledge) == [("firmness", direction, before, after)]


def test_track_figure_raised_and_cut() -> None:
    claims = [
        make_claim("a1", "2026-01-01", 3, "certainty"),
        make_claim("a2", "2026-02-01", 3.5, "certainty"),
        make_claim("a3", "2026-03-01", 3.2, "certainty"),
    ]
    pledge = only(track(claims))
    assert kinds(pledge) == [
        ("figure", "raised", "3%", "3.5%"),
        ("figure", "cut", "3.5%", "3.2%"),
    ]
    assert (pledge.events[0].from_value, pledge.events[0].to_value) == (3, 3.5)


def test_track_money_revision_within_ratio_links_beyond_does_not() -> None:
    near = track(
        [
            make_claim("a1", "2026-01-01", 2.4e9, "certainty", unit="GBP", start="2027"),
            make_claim("a2", "2026-02-01", 3.1e9, "certainty", unit="GBP", start="2027"),
        ]
    )
    assert [e.direction for e in only(near).events] == ["raised"]
    far = track(
        [
            make_claim("a1", "2026-01-01", 2.4e9, "certainty", unit="GBP"),
            make_claim("a2", "2026-02-01", 60e9, "certainty", unit="GBP"),
        ]
    )
    assert len(far) == 2 and not any(p.events for p in far)


def test_track_deadline_moves_compare_with_last_known_deadline() -> None:
    claims = [
        make_claim("a1", "2026-01-01", 2.5, "certainty", deadline="2030"),
        make_claim("a2", "2026-02-01", 2.5, "certainty"),  # no date said: not a move
        make_claim("a3", "2026-03-01", 2.5, "certainty", deadline="2027"),
        make_claim("a4", "2026-04-01", 2.5, "certainty", deadline="2027-04"),  # same year
        make_claim("a5", "2026-05-01", 2.5, "certainty", deadline="2029"),
    ]
    pledge = only(track(claims))
    assert kinds(pledge) == [
        ("deadline", "earlier", "2030", "2027"),
        ("deadline", "later", "2027-04", "2029"),
    ]
    assert pledge.events[0].earlier.article_id == "a1"
    assert pledge.events[0].later.article_id == "a3"


def test_track_speaker_change_by_surname_and_not_for_descriptions() -> None:
    claims = [
        make_claim("a1", "2026-01-01", 3, "certainty", speaker="Defence Secretary Helen Marsh"),
        make_claim("a2", "2026-02-01", 3, "certainty", speaker="Marsh"),
        make_claim("a3", "2026-03-01", 3, "certainty", speaker="officials"),
        make_claim("a4", "2026-04-01", 3, "certainty", speaker="Britain"),
        make_claim("a5", "2026-05-01", 3, "certainty", speaker="Daniel Ashworth"),
    ]
    pledge = only(track(claims))
    assert kinds(pledge) == [("speaker", "changed", "Marsh", "Daniel Ashworth")]
    assert pledge.events[0].earlier.article_id == "a2"


def test_speaker_key_reads_surnames_and_drops_roles() -> None:
    assert speaker_key("Defence Secretary Helen Marsh") == "marsh"
    assert speaker_key("Helen Marsh") == speaker_key("Marsh")
    assert speaker_key("Prime Minister") is None
    assert speaker_key("senior defence sources") is None
    assert speaker_key(None) is None


def test_track_several_events_between_one_pair_in_fixed_order() -> None:
    a = make_claim("a1", "2026-03-03", 3, "ambition", speaker="Marsh", deadline="2034")
    b = make_claim("a2", "2026-06-25", 3.5, "certainty", speaker="Ashworth", deadline="2035")
    pledge = only(track([a, b]))
    assert [(e.kind, e.direction) for e in pledge.events] == [
        ("figure", "raised"),
        ("firmness", "strengthened"),
        ("deadline", "later"),
        ("speaker", "changed"),
    ]


# -- linking -----------------------------------------------------------------------------


def test_track_aliases_make_one_actor() -> None:
    claims = [
        make_claim("a1", "2026-01-01", 3, "certainty", actor="UK"),
        make_claim("a2", "2026-02-01", 3, "ambition", actor="Britain"),
        make_claim("a3", "2026-03-01", 3, "rejected", actor="the United Kingdom's"),
    ]
    pledge = only(track(claims))
    assert pledge.actor == "Britain"
    assert [e.direction for e in pledge.events] == ["weakened", "rejected"]


def test_track_contextual_actor_is_the_articles_country() -> None:
    uk_text = "Britain will spend more. The government said so. Westminster agreed."
    de_text = "Germany will spend more. Berlin said the government agreed."
    articles = {
        "uk": Article(id="uk", text=uk_text, published="2026-01-01"),
        "de": Article(id="de", text=de_text, published="2026-01-02"),
    }
    claims = [
        make_claim("uk", "2026-01-01", 3, "certainty", actor="the government"),
        make_claim("de", "2026-01-02", 3, "certainty", actor="the government"),
    ]
    pledges = track(claims, articles=articles)
    assert sorted(p.actor for p in pledges) == ["Britain", "Germany"]
    # Without article texts, the article's other claims name its country.
    claims.append(make_claim("uk", "2026-01-01", 2, "certainty", actor="UK"))
    assert {p.actor for p in track(claims)} == {"Britain"}


def test_track_actor_that_is_the_speaker_means_the_country() -> None:
    claims = [
        make_claim("a1", "2026-01-01", 3, "certainty", actor="UK"),
        make_claim("a1", "2026-01-01", 2, "ambition", actor="Helen Marsh", speaker="Helen Marsh"),
    ]
    assert {p.actor for p in track(claims)} == {"Britain"}


def test_track_keys_separate_topic_base_and_currency() -> None:
    claims = [
        make_claim("a1", "2026-01-01", 3, "certainty"),
        make_claim("a2", "2026-02-01", 3, "ambition", topic="aid"),
        make_claim("a3", "2026-03-01", 3, "ambition", base="GNI"),
        make_claim("a4", "2026-04-01", 3e9, "ambition", unit="GBP"),
        make_claim("a5", "2026-05-01", 3e9, "ambition", unit="EUR"),
    ]
    pledges = track(claims)
    assert len(pledges) == 5
    assert not any(p.events for p in pledges)
    assert sorted(p.measure for p in pledges) == ["% of GDP", "% of GDP", "% of GNI", "EUR", "GBP"]


def test_track_share_without_base_takes_the_only_base_used() -> None:
    claims = [
        make_claim("a1", "2026-01-01", 3, "certainty", base="GDP"),
        make_claim("a2", "2026-02-01", 3, "ambition", base=None),
    ]
    pledge = only(track(claims))
    assert pledge.measure == "% of GDP"
    assert [e.direction for e in pledge.events] == ["weakened"]


def test_track_syndicated_copy_is_one_statement_with_two_appearances() -> None:
    s = "Helen Marsh has described the goal of spending 3% of GDP on defence as an ambition."
    copy = "Helen Marsh described the goal of spending 3% of GDP on defence as an ambition."
    claims = [
        make_claim("a1", "2026-03-03", 3, "certainty", speaker="Marsh"),
        make_claim("a2", "2026-03-04", 3, "ambition", sentence=s, speaker="Marsh"),
        make_claim("a3", "2026-03-04", 3, "ambition", sentence=copy, speaker="Marsh"),
    ]
    pledge = only(track(claims))
    assert len(pledge.claims) == 2
    assert [a.article_id for a in pledge.claims[1].appearances] == ["a2", "a3"]
    assert kinds(pledge) == [("firmness", "weakened", "certainty", "ambition")]


def test_track_different_sentence_same_figure_is_a_new_statement() -> None:
    claims = [
        make_claim("a1", "2026-03-03", 3, "certainty", sentence="Marsh said 3% is certain."),
        make_claim("a2", "2026-03-04", 3, "certainty", sentence="Ashworth backs 3% spending."),
    ]
    pledge = only(track(claims))
    assert len(pledge.claims) == 2
    assert all(len(tc.appearances) == 1 for tc in pledge.claims)


def test_track_two_figures_in_one_article_are_two_targets() -> None:
    claims = [
        make_claim("a1", "2026-01-20", 2.5, "certainty", deadline="2027", at=10),
        make_claim("a1", "2026-01-20", 3, "ambition", at=50),
        make_claim("a2", "2026-03-03", 3, "certainty", deadline="2034"),
    ]
    pledges = track(claims)
    assert len(pledges) == 2
    assert [len(p.claims) for p in pledges] == [1, 2]
    assert not any(e.kind == "figure" for p in pledges for e in p.events)


def test_track_revision_needs_close_horizons() -> None:
    close = [
        make_claim("a1", "2026-01-01", 3, "certainty", deadline="2034"),
        make_claim("a2", "2026-06-01", 3.5, "certainty", deadline="2035"),
    ]
    assert len(track(close)) == 1
    far = [
        make_claim("a1", "2026-01-01", 2.5, "certainty", deadline="2027"),
        make_claim("a2", "2026-06-01", 3.5, "certainty", deadline="2035"),
    ]
    assert len(track(far)) == 2


def test_track_revision_picks_the_target_with_the_closest_horizon() -> None:
    claims = [
        make_claim("a1", "2026-01-01", 2.5, "certainty", deadline="2027", at=10),
        make_claim("a1", "2026-01-01", 3, "certainty", deadline="2030", at=50),
        make_claim("a2", "2026-06-01", 3.2, "certainty", deadline="2029"),
    ]
    pledges = track(claims)
    raised = [p for p in pledges if p.events]
    assert len(raised) == 1
    assert kinds(raised[0])[0] == ("figure", "raised", "3%", "3.2%")


def test_track_someone_elses_expectation_is_not_a_raise() -> None:
    claims = [
        make_claim("a1", "2026-03-04", 3, "ambition", speaker="Marsh"),
        make_claim("a2", "2026-06-16", 3.5, "expectation", speaker="diplomats"),
        make_claim("a3", "2026-06-25", 3.5, "certainty", speaker="Ashworth", deadline="2035"),
    ]
    pledges = track(claims)
    assert len(pledges) == 2
    main = next(p for p in pledges if len(p.claims) == 2)
    assert [e.direction for e in main.events][:2] == ["raised", "strengthened"]
    alone = next(p for p in pledges if len(p.claims) == 1)
    assert alone.claims[0].claim.commitment.level == Level.expectation
    assert alone.events == []


def test_track_actor_adopts_or_refuses_a_demand() -> None:
    adopt = [
        make_claim("a1", "2026-06-16", 3.5, "proposal", actor="NATO allies", speaker="Eriksen"),
        make_claim("a2", "2026-06-25", 3.5, "certainty", actor="allies"),
    ]
    pledge = only(track(adopt))
    assert pledge.actor == "NATO members"
    assert kinds(pledge) == [("firmness", "strengthened", "proposal", "certainty")]
    refuse = [
        make_claim("a1", "2026-06-16", 5, "proposal", speaker="Eriksen"),
        make_claim("a2", "2026-06-25", 5, "rejected", speaker="Ashworth"),
    ]
    assert [e.direction for e in only(track(refuse)).events] == ["rejected", "changed"]


def test_track_leaves_out_statements_and_unknown_actors() -> None:
    claims = [
        make_claim("a1", "2026-01-01", 2.3, "statement"),
        make_claim("a2", "2026-02-01", 2.5, "certainty", actor=None),
    ]
    assert track(claims) == []


def test_track_headline_restated_in_body_is_an_appearance() -> None:
    title = "Marsh calls 3% goal an ambition"
    text = f"{title}\n\nHelen Marsh called spending 3% of GDP on defence a certainty."
    article = Article(id="a1", text=text, title=title, published="2026-03-03")
    head = make_claim("a1", "2026-03-03", 3, "ambition", sentence=title, at=title.index("3%"))
    body = make_claim("a1", "2026-03-03", 3, "certainty", at=text.rindex("3%"))
    pledge = only(track([head, body], articles={"a1": article}))
    assert len(pledge.claims) == 1
    assert pledge.claims[0].claim.claim_id == body.claim_id
    assert {a.claim_id for a in pledge.claims[0].appearances} == {head.claim_id, body.claim_id}
    assert pledge.events == []


def test_track_result_does_not_depend_on_input_order() -> None:
    claims = [
        make_claim("a1", "2026-01-01", 3, "ambition", speaker="Ashworth"),
        make_claim("a2", "2026-03-03", 3, "certainty", speaker="Marsh", deadline="2034"),
        make_claim("a3", "2026-03-04", 3, "ambition", speaker="Marsh"),
        make_claim("a4", "2026-06-25", 3.5, "certainty", speaker="Ashworth", deadline="2035"),
        make_claim("a4", "2026-06-25", 0.5, "certainty", base="GNI", topic="aid"),
        make_claim("a5", "2026-07-01", 0.4, "certainty", base="GNI", topic="aid"),
    ]
    expected = [p.model_dump() for p in track(claims)]
    assert len(expected) == 2
    for seed in range(5):
        shuffled = claims[:]
        random.Random(seed).shuffle(shuffled)
        assert [p.model_dump() for p in track(shuffled)] == expected


def test_render_text_flags_events_on_the_later_claim() -> None:
    a = make_claim("a1", "2026-03-03", 3, "certainty", speaker="Helen Marsh", deadline="2034")
    b = make_claim("a2", "2026-03-04", 3, "ambition", speaker="Helen Marsh")
    text = render_text(track([a, b]))
    lines = text.splitlines()
    assert lines[0].startswith("pledge: Britain · defence · % of GDP")
    assert len(lines) == 3
    assert "by 2034" in lines[1] and "←" not in lines[1]
    assert lines[2].endswith("← WALK-BACK: certainty → ambition")
