"""Shared fixtures: one trained Extractor per session (loading the model costs ~2 s), and a
blank English pipeline with the newsclaims components for rule-only tests."""

import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def extractor():
    from extractor.pipeline import Extractor

    return Extractor()


@pytest.fixture(scope="session")
def blank_extractor():
    import warnings

    from extractor.pipeline import Extractor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Extractor("blank")


@pytest.fixture(scope="session")
def run(extractor):
    """Process one text with the trained pipeline and return the Doc."""

    def _run(text: str, published: str = "2025-06-05", ex=None):
        from extractor.models import Article

        ex = ex or extractor
        article = Article(id="t", text=text, published=dt.date.fromisoformat(published))
        return ex.nlp(ex._make_doc(article, text, 0))

    return _run


@pytest.fixture(scope="session")
def claims_of(extractor):
    """The claims of one text, keyed by figure text."""

    def _claims(text: str, published: str = "2025-06-05"):
        from extractor.pipeline import extract

        return {c.figure.text: c for c in extract(text, published=published)}

    return _claims
