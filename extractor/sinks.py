"""Claim writers for the CLI: JSONL (one claim a line, flushed as it goes), JSON (one array),
CSV (flat columns) and a plain-text table. Writing to a file goes to a temporary file that
is renamed into place when done, so an interrupted run never leaves half a file."""

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from extractor.models import Claim

CSV_COLUMNS = [
    "claim_id", "article_id", "span_start", "span_end", "figure", "value", "unit", "base",
    "topic", "actor", "speaker", "level", "cues", "start", "deadline", "sentence",
]  # fmt: skip


def flat(claim: Claim) -> dict[str, object]:
    """One claim as a flat row (CSV, tables, DataFrames)."""
    return {
        "claim_id": claim.claim_id,
        "article_id": claim.article_id,
        "span_start": claim.span[0],
        "span_end": claim.span[1],
        "figure": claim.figure.text,
        "value": claim.figure.value,
        "unit": claim.figure.unit,
        "base": claim.figure.base,
        "topic": claim.topic.value,
        "actor": claim.actor,
        "speaker": claim.speaker,
        "level": claim.commitment.level.value,
        "cues": "; ".join(claim.commitment.cues),
        "start": claim.timeframe.start,
        "deadline": claim.timeframe.deadline,
        "sentence": claim.sentence,
    }


class Sink:
    def __init__(self, fmt: str, out: IO[str]) -> None:
        self.fmt = fmt
        self.out = out
        self.count = 0
        self.rows: list[dict[str, object]] = []
        if fmt == "csv":
            self.csv = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
            self.csv.writeheader()
        if fmt == "json":
            out.write("[")

    def write(self, claims: list[Claim]) -> None:
        for claim in claims:
            if self.fmt == "jsonl":
                self.out.write(claim.model_dump_json() + "\n")
            elif self.fmt == "json":
                self.out.write(("," if self.count else "") + "\n " + claim.model_dump_json())
            elif self.fmt == "csv":
                self.csv.writerow(flat(claim))
            else:
                self.rows.append(flat(claim))
            self.count += 1
        self.out.flush()

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n")
        elif self.fmt == "table":
            self.out.write(table(self.rows))
        self.out.flush()


def table(rows: list[dict[str, object]]) -> str:
    cols = ["article_id", "figure", "level", "topic", "actor", "speaker", "start", "deadline"]
    cells = [[str(r.get(c) or "") for c in cols] for r in rows]
    widths = [min(28, max([len(c)] + [len(x[i]) for x in cells])) for i, c in enumerate(cols)]
    buf = io.StringIO()
    for line in [cols, *cells]:
        buf.write("  ".join(v[:w].ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
        buf.write("\n")
    buf.write(f"{len(rows)} claim(s)\n")
    return buf.getvalue()


@contextmanager
def open_sink(fmt: str, path: Path | None) -> Iterator[Sink]:
    """A Sink on stdout, or on a temporary file renamed to `path` when the block succeeds."""
    if path is None:
        sink = Sink(fmt, sys.stdout)
        yield sink
        sink.close()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            sink = Sink(fmt, f)
            yield sink
            sink.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(claims: list[Claim]) -> str:
    return "".join(json.dumps(c.model_dump(mode="json")) + "\n" for c in claims)
