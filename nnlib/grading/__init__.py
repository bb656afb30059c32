"""nnlib.grading: exercise checks, quizzes, learner progress and the notebook build.

The grading layer sits on top of the library; the core never imports it.
ipywidgets and nbformat are imported only where they are needed.

For learners (in a notebook)::

    from nnlib.grading import quiz, show_progress
    quiz("ch01")        # the chapter's quiz as widgets (last line of the cell)
    show_progress()     # exercises passed and quiz answers, per chapter

Writing an exercise notebook
============================

One source notebook per chapter, named like its chapter
(``exercises/source/01_forward_pass_and_loss.ipynb``), with solutions;
``nnlib-build-exercises`` generates the student notebook
``exercises/NN_<topic>.ipynb`` and the quiz bank, and a test fails when the
committed files are out of date. An exercise is three cells:

1. Markdown (no nbgrader metadata): the task, the shapes of every array, the
   formula.

2. The solution cell, where the learner writes code. nbgrader metadata::

       {"nbgrader": {"grade": false, "grade_id": "dense_forward", "locked": false,
                     "schema_version": 3, "solution": true, "task": false}}

   and source::

       def dense_forward(x, W, b):
           \"\"\"x (N, D), W (D, H), b (H,) -> out (N, H).\"\"\"
           ### BEGIN SOLUTION
           out = x @ W + b  # (N, H)
           ### END SOLUTION
           return out

   The build replaces the marked region, keeping its indentation, by::

       # YOUR CODE HERE
       raise NotImplementedError("Exercise dense_forward: not implemented yet")

   ``grade_id`` is the exercise id declared in the chapter's check module.

3. The check cell, locked, worth the exercise's points::

       {"nbgrader": {"grade": true, "grade_id": "check_dense_forward", "locked": true,
                     "points": 2, "schema_version": 3, "solution": false, "task": false}}

   and source (one line; optional ``### BEGIN HIDDEN TESTS`` ...
   ``### END HIDDEN TESTS`` blocks are removed from the student version)::

       from nnlib.grading.exercises.ch01 import check_dense_forward
       check_dense_forward(dense_forward)

A quiz cell has no nbgrader metadata: ``from nnlib.grading import quiz`` then
``quiz("ch01")`` (or ``quiz("ch01", "q2")`` for one question). End the
notebook with a ``show_progress()`` cell. Use nbformat 4.5 (cell ids) and keep
``### BEGIN SOLUTION`` markers only in solution cells: the build and nbgrader
both refuse anything else.

Writing a check
===============

Each chapter has a check module ``nnlib/grading/exercises/chNN.py`` that
declares its exercises (``Exercise(chapter, id, title, points)`` registers
it, so the progress view knows the chapter's total) and defines one
``check_<id>(learner_fn)`` per exercise with a :class:`Check`::

    import numpy as np
    from nnlib.grading import Check, Exercise, Mistake, NOT_AVERAGED

    MSE = Exercise("ch01", "mse_loss", "Mean squared error", points=1)

    def check_mse_loss(mse_loss):
        with Check(MSE, mse_loss) as c:
            for seed, shape in enumerate([(4, 1), (7, 3), (1, 5)]):
                rng = np.random.default_rng(seed)
                pred, target = rng.normal(size=shape), rng.normal(size=shape)
                loss = c.call(pred, target, note=f"seed {seed}")
                c.compare(loss, np.mean((pred - target) ** 2), name="loss", mistakes=[
                    NOT_AVERAGED,
                    Mistake("took the square root (that is the RMSE)",
                            impl=lambda p, t: np.sqrt(np.mean((p - t) ** 2))),
                ])

``c.call`` runs the learner's function (turning ``NotImplementedError`` into
"not implemented yet", other exceptions into a short message, and failing on
mutated or aliased inputs); ``c.compare`` checks type, shape, dtype, NaN/inf
and values, naming the first matching :class:`Mistake` or a generic hint;
``c.require`` / ``c.failure`` / ``c.unpack`` cover custom tests (e.g. the
distribution of an initializer's output). Check functions must accept every
correct implementation and test several shapes and seeds, never one row.

Every check is mutation-tested (``tests/grading/test_mutation.py``): wrong
versions of the notebook's solution, made by small AST edits, must fail it
unless they behave like the solution on a battery of inputs of their own
(``tests/grading/mutation_batteries.py``; a new exercise needs one there).
Generic hints name a relation (a factor, a sign, a transpose, the shapes) only
when it holds on the failing case, and a pattern in values only over several
entries: a wrong single number gets the expected and the returned value.

An exercise's interface is plain data, because the batch grader
(:mod:`nnlib.grading.grader`) runs the same check in its own process against
the learner's code in a sandbox: a check hands learner code only arrays,
numbers, strings, ``np.random.Generator`` objects, tuples, lists and dicts of
these, and the callables of :mod:`nnlib.grading.sandbox.helpers` (add a new
one there, NumPy only); it may call methods of an object the learner's code
returned (an optimizer's ``step``) and iterate a generator it returned.
The grader sends a check's calls as scripts fixed before their results are
seen (:mod:`nnlib.grading.grader_script`), so a check should derive each
call's arguments from its own seeds and data, not from a result's values (a
result it looks at ends a script; an argument that then differs from the
recorded one fails the check).
Learner code may use NumPy and the standard library, not nnlib's own
implementations (a check refuses them with its own message, as the grader's
sandbox has none).
"""

from .checks import Check
from .diagnose import NOT_AVERAGED, SIGN_FLIPPED, TRANSPOSED, Mistake, first_match, off_by_factor
from .feedback import ExerciseFailed
from .progress import (
    learner_id,
    load_progress,
    progress_path,
    progress_table,
    record_exercise,
    record_quiz,
    reset_progress,
    show_progress,
)
from .quizbank import check_answer
from .quizzes import Quiz, QuizQuestion, option_order, quiz
from .registry import CHAPTERS, Exercise, get_exercise, list_exercises

__all__ = [
    "CHAPTERS",
    "NOT_AVERAGED",
    "SIGN_FLIPPED",
    "TRANSPOSED",
    "Check",
    "Exercise",
    "ExerciseFailed",
    "Mistake",
    "Quiz",
    "QuizQuestion",
    "check_answer",
    "first_match",
    "get_exercise",
    "learner_id",
    "list_exercises",
    "load_progress",
    "off_by_factor",
    "option_order",
    "progress_path",
    "progress_table",
    "quiz",
    "record_exercise",
    "record_quiz",
    "reset_progress",
    "show_progress",
]
