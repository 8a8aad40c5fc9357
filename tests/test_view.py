"""The highlighted HTML view: structure, hover details, escaping, self-containment."""

import re
import time
from html.parser import HTMLParser

import pytest
from claimfactory import SIX_LEVELS_TEXT, make_claim, six_level_claims

from extractor.models import Article, Level
from extractor.view import LEVEL_COLOURS, ClaimView, describe, page_html, show


class _Collector(HTMLParser):
    """Tags, attributes, and the text inside .nc-text with inline labels left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.article_text: list[str] = []
        self._in_text = 0  # depth inside <div class="nc-text">
        self._in_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if self._in_text:
            self._in_text += 1
        elif tag == "div" and a.get("class") == "nc-text":
            self._in_text = 1
        if self._in_text and a.get("class") == "nc-label":
            self._in_label = 1

    def handle_endtag(self, tag: str) -> None:
        if self._in_text:
            self._in_text -= 1
            if self._in_label and tag == "span":
                self._in_label = 0

    def handle_data(self, data: str) -> None:
        if self._in_text and not self._in_label:
            self.article_text.append(data)


def _parse(markup: str) -> _Collector:
    p = _Collector()
    p.feed(markup)
    p.close()
    return p


def _marks(markup: str) -> list[dict[str, str | None]]:
    return [a for tag, a in _parse(markup).tags if tag == "mark"]


def test_view_marks_every_claim_with_its_level_class_and_colour():
    claims = six_level_claims()
    view = show(SIX_LEVELS_TEXT, claims)
    marks = _marks(view.html)
    assert len(marks) == 6
    assert [m["data-level"] for m in marks] == [lvl.value for lvl in Level]
    for m in marks:
        assert m["class"] == f"nc-{m['data-level']}"
    for level, colour in LEVEL_COLOURS.items():
        assert f"mark.nc-{level.value} {{ background: {colour}; }}" in view.html


def test_view_keeps_the_article_text_exactly():
    text = SIX_LEVELS_TEXT + '\n\nQuotes "like this" & <angle brackets> stay as written.'
    view = show(text, six_level_claims())
    assert "".join(_parse(view.html).article_text) == text


def test_view_hover_shows_topic_actor_speaker_level_cue_dates():
    claim = six_level_claims()[0]
    assert describe(claim) == (
        "defence · Britain · said by Helen Marsh · certainty · cue: committed to · by 2030"
    )
    mark = _marks(show(SIX_LEVELS_TEXT, [claim]).html)[0]
    assert mark["title"] == describe(claim)
    nobody = make_claim("They spent 2% in 2024.", "2%", 2.0, "percent", "statement", start="2024")
    assert describe(nobody) == (
        "defence · no actor · no speaker · statement · cue: no cue · from 2024"
    )


def test_view_legend_lists_all_six_levels_with_counts():
    view = show(SIX_LEVELS_TEXT, six_level_claims()[:2])
    swatches = [
        a["class"]
        for tag, a in _parse(view.html).tags
        if tag == "span" and (a.get("class") or "").startswith("nc-swatch")
    ]
    assert swatches == [f"nc-swatch nc-{lvl.value}" for lvl in Level]
    assert 'certainty <span class="nc-count">(1)</span>' in view.html
    assert 'rejected <span class="nc-count">(0)</span>' in view.html


def test_view_escapes_article_text_and_claim_fields():
    text = (
        "Evil <script>document.title='pwned'</script> news\n"
        'Britain will spend 3% on "defence" & more <img src=x onerror=alert(1)>.'
    )
    claim = make_claim(
        text,
        "3%",
        3.0,
        "percent",
        "certainty",
        actor='"><img src=x onerror=alert(2)>',
        speaker="<b>Marsh</b>",
        cues=("will <spend>",),
    )
    markup = show(text, [claim], title="<script>alert(3)</script>").html
    tags = [t for t, _ in _parse(markup).tags]
    assert "script" not in tags
    assert "img" not in tags
    assert "b" not in tags
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in markup
    assert _marks(markup)[0]["title"] == describe(claim)  # the attribute survives intact


def test_view_page_is_self_contained():
    markup = show(SIX_LEVELS_TEXT, six_level_claims()).html
    assert markup.startswith("<!DOCTYPE html>")
    assert 'http-equiv="Content-Security-Policy"' in markup
    assert "default-src 'none'" in markup
    # No external resource of any kind: nothing to fetch, so it opens offline.
    assert not re.search(r"\b(src|href)\s*=", markup)
    assert "url(" not in markup
    assert "@import" not in markup
    assert "<script" not in markup


def test_view_repr_html_is_a_fragment_for_jupyter():
    view = show(SIX_LEVELS_TEXT, six_level_claims())
    fragment = view._repr_html_()
    assert fragment.startswith("<style>")
    assert "<html" not in fragment
    assert len(_marks(fragment)) == 6
    assert repr(view) == "<ClaimView 'article': 6 claims>"


def test_view_takes_an_article_and_uses_its_title_and_date():
    article = Article(id="x", text=SIX_LEVELS_TEXT, title="Six ways", published="2025-06-02")
    view = show(article, six_level_claims())
    assert view.title == "Six ways"
    assert "<title>Six ways</title>" in view.html
    assert "published 2025-06-02" in view.html


def test_view_rejects_claims_from_another_text():
    claims = six_level_claims()
    with pytest.raises(ValueError, match="not the figure '3%'"):
        show(SIX_LEVELS_TEXT.replace("3%", "4%"), claims[:1])
    with pytest.raises(ValueError, match="outside the text"):
        show("short", claims[:1])


def test_view_overlapping_figures_share_one_mark():
    text = "They will spend £2.2bn ($2.9bn) on ships."
    outer = make_claim(text, "£2.2bn ($2.9bn)", 2.2e9, "GBP", "certainty")
    inner = make_claim(text, "$2.9bn", 2.9e9, "USD", "certainty")
    marks = _marks(show(text, [inner, outer]).html)
    assert len(marks) == 1
    assert marks[0]["title"] == describe(outer) + "\n" + describe(inner)


def test_view_without_claims_says_so():
    view = show("Nothing about money here.", [])
    assert _marks(view.html) == []
    assert "No spending claims found" in view.html


def test_view_save_writes_the_page(tmp_path):
    view = show(SIX_LEVELS_TEXT, six_level_claims())
    path = view.save(tmp_path / "v.html")
    assert path.read_text(encoding="utf-8") == view.html


def test_view_page_of_several_articles():
    one = show(SIX_LEVELS_TEXT, six_level_claims())
    two = ClaimView(text="No money.", claims=(), title="Second")
    markup = page_html([one, two], title="Two articles")
    assert markup.count('<div class="nc-view">') == 2
    assert "<title>Two articles</title>" in markup


def test_view_of_a_2000_word_article_is_fast():
    paragraph = SIX_LEVELS_TEXT
    n = 2000 // len(paragraph.split()) + 1
    text = "\n\n".join([paragraph] * n)
    assert len(text.split()) >= 2000
    claims = []
    for i in range(n):
        offset = i * (len(paragraph) + 2)
        for c in six_level_claims():
            span = (c.span[0] + offset, c.span[1] + offset)
            claims.append(c.model_copy(update={"span": span, "claim_id": f"{c.claim_id}-{i}"}))
    t0 = time.perf_counter()
    markup = show(text, claims).html
    elapsed = time.perf_counter() - t0
    assert len(_marks(markup)) == len(claims)
    assert elapsed < 0.5, f"show took {elapsed:.3f}s on {len(text.split())} words"
