"""`newsclaims show` (highlighted HTML of articles) and `newsclaims plot` (timeline PNG).

Both are thin: they read inputs, call extractor.view / extractor.plot, and write one file.
Heavy imports (spaCy, trafilatura, pandas, matplotlib) happen inside the commands.
"""

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from extractor.errors import InputError, NewsclaimsError
from extractor.models import Article, Claim

_TEXT_SUFFIXES = (".txt", ".text", ".md")
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_JSONL_SUFFIXES = (".jsonl", ".ndjson")


def register(app: typer.Typer) -> None:
    """Add the `show` and `plot` commands to the newsclaims app."""
    app.command("show")(show)
    app.command("plot")(plot)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"newsclaims: {message}", err=True)
    return typer.Exit(code)


def show(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="An article: .txt, .html or .jsonl.")
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="HTML file to write [default: INPUT.claims.html]."),
    ] = None,
    published: Annotated[
        str | None,
        typer.Option(help="Publication date (YYYY-MM-DD) when the input gives none."),
    ] = None,
    article_id: Annotated[
        str | None, typer.Option("--id", help="Only this article of a .jsonl input.")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="spaCy pipeline: a package, a path or 'blank'.")
    ] = None,
) -> None:
    """Write one self-contained HTML page with every claim's figure highlighted by level."""
    from extractor.pipeline import Extractor
    from extractor.view import page_html
    from extractor.view import show as show_view

    try:
        date = dt.date.fromisoformat(published) if published else None
    except ValueError:
        raise _fail(f"--published {published!r} is not a date (YYYY-MM-DD)", 2) from None
    out = output or input_path.with_name(input_path.name + ".claims.html")
    failures = 0
    articles: list[Article] = []
    try:
        for item in read_articles(input_path, published=date):
            if isinstance(item, InputError):
                typer.echo(f"newsclaims: skipped {item}", err=True)
                failures += 1
            elif article_id is None or item.id == article_id:
                articles.append(item)
        if article_id is not None and not articles:
            raise InputError(str(input_path), f"no article with id {article_id!r}")
        if not articles:
            raise InputError(str(input_path), "no readable article")
        extractor = Extractor(model)
        views = [show_view(a, claims) for a, claims in extractor.pipe(articles)]
    except NewsclaimsError as e:
        raise _fail(str(e)) from None
    title = views[0].title if len(views) == 1 else f"{input_path.name}: {len(views)} articles"
    out.write_text(page_html(views, title=title), encoding="utf-8")
    n_claims = sum(len(v.claims) for v in views)
    typer.echo(f"wrote {out}: {len(views)} article(s), {n_claims} claim(s)")
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
        if not claims:
            raise InputError(str(claims_path), "no valid claim to plot")
        import matplotlib

        matplotlib.use("Agg")  # files only: never open a window
        import matplotlib.pyplot as plt

        from extractor.plot import plot_timeline

        ax = plot_timeline(claims, actor=actor, topic=topic, unit=unit)
    except NewsclaimsError as e:
        raise _fail(str(e)) from None
    except ValueError as e:
        raise _fail(str(e)) from None
    try:
        ax.figure.savefig(output, dpi=150, bbox_inches="tight")
    except (OSError, ValueError) as e:
        raise _fail(f"{output}: cannot write the image: {e}") from None
    finally:
        plt.close(ax.figure)
    typer.echo(f"wrote {output}: {len(claims)} claim(s)")
    if failures:
        raise typer.Exit(1)


def read_articles(
    path: Path, *, published: dt.date | None = None
) -> Iterator[Article | InputError]:
    """Articles from a .txt, .html or .jsonl file; a bad JSONL line yields its InputError."""
    from extractor.pipeline import article_from_dict

    suffix = path.suffix.lower()
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(source, f"cannot read: {e.strerror or e}") from None
    if suffix in _HTML_SUFFIXES:
        from extractor.ingest.clean import html_to_article

        yield html_to_article(data, source=source, article_id=path.stem, published=published)
    elif suffix in _TEXT_SUFFIXES:
        yield Article(
            id=path.stem,
            text=_decode(data, source),
            published=published,
            published_source="option" if published else None,
        )
    elif suffix in _JSONL_SUFFIXES:
        for line_no, line in enumerate(_decode(data, source).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise InputError(source, "expected a JSON object", line=line_no)
                if published and not record.get("published"):
                    record = {**record, "published": published, "published_source": "option"}
                yield article_from_dict(record, source=source, line=line_no)
            except json.JSONDecodeError as e:
                yield InputError(source, f"not JSON: {e.msg}", line=line_no)
            except InputError as e:
                yield e
    else:
        raise InputError(
            source, f"unknown input type {suffix or '(none)'!r}: use .txt, .html or .jsonl"
        )


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
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise InputError(source, "not text in any known encoding") from None
        return str(best)
