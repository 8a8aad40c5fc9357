"""The claims database: loading, superseding, querying, bad input, schema versions.

Every test runs twice, on SQLite and on a real PostgreSQL server (see store_support.py).
Claims here are made by hand: these tests are about storage, not extraction.
"""

import datetime as dt
import os
from pathlib import Path

import pytest
from store_support import *  # noqa: F403
from store_support import ARTICLES, article_claims, make_claim, run_cli, sa, write_jsonl

from extractor.errors import InputError
from extractor.store import (
    Filters,
    SchemaVersionError,
    StoreError,
    connect,
    count_claims,
    load_claims,
    load_claims_file,
    migrate,
    query_claims,
    record_failure,
)
from extractor.store import schema as s
from extractor.store.schema import MIGRATIONS, Migration


@pytest.fixture
def engine(db_url: str):
    eng = connect(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def loaded(engine) -> dict[str, list]:
    by_article = article_claims()
    for article in ARTICLES:
        load_claims(engine, article, by_article[article.id], extractor_version="test 1")
    return by_article


def all_claims(by_article: dict[str, list]) -> list:
    return [c for claims in by_article.values() for c in claims]


def table_count(engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(table))


# -- loading ---------------------------------------------------------------------------


def test_store_query_returns_the_claims_loaded(engine, loaded):
    expected = sorted(all_claims(loaded), key=lambda c: c.claim_id)
    got = sorted(query_claims(engine), key=lambda c: c.claim_id)
    assert len(got) == 9
    assert got == expected


def test_store_loading_twice_keeps_each_claim_once(engine, loaded):
    n = len(all_claims(loaded))
    for article in ARTICLES:
        result = load_claims(engine, article, loaded[article.id], extractor_version="test 1")
        assert (result.inserted, result.updated, result.superseded) == (0, 0, 0)
        assert result.unchanged == len(loaded[article.id])
    assert count_claims(engine) == n
    assert table_count(engine, s.claims) == n
    assert table_count(engine, s.articles) == len(ARTICLES)


def test_store_duplicate_claims_in_one_load_are_stored_once(engine):
    article = ARTICLES[1]
    claims = article_claims()[article.id]
    result = load_claims(engine, article, claims + claims)
    assert result.inserted == len(claims)
    assert count_claims(engine) == len(claims)


def test_store_changed_text_supersedes_missing_claims_and_keeps_them(engine, loaded):
    old = ARTICLES[0]
    new = old.model_copy(
        update={
            "text": "Norway will raise defence spending to 3.5% of GDP by 2030, Prime Minister "
            "Jonas Store said. Hospitals get €1bn."
        }
    )
    kept = make_claim(new, "3.5%", 3.5, "percent", base="GDP", actor="Norway",
                      speaker="Jonas Store", deadline="2030", cues=("will",))  # fmt: skip
    added = make_claim(new, "€1bn", 1e9, "EUR", topic="health", actor="Norway")
    assert kept.claim_id == loaded[old.id][0].claim_id  # same figure, same place

    result = load_claims(engine, new, [kept, added])
    # The kept claim's sentence changed with the text: it is updated, not duplicated.
    assert (result.inserted, result.updated, result.superseded) == (1, 1, 2)

    current = query_claims(engine, Filters(article=old.id))
    assert {c.claim_id for c in current} == {kept.claim_id, added.claim_id}
    everything = query_claims(engine, Filters(article=old.id, include_superseded=True))
    assert len(everything) == 4  # nothing deleted
    with engine.connect() as conn:
        stored_hash = conn.scalar(
            sa.select(s.articles.c.text_hash).where(s.articles.c.article_key == old.url)
        )
        superseded = conn.scalar(
            sa.select(sa.func.count())
            .select_from(s.claims)
            .where(s.claims.c.superseded_at.is_not(None))
        )
    assert stored_hash is not None and superseded == 2

    # The old text comes back (a correction reverted): its claims are current again.
    result = load_claims(engine, old, loaded[old.id])
    assert (result.inserted, result.updated, result.superseded) == (0, 3, 1)
    assert {c.claim_id for c in query_claims(engine, Filters(article=old.id))} == {
        c.claim_id for c in loaded[old.id]
    }


def test_store_empty_claim_list_supersedes_all_claims_of_the_article(engine, loaded):
    article = ARTICLES[2]
    result = load_claims(engine, article, [])
    assert result.superseded == len(loaded[article.id])
    assert query_claims(engine, Filters(article=article.id)) == []
    assert count_claims(engine) == len(all_claims(loaded)) - len(loaded[article.id])


def test_store_changed_claim_content_is_updated_in_place(engine, loaded):
    article = ARTICLES[2]
    claims = loaded[article.id]
    improved = claims[1].model_copy(update={"speaker": "Ana Ruiz", "actor": "Council"})
    result = load_claims(engine, article, [claims[0], improved], extractor_version="test 2")
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    got = query_claims(engine, Filters(article=article.id))
    assert len(got) == 2
    assert got[1] == improved
    assert table_count(engine, s.claims) == len(all_claims(loaded))


def test_store_load_accepts_a_url_instead_of_an_engine(db_url):
    article = ARTICLES[1]
    claims = article_claims()[article.id]
    result = load_claims(db_url, article, claims)
    assert result.inserted == len(claims)
    eng = connect(db_url, create=False)
    try:
        assert count_claims(eng) == len(claims)
    finally:
        eng.dispose()


def test_store_claims_of_another_article_are_refused_before_writing(engine):
    a, b = ARTICLES[0], ARTICLES[1]
    with pytest.raises(InputError, match="chile-aid"):
        load_claims(engine, a, article_claims()[b.id])
    assert table_count(engine, s.articles) == 0


def test_store_database_error_mid_article_writes_nothing_of_it(engine, backend):
    # A trigger refuses the third claim: the article row and its first claims roll back too.
    with engine.begin() as conn:
        if backend == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON claims WHEN NEW.figure_text = '£3m' "
                "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.figure_text = '£3m' THEN RAISE EXCEPTION 'refused by test trigger'; "
                "END IF; RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON claims "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
    by_article = article_claims()
    load_claims(engine, ARTICLES[0], by_article[ARTICLES[0].id])
    schools = ARTICLES[2]
    with pytest.raises(StoreError, match="refused by test trigger") as err:
        load_claims(engine, schools, by_article[schools.id])
    assert str(engine.url.database) in str(err.value) or "postgresql" in str(err.value)
    with engine.connect() as conn:
        keys = conn.scalars(sa.select(s.articles.c.article_key)).all()
    assert keys == [ARTICLES[0].url]
    assert count_claims(engine) == len(by_article[ARTICLES[0].id])
    # The batch goes on: the next article loads.
    load_claims(engine, ARTICLES[1], by_article[ARTICLES[1].id])
    assert count_claims(engine) == 5


def test_store_failures_are_recorded_once(engine):
    for _ in range(2):
        record_failure(engine, source="feed.jsonl", line=3, message="not a claim record")
    record_failure(engine, source="feed.jsonl", line=4, message="not a claim record")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(s.failures.c.line).order_by(s.failures.c.line)).all()
    assert [r.line for r in rows] == [3, 4]


def test_store_claims_file_loads_groups_and_records_bad_lines(engine, tmp_path):
    by_article = article_claims()
    nordic, chile = ARTICLES[0], ARTICLES[1]
    path = tmp_path / "claims.jsonl"
    lines = [c.model_dump_json() for c in by_article[nordic.id][:2]]
    lines.append('{"claim_id": "broken"}')
    lines += [c.model_dump_json() for c in by_article[chile.id]]
    lines.append("not json at all")
    lines += [by_article[nordic.id][2].model_dump_json()]  # the article again, later
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = load_claims_file(engine, path)
    assert result.failed == 2
    assert [m.split(": ")[0] for m in result.messages] == [f"{path}:3", f"{path}:6"]
    assert "article_id" in result.messages[0] and "not JSON" in result.messages[1]
    # nordic-defence is split across the file: its two parts are loaded as one article.
    assert (result.articles, result.inserted, result.superseded) == (2, 5, 0)
    assert count_claims(engine) == 5
    with engine.connect() as conn:
        failed = conn.scalars(sa.select(s.failures.c.line).order_by(s.failures.c.line)).all()
    assert failed == [3, 6]
    again = load_claims_file(engine, path)
    assert (again.inserted, again.updated, again.unchanged, again.superseded) == (0, 0, 5, 0)


def test_store_claims_file_with_a_bad_line_of_an_article_does_not_supersede(engine, loaded,
                                                                            tmp_path):  # fmt: skip
    nordic = ARTICLES[0]
    lines = [c.model_dump_json() for c in loaded[nordic.id]]
    lines[1] = lines[1].replace('"level":"certainty"', '"level":"sure"')
    path = tmp_path / "claims.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_claims_file(engine, path)
    assert result.failed == 1 and "commitment.level" in result.messages[0]
    assert (result.unchanged, result.superseded) == (2, 0)
    assert len(query_claims(engine, Filters(article=nordic.id))) == 3


def test_store_claims_file_after_full_load_reuses_the_article_row(engine, loaded, tmp_path):
    # Claims keyed by URL (run --db) and the same claims from a JSONL file (no URL in it).
    path = write_jsonl(tmp_path / "claims.jsonl", all_claims(loaded))
    result = load_claims_file(engine, path)
    assert result.unchanged == len(all_claims(loaded))
    assert table_count(engine, s.articles) == len(ARTICLES)
    with engine.connect() as conn:
        title = conn.scalar(
            sa.select(s.articles.c.title).where(s.articles.c.article_id == "chile-aid")
        )
    assert title == "Chile aims higher on aid"  # a claims-only load keeps what was known


# -- querying --------------------------------------------------------------------------

QUERIES = [
    ("everything", {}, lambda c: True),
    ("actor-any-case", {"actor": "NORWAY"}, lambda c: c.actor == "Norway"),
    ("speaker", {"speaker": "ana ruiz"}, lambda c: c.speaker == "Ana Ruiz"),
    ("topics", {"topic": ["aid", "education"]}, lambda c: c.topic in ("aid", "education")),
    ("level", {"level": "certainty"}, lambda c: c.commitment.level == "certainty"),
    ("unit-any-case", {"unit": "gbp"}, lambda c: c.figure.unit == "GBP"),
    ("since", {"published_since": "2025-01-01"},
     lambda c: c.published is not None and c.published >= dt.date(2025, 1, 1)),
    ("until", {"published_until": "2024-12-31"},
     lambda c: c.published is not None and c.published <= dt.date(2024, 12, 31)),
    ("deadline-until-year", {"deadline_until": "2028"},
     lambda c: c.timeframe.deadline in ("2027", "2028-12")),
    ("deadline-since-month", {"deadline_since": "2028-06"},
     lambda c: c.timeframe.deadline in ("2028-12", "2030")),
    ("start-range", {"start_since": "2026", "start_until": "2026-06"},
     lambda c: c.timeframe.start in ("2026", "2026-04")),
    ("text-any-case", {"text": "PLEDGE"}, lambda c: "pledge" in c.sentence.lower()),
    ("text-percent-is-literal", {"text": "1%"}, lambda c: "1%" in c.sentence),
    ("article-by-url", {"article": "https://news.example/world/chile-aid"},
     lambda c: c.article_id == "chile-aid"),
    ("article-by-id", {"article": "school-repairs"}, lambda c: c.article_id == "school-repairs"),
    ("combined", {"actor": "Norway", "level": "certainty", "published_since": "2025-01-01"},
     lambda c: c.actor == "Norway" and c.commitment.level == "certainty"),
    ("nothing", {"topic": "housing"}, lambda c: False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("filters", "expect"), [q[1:] for q in QUERIES], ids=[q[0] for q in QUERIES]
)
def test_store_query_filters(engine, loaded, filters, expect):
    wanted = {c.claim_id for c in all_claims(loaded) if expect(c)}
    got = query_claims(engine, Filters(**filters))
    assert len(got) == len(wanted)
    assert {c.claim_id for c in got} == wanted
    assert count_claims(engine, Filters(**filters)) == len(wanted)


def test_store_query_order_is_by_date_then_article_then_position(engine, loaded):
    got = query_claims(engine)
    assert len(got) == 9
    keys = [(c.published is None, c.published or dt.date.min, c.span[0]) for c in got]
    assert keys == sorted(keys)
    assert got[-1].published is None
    assert query_claims(engine, limit=2) == got[:2]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"level": "sure"}, "level"),
        ({"topic": "sport"}, "topic"),
        ({"deadline_until": "2030-13"}, "deadline_until"),
        ({"published_since": "last year"}, "published_since"),
        ({"colour": "red"}, "colour"),
    ],
    ids=["level", "topic", "month-13", "date", "unknown"],
)
def test_store_bad_filters_name_the_filter(filters, message):
    with pytest.raises(ValueError, match=message):
        Filters(**filters)


# -- bad databases ---------------------------------------------------------------------


def test_store_unreachable_server_is_named_in_the_error():
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://fc:secret@127.0.0.1:{port}/claims"
    with pytest.raises(StoreError) as err:
        connect(url)
    message = str(err.value)
    assert message.startswith(f"postgresql+psycopg://fc:***@127.0.0.1:{port}/claims: ")
    assert "cannot connect" in message
    assert "secret" not in message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://fc@db/claims", "unsupported database 'mysql'"),
        ("postgresql+nosuchdriver://fc@db/claims", "driver is not installed"),
        ("sqlite:////no/such/directory/claims.db", "directory '/no/such/directory' does not exist"),
        ("", "empty database URL"),
    ],
    ids=["backend", "driver", "directory", "empty"],
)
def test_store_wrong_urls_are_refused_clearly(url, message):
    with pytest.raises(StoreError, match=message):
        connect(url)


@pytest.mark.postgres
def test_store_postgres_url_without_driver_uses_psycopg(pg_db_url):
    # SQLAlchemy's default driver for postgresql:// is psycopg2, which the db extra lacks.
    plain = sa.make_url(pg_db_url).set(drivername="postgresql")
    eng = connect(plain.render_as_string(hide_password=False))
    try:
        assert eng.dialect.driver == "psycopg"
        assert count_claims(eng) == 0
    finally:
        eng.dispose()


def test_store_query_of_a_missing_sqlite_file_does_not_create_it(tmp_path):
    path = tmp_path / "missing.db"
    with pytest.raises(StoreError, match="no such database file"):
        connect(f"sqlite:///{path}", create=False)
    assert not path.exists()


def test_store_database_of_a_newer_version_is_refused_without_writing(engine, loaded, db_url):
    with engine.begin() as conn:
        conn.execute(
            s.schema_version.insert().values(
                version=99, description="from the future", applied_at=s.utcnow()
            )
        )
    for create in (True, False):
        with pytest.raises(SchemaVersionError, match="schema version 99, newer than"):
            connect(db_url, create=create)
    # Nothing was written: the claims are as loaded.
    assert table_count(engine, s.claims) == len(all_claims(loaded))


def test_store_tables_of_another_application_are_not_touched(db_url):
    eng = sa.create_engine(db_url)
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE claims (id INTEGER PRIMARY KEY, body TEXT)")
    eng.dispose()
    with pytest.raises(StoreError, match="claims that newsclaims did not create"):
        connect(db_url)


def test_store_read_only_sqlite_connection_is_refused_before_loading(tmp_path):
    path = tmp_path / "claims.db"
    connect(f"sqlite:///{path}").dispose()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="read-only") as err:
        connect(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert str(path) in str(err.value)
    assert path.read_bytes() == before


# -- schema versions -------------------------------------------------------------------


def _add_note_column(conn: sa.Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE claims ADD COLUMN note TEXT")


V2 = (*MIGRATIONS, Migration(2, "test: claims.note", _add_note_column))


def test_store_upgrade_runs_pending_steps_and_keeps_data(engine, loaded, db_url):
    n = len(all_claims(loaded))
    # Reading with a newer newsclaims asks for the upgrade instead of doing it.
    with pytest.raises(SchemaVersionError, match="newsclaims migrate"):
        connect(db_url, create=False, migrations=V2)
    upgraded = connect(db_url, migrations=V2)
    try:
        with upgraded.connect() as conn:
            versions = conn.scalars(
                sa.select(s.schema_version.c.version).order_by(s.schema_version.c.version)
            ).all()
            columns = {c["name"] for c in sa.inspect(conn).get_columns("claims")}
        assert versions == [1, 2]
        assert "note" in columns
        assert count_claims(upgraded) == n
        assert migrate(upgraded, migrations=V2) == 2  # idempotent
    finally:
        upgraded.dispose()
    # This newsclaims (version 1) now refuses the upgraded database.
    with pytest.raises(SchemaVersionError, match="schema version 2, newer than"):
        connect(db_url)


def test_store_new_database_records_every_version(engine):
    with engine.connect() as conn:
        versions = conn.scalars(sa.select(s.schema_version.c.version)).all()
    assert versions == [m.version for m in MIGRATIONS]


@pytest.fixture
def read_only_file():
    """Make a file read-only for this process: chmod, and `chattr +i` when running as root
    (root ignores permission bits)."""
    import subprocess

    made: list[Path] = []

    def make(path: Path) -> None:
        path.chmod(0o444)
        if os.geteuid() == 0:
            proc = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
            if proc.returncode != 0:
                pytest.skip(f"running as root and chattr +i failed: {proc.stderr.strip()}")
            made.append(path)

    yield make
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_store_read_only_file_is_refused_by_the_cli(tmp_path, read_only_file):
    path = tmp_path / "claims.db"
    eng = connect(f"sqlite:///{path}")
    load_claims(eng, ARTICLES[1], article_claims()[ARTICLES[1].id])
    eng.dispose()
    claims_file = write_jsonl(tmp_path / "new.jsonl", article_claims()[ARTICLES[0].id])
    read_only_file(path)
    before = path.read_bytes()
    proc = run_cli("load", str(claims_file), "--db", f"sqlite:///{path}")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith(f"newsclaims: sqlite:///{path}: the database is read-only")
    assert "Traceback" not in proc.stderr
    assert path.read_bytes() == before
    # Reading it is still fine.
    proc = run_cli("query", "--db", f"sqlite:///{path}", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 2
