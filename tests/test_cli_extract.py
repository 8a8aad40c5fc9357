"""`newsclaims extract` and `newsclaims evaluate` as a user runs them: real subprocesses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SHARED_GOLD = ROOT.parent / "shared" / "gold"
TEXT = (
    "Lisbon pledges more for rail\n\n"
    "Portugal will spend €3 billion on regional rail by 2030, Finance Minister Ana Ribeiro "
    "said on Monday.\n"
)


def cli(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("newsclaims")
    return subprocess.run(
        [str(exe), *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"},
    )  # fmt: skip


def claims(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_cli_extract_text_file(tmp_path):
    path = tmp_path / "rail.txt"
    path.write_text(TEXT)
    out = cli("extract", str(path), "--published", "2025-03-03")
    assert out.returncode == 0, out.stderr
    (claim,) = claims(out.stdout)
    assert claim["article_id"] == "rail"
    assert claim["figure"] == {"text": "€3 billion", "value": 3e9, "unit": "EUR", "base": None}
    assert claim["speaker"] == "Ana Ribeiro"
    assert claim["timeframe"] == {"start": None, "deadline": "2030"}
    assert TEXT[claim["span"][0] : claim["span"][1]] == "€3 billion"


def test_cli_extract_stdin_jsonl_and_plain_text():
    line = json.dumps({"id": "a1", "text": TEXT, "published": "2025-03-03"})
    out = cli("extract", "-", stdin=line + "\n")
    assert out.returncode == 0, out.stderr
    assert [c["article_id"] for c in claims(out.stdout)] == ["a1"]
    plain = cli("extract", "-", "--published", "2025-03-03", stdin=TEXT)
    assert plain.returncode == 0, plain.stderr
    assert [c["article_id"] for c in claims(plain.stdout)] == ["stdin"]


def test_cli_extract_html_page_is_cleaned():
    page = sorted((FIXTURES / "html").glob("*.html"))[0]
    out = cli("extract", str(page))
    assert out.returncode == 0, out.stderr
    found = claims(out.stdout)
    assert len(found) > 0
    assert all(c["published"] for c in found), "the page's own date is the base for dates"


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_cli_extract_formats(tmp_path, fmt):
    path = tmp_path / "rail.txt"
    path.write_text(TEXT)
    out = cli("extract", str(path), "--format", fmt, "--published", "2025-03-03")
    assert out.returncode == 0, out.stderr
    if fmt == "json":
        assert len(json.loads(out.stdout)) == 1
    elif fmt == "csv":
        header, row = out.stdout.strip().splitlines()
        assert header.startswith("claim_id,article_id") and "€3 billion" in row
    else:
        assert "€3 billion" in out.stdout and "1 claim(s)" in out.stdout


def test_cli_extract_output_file_is_not_overwritten_without_force(tmp_path):
    path = tmp_path / "rail.txt"
    path.write_text(TEXT)
    target = tmp_path / "out.jsonl"
    target.write_text("keep me\n")
    refused = cli("extract", str(path), "-o", str(target))
    assert refused.returncode == 2
    assert "exists" in refused.stderr and "--force" in refused.stderr
    assert target.read_text() == "keep me\n"
    forced = cli("extract", str(path), "-o", str(target), "--force", "--published", "2025-03-03")
    assert forced.returncode == 0, forced.stderr
    assert len(claims(target.read_text())) == 1


def test_cli_extract_bad_inputs_are_named_and_the_rest_goes_on(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(TEXT)
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02binary")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\xe9 spending rose".encode("latin-1"))
    dump = tmp_path / "dump.jsonl"
    dump.write_text(
        json.dumps({"id": "ok", "text": TEXT})
        + "\n{not json\n"
        + json.dumps({"text": "no id"})
        + "\n"
    )
    out = cli(
        "extract", str(good), str(empty), str(binary), str(latin), str(dump),
        str(tmp_path / "missing.txt"), "--published", "2025-03-03",
    )  # fmt: skip
    assert out.returncode == 1
    err = out.stderr
    assert "Traceback" not in err
    assert f"{empty}: the file is empty" in err
    assert f"{binary}: looks like a binary file" in err
    assert f"{latin}: not UTF-8 text" in err
    assert f"{dump}:2: malformed JSON" in err
    assert f"{dump}:3: id" in err
    assert f"{tmp_path / 'missing.txt'}: no such file" in err
    assert "6 input(s) failed" in err
    assert sorted(c["article_id"] for c in claims(out.stdout)) == ["good", "ok"]


def test_cli_extract_bad_options_are_refused_cleanly(tmp_path):
    out = cli("extract", "-", "--published", "yesterday", stdin=TEXT)
    assert out.returncode == 2 and "--published 'yesterday' is not a date" in out.stderr
    missing_model = cli("extract", "-", "--model", "no_such_model_xyz", stdin=TEXT)
    assert missing_model.returncode == 2
    assert "cannot load spaCy pipeline 'no_such_model_xyz'" in missing_model.stderr
    assert "Traceback" not in missing_model.stderr


def test_cli_extract_blank_model_warns_once_and_still_finds_figures():
    out = cli("extract", "-", "--model", "blank", "--published", "2025-03-03", stdin=TEXT)
    assert out.returncode == 0, out.stderr
    assert len(claims(out.stdout)) == 1


def test_cli_help_lists_every_command():
    out = cli("--help")
    assert out.returncode == 0
    for command in ("extract", "evaluate"):
        assert command in out.stdout


def test_cli_evaluate_on_fixtures_meets_floors():
    out = cli("evaluate", str(FIXTURES / "articles"), "--json", "/dev/stdout", "--show", "0")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout[out.stdout.index("{") :])
    assert report["articles"] >= 15
    assert report["f1"] >= 0.90
    acc = report["field_accuracy"]
    assert acc["commitment"] >= 0.80 and acc["speaker"] >= 0.80 and acc["actor"] >= 0.80
    assert acc["topic"] >= 0.90 and acc["base"] >= 0.90
    assert acc["start"] >= 0.85 and acc["deadline"] >= 0.85


@pytest.mark.skipif(not SHARED_GOLD.is_dir(), reason="../shared/gold is not present")
def test_cli_evaluate_agrees_with_the_referee(tmp_path):
    """The same predictions scored by `evaluate` and by ../shared/tools/score.py."""
    from extractor.evaluate import load_gold

    arts = load_gold(SHARED_GOLD)
    lines = "".join(
        json.dumps({"id": g.article.id, "title": g.article.title, "text": g.article.text,
                    "published": g.article.published.isoformat()}) + "\n"
        for g in arts
    )  # fmt: skip
    preds = tmp_path / "pred.jsonl"
    out = cli("extract", "-", stdin=lines)
    assert out.returncode == 0, out.stderr
    preds.write_text(out.stdout)
    ours = cli(
        "evaluate",
        str(SHARED_GOLD),
        "--predictions",
        str(preds),
        "--json",
        str(tmp_path / "o.json"),
    )
    assert ours.returncode == 0, ours.stderr
    score = SHARED_GOLD.parent / "tools" / "score.py"
    referee = subprocess.run(
        [sys.executable, str(score), str(SHARED_GOLD), str(preds), "--quiet"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    theirs = json.loads(referee.stdout.strip().splitlines()[-1])
    mine = json.loads((tmp_path / "o.json").read_text())
    for key in ("tp", "precision", "recall", "f1"):
        assert mine[key] == theirs[key], key
    assert mine["field_accuracy"] == theirs["field_accuracy"]
    assert {k: v for k, v in mine["confusion"].items()} == theirs["confusion"]
