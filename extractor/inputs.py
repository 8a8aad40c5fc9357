"""Read the inputs of `newsclaims extract` into Articles: .txt, .html/.htm, .jsonl, '-' (stdin:
JSONL articles or plain text), and http(s) URLs (through the safe fetcher in ingest/).

Each reader yields `Article | InputError`: a bad file or line becomes an error value naming
it, and reading goes on with the rest (no silent loss, no traceback)."""

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from extractor.errors import InputError
from extractor.models import Article
from extractor.pipeline import article_from_dict

Item = Article | InputError


def read_inputs(inputs: list[str], *, published: dt.date | None = None) -> Iterator[Item]:
    """Articles from each input in order; failures as InputError values."""
    for name in inputs:
        try:
            if name == "-":
                yield from read_stream(sys.stdin, "<stdin>", published=published)
            elif name.startswith(("http://", "https://")):
                yield read_url(name, published=published)
            else:
                yield from read_path(Path(name), published=published)
        except InputError as e:
            yield e


def read_url(url: str, *, published: dt.date | None) -> Article:
    from extractor.ingest import article_from_url  # type: ignore[attr-defined]

    return article_from_url(url, published=published)


def read_path(path: Path, *, published: dt.date | None) -> Iterator[Item]:
    source = str(path)
    if not path.exists():
        raise InputError(source, "no such file")
    if path.is_dir():
        raise InputError(source, "is a directory (give the files, e.g. DIR/*.txt)")
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(source, f"cannot read: {e.strerror}") from e
    if suffix in (".html", ".htm"):
        from extractor.ingest.clean import html_to_article

        yield html_to_article(raw, source=source, article_id=path.stem, published=published)
        return
    text = _decode(raw, source)
    if suffix == ".jsonl":
        yield from _jsonl(text.splitlines(), source, published)
        return
    yield _text_article(text, source, path.stem, published)


def read_stream(stream: IO[str], source: str, *, published: dt.date | None) -> Iterator[Item]:
    """Standard input: JSONL articles when the first non-blank line is a JSON object, else one
    plain-text article."""
    try:
        data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode()
    except OSError as e:
        raise InputError(source, f"cannot read: {e}") from e
    text = _decode(data, source)
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        yield from _jsonl(text.splitlines(), source, published)
    else:
        yield _text_article(text, source, "stdin", published)


def _decode(raw: bytes, source: str) -> str:
    if b"\x00" in raw[:4096]:
        raise InputError(source, "looks like a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            source, f"not UTF-8 text (invalid byte at offset {e.start}); convert it to UTF-8"
        ) from e


def _text_article(text: str, source: str, article_id: str, published: dt.date | None) -> Article:
    if not text.strip():
        raise InputError(source, "the file is empty")
    title = next((line.strip() for line in text.splitlines() if line.strip()), None)
    return Article(id=article_id, text=text, title=title, published=published,
                   published_source="option" if published else None)  # fmt: skip


def _jsonl(lines: list[str], source: str, published: dt.date | None) -> Iterator[Item]:
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            yield InputError(source, f"malformed JSON: {e.msg} (column {e.colno})", line=n)
            continue
        if not isinstance(data, dict):
            yield InputError(source, "expected a JSON object with 'id' and 'text'", line=n)
            continue
        try:
            article = article_from_dict(data, source=source, line=n)
        except InputError as e:
            yield e
            continue
        if not article.text.strip():
            yield InputError(source, f"article {article.id!r} has empty text", line=n)
            continue
        if article.published is None and published is not None:
            article = article.model_copy(update={"published": published,
                                                 "published_source": "option"})  # fmt: skip
        yield article
