"""Every exercise of the course travels through the sandbox: solutions pass, stubs do not.

Each source notebook of ``exercises/source`` (its solutions) and its student
notebook (untouched stubs) is graded by ``nnlib-grade`` in a bubblewrap
sandbox: the checks run in the grader against the learner's functions, classes
(chapter 6's optimizers, stepped hundreds of times), generators (chapter 3's
mini-batches) and the helpers the checks hand to them (``f``, ``step``,
``act``), so a check that calls learner code in a way the sandbox cannot carry
fails here.
"""

import json
from pathlib import Path

import pytest
from sandbox_support import require_sandbox

from nnlib.grading.build import student_notebook
from nnlib.grading.grader import grade
from nnlib.grading.grader_run import Setup

pytestmark = require_sandbox()

SOURCE = Path(__file__).resolve().parents[2] / "exercises" / "source"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("course")
    paths = []
    for src in sorted(SOURCE.glob("*.ipynb")):
        nb = json.loads(src.read_text(encoding="utf-8"))
        for who, version in (("solved", nb), ("untouched", student_notebook(nb))):
            path = tmp / who / src.name
            path.parent.mkdir(exist_ok=True)
            path.write_text(json.dumps(version), encoding="utf-8")
            paths.append(path)
    setup = Setup.read(SOURCE, [SOURCE.parent], cell_timeout=60, timeout=300)
    return grade(paths, tmp / "out", setup=setup, jobs=2, log=lambda *a: None)


def test_every_solution_earns_full_marks_in_the_sandbox(course):
    solved = [r for r in course if r["student"] == "solved"]
    assert len(solved) == len(list(SOURCE.glob("*.ipynb"))) >= 10  # chapters 1-10, each graded
    for r in solved:
        failed = [(e["exercise"], e["message"]) for e in r["exercises"] if e["status"] != "passed"]
        assert failed == [] and r["errors"] == [] and r["notes"] == [], r["notebook"]
        assert r["score"] == r["max_score"] > 0
        trips = {e["exercise"]: e["round_trips"] for e in r["exercises"]}
        assert all(n >= 1 for n in trips.values()), trips
        if r["notebook"].startswith(("01_", "04_")):  # call, compare: one script each
            assert set(trips.values()) == {1}, trips


def test_every_untouched_stub_is_not_implemented_yet(course):
    for r in course:
        if r["student"] == "untouched":
            assert r["score"] == 0
            for e in r["exercises"]:
                assert "not implemented yet" in e["message"], (r["notebook"], e)
