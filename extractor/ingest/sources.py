"""Sources: turn command-line arguments into work items, one per article.

An argument is one of
  * an http(s) URL: fetched once; an RSS/Atom feed or a sitemap expands into its entries,
    anything else is taken as an article page;
  * a directory: every *.html / *.htm file under it;
  * a file: *.html/*.htm (a page), *.jsonl/*.ndjson (article records, one JSON object a
    line), *.xml/*.rss/*.atom (a feed or sitemap saved to disk), anything else a list of
    URLs, one a line, '#' starting a comment.

Feeds are parsed by feedparser, given the bytes our safe fetcher read (never a URL or a path:
feedparser would fetch or open it itself). Sitemaps are read with lxml with entity resolution,
DTD loading and network access off. trafilatura's sitemap module is not used because it
fetches by itself and drops hosts without a registrable domain (IP addresses, intranet names).

Problems with one source or entry become `Failure`s in the stream; the rest goes on.
"""

import datetime as dt
import io
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from extractor.errors import InputError, NewsclaimsError
from extractor.ingest.fetch import Fetcher, FetchError, Response, gunzip_capped
from extractor.models import Article

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
LISTING_SUFFIXES = (".xml", ".rss", ".atom", ".gz")
MAX_SITEMAP_DEPTH = 3  # index -> sitemap -> (nested index): deeper nesting is a loop or abuse
MAX_SITEMAPS = 200
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"

Kind = Literal["url", "html_file", "article", "page"]
Stage = Literal["source", "fetch", "clean", "extract", "write"]


@dataclass(frozen=True)
class Item:
    """One article to process. `key` identifies it in the ledger (URL, file path, record id)."""

    key: str
    source: str
    kind: Kind
    url: str | None = None
    path: str | None = None
    article: Article | None = None
    response: Response | None = None  # a page already fetched while probing a source
    listed: dt.date | None = None  # date given by the feed or sitemap entry


@dataclass(frozen=True)
class Failure:
    """Something that could not become an article, as recorded in failures.jsonl."""

    key: str
    source: str
    stage: Stage
    reason: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "key": self.key,
            "source": self.source,
            "stage": self.stage,
            "reason": self.reason,
            "message": self.message,
        }


def is_url(spec: str) -> bool:
    return spec.lower().startswith(("http://", "https://"))


def iter_sources(
    specs: Iterable[str],
    *,
    fetcher: Fetcher | None,
    since: dt.date | None = None,
    published: dt.date | None = None,
) -> Iterator[Item | Failure]:
    """Items and failures for every argument, in argument order; duplicates are left to the
    caller (the ledger key makes them one)."""
    for spec in specs:
        try:
            if "://" in spec and not is_url(spec):
                yield Failure(spec, spec, "source", "scheme", "only http and https URLs are read")
            elif is_url(spec):
                yield from _url_source(spec, fetcher, since)
            else:
                yield from _path_source(spec, fetcher, since, published)
        except NewsclaimsError as e:
            reason = getattr(e, "reason", "input")
            yield Failure(spec, spec, "source", _reason(e, reason), str(e))


def _reason(error: Exception, fallback: str) -> str:
    if isinstance(error, FetchError):
        return error.reason
    return fallback if fallback in ("input", "parse") else "input"


def _need_fetcher(fetcher: Fetcher | None, spec: str) -> Fetcher:
    if fetcher is None:
        raise InputError(spec, "URLs need a fetcher (internal error: none given)")
    return fetcher


def _url_source(
    spec: str, fetcher: Fetcher | None, since: dt.date | None
) -> Iterator[Item | Failure]:
    try:
        response = _need_fetcher(fetcher, spec).fetch(spec, accept="any")
    except FetchError as e:
        # The argument itself is the article (or feed) that failed: record it under its URL.
        yield Failure(spec, spec, "fetch", e.reason, str(e))
        return
    kind = listing_kind(response.body)
    if kind is None:
        if response.content_type and response.content_type not in (
            "text/html",
            "application/xhtml+xml",
        ):
            yield Failure(
                spec,
                spec,
                "fetch",
                "content_type",
                f"{spec}: neither a page, a feed nor a sitemap "
                f"(Content-Type {response.content_type!r})",
            )
            return
        yield Item(key=spec, source=spec, kind="page", url=response.url, response=response)
        return
    yield from _expand_listing(spec, response.url, response.body, kind, fetcher, since, depth=0)


def listing_kind(body: bytes) -> Literal["feed", "sitemap"] | None:
    """'feed' for RSS/Atom/RDF, 'sitemap' for urlset/sitemapindex (plain or gzipped), else None."""
    if body[:2] == b"\x1f\x8b":
        return "sitemap"
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<urlset" in head or b"<sitemapindex" in head:
        return "sitemap"
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return "feed"
    return None


def _expand_listing(
    source: str,
    url: str,
    body: bytes,
    kind: Literal["feed", "sitemap"],
    fetcher: Fetcher | None,
    since: dt.date | None,
    depth: int,
) -> Iterator[Item | Failure]:
    if kind == "feed":
        entries = parse_feed(body, base_url=url, source=source)
        for link, date in entries:
            if since and date and date < since:
                continue
            yield Item(key=link, source=source, kind="url", url=link, listed=date)
        return
    yield from _walk_sitemaps(source, url, body, fetcher, since)


def parse_feed(body: bytes, *, base_url: str, source: str) -> list[tuple[str, dt.date | None]]:
    """(link, date) of each feed entry, via feedparser; relative links resolved against
    base_url. Raises InputError when the bytes are not a feed with entries."""
    import feedparser

    # A BytesIO, never str/bytes: feedparser treats a string as a URL or a file name.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": base_url})
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f": {problem}" if problem else ""
        raise InputError(source, f"the feed has no entries{detail}")
    out: list[tuple[str, dt.date | None]] = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            for candidate in entry.get("links", []):
                if candidate.get("href"):
                    link = candidate["href"]
                    break
        if not link or not is_url(link):
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        date = dt.date(*stamp[:3]) if stamp else None
        out.append((link, date))
    return out


def parse_sitemap(
    body: bytes, *, source: str
) -> tuple[list[tuple[str, dt.date | None]], list[str]]:
    """(page URLs with dates, child sitemap URLs) of a sitemap or sitemap index.

    The XML parser resolves no entities, loads no DTD and has no network access (XXE and
    'billion laughs' safe)."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as e:
        raise InputError(source, f"not a readable sitemap: {e}") from e
    if root is None:
        raise InputError(source, "not a readable sitemap: empty document")
    pages: list[tuple[str, dt.date | None]] = []
    children: list[str] = []
    for node in root:
        tag = node.tag if isinstance(node.tag, str) else ""
        local = tag.rsplit("}", 1)[-1]
        loc = _child_text(node, "loc")
        if not loc or not is_url(loc):
            continue
        date = _sitemap_date(
            _child_text(node, "lastmod")
            or _child_text(node.find(f"{NEWS_NS}news"), "publication_date")
        )
        if local == "sitemap":
            children.append(loc)
        elif local == "url":
            pages.append((loc, date))
    return pages, children


def _child_text(node: object, name: str) -> str | None:
    if node is None:
        return None
    for ns in (SITEMAP_NS, NEWS_NS, ""):
        child = node.find(f"{ns}{name}")  # type: ignore[attr-defined]
        if child is not None and child.text:
            return child.text.strip()
    return None


def _sitemap_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _walk_sitemaps(
    source: str, url: str, body: bytes, fetcher: Fetcher | None, since: dt.date | None
) -> Iterator[Item | Failure]:
    todo: list[tuple[str, bytes | None, int]] = [(url, body, 0)]
    seen: set[str] = set()
    while todo:
        current, data, depth = todo.pop(0)
        if current in seen:
            continue
        seen.add(current)
        if len(seen) > MAX_SITEMAPS:
            yield Failure(current, source, "source", "input", f"more than {MAX_SITEMAPS} sitemaps")
            return
        try:
            if data is None:
                data = _need_fetcher(fetcher, source).fetch(current, accept="listing").body
            if data[:2] == b"\x1f\x8b":
                limit = fetcher.settings.max_bytes if fetcher else 10_000_000
                data = gunzip_capped(data, limit, url=current)
            pages, children = parse_sitemap(data, source=current)
        except FetchError as e:
            yield Failure(current, source, "source", e.reason, str(e))
            continue
        except InputError as e:
            yield Failure(current, source, "source", "parse", str(e))
            continue
        for page, date in pages:
            if since and date and date < since:
                continue
            yield Item(key=page, source=source, kind="url", url=page, listed=date)
        if children and depth + 1 > MAX_SITEMAP_DEPTH:
            yield Failure(current, source, "source", "input", "sitemap indexes nested too deep")
            continue
        todo.extend((child, None, depth + 1) for child in children)


def _path_source(
    spec: str, fetcher: Fetcher | None, since: dt.date | None, published: dt.date | None
) -> Iterator[Item | Failure]:
    path = Path(spec)
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.suffix.lower() in HTML_SUFFIXES and p.is_file()
        )
        if not files:
            raise InputError(spec, "the directory holds no .html files")
        for file in files:
            yield Item(key=str(file.resolve()), source=spec, kind="html_file", path=str(file))
        return
    if not path.is_file():
        raise InputError(spec, "no such file or directory")
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        yield Item(key=str(path.resolve()), source=spec, kind="html_file", path=str(path))
    elif suffix in JSONL_SUFFIXES:
        yield from _jsonl_source(path, spec, since, published)
    elif suffix in LISTING_SUFFIXES:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gunzip_capped(
                data, fetcher.settings.max_bytes if fetcher else 10_000_000, url=spec
            )
        kind = listing_kind(data)
        if kind is None:
            raise InputError(spec, "neither an RSS/Atom feed nor a sitemap")
        try:
            yield from _expand_listing(spec, spec, data, kind, fetcher, since, depth=0)
        except InputError as e:
            yield Failure(spec, spec, "source", "parse", str(e))
    else:
        yield from _url_list(path, spec)


def _url_list(path: Path, spec: str) -> Iterator[Item | Failure]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise InputError(spec, f"a URL list must be UTF-8 text ({e.reason})") from e
    for number, line in enumerate(lines, 1):
        url = line.strip()
        if not url or url.startswith("#"):
            continue
        if not is_url(url):
            yield Failure(
                f"{spec}:{number}",
                spec,
                "source",
                "scheme",
                f"{spec}:{number}: {url[:80]!r} is not an http(s) URL",
            )
            continue
        yield Item(key=url, source=spec, kind="url", url=url)


def _jsonl_source(
    path: Path, spec: str, since: dt.date | None, published: dt.date | None
) -> Iterator[Item | Failure]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        yield from jsonl_items(
            enumerate(handle, 1), str(path.resolve()), spec, since=since, published=published
        )


def jsonl_items(
    lines: Iterable[tuple[int, str]],
    name: str,
    source: str,
    *,
    since: dt.date | None,
    published: dt.date | None,
) -> Iterator[Item | Failure]:
    """Items of numbered JSONL article records: a bad line is a parse Failure keyed
    `name:line`, an article is keyed `name#identity`; `since` drops older articles and
    `published` dates the undated ones. Shared by the default and the Dask engines."""
    from extractor.pipeline import article_from_dict

    for number, line in lines:
        if not line.strip():
            continue
        key = f"{name}:{number}"
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise InputError(source, "a record must be a JSON object", line=number)
            article = article_from_dict(data, source=source, line=number)
        except json.JSONDecodeError as e:
            yield Failure(key, source, "source", "parse", f"{source}:{number}: not JSON: {e.msg}")
            continue
        except InputError as e:
            yield Failure(key, source, "source", "parse", str(e))
            continue
        if since and article.published and article.published < since:
            continue
        if article.published is None and published is not None:
            article = article.model_copy(
                update={"published": published, "published_source": "option"}
            )
        yield Item(key=f"{name}#{article.identity}", source=source, kind="article", article=article)


def today() -> dt.date:
    """The fetch date used when a page has no date (UTC, so runs agree across time zones)."""
    return dt.datetime.fromtimestamp(time.time(), dt.UTC).date()
