"""`newsclaims track`: link claims about one pledge across articles and show how it moved.

A thin layer over extractor.track. Claims come from claim JSONL files (the output of
`newsclaims extract`) or from a claims database (`--db`); the result is a text timeline per
pledge or one JSON pledge a line. SQLAlchemy is imported only when `--db` is used.
"""

import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from extractor.cli_common import fail, parse_date
from extractor.errors import InputError, NewsclaimsError


class TrackFormat(StrEnum):
    text = "text"
    jsonl = "jsonl"


class EventFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def _lines(path: str) -> Iterator[tuple[int, str]]:
    if path == "-":
        yield from enumerate(sys.stdin, start=1)
        return
    try:
        with open(path, encoding="utf-8") as fh:
            yield from enumerate(fh, start=1)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(path, f"cannot read: {e}") from None


def read_claims_jsonl(path: str) -> Iterator[Any]:
    """Claims from one JSONL file: a Claim per line, or an InputError for a bad line
    (yielded, not raised, so the other lines still count)."""
    from pydantic import ValidationError

    from extractor.models import Claim

    for lineno, raw in _lines(path):
        line = raw.strip()
        if not line:
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            yield InputError(path, f"not valid JSON: {e.msg}", line=lineno)
            continue
        try:
            yield Claim.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "(record)"
            yield InputError(path, f"not a claim: {loc}: {first['msg']}", line=lineno)


def read_articles_jsonl(path: str) -> Iterator[Any]:
    """Articles ({id, title, text, published, url} a line), or InputErrors for bad lines."""
    from extractor.pipeline import article_from_dict

    for lineno, raw in _lines(path):
        line = raw.strip()
        if not line:
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            yield InputError(path, f"not valid JSON: {e.msg}", line=lineno)
            continue
        if not isinstance(data, dict):
            yield InputError(path, "an article must be a JSON object", line=lineno)
            continue
        try:
            yield article_from_dict(data, source=path, line=lineno)
        except InputError as e:
            yield e


def _write(out: IO[str], pledges: list[Any], fmt: TrackFormat) -> None:
    from extractor.track import render_text

    if fmt is TrackFormat.text:
        out.write(render_text(pledges) if pledges else "no pledges\n")
    else:
        for pledge in pledges:
            out.write(pledge.model_dump_json() + "\n")


def register(app: typer.Typer) -> None:
    @app.command()
    def track(
        inputs: Annotated[
            list[str] | None,
            typer.Argument(help="Claim JSONL files (from `newsclaims extract`), '-' for stdin."),
        ] = None,
        db: Annotated[
            str | None,
            typer.Option(
                "--db",
                envvar="NEWSCLAIMS_DB",
                help="Read the claims from this database (sqlite:///claims.db, postgresql+psycopg://…)"
                " instead of files.",
            ),
        ] = None,
        articles_file: Annotated[
            list[str] | None,
            typer.Option(
                "--articles",
                help="Article JSONL ({id,title,text,published,url}) for dates, the article's "
                "country and appearance URLs.",
            ),
        ] = None,
        actor: Annotated[
            str | None,
            typer.Option(help="Only this actor's pledges; aliases count (UK = Britain)."),
        ] = None,
        topic: Annotated[
            list[str] | None, typer.Option(help="Only this topic, e.g. defence; repeat for any of.")
        ] = None,
        since: Annotated[
            str | None, typer.Option(help="Only claims published on or after (YYYY-MM-DD).")
        ] = None,
        until: Annotated[
            str | None, typer.Option(help="Only claims published on or before (YYYY-MM-DD).")
        ] = None,
        aliases: Annotated[
            list[Path] | None,
            typer.Option(
                help="Your own actor alias file (rows as patterns/actor_aliases.jsonl); "
                "it adds to and overrides the packaged table. Repeatable."
            ),
        ] = None,
        events_only: Annotated[
            bool, typer.Option("--events-only", help="Only pledges with at least one event.")
        ] = False,
        save: Annotated[
            bool,
            typer.Option(help="With --db: store the pledges and events in the database too."),
        ] = False,
        fmt: Annotated[TrackFormat, typer.Option("--format", help="Output format.")] = (
            TrackFormat.text
        ),
        output: Annotated[
            Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
        ] = None,
        force: Annotated[bool, typer.Option(help="Overwrite --output if it exists.")] = False,
    ) -> None:
        """Link claims about the same pledge across articles; flag walk-backs, raises, cuts,
        deadline moves and speaker changes."""
        from extractor.aliases import AliasTable
        from extractor.models import Topic
        from extractor.track import track as track_claims

        if not inputs and db is None:
            raise fail("give claim JSONL files or --db URL", 2)
        if inputs and db is not None:
            raise fail("give either claim files or --db, not both", 2)
        if save and db is None:
            raise fail("--save needs --db", 2)
        if output is not None and output.exists() and not force:
            raise fail(f"{output} exists; use --force to overwrite", 2)
        try:
            topics = {Topic(t.strip().lower()) for t in topic or []}
        except ValueError:
            allowed = ", ".join(t.value for t in Topic)
            raise fail(f"--topic: unknown topic in {topic!r}; one of: {allowed}", 2) from None
        first, last = parse_date(since, "--since"), parse_date(until, "--until")
        try:
            table = AliasTable.load(list(aliases or []))
        except NewsclaimsError as e:
            raise fail(str(e), 2) from None

        failed = 0
        articles: dict[str, Any] = {}
        for path in articles_file or []:
            for item in read_articles_jsonl(path):
                if isinstance(item, NewsclaimsError):
                    failed += 1
                    typer.echo(f"newsclaims: {item}", err=True)
                else:
                    articles[item.id] = item

        engine = None
        claims: list[Any] = []
        try:
            if db is not None:
                _need_db_extra()
                from extractor.store.pledges import stored_articles
                from extractor.store.query import Filters, query_claims

                engine = _open(db, create=save)
                filters = Filters(topic=tuple(topics), published_since=first, published_until=last)
                claims = query_claims(engine, filters)
                for article in stored_articles(engine, {c.article_id for c in claims}):
                    articles.setdefault(article.id, article)
            else:
                for path in inputs or []:
                    for item in read_claims_jsonl(path):
                        if isinstance(item, NewsclaimsError):
                            failed += 1
                            typer.echo(f"newsclaims: {item}", err=True)
                        else:
                            claims.append(item)
                claims = [
                    c
                    for c in claims
                    if (not topics or c.topic in topics) and _within(c, articles, first, last)
                ]
            pledges = track_claims(claims, articles=articles, aliases=table)
            wanted = None
            if actor is not None:
                wanted = table.resolve(actor).canonical or actor
                pledges = [p for p in pledges if p.actor.casefold() == wanted.casefold()]
            if save and engine is not None:
                from extractor.store.pledges import save_pledges

                save_pledges(engine, pledges, topics=[t.value for t in topics], actor=wanted)
            if events_only:
                pledges = [p for p in pledges if p.events]
            if output is None:
                _write(sys.stdout, pledges, fmt)
            else:
                with output.open("w", encoding="utf-8") as out:
                    _write(out, pledges, fmt)
        except NewsclaimsError as e:
            raise fail(str(e)) from None
        if failed:
            typer.echo(f"newsclaims: {failed} input line(s) failed", err=True)
            raise typer.Exit(1)

    @app.command("events")
    def events(
        db: Annotated[
            str,
            typer.Option("--db", envvar="NEWSCLAIMS_DB", help="Database URL (see `track --db`)."),
        ],
        actor: Annotated[str | None, typer.Option(help="Only this actor's events.")] = None,
        topic: Annotated[str | None, typer.Option(help="Only this topic's events.")] = None,
        fmt: Annotated[EventFormat, typer.Option("--format", help="Output format.")] = (
            EventFormat.jsonl
        ),
        output: Annotated[
            Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
        ] = None,
        force: Annotated[bool, typer.Option(help="Overwrite --output if it exists.")] = False,
    ) -> None:
        """Export the pledge events stored by `track --db URL --save`."""
        _need_db_extra()
        from extractor.store.pledges import write_events

        if output is not None and output.exists() and not force:
            raise fail(f"{output} exists; use --force to overwrite", 2)
        try:
            engine = _open(db, create=False)
            if output is None:
                write_events(engine, sys.stdout, fmt=fmt.value, actor=actor, topic=topic)
            else:
                with output.open("w", encoding="utf-8", newline="") as out:
                    write_events(engine, out, fmt=fmt.value, actor=actor, topic=topic)
        except NewsclaimsError as e:
            raise fail(str(e)) from None


def _need_db_extra() -> None:
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        raise fail("--db needs the db extra: pip install 'newsclaims[db]'") from None


def _open(db: str, *, create: bool) -> Any:
    from extractor.store import connect

    return connect(db, create=create)


def _within(claim: Any, articles: dict[str, Any], first: Any, last: Any) -> bool:
    if first is None and last is None:
        return True
    article = articles.get(claim.article_id)
    date = claim.published or (article.published if article else None)
    if date is None:
        return False
    return (first is None or date >= first) and (last is None or date <= last)
