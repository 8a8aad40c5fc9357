"""Fixtures for the claims-database tests: a real PostgreSQL server, per-test databases on
SQLite and PostgreSQL, articles written for these tests and their claims.

PostgreSQL: NEWSCLAIMS_TEST_PG_URL when set (the role needs CREATE on its database; each test
gets its own schema). Otherwise a private server is started for the session (initdb into a
temporary directory, pg_ctl on a free 127.0.0.1 port, as the `postgres` user when running as
root, because PostgreSQL refuses to run as root). The PostgreSQL tests skip only when no
PostgreSQL binaries are installed (Debian: apt-get install postgresql, or .ci/setup-postgres.sh).

Test modules import the fixtures: `from store_support import *  # noqa: F403`.
"""

import datetime as dt
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sa = pytest.importorskip("sqlalchemy", reason="the db extra is not installed (sqlalchemy)")
pytest.importorskip("psycopg", reason="the db extra is not installed (psycopg)")

from extractor.models import Article, Claim, Commitment, Figure, Timeframe  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

__all__ = [
    "ARTICLES",
    "Article",
    "Claim",
    "article_claims",
    "backend",
    "claim_extractor",
    "db_url",
    "make_claim",
    "other_db_url",
    "pg_db_url",
    "pg_server",
    "run_cli",
    "synthetic_articles",
    "synthetic_claims",
    "write_jsonl",
]


# -- PostgreSQL server -----------------------------------------------------------------


def pg_bindir() -> Path | None:
    """Where initdb/pg_ctl live: PATH first, then Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateServer:
    """A throw-away PostgreSQL cluster in a temporary directory, trust auth on 127.0.0.1."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="newsclaims-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL")
            self.user = "postgres"
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.superuser = "postgres"

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}{tail}")

    def start(self) -> str:
        self._run(
            self.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            self.superuser,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            self.bindir / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "server.log",
            "-w", "-t", "60", "start",
        )  # fmt: skip
        return f"postgresql+psycopg://{self.superuser}@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A URL of a PostgreSQL database whose user may create schemas."""
    url = os.environ.get("NEWSCLAIMS_TEST_PG_URL")
    if url:
        yield url
        return
    bindir = pg_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL is not installed (no pg_ctl on PATH or in /usr/lib/postgresql/*/bin); "
            "run .ci/setup-postgres.sh or set NEWSCLAIMS_TEST_PG_URL"
        )
    server = PrivateServer(bindir)
    try:
        yield server.start()
    finally:
        server.stop()


def _pg_schema_url(base: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    schema = "t_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(scope="session")
def claim_extractor():
    """The real extractor with the default (trained) model, loaded once per session."""
    from extractor.pipeline import Extractor

    return Extractor()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on the backend under test (every test runs on both)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'claims.db'}"
        return
    yield from _pg_schema_url(request.getfixturevalue("pg_server"))


@pytest.fixture
def pg_db_url(pg_server: str) -> Iterator[str]:
    """An empty PostgreSQL database (schema) for tests that only make sense there."""
    yield from _pg_schema_url(pg_server)


@pytest.fixture
def other_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'other.db'}"
        return
    yield from _pg_schema_url(request.getfixturevalue("pg_server"))


# -- Articles and claims ---------------------------------------------------------------

# Written for these tests: short news paragraphs with spending figures in several forms.
ARTICLES = [
    Article(
        id="nordic-defence",
        url="https://news.example/world/nordic-defence",
        title="Norway lifts defence target",
        published=dt.date(2025, 3, 3),
        site="Example News",
        text=(
            "Norway will raise defence spending to 3.5% of GDP by 2030, Prime Minister "
            "Jonas Store said on Monday. The government has also committed £2bn to new "
            "hospitals from 2026. Critics said the 3.5% pledge was unaffordable."
        ),
    ),
    Article(
        id="chile-aid",
        url="https://news.example/world/chile-aid",
        title="Chile aims higher on aid",
        published=dt.date(2025, 1, 20),
        site="Example News",
        text=(
            "Chile hopes to spend 1% of GNI on aid by 2028, the finance minister said. "
            "Last year the country spent 0.2% of GNI on development."
        ),
    ),
    Article(
        id="school-repairs",
        url="https://local.example/schools",
        title="Council pledges school repairs",
        published=dt.date(2024, 11, 5),
        text=(
            "The council will spend £45m on school repairs by 2027, its leader Ana Ruiz "
            "said. A further £3m was proposed for playgrounds."
        ),
    ),
    Article(
        id="undated-note",
        text=(
            "Officials expect research funding of $1.2bn in 2026-27. "
            "The agency said it will commit €300m to rail upgrades."
        ),
    ),
]


def make_claim(
    article: Article,
    figure: str,
    value: float,
    unit: str,
    *,
    level: str = "certainty",
    topic: str = "defence",
    actor: str | None = None,
    speaker: str | None = None,
    cues: tuple[str, ...] = (),
    start: str | None = None,
    deadline: str | None = None,
    base: str | None = None,
    occurrence: int = 0,
) -> Claim:
    """A hand-made claim on the `occurrence`-th `figure` of `article` (storage tests)."""
    pos = -1
    for _ in range(occurrence + 1):
        pos = article.text.index(figure, pos + 1)
    span = (pos, pos + len(figure))
    start_of = max(article.text.rfind(". ", 0, pos) + 2, 0) if ". " in article.text[:pos] else 0
    end_of = article.text.find(". ", pos)
    sentence = article.text[start_of : end_of + 1 if end_of >= 0 else len(article.text)]
    fig = Figure(text=figure, value=value, unit=unit, base=base)
    return Claim(
        claim_id=Claim.make_id(article.identity, span, fig),
        article_id=article.id,
        sentence=sentence,
        span=span,
        figure=fig,
        topic=topic,
        actor=actor,
        speaker=speaker,
        commitment=Commitment(level=level, cues=list(cues)),
        timeframe=Timeframe(start=start, deadline=deadline),
        published=article.published,
        published_source="article" if article.published else None,
    )


def article_claims() -> dict[str, list[Claim]]:
    """Hand-made claims for ARTICLES, covering every filter."""
    nordic, chile, schools, undated = ARTICLES
    return {
        nordic.id: [
            make_claim(nordic, "3.5%", 3.5, "percent", base="GDP", actor="Norway",
                       speaker="Jonas Store", deadline="2030", cues=("will",)),
            make_claim(nordic, "£2bn", 2e9, "GBP", topic="health", actor="Norway",
                       speaker="Norwegian government", start="2026", cues=("committed",)),
            make_claim(nordic, "3.5%", 3.5, "percent", base="GDP", actor="Norway",
                       level="statement", occurrence=1),
        ],
        chile.id: [
            make_claim(chile, "1%", 1.0, "percent", base="GNI", topic="aid", actor="Chile",
                       level="ambition", deadline="2028-12", cues=("hopes to",)),
            make_claim(chile, "0.2%", 0.2, "percent", base="GNI", topic="aid", actor="Chile",
                       level="statement", start="2024"),
        ],
        schools.id: [
            make_claim(schools, "£45m", 45e6, "GBP", topic="education", actor="Council",
                       speaker="Ana Ruiz", deadline="2027", cues=("will",)),
            make_claim(schools, "£3m", 3e6, "GBP", topic="education", level="proposal",
                       cues=("proposed",)),
        ],
        undated.id: [
            make_claim(undated, "$1.2bn", 1.2e9, "USD", topic="research",
                       level="expectation", speaker="Officials", start="2026-04"),
            make_claim(undated, "€300m", 3e8, "EUR", topic="transport",
                       speaker="The agency", cues=("will",)),
        ],
    }  # fmt: skip


def write_jsonl(path: Path, records: list) -> Path:
    """Write pydantic models one JSON a line."""
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(record.model_dump_json() + "\n")
    return path


def run_cli(
    *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """`newsclaims ARGS` in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-c", "from extractor.cli import main; main()", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


# -- Many articles, for concurrency and crash tests -------------------------------------

_COUNTRIES = ["Norway", "Chile", "Kenya", "Japan", "Poland", "Canada", "Ghana", "Peru"]
_TOPICS = ["defence", "health", "schools", "rail", "research", "housing", "aid", "energy"]
_SPEAKERS = ["Prime Minister Ana Sol", "Finance Minister Tom Berg", "Minister Ida Holm"]
_CURRENCIES = ["£", "$", "€"]


def synthetic_articles(n: int, *, prefix: str = "syn") -> list[Article]:
    """`n` distinct short articles with two or three spending figures each."""
    out = []
    for i in range(n):
        country = _COUNTRIES[i % len(_COUNTRIES)]
        topic = _TOPICS[i % len(_TOPICS)]
        other = _TOPICS[(i + 3) % len(_TOPICS)]
        speaker = _SPEAKERS[i % len(_SPEAKERS)]
        cur = _CURRENCIES[i % len(_CURRENCIES)]
        pct = 1 + (i % 40) / 10
        text = (
            f"{country} will spend {pct:.1f}% of GDP on {topic} by {2026 + i % 9}, "
            f"{speaker} said on Monday. The government has also committed {cur}{2 + i % 97}bn "
            f"to {other} from {2025 + i % 4}. "
        )
        if i % 3 == 0:
            text += f"Officials hope to find a further {cur}{100 + i % 500}m next year."
        out.append(
            Article(
                id=f"{prefix}-{i:05d}",
                url=f"https://news.example/{prefix}/{i:05d}",
                title=f"{country} and {topic} ({i})",
                published=dt.date(2024, 1, 1) + dt.timedelta(days=i % 700),
                text=text,
            )
        )
    return out


_FIGURE = re.compile(r"(?P<pct>\d+\.\d%)|(?P<cur>[£$€])(?P<num>\d+)(?P<mult>bn|m)\b")
_CODES = {"£": "GBP", "$": "USD", "€": "EUR"}


def synthetic_claims(article: Article) -> list[Claim]:
    """Hand-made claims for a synthetic article: one per figure (storage tests, fast)."""
    claims = []
    for i, m in enumerate(_FIGURE.finditer(article.text)):
        if m["pct"]:
            claim = make_claim(article, m[0], float(m[0][:-1]), "percent", base="GDP",
                               speaker="Ana Sol", deadline="2030")  # fmt: skip
        else:
            value = int(m["num"]) * (1e9 if m["mult"] == "bn" else 1e6)
            claim = make_claim(article, m[0], value, _CODES[m["cur"]], topic="health",
                               level="ambition" if i == 2 else "certainty")  # fmt: skip
        claims.append(claim)
    return claims
