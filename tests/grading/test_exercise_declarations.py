"""What holds for every chapter's exercises, whatever they ask.

For each chapter of :data:`exercise_helpers.CHAPTERS`: the check module declares
the exercises in the source notebook's order with the check cells' points;
each check cell passes the check the names the tests pass; the notebook's own
solution passes with the friendly "passed" line; and the untouched stub of the
student notebook fails as "not implemented yet". A chapter's own tests are in
``test_exercises_chNN.py``.
"""

from __future__ import annotations

import pytest
from exercise_helpers import CHAPTERS, SOURCE_DIR

from nnlib.grading import ExerciseFailed, list_exercises

EXERCISES = [(c, i) for c in CHAPTERS for i in c.ids]
EXERCISE_IDS = [f"{c.key}-{i}" for c, i in EXERCISES]


@pytest.fixture(scope="module")
def solutions_of():
    """``solutions_of(chapter)``: the names its source notebook defines (each run once)."""
    done = {}

    def get(chapter):
        if chapter.key not in done:
            done[chapter.key] = chapter.solutions()
        return done[chapter.key]

    return get


def test_every_source_notebook_is_a_listed_chapter():
    listed = {c.notebook for c in CHAPTERS}
    assert {p.name for p in SOURCE_DIR.glob("*.ipynb")} <= listed


@pytest.mark.parametrize("chapter", CHAPTERS, ids=str)
def test_exercises_are_declared_in_notebook_order_with_matching_points(chapter):
    declared = {ex.id: ex for ex in list_exercises(chapter.key)}
    assert list(declared) == list(chapter.ids)
    graded = [c["metadata"]["nbgrader"] for c in chapter.cells() if "nbgrader" in c["metadata"]]
    assert [m["grade_id"] for m in graded if m["solution"]] == list(chapter.ids)
    points = {m["grade_id"]: m["points"] for m in graded if m["grade"]}
    assert points == {f"check_{i}": declared[i].points for i in chapter.ids}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=str)
def test_check_cells_pass_the_names_in_the_checked_order(chapter):
    calls = {
        c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]).splitlines()[-1]
        for c in chapter.cells()
        if c["metadata"].get("nbgrader", {}).get("grade")
    }
    for i in chapter.ids:
        assert calls[f"check_{i}"] == f"check_{i}({', '.join(chapter.answer_names(i))})"


@pytest.mark.parametrize("chapter, exercise_id", EXERCISES, ids=EXERCISE_IDS)
def test_notebook_solution_passes(chapter, exercise_id, solutions_of, capsys):
    solutions = solutions_of(chapter)
    capsys.readouterr()  # what the notebook's own cells printed
    chapter.check(exercise_id)(*(solutions[name] for name in chapter.answer_names(exercise_id)))
    title = next(ex.title for ex in list_exercises(chapter.key) if ex.id == exercise_id)
    assert capsys.readouterr().out.startswith(f"✓ {title}: passed (")


@pytest.mark.parametrize("chapter, exercise_id", EXERCISES, ids=EXERCISE_IDS)
def test_untouched_stub_is_not_implemented_yet(chapter, exercise_id):
    stubs = [chapter.stub(exercise_id)] * len(chapter.answer_names(exercise_id))
    with pytest.raises(ExerciseFailed, match="not implemented yet") as info:
        chapter.check(exercise_id)(*stubs)
    assert info.value.kind == "not_implemented"
