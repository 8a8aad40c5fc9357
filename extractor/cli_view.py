"""`newsclaims show` (highlighted HTML of articles) and `newsclaims plot` (timeline PNG).

Both are thin: they read inputs, call extractor.view / extractor.plot, and write one file.
Heavy imports (spaCy, trafilatura, pandas, matplotlib) happen inside the commands.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from extractor.cli_common import fail
from extractor.errors import InputError, NewsclaimsError
from extractor.models import Article, Claim


def register(app: typer.Typer) -> None:
    """Add the `show` and `plot` commands to the newsclaims app."""
    app.command("show")(show)
    app.command("plot")(plot)


def show(
    input_name: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="An article as `extract` reads it: .txt, .html/.htm, .jsonl, an http(s) URL, "
            "or '-' for standard input.",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="HTML file to write [default: INPUT.claims.html]."),
    ] = None,
    published: Annotated[
        str | None,
        typer.Option(help="Publication date (YYYY-MM-DD) for inputs without one."),
    ] = None,
    article_id: Annotated[
        str | None, typer.Option("--id", help="Only the article with this id (for .jsonl).")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="spaCy pipeline: a package name or path, or 'blank'.")
    ] = None,
) -> None:
    """Write one self-contained HTML page with every claim's figure highlighted by level."""
    from extractor.cli_common import parse_date
    from extractor.cli_extract import load_extractor
    from extractor.inputs import read_inputs
    from extractor.view import page_html
    from extractor.view import show as show_view

    date = parse_date(published)
    if output is None:
        if input_name == "-" or "://" in input_name:
            raise fail("give -o/--output when INPUT is standard input or a URL", 2)
        output = Path(input_name + ".claims.html")
    failures = 0
    articles: list[Article] = []
    for item in read_inputs([input_name], published=date):
        if isinstance(item, NewsclaimsError):
            typer.echo(f"newsclaims: skipped {item}", err=True)
            failures += 1
        elif article_id is None or item.id == article_id:
            articles.append(item)
    if not articles:
        what = f"no article with id {article_id!r}" if article_id else "no readable article"
        raise fail(f"{input_name}: {what}")
    ex = load_extractor(model)
    try:
        views = [show_view(a, claims) for a, claims in ex.pipe(articles)]
    except NewsclaimsError as e:
        raise fail(str(e)) from None
    title = views[0].title if len(views) == 1 else f"{Path(input_name).name}: {len(views)} articles"
    try:
        output.write_text(page_html(views, title=title), encoding="utf-8")
    except OSError as e:
        raise fail(f"{output}: cannot write: {e.strerror or e}") from None
    n_claims = sum(len(v.claims) for v in views)
    typer.echo(f"wrote {output}: {len(views)} article(s), {n_claims} claim(s)")
    if failures:
        raise typer.Exit(1)


def plot(
    claims_path: Annotated[
        Path, typer.Argument(metavar="CLAIMS", help="Claims JSONL, as `extract` writes it.")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Image to write (.png, .svg, .pdf).")
    ] = Path("timeline.png"),
    actor: Annotated[str | None, typer.Option(help="Only this actor (case-insensitive).")] = None,
    topic: Annotated[str | None, typer.Option(help="Only this topic.")] = None,
    unit: Annotated[
        str | None, typer.Option(help="'percent' or a currency code [default: most common].")
    ] = None,
) -> None:
    """Plot figures against publication date: colour = commitment level, marker = speaker."""
    claims: list[Claim] = []
    failures = 0
    try:
        for item in read_claims(claims_path):
            if isinstance(item, InputError):
                typer.echo(f"newsclaims: skipped {item}", err=True)
                failures += 1
            else:
                claims.append(item)
    except NewsclaimsError as e:
        raise fail(str(e)) from None
    if not claims:
        raise fail(f"{claims_path}: no valid claim to plot")
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: never open a window
        from extractor.plot import plot_timeline

        ax = plot_timeline(claims, actor=actor, topic=topic, unit=unit)
    except (NewsclaimsError, ValueError) as e:
        raise fail(str(e)) from None
    except ImportError:
        raise fail("plot needs matplotlib: pip install 'newsclaims[plot]'") from None
    try:
        ax.figure.savefig(output, dpi=150, bbox_inches="tight")
    except (OSError, ValueError) as e:
        raise fail(f"{output}: cannot write the image: {e}") from None
    finally:
        import matplotlib.pyplot as plt

        plt.close(ax.figure)
    typer.echo(f"wrote {output}: from {len(claims)} claim(s) read")
    if failures:
        raise typer.Exit(1)


def read_claims(path: Path) -> Iterator[Claim | InputError]:
    """Claims from a JSONL file; a bad line yields an InputError naming it."""
    from pydantic import ValidationError

    source = str(path)
    try:
        text = _decode(path.read_bytes(), source)
    except OSError as e:
        raise InputError(source, f"cannot read: {e.strerror or e}") from None
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield Claim.model_validate_json(line)
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "(line)"
            yield InputError(source, f"{loc}: {first['msg']}", line=line_no)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(source, f"not UTF-8 text (invalid byte at offset {e.start})") from None
