"""A real HTTP server on 127.0.0.1 for the fetch, source and batch tests (a pytest plugin:
test modules load it with `pytest_plugins = ["webserver"]`).

It serves the pages under tests/data/web/ (our own articles, feeds, sitemaps, robots.txt;
`{{base}}` in .rss/.xml files becomes the server's URL) and adversarial endpoints:

  /redirect/N/<path>       N redirects, then <path>
  /redirect-to?url=U       one redirect to U (a private address, another scheme, ...)
  /redirect-loop           redirects to itself forever
  /slow                    waits `slow_seconds` before answering
  /trickle                 sends headers, then one byte every 0.2 s for a long time
  /endless                 an HTML body that never ends (no Content-Length)
  /gzip-bomb               1 GiB of zeros gzipped to about 1 MB, Content-Encoding: gzip
  /gzip-page/<path>        <path> gzipped (a normal compressed page)
  /image.png, /data.json,
  /page.pdf                wrong content types for an article
  /status/<code>           that status code
  /external/<file>         a real page from ../shared/external/html (404 when absent)

Every request's path is recorded in `server.requests` so tests can assert what was fetched.
"""

import contextlib
import gzip
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

WEB = Path(__file__).parent / "data" / "web"
EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "external" / "html"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".rss": "application/rss+xml",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
}
BOMB_SIZE = 1 << 30  # decompressed size of /gzip-bomb


def _make_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    parts = [compressor.compress(block) for _ in range(BOMB_SIZE // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


@dataclass
class WebServer:
    """Handle on the running server: base URL, request log, knobs."""

    base: str
    requests: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    slow_seconds: float = 3.0
    _bomb: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base + "/" + path.lstrip("/")

    def bomb(self) -> bytes:
        with self._lock:
            if self._bomb is None:
                self._bomb = _make_bomb()
            return self._bomb

    def hits(self, prefix: str) -> int:
        return sum(1 for p in list(self.requests) if p.startswith(prefix))


class _Handler(BaseHTTPRequestHandler):
    server_version = "newsclaims-test/1"
    state: WebServer  # set on the subclass made per server

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        self.state.requests.append(self.path)
        self.state.agents.append(self.headers.get("User-Agent", ""))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client hung up
            self._route(path, parse_qs(parts.query))

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        if path.startswith("/redirect/"):
            _, _, n, rest = path.split("/", 3)
            target = f"/redirect/{int(n) - 1}/{rest}" if int(n) > 1 else f"/{rest}"
            return self._redirect(target, 301 if int(n) % 2 else 302)
        if path == "/redirect-to":
            return self._redirect(query["url"][0])
        if path == "/redirect-loop":
            return self._redirect("/redirect-loop")
        if path == "/slow":
            time.sleep(self.state.slow_seconds)
            return self._send(200, b"<html><body><p>late</p></body></html>", TYPES[".html"])
        if path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Type", TYPES[".html"])
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(300):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
            return None
        if path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", TYPES[".html"])
            self.end_headers()
            self.wfile.write(b"<html><body>")
            chunk = b"<p>" + b"more text " * 6500 + b"</p>\n"
            for _ in range(20_000):  # ~1.3 GB if nobody hangs up
                self.wfile.write(chunk)
            return None
        if path == "/gzip-bomb":
            return self._send(200, self.state.bomb(), TYPES[".html"], {"Content-Encoding": "gzip"})
        if path.startswith("/gzip-page/"):
            body = gzip.compress(self._file(path.removeprefix("/gzip-page")) or b"")
            return self._send(200, body, TYPES[".html"], {"Content-Encoding": "gzip"})
        if path == "/image.png":
            return self._send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
        if path == "/data.json":
            return self._send(200, b'{"title": "not a page"}', "application/json")
        if path == "/page.pdf":
            return self._send(200, b"%PDF-1.4\n%fake\n", "application/pdf")
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            return self._send(code, b"<html><body>error</body></html>", TYPES[".html"])
        if path.startswith("/external/"):
            file = EXTERNAL / path.removeprefix("/external/")
            if EXTERNAL.is_dir() and file.parent == EXTERNAL and file.is_file():
                return self._send(200, file.read_bytes(), "text/html")
            return self._send(404, b"not here", "text/plain")
        body = self._file(path)
        if body is None:
            return self._send(404, b"<html><body>not found</body></html>", TYPES[".html"])
        suffix = Path(path).suffix
        ctype = "application/atom+xml" if path.endswith("atom.xml") else TYPES.get(suffix, "")
        return self._send(200, body, ctype or "application/octet-stream")

    def _file(self, path: str) -> bytes | None:
        file = (WEB / path.lstrip("/")).resolve()
        if WEB.resolve() not in file.parents or not file.is_file():
            return None
        data = file.read_bytes()
        if file.suffix in (".rss", ".xml"):
            data = data.replace(b"{{base}}", self.state.base.encode())
        return data


def start_server() -> tuple[ThreadingHTTPServer, WebServer]:
    handler = type("Handler", (_Handler,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    state = WebServer(base=f"http://127.0.0.1:{httpd.server_address[1]}")
    handler.state = state
    threading.Thread(target=httpd.serve_forever, name="test-web", daemon=True).start()
    return httpd, state


@pytest.fixture(scope="session")
def web_server() -> Iterator[WebServer]:
    """The running server (session-wide); see `web` for a per-test request log."""
    httpd, state = start_server()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def web(web_server: WebServer) -> WebServer:
    """The server with an empty request log."""
    web_server.requests.clear()
    web_server.agents.clear()
    return web_server


@pytest.fixture
def external_pages() -> list[dict]:
    """index.jsonl rows of the real news pages in ../shared/external/html, each with its
    `path` added (the test is skipped when the directory is absent)."""
    import json

    index = EXTERNAL / "index.jsonl"
    if not index.is_file():
        pytest.skip("../shared/external/html is not available: real-page tests skipped")
    rows = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line]
    return [{**row, "path": EXTERNAL / row["file"]} for row in rows]
