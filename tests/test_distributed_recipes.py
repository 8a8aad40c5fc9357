"""The Spark and Ray recipes of docs/scale-out.md, run as written.

The partition functions run on pandas frames always; the Spark and Ray jobs run when their
package is installed (and, for Spark, Java), and skip saying what is missing otherwise.
"""

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas", reason="the pandas extra is not installed")

from extractor.distributed import process_partition  # noqa: E402
from extractor.models import Article  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "scale-out.md"
sys.path.insert(0, str(Path(__file__).parent))

from distributed_corpus import make_corpus  # noqa: E402


def recipe(name: str) -> str:
    """The code block after `<!-- recipe: name -->` in docs/scale-out.md."""
    match = re.search(
        rf"<!-- recipe: {re.escape(name)} -->\s*```python\n(.*?)```", DOC.read_text(), re.S
    )
    assert match, f"docs/scale-out.md has no recipe {name!r}"
    return match.group(1)


def job(name: str, folder: Path) -> str:
    """A job recipe with its input and output paths made absolute (workers' cwd may differ)."""
    code = recipe(name)
    assert '"articles.jsonl"' in code and '"claims"' in code
    code = code.replace('"articles.jsonl"', repr(str(folder / "articles.jsonl")))
    return code.replace('"claims"', repr(str(folder / "claims")))


def records() -> list[dict]:
    rows = make_corpus(1)[:5]
    rows[1] = {**rows[1], "published": None, "url": "https://example.org/news/1"}
    return rows


def expected(rows: list[dict]) -> list[str]:
    claims = list(process_partition(Article.model_validate(r) for r in rows))
    assert len(claims) > 5
    return sorted(c.model_dump_json() for c in claims)


def test_spark_function_on_pandas_frames():
    space: dict = {}
    exec(recipe("spark-function"), space)
    rows = records()
    frames = [pd.DataFrame(rows[:2]), pd.DataFrame(rows[2:])]
    out = pd.concat(list(space["claims_of"](iter(frames))))
    assert sorted(out["claim"]) == expected(rows)
    assert list(out.columns) == ["claim_id", "article_id", "claim"]


def test_ray_function_on_a_pandas_frame():
    space: dict = {}
    exec(recipe("ray-function"), space)
    rows = records()
    out = space["claims_of"](pd.DataFrame(rows))
    assert sorted(out["claim"]) == expected(rows)
    # Arrow readers may turn ISO dates into timestamps (NaT when missing), add columns.
    frame = pd.DataFrame(rows).assign(category="business", duplicate_of=float("nan"))
    frame["published"] = pd.to_datetime(frame["published"])
    assert frame["published"].isna().sum() == 1
    assert sorted(space["claims_of"](frame)["claim"]) == expected(rows)


def write_articles(folder: Path) -> list[dict]:
    rows = records()
    (folder / "articles.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def test_spark_job(tmp_path, monkeypatch):
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (pip install pyspark, needs Java 17+)")
    if shutil.which("java") is None:
        pytest.skip("pyspark is installed but Java is not (PySpark needs a JVM)")
    monkeypatch.chdir(tmp_path)
    rows = write_articles(tmp_path)
    space: dict = {}
    exec(recipe("spark-function"), space)
    try:
        exec(job("spark-job", tmp_path), space)
    finally:
        if "spark" in space:
            space["spark"].stop()
    lines = [
        x for p in sorted((tmp_path / "claims").glob("part-*")) for x in p.read_text().splitlines()
    ]
    assert sorted(lines) == expected(rows)


def test_ray_job(tmp_path, monkeypatch):
    if importlib.util.find_spec("ray") is None:
        pytest.skip("ray is not installed (pip install 'ray[data]')")
    import ray

    monkeypatch.chdir(tmp_path)
    rows = write_articles(tmp_path)
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
    try:
        space: dict = {}
        exec(recipe("ray-function"), space)
        exec(job("ray-job", tmp_path), space)
    finally:
        ray.shutdown()
    written = [
        json.loads(x)
        for p in sorted((tmp_path / "claims").glob("*.json*"))
        for x in p.read_text().splitlines()
    ]
    assert sorted(r["claim"] for r in written) == expected(rows)
