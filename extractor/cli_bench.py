"""`newsclaims bench`: throughput of newsclaims against a naive spaCy pipeline on a corpus."""

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def bench(
        corpus: Annotated[
            Path, typer.Argument(help="A JSONL corpus: one {id, text, ...} article a line.")
        ],
        limit: Annotated[
            int | None, typer.Option(min=1, help="Only the first N articles of the corpus.")
        ] = None,
        n_process: Annotated[
            list[int] | None,
            typer.Option(
                "--n-process",
                min=1,
                help="newsclaims worker processes; repeat the "
                "option to compare several (default: 1 and 2).",
            ),
        ] = None,
        batch_size: Annotated[int, typer.Option(min=1, help="Articles per batch.")] = 32,
        model: Annotated[str | None, typer.Option(help="spaCy pipeline to load.")] = None,
        latency_sample: Annotated[
            int, typer.Option(min=0, help="Articles timed one at a time for ms/article.")
        ] = 200,
        memory_check: Annotated[
            bool,
            typer.Option(help="Also run the corpus repeated 10x: peak RSS within 10% of 1x."),
        ] = False,
    ) -> None:
        """Run newsclaims and the naive full-model pipeline on the same corpus, check that
        they give the same claims, and print articles/s, words/s, ms per article, peak RSS
        and the ratio. Exits 1 when the claims differ or the memory check fails."""
        from extractor.bench import bench as run_bench

        if not corpus.is_file():
            typer.echo(f"newsclaims: {corpus}: no such file", err=True)
            raise typer.Exit(2)
        try:
            report = run_bench(
                corpus,
                limit=limit,
                n_process=tuple(n_process or (1, 2)),
                batch_size=batch_size,
                model=model,
                latency_sample=latency_sample,
                memory_check=memory_check,
            )
        except RuntimeError as e:
            typer.echo(f"newsclaims: {e}", err=True)
            raise typer.Exit(1) from None
        typer.echo(report.render())
        if not report.identical or report.memory_ok is False:
            raise typer.Exit(1)
