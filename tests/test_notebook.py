"""The tutorial notebook runs top to bottom and shows what it promises (nbclient, real kernel)."""

import shutil
import sys
from pathlib import Path

import pytest

import extractor

nbformat = pytest.importorskip("nbformat", reason="nbformat is in the dev extra")
nbclient = pytest.importorskip("nbclient", reason="nbclient is in the dev extra")
pytest.importorskip("ipykernel", reason="ipykernel is in the dev extra")
pytest.importorskip("pandas", reason="the tutorial needs the pandas extra")
pytest.importorskip("matplotlib", reason="the tutorial needs the plot extra")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The tutorial executed in a copy of examples/, so its saved files stay out of the tree."""
    missing = [n for n in ("show", "to_dataframe", "from_dataframe", "plot_timeline")
               if not hasattr(extractor, n)]  # fmt: skip
    assert not missing, f"the public API lacks {missing}: extractor/__init__.py must export them"
    work = tmp_path_factory.mktemp("tutorial")
    shutil.copytree(EXAMPLES / "data", work / "data")
    nb = nbformat.read(EXAMPLES / "tutorial.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(work)}},
    )
    # The kernel must be this interpreter (with newsclaims installed), not another python3.
    client.kernel_manager_class = _this_python_kernel_manager()
    client.execute()
    return nb, work


def _this_python_kernel_manager():
    from jupyter_client.manager import KernelManager

    class ThisPython(KernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            return [sys.executable, *cmd[1:]]

    return ThisPython


def _outputs(nb, kind: str) -> list[str]:
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if kind in data:
                found.append(data[kind])
    return found


def test_notebook_runs_without_errors(executed):
    nb, _ = executed
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code_cells) >= 10
    for cell in code_cells:
        assert cell.execution_count is not None
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source


def test_notebook_shows_the_highlighted_article(executed):
    nb, _ = executed
    views = [h for h in _outputs(nb, "text/html") if 'class="nc-legend"' in h]
    assert len(views) == 2  # the fixture article and the spaCy-pipeline sentence
    assert all("<mark " in v for v in views)


def test_notebook_draws_the_timelines(executed):
    nb, work = executed
    assert len(_outputs(nb, "image/png")) >= 2
    assert (work / "money.png").stat().st_size > 10_000
    assert (
        (work / "defence-certainty.claims.html")
        .read_text(encoding="utf-8")
        .startswith("<!DOCTYPE html>")
    )


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(EXAMPLES / "tutorial.ipynb", as_version=4)
    nbformat.validate(nb)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
