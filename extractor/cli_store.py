"""`newsclaims load`, `query`, `export` and `migrate`: the claims database from the shell.

Thin wrappers over extractor.store; SQLAlchemy is imported inside the commands so that
`newsclaims --help` stays fast.
"""

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from extractor.cli_common import fail
from extractor.errors import NewsclaimsError

DB_HELP = (
    "Database URL: sqlite:///claims.db (or a plain file path) or "
    "postgresql+psycopg://user@host/dbname. Default: $NEWSCLAIMS_DB."
)
Db = Annotated[str, typer.Option("--db", envvar="NEWSCLAIMS_DB", help=DB_HELP)]
Actor = Annotated[
    str | None, typer.Option(help="Whose money, e.g. Britain (whole value, any case).")
]
Speaker = Annotated[str | None, typer.Option(help="Who made the claim (whole value, any case).")]
Topic = Annotated[list[str] | None, typer.Option(help="Topic, e.g. defence; repeat for any of.")]
Level = Annotated[
    list[str] | None, typer.Option(help="Commitment level, e.g. certainty; repeat for any of.")
]
Unit = Annotated[list[str] | None, typer.Option(help="percent or a currency code, e.g. GBP.")]
Since = Annotated[str | None, typer.Option(help="Published on or after (YYYY-MM-DD).")]
Until = Annotated[str | None, typer.Option(help="Published on or before (YYYY-MM-DD).")]
StartSince = Annotated[str | None, typer.Option(help="Start on or after (2026, 2026-04, ...).")]
StartUntil = Annotated[str | None, typer.Option(help="Start within or before this period.")]
DeadlineSince = Annotated[str | None, typer.Option(help="Deadline on or after (2030, ...).")]
DeadlineUntil = Annotated[str | None, typer.Option(help="Deadline within or before (2030, ...).")]
Text = Annotated[str | None, typer.Option(help="Words in the sentence (any case).")]
ArticleOpt = Annotated[str | None, typer.Option("--article", help="An article id or URL.")]
Superseded = Annotated[
    bool,
    typer.Option(
        "--include-superseded", help="Also claims a later load of their article no longer found."
    ),
]


def _filters(**values: Any) -> Any:
    from pydantic import ValidationError

    from extractor.store import Filters

    options = {
        "published_since": "--since",
        "published_until": "--until",
        "start_since": "--start-since",
        "start_until": "--start-until",
        "deadline_since": "--deadline-since",
        "deadline_until": "--deadline-until",
    }
    try:
        return Filters(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as e:
        err = e.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        option = options.get(field, "--" + field.replace("_", "-"))
        raise fail(f"{option}: {err['msg']} (got {err.get('input')!r})", 2) from None


def _open(db: str, *, create: bool) -> Any:
    from extractor.store import connect

    try:
        return connect(db, create=create)
    except NewsclaimsError as e:
        raise fail(str(e)) from None


def register(app: typer.Typer) -> None:
    @app.command()
    def load(
        inputs: Annotated[
            list[str],
            typer.Argument(help="Claim JSONL files from `newsclaims extract`; '-' for stdin."),
        ],
        db: Db,
        articles: Annotated[
            Path | None,
            typer.Option(
                help="The article JSONL given to extract: stores URL, title, text hash "
                "(claims keyed by the article's URL then match a `run --db` load)."
            ),
        ] = None,
        extractor_version: Annotated[
            str | None, typer.Option(help="Recorded with the claims (default: this version).")
        ] = None,
    ) -> None:
        """Load claims into a database: each claim once, each article in one transaction.

        Loading again, or in parallel, is safe. An article's newest load decides its claims:
        ones it no longer has are marked superseded, never deleted. Bad lines are reported,
        recorded in the failures table and skipped (exit code 1).
        """
        from extractor.store import LoadResult, load_claims_file

        by_id = _read_articles(articles) if articles else None
        engine = _open(db, create=True)
        total = LoadResult()
        try:
            for name in inputs:
                result = load_claims_file(
                    engine,
                    "<stdin>" if name == "-" else name,
                    articles=by_id,
                    extractor_version=extractor_version,
                    stream=sys.stdin.buffer if name == "-" else None,
                )
                for message in result.messages:
                    typer.echo(f"newsclaims: {message}", err=True)
                total.add(result)
        except NewsclaimsError as e:
            raise fail(str(e)) from None
        finally:
            engine.dispose()
        typer.echo(
            f"loaded {total.claims} claim(s) of {total.articles} article(s): "
            f"{total.inserted} new, {total.updated} updated, {total.unchanged} unchanged, "
            f"{total.superseded} superseded"
            + (f"; {total.failed} line(s) failed" if total.failed else ""),
            err=True,
        )
        if total.failed:
            raise typer.Exit(1)

    @app.command()
    def query(
        db: Db,
        actor: Actor = None,
        speaker: Speaker = None,
        topic: Topic = None,
        level: Level = None,
        unit: Unit = None,
        since: Since = None,
        until: Until = None,
        start_since: StartSince = None,
        start_until: StartUntil = None,
        deadline_since: DeadlineSince = None,
        deadline_until: DeadlineUntil = None,
        text: Text = None,
        article: ArticleOpt = None,
        include_superseded: Superseded = False,
        limit: Annotated[int | None, typer.Option(min=1, help="At most this many.")] = None,
        fmt: Annotated[
            str, typer.Option("--format", help="table, jsonl, json or csv (as extract).")
        ] = "table",
        output: Annotated[
            Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
        ] = None,
    ) -> None:
        """Find stored claims, e.g. every certainty pledge on defence by Britain this year."""
        if fmt not in ("table", "jsonl", "json", "csv"):
            raise fail(f"--format {fmt!r}: expected table, jsonl, json or csv", 2)
        filters = _filters(
            actor=actor,
            speaker=speaker,
            topic=topic,
            level=level,
            unit=unit,
            published_since=since,
            published_until=until,
            start_since=start_since,
            start_until=start_until,
            deadline_since=deadline_since,
            deadline_until=deadline_until,
            text=text,
            article=article,
            include_superseded=include_superseded,
        )
        from extractor.sinks import open_sink
        from extractor.store import query_claims

        engine = _open(db, create=False)
        try:
            claims = query_claims(engine, filters, limit=limit)
        except NewsclaimsError as e:
            raise fail(str(e)) from None
        finally:
            engine.dispose()
        with open_sink(fmt, output) as sink:
            sink.write(claims)

    @app.command()
    def export(
        db: Db,
        fmt: Annotated[
            str,
            typer.Option(
                "--format",
                help="jsonl (claims, as extract), csv or parquet (flat rows with the "
                "article URL), claimreview (schema.org Claim JSON-LD).",
            ),
        ] = "jsonl",
        output: Annotated[
            Path | None,
            typer.Option("-o", "--output", help="Write here (required for parquet)."),
        ] = None,
        force: Annotated[bool, typer.Option(help="Overwrite --output if it exists.")] = False,
        actor: Actor = None,
        speaker: Speaker = None,
        topic: Topic = None,
        level: Level = None,
        unit: Unit = None,
        since: Since = None,
        until: Until = None,
        start_since: StartSince = None,
        start_until: StartUntil = None,
        deadline_since: DeadlineSince = None,
        deadline_until: DeadlineUntil = None,
        text: Text = None,
        article: ArticleOpt = None,
        include_superseded: Superseded = False,
    ) -> None:
        """Export stored claims for fact-checking tools, spreadsheets or pandas."""
        formats = ("jsonl", "csv", "parquet", "claimreview")
        if fmt not in formats:
            raise fail(f"--format {fmt!r}: expected one of {', '.join(formats)}", 2)
        if fmt == "parquet" and output is None:
            raise fail("--format parquet needs -o FILE", 2)
        if output is not None and output.exists() and not force:
            raise fail(f"{output} exists; use --force to overwrite", 2)
        filters = _filters(
            actor=actor,
            speaker=speaker,
            topic=topic,
            level=level,
            unit=unit,
            published_since=since,
            published_until=until,
            start_since=start_since,
            start_until=start_until,
            deadline_since=deadline_since,
            deadline_until=deadline_until,
            text=text,
            article=article,
            include_superseded=include_superseded,
        )
        from extractor.store import export as run_export

        engine = _open(db, create=False)
        try:
            n = run_export(engine, fmt, output if output is not None else sys.stdout, filters)
        except NewsclaimsError as e:
            raise fail(str(e)) from None
        except BrokenPipeError:
            # The reader (e.g. `head`) closed the pipe: not an error; keep Python quiet on exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        except OSError as e:
            raise fail(f"{output}: {e.strerror or e}") from None
        finally:
            engine.dispose()
        if output is not None:
            typer.echo(f"wrote {n} claim(s) to {output}", err=True)

    @app.command()
    def migrate(db: Db) -> None:
        """Create the newsclaims tables in a database, or upgrade them to this version."""
        from extractor.store import SCHEMA_VERSION

        engine = _open(db, create=True)
        engine.dispose()
        typer.echo(f"{_display(db)}: schema version {SCHEMA_VERSION}")


def _display(db: str) -> str:
    from extractor.store.db import display, parse_url

    return display(parse_url(db))


def _read_articles(path: Path) -> dict[str, Any]:
    from pydantic import ValidationError

    from extractor.models import Article

    out: dict[str, Article] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    article = Article.model_validate_json(line)
                except ValidationError as e:
                    err = e.errors()[0]
                    where = ".".join(str(p) for p in err["loc"])
                    raise fail(
                        f"{path}:{lineno}: not an article record: {where}: {err['msg']}", 2
                    ) from None
                out[article.id] = article
    except OSError as e:
        raise fail(f"{path}: {e.strerror or e}", 2) from None
    except UnicodeDecodeError as e:
        raise fail(f"{path}: not UTF-8 text ({e.reason})", 2) from None
    return out
