"""How fast claims load into the database, per backend.

    .venv/bin/python benchmarks/bench_store.py                       # SQLite only
    .venv/bin/python benchmarks/bench_store.py --pg "$(.ci/setup-postgres.sh | tail -n 1)"
    .venv/bin/python benchmarks/bench_store.py --claims claims.jsonl  # real extractor output

Three measurements per backend, each into a fresh database (PostgreSQL: a fresh schema,
dropped afterwards):
  run --db   load_claims() per article, one transaction each (what `run --db` does)
  reload     the same again: every claim already stored (an idempotent re-run)
  load file  load_claims_file() on the claims as JSONL (what `newsclaims load` does)

Without --claims the articles and claims are synthetic (made here, not by the extractor):
the storage layer does not care where a claim came from, and the numbers stay comparable
while the extraction rules change.
"""

import argparse
import datetime as dt
import json
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from extractor import __version__
from extractor.models import Article, Claim, Commitment, Figure, Timeframe
from extractor.store import connect, count_claims, load_claims, load_claims_file

_FIGURE = re.compile(r"(?P<pct>\d+\.\d%)|(?P<cur>[£$€])(?P<num>\d+)(?P<mult>bn|m)\b")
_CODES = {"£": "GBP", "$": "USD", "€": "EUR"}
COUNTRIES = ["Norway", "Chile", "Kenya", "Japan", "Poland", "Canada", "Ghana", "Peru"]
TOPICS = ["defence", "health", "education", "transport", "research", "housing", "aid"]


def synthetic(n: int) -> list[tuple[Article, list[Claim]]]:
    """n articles of about 60 words with two or three claims each."""
    pairs = []
    for i in range(n):
        country, topic = COUNTRIES[i % len(COUNTRIES)], TOPICS[i % len(TOPICS)]
        cur = "£$€"[i % 3]
        text = (
            f"{country} will spend {1 + (i % 40) / 10:.1f}% of GDP on {topic} by "
            f"{2026 + i % 9}, the prime minister said on Monday in a speech to parliament. "
            f"The government has also committed {cur}{2 + i % 97}bn to {topic} from "
            f"{2025 + i % 4}, officials confirmed. "
            + (f"Ministers hope to find a further {cur}{100 + i % 500}m next year." * (i % 3 == 0))
        )
        article = Article(
            id=f"bench-{i:06d}",
            url=f"https://news.example/bench/{i:06d}",
            title=f"{country}: {topic} ({i})",
            published=dt.date(2024, 1, 1) + dt.timedelta(days=i % 700),
            text=text,
        )
        claims = []
        for m in _FIGURE.finditer(text):
            if m["pct"]:
                fig = Figure(text=m[0], value=float(m[0][:-1]), unit="percent", base="GDP")
            else:
                mult = 1e9 if m["mult"] == "bn" else 1e6
                fig = Figure(text=m[0], value=int(m["num"]) * mult, unit=_CODES[m["cur"]])
            span = (m.start(), m.end())
            sentence_start = text.rfind(". ", 0, m.start()) + 2 if ". " in text[: m.start()] else 0
            sentence_end = text.find(". ", m.end())
            claims.append(
                Claim(
                    claim_id=Claim.make_id(article.identity, span, fig),
                    article_id=article.id,
                    sentence=text[sentence_start : sentence_end + 1 if sentence_end > 0 else None],
                    span=span,
                    figure=fig,
                    topic=topic,
                    actor=country,
                    speaker="the prime minister",
                    commitment=Commitment(level="certainty", cues=["will"]),
                    timeframe=Timeframe(deadline=str(2026 + i % 9)),
                    published=article.published,
                    published_source="article",
                )
            )
        pairs.append((article, claims))
    return pairs


def from_jsonl(path: Path) -> list[tuple[Article, list[Claim]]]:
    """Claims from `newsclaims extract`, grouped by article (no text: ids stand in)."""
    groups: dict[str, list[Claim]] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                claim = Claim.model_validate_json(line)
                groups.setdefault(claim.article_id, []).append(claim)
    return [(Article(id=k, text=k, published=v[0].published), v) for k, v in groups.items()]


def fresh_databases(pg: str | None, tmp: Path) -> list[tuple[str, Callable[[], str], Callable]]:
    """(backend, make a fresh database URL, clean up) per backend."""
    out: list[tuple[str, Callable[[], str], Callable]] = []
    counter = iter(range(1_000_000))
    out.append(("sqlite", lambda: f"sqlite:///{tmp / f'bench{next(counter)}.db'}", lambda: None))
    if pg:
        admin = sa.create_engine(pg)
        schemas: list[str] = []

        def make() -> str:
            schema = "bench_" + uuid.uuid4().hex[:10]
            with admin.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            schemas.append(schema)
            url = sa.make_url(pg).update_query_dict({"options": f"-csearch_path={schema}"})
            return url.render_as_string(hide_password=False)

        def clean() -> None:
            with admin.begin() as conn:
                for schema in schemas:
                    conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()

        out.append(("postgresql", make, clean))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000, help="synthetic articles")
    parser.add_argument("--claims", type=Path, help="claim JSONL instead of synthetic claims")
    parser.add_argument("--pg", help="a PostgreSQL URL (the role must be able to create schemas)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.pg and args.pg.startswith("postgresql://"):
        args.pg = args.pg.replace("postgresql://", "postgresql+psycopg://", 1)

    pairs = from_jsonl(args.claims) if args.claims else synthetic(args.articles)
    n_claims = sum(len(c) for _, c in pairs)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        jsonl = Path(tmp) / "claims.jsonl"
        with open(jsonl, "w", encoding="utf-8") as handle:
            for _, claims in pairs:
                for claim in claims:
                    handle.write(claim.model_dump_json() + "\n")
        for backend, fresh, clean in fresh_databases(args.pg, Path(tmp)):
            try:
                engine = connect(fresh())
                start = time.perf_counter()
                for article, claims in pairs:
                    load_claims(engine, article, claims)
                first = time.perf_counter() - start
                start = time.perf_counter()
                for article, claims in pairs:
                    load_claims(engine, article, claims)
                again = time.perf_counter() - start
                assert count_claims(engine) == n_claims
                engine.dispose()

                engine = connect(fresh())
                start = time.perf_counter()
                result = load_claims_file(engine, jsonl)
                from_file = time.perf_counter() - start
                assert result.inserted == n_claims and count_claims(engine) == n_claims
                engine.dispose()
            finally:
                clean()
            timings = (("run --db", first), ("reload", again), ("load file", from_file))
            for label, seconds in timings:
                results.append(
                    {
                        "backend": backend,
                        "mode": label,
                        "articles": len(pairs),
                        "claims": n_claims,
                        "seconds": round(seconds, 3),
                        "claims_per_s": round(n_claims / seconds),
                        "articles_per_s": round(len(pairs) / seconds),
                    }
                )
    print(f"newsclaims {__version__}, SQLAlchemy {sa.__version__}, Python {sys.version.split()[0]}")
    print(f"{'backend':<11} {'mode':<10} {'articles':>8} {'claims':>7} {'s':>7} "
          f"{'claims/s':>9} {'articles/s':>10}")  # fmt: skip
    for r in results:
        print(f"{r['backend']:<11} {r['mode']:<10} {r['articles']:>8} {r['claims']:>7} "
              f"{r['seconds']:>7.2f} {r['claims_per_s']:>9} {r['articles_per_s']:>10}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
