"""A corpus for the scale-out tests, generated from the project's own fixtures/articles."""

import datetime as dt
import json
from pathlib import Path

ARTICLES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"


def fixture_articles() -> list[dict]:
    records = []
    for gold in sorted(ARTICLES.glob("*.json")):
        meta = json.loads(gold.read_text(encoding="utf-8"))
        text = (ARTICLES / meta["text"]).read_text(encoding="utf-8")
        records.append(
            {
                "id": meta["id"],
                "title": meta.get("title"),
                "text": text,
                "published": meta.get("published"),
            }
        )
    return records


def make_corpus(copies: int) -> list[dict]:
    """`copies` variants of every fixture article: rotated body paragraphs, shifted date."""
    base = fixture_articles()
    out = []
    for i in range(copies):
        for record in base:
            paragraphs = record["text"].split("\n\n")
            head, body = paragraphs[:1], paragraphs[1:]
            k = i % max(len(body), 1)
            text = "\n\n".join(head + body[k:] + body[:k])
            published = record["published"]
            if published:
                day = dt.date.fromisoformat(published) + dt.timedelta(days=37 * i)
                published = day.isoformat()
            out.append(
                {**record, "id": f"{record['id']}-v{i:02d}", "text": text, "published": published}
            )
    return out


def write_jsonl(path: Path, records: list[dict], extra: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(r) for r in records]
    # Bad lines stay failures in both engines, at the same keys.
    lines[3:3] = extra
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
