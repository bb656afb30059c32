"""Mutation testing: no wrong version of a solution that behaves differently passes its check.

For every exercise of chapters 1-7 the solution's mutants (``mutation.py``)
are compared with the solution on the exercise's battery
(``mutation_batteries.py``) and run through the check. The bar: no
non-equivalent mutant passes (``survived`` is 0 everywhere), with at least 15
non-equivalent mutants per exercise on average. The table (exercise, mutants
generated, equivalent, killed, survived) is printed at the end of the run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pytest
from exercise_helpers import CHAPTERS
from mutation import (
    Mutant,
    Raised,
    equivalent,
    load_notebook,
    mutants,
    observe,
    passes_check,
    solution_cell,
)
from mutation_batteries import BATTERIES

EXERCISES = [(ch, ex) for ch in CHAPTERS for ex in ch.ids]
MIN_AVERAGE = 15  # non-equivalent mutants per exercise, on average over the exercises


@dataclass
class Outcome:
    """One exercise's mutants, sorted by what happened to them."""

    exercise: str
    equivalent: list[Mutant] = field(default_factory=list)
    killed: list[Mutant] = field(default_factory=list)
    survived: list[Mutant] = field(default_factory=list)
    rejected_equivalent: list[Mutant] = field(default_factory=list)  # equivalent, check fails

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
        passed = passes_check(check, answers)
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
