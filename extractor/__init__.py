"""newsclaims: find every spending claim in news articles and return it as a checkable record.

Start with `extract(text, published="2025-06-05")`, or `Extractor()` to load the pipeline
once and `Extractor.pipe(articles)` to stream many articles.
"""

import logging

from extractor.errors import InputError, ModelError, NewsclaimsError, RuleFileError
from extractor.models import Article, Claim, Commitment, Figure, Level, Timeframe, Topic

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Claim",
    "Commitment",
    "Extractor",
    "Figure",
    "InputError",
    "Level",
    "ModelError",
    "NewsclaimsError",
    "RuleFileError",
    "Timeframe",
    "Topic",
    "__version__",
    "extract",
    "from_dataframe",
    "load_rules",
    "plot_timeline",
    "show",
    "to_dataframe",
    "track",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> object:
    # Lazy: importing the package must not load spaCy (CLI start-up, notebooks that only
    # want the models).
    if name in ("Extractor", "extract"):
        from extractor import pipeline

        return getattr(pipeline, name)
    if name == "load_rules":
        from extractor.rules import load_rules

        return load_rules
    if name == "show":
        from extractor.view import show

        return show
    if name in ("to_dataframe", "from_dataframe"):
        from extractor import frames

        return getattr(frames, name)
    if name == "plot_timeline":
        from extractor.plot import plot_timeline

        return plot_timeline
    if name == "track":
        from extractor.track import track

        return track
    raise AttributeError(f"module 'extractor' has no attribute {name!r}")
