"""The candidate prefilter and the fast Extractor path: same claims as the full pipeline."""

import json
import multiprocessing
from pathlib import Path

import pytest

from extractor.components import sentence_spans
from extractor.components.context import context_spans
from extractor.components.figures import TextOnly
from extractor.errors import InputError
from extractor.models import Article
from extractor.prefilter import PAD_WORDS, region

ROOT = Path(__file__).resolve().parents[1]
BBC = ROOT.parent / "shared" / "external" / "bbc.jsonl"

TEXT = (
    "Ministers met in Leeds on Monday to discuss the railways and the weather.\n\n"
    "The Transport Secretary, Ann Marsh, said the government would spend £4bn on new lines "
    "by 2030.\n\n"
    "Critics said the plan came too late for the towns that had lost their stations decades "
    "ago and would not help commuters this winter.\n\n"
    "The weather was cold."
)


def fixture_articles() -> list[Article]:
    out = []
    for gold in sorted((ROOT / "fixtures" / "articles").glob("*.json")):
        data = json.loads(gold.read_text())
        text = (gold.parent / data["text"]).read_text()
        out.append(Article(id=data["id"], text=text, published=data.get("published")))
    return out


def claims_json(pairs) -> list[list[dict]]:
    return [[c.model_dump(mode="json") for c in claims] for _, claims in pairs]


def context_of(text: str, figures: list[str]) -> list[tuple[int, int]]:
    return context_spans(text, sentence_spans(text), [text.index(f) for f in figures])


def test_prefilter_region_keeps_offsets_and_blanks_the_rest():
    context = context_of(TEXT, ["£4bn"])
    r = region(TEXT, context)
    assert len(r.text) == len(TEXT)
    assert r.text.count("\n") == TEXT.count("\n")
    assert len(r.spans) == 1
    (s, e) = r.spans[0]
    assert r.text[s:e] == TEXT[s:e]
    assert r.text[TEXT.index("£4bn") :].startswith("£4bn")
    # The figure's sentence, the last PAD_WORDS words before it and the first after.
    before = TEXT.split("\n\n")[0].split()
    after = TEXT.split("\n\n")[2].split()
    kept = r.text.split()
    assert kept[:PAD_WORDS] == before[-PAD_WORDS:]
    assert kept[-PAD_WORDS:] == after[:PAD_WORDS]
    assert "weather" not in r.text.split("\n\n")[-1]
    assert set(r.text[:s]) <= {" ", "\n"} and set(r.text[e:]) <= {" ", "\n"}


def test_prefilter_region_merges_neighbouring_sentences():
    text = (
        "A paid 5% more. B paid 6% more.\n\n"
        "Nothing here at all, none whatsoever, nothing more to read."
    )
    r = region(text, context_of(text, ["5%", "6%"]))
    assert len(r.spans) == 1
    assert r.text.startswith("A paid 5% more. B paid 6% more.\n\nNothing here at all")
    tail = text.split("\n\n")[-1]
    padding = " ".join(tail.split(" ")[:PAD_WORDS])
    assert r.text.rstrip().endswith(padding)


def test_sentences_are_split_from_the_text_alone():
    text = (
        'Gov. Daniel Moreno spoke. He said "No." Then R. Palanisamy left the U.S. Navy. '
        "See No. 10 today. It fell 3%. 4% rose.\nA headline\nBody text (with a bracket.) Next"
    )
    got = [text[s:e].strip() for s, e in sentence_spans(text)]
    assert got == [
        "Gov. Daniel Moreno spoke.",
        'He said "No."',
        "Then R. Palanisamy left the U.S. Navy.",
        "See No. 10 today.",
        "It fell 3%.",
        "4% rose.",
        "A headline",
        "Body text (with a bracket.)",
        "Next",
    ]


def test_the_pipeline_splits_sentences_as_the_text_rule(blank_extractor):
    text = "The minister spoke. She said £4bn would go to rail.\nA new line. It was late."
    doc = blank_extractor.nlp(text)
    assert [(s.start_char, s.text.strip()) for s in doc.sents] == [
        (s, text[s:e].strip()) for s, e in sentence_spans(text)
    ]


def test_context_is_the_figure_sentence_and_before_a_pronoun_back_to_a_name():
    text = "Ann Marsh is the minister. She said £4bn would go to rail. Rail fares rose."
    assert [text[s:e].strip() for s, e in context_of(text, ["£4bn"])] == [
        "Ann Marsh is the minister. She said £4bn would go to rail."
    ]
    # Back past a sentence that names no one, to the one that does.
    text = "Ms Castell met Tom Aldridge. He warned of delays. She said £4bn would go to rail."
    assert [text[s:e].strip() for s, e in context_of(text, ["£4bn"])] == [text]
    plain = "Ann Marsh is the minister. Ministers said £4bn would go to rail. Fares rose."
    assert [plain[s:e].strip() for s, e in context_of(plain, ["£4bn"])] == [
        "Ministers said £4bn would go to rail."
    ]


def test_context_leaves_out_sentences_whose_figures_cannot_be_claims(blank_extractor):
    figures = blank_extractor.nlp.get_pipe("newsclaims_figures")
    text = (
        "Profits rose 5% last year.\n\nInflation fell to 2.1% in May.\n\n"
        "The council will spend £4m on new schools.\n\nTickets cost £15 each."
    )
    assert [text[s:e].strip() for s, e in figures.plan(text)] == [
        "The council will spend £4m on new schools."
    ]
    assert figures.plan("Profits rose 5% and inflation fell to 2.1%.") == []
    assert figures.plan("No figures here.") == []


def test_context_holds_a_whole_quotation_and_its_lead_in():
    text = (
        "Nothing else happened.\n\nThe minister said:\n\n"
        "\u201cWe will build lines. The plan spends \u00a34bn on them.\n\n"
        "\u201cAnd stations too,\u201d she added.\n\nThe weather was cold."
    )
    got = [text[s:e].strip() for s, e in context_of(text, ["£4bn"])]
    assert got == [
        "The minister said:\n\n\u201cWe will build lines. The plan spends \u00a34bn on them."
        "\n\n\u201cAnd stations too,\u201d she added."
    ]


def test_claims_from_the_context_only_equal_the_whole_article(extractor):
    """A quotation over paragraphs, a pronoun, a surname given in full earlier, a main
    actor named elsewhere: every path through the context gives the whole run's claims."""
    from extractor.pipeline import Extractor

    text = (
        "Rail plan for the north\n\n"
        "The Transport Secretary, Ann Marsh, visited Leeds on Monday. Officials in Leeds "
        "welcomed the visit, and the weather was fine.\n\n"
        "Marsh said the government would spend \u00a34bn on new lines by 2030.\n\n"
        "Critics were unconvinced. She later said a further 2% of the transport budget "
        "would go to stations.\n\n"
        "\u201cWe will not stop there. Another \u00a3500m will follow next year.\n\n"
        "\u201cThe north deserves it,\u201d she told reporters.\n\nThe weather was cold."
    )
    article = Article(id="rail", text=text, published="2025-03-03")
    naive = Extractor(extractor.nlp, prefilter=False)
    fast = Extractor(extractor.nlp)
    want = [c.model_dump(mode="json") for c in naive.extract(article)]
    got = [c.model_dump(mode="json") for c in fast.extract(article)]
    assert len(want) == 3
    assert got == want
    assert fast.stats["regions"] == 1 and fast.stats["kept"] < len(text)
    assert {c["speaker"] for c in got} == {"Ann Marsh"}


def test_prefilter_figures_come_from_the_figures_component(blank_extractor):
    figures = blank_extractor.nlp.get_pipe("newsclaims_figures")
    assert [m.start for m in figures.match(TextOnly(TEXT))] == [TEXT.index("£4bn")]
    assert figures.match(TextOnly("No figures here, only words.")) == []


def test_prefilter_text_without_figures_skips_the_model(blank_extractor):
    from extractor.pipeline import Extractor

    ex = Extractor(blank_extractor.nlp)
    article = Article(id="n", text="Nothing to see: the council met and adjourned.")
    assert ex.extract(article) == []
    assert ex.stats["skipped"] == 1 and ex.stats["full"] == 0


def test_prefilter_empty_text_is_still_an_input_error(blank_extractor):
    with pytest.raises(InputError, match="empty"):
        blank_extractor.extract(Article(id="e", text="  \n "))


def test_prefilter_same_claims_as_full_pipeline_on_fixtures(extractor):
    from extractor.pipeline import Extractor

    articles = fixture_articles()
    assert len(articles) >= 10
    naive = Extractor(extractor.nlp, prefilter=False)
    fast = Extractor(extractor.nlp)
    want = claims_json(naive.pipe(articles))
    got = claims_json(fast.pipe(articles, batch_size=4))
    assert sum(map(len, want)) > 50
    assert got == want


@pytest.mark.skipif(not BBC.exists(), reason="../shared/external/bbc.jsonl is not present")
def test_prefilter_same_claims_as_full_pipeline_on_real_news(extractor):
    from spacy.util import raise_error

    from extractor.bench import set_rule_error_handler
    from extractor.pipeline import Extractor, article_from_dict

    lines = BBC.read_text(encoding="utf-8").splitlines()[::45]
    articles = [article_from_dict(json.loads(ln), source="bbc") for ln in lines]
    assert len(articles) >= 40
    naive = Extractor(extractor.nlp, prefilter=False)
    fast = Extractor(extractor.nlp)
    # A rule that fails on an article must fail the same way on both paths.
    set_rule_error_handler(extractor.nlp, lambda name, proc, docs, e: None)
    try:
        want = claims_json(naive.pipe(articles))
        got = claims_json(fast.pipe(articles))
    finally:
        set_rule_error_handler(extractor.nlp, raise_error)
    assert fast.stats["skipped"] > 0  # real news: many articles hold no figure at all
    assert got == want


def test_prefilter_two_processes_same_claims_in_order_and_workers_start_once(blank_extractor):
    articles = fixture_articles()[:8]
    want = claims_json(blank_extractor.pipe(articles, batch_size=1))
    pids: set[int] = set()
    out = []
    for pair in blank_extractor.pipe(articles, batch_size=1, n_process=2):
        pids.update(p.pid for p in multiprocessing.active_children())
        out.append(pair)
    assert [a.id for a, _ in out] == [a.id for a in articles]
    assert claims_json(out) == want
    assert len(pids) == 2  # the same two workers for all eight batches
    assert multiprocessing.active_children() == []


def test_prefilter_two_processes_read_the_input_in_the_callers_thread(blank_extractor):
    import threading

    threads: set[int] = set()

    def articles():
        for article in fixture_articles():
            threads.add(threading.get_ident())
            yield article

    out = list(blank_extractor.pipe(articles(), batch_size=4, n_process=2))
    assert len(out) == len(fixture_articles())
    assert threads == {threading.get_ident()}


def test_prefilter_two_processes_raise_errors_in_their_turn(blank_extractor):
    good = [Article(id=f"g{n}", text=f"The city will spend £{n + 1}m on parks.") for n in range(6)]
    bad = Article.model_construct(id="empty", text="   ", title=None, published=None, url=None)
    got = []
    with pytest.raises(InputError, match="empty: the article text is empty"):
        for article, _ in blank_extractor.pipe([*good, bad], batch_size=2, n_process=2):
            got.append(article.id)
    assert got == [a.id for a in good]  # everything before the bad batch came out first


def test_prefilter_worker_errors_reach_the_caller():
    import spacy
    from spacy.language import Language

    from extractor.pipeline import Extractor

    @Language.component("test_boom")
    def boom(doc):
        if "BOOM" in doc.text:
            raise ValueError("boom in the model")
        return doc

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("test_boom")
    ex = Extractor(nlp)
    articles = [Article(id="a", text="They spend £5m."), Article(id="b", text="BOOM: £6m.")]
    with pytest.raises(ValueError, match="boom in the model"):
        list(ex.pipe(articles, batch_size=1, n_process=2))
    assert multiprocessing.active_children() == []


def test_prefilter_pipe_reads_its_input_lazily(blank_extractor):
    taken = 0

    def articles():
        nonlocal taken
        for n in range(1000):
            taken += 1
            yield Article(id=f"a{n}", text=f"The council will spend £{n + 1}m on roads.")

    for n_process in (1, 2):
        taken = 0
        stream = blank_extractor.pipe(articles(), batch_size=5, n_process=n_process)
        next(stream)
        assert taken <= 5 * (2 * n_process + 2)
        stream.close()


def test_model_on_numpy_blas_annotates_exactly_as_spacy_default():
    """The Extractor builds the trained layers on numpy's BLAS (one thread), not blis: every
    tag, lemma, parse and entity must be the same as spaCy's default load."""
    import spacy

    from extractor.pipeline import DEFAULT_MODELS, _one_blas_thread, load_model

    name = next((n for n in DEFAULT_MODELS if spacy.util.is_package(n)), None)
    if name is None:
        pytest.skip("no trained English pipeline installed")
    default = spacy.load(name)
    ours = load_model(name)
    assert ours.get_pipe("tok2vec").model.ops.use_blis is False
    assert default.get_pipe("tok2vec").model.ops.use_blis is True
    texts = [a.text for a in fixture_articles()]

    def annotations(nlp) -> list:
        with _one_blas_thread():
            docs = list(nlp.pipe(texts))
        return [
            [(t.tag_, t.pos_, t.lemma_, t.dep_, t.head.i, t.ent_iob_, t.ent_type_) for t in d]
            for d in docs
        ]

    assert sum(map(len, annotations(default))) > 5000
    assert annotations(ours) == annotations(default)
