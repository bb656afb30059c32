"""Generic hints only when the evidence supports them (the mutants test it at scale).

A single number fits any factor and any sign, so a wrong scalar gets the
expected and the returned value and what is known about it (NaN, inf, its
type), never "off by a constant factor". ``test_mutation.py`` checks every
hint shown for a wrong mutant against the failing case.
"""

import math

import numpy as np
import pytest
from exercise_helpers import chapter

from nnlib.grading import ExerciseFailed
from nnlib.grading.diagnose import nonfinite_hint, value_hint

CH01, CH03 = chapter("ch01"), chapter("ch03")


def failure(chapter_, exercise_id, answer) -> ExerciseFailed:
    with pytest.raises(ExerciseFailed) as info:
        chapter_.check(exercise_id)(answer)
    return info.value


@pytest.mark.parametrize("got", [1.4, -0.7, 0.35, 7.0])
def test_a_wrong_scalar_gets_no_factor_or_sign_hint(got):
    assert value_hint(np.array(got), np.array(0.7), {"N": 10}) is None


def test_two_entries_are_too_few_for_a_pattern():
    assert value_hint(np.array([2.0, 4.0]), np.array([1.0, 2.0]), {}) is None


def test_several_entries_sharing_one_ratio_name_the_factor():
    e = np.array([1.0, -2.0, 0.5, 3.0])
    assert "twice too large" in value_hint(2 * e, e, {})
    hint = value_hint(1.5 * e, e, {})
    assert "all 4 entries are 1.5 times the expected ones" in hint
    assert "sign is flipped" in value_hint(-e, e, {})
    assert value_hint(e * np.array([1.5, 1.5, 1.5, 1.4]), e, {}) is None


def test_a_wrong_loss_shows_expected_and_got_without_a_guess():
    def mse_of_rows(pred, target):  # averages each row, then takes the largest: no pattern
        return float(np.max(np.mean((pred - target) ** 2, axis=-1)))

    err = failure(CH01, "mse_loss", mse_of_rows)
    text = str(err)
    assert "your loss has wrong values" in text and "got:" in text and "expected:" in text
    assert err.likely is None


def test_a_wrong_epoch_index_is_not_called_scaled():
    def never_resets(val_losses, patience):  # counts every epoch without improvement
        best, best_epoch, waited = math.inf, 0, 0
        for epoch, loss in enumerate(val_losses):
            if loss < best:
                best, best_epoch = loss, epoch
            else:
                waited += 1
                if waited >= patience:
                    return epoch, best_epoch
        return len(val_losses) - 1, best_epoch

    err = failure(CH03, "early_stopping", never_resets)
    assert "factor" not in str(err) and "times too" not in str(err)


def test_a_non_finite_scalar_shows_the_expected_number():
    def global_max(logits, y):
        s = logits - logits.max()
        log_probs = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return float(-np.mean(log_probs[np.arange(len(y)), y]))

    err = failure(CH01, "cross_entropy", global_max)
    assert "subtracted the maximum of the whole array" in err.likely
    expected_row = next(ln for ln in str(err).splitlines() if "expected:" in ln)
    assert "finite numbers (" in expected_row and any(c.isdigit() for c in expected_row)


def test_an_overflow_is_named_only_when_numpy_reported_one():
    big = {"args": (np.array([800.0, -3.0]),), "warnings": []}
    assert "overflowed" not in nonfinite_hint(np.array([np.inf, 1.0]), big)
    assert "up to 800" in nonfinite_hint(np.array([np.inf, 1.0]), big)
    warned = {**big, "warnings": ["overflow encountered in exp"]}
    hint = nonfinite_hint(np.array([np.nan, 1.0]), warned)
    assert "overflowed" in hint and "NumPy warned: overflow encountered in exp" in hint
