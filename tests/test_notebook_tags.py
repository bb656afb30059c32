"""Learner-facing cells carry nbval's cell tags, not test-plumbing comments.

A learner reads every line of a code cell, so ``# NBVAL_IGNORE_OUTPUT`` has no
place there: a cell whose output nbval must not compare (timings, progress)
gets the cell tag ``nbval-ignore-output`` instead, invisible in JupyterLab's
editor.
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    [
        *ROOT.glob("course/*.ipynb"),
        *ROOT.glob("exercises/*.ipynb"),
        *ROOT.glob("exercises/source/*.ipynb"),
    ]
)
NBVAL_TAGS = {"nbval-ignore-output", "nbval-skip", "nbval-check-output", "nbval-raises-exception"}


def code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text("utf-8"))["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_no_nbval_comments_in_code_cells(path):
    for cell in code_cells(path):
        assert "NBVAL_" not in "".join(cell["source"]), f"cell {cell.get('id')}: use a cell tag"
        tags = {t for t in cell.get("metadata", {}).get("tags", []) if t.startswith("nbval")}
        assert tags <= NBVAL_TAGS, tags - NBVAL_TAGS


def test_cells_with_varying_output_are_tagged():
    tagged = [
        path
        for path in NOTEBOOKS
        for cell in code_cells(path)
        if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", [])
    ]
    assert len(tagged) >= 10
