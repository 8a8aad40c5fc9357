"""`newsclaims run … --db URL`: load a run's finished articles into the claims database.

Each article the run has written is loaded with its complete claim list (so a re-fetched
article with changed text supersedes the claims it no longer has), one transaction per
article, through the store's idempotent `load_claims`. The run's ledger remembers which
articles are in which database; an article is marked only after its load committed, so a
crash in between loads it again and the store still keeps each claim once.
"""

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from extractor.errors import NewsclaimsError
from extractor.models import Article, Claim

_SCHEMA = """
CREATE TABLE IF NOT EXISTS db_loads (
    key TEXT NOT NULL,
    db TEXT NOT NULL,
    PRIMARY KEY (key, db)
);
"""


@dataclass
class DbLoadSummary:
    articles: int = 0
    claims: int = 0

    def line(self) -> str:
        return f"database: {self.articles} articles, {self.claims} claims loaded"


def load_run(
    out_dir: str | Path, db: str, *, extractor_version: str | None = None
) -> DbLoadSummary:
    """Load every written article of the run in `out_dir` not yet in database `db`."""
    try:
        from extractor.store import connect, load_claims
    except ImportError as e:
        raise NewsclaimsError("--db needs the db extra: pip install 'newsclaims[db]'") from e
    from extractor.batch import LEDGER

    ledger_path = Path(out_dir) / LEDGER
    if not ledger_path.exists():
        raise NewsclaimsError(f"{out_dir}: no run ledger here ({LEDGER})")
    ledger = sqlite3.connect(ledger_path, isolation_level=None, timeout=60)
    summary = DbLoadSummary()
    engine = connect(db, create=True)
    try:
        ledger.executescript(_SCHEMA)
        rows = ledger.execute(
            "SELECT key, article, shard FROM items WHERE state = 'written' AND key NOT IN "
            "(SELECT key FROM db_loads WHERE db = ?) ORDER BY seq",
            (db,),
        ).fetchall()
        by_shard: dict[str, dict[str, list[Claim]]] = {}
        for key, article_json, shard in rows:
            article = Article.model_validate_json(article_json)
            if shard not in by_shard:
                by_shard[shard] = _shard_claims(Path(out_dir) / shard)
            claims = by_shard[shard].get(article.id, [])
            load_claims(engine, article, claims, extractor_version=extractor_version)
            ledger.execute("INSERT OR IGNORE INTO db_loads (key, db) VALUES (?, ?)", (key, db))
            summary.articles += 1
            summary.claims += len(claims)
    finally:
        engine.dispose()
        ledger.close()
    return summary


def _shard_claims(path: Path) -> dict[str, list[Claim]]:
    """The claims of a written shard, by article id (a shard holds whole articles)."""
    out: dict[str, list[Claim]] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                claim = Claim.model_validate(json.loads(line))
                out.setdefault(claim.article_id, []).append(claim)
    return out
