"""The course's chapters and the exercises each chapter's check module declares.

An exercise is declared once, at import time of its chapter's check module
(``nnlib/grading/exercises/chNN.py``)::

    DENSE_FORWARD = Exercise("ch01", "dense_forward", "Dense layer forward pass", points=2)

Declaring registers it, so the progress view knows how many exercises a
chapter has without running anything. :func:`list_exercises` imports every module of
``nnlib.grading.exercises`` first, so the totals are complete even when the
learner has not touched a chapter yet.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass

#: Chapter ids and titles, in course order.
CHAPTERS: dict[str, str] = {
    "ch01": "Forward pass and loss",
    "ch02": "Backpropagation",
    "ch03": "Gradient descent",
    "ch04": "Activation functions",
    "ch05": "Weight initialization",
    "ch06": "Optimizers",
    "ch07": "Vanishing and exploding gradients",
    "ch08": "Regularization",
    "ch09": "The learning rate",
    "ch10": "Capstone",
}

_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REGISTRY: dict[tuple[str, str], Exercise] = {}


@dataclass(frozen=True)
class Exercise:
    """One graded exercise of a chapter.

    Parameters
    ----------
    chapter : str
        Chapter id, e.g. ``"ch01"``.
    id : str
        The exercise id: a Python identifier, equal to the ``grade_id`` of the
        solution cell in the source notebook (the check cell's ``grade_id`` is
        ``"check_" + id``).
    title : str
        What the learner sees in messages: ``"Dense layer forward pass"``.
    points : int
        nbgrader points of the check cell.
    """

    chapter: str
    id: str
    title: str
    points: int = 1

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"exercise id must be a Python identifier; got {self.id!r}")
        # Re-declaring (a module reload) replaces the old entry.
        _REGISTRY[(self.chapter, self.id)] = self


def _discover() -> None:
    """Import every chapter check module so its exercises are registered."""
    pkg = importlib.import_module(f"{__package__}.exercises")

    for info in pkgutil.iter_modules(pkg.__path__):
        try:
            importlib.import_module(f"{pkg.__name__}.{info.name}")
        except Exception as err:  # a broken chapter module must not break the others
            print(f"nnlib.grading: could not load checks {info.name!r}: {err}")


def list_exercises(chapter: str | None = None, *, discover: bool = True) -> list[Exercise]:
    """The declared exercises, in declaration order, optionally of one chapter."""
    if discover:
        _discover()
    return [ex for (ch, _), ex in _REGISTRY.items() if chapter is None or ch == chapter]


def get_exercise(chapter: str, exercise_id: str) -> Exercise:
    """Look one exercise up, raising ``KeyError`` that lists the valid ids."""
    _discover()
    try:
        return _REGISTRY[(chapter, exercise_id)]
    except KeyError:
        valid = ", ".join(ex.id for ex in list_exercises(chapter, discover=False)) or "none"
        raise KeyError(
            f"no exercise {exercise_id!r} in chapter {chapter!r}; valid ids: {valid}"
        ) from None


def chapter_title(chapter: str) -> str:
    """The chapter's title, or the id itself for an unknown chapter."""
    return CHAPTERS.get(chapter, chapter)
