"""The mutation tool itself: its operators, its time limit, its equivalence rule."""

import time

import numpy as np
import pytest
from mutation import SolutionCell, mutants
from mutation_judge import MutantTimeout, Raised, Sample, equivalent, observe, run_check, time_limit

CELL = '''def softmax_loss(z, y, scale=1.0):
    """A toy solution with one of everything the operators edit."""
    ### BEGIN SOLUTION
    z = np.array(z, dtype=float)
    shifted = z - z.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    total = 0.0
    for i in range(len(y)):
        total += -np.log(p[i, y[i]])
    out = scale * (p @ p.T)[: len(y)]
    out = out.copy()
    total = total if len(y) > 0 else 0.0
    return float(total / len(y)), out
    ### END SOLUTION
'''


def cell(source: str) -> SolutionCell:
    lines = source.splitlines()
    begin = next(i for i, s in enumerate(lines, 1) if "BEGIN SOLUTION" in s)
    end = next(i for i, s in enumerate(lines, 1) if "END SOLUTION" in s)
    return SolutionCell("toy", source, frozenset(range(begin + 1, end)))


def test_every_operator_family_makes_mutants():
    made = mutants(cell(CELL), limit=10_000)
    kinds = {m.kind for m in made}
    assert kinds >= {
        "axis",
        "keepdims",
        "reduction swap",
        "operator",
        "term dropped",
        "off by one",
        "transpose",
        "in place / rebinding",
        "constant",
        "default",
        "copy dropped",
        "cast dropped",
        "comparison",
        "statement dropped",
        "variable swapped",
        "broadcasting",
    }
    descriptions = {m.description for m in made}
    assert "axis=1 -> axis=0" in descriptions
    assert "scale replaced by its default" in descriptions
    assert ".copy() dropped" in descriptions and "float(...) dropped" in descriptions
    assert "x op= e -> x = x op e" in descriptions
    assert len({m.source for m in made}) == len(made)  # distinct


def test_mutants_stay_inside_the_solution_region():
    for m in mutants(cell(CELL), limit=10_000):
        assert m.source.startswith("def softmax_loss(z, y, scale=1.0):")


def test_a_cap_keeps_every_kind():
    few = mutants(cell(CELL), limit=15)
    assert len(few) == 15
    assert len({m.kind for m in few}) == 15


def test_time_limit_stops_an_endless_loop():
    start = time.perf_counter()
    with pytest.raises(MutantTimeout), time_limit(0.2):
        while True:
            pass
    assert time.perf_counter() - start < 2
    assert observe(lambda: [0 for _ in iter(int, 1)], seconds=0.2) == Raised("timeout")


def test_an_endless_loop_fails_the_check():
    def check(fn):
        fn()

    def loops():
        while True:
            pass

    assert isinstance(run_check(check, (loops,), seconds=0.2), MutantTimeout)
    assert run_check(check, (lambda: None,)) is None


@pytest.mark.parametrize(
    "got, ref, same",
    [
        (0.5, np.array(0.5), True),  # a Python float or a 0-d array
        (np.float32(0.5), 0.5, True),
        ([np.ones(2)], (np.ones(2),), True),  # list or tuple
        (np.ones(3, np.float32), np.ones(3), False),  # the dtype the text promises
        (np.ones((3, 1)), np.ones(3), False),
        (np.int64(3), 3, True),
        (3.5, 3, False),
        ({"a": 1.0}, {"a": 1.0 + 1e-12}, True),
        (Raised("ValueError"), 1.0, False),
        (np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), True),
    ],
)
def test_equivalence_follows_the_checks_rule(got, ref, same):
    assert equivalent(got, ref) is same


def test_random_output_is_compared_by_distribution():
    rng = np.random.default_rng(0)
    a = Sample(rng.normal(0, 0.1, size=(400, 300)))
    b = Sample(rng.normal(0, 0.1, size=(400, 300)))
    assert equivalent(a, b)
    assert not equivalent(a, Sample(rng.normal(0, 0.11, size=(400, 300))))
    assert not equivalent(a, Sample(rng.uniform(-0.1 * 3**0.5, 0.1 * 3**0.5, size=(400, 300))))
    assert not equivalent(a, Sample(rng.normal(0.01, 0.1, size=(400, 300))))


def test_a_weak_check_lets_a_non_equivalent_mutant_survive():
    source = """def mean_abs(x):
    ### BEGIN SOLUTION
    out = np.mean(np.abs(x))
    ### END SOLUTION
    return out
"""

    def weak_check(fn):  # only non-negative inputs: a dropped abs() passes
        assert np.isclose(fn(np.array([1.0, 2.0, 3.0])), 2.0)

    battery = [np.array([1.0, -2.0, 3.0]), np.array([-0.5])]
    survivors = []
    for m in mutants(cell(source)):
        namespace = {"np": np}
        exec(m.source, namespace)
        fn = namespace["mean_abs"]
        wrong = not all(equivalent(observe(lambda x=x: fn(x)), np.mean(np.abs(x))) for x in battery)
        if wrong and run_check(weak_check, (fn,)) is None:
            survivors.append(m.description)
    assert "abs(...) dropped" in survivors
