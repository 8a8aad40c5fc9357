"""Sources (feeds, sitemaps, files, URL lists, JSONL) and cleaning, on the local test server."""

import datetime as dt
import gzip
import json
import time
from pathlib import Path

import pytest

from extractor.errors import InputError
from extractor.ingest import article_from_url
from extractor.ingest.clean import (
    CleanerPool,
    EmptyArticle,
    ExtractionTimeout,
    html_to_article,
)
from extractor.ingest.fetch import Fetcher, FetchError
from extractor.ingest.sources import Failure, Item, iter_sources, parse_feed, parse_sitemap
from extractor.settings import Settings

pytest_plugins = ["webserver"]

WEB = Path(__file__).parent / "data" / "web"


@pytest.fixture
def settings() -> Settings:
    return Settings(allow_private=True, per_host_delay=0, read_timeout=2, total_timeout=3)


@pytest.fixture
def fetcher(settings):
    with Fetcher(settings) as f:
        yield f


def expand(specs, fetcher, **kwargs) -> tuple[list[Item], list[Failure]]:
    out = list(iter_sources(specs, fetcher=fetcher, **kwargs))
    return [o for o in out if isinstance(o, Item)], [o for o in out if isinstance(o, Failure)]


def test_rss_feed_expands_to_its_entries(fetcher, web):
    items, failures = expand([web.url("feed.rss")], fetcher)
    assert failures == []
    assert [i.url for i in items] == [
        web.url("news/defence-budget.html"),
        web.url("news/hospital-fund.html"),
        web.url("news/old-story.html"),
        web.url("news/undated-aid.html"),
    ]
    assert items[0].listed == dt.date(2025, 3, 14)
    assert items[3].listed is None
    assert {i.kind for i in items} == {"url"}
    assert {i.source for i in items} == {web.url("feed.rss")}
    # Only the feed itself (and robots.txt) was fetched: entries are fetched later.
    assert sorted(web.requests) == ["/feed.rss", "/robots.txt"]


def test_atom_feed_relative_links_resolved(fetcher, web):
    items, failures = expand([web.url("atom.xml")], fetcher)
    assert failures == []
    assert [i.url for i in items] == [
        web.url("news/school-repairs.html"),
        web.url("news/rail-upgrade.html"),
    ]
    assert [i.listed for i in items] == [dt.date(2025, 5, 2), dt.date(2025, 1, 9)]


def test_since_skips_older_feed_entries_but_keeps_undated(fetcher, web):
    items, _ = expand([web.url("feed.rss")], fetcher, since=dt.date(2025, 1, 1))
    assert [i.url for i in items] == [
        web.url("news/defence-budget.html"),
        web.url("news/undated-aid.html"),
    ]


def test_sitemap_index_walks_child_sitemaps(fetcher, web):
    items, failures = expand([web.url("sitemap.xml")], fetcher, since=dt.date(2020, 1, 1))
    assert failures == []
    assert [i.url for i in items] == [
        web.url("news/defence-budget.html"),
        web.url("news/school-repairs.html"),
        web.url("news/rail-upgrade.html"),
        web.url("private/secret.html"),  # undated: kept; robots.txt stops it at fetch time
    ]
    assert items[1].listed == dt.date(2025, 5, 2)  # from news:publication_date


def test_feed_and_sitemap_entities_are_not_resolved(fetcher, web):
    secret = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else None
    feed_items, _ = expand([web.url("xxe-feed.rss")], fetcher)
    map_items, _ = expand([web.url("xxe-sitemap.xml")], fetcher)
    assert len(feed_items) <= 1
    assert len(map_items) >= 1
    for item in feed_items + map_items:
        assert "etc/hostname" not in item.url
        if secret:
            assert secret not in item.url


def test_parse_sitemap_on_billion_laughs_stays_small():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8)
        )
        + b']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>http://example.org/&i;</loc></url></urlset>"
    )
    started = time.monotonic()
    pages, children = parse_sitemap(laughs, source="laughs.xml")
    assert time.monotonic() - started < 1
    assert children == []
    assert all(len(url) < 1000 for url, _ in pages)


def test_page_url_on_the_command_line_is_fetched_once_and_kept(fetcher, web):
    items, failures = expand([web.url("news/defence-budget.html")], fetcher)
    assert failures == []
    assert len(items) == 1
    assert items[0].kind == "page"
    assert items[0].response is not None


def test_failing_source_url_is_a_failure_not_an_exception(fetcher, web):
    items, failures = expand([web.url("status/404"), web.url("feed.rss")], fetcher)
    assert len(items) == 4
    assert len(failures) == 1
    assert (failures[0].stage, failures[0].reason) == ("fetch", "status")


def test_broken_feed_is_a_source_failure(fetcher, tmp_path):
    bad = tmp_path / "broken.rss"
    bad.write_text("<rss><channel><title>nothing here</title></channel></rss>")
    items, failures = expand([str(bad)], fetcher)
    assert items == []
    assert len(failures) == 1
    assert failures[0].reason == "parse"
    assert str(bad) in failures[0].message


def test_local_files_directories_url_lists(tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "# morning list\nhttps://example.org/a\n\nftp://example.org/b\nhttps://example.org/a\n"
    )
    items, failures = expand([str(WEB / "news"), str(urls), "missing.html"], None)
    html = [i for i in items if i.kind == "html_file"]
    assert len(html) == len(list((WEB / "news").glob("*.html")))
    assert [i.url for i in items if i.kind == "url"] == ["https://example.org/a"] * 2
    assert [(f.reason, f.key) for f in failures] == [
        ("scheme", f"{urls}:4"),
        ("input", "missing.html"),
    ]


def test_gzipped_sitemap_file(tmp_path, web):
    data = (WEB / "sitemap-news.xml").read_bytes().replace(b"{{base}}", web.base.encode())
    path = tmp_path / "sitemap.xml.gz"
    path.write_bytes(gzip.compress(data))
    items, failures = expand([str(path)], None)
    assert failures == []
    assert len(items) == 5


def test_jsonl_dump_records_and_bad_lines(tmp_path):
    dump = tmp_path / "dump.jsonl"
    lines = [
        {"id": "a1", "text": "The council will spend $3m on parks.", "published": "2025-04-01"},
        {"id": "a2", "text": "Old news about $1m.", "published": "2018-01-01"},
        "not json",
        {"text": "no id"},
        {"id": "a3", "text": "Undated: the mayor wants $2m."},
    ]
    dump.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    items, failures = expand(
        [str(dump)], None, since=dt.date(2020, 1, 1), published=dt.date(2025, 6, 1)
    )
    assert [i.article.id for i in items] == ["a1", "a3"]
    assert items[1].article.published == dt.date(2025, 6, 1)
    assert items[1].article.published_source == "option"
    assert [f.reason for f in failures] == ["parse", "parse"]
    assert f"{dump}:3" in failures[0].message
    assert f"{dump}:4" in failures[1].message


def test_parse_feed_refuses_non_feed():
    with pytest.raises(InputError):
        parse_feed(b"<html><body>hello</body></html>", base_url="http://x/", source="x")


# --- cleaning --------------------------------------------------------------------------------


EMPTY = "<html><head><title>x</title></head><body><script>var a = 1;</script></body></html>"
# 20,000 paragraphs: trafilatura needs about 2 s on this machine, far over 0.2 s.
HEAVY = (
    "<html><body><article>"
    + "".join(
        f"<p>Paragraph {i} says the council will spend {i} dollars on roads.</p>"
        for i in range(20000)
    )
    + "</article></body></html>"
)


def page(name: str) -> str:
    return (WEB / "news" / name).read_text(encoding="utf-8")


def test_html_to_article_uses_page_metadata():
    article = html_to_article(
        page("defence-budget.html"), source="t", url="https://example.org/d",
        published=dt.date(2020, 1, 1), fetched=dt.date(2025, 9, 9),
    )  # fmt: skip
    assert article.title == "Ministers promise £4bn more for the armed forces"
    assert article.published == dt.date(2025, 3, 14)
    assert article.published_source == "metadata"
    assert article.site == "Harbour Gazette"
    assert article.author == "Priya Caldwell"
    assert "Cookie settings" not in article.text


@pytest.mark.parametrize(
    ("published", "fetched", "expected", "source"),
    [
        (dt.date(2025, 6, 1), dt.date(2025, 9, 9), dt.date(2025, 6, 1), "option"),
        (None, dt.date(2025, 9, 9), dt.date(2025, 9, 9), "fetch_date"),
        (None, None, None, None),
    ],
    ids=["option", "fetch-date", "none"],
)
def test_undated_page_falls_back(published, fetched, expected, source):
    article = html_to_article(
        page("undated-aid.html"), source="t", published=published, fetched=fetched
    )
    assert article.published == expected
    assert article.published_source == source


def test_empty_page_is_an_input_error():
    with pytest.raises(EmptyArticle):
        html_to_article(EMPTY, source="empty.html")


def test_cleaner_pool_kills_a_worker_past_the_timeout_and_recovers():
    html = page("defence-budget.html")
    with CleanerPool(1, timeout=30) as pool:
        ok = pool.clean(html, source="first")
        assert ok.title
        pool.timeout = 0.2
        started = time.monotonic()
        with pytest.raises(ExtractionTimeout) as info:
            pool.clean(HEAVY, source="slow-one")
        assert time.monotonic() - started < 1.5
        assert "slow-one" in str(info.value)
        pool.timeout = 30
        again = pool.clean(html, source="after")
        assert again.text == ok.text


def test_cleaner_pool_reports_empty_pages_by_type():
    with CleanerPool(1, timeout=30) as pool, pytest.raises(EmptyArticle):
        pool.clean(EMPTY, source="empty")


def test_article_from_url(web):
    settings = Settings(allow_private=True, per_host_delay=0)
    article = article_from_url(web.url("redirect/1/news/hospital-fund.html"), settings=settings)
    assert article.url == web.url("news/hospital-fund.html")
    assert article.published == dt.date(2024, 11, 20)
    assert "£600m" in article.text
    undated = article_from_url(
        web.url("news/undated-aid.html"), settings=settings, published=dt.date(2025, 2, 3)
    )
    assert (undated.published, undated.published_source) == (dt.date(2025, 2, 3), "option")


def test_article_from_url_refuses_private_by_default(web):
    with pytest.raises(FetchError) as info:
        article_from_url(web.url("news/hospital-fund.html"), settings=Settings())
    assert info.value.reason == "blocked_address"
