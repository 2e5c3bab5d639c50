"""The analysis notebooks run top to bottom on a fresh database."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")


def run_notebook(path: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        "strip outputs"
    )
    old = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(
            notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> str:
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.append(output.get("data", {}).get("text/markdown", ""))
    return "\n".join(texts)


def test_matching_quality_notebook_reports_every_variant(database_url: str, tmp_path: Path) -> None:
    notebook = run_notebook(
        ROOT / "notebooks" / "01-matching-quality.ipynb", {"MATCHER_DATABASE_URL": database_url}
    )
    text = outputs(notebook)
    assert "66 labelled profiles" in text
    for variant in (
        "dense only",
        "lexical only",
        "default weights",
        "cross-validated weights",
        "old engine",
        "random",
    ):
        assert f"| {variant}" in text
    assert "fit label cuts measured" in text and "shipped:" in text
    assert "| nDCG@5 | recall@5 | hard-constraint violations | tier-order errors |" in text
    assert any(o.get("data", {}).get("image/png") for c in notebook.cells for o in c.get("outputs", []))


def test_gaps_and_outcomes_notebook_shows_the_learning_loop(database_url: str) -> None:
    notebook = run_notebook(
        ROOT / "notebooks" / "02-gaps-and-outcomes.ipynb", {"MATCHER_DATABASE_URL": database_url}
    )
    text = outputs(notebook)
    assert "simulated placements" in text and "proposals to" in text
    assert "training size" in text and "adopted:" in text
    images = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("data", {}).get("image/png")]
    assert len(images) >= 4  # gaps by area, placements by tier, outcomes over time, learning curve
