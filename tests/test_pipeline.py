"""The Extractor: model choice, streaming order, long articles in chunks."""

import warnings
from pathlib import Path

import pytest

from extractor.errors import ModelError
from extractor.models import Article
from extractor.pipeline import BlankModelWarning, Extractor, load_model

ROOT = Path(__file__).resolve().parents[1]

PARAGRAPH = (
    "The ministry will spend £{n}bn on new rail lines in the north by 2030, officials said. "
    "Unemployment fell to 4.{n}% in the spring."
)


def test_pipeline_long_article_is_chunked_with_offsets_kept(blank_extractor):
    text = "\n\n".join(PARAGRAPH.format(n=n) for n in range(1, 40))
    article = Article(id="long", text=text, published="2025-01-01")
    whole = blank_extractor.extract(article)
    chunked = Extractor("blank")
    chunked.max_chars = 600  # far below the text's length: many chunks
    assert len(text) > 5 * chunked.max_chars
    parts = chunked.extract(article)
    assert len(parts) == 39
    assert [(c.span, c.figure.value) for c in parts] == [(c.span, c.figure.value) for c in whole]
    for claim in parts:
        start, end = claim.span
        assert text[start:end] == claim.figure.text


def test_pipeline_pipe_streams_in_input_order(blank_extractor):
    articles = [
        Article(id=f"a{n}", text=PARAGRAPH.format(n=n), published="2025-01-01") for n in range(1, 8)
    ]
    out = list(blank_extractor.pipe(iter(articles), batch_size=3))
    assert [a.id for a, _ in out] == [a.id for a in articles]
    assert all(len(claims) == 1 for _, claims in out)


def test_pipeline_unknown_model_is_a_clear_error():
    with pytest.raises(ModelError, match="cannot load spaCy pipeline 'no_such_pipeline_xyz'"):
        load_model("no_such_pipeline_xyz")


def test_pipeline_falls_back_to_blank_with_one_warning(monkeypatch):
    from extractor import pipeline

    monkeypatch.setattr(pipeline, "DEFAULT_MODELS", ("no_such_pipeline_a", "no_such_pipeline_b"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nlp = load_model(None)
    assert nlp.pipe_names == []
    blank = [w for w in caught if issubclass(w.category, BlankModelWarning)]
    assert len(blank) == 1
    assert "no trained English pipeline installed" in str(blank[0].message)


def test_pipeline_blank_model_still_reads_figures_and_dates(blank_extractor):
    article = Article(id="b", text=PARAGRAPH.format(n=2), published="2025-01-01")
    (claim,) = blank_extractor.extract(article)
    assert (claim.figure.value, claim.figure.unit) == (2e9, "GBP")
    assert claim.timeframe.deadline == "2030"


def test_pipeline_array_rulers_give_spacys_attributes(extractor):
    """newsclaims_attribute_ruler and newsclaims_lemmatizer replace spaCy's attribute ruler
    and rule lemmatizer in the Extractor's pipeline: every token gets the part of speech,
    tag, morphology, lemma and dependency label spaCy's own components give it, also where
    the ruler's two-token and dependency patterns apply."""
    import spacy

    from extractor.pipeline import DEFAULT_MODELS

    if "newsclaims_attribute_ruler" not in extractor.nlp.pipe_names:
        pytest.skip("no trained pipeline with a rule lemmatizer installed")
    plain = None
    for name in DEFAULT_MODELS:
        try:
            plain = spacy.load(name)
            break
        except OSError:
            continue
    assert plain is not None and "newsclaims_lemmatizer" not in plain.pipe_names
    assert "attribute_ruler" in plain.pipe_names and "lemmatizer" in plain.pipe_names
    plain.add_pipe("newsclaims_paragraphs", before="parser")  # the same sentences
    texts = [p.read_text() for p in sorted((ROOT / "fixtures" / "articles").glob("*.txt"))]
    texts.append(
        "Let's go. There is money, and there were plans.  Y'all gonna pay, ain't it?\n\n"
        "We gotta run; c'mon. He gets it and she got it. I'm sure they'll spend $5bn."
    )

    def attributes(nlp):
        return [
            [(t.pos_, t.tag_, str(t.morph), t.lemma_, t.dep_) for t in doc]
            for doc in nlp.pipe(texts)
        ]

    ours = attributes(extractor.nlp)
    assert sum(map(len, ours)) > 5000
    assert ours == attributes(plain)


def test_pipeline_array_rulers_memos_stay_bounded(extractor, monkeypatch):
    """A long feed keeps bringing new words: the stand-ins' memos start afresh at their
    limit instead of growing without end, and the attributes stay the same."""
    from extractor.components import lean

    if "newsclaims_attribute_ruler" not in extractor.nlp.pipe_names:
        pytest.skip("no trained pipeline with an attribute ruler installed")
    monkeypatch.setattr(lean, "MEMO_LIMIT", 5)
    ruler = extractor.nlp.get_pipe("newsclaims_attribute_ruler")
    lemmatizer = extractor.nlp.get_pipe("newsclaims_lemmatizer")
    text = "The ministers spent forty new grants on bridges, schools and hospitals."
    before = [(t.pos_, t.lemma_) for t in extractor.nlp(text)]
    ruler.memo.clear()
    lemmatizer.memo.clear()
    after = [(t.pos_, t.lemma_) for t in extractor.nlp(text)]
    assert len(ruler.memo) <= 5 and len(lemmatizer.memo) <= 5
    assert after == before
