"""`newsclaims extract` and `newsclaims evaluate`."""

import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from extractor.cli_common import fail, parse_date
from extractor.errors import NewsclaimsError


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    table = "table"


def load_extractor(model: str | None):
    """Build the Extractor, turning warnings and model errors into one-line messages."""
    from extractor.pipeline import Extractor

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ex = Extractor(model)
        except NewsclaimsError as e:
            raise fail(str(e), 2) from None
    for w in caught:
        if issubclass(w.category, UserWarning):
            typer.echo(f"newsclaims: warning: {w.message}", err=True)
    return ex


def register(app: typer.Typer) -> None:
    @app.command()
    def extract(
        inputs: Annotated[
            list[str] | None,
            typer.Argument(
                help="Articles: .txt, .html/.htm, .jsonl ({id,title,text,published,url} a "
                "line), http(s) URLs, or '-' for standard input (JSONL or plain text)."
            ),
        ] = None,
        published: Annotated[
            str | None, typer.Option(help="Publication date (YYYY-MM-DD) for inputs without one.")
        ] = None,
        model: Annotated[
            str | None,
            typer.Option(help="spaCy pipeline: a package name or path, or 'blank'."),
        ] = None,
        fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = (
            OutputFormat.jsonl
        ),
        output: Annotated[
            Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
        ] = None,
        force: Annotated[bool, typer.Option(help="Overwrite --output if it exists.")] = False,
        batch_size: Annotated[int, typer.Option(min=1, help="Articles per nlp.pipe batch.")] = 32,
        n_process: Annotated[int, typer.Option(min=1, help="Worker processes for nlp.pipe.")] = 1,
    ) -> None:
        """Extract the spending claims of articles; one JSON claim a line by default."""
        from extractor.inputs import read_inputs
        from extractor.sinks import open_sink

        date = parse_date(published)
        if output is not None and output.exists() and not force:
            raise fail(f"{output} exists; use --force to overwrite", 2)
        ex = load_extractor(model)
        failed = 0

        def articles():
            nonlocal failed
            for item in read_inputs(inputs or ["-"], published=date):
                if isinstance(item, NewsclaimsError):
                    failed += 1
                    typer.echo(f"newsclaims: {item}", err=True)
                    continue
                yield item

        try:
            with open_sink(fmt.value, output) as sink:
                for _article, claims in ex.pipe(articles(), batch_size=batch_size,
                                                n_process=n_process):  # fmt: skip
                    sink.write(claims)
        except NewsclaimsError as e:
            raise fail(str(e)) from None
        if failed:
            typer.echo(f"newsclaims: {failed} input(s) failed", err=True)
            raise typer.Exit(1)

    @app.command()
    def evaluate(
        gold_dir: Annotated[Path, typer.Argument(help="A directory of gold *.json files.")],
        model: Annotated[str | None, typer.Option(help="spaCy pipeline to evaluate.")] = None,
        predictions: Annotated[
            Path | None,
            typer.Option(help="Score this claim JSONL instead of running the extractor."),
        ] = None,
        show: Annotated[int, typer.Option(help="How many misses and extras to list.")] = 25,
        json_out: Annotated[Path | None, typer.Option("--json", help="Write the report.")] = None,
    ) -> None:
        """Score the extractor on gold articles (precision, recall, F1, field accuracy)."""
        from extractor.evaluate import evaluate_dir, load_predictions, render

        try:
            preds = load_predictions(predictions) if predictions else None
            ex = None if preds is not None else load_extractor(model)
            report = evaluate_dir(gold_dir, extractor=ex, predictions=preds)
        except NewsclaimsError as e:
            raise fail(str(e), 2) from None
        typer.echo(render(report, show=show))
        if json_out is not None:
            json_out.write_text(report.model_dump_json(indent=1))
        sys.stdout.flush()
