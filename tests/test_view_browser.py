"""The HTML view in a real headless Chromium: what a reader sees, and that no script runs.

Needs Chromium from Debian packages (.ci/setup-browser.sh installs it); skipped without it.
Screenshots are checked pixel by pixel: the legend sits above a dark rule of a known
colour, the article below it, so legend swatches and highlights are told apart by position.
"""

import json
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from claimfactory import SIX_LEVELS_TEXT, extractor, make_claim, six_level_claims

from extractor.models import Article
from extractor.view import LEGEND_RULE_COLOUR, LEVEL_COLOURS, show

np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image", reason="Pillow is in the dev extra")

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
WIDTH, HEIGHT = 1000, 1400
# The flags keep Chromium off the network and out of any profile but a fresh one.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
)


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium is not installed: run .ci/setup-browser.sh")


def _run(chromium: str, tmp: Path, *args: str) -> str:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    profile.mkdir()
    done = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(chromium: str, page: Path, png: Path) -> "np.ndarray":
    _run(
        chromium,
        png.parent,
        f"--screenshot={png}",
        f"--window-size={WIDTH},{HEIGHT}",
        page.as_uri(),
    )
    with Image.open(png) as img:
        return np.asarray(img.convert("RGB")).astype(int)


def dump_dom(chromium: str, page: Path) -> str:
    return _run(chromium, page.parent, "--dump-dom", page.as_uri())


def _rgb(hex_colour: str) -> "np.ndarray":
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def _mask(pixels: "np.ndarray", hex_colour: str, tolerance: int = 3) -> "np.ndarray":
    return (np.abs(pixels - _rgb(hex_colour)) <= tolerance).all(axis=2)


def _regions(mask: "np.ndarray", min_pixels: int = 60) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (top, left, bottom, right) of the 4-connected regions of a mask."""
    seen = np.zeros_like(mask, dtype=bool)
    boxes = []
    for y, x in zip(*np.nonzero(mask), strict=True):
        if seen[y, x]:
            continue
        stack = [(y, x)]
        seen[y, x] = True
        count, top, left, bottom, right = 0, y, x, y, x
        while stack:
            cy, cx = stack.pop()
            count += 1
            top, bottom = min(top, cy), max(bottom, cy)
            left, right = min(left, cx), max(right, cx)
            for ny, nx in ((cy + 1, cx), (cy - 1, cx), (cy, cx + 1), (cy, cx - 1)):
                if (
                    0 <= ny < mask.shape[0]
                    and 0 <= nx < mask.shape[1]
                    and mask[ny, nx]
                    and not seen[ny, nx]
                ):
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        if count >= min_pixels:
            boxes.append((int(top), int(left), int(bottom), int(right)))
    return boxes


def _split_at_legend_rule(pixels: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    rule_rows = np.nonzero(_mask(pixels, LEGEND_RULE_COLOUR).sum(axis=1) > WIDTH // 3)[0]
    assert len(rule_rows) >= 2, "the legend's rule is not in the screenshot"
    return pixels[: rule_rows.min()], pixels[rule_rows.max() + 1 :]


def _assert_legend(legend: "np.ndarray") -> None:
    for level, colour in LEVEL_COLOURS.items():
        swatches = _regions(_mask(legend, colour))
        assert len(swatches) == 1, f"legend swatch for {level.value}: {swatches}"
        top, left, bottom, right = swatches[0]
        assert 10 <= bottom - top <= 30 and 10 <= right - left <= 30, swatches


def _assert_highlights(text: "np.ndarray", levels: Counter) -> None:
    for level, colour in LEVEL_COLOURS.items():
        marks = _regions(_mask(text, colour))
        if levels[level]:
            assert len(marks) >= levels[level], f"{level.value}: {len(marks)} marks seen"
            for top, left, bottom, right in marks:
                # A mark holds a figure and its label: wider than tall.
                assert right - left > bottom - top >= 12, (level.value, marks)
        else:
            assert marks == [], f"{level.value} is not used but its colour shows: {marks}"


def test_browser_view_of_all_six_levels(chromium, tmp_path):
    claims = six_level_claims()
    page = show(SIX_LEVELS_TEXT, claims, title="Six levels").save(tmp_path / "six.html")
    pixels = screenshot(chromium, page, tmp_path / "six.png")
    legend, text = _split_at_legend_rule(pixels)
    _assert_legend(legend)
    levels = Counter(c.commitment.level for c in claims)
    assert len(levels) == 6
    _assert_highlights(text, levels)


def test_browser_view_of_a_fixture_article(chromium, tmp_path):
    line = (EXAMPLES / "articles.jsonl").read_text(encoding="utf-8").splitlines()[0]
    article = Article.model_validate(json.loads(line))
    claims = extractor().extract(article)
    assert len(claims) >= 2, "the fixture article holds several spending figures"
    page = show(article, claims).save(tmp_path / "article.html")
    pixels = screenshot(chromium, page, tmp_path / "article.png")
    legend, text = _split_at_legend_rule(pixels)
    _assert_legend(legend)
    _assert_highlights(text, Counter(c.commitment.level for c in claims))


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.title = ""
        self._in_title = False
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attrs.extend(name for name, _ in attrs)
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _elements(dom: str) -> _Elements:
    parser = _Elements()
    parser.feed(dom)
    return parser


HOSTILE = (
    "Hostile <script>document.title='pwned';document.body.setAttribute('data-pwned','1')"
    "</script> article\n\n"
    "Britain will spend 3% of GDP <img src=x onerror=\"document.title='pwned'\"> on defence."
)


def test_browser_script_in_the_article_does_not_run(chromium, tmp_path):
    claim = make_claim(
        HOSTILE, "3%", 3.0, "percent", "certainty", actor="<script>document.title='pwned'</script>"
    )
    markup = show(HOSTILE, [claim], title="Hostile").html
    # Drop the Content-Security-Policy so that escaping alone must keep the script inert.
    without_csp = "\n".join(ln for ln in markup.splitlines() if "Content-Security-Policy" not in ln)
    assert without_csp != markup
    for name, html_text in (("with-csp", markup), ("escaping-only", without_csp)):
        page = tmp_path / f"{name}.html"
        page.write_text(html_text, encoding="utf-8")
        dom = dump_dom(chromium, page)
        found = _elements(dom)
        assert found.title == "Hostile", name
        assert found.tags["mark"] == 1, name
        assert found.tags["script"] == 0 and found.tags["img"] == 0, name
        assert "data-pwned" not in found.attrs, name
        assert "&lt;script&gt;document.title='pwned'" in dom, name


def test_browser_detects_a_script_that_runs(chromium, tmp_path):
    """The control: the same checks do see a script that is not escaped."""
    page = tmp_path / "control.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>Hostile</title></head><body>"
        + HOSTILE.split("\n\n")[0]
        + "</body></html>",
        encoding="utf-8",
    )
    found = _elements(dump_dom(chromium, page))
    assert found.title == "pwned"
    assert "data-pwned" in found.attrs
