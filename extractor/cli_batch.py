"""`newsclaims run`: batch-process feeds, sitemaps, URL lists, HTML files and JSONL dumps."""

from pathlib import Path
from typing import Annotated

import typer

from extractor.cli_common import parse_date

EXIT_FAILURES = 1  # the run finished but some articles or sources failed (see failures.jsonl)
EXIT_ERROR = 2  # the run could not start (bad option, output dir, settings, model)


def run_command(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="URLs (pages, RSS/Atom feeds, sitemaps), files of URLs, .html files or "
            "directories, .jsonl article dumps, saved .xml feeds/sitemaps.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output directory (ledger, shards, failures).")
    ],
    model: Annotated[
        str | None, typer.Option(help="spaCy pipeline: package name, path or 'blank'.")
    ] = None,
    n_process: Annotated[int, typer.Option("--n-process", min=1, help="NLP processes.")] = 1,
    batch_size: Annotated[int, typer.Option(min=1, help="Articles per nlp.pipe batch.")] = 32,
    since: Annotated[
        str | None, typer.Option(help="Skip entries and pages dated before YYYY-MM-DD.")
    ] = None,
    published: Annotated[
        str | None,
        typer.Option(help="Publication date (YYYY-MM-DD) for pages that give none."),
    ] = None,
    shard_size: Annotated[int, typer.Option(min=1, help="Articles per output shard.")] = 500,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Try again the articles that failed before.")
    ] = False,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private",
            help="Allow fetching from loopback/private/link-local addresses (unsafe on servers).",
        ),
    ] = False,
    no_robots: Annotated[
        bool, typer.Option("--ignore-robots", help="Do not read or obey robots.txt.")
    ] = False,
    settings_file: Annotated[
        Path | None, typer.Option("--settings", help="TOML file overriding fetch limits.")
    ] = None,
    max_bytes: Annotated[
        int | None, typer.Option(min=1, help="Cap on a decompressed response (bytes).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Read timeout per response (seconds).")
    ] = None,
    extraction_timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Cleaning time limit per page (seconds).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Fetching threads; with --engine dask: worker processes of the local cluster "
            "(default: one per core).",
        ),
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar (default: if a terminal)."),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="'local': this process (resumable ledger); 'dask': partitions on a Dask "
            "cluster (needs the dask extra), see docs/scale-out.md.",
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:8786); default: a local cluster."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="NEWSCLAIMS_DB",
            help="Also load the claims into this database (sqlite:///claims.db, "
            "postgresql+psycopg://…); idempotent, resumable.",
        ),
    ] = None,
    partition_size: Annotated[
        int, typer.Option(min=1, help="Articles per Dask task and its shard (--engine dask).")
    ] = 100,
) -> None:
    """Fetch, clean and extract claims from many articles; resumable and safe.

    Re-running the same command into the same output directory skips finished articles and
    writes every claim exactly once. Exit code 1 when some articles failed.
    """
    from extractor.batch import run
    from extractor.errors import NewsclaimsError
    from extractor.settings import load_settings

    since_date = parse_date(since, "--since")
    published_date = parse_date(published, "--published")
    if engine not in ("local", "dask"):
        typer.echo(f"--engine: {engine!r} is not one of 'local', 'dask'", err=True)
        raise typer.Exit(EXIT_ERROR)
    if engine == "local" and scheduler:
        typer.echo("--scheduler needs --engine dask", err=True)
        raise typer.Exit(EXIT_ERROR)
    if engine == "dask" and n_process > 1:
        typer.echo(
            "--n-process is for the local engine; use --workers with --engine dask", err=True
        )
        raise typer.Exit(EXIT_ERROR)
    if engine == "local" and (output / "dask-ledger.sqlite").exists():
        typer.echo(f"{output}: holds a run of --engine dask; rerun it with --engine dask", err=True)
        raise typer.Exit(EXIT_ERROR)
    try:
        settings = load_settings(
            settings_file,
            allow_private=True if allow_private else None,
            respect_robots=False if no_robots else None,
            max_bytes=max_bytes,
            read_timeout=timeout,
            extraction_timeout=extraction_timeout,
            fetch_workers=workers if engine == "local" else None,
        )
        if engine == "dask":
            from extractor.distributed import run_dask

            summary = run_dask(
                sources,
                output,
                settings=settings,
                model=model,
                scheduler=scheduler,
                workers=workers,
                partition_size=partition_size,
                batch_size=batch_size,
                since=since_date,
                published=published_date,
                retry_failed=retry_failed,
                progress=progress,
                db=db,
            )
        else:
            summary = run(
                sources,
                output,
                settings=settings,
                model=model,
                n_process=n_process,
                batch_size=batch_size,
                since=since_date,
                published=published_date,
                shard_size=shard_size,
                retry_failed=retry_failed,
                progress=progress,
            )
        if db and engine == "local":
            from extractor import __version__
            from extractor.batch_db import load_run

            typer.echo(load_run(output, db, extractor_version=__version__).line(), err=True)
    except NewsclaimsError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    typer.echo(summary.line(), err=True)
    if summary.failed:
        typer.echo(f"{summary.failed} failed: see {output / 'failures.jsonl'}", err=True)
        raise typer.Exit(EXIT_FAILURES)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
