"""What the chapters' exercise tests share: the chapters, their solutions, check, fails_with.

A chapter's solutions are taken from its source notebook itself
(``exercises/source/NN_name.ipynb``: its setup and solution cells, run in one
namespace), so a test fails when a notebook's solution and its check drift
apart. ``test_exercise_declarations.py`` runs the tests every chapter shares
(declarations, check cells, solutions pass, stubs are "not implemented yet");
``test_exercises_chNN.py`` holds a chapter's own (other correct answers,
catalogued mistakes, edge cases). A chapter test module sets ``CHAPTER`` and
gets its ``solutions`` fixture from ``conftest.py``::

    CHAPTER = chapter("ch01")
    check, fails_with = CHAPTER.check, CHAPTER.fails_with
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

from nnlib.grading import ExerciseFailed

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = ROOT / "exercises" / "source"


def function_stub(exercise_id: str) -> Callable:
    """The student notebook's untouched function: it raises "not implemented yet"."""

    def stub(*args):
        raise NotImplementedError(f"Exercise {exercise_id}: not implemented yet")

    return stub


def class_stub(exercise_id: str) -> type:
    """The student notebook's untouched class: both regions (``__init__``, ``step``) raise."""

    class Stub:
        def __init__(self, lr=0.01, **hyper):
            raise NotImplementedError(f"Exercise {exercise_id}: not implemented yet")

        def step(self, params, grads):
            raise NotImplementedError(f"Exercise {exercise_id}: not implemented yet")

    return Stub


@dataclass(frozen=True)
class Chapter:
    """One chapter's exercises, as its source notebook and check module declare them.

    ``answers`` maps an exercise id to the names, defined by the notebook's
    solution cells, that its check cell passes to the check, in order (by
    default the exercise id alone: ``check_mse_loss(mse_loss)``). ``stub`` makes
    what an untouched student notebook defines under such a name.
    """

    key: str  # "ch01": the registry's chapter id and the check module's name
    notebook: str  # the source notebook's file name in exercises/source/
    ids: tuple[str, ...]  # the exercises, in notebook order
    answers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    stub: Callable[[str], object] = function_stub

    def __str__(self) -> str:
        return self.key

    @property
    def source(self) -> Path:
        return SOURCE_DIR / self.notebook

    @property
    def checks(self) -> ModuleType:
        """The check module ``nnlib.grading.exercises.chNN``."""
        return importlib.import_module(f"nnlib.grading.exercises.{self.key}")

    def cells(self) -> list[dict]:
        return json.loads(self.source.read_text(encoding="utf-8"))["cells"]

    def solutions(self) -> dict:
        """Run the code cells that are not checks, quizzes or progress; return their names."""
        namespace = {}
        for cell in self.cells():
            src = "".join(cell["source"])
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and not meta.get("grade") and "nnlib" not in src:
                exec(compile(src, f"{self.notebook}:{cell['id']}", "exec"), namespace)
        return namespace

    def answer_names(self, exercise_id: str) -> tuple[str, ...]:
        return self.answers.get(exercise_id, (exercise_id,))

    def check(self, exercise_id: str) -> Callable:
        return getattr(self.checks, f"check_{exercise_id}")

    def fails_with(self, exercise_id: str, answer, text: str) -> ExerciseFailed:
        """The check of ``exercise_id`` fails on ``answer`` and its message contains ``text``.

        ``answer`` is what the check takes: a function or a class, or a tuple of
        them for a check of several (``check_relu(relu, relu_grad)``).
        """
        args = answer if isinstance(answer, tuple) else (answer,)
        with pytest.raises(ExerciseFailed, match=re.escape(text)) as info:
            self.check(exercise_id)(*args)
        return info.value


CHAPTERS = [
    Chapter(
        "ch01",
        "01_forward_pass_and_loss.ipynb",
        ("dense_forward", "sigmoid_neuron", "mse_loss", "bce_with_logits", "cross_entropy"),
    ),
    Chapter(
        "ch02",
        "02_backpropagation.ipynb",
        (
            "sigmoid_backward",
            "linear_backward",
            "two_layer_backward",
            "numerical_gradient",
            "rel_error",
        ),
    ),
    Chapter(
        "ch03",
        "03_gradient_descent.ipynb",
        ("sgd_step", "minibatches", "train_linear_regression", "early_stopping"),
    ),
    Chapter(
        "ch04",
        "04_activation_functions.ipynb",
        (
            "relu_backward",
            "leaky_relu_backward",
            "tanh_backward",
            "stable_sigmoid",
            "stable_softmax",
            "softmax_ce_backward",
            "count_dead_units",
        ),
        answers={  # a function and its derivative, checked together
            "stable_sigmoid": ("sigmoid", "sigmoid_grad"),
            "stable_softmax": ("softmax",),
        },
    ),
    Chapter(
        "ch05",
        "05_weight_initialization.ipynb",
        ("train_step", "xavier_uniform", "kaiming_normal", "layer_stds", "predict_std"),
    ),
    Chapter(
        "ch06",
        "06_optimizers.ipynb",
        ("momentum", "adagrad", "rmsprop", "adam"),
        answers={
            "momentum": ("Momentum",),
            "adagrad": ("Adagrad",),
            "rmsprop": ("RMSprop",),
            "adam": ("Adam",),
        },
        stub=class_stub,
    ),
    Chapter(
        "ch07",
        "07_vanishing_and_exploding_gradients.ipynb",
        (
            "chain_gradient",
            "grad_norm_profile",
            "train_with_guard",
            "clip_grad_norm_",
            "batchnorm_forward",
            "batchnorm_backward",
            "residual_backward",
        ),
        answers={"batchnorm_backward": ("batchnorm_forward", "batchnorm_backward")},
    ),
    Chapter(
        "ch08",
        "08_regularization.ipynb",
        (
            "l2_regularize",
            "l1_proximal_step",
            "adam_decay_step",
            "dropout",
            "train_with_early_stopping",
        ),
        answers={"dropout": ("dropout_forward", "dropout_backward")},
    ),
]

# ---------------------------------------------------------------- chapter 9 (branch ex09)
CHAPTERS.append(
    Chapter(
        "ch09",
        "09_learning_rate.ipynb",
        ("quadratic_limit", "warmup_cosine_lr", "lr_range_test", "scaled_lrs"),
        answers={"quadratic_limit": ("max_stable_lr", "gd_on_quadratic")},
    )
)
# ---------------------------------------------------------------- end of chapter 9


CHAPTERS.append(  # chapter 10, the capstone: backward is checked with the learner's forward
    Chapter(
        "ch10",
        "10_capstone.ipynb",
        (
            "init_params",
            "forward",
            "softmax_cross_entropy",
            "backward",
            "gradient_check",
            "sgd_momentum",
            "train",
        ),
        answers={"backward": ("forward", "backward")},
    )
)


# Import the check modules now, at collection: importing one declares its exercises,
# and conftest's ``clean_registry`` forgets whatever a test itself declares.
for _chapter in CHAPTERS:
    _chapter.checks  # the property imports the module


def chapter(key: str) -> Chapter:
    return next(c for c in CHAPTERS if c.key == key)


def assert_distinct_mistakes(wrong: list[tuple], ids, may_share: tuple[str, ...] = ()) -> None:
    """At least three catalogued mistakes per exercise, each with its own message.

    ``wrong`` holds ``(exercise_id, answer, message)`` rows; a message in
    ``may_share`` may name several of an exercise's mistakes.
    """
    counts = {i: sum(e == i for e, _, _ in wrong) for i in ids}
    assert min(counts.values()) >= 3, counts
    for i in ids:
        messages = [m for e, _, m in wrong if e == i and m not in may_share]
        assert len(set(messages)) == len(messages), i


def mistake_ids(wrong: list[tuple]) -> list[str]:
    """Test ids for the ``(exercise_id, answer, message)`` rows of a catalogue."""
    return [f"{e}: {m}" for e, _, m in wrong]
