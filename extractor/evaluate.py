"""Score claims against gold articles written to the annotation guide.

Gold: a directory of *.json files ({id, published, title, text: FILE, claims: [...]}); FILE is
the article text (.txt) or a web page (.html, cleaned as `extract` cleans it). Matching, the
same rule the project's referee applies: a predicted claim matches a gold claim of the same
article when its figure span overlaps the gold figure's position (2 characters of slack) — or,
for predictions without a span, its sentence contains the gold sentence — and the value and
unit agree (percent exactly, money within 1%). Each gold claim takes the first unused
prediction that matches. Optional gold claims neither count as hits nor misses, and the
prediction they take is not an extra. Fields are scored over the matched, non-optional claims;
names match leniently (case, a leading title or 'the', one containing the other, or the same
last word), dates by prefix.
"""

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from extractor.errors import InputError
from extractor.models import Article

FIELDS = ("base", "topic", "actor", "speaker", "commitment", "start", "deadline")
LEVELS = ("certainty", "ambition", "expectation", "proposal", "statement", "rejected")
_TITLE = re.compile(r"^(?:the|mr|mrs|ms|dr|sir|dame|lord)\s+")


class GoldArticle(BaseModel):
    article: Article
    claims: list[dict[str, Any]]


class Report(BaseModel):
    articles: int
    gold: int
    predicted: int
    tp: int
    precision: float
    recall: float
    f1: float
    field_accuracy: dict[str, float | None]
    confusion: dict[str, int]
    misses: list[list[Any]]
    extras: list[list[Any]]


def load_gold(gold_dir: Path) -> list[GoldArticle]:
    """Read gold files; each claim gets _start/_end, its figure's place in the text."""
    if not gold_dir.is_dir():
        raise InputError(str(gold_dir), "not a directory of gold files")
    out = []
    for path in sorted(gold_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InputError(str(path), f"not valid JSON: {e}") from e
        if not isinstance(data, dict) or "claims" not in data:
            continue  # e.g. a series' expected.json
        text_path = path.parent / data["text"]
        if text_path.suffix.lower() in (".html", ".htm"):
            from extractor.ingest.clean import html_to_article

            page = html_to_article(text_path.read_bytes(), source=str(text_path))
            text = page.text
        else:
            text = text_path.read_text(encoding="utf-8")
        for c in data["claims"]:
            at = text.find(c["sentence"])
            if at < 0 or text.find(c["sentence"], at + 1) >= 0:
                raise InputError(
                    str(path), f"sentence not found exactly once: {c['sentence'][:60]!r}"
                )
            j = c["sentence"].find(c["figure"])
            if j < 0:
                raise InputError(str(path), f"figure {c['figure']!r} is not in its sentence")
            c["_start"], c["_end"] = at + j, at + j + len(c["figure"])
        article = Article(
            id=data["id"], text=text, title=data.get("title"), published=data.get("published")
        )
        out.append(GoldArticle(article=article, claims=data["claims"]))
    if not out:
        raise InputError(str(gold_dir), "holds no gold *.json files")
    return out


def load_predictions(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise InputError(str(path), f"malformed JSON: {e.msg}", line=n) from e
    return rows


def _norm(s: str | None) -> str:
    s = unicodedata.normalize("NFKC", s or "").lower().replace("’", "'").replace("‘", "'")
    s = _TITLE.sub("", s.strip())
    return re.sub(r"\s+", " ", s).strip(" .,'\"")


def name_matches(pred: str | None, accepted: list[str]) -> bool:
    if not accepted:
        return not pred
    if not pred:
        return "" in accepted
    p = _norm(pred)
    for a in map(_norm, accepted):
        if a and (p == a or a in p or p in a or p.split()[-1:] == a.split()[-1:]):
            return True
    return False


def date_matches(pred: str | None, accepted: list[str]) -> bool:
    if not pred:
        return not accepted or "" in accepted
    return any(a and str(pred).startswith(a) for a in accepted)


def _flat(p: dict[str, Any]) -> dict[str, Any]:
    fig = p.get("figure") or {}
    commitment = p.get("commitment")
    tf = p.get("timeframe") or {}
    span = p.get("span") or [None, None]
    return {
        "article_id": str(p.get("article_id")),
        "start": span[0],
        "end": span[1] if len(span) > 1 else None,
        "sentence": p.get("sentence") or "",
        "value": fig.get("value"),
        "unit": fig.get("unit"),
        "base": fig.get("base"),
        "topic": p.get("topic"),
        "actor": p.get("actor"),
        "speaker": p.get("speaker"),
        "commitment": commitment.get("level") if isinstance(commitment, dict) else commitment,
        "start_date": tf.get("start"),
        "deadline": tf.get("deadline"),
    }


def _same_figure(g: dict[str, Any], p: dict[str, Any]) -> bool:
    if p["value"] is None or str(p["unit"]).lower() != str(g["unit"]).lower():
        return False
    gv, pv = float(g["value"]), float(p["value"])
    if g["unit"] == "percent":
        return abs(gv - pv) < 1e-6
    return abs(gv - pv) <= 0.01 * abs(gv)


def _located(g: dict[str, Any], p: dict[str, Any]) -> bool:
    if p["start"] is not None:
        end = p["end"] if p["end"] is not None else p["start"]
        return p["start"] < g["_end"] + 2 and end > g["_start"] - 2
    ws = lambda s: re.sub(r"\s+", " ", s or "").strip()  # noqa: E731
    return ws(g["sentence"]) in ws(p["sentence"])


def score(gold: list[GoldArticle], predictions: Iterable[dict[str, Any]]) -> Report:
    by_article: dict[str, list[dict[str, Any]]] = {}
    for p in predictions:
        f = _flat(p)
        by_article.setdefault(f["article_id"], []).append(f)
    tp = fp = fn = 0
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    confusion: Counter[str] = Counter()
    misses: list[list[Any]] = []
    extras: list[list[Any]] = []
    for ga in gold:
        preds = by_article.get(ga.article.id, [])
        used: set[int] = set()
        for g in ga.claims:
            hit = next(
                (k for k, p in enumerate(preds)
                 if k not in used and _located(g, p) and _same_figure(g, p)),
                None,
            )  # fmt: skip
            if hit is None:
                if not g.get("optional"):
                    fn += 1
                    misses.append([ga.article.id, g["figure"], g["sentence"][:70]])
                continue
            used.add(hit)
            if g.get("optional"):
                continue
            tp += 1
            p = preds[hit]
            checks = {
                "base": _norm(p["base"]) == _norm(g.get("base")),
                "topic": (p["topic"] or "") in g["topic"],
                "actor": name_matches(p["actor"], g["actor"]),
                "speaker": name_matches(p["speaker"], g["speaker"]),
                "commitment": p["commitment"] == g["commitment"],
                "start": date_matches(p["start_date"], g.get("start", [])),
                "deadline": date_matches(p["deadline"], g.get("deadline", [])),
            }
            for f, ok in checks.items():
                right[f] += ok
                seen[f] += 1
            confusion[f"{g['commitment']}->{p['commitment']}"] += 1
        for k, p in enumerate(preds):
            if k not in used:
                fp += 1
                extras.append([ga.article.id, p["value"], p["unit"], p["sentence"][:70]])
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Report(
        articles=len(gold),
        gold=tp + fn,
        predicted=tp + fp,
        tp=tp,
        precision=round(precision, 3),
        recall=round(recall, 3),
        f1=round(f1, 3),
        field_accuracy={f: round(right[f] / seen[f], 3) if seen[f] else None for f in FIELDS},
        confusion=dict(sorted(confusion.items())),
        misses=misses,
        extras=extras,
    )


def evaluate_dir(
    gold_dir: Path, *, extractor: Any = None, predictions: list[dict[str, Any]] | None = None
) -> Report:
    """Score `predictions`, or run `extractor` (an Extractor) over the gold articles."""
    gold = load_gold(gold_dir)
    if predictions is None:
        predictions = [
            c.model_dump(mode="json")
            for _, claims in extractor.pipe(g.article for g in gold)
            for c in claims
        ]
    return score(gold, predictions)


def render(r: Report, *, show: int = 25) -> str:
    lines = [
        f"articles {r.articles}  gold claims {r.gold}  predicted {r.predicted}  matched {r.tp}",
        f"precision {r.precision:.3f}  recall {r.recall:.3f}  F1 {r.f1:.3f}",
        "field accuracy (over matched claims):",
    ]
    lines += [f"  {f:11s} {v if v is not None else '-'}" for f, v in r.field_accuracy.items()]
    lines.append("commitment confusion (rows gold, columns predicted):")
    head = "  " + " " * 12 + " ".join(f"{lv[:5]:>5}" for lv in LEVELS)
    lines.append(head)
    for g in LEVELS:
        cells = [r.confusion.get(f"{g}->{p}", 0) for p in LEVELS]
        lines.append(f"  {g:12s}" + " ".join(f"{c:>5}" for c in cells))
    lines += [f"  MISS  {m}" for m in r.misses[:show]]
    lines += [f"  EXTRA {e}" for e in r.extras[:show]]
    return "\n".join(lines)
