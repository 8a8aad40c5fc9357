"""Opening a database: URL checks, engine set-up per backend, schema version checks.

    engine = connect("sqlite:///claims.db")              # creates or upgrades the schema
    engine = connect("postgresql+psycopg://fc@db/claims")
    engine = connect("claims.db", create=False)          # read-only use: query, export

Every database error leaves this package as a StoreError whose message starts with the
database URL (password hidden), so the CLI can print it as one line.
"""

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from extractor.errors import NewsclaimsError
from extractor.store import schema as s

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
# Session-level lock so that two processes never migrate the same PostgreSQL database at once.
_PG_MIGRATION_LOCK = int.from_bytes(hashlib.sha256(b"newsclaims.migrate").digest()[:4], "big")
_WRITE = "newsclaims_write"


class StoreError(NewsclaimsError):
    """The database cannot be used: the message names it (URL without password) and says why."""

    def __init__(self, db: str, message: str) -> None:
        self.db = db
        self.reason = message
        super().__init__(f"{db}: {message}")


class SchemaVersionError(StoreError):
    """The database was made by a newer (or older, for read-only use) newsclaims."""


def parse_url(url: str | sa.URL) -> sa.URL:
    """A SQLAlchemy URL for `url`; a bare path means an SQLite file, 'postgresql' means psycopg 3.

    Raises StoreError for text that is not a URL of a supported backend.
    """
    if isinstance(url, sa.URL):
        parsed = url
    else:
        text = url.strip()
        if not text:
            raise StoreError(repr(url), "empty database URL")
        if "://" not in text:
            return sa.URL.create("sqlite", database=text)
        try:
            parsed = sa.make_url(text)
        except sa.exc.ArgumentError:
            raise StoreError(
                text,
                "not a database URL (expected e.g. sqlite:///claims.db or "
                "postgresql+psycopg://user@host/dbname)",
            ) from None
    backend = parsed.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend not in SUPPORTED_BACKENDS:
        raise StoreError(
            display(parsed),
            f"unsupported database {backend!r}; newsclaims stores claims in "
            + " or ".join(SUPPORTED_BACKENDS),
        )
    if backend == "postgresql" and "+" not in parsed.drivername:
        # SQLAlchemy's default PostgreSQL driver is psycopg2; the db extra installs psycopg 3.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def display(url: str | sa.URL) -> str:
    """The URL as shown in messages: the password is replaced by ***."""
    if isinstance(url, sa.URL):
        return url.render_as_string(hide_password=True)
    return url


def create_engine(url: str | sa.URL, *, must_exist: bool = False) -> sa.Engine:
    """An engine set up for newsclaims' transactions; no connection is made yet.

    SQLite: pysqlite's own transaction handling is switched off and every transaction begins
    with BEGIN (or BEGIN IMMEDIATE when it will write, so that two writers queue on the busy
    timeout instead of failing on a lock upgrade). Python's str.lower replaces SQLite's
    ASCII-only lower() so that case-insensitive filters match PostgreSQL's on non-ASCII text.
    must_exist: refuse a missing SQLite file instead of creating an empty one.
    """
    parsed = parse_url(url)
    name = display(parsed)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, name, must_exist=must_exist)
    connect_args: dict[str, object] = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = 10
    try:
        return sa.create_engine(parsed, connect_args=connect_args)
    except (ImportError, sa.exc.NoSuchModuleError) as e:
        raise StoreError(
            name,
            f"the database driver is not installed ({e}); install it with "
            "pip install 'newsclaims[db]'",
        ) from None


def _sqlite_engine(parsed: sa.URL, name: str, *, must_exist: bool) -> sa.Engine:
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in str(parsed)
    if not in_memory and not parsed.query.get("uri"):
        path = Path(database)
        if not path.parent.is_dir():
            raise StoreError(name, f"directory {str(path.parent)!r} does not exist")
        if path.is_dir():
            raise StoreError(name, "is a directory, not an SQLite database file")
        if must_exist and not path.exists():
            raise StoreError(name, "no such database file (load claims into it first)")
    kwargs: dict[str, object] = {"connect_args": {"timeout": 60}}
    if in_memory:
        kwargs["poolclass"] = sa.pool.StaticPool
        kwargs["connect_args"] = {"check_same_thread": False}
    engine = sa.create_engine(parsed, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        # With WAL (set by migrate), NORMAL syncs at checkpoints instead of every commit: a
        # killed process loses nothing committed; a power cut may lose the last commits but
        # never corrupts the file. One fsync per article would cap loads at ~100 articles/s.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(
            "BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN"
        )

    return engine


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


@contextlib.contextmanager
def errors(engine: sa.Engine) -> Iterator[None]:
    """Turn driver errors into StoreError naming the database."""
    try:
        yield
    except sa.exc.DBAPIError as e:
        raise StoreError(display(engine.url), describe(e)) from e
    except sa.exc.SQLAlchemyError as e:
        raise StoreError(display(engine.url), str(e).splitlines()[0]) from e


def describe(e: sa.exc.DBAPIError) -> str:
    """The driver's own message, first line only, with a hint for the common cases."""
    text = (str(e.orig).strip() or type(e.orig).__name__).splitlines()[0]
    lowered = text.lower()
    if "readonly database" in lowered or "read-only" in lowered:
        return f"the database is read-only ({text})"
    if "unable to open database file" in lowered:
        return f"cannot open the database file ({text})"
    if "connection refused" in lowered or "could not connect" in lowered:
        return f"cannot connect ({text}); is the server running and the URL right?"
    return text


@contextlib.contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One transaction that will write (BEGIN IMMEDIATE on SQLite); commits on success."""
    with errors(engine), engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextlib.contextmanager
def read_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One read-only transaction (a consistent snapshot on both backends)."""
    with errors(engine), engine.connect() as conn, conn.begin():
        yield conn


def connect(
    url: str | sa.URL,
    *,
    create: bool = True,
    migrations: tuple[s.Migration, ...] = s.MIGRATIONS,
) -> sa.Engine:
    """Open the database at `url`, ready for newsclaims.

    create=True (loading): create the tables in an empty database, or apply pending
    migrations, and check that it can be written. create=False (query, export): the
    database must exist and be at this newsclaims' schema version; nothing is written.
    Raises StoreError (SchemaVersionError for a version mismatch) naming the database.
    """
    engine = create_engine(url, must_exist=not create)
    try:
        if create:
            migrate(engine, migrations=migrations)
        else:
            check_schema(engine, migrations=migrations)
    except BaseException:
        engine.dispose()
        raise
    return engine


def stored_version(conn: sa.Connection) -> int | None:
    """The database's schema version, or None when it has no newsclaims tables."""
    if not sa.inspect(conn).has_table("schema_version"):
        return None
    return conn.scalar(sa.select(sa.func.max(s.schema_version.c.version)))


def check_schema(engine: sa.Engine, *, migrations: tuple[s.Migration, ...] = s.MIGRATIONS) -> int:
    """The schema version, after checking it is exactly the one this code reads."""
    newest = migrations[-1].version
    with read_transaction(engine) as conn:
        version = stored_version(conn)
    name = display(engine.url)
    if version is None:
        raise StoreError(name, "has no newsclaims tables (load claims into it first)")
    if version > newest:
        raise _too_new(name, version, newest)
    if version < newest:
        raise SchemaVersionError(
            name,
            f"has schema version {version}, this newsclaims reads version {newest}; "
            f"upgrade it with: newsclaims migrate --db '{name}'",
        )
    return version


def migrate(engine: sa.Engine, *, migrations: tuple[s.Migration, ...] = s.MIGRATIONS) -> int:
    """Create or upgrade the schema in one write transaction; returns the version.

    It also checks that the database is writable, so a read-only file fails here, before
    any article is loaded.
    """
    newest = migrations[-1].version
    name = display(engine.url)
    if engine.dialect.name == "sqlite":
        _enable_wal(engine)
    with write_transaction(engine) as conn:
        _check_writable(conn, name, newest)
        version = stored_version(conn)
        if version is None:
            present = [t for t in s.NEWSCLAIMS_TABLES if sa.inspect(conn).has_table(t)]
            if present:
                raise StoreError(
                    name,
                    f"has table(s) {', '.join(present)} that newsclaims did not create "
                    "(no schema_version table); use another database or schema",
                )
            s.metadata.create_all(conn)
            conn.execute(
                s.schema_version.insert(),
                [
                    {"version": m.version, "description": m.description, "applied_at": s.utcnow()}
                    for m in migrations
                ],
            )
            return newest
        if version > newest:
            raise _too_new(name, version, newest)
        for step in migrations:
            if step.version <= version:
                continue
            if step.upgrade is not None:
                step.upgrade(conn)
            conn.execute(
                s.schema_version.insert().values(
                    version=step.version, description=step.description, applied_at=s.utcnow()
                )
            )
        return newest


def _enable_wal(engine: sa.Engine) -> None:
    """Write-ahead logging: readers do not block the loader and commits are cheap. Persistent
    in the file; it must be set outside a transaction, hence the raw DBAPI connection."""
    with errors(engine):
        raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA journal_mode = WAL")
    except Exception:  # a read-only file: _check_writable reports it
        pass
    finally:
        raw.close()


def _check_writable(conn: sa.Connection, name: str, newest: int) -> None:
    if conn.dialect.name == "postgresql":
        if conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on":
            raise StoreError(name, "the database is read-only (transaction_read_only is on)")
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
    else:
        # BEGIN IMMEDIATE succeeds on a read-only SQLite file; a real (tiny) write does not.
        # user_version is SQLite's own header field; it mirrors the schema version.
        conn.exec_driver_sql(f"PRAGMA user_version = {int(newest)}")


def _too_new(name: str, version: int, newest: int) -> SchemaVersionError:
    return SchemaVersionError(
        name,
        f"has schema version {version}, newer than this newsclaims understands ({newest}); "
        "upgrade newsclaims (pip install -U newsclaims) instead of writing to it",
    )


def as_engine(db: sa.Engine | str | sa.URL) -> tuple[sa.Engine, bool]:
    """(engine, owned): a URL is opened for writing here and must be disposed by the caller."""
    if isinstance(db, sa.Engine):
        return db, False
    return connect(db), True
