"""The failure a learner sees, and helpers that inspect a call of learner code.

:class:`ExerciseFailed` is what every failed check raises: an
``AssertionError`` (so nbgrader scores the cell zero) whose IPython rendering
is its short message instead of a traceback.
"""

from __future__ import annotations

import inspect
import os
import traceback
import types
import weakref
from typing import Any

import numpy as np

from .registry import Exercise

_HERE = os.path.dirname(os.path.abspath(__file__))


class ExerciseFailed(AssertionError):
    """A failed exercise check, with a short message meant for the learner.

    Attributes
    ----------
    kind : str
        What went wrong: ``"not_implemented"``, ``"exception"``, ``"type"``,
        ``"none"``, ``"shape"``, ``"dtype"``, ``"nonfinite"``, ``"values"``,
        ``"mutated"``, ``"alias"``, ``"unusable"``, ``"reference"`` (uses nnlib's own
        implementation) or an author's own kind.
    exercise : Exercise or None
    likely : str or None
        The named likely mistake, if any.
    learner_exception : Exception or None
        The exception the learner's code raised (kind ``"exception"``).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "wrong",
        exercise: Exercise | None = None,
        likely: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.exercise = exercise
        self.likely = likely
        self.learner_exception: BaseException | None = None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        """Plain text, as a terminal or nbconvert shows it: the message, not a constructor."""
        return f"✗ {self.message}"

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the message, headline in bold.

        Bold, not red: JupyterLab's dark theme draws an error output on a red-tinted
        background, where red text falls far below a 4.5:1 contrast.
        """
        first, *rest = self.message.splitlines() or [""]
        return [f"\x1b[1m✗ {first}\x1b[0m", *rest]


def _arg_names(fn: Any, n: int) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(n):
        p = params[i] if i < len(params) else None
        if p is None or p.kind is p.VAR_POSITIONAL:
            names.append(f"argument {i + 1}")
        else:
            names.append(p.name)
    return names


def _changed(before: Any, after: Any) -> bool:
    if isinstance(before, np.ndarray):
        return (
            not isinstance(after, np.ndarray)
            or before.shape != after.shape
            or not np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")
        )
    if isinstance(before, dict) and isinstance(after, dict):
        return before.keys() != after.keys() or any(_changed(before[k], after[k]) for k in before)
    if isinstance(before, list | tuple) and isinstance(after, list | tuple):
        return len(before) != len(after) or any(map(_changed, before, after))
    return False


def _arrays_in(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [a for v in value for a in _arrays_in(v)]
    return []


def _nnlib_name(value: Any) -> str | None:
    """``nnlib.x.y`` when ``value`` is (part of) nnlib's own code outside nnlib.grading."""
    if isinstance(value, types.ModuleType):
        mod, name = value.__name__, None
    else:
        mod, name = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not isinstance(mod, str) or not (mod == "nnlib" or mod.startswith("nnlib.")):
        return None
    if mod.startswith("nnlib.grading"):
        return None
    return f"{mod}.{name}" if isinstance(name, str) else mod


def reference_used(fn: Any) -> str | None:
    """The nnlib implementation a learner's function (or class) refers to, if any.

    The batch grader runs learner code where nnlib's own code is not
    available, so a notebook check refuses what would fail there. Reads the
    global and closure names of code a notebook defined (module ``__main__``;
    nested functions and methods included).
    """
    if isinstance(fn, types.MethodType):
        fn = fn.__func__
    if isinstance(fn, type):
        functions = [v for v in vars(fn).values() if isinstance(v, types.FunctionType)]
    elif isinstance(fn, types.FunctionType):
        functions = [fn]
    else:
        return None
    for f in functions:
        if f.__module__ != "__main__":  # not a notebook's code (a library's, a test's)
            continue
        for cell in f.__closure__ or ():
            try:
                found = _nnlib_name(cell.cell_contents)
            except ValueError:  # an empty cell
                found = None
            if found:
                return found
        codes = [f.__code__]
        while codes:
            code = codes.pop()
            codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
            for name in code.co_names:
                found = _nnlib_name(f.__globals__.get(name))
                if found:
                    return found
    return None


#: Arrays the batch grader received from a sandbox that are views of the call's
#: inputs there (id of the array -> the grader's copies of those inputs).
_VIEWS: dict[int, list[np.ndarray]] = {}


def note_views(array: np.ndarray, inputs: list[np.ndarray]) -> None:
    """Record that ``array`` shares memory with ``inputs`` (for :func:`shares_memory`)."""
    _VIEWS[id(array)] = inputs
    weakref.finalize(array, _VIEWS.pop, id(array), None)


def shares_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """``np.shares_memory``, also true for a sandbox's view of an input (see note_views)."""
    return any(x is b for x in _VIEWS.get(id(a), ())) or bool(np.shares_memory(a, b))


def _learner_frame(err: BaseException) -> traceback.FrameSummary | None:
    remote = getattr(err, "remote_frames", None)  # an exception raised in the grader's sandbox
    if remote is not None:
        return remote[-1] if remote else None
    frames = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if not f.filename.startswith(_HERE)
        and f"{os.sep}numpy{os.sep}" not in f.filename
        and "site-packages" not in f.filename
    ]
    return frames[-1] if frames else None


_CRASH_HINTS = [
    (
        r"matmul|not aligned|could not be broadcast|shapes? .* mismatch",
        "the shapes do not fit together: print the shapes (e.g. x.shape, W.shape) and check "
        "the order of the product",
    ),
    (r"NoneType", "a value is None: does every function you call `return` its result?"),
    (r"is not defined", "a name is not defined: did you run the cell that defines it?"),
    (r"index .* out of bounds", "an index is past the end of an array: check the axis sizes"),
]


def _tolerance(expected: Any) -> dict[str, float]:
    e = np.asarray(expected)
    scale = max(1.0, float(np.max(np.abs(e)))) if e.size and np.all(np.isfinite(e)) else 1.0
    if e.dtype == np.float32:
        return {"rtol": 1e-4, "atol": 1e-5 * scale}
    return {"rtol": 1e-6, "atol": 1e-9 * scale}
