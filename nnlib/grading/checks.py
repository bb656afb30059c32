"""Exercise checks that fail with a short, specific, friendly message.

A check is a function ``check_<id>(learner_fn)`` in a chapter's check module.
It runs the learner's function on several shapes, seeds and edge cases
through a :class:`Check`, compares with a reference, and names the likely
mistake when something is off::

    DENSE_FORWARD = Exercise("ch01", "dense_forward", "Dense layer forward pass", points=2)

    def check_dense_forward(dense_forward):
        with Check(DENSE_FORWARD, dense_forward) as c:
            for seed, (N, D, H) in enumerate([(4, 3, 2), (1, 5, 3), (7, 2, 6)]):
                rng = np.random.default_rng(seed)
                x, W, b = rng.normal(size=(N, D)), rng.normal(size=(D, H)), rng.normal(size=H)
                out = c.call(x, W, b, note=f"seed {seed}")
                c.compare(out, x @ W + b, name="out", mistakes=[
                    Mistake("forgot the bias: add b", impl=lambda x, W, b: x @ W),
                ])

What a learner sees (the exception renders in Jupyter as these lines only)::

    Dense layer forward pass: your out has shape (2, 4); expected (4, 2)
      tried:          x (4, 3) float64, W (3, 2) float64, b (2,) float64 — seed 0
      likely mistake: the result is transposed: did you forget a `.T` or swap ...

``Check.call`` turns a ``NotImplementedError`` into "not implemented yet",
any other exception of the learner's code into a short message naming the
exception, the inputs and the line, and also fails when the function changed
an input in place or returned (a view of) an input. ``Check.compare`` tests,
in order: None or wrong type, shape, dtype (float32 in, float32 out),
NaN/inf, values; each failure first tries the exercise's mistakes, then the
generic hints of :mod:`nnlib.grading.diagnose`. On success the check prints
``✓ <title>: passed (k cases)``; either way the result goes to the learner's
progress file.

:class:`ExerciseFailed` subclasses ``AssertionError``, so nbgrader scores the
cell zero, and implements IPython's ``_render_traceback_`` so the notebook
shows the message, not a traceback.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import warnings
from typing import Any

import numpy as np

from .diagnose import (
    Mistake,
    _copy,
    describe,
    describe_inputs,
    dtype_hint,
    first_difference,
    first_match,
    nonfinite_hint,
    shape_hint,
    shape_of,
    value_hint,
)
from .feedback import (
    _CRASH_HINTS,
    ExerciseFailed,
    _arg_names,
    _arrays_in,
    _changed,
    _learner_frame,
    _tolerance,
    reference_used,
    shares_memory,
)
from .registry import Exercise

_PAUSED = False
_QUIET: contextvars.ContextVar[bool] = contextvars.ContextVar("nnlib_quiet", default=False)
#: The batch grader's recording of a script (:mod:`nnlib.grading.grader_script`), or None:
#: while it records, results are placeholders and every test is taken as passed.
RECORDING: contextvars.ContextVar[Any] = contextvars.ContextVar("nnlib_recording", default=None)


@contextlib.contextmanager
def progress_paused():
    """Run checks without recording their results (for demonstrations)."""
    global _PAUSED
    old, _PAUSED = _PAUSED, True
    try:
        yield
    finally:
        _PAUSED = old


@contextlib.contextmanager
def quiet_checks():
    """Run checks (in this thread) printing and recording nothing (the batch grader)."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


class Check:
    """A context manager that runs one exercise's check and reports the result.

    Parameters
    ----------
    exercise : Exercise
        The exercise being checked (its title is in every message).
    learner_fn : callable
        The learner's function; :meth:`call` calls it.
    mistakes : sequence of Mistake
        Mistakes tried by every :meth:`compare` of this check (after the
        compare's own).
    record : bool
        Record the result in the learner's progress file.
    """

    def __init__(
        self,
        exercise: Exercise,
        learner_fn: Any,
        *,
        mistakes: tuple[Mistake, ...] | list[Mistake] = (),
        record: bool = True,
    ):
        self.exercise = exercise
        self.fn = learner_fn
        self.mistakes = list(mistakes)
        self.record = record
        self.cases = 0
        self.ctx: dict[str, Any] = {}
        self.tried = ""

    # -- context manager ---------------------------------------------------
    def __enter__(self) -> Check:
        return self

    def __exit__(self, etype: Any, err: Any, tb: Any) -> bool:
        if etype is None:
            self._record(True)
            s = "" if self.cases == 1 else "s"
            if not _QUIET.get():
                print(f"✓ {self.exercise.title}: passed ({self.cases} case{s})")
            return False
        if not issubclass(etype, Exception):
            return False  # KeyboardInterrupt, SystemExit: not ours to judge
        self._record(False)
        if issubclass(etype, ExerciseFailed):
            return False
        raise self.failure(
            "the check could not use what your function returned",
            got=f"{etype.__name__}: {err}",
            kind="unusable",
        ) from err

    def _record(self, passed: bool) -> None:
        if not self.record or _PAUSED or _QUIET.get():
            return
        try:
            from .progress import record_exercise

            record_exercise(self.exercise.chapter, self.exercise.id, passed)
        except Exception:  # progress must never break a check
            pass

    # -- failing -------------------------------------------------------------
    def failure(
        self,
        headline: str,
        *,
        got: str | None = None,
        expected: str | None = None,
        likely: str | None = None,
        kind: str = "wrong",
        where: str | None = None,
    ) -> ExerciseFailed:
        """Build (not raise) an :class:`ExerciseFailed` with the usual layout."""
        rows = [("tried", self.tried), ("where", where), ("got", got), ("expected", expected)]
        rows += [("likely mistake", likely)]
        lines = [f"{self.exercise.title}: {headline}"]
        lines += [f"  {k + ':':<15} {v}" for k, v in rows if v]
        return ExerciseFailed("\n".join(lines), kind=kind, exercise=self.exercise, likely=likely)

    def require(
        self,
        condition: Any,
        headline: str,
        *,
        got: str | None = None,
        expected: str | None = None,
        likely: str | None = None,
        kind: str = "wrong",
    ) -> None:
        """Fail with ``headline`` unless ``condition`` holds (for custom tests)."""
        if RECORDING.get() is not None:
            return
        if not condition:
            raise self.failure(headline, got=got, expected=expected, likely=likely, kind=kind)

    # -- calling the learner's code -----------------------------------------
    def call(
        self,
        *args: Any,
        fn: Any = None,
        note: str | None = None,
        mutates: tuple[str, ...] = (),
        allow_alias: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Call the learner's function (or ``fn``) on one case and return its result.

        Parameters
        ----------
        *args, **kwargs
            Passed to the function.
        fn : callable, optional
            Call this instead of the check's learner function (e.g. a method).
        note : str, optional
            Appended to the description of the inputs, e.g. ``"seed 2"``.
        mutates : tuple of str
            Names of arguments the function is meant to change in place.
        allow_alias : bool
            Accept a result that shares memory with an input.
        """
        fn = self.fn if fn is None else fn
        name = getattr(fn, "__name__", "your function")
        if not callable(fn):
            raise self.failure("expected a function", got=describe(fn), kind="type")
        names = _arg_names(fn, len(args))
        self.cases += 1
        used = reference_used(fn)
        if used is not None:
            raise self.failure(
                f"your code uses `{used}`, nnlib's own implementation",
                likely="write it with NumPy and the standard library: the batch grader runs "
                "your notebook where nnlib's implementations are not available",
                kind="reference",
            )
        self.tried = describe_inputs(names, args, kwargs) + (f" — {note}" if note else "")
        before = [_copy(a) for a in args]
        before_kw = {k: _copy(v) for k, v in kwargs.items()}
        ctx: dict[str, Any] = {"args": tuple(before), "kwargs": before_kw, "warnings": []}
        ctx.update(zip(names, before, strict=True))
        ctx.update(before_kw)
        first = next((a for a in args if isinstance(a, np.ndarray) and a.ndim), None)
        if first is not None:
            ctx["N"] = first.shape[0]

        errstate = np.errstate(all="warn", under="ignore")
        with warnings.catch_warnings(record=True) as caught, errstate:
            warnings.simplefilter("always")
            try:
                out = fn(*args, **kwargs)
            except NotImplementedError as err:
                raise self._not_implemented(err) from None
            except Exception as err:
                raise self._crashed(err) from None
        ctx["warnings"] = [str(w.message) for w in caught]
        self.ctx = ctx
        if RECORDING.get() is not None:  # the result is not known yet: judged on replay
            return out

        for arg_name, old, new in [
            *zip(names, before, args, strict=True),
            *((k, before_kw[k], v) for k, v in kwargs.items()),
        ]:
            if arg_name not in mutates and _changed(old, new):
                raise self.failure(
                    f"{name} changed its input `{arg_name}` in place",
                    likely="an in-place operation such as `+=`, `-=`, `*=`, `x[...] = ...` or "
                    "`out=` on an input; compute a new array instead",
                    kind="mutated",
                )
        if not allow_alias:
            named = [*zip(names, args, strict=True), *kwargs.items()]
            inputs = [(n, a) for n, v in named for a in _arrays_in(v)]
            for o in _arrays_in(out):
                for arg_name, a in inputs:
                    if shares_memory(o, a):
                        raise self.failure(
                            f"{name} returned its input `{arg_name}` (or a view of it)",
                            likely="return a new array (e.g. `x.copy()`), so changing the result "
                            "cannot change the input",
                            kind="alias",
                        )
        return out

    def _not_implemented(self, err: NotImplementedError) -> ExerciseFailed:
        title = self.exercise.title
        other = re.search(r"Exercise (\w+)", str(err))
        if other and other.group(1) != self.exercise.id:
            msg = (
                f"{title}: your code calls exercise `{other.group(1)}`, which is not "
                "implemented yet — finish that one first."
            )
        else:
            msg = (
                f"{title}: not implemented yet — replace the `raise NotImplementedError` "
                "line with your code."
            )
        return ExerciseFailed(msg, kind="not_implemented", exercise=self.exercise)

    def _crashed(self, err: Exception) -> ExerciseFailed:
        text = (str(err).strip().splitlines() or [""])[0]
        text = text if len(text) <= 160 else text[:157] + "..."
        frame = _learner_frame(err)
        where = None
        if frame is not None:
            code = f": {frame.line.strip()}" if frame.line else ""
            where = f"line {frame.lineno} of {frame.name}{code}"
        likely = next((h for pat, h in _CRASH_HINTS if re.search(pat, str(err))), None)
        failed = self.failure(
            f"your code raised {type(err).__name__}: {text}".rstrip(": "),
            where=where,
            likely=likely,
            kind="exception",
        )
        failed.learner_exception = err
        return failed

    # -- comparing -----------------------------------------------------------
    def compare(
        self,
        got: Any,
        expected: Any,
        *,
        name: str = "result",
        mistakes: tuple[Mistake, ...] | list[Mistake] = (),
        ctx: dict[str, Any] | None = None,
        rtol: float | None = None,
        atol: float | None = None,
        check_dtype: bool = True,
    ) -> None:
        """Fail with a diagnosis unless ``got`` matches ``expected``.

        ``expected`` is an array or a number computed by a reference; a
        float32 ``expected`` asks for float32 back and uses looser tolerances.
        """
        if RECORDING.get() is not None:
            return
        ctx = {**self.ctx, **(ctx or {})}
        catalogue = [*mistakes, *self.mistakes]
        tol = _tolerance(expected)
        tol.update({k: v for k, v in (("rtol", rtol), ("atol", atol)) if v is not None})

        def fail(headline: str, got_text: str, exp_text: str, hint: str | None, kind: str) -> None:
            likely = first_match(catalogue, got, expected, ctx) or hint
            raise self.failure(headline, got=got_text, expected=exp_text, likely=likely, kind=kind)

        if got is None:
            fail(f"your {name} is None", "None", describe(expected), "a missing `return`?", "none")
        gs, es = shape_of(got), shape_of(expected)
        if gs is None:
            what = "a NumPy array" if es else "a number"
            fail(f"your {name} is not {what}", describe(got), describe(expected), None, "type")
        if gs != es:
            fail(
                f"your {name} has shape {gs}; expected {es}",
                describe(got),
                describe(expected),
                shape_hint(got, expected, ctx),
                "shape",
            )
        ed = np.asarray(expected).dtype
        gd = np.asarray(got).dtype
        if check_dtype and isinstance(expected, np.ndarray | np.generic) and ed.kind == "f":
            if gd != ed:
                hint = dtype_hint(got, expected) or f"return {ed} (the dtype of the inputs)"
                fail(f"your {name} has dtype {gd}; expected {ed}", str(gd), str(ed), hint, "dtype")
        g = np.asarray(got, dtype=float)
        e = np.asarray(expected, dtype=float)
        if not np.all(np.isfinite(g)) and np.all(np.isfinite(e)):
            bad = int(np.sum(~np.isfinite(g)))
            fail(
                f"your {name} contains NaN or inf ({bad} of {g.size} entries)",
                describe(got),
                f"finite numbers ({describe(expected)})" if not es else "finite numbers",
                nonfinite_hint(got, ctx),
                "nonfinite",
            )
        if not np.allclose(g, e, equal_nan=True, **tol):
            got_text, exp_text = first_difference(g, e, name, tol)
            hint = value_hint(g, e, ctx)
            fail(f"your {name} has wrong values", got_text, exp_text, hint, "values")

    def unpack(self, got: Any, names: tuple[str, ...] | list[str]) -> tuple:
        """Check that ``got`` is a tuple of ``len(names)`` values and return it."""
        recording = RECORDING.get()
        if recording is not None:
            placeholders = recording.unpack(got, len(names))
            if placeholders is not None:
                return placeholders
        if not isinstance(got, tuple | list) or len(got) != len(names):
            raise self.failure(
                f"expected {len(names)} return values ({', '.join(names)})",
                got=describe(got),
                likely=f"end with `return {', '.join(names)}`",
                kind="type",
            )
        return tuple(got)
