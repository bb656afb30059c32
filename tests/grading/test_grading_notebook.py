"""In a real kernel: a failed check shows a short message, not a traceback wall."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from nnlib.grading.build import student_notebook

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # runs a real kernel

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The fixture's student notebook, plus a wrong and a correct attempt, run in one kernel."""
    tmp = tmp_path_factory.mktemp("kernel")
    nb = nbformat.from_dict(student_notebook(nbformat.read(FIXTURES / "source" / "demo.ipynb", 4)))
    nb.cells += [
        new_code_cell("def add_bias(x, b):\n    return x - b\n\ncheck_add_bias(add_bias)"),
        new_code_cell("def add_bias(x, b):\n    return x + b\n\ncheck_add_bias(add_bias)"),
    ]
    env = {
        "PYTHONPATH": os.pathsep.join([str(FIXTURES), str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "NNLIB_PROGRESS_FILE": str(tmp / "progress.json"),
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = NotebookClient(
            nb,
            timeout=120,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(tmp)}},
        )
        client.execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def errors(cell):
    return [o for o in cell.get("outputs", []) if o["output_type"] == "error"]


def text(cell, stream="stdout"):
    return "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o["output_type"] == "stream" and o["name"] == stream
    )


def test_stub_check_cell_shows_only_the_short_message(executed):
    check = next(c for c in executed.cells if c.get("id") == "check-add-bias")
    (err,) = errors(check)
    assert err["ename"] == "ExerciseFailed"
    assert len(err["traceback"]) == 1
    line = err["traceback"][0]
    assert (
        "Add a bias to every row: not implemented yet — replace the `raise NotImplementedError`"
        in line
    )
    assert "Traceback" not in line and 'File "' not in line
    assert text(check, "stderr") == ""


def test_wrong_attempt_names_the_catalogued_mistake(executed):
    (err,) = errors(executed.cells[-2])
    tb = "\n".join(err["traceback"])
    assert len(err["traceback"]) <= 6
    assert "likely mistake: subtracted the bias instead of adding it" in tb
    assert "Traceback" not in tb and "site-packages" not in tb


def test_correct_attempt_passes_quietly(executed):
    cell = executed.cells[-1]
    assert errors(cell) == []
    assert text(cell).strip() == "✓ Add a bias to every row: passed (3 cases)"
    assert text(cell, "stderr") == ""


def test_other_cells_run_without_errors(executed):
    for cell in executed.cells:
        if cell.get("id") in ("quiz", "progress", "intro", "add-bias"):
            assert errors(cell) == [], cell.get("id")
    quiz = next(c for c in executed.cells if c.get("id") == "quiz")
    assert any(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in quiz.outputs
    )
    progress = next(c for c in executed.cells if c.get("id") == "progress")
    html = "".join(o.get("data", {}).get("text/html", "") for o in progress.outputs)
    assert "<table" in html and "demo" in html
