"""A batch run where one article breaks the pipeline: that article is a recorded failure
and every other article is written (the run, and every rerun, goes on)."""

import json

import pytest
from spacy.language import Language

from extractor.batch import run
from extractor.pipeline import Extractor
from extractor.settings import load_settings


@Language.component("test_explodes_on_marker")
def _explodes(doc):
    if "EXPLODE" in doc.text:
        raise RuntimeError("a component failed on this article")
    return doc


@pytest.fixture
def fragile_extractor() -> Extractor:
    ex = Extractor("blank")
    ex.nlp.add_pipe("test_explodes_on_marker", first=True)
    return ex


@pytest.mark.parametrize("n_process", [1, 2])
def test_run_one_crashing_article_fails_alone(tmp_path, fragile_extractor, n_process):
    text = "Lisbon will spend €{n} billion on rail by 2030, the minister said."
    records = [
        {"id": "a1", "text": text.format(n=1), "published": "2025-01-01"},
        {"id": "a2", "text": "EXPLODE " + text.format(n=2), "published": "2025-01-01"},
        {"id": "a3", "text": text.format(n=3), "published": "2025-01-01"},
    ]
    dump = tmp_path / "dump.jsonl"
    dump.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "out"
    settings = load_settings(None)

    def run_dump():
        return run(
            [str(dump)],
            out,
            settings=settings,
            extractor=fragile_extractor,
            batch_size=8,
            n_process=n_process,
        )

    summary = run_dump()
    assert (summary.written, summary.failed) == (2, 1)
    claims = [
        json.loads(x)
        for f in sorted(out.glob("claims-*.jsonl"))
        for x in f.read_text().splitlines()
    ]
    assert sorted(c["article_id"] for c in claims) == ["a1", "a3"]
    failures = [json.loads(x) for x in (out / "failures.jsonl").read_text().splitlines()]
    assert len(failures) == 1
    assert failures[0]["stage"] == "extract"
    assert "a component failed on this article" in failures[0]["message"]
    # A rerun neither retries it by default nor stops on it.
    again = run_dump()
    assert (again.written, again.failed) == (2, 1)


@pytest.mark.parametrize("n_process", [1, 2])
def test_pipe_outcomes_gives_the_broken_article_its_error_in_order(fragile_extractor, n_process):
    from extractor.models import Article

    text = "Lisbon will spend €{n} billion on rail by 2030, the minister said."
    articles = [
        Article(id=f"a{n}", text=("EXPLODE " if n == 3 else "") + text.format(n=n))
        for n in range(1, 7)
    ]
    outcomes = list(fragile_extractor.pipe_outcomes(articles, batch_size=2, n_process=n_process))
    assert [a.id for a, _ in outcomes] == [a.id for a in articles]
    broken = [(a.id, o) for a, o in outcomes if isinstance(o, Exception)]
    assert [aid for aid, _ in broken] == ["a3"]
    assert "a component failed on this article" in str(broken[0][1])
    values = [o[0].figure.value for a, o in outcomes if not isinstance(o, Exception)]
    assert values == [n * 1e9 for n in (1, 2, 4, 5, 6)]
