"""HTML to Article: trafilatura's main-text extraction with metadata."""

import datetime as dt

from extractor.errors import InputError
from extractor.models import Article


def html_to_article(
    html: str | bytes,
    *,
    source: str,
    article_id: str | None = None,
    url: str | None = None,
    published: dt.date | None = None,
) -> Article:
    """Clean one HTML page into an Article (title, text, publication date, site, author).

    `published` is the fallback when the page gives no date. Raises InputError when the page
    has no extractable text.
    """
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    text = (doc.text if doc is not None else None) or ""
    if not text.strip():
        raise InputError(source, "no article text could be extracted from the HTML")
    page_date = _date(doc.date)
    title = doc.title or None
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    return Article(
        id=article_id or source,
        title=title,
        text=text,
        url=url or doc.url or None,
        published=page_date or published,
        published_source="metadata" if page_date else ("option" if published else None),
        site=doc.sitename or None,
        author=doc.author or None,
    )


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
