"""The student-notebook build: stubs, hidden tests, outputs, determinism, --check."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nnlib.grading.build import (
    CODE_STUB,
    build,
    lint,
    main,
    replace_regions,
    student_notebook,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "source" / "demo.ipynb"


@pytest.fixture
def repo(tmp_path):
    """A minimal repository: one source notebook and the course's quiz sources."""
    (tmp_path / "exercises" / "source").mkdir(parents=True)
    shutil.copy(FIXTURE, tmp_path / "exercises" / "source" / "demo.ipynb")
    shutil.copytree(
        ROOT / "exercises" / "source" / "quizzes", tmp_path / "exercises" / "source" / "quizzes"
    )
    return tmp_path


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_replace_regions_keeps_indentation():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    y = 2 * x\n    ### END SOLUTION\n    return y"
    out, found = replace_regions(src, "BEGIN SOLUTION", "END SOLUTION", "# YOUR CODE HERE\nraise X")
    assert found
    assert out == "def f(x):\n    # YOUR CODE HERE\n    raise X\n    return y"


def test_replace_regions_rejects_unbalanced_markers():
    with pytest.raises(ValueError):
        replace_regions("### BEGIN SOLUTION\nx = 1", "BEGIN SOLUTION", "END SOLUTION", "")
    with pytest.raises(ValueError):
        replace_regions("x\n### END SOLUTION", "BEGIN SOLUTION", "END SOLUTION", "")


def test_student_notebook_from_fixture():
    nb = load(FIXTURE)
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    nb["cells"][1]["execution_count"] = 7
    student = student_notebook(nb)
    cells = {c["id"]: c for c in student["cells"]}

    solution = source(cells["add-bias"])
    assert "out = x + b" not in solution and "BEGIN SOLUTION" not in solution
    assert "    " + CODE_STUB.format(grade_id="add_bias").replace("\n", "\n    ") in solution
    assert solution.startswith("import numpy as np") and solution.endswith("    return out")

    check = source(cells["check-add-bias"])
    assert "check_add_bias(add_bias)" in check
    assert "HIDDEN" not in check and "hidden check" not in check

    for cell in student["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    assert cells["add-bias"]["metadata"]["nbgrader"] == nb["cells"][1]["metadata"]["nbgrader"]
    locked = cells["check-add-bias"]["metadata"]
    assert locked["nbgrader"]["grade_id"] == "check_add_bias"
    assert locked["editable"] is False and locked["deletable"] is False
    assert nb["cells"][1]["execution_count"] == 7, "the source must not be modified"


def test_markdown_answers_get_the_text_stub():
    nbgrader = {
        "grade": True,
        "grade_id": "why",
        "locked": False,
        "points": 1,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }
    cell = {
        "cell_type": "markdown",
        "id": "why",
        "metadata": {"nbgrader": nbgrader},
        "source": "Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
    }
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    assert lint(nb, "nb") == []
    assert source(student_notebook(nb)["cells"][0]) == "Why?\n\nYOUR ANSWER HERE"
    nbgrader["grade"] = False  # nbgrader refuses ungraded Markdown solution cells
    assert "Markdown solution cell" in lint(nb, "nb")[0]


def test_build_writes_valid_deterministic_notebooks(repo):
    differ, errors = build(repo)
    assert errors == []
    student = repo / "exercises" / "demo.ipynb"
    bank = repo / "nnlib" / "grading" / "quizbank.json"
    assert set(differ) == {student, bank}
    nbformat.validate(nbformat.read(student, as_version=4))
    first = student.read_bytes()
    assert build(repo) == ([], [])  # idempotent: nothing changes the second time
    assert student.read_bytes() == first
    assert bank.read_text() == (ROOT / "nnlib" / "grading" / "quizbank.json").read_text()


def test_check_mode_detects_drift(repo, capsys):
    build(repo)
    assert main(["--root", str(repo), "--check"]) == 0

    student = repo / "exercises" / "demo.ipynb"
    nb = load(student)
    nb["cells"][1]["source"] = "def add_bias(x, b):\n    return x + b\n"  # a leaked solution
    student.write_text(json.dumps(nb, indent=1))
    capsys.readouterr()
    assert main(["--root", str(repo), "--check"]) == 1
    assert "out of date: exercises/demo.ipynb" in capsys.readouterr().out
    assert load(student)["cells"][1]["source"].startswith("def add_bias"), "--check writes nothing"

    main(["--root", str(repo)])
    assert main(["--root", str(repo), "--check"]) == 0


def test_check_mode_detects_missing_and_stale_notebooks(repo, capsys):
    build(repo)
    (repo / "exercises" / "demo.ipynb").unlink()
    shutil.copy(FIXTURE, repo / "exercises" / "old_chapter.ipynb")
    capsys.readouterr()
    assert main(["--root", str(repo), "--check"]) == 1
    out = capsys.readouterr().out
    assert "out of date: exercises/demo.ipynb" in out
    assert "stale (no source notebook): exercises/old_chapter.ipynb" in out


def test_lint_reports_bad_metadata(repo):
    nb = load(FIXTURE)
    del nb["cells"][1]["metadata"]["nbgrader"]  # solution region outside a solution cell
    nb["cells"][2]["metadata"]["nbgrader"]["grade_id"] = "check add bias"
    errors = "\n".join(lint(nb, "demo.ipynb"))
    assert "solution region in a cell without nbgrader solution" in errors
    assert "grade_id" in errors
    (repo / "exercises" / "source" / "demo.ipynb").write_text(json.dumps(nb))
    assert main(["--root", str(repo)]) == 2


def test_committed_files_are_up_to_date():
    """Fails when a committed student notebook or the quiz bank differs from the build."""
    result = subprocess.run(
        [sys.executable, "-m", "nnlib.grading.build", "--check", "--root", str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
