"""Safe HTTP fetching: what trafilatura's fetcher leaves out.

Each hop of a request (the first URL and every redirect target) is checked before any byte
is sent: the scheme must be http or https, the host is resolved here, and every address it
resolves to must be global (no loopback, private, link-local, shared, reserved or multicast
address) unless `Settings.allow_private`. The connection then goes to the address that was
checked, with the original Host header and TLS server name, so a DNS answer that changes
between check and connect cannot redirect it (DNS rebinding).

The body is read in chunks and decompressed here, with the output of each step bounded, so
the `max_bytes` cap applies to the *decompressed* size and a gzip bomb stops at the cap with
flat memory. Every failure is a `FetchError` with a `reason` from a fixed set; nothing
returns None, and TLS is never downgraded.

    with Fetcher(settings) as fetcher:
        response = fetcher.fetch("https://example.org/news/1")
        html = response.text()
"""

import codecs
import datetime as dt
import ipaddress
import logging
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, get_args
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from extractor.errors import InputError
from extractor.settings import Settings

log = logging.getLogger(__name__)

FetchReason = Literal[
    "scheme",
    "dns",
    "blocked_address",
    "robots",
    "connection",
    "timeout",
    "tls",
    "status",
    "redirects",
    "too_large",
    "content_type",
    "encoding",
]
FETCH_REASONS: tuple[str, ...] = get_args(FetchReason)

Accept = Literal["html", "listing", "any"]

CHUNK = 64 * 1024
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Feeds and sitemaps are served under many names; text/html is common for misconfigured feeds.
LISTING_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "text/plain",
        "application/x-gzip",
        "application/gzip",
        "application/octet-stream",
    }
)
_HEADER_ACCEPT = {
    "html": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    "listing": "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,"
    "text/html;q=0.5,*/*;q=0.1",
    "any": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5",
}


class FetchError(InputError):
    """A URL could not be fetched. `reason` is one of FETCH_REASONS (InputError's free-text
    reason becomes `detail`); the message names the URL."""

    def __init__(self, url: str, reason: FetchReason, message: str) -> None:
        super().__init__(url, f"{reason}: {message}")
        self.url = url
        self.reason: FetchReason = reason  # type: ignore[assignment]
        self.detail = message


@dataclass(frozen=True)
class Response:
    """A fetched body, decompressed and complete (never more than max_bytes)."""

    url: str  # after redirects
    status: int
    content_type: str  # media type, lower case, without parameters; "" when absent
    charset: str | None  # as declared by the Content-Type header
    body: bytes
    fetched_at: dt.datetime
    redirects: tuple[str, ...] = ()

    def text(self) -> str:
        """The body as text; see decode_html for how the encoding is chosen."""
        return decode_html(self.body, self.charset)


# --- addresses -------------------------------------------------------------------------------

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr.ipv4_mapped:
        return addr.ipv4_mapped
    if addr.sixtofour:
        return addr.sixtofour
    if addr.teredo:
        return addr.teredo[1]
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (IPv4 inside IPv6 forms checked too)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public_address(str(inner)):
            return False
    return ip.is_global and not ip.is_multicast


Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses `host` resolves to (TCP), in the system's preference order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# --- decoding --------------------------------------------------------------------------------

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I
)
# What browsers do with these labels (WHATWG Encoding): they mean windows-1252.
_LABEL_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
}


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = _LABEL_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(body: bytes, declared: str | None = None) -> str:
    """Decode a page whose declared encoding may be wrong.

    Order: a byte-order mark; strict UTF-8 (non-ASCII text that is valid UTF-8 by accident is
    rare, and pages declaring latin-1 while sending UTF-8 are common); the charset declared by
    the header, then by a <meta> tag, when the bytes decode strictly with it; charset_normalizer's
    guess; finally windows-1252 with replacement characters.
    """
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(name, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    meta = _META_CHARSET.search(body[:4096])
    for label in (declared, meta.group(1).decode("ascii") if meta else None):
        name = _codec(label)
        if name and name != "utf-8":
            try:
                return body.decode(name)
            except UnicodeDecodeError:
                continue
    from charset_normalizer import from_bytes

    matches = list(from_bytes(body[:200_000]))
    if matches:
        best = min(m.chaos for m in matches)
        # Among equally clean guesses prefer windows-1252, as browsers do for Western pages:
        # on short texts charset_normalizer ranks cp1250 first and turns "£" into "Ł".
        for m in matches:
            if m.encoding == "cp1252" and m.chaos <= best + 0.01:
                return body.decode("cp1252", errors="replace")
        return body.decode(matches[0].encoding, errors="replace")
    return body.decode("cp1252", errors="replace")


class _Inflater:
    """Streaming gzip/deflate decoder whose output per call is bounded by `budget + 1` bytes."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding in ("gzip", "x-gzip"):
            self._d: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._d = zlib.decompressobj()
        else:
            self._d = None
        self._raw_deflate_tried = False

    def feed(self, data: bytes, budget: int) -> Iterator[bytes]:
        if self._d is None:
            yield data
            return
        buf = data
        while buf:
            try:
                out = self._d.decompress(buf, budget + 1)
            except zlib.error:
                # Some servers send raw deflate without the zlib header.
                if self.encoding == "deflate" and not self._raw_deflate_tried:
                    self._raw_deflate_tried = True
                    self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise
            budget -= len(out)
            yield out
            if budget < 0:
                return
            if self._d.eof:
                # gzip allows several members back to back; each is decoded in turn.
                buf = self._d.unused_data
                if buf and self.encoding != "deflate":
                    self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    continue
                return
            buf = self._d.unconsumed_tail


def gunzip_capped(data: bytes, max_bytes: int, *, url: str) -> bytes:
    """Decompress a .gz payload (e.g. sitemap.xml.gz) without ever exceeding max_bytes."""
    inflater = _Inflater("gzip")
    parts: list[bytes] = []
    size = 0
    try:
        for out in inflater.feed(data, max_bytes):
            size += len(out)
            if size > max_bytes:
                raise FetchError(url, "too_large", f"decompressed body exceeds {max_bytes} bytes")
            parts.append(out)
    except zlib.error as e:
        raise FetchError(url, "encoding", f"bad gzip data: {e}") from e
    return b"".join(parts)


# --- fetcher ---------------------------------------------------------------------------------


@dataclass
class _Host:
    slots: threading.Semaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0
    delay: float = 0.0


def _media_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    parts = [p.strip() for p in header.split(";")]
    charset = None
    for p in parts[1:]:
        key, _, value = p.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return parts[0].lower(), charset


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]


class Fetcher:
    """Fetches URLs under one Settings: SSRF guard per hop, politeness per host, robots.txt.

    Thread-safe: one Fetcher serves all fetch threads of a run. `resolver` (default: the
    system's) and `address_allowed` (default: is_public_address, or anything when
    settings.allow_private) let tests point names at chosen addresses and admit their own
    127.0.0.1 server while every other private address stays refused.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver = system_resolver,
        address_allowed: Callable[[str], bool] | None = None,
    ) -> None:
        self.settings = settings
        self._resolve = resolver
        if address_allowed is None:
            address_allowed = (lambda _a: True) if settings.allow_private else is_public_address
        self._allowed = address_allowed
        self._lock = threading.Lock()
        self._pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, RobotFileParser | FetchError] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._timeout = urllib3.Timeout(
            connect=settings.connect_timeout, read=settings.read_timeout
        )

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    # public ----------------------------------------------------------------------------------

    def fetch(self, url: str, *, accept: Accept = "html", max_bytes: int | None = None) -> Response:
        """GET `url` following up to max_redirects checked redirects.

        accept='html' refuses bodies that are not HTML (reason content_type); 'listing' takes
        feeds and sitemaps; 'any' takes everything. Raises FetchError.
        """
        return self._get(url, accept=accept, max_bytes=max_bytes, robots=True)

    # internals -------------------------------------------------------------------------------

    def _get(self, url: str, *, accept: Accept, max_bytes: int | None, robots: bool) -> Response:
        limit = max_bytes or self.settings.max_bytes
        current = url
        hops: list[str] = []
        for _ in range(self.settings.max_redirects + 1):
            scheme, host, port, target = self._split(current)
            address = self._check_host(current, host, port)
            if robots and self.settings.respect_robots:
                self._check_robots(current, scheme, host, port)
            with self._host_slot(host, port):
                response = self._request(
                    current, scheme, host, port, address, target, accept, limit
                )
            if isinstance(response, str):  # a redirect
                hops.append(current)
                current = urljoin(current, response)
                continue
            if not 200 <= response.status < 300:
                raise FetchError(current, "status", f"HTTP {response.status}")
            self._check_type(current, response, accept)
            return Response(
                url=current,
                status=response.status,
                content_type=response.content_type,
                charset=response.charset,
                body=response.body,
                fetched_at=response.fetched_at,
                redirects=tuple(hops),
            )
        raise FetchError(url, "redirects", f"more than {self.settings.max_redirects} redirects")

    @staticmethod
    def _split(url: str) -> tuple[str, str, int, str]:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as e:
            raise FetchError(url, "scheme", f"not a valid URL: {e}") from e
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(url, "scheme", f"scheme {scheme or '(none)'!r} is not http or https")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise FetchError(url, "scheme", "the URL has no host")
        if parts.username or parts.password:
            raise FetchError(url, "scheme", "credentials in URLs are not sent")
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        return scheme, host, port or (443 if scheme == "https" else 80), target

    def _check_host(self, url: str, host: str, port: int) -> str:
        """Resolve `host`; refuse it if any address is not public. Returns the address to use."""
        try:
            addresses = self._resolve(host, port)
        except (OSError, UnicodeError) as e:
            raise FetchError(url, "dns", f"cannot resolve {host!r}: {e}") from e
        if not addresses:
            raise FetchError(url, "dns", f"{host!r} resolves to no address")
        # Refuse if *any* answer is refused: a name with one public and one private address
        # could otherwise be steered to the private one.
        bad = [a for a in addresses if not self._allowed(a)]
        if bad:
            raise FetchError(
                url,
                "blocked_address",
                f"{host!r} resolves to non-public address {bad[0]} "
                "(--allow-private or NEWSCLAIMS_ALLOW_PRIVATE=1 permits it)",
            )
        return addresses[0]

    @contextmanager
    def _host_slot(self, host: str, port: int) -> Iterator[None]:
        key = f"{host}:{port}"
        with self._lock:
            state = self._hosts.get(key)
            if state is None:
                state = _Host(threading.Semaphore(self.settings.per_host_concurrency))
                state.delay = self.settings.per_host_delay
                self._hosts[key] = state
        with state.slots:
            with state.lock:
                now = time.monotonic()
                wait = state.next_start - now
                state.next_start = max(now, state.next_start) + state.delay
            if wait > 0:
                time.sleep(wait)
            yield

    def _pool(self, scheme: str, host: str, port: int, address: str) -> urllib3.HTTPConnectionPool:
        key = (scheme, address, port, host)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                kwargs = {
                    "timeout": self._timeout,
                    "maxsize": self.settings.per_host_concurrency,
                    "retries": False,
                    "block": False,
                }
                if scheme == "https":
                    pool = urllib3.HTTPSConnectionPool(
                        address,
                        port,
                        server_hostname=host,
                        assert_hostname=host,
                        cert_reqs="CERT_REQUIRED",
                        **kwargs,
                    )
                else:
                    pool = urllib3.HTTPConnectionPool(address, port, **kwargs)
                self._pools[key] = pool
            return pool

    def _request(
        self,
        url: str,
        scheme: str,
        host: str,
        port: int,
        address: str,
        target: str,
        accept: Accept,
        limit: int,
    ) -> "Response | str":
        default_port = 443 if scheme == "https" else 80
        host_header = host if ":" not in host else f"[{host}]"
        if port != default_port:
            host_header += f":{port}"
        headers = {
            "Host": host_header,
            "User-Agent": self.settings.user_agent,
            "Accept": _HEADER_ACCEPT[accept],
            "Accept-Encoding": "gzip, deflate",
        }
        deadline = time.monotonic() + self.settings.total_timeout
        pool = self._pool(scheme, host, port, address)
        try:
            raw = pool.urlopen(
                "GET",
                target,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=False,
                assert_same_host=False,
            )
        except NewConnectionError as e:  # before ConnectTimeoutError: it is a subclass
            raise FetchError(url, "connection", str(e)) from e
        except (ConnectTimeoutError, ReadTimeoutError) as e:
            raise FetchError(url, "timeout", f"no answer within the timeout ({e})") from e
        except SSLError as e:
            raise FetchError(url, "tls", str(e)) from e
        except (ProtocolError, HTTPError, OSError) as e:
            raise FetchError(url, "connection", str(e)) from e
        try:
            if raw.status in REDIRECT_STATUSES:
                location = raw.headers.get("Location")
                if not location:
                    raise FetchError(url, "status", f"HTTP {raw.status} without a Location")
                return location
            content_type, charset = _media_type(raw.headers.get("Content-Type"))
            if not 200 <= raw.status < 300:
                body = b""
            else:
                body = self._read_body(url, raw, limit, deadline)
            return Response(
                url=url,
                status=raw.status,
                content_type=content_type,
                charset=charset,
                body=body,
                fetched_at=dt.datetime.now(dt.UTC),
            )
        finally:
            raw.release_conn() if raw.status in REDIRECT_STATUSES else raw.close()

    def _read_body(
        self, url: str, raw: urllib3.BaseHTTPResponse, limit: int, deadline: float
    ) -> bytes:
        encoding = (raw.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise FetchError(url, "encoding", f"unsupported Content-Encoding {encoding!r}")
        length = raw.headers.get("Content-Length")
        if encoding == "identity" and length and length.isdigit() and int(length) > limit:
            raise FetchError(url, "too_large", f"Content-Length {length} exceeds {limit} bytes")
        inflater = _Inflater(encoding)
        parts: list[bytes] = []
        size = 0
        try:
            # read1 returns after each network read, so a server that trickles bytes still
            # meets the total deadline (stream()/read(n) would wait for n bytes).
            while chunk := raw.read1(CHUNK, decode_content=False):
                if time.monotonic() > deadline:
                    raise FetchError(
                        url, "timeout", f"body not complete after {self.settings.total_timeout} s"
                    )
                for out in inflater.feed(chunk, limit - size):
                    size += len(out)
                    if size > limit:
                        raise FetchError(url, "too_large", f"body exceeds {limit} bytes")
                    parts.append(out)
        except ReadTimeoutError as e:
            raise FetchError(url, "timeout", f"body stalled ({e})") from e
        except zlib.error as e:
            raise FetchError(url, "encoding", f"bad {encoding} data: {e}") from e
        except (ProtocolError, HTTPError, OSError) as e:
            raise FetchError(url, "connection", f"body interrupted: {e}") from e
        return b"".join(parts)

    @staticmethod
    def _check_type(url: str, response: Response, accept: Accept) -> None:
        if accept == "any":
            return
        ctype = response.content_type
        if accept == "html":
            if ctype in HTML_TYPES or (not ctype and _looks_like_html(response.body)):
                return
            raise FetchError(url, "content_type", f"not HTML: Content-Type {ctype or '(none)'!r}")
        if ctype in LISTING_TYPES or ctype in HTML_TYPES or not ctype or ctype.endswith("+xml"):
            return
        raise FetchError(url, "content_type", f"not a feed or sitemap: {ctype!r}")

    # robots.txt --------------------------------------------------------------------------

    def _check_robots(self, url: str, scheme: str, host: str, port: int) -> None:
        origin = f"{scheme}://{host}:{port}"
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            rules = self._robots.get(origin)
            if rules is None:
                rules = self._load_robots(origin)
                self._robots[origin] = rules
                if isinstance(rules, RobotFileParser):
                    delay = rules.crawl_delay(self.settings.user_agent)
                    if delay:
                        self._raise_delay(host, port, float(delay))
        if isinstance(rules, FetchError):
            raise FetchError(
                url,
                rules.reason,
                f"robots.txt unreachable, so not fetching from {origin} (RFC 9309): {rules.detail}",
            )
        if not rules.can_fetch(self.settings.user_agent, url):
            raise FetchError(url, "robots", "disallowed by robots.txt")

    def _load_robots(self, origin: str) -> "RobotFileParser | FetchError":
        """RFC 9309: a 4xx means no rules; a 5xx or an unreachable host means disallow all
        (for this run). The latter comes back as the FetchError, so failures name the cause."""
        parser = RobotFileParser(origin + "/robots.txt")
        try:
            response = self._get(
                origin + "/robots.txt", accept="any", max_bytes=ROBOTS_MAX_BYTES, robots=False
            )
        except FetchError as e:
            if (e.reason == "status" and e.detail.startswith("HTTP 4")) or e.reason in (
                "too_large",
                "content_type",
                "redirects",
            ):
                parser.allow_all = True
                return parser
            log.warning("robots.txt of %s unavailable (%s): not fetching from it", origin, e)
            return e
        parser.parse(decode_html(response.body, response.charset).splitlines())
        return parser

    def _raise_delay(self, host: str, port: int, delay: float) -> None:
        key = f"{host}:{port}"
        with self._lock:
            state = self._hosts.get(key)
            if state is None:
                state = _Host(threading.Semaphore(self.settings.per_host_concurrency))
                self._hosts[key] = state
            state.delay = max(
                self.settings.per_host_delay, min(delay, self.settings.max_crawl_delay)
            )


def fetch(url: str, *, settings: Settings, accept: Accept = "html") -> Response:
    """Fetch one URL with a short-lived Fetcher (for single-URL use, e.g. `extract URL`)."""
    with Fetcher(settings) as fetcher:
        return fetcher.fetch(url, accept=accept)
