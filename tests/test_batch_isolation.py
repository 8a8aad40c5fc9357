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


def test_run_one_crashing_article_fails_alone(tmp_path, fragile_extractor):
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
    summary = run([str(dump)], out, settings=settings, extractor=fragile_extractor, batch_size=8)
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
    again = run([str(dump)], out, settings=settings, extractor=fragile_extractor, batch_size=8)
    assert (again.written, again.failed) == (2, 1)
