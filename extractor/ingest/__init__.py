"""Input side: reading sources (files, URLs, feeds, sitemaps), safe fetching and cleaning.

Nothing here parses language; everything here yields `Article`s.

    from extractor.ingest import article_from_url
    from extractor.settings import Settings
    article = article_from_url("https://example.org/news/1", settings=Settings())
"""

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extractor.ingest.clean import CleanerPool
    from extractor.ingest.fetch import Response
    from extractor.models import Article
    from extractor.settings import Settings

__all__ = ["article_from_response", "article_from_url"]


def article_from_response(
    response: "Response",
    *,
    settings: "Settings",
    cleaner: "CleanerPool",
    article_id: str | None = None,
    published: dt.date | None = None,
) -> "Article":
    """Clean a fetched page in a killable worker. The article's url is the final URL after
    redirects; its date is the page's, else `published`, else the fetch date (UTC)."""
    return cleaner.clean(
        response.text(),
        source=response.url,
        article_id=article_id or response.url,
        url=response.url,
        published=published,
        fetched=response.fetched_at.date(),
        max_chars=settings.max_article_chars,
    )


def article_from_url(
    url: str, *, settings: "Settings | None" = None, published: dt.date | None = None
) -> "Article":
    """Fetch one page safely (SSRF guard, size cap, timeouts, robots.txt) and clean it.

    settings=None means the defaults with NEWSCLAIMS_* environment overrides. Raises
    FetchError (an InputError whose `.reason` is one of FETCH_REASONS) when the page cannot be
    fetched, another InputError when no article text can be extracted or cleaning exceeds
    settings.extraction_timeout.
    """
    from extractor.ingest.clean import CleanerPool
    from extractor.ingest.fetch import Fetcher
    from extractor.settings import load_settings

    if settings is None:
        settings = load_settings()

    with Fetcher(settings) as fetcher:
        response = fetcher.fetch(url, accept="html")
    with CleanerPool(1, timeout=settings.extraction_timeout) as cleaner:
        return article_from_response(
            response, settings=settings, cleaner=cleaner, article_id=url, published=published
        )
