"""Safe fetching against a real HTTP server on 127.0.0.1 (tests/webserver.py)."""

import socket
import time
import tracemalloc

import pytest

from extractor.ingest.fetch import (
    FETCH_REASONS,
    Fetcher,
    FetchError,
    decode_html,
    gunzip_capped,
    is_public_address,
)
from extractor.settings import Settings

pytest_plugins = ["webserver"]

CAP = 1_000_000
LIE = "<p>The mayor said: “We’ll find £5m for the café and the théâtre,” on Tuesday.</p>".encode(
    "cp1252"
)


@pytest.fixture
def settings() -> Settings:
    return Settings(
        allow_private=True,
        per_host_delay=0,
        connect_timeout=2,
        read_timeout=1,
        total_timeout=2,
        max_bytes=CAP,
    )


@pytest.fixture
def fetcher(settings: Settings):
    with Fetcher(settings) as f:
        yield f


def only_test_server(address: str) -> bool:
    """Admit the test server's own address, refuse every other non-public one."""
    return address == "127.0.0.1" or is_public_address(address)


@pytest.fixture
def guarded(settings: Settings):
    """A fetcher as in production (private addresses refused) that may reach the test server."""
    strict = settings.model_copy(update={"allow_private": False})
    fake_dns = {"metadata.test": ["169.254.169.254"], "mixed.test": ["93.184.216.34", "10.0.0.7"]}

    def resolver(host: str, port: int) -> list[str]:
        if host in fake_dns:
            return fake_dns[host]
        if host.endswith(".test"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]

    with Fetcher(strict, resolver=resolver, address_allowed=only_test_server) as f:
        yield f


def reason_of(fetcher: Fetcher, url: str, **kwargs) -> str:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url, **kwargs)
    assert info.value.reason in FETCH_REASONS
    assert url in str(info.value)
    return info.value.reason


def test_fetch_article_page(fetcher, web):
    response = fetcher.fetch(web.url("news/defence-budget.html"))
    assert response.status == 200
    assert response.content_type == "text/html"
    assert "Ministers promise £4bn more" in response.text()
    assert response.redirects == ()


def test_fetch_sends_a_real_user_agent_and_reads_robots_once(fetcher, web):
    fetcher.fetch(web.url("news/defence-budget.html"))
    fetcher.fetch(web.url("news/school-repairs.html"))
    assert web.hits("/robots.txt") == 1
    assert len(web.agents) == 3
    assert all(a.startswith("newsclaims/") for a in web.agents)


def test_fetch_follows_redirects_and_reports_the_final_url(fetcher, web):
    response = fetcher.fetch(web.url("redirect/3/news/school-repairs.html"))
    assert response.url == web.url("news/school-repairs.html")
    assert len(response.redirects) == 3
    assert "school repairs" in response.text()


def test_fetch_gives_up_after_max_redirects(settings, web):
    with Fetcher(settings.model_copy(update={"max_redirects": 2})) as f:
        assert reason_of(f, web.url("redirect/3/news/school-repairs.html")) == "redirects"
        assert f.fetch(web.url("redirect/2/news/school-repairs.html")).status == 200
    with Fetcher(settings) as f:
        assert reason_of(f, web.url("redirect-loop")) == "redirects"


def test_private_addresses_refused_by_default_before_any_request(web):
    with Fetcher(Settings(per_host_delay=0)) as strict:
        assert reason_of(strict, web.url("news/defence-budget.html")) == "blocked_address"
    assert web.requests == []


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.2:{port}/news/defence-budget.html",
        "http://[::1]:{port}/news/defence-budget.html",
        "http://[::ffff:127.0.0.1]:{port}/news/defence-budget.html",
        "http://192.168.1.1/",
        "http://0.0.0.0:{port}/",
        "http://metadata.test/computeMetadata/v1/",
        "http://mixed.test/",
    ],
    ids=["10/8", "cloud-metadata", "loopback", "ipv6-loopback", "v4-mapped", "192.168", "zero",
         "dns-to-link-local", "one-private-answer"],
)  # fmt: skip
def test_redirect_to_private_address_refused(guarded, web, target):
    port = web.base.rsplit(":", 1)[1]
    target = target.format(port=port)
    url = web.url(f"redirect-to?url={target}")
    with pytest.raises(FetchError) as info:
        guarded.fetch(url)
    assert info.value.reason == "blocked_address"
    assert info.value.url == target
    # The refused hop was never requested: the only hits are robots.txt and the redirect.
    hits = [p for p in web.requests if p != "/robots.txt"]
    assert len(hits) == 1
    assert hits[0].startswith("/redirect-to?url=")


def test_guarded_fetcher_still_reaches_the_allowed_server(guarded, web):
    assert guarded.fetch(web.url("redirect/1/news/rail-upgrade.html")).status == 200


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/"])
def test_redirect_to_other_scheme_refused(fetcher, web, target):
    with pytest.raises(FetchError) as info:
        fetcher.fetch(web.url(f"redirect-to?url={target}"))
    assert info.value.reason == "scheme"


def test_unknown_host_is_a_dns_failure(guarded):
    assert reason_of(guarded, "http://no-such-host.test/news") == "dns"


def test_closed_port_is_a_connection_failure(fetcher):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert reason_of(fetcher, f"http://127.0.0.1:{port}/x") == "connection"


def test_gzip_bomb_stops_at_the_cap_with_flat_memory(fetcher, web):
    web.bomb()  # build the 1 GiB bomb before timing the fetch
    tracemalloc.start()
    try:
        started = time.monotonic()
        assert reason_of(fetcher, web.url("gzip-bomb")) == "too_large"
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * CAP, f"peak {peak} bytes while reading a 1 GiB bomb with a {CAP} cap"
    assert elapsed < 2


def test_endless_body_stops_at_the_cap(fetcher, web):
    assert reason_of(fetcher, web.url("endless")) == "too_large"


def test_gzipped_page_is_decoded(fetcher, web):
    response = fetcher.fetch(web.url("gzip-page/news/hospital-fund.html"))
    assert "Hospital fund doubled to £600m" in response.text()


def test_slow_server_times_out(fetcher, web):
    started = time.monotonic()
    assert reason_of(fetcher, web.url("slow")) == "timeout"
    assert time.monotonic() - started < 2.5


def test_trickling_body_hits_the_total_timeout(fetcher, web):
    started = time.monotonic()
    assert reason_of(fetcher, web.url("trickle")) == "timeout"
    assert time.monotonic() - started < 4  # total_timeout 2 s + at most one read_timeout


@pytest.mark.parametrize("path", ["image.png", "data.json", "page.pdf"])
def test_wrong_content_type_refused_for_articles(fetcher, web, path):
    assert reason_of(fetcher, web.url(path)) == "content_type"


@pytest.mark.parametrize("code", [404, 500, 403])
def test_http_errors(fetcher, web, code):
    with pytest.raises(FetchError) as info:
        fetcher.fetch(web.url(f"status/{code}"))
    assert info.value.reason == "status"
    assert f"HTTP {code}" in str(info.value)


def test_robots_disallowed_page_is_not_fetched(fetcher, web):
    assert reason_of(fetcher, web.url("private/secret.html")) == "robots"
    assert web.hits("/private/") == 0


def test_robots_can_be_ignored_by_setting(settings, web):
    with Fetcher(settings.model_copy(update={"respect_robots": False})) as f:
        assert f.fetch(web.url("private/secret.html")).status == 200
    assert web.hits("/robots.txt") == 0


def test_page_that_lies_about_its_encoding_is_decoded(fetcher, web):
    response = fetcher.fetch(web.url("news/cp1252-cafe.html"))
    assert response.charset == "utf-8"  # the header's claim
    text = response.text()
    assert "café co-operative" in text
    assert "£250,000" in text
    assert "“We will spend every penny" in text


def test_per_host_delay_spaces_requests(settings, web):
    with Fetcher(settings.model_copy(update={"per_host_delay": 0.3})) as f:
        started = time.monotonic()
        for _ in range(3):
            f.fetch(web.url("news/defence-budget.html"))
        # robots.txt + 3 pages = 4 requests, 3 gaps of 0.3 s
        assert time.monotonic() - started >= 0.85


@pytest.mark.parametrize(
    ("body", "declared", "expected"),
    [
        ("naïve £5".encode(), None, "naïve £5"),
        ("naïve £5".encode(), "iso-8859-1", "naïve £5"),  # header says latin-1, bytes are UTF-8
        (LIE, "utf-8", "“We’ll find £5m"),  # header says UTF-8, bytes are windows-1252
        ('<meta charset="koi8-r"><p>Привет мир</p>'.encode("koi8-r"), None, "Привет мир"),
        (b"\xef\xbb\xbfbom", None, "bom"),
    ],
    ids=["utf8", "latin1-lie", "utf8-lie", "meta-koi8r", "bom"],
)
def test_decode_html(body, declared, expected):
    assert expected in decode_html(body, declared)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::7f00:1", False),
        ("2002:7f00:1::", False),
        ("not-an-ip", False),
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(address) is public


def test_gunzip_capped_stops_at_the_cap():
    import gzip

    data = gzip.compress(b"\0" * 5_000_000)
    with pytest.raises(FetchError) as info:
        gunzip_capped(data, 1_000_000, url="local.xml.gz")
    assert info.value.reason == "too_large"
    assert gunzip_capped(data, 5_000_000, url="x") == b"\0" * 5_000_000
