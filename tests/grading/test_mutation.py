"""Mutation testing: no wrong version of a solution that behaves differently passes its check.

For every exercise of chapters 1-9 the solution's mutants (``mutation.py``)
are compared with the solution on the exercise's battery
(``mutation_batteries.py``) and run through the check. The bar: no
non-equivalent mutant passes (``survived`` is 0 everywhere), with at least 15
non-equivalent mutants per exercise on average, and no equivalent one fails.
The table (exercise, mutants generated, equivalent, killed, survived) is
printed by the last test.

The killed mutants are also the uncatalogued wrong answers on which the
generic hints of :mod:`nnlib.grading.diagnose` are tested: a hint shown for
one of them must state a relation (a factor, a sign, a transpose, the shapes,
the dtypes, NumPy's warnings) that holds on the case that failed.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from exercise_helpers import CHAPTERS
from mutation import Mutant, load_notebook, mutants, solution_cell
from mutation_batteries import BATTERIES
from mutation_judge import Raised, equivalent, observe, run_check

from nnlib.grading import ExerciseFailed, checks
from nnlib.grading.diagnose import shape_of

EXERCISES = [(ch, ex) for ch in CHAPTERS for ex in ch.ids]
MIN_AVERAGE = 15  # non-equivalent mutants per exercise, on average over the exercises


HINTS = ("value_hint", "shape_hint", "dtype_hint", "nonfinite_hint")


@dataclass(frozen=True)
class Diagnosis:
    """A generic hint a check showed, with the arguments it was computed from."""

    mutant: Mutant
    name: str  # which hint function
    hint: str
    args: tuple


@contextlib.contextmanager
def recorded_hints() -> Iterator[list]:
    """Record every generic hint ``Check.compare`` computes, as ``(name, hint, args)``."""
    records: list = []
    saved = {name: getattr(checks, name) for name in HINTS}

    def recording(name: str, fn: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            hint = fn(*args)
            if hint:
                records.append((name, hint, args))
            return hint

        return wrapper

    for name, fn in saved.items():
        setattr(checks, name, recording(name, fn))
    try:
        yield records
    finally:
        for name, fn in saved.items():
            setattr(checks, name, fn)


@dataclass
class Outcome:
    """One exercise's mutants, sorted by what happened to them."""

    exercise: str
    equivalent: list[Mutant] = field(default_factory=list)
    killed: list[Mutant] = field(default_factory=list)
    survived: list[Mutant] = field(default_factory=list)
    rejected_equivalent: list[Mutant] = field(default_factory=list)  # equivalent, check fails
    diagnoses: list[Diagnosis] = field(default_factory=list)  # generic hints shown

    @property
    def generated(self) -> int:
        return len(self.equivalent) + len(self.killed) + len(self.survived)

    @property
    def non_equivalent(self) -> int:
        return len(self.killed) + len(self.survived)


RESULTS: dict[str, Outcome] = {}


@functools.cache
def _solutions(key: str) -> dict:
    return next(c for c in CHAPTERS if c.key == key).solutions()


def answers_of(chapter, exercise_id: str, namespace: dict) -> tuple:
    return tuple(namespace[name] for name in chapter.answer_names(exercise_id))


def mutant_namespace(chapter, mutant: Mutant) -> dict | None:
    """The chapter's solutions with the mutant's cell run over them (None if it cannot run)."""
    namespace = dict(_solutions(chapter.key))
    try:
        exec(compile(mutant.source, f"<mutant {mutant}>", "exec"), namespace)
    except Exception:
        return None
    return namespace


def mutation_outcome(chapter, exercise_id: str) -> Outcome:
    battery = BATTERIES[exercise_id]
    solution = answers_of(chapter, exercise_id, _solutions(chapter.key))
    reference = observe(lambda: battery.run(*solution))
    assert not isinstance(reference, Raised), f"the solution fails its battery: {reference}"
    check = chapter.check(exercise_id)
    outcome = Outcome(exercise_id)
    for mutant in mutants(solution_cell(load_notebook(chapter.source), exercise_id)):
        namespace = mutant_namespace(chapter, mutant)
        if namespace is None:
            continue
        answers = answers_of(chapter, exercise_id, namespace)
        seen = observe(lambda answers=answers: battery.run(*answers))
        same = equivalent(seen, reference, battery.tol, battery.check_dtype)
        with recorded_hints() as records:
            failure = run_check(check, answers)
        passed = failure is None
        if isinstance(failure, ExerciseFailed) and failure.likely and records:
            name, hint, args = records[-1]
            if hint == failure.likely:  # the generic hint was shown, not a catalogued one
                outcome.diagnoses.append(Diagnosis(mutant, name, hint, args))
        if same:
            outcome.equivalent.append(mutant)
            if not passed:
                outcome.rejected_equivalent.append(mutant)
        elif passed:
            outcome.survived.append(mutant)
        else:
            outcome.killed.append(mutant)
    RESULTS[exercise_id] = outcome
    return outcome


def table() -> str:
    rows = [("exercise", "mutants", "equivalent", "killed", "survived")]
    for o in RESULTS.values():
        rows.append((o.exercise, o.generated, len(o.equivalent), len(o.killed), len(o.survived)))
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    return "\n".join(
        "  ".join(
            str(v).ljust(w) if i == 0 else str(v).rjust(w)
            for i, (v, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    )


@pytest.mark.parametrize(
    "chapter, exercise_id", EXERCISES, ids=[f"{c.key}-{e}" for c, e in EXERCISES]
)
def test_no_wrong_mutant_passes_the_check(chapter, exercise_id):
    outcome = mutation_outcome(chapter, exercise_id)
    assert outcome.non_equivalent > 0
    assert not outcome.survived, "wrong answers that pass the check:\n" + "\n".join(
        f"  {m}\n{m.source}" for m in outcome.survived
    )
    assert not outcome.rejected_equivalent, "right answers that fail the check:\n" + "\n".join(
        f"  {m}\n{m.source}" for m in outcome.rejected_equivalent
    )


def test_every_exercise_has_a_battery():
    assert {e for _, e in EXERCISES} <= set(BATTERIES)


def test_enough_wrong_mutants_per_exercise(capsys):
    missing = [e for _, e in EXERCISES if e not in RESULTS]
    for chapter, exercise_id in EXERCISES:
        if exercise_id in missing:
            mutation_outcome(chapter, exercise_id)
    average = np.mean([RESULTS[e].non_equivalent for _, e in EXERCISES])
    with capsys.disabled():
        print("\n" + table() + f"\naverage non-equivalent mutants per exercise: {average:.1f}")
    assert average >= MIN_AVERAGE


# ---------------------------------------------------------------- honest hints

NUMBER = r"(-?[\d.]+(?:e[-+]?\d+)?)"


def _value_relation(hint: str, got: Any, expected: Any, ctx: dict) -> bool:
    g, e = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if int(np.sum(np.abs(e) > 1e-9 * np.max(np.abs(e)))) < 3:
        return False  # a pattern needs several entries to count as evidence
    if "transposed" in hint:
        return e.ndim == 2 and np.allclose(g.T, e, rtol=1e-6, atol=1e-9)
    if "sign is flipped" in hint:
        return np.allclose(-g, e, rtol=1e-6, atol=1e-9)
    factors = [
        (r"(\d+) times too large", lambda m: float(m)),
        (r"(\d+) times too small", lambda m: 1 / float(m)),
        (r"twice too large", lambda m: 2.0),
        (r"half of what", lambda m: 0.5),
        (rf"entries are {NUMBER} times", lambda m: float(m)),
    ]
    for pattern, factor in factors:
        found = re.search(pattern, hint)
        if found:
            k = factor(found.group(1) if found.groups() else None)
            return np.allclose(g, k * e, rtol=1e-3, atol=1e-9 * np.max(np.abs(e)))
    return False


def _shape_relation(hint: str, got: Any, expected: Any, ctx: dict) -> bool:
    gs, es = shape_of(got), shape_of(expected)
    arrays = [a for a in ctx.get("args", ()) if isinstance(a, np.ndarray) and a.ndim == 2]
    relations = [
        ("return a plain number", lambda: es == () and len(gs) >= 1 and set(gs) == {1}),
        ("expected one number", lambda: es == () and len(gs) >= 1),
        ("transposed", lambda: gs == es[::-1] and gs != es),
        ("broadcasts to (N, N)", lambda: len(es) == 1 and gs == (es[0], es[0])),
        ("a column of shape (N, 1)", lambda: len(es) == 1 and gs == (es[0], 1)),
        ("(N, 1) column lost", lambda: es[1:] == (1,) and gs in ((es[0],), (es[0], es[0]))),
        ("extra axis of length 1", lambda: tuple(d for d in gs if d != 1) == es),
        ("axis of length 1 is missing", lambda: tuple(d for d in es if d != 1) == gs),
        ("wrong axis", lambda: any({gs, es} == {(a.shape[0],), (a.shape[1],)} for a in arrays)),
        ("number of entries in the wrong layout", lambda: np.prod(gs) == np.prod(es)),
        ("an axis is missing", lambda: len(gs) + 1 == len(es)),
    ]
    return any(text in hint and holds() for text, holds in relations)


def _dtype_relation(hint: str, got: Any, expected: Any) -> bool:
    gd, ed = np.asarray(got).dtype, np.asarray(expected).dtype
    if "float32 inputs came back as float64" in hint:
        return gd == np.float64 and ed == np.float32
    if "integers or booleans" in hint:
        return gd.kind in "iub" and ed.kind == "f"
    return False


def _nonfinite_relation(hint: str, got: Any, ctx: dict) -> bool:
    if np.all(np.isfinite(np.asarray(got, dtype=float))):
        return False
    warned = ctx.get("warnings", [])
    if "NumPy warned" in hint and not all(w in hint for w in warned):
        return False
    if "overflowed" in hint:
        return any("overflow" in w for w in warned)
    if "division by zero or a log(0)" in hint:
        return bool(warned)
    found = re.search(rf"inputs go up to {NUMBER}", hint)
    if found:
        biggest = max(
            (float(np.max(np.abs(a))) for a in ctx["args"] if isinstance(a, np.ndarray)), default=0
        )
        return biggest >= 0.999 * float(found.group(1)) and not warned
    return hint == "check for a division by zero, a log of 0 or an overflow"


def hint_is_true(d: Diagnosis) -> bool:
    """The relation the hint states holds on the failing case's ``got`` and ``expected``."""
    if d.name == "value_hint":
        return _value_relation(d.hint, *d.args)
    if d.name == "shape_hint":
        return _shape_relation(d.hint, *d.args)
    if d.name == "dtype_hint":
        return _dtype_relation(d.hint, *d.args)
    return _nonfinite_relation(d.hint, *d.args)


def test_generic_hints_for_wrong_mutants_state_what_holds():
    for chapter, exercise_id in EXERCISES:
        if exercise_id not in RESULTS:
            mutation_outcome(chapter, exercise_id)
    shown = [d for o in RESULTS.values() for d in o.diagnoses]
    assert len(shown) >= 20  # the test sees real hints, not none
    false = [d for d in shown if not hint_is_true(d)]
    assert not false, "\n".join(f"{d.mutant}: {d.hint}" for d in false)
