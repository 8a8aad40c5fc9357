"""`newsclaims show` and `newsclaims plot` from the shell (typer's CliRunner, real files)."""

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from claimfactory import extractor
from typer.testing import CliRunner

from extractor.cli import _register, app
from extractor.models import Article, Claim
from extractor.view import LEVEL_COLOURS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"

_register()
runner = CliRunner()


class _Marks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.claim_ids: list[str] = []
        self.views = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "mark":
            self.claim_ids.append(a["data-claim-id"] or "")
        if tag == "div" and a.get("class") == "nc-view":
            self.views += 1


def _marks(path: Path) -> _Marks:
    parser = _Marks()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _articles() -> list[Article]:
    lines = (EXAMPLES / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    return [Article.model_validate(json.loads(line)) for line in lines]


def test_cli_show_txt_marks_the_same_claims_as_the_library(tmp_path):
    article = _articles()[0]
    src = tmp_path / "article.txt"
    src.write_text(article.text, encoding="utf-8")
    result = runner.invoke(app, ["show", str(src), "--model", "blank", "--published", "2025-06-02"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "article.txt.claims.html"
    expected = extractor("blank").extract(
        Article(id="article", text=article.text, published="2025-06-02", published_source="option")
    )
    assert len(expected) >= 2
    found = _marks(out)
    assert len(found.claim_ids) == len(expected)
    assert f"{len(expected)} claim(s)" in result.output


def test_cli_show_html_page(tmp_path):
    out = tmp_path / "hospitals.claims.html"
    result = runner.invoke(
        app, ["show", str(EXAMPLES / "hospitals.html"), "-o", str(out), "--model", "blank"]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<title>Hospitals to get £2.5bn for new buildings</title>" in page
    assert "published 2025-06-20" in page  # the page's own date, read from its metadata
    assert len(_marks(out).claim_ids) >= 2
    assert "<nav" not in page and "Home" not in page  # boilerplate removed by the cleaner


def test_cli_show_jsonl_renders_every_article_and_can_pick_one(tmp_path):
    out = tmp_path / "all.html"
    result = runner.invoke(
        app, ["show", str(EXAMPLES / "articles.jsonl"), "-o", str(out), "--model", "blank"]
    )
    assert result.exit_code == 0, result.output
    articles = _articles()
    assert _marks(out).views == len(articles) == 4
    one = tmp_path / "one.html"
    result = runner.invoke(app, ["show", str(EXAMPLES / "articles.jsonl"), "-o", str(one),
                                 "--id", "aid-rejected", "--model", "blank"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _marks(one).views == 1
    assert "<title>Government rules out quick return to 0.7% aid target</title>" in (
        one.read_text(encoding="utf-8")
    )


def test_cli_show_bad_lines_are_reported_and_the_rest_rendered(tmp_path):
    src = tmp_path / "mixed.jsonl"
    good = (EXAMPLES / "articles.jsonl").read_text(encoding="utf-8").splitlines()[0]
    src.write_text(f"{good}\nnot json\n" + '{"id": "x"}\n', encoding="utf-8")
    out = tmp_path / "mixed.html"
    result = runner.invoke(app, ["show", str(src), "-o", str(out), "--model", "blank"])
    assert result.exit_code == 1
    assert f"{src}:2: malformed JSON" in result.output
    assert f"{src}:3:" in result.output
    assert _marks(out).views == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "missing.txt"], "missing.txt: no such file"),
        (["show", "-", "--model", "blank"], "give -o/--output"),
        (["show", "x.txt", "--published", "June"], "--published 'June' is not a date"),
    ],
    ids=["missing-file", "stdin-without-output", "bad-date"],
)
def test_cli_show_errors_are_one_line(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def _write_claims(path: Path) -> list[Claim]:
    claims = []
    for _article, found in extractor().pipe(_articles()):
        claims.extend(found)
    path.write_text("".join(c.model_dump_json() + "\n" for c in claims), encoding="utf-8")
    return claims


def test_cli_plot_writes_a_png_with_a_point_of_each_level(tmp_path):
    np = pytest.importorskip("numpy")
    image = pytest.importorskip("PIL.Image", reason="Pillow is in the dev extra")
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    claims_file = tmp_path / "claims.jsonl"
    claims = [c for c in _write_claims(claims_file) if c.figure.unit == "percent"]
    assert len(claims) >= 4
    png = tmp_path / "timeline.png"
    result = runner.invoke(app, ["plot", str(claims_file), "-o", str(png), "--unit", "percent"])
    assert result.exit_code == 0, result.output
    with image.open(png) as img:
        assert img.format == "PNG"
        pixels = np.asarray(img.convert("RGB")).astype(int)
    levels = {c.commitment.level for c in claims}
    assert len(levels) >= 3
    for level in levels:
        colour = np.array([int(LEVEL_COLOURS[level][i : i + 2], 16) for i in (1, 3, 5)])
        hits = int((np.abs(pixels - colour) <= 2).all(axis=2).sum())
        # A marker and its legend entry: well over the legend's ~100 pixels alone.
        assert hits > 150, f"{level.value}: {hits} pixels"


def test_cli_plot_filters_and_reports_bad_lines(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    claims_file = tmp_path / "claims.jsonl"
    _write_claims(claims_file)
    with claims_file.open("a", encoding="utf-8") as f:
        f.write('{"claim_id": "broken"}\n')
    png = tmp_path / "britain.png"
    result = runner.invoke(
        app, ["plot", str(claims_file), "-o", str(png), "--actor", "Britain", "--topic", "defence"]
    )
    assert result.exit_code == 1  # the bad line is a failure, but the plot is still drawn
    assert f"{claims_file}:" in result.output
    assert png.stat().st_size > 10_000
    result = runner.invoke(app, ["plot", str(claims_file), "-o", str(png), "--actor", "Atlantis"])
    assert result.exit_code == 1
    assert "no claims with a publication date: Atlantis" in result.output


def test_cli_show_and_plot_have_help():
    for command in ("show", "plot"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "-o" in result.output


def test_cli_entry_point_lists_show_and_plot():
    script = Path(sys.executable).with_name("newsclaims")
    if not script.exists():
        pytest.skip("the newsclaims script is not installed next to this Python")
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True)
    assert " show " in out.stdout and " plot " in out.stdout
