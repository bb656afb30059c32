"""The checks framework: each generic diagnosis gets its own message, stubs say so."""

import numpy as np
import pytest

from nnlib.grading import (
    NOT_AVERAGED,
    Check,
    Exercise,
    ExerciseFailed,
    Mistake,
    load_progress,
    off_by_factor,
)

DENSE = Exercise("chT", "dense_forward", "Dense layer forward pass", points=2)
MSE = Exercise("chT", "mse_loss", "Mean squared error")
SOFTMAX = Exercise("chT", "softmax", "Stable softmax")
COLMEAN = Exercise("chT", "column_mean", "Column mean")


def check_dense(fn, dtype=np.float64):
    with Check(DENSE, fn) as c:
        for seed, (n, d, h) in enumerate([(4, 3, 2), (1, 5, 3), (7, 2, 6)]):
            rng = np.random.default_rng(seed)
            x = rng.normal(size=(n, d)).astype(dtype)
            W = rng.normal(size=(d, h)).astype(dtype)
            b = rng.normal(size=h).astype(dtype)
            out = c.call(x, W, b, note=f"seed {seed}")
            c.compare(
                out,
                x @ W + b,
                name="out",
                mistakes=[Mistake("forgot the bias: add b", impl=lambda x, W, b: x @ W)],
            )


def check_mse(fn):
    with Check(MSE, fn) as c:
        for seed, shape in enumerate([(4, 1), (6, 3)]):
            rng = np.random.default_rng(seed)
            pred, target = rng.normal(size=shape), rng.normal(size=shape)
            loss = c.call(pred, target)
            c.compare(loss, np.mean((pred - target) ** 2), name="loss", mistakes=[NOT_AVERAGED])


def check_softmax(fn):
    with Check(SOFTMAX, fn) as c:
        for z in (np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]]), np.array([[1000.0, 999.0, -5.0]])):
            p = c.call(z)
            e = np.exp(z - z.max(axis=1, keepdims=True))
            c.compare(p, e / e.sum(axis=1, keepdims=True), name="probabilities")


def check_colmean(fn):
    with Check(COLMEAN, fn) as c:
        x = np.random.default_rng(0).normal(size=(5, 3))
        c.compare(c.call(x), x.mean(axis=0), name="mean")


def failure(check, fn, **kw):
    with pytest.raises(ExerciseFailed) as info:
        check(fn, **kw)
    return info.value


# ---------------------------------------------------------------- success


def test_correct_solution_passes_prints_and_records(capsys):
    check_dense(lambda x, W, b: x @ W + b)
    assert capsys.readouterr().out.strip() == "✓ Dense layer forward pass: passed (3 cases)"
    assert load_progress()["exercises"]["chT"]["dense_forward"]["passed"] is True


def test_failure_is_recorded_and_is_an_assertion_error():
    err = failure(check_dense, lambda x, W, b: x @ W)
    assert isinstance(err, AssertionError)
    assert load_progress()["exercises"]["chT"]["dense_forward"]["passed"] is False


def test_float32_solution_passes_float32_checks():
    check_dense(lambda x, W, b: x @ W + b, dtype=np.float32)


# ---------------------------------------------------------------- stubs and crashes


def test_stub_says_not_implemented_yet():
    def dense_forward(x, W, b):
        raise NotImplementedError("Exercise dense_forward: not implemented yet")

    err = failure(check_dense, dense_forward)
    assert str(err) == (
        "Dense layer forward pass: not implemented yet — replace the "
        "`raise NotImplementedError` line with your code."
    )
    assert err.kind == "not_implemented"


def test_bare_not_implemented_error_also_counts_as_a_stub():
    def stub(x, W, b):
        raise NotImplementedError()

    assert "not implemented yet" in str(failure(check_dense, stub))


def test_calling_another_unfinished_exercise_names_it():
    def dense_forward(x, W, b):
        raise NotImplementedError("Exercise linear_backward: not implemented yet")

    msg = str(failure(check_dense, dense_forward))
    assert "calls exercise `linear_backward`, which is not implemented yet" in msg


def test_other_exceptions_name_the_exception_shapes_and_line():
    def dense_forward(x, W, b):
        out = x @ W.T + b
        return out

    err = failure(check_dense, dense_forward)
    msg = str(err)
    assert err.kind == "exception"
    assert "your code raised ValueError" in msg
    assert "x (4, 3) float64, W (3, 2) float64, b (2,) float64" in msg
    assert "out = x @ W.T + b" in msg and "of dense_forward" in msg
    assert "shapes do not fit" in msg
    assert len(msg.splitlines()) <= 6
    assert isinstance(err.learner_exception, ValueError)


def test_not_a_function():
    assert failure(check_dense, 42).kind == "type"


# ---------------------------------------------------------------- generic diagnoses


def test_catalogued_mistake_is_named():
    err = failure(check_dense, lambda x, W, b: x @ W)
    assert err.kind == "values" and err.likely == "forgot the bias: add b"
    msg = str(err)
    assert msg.startswith("Dense layer forward pass: your out has wrong values")
    assert "tried:" in msg and "got:" in msg and "expected:" in msg
    assert "likely mistake: forgot the bias: add b" in msg


def test_wrong_shape_transposed():
    err = failure(check_dense, lambda x, W, b: (x @ W + b).T)
    assert err.kind == "shape"
    assert "your out has shape (2, 4); expected (4, 2)" in str(err)
    assert "transposed" in err.likely


def test_off_by_a_transpose_same_shape():
    def check_square(fn):
        ex = Exercise("chT", "gram", "Gram matrix")
        with Check(ex, fn) as c:
            a, b = np.random.default_rng(1).normal(size=(2, 3, 3))
            c.compare(c.call(a, b), a.T @ b)

    err = failure(check_square, lambda a, b: b.T @ a)
    assert err.kind == "values" and "transposed" in err.likely


def test_wrong_dtype_float32_in_float64_out():
    err = failure(check_dense, lambda x, W, b: (x @ W + b).astype(np.float64), dtype=np.float32)
    assert err.kind == "dtype"
    assert "float32 inputs came back as float64" in err.likely


def test_mutated_input():
    def dense_forward(x, W, b):
        x += 0.0
        x[0, 0] = 99.0
        return x @ W + b

    err = failure(check_dense, dense_forward)
    assert err.kind == "mutated" and "changed its input `x` in place" in str(err)


def test_returned_alias_of_input():
    ex = Exercise("chT", "relu", "ReLU")

    def check_relu(fn):
        with Check(ex, fn) as c:
            z = np.random.default_rng(0).normal(size=(4, 3))
            c.compare(c.call(z), np.maximum(z, 0))

    def relu(z):
        np.maximum(z, 0)  # computed, then thrown away
        return z[:, :]  # a view of the input

    err = failure(check_relu, relu)
    assert err.kind == "alias" and "returned its input `z`" in str(err)


def test_nan_from_overflow_for_large_inputs():
    def softmax(z):
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    err = failure(check_softmax, softmax)
    assert err.kind == "nonfinite"
    assert "NaN or inf" in str(err) and "overflow" in err.likely
    assert "NumPy warned" in err.likely


def test_sign_flipped():
    err = failure(check_dense, lambda x, W, b: -(x @ W + b))
    assert err.kind == "values" and "sign is flipped" in err.likely


def test_off_by_factor_n_not_averaged():
    err = failure(check_mse, lambda p, t: np.sum((p - t) ** 2))
    assert err.likely == "did not average over the batch: divide the sum by N"


def test_off_by_factor_n_generic_without_catalogue():
    def check(fn):
        with Check(MSE, fn) as c:
            p, t = np.random.default_rng(0).normal(size=(2, 5, 3))
            c.compare(c.call(p, t), np.mean((p - t) ** 2, axis=0))

    err = failure(check, lambda p, t: np.sum((p - t) ** 2, axis=0))
    assert "5 times too large (N = 5)" in err.likely


def test_off_by_factor_two():
    err = failure(check_dense, lambda x, W, b: 2 * (x @ W + b))
    assert "twice too large" in err.likely
    err = failure(check_dense, lambda x, W, b: 0.5 * (x @ W + b))
    assert "factor 2 is missing" in err.likely


def test_off_by_factor_helper():
    m = off_by_factor(3, "tripled")
    assert m.matches(np.array([3.0, 6.0]), np.array([1.0, 2.0]), {})
    assert not m.matches(np.array([3.0, 5.0]), np.array([1.0, 2.0]), {})


def test_scalar_expected_but_array_returned():
    err = failure(check_mse, lambda p, t: (p - t) ** 2)
    assert err.kind == "shape" and "average (or sum) over the batch" in err.likely


def test_one_element_array_instead_of_a_number():
    err = failure(check_mse, lambda p, t: np.array([np.mean((p - t) ** 2)]))
    assert err.kind == "shape" and "plain number" in err.likely


def test_reduced_over_the_wrong_axis():
    err = failure(check_colmean, lambda x: x.mean(axis=1))
    assert err.kind == "shape" and "wrong axis" in err.likely


def test_keepdims_mismatch():
    err = failure(check_colmean, lambda x: x.mean(axis=0, keepdims=True))
    assert "keepdims" in err.likely


def test_returned_none():
    def forgot_return(x):
        x.mean(axis=0)

    err = failure(check_colmean, forgot_return)
    assert err.kind == "none" and "return" in err.likely


def test_returned_a_list():
    err = failure(check_colmean, lambda x: list(x.mean(axis=0)))
    assert err.kind == "type"


def test_unpack_and_require():
    ex = Exercise("chT", "linear_backward", "Linear backward")

    def check(fn):
        with Check(ex, fn) as c:
            got = c.call(np.ones((2, 3)))
            dx, dW, db = c.unpack(got, ("dx", "dW", "db"))
            c.require(dW.std() > 0, "dW is constant", got="std 0", likely="used ones?")

    err = failure(check, lambda x: (x.copy(), x.copy()))
    assert "expected 3 return values (dx, dW, db)" in str(err)
    err = failure(check, lambda x: (x.copy(), np.zeros(3), np.zeros(3)))
    assert "dW is constant" in str(err) and "used ones?" in str(err)


def test_a_check_that_chokes_on_the_result_still_fails_softly():
    def check(fn):
        with Check(MSE, fn) as c:
            got = c.call(np.ones(3))
            got["key"]  # the author assumed a dict

    err = failure(check, lambda x: x.sum())
    assert err.kind == "unusable"


def test_mistake_predicate_errors_count_as_no_match():
    boom = Mistake("never", lambda got, exp, ctx: 1 / 0)
    assert not boom.matches(1.0, 2.0, {})


# ---------------------------------------------------------------- rendering


def test_render_traceback_is_the_short_message():
    err = failure(check_dense, lambda x, W, b: x @ W)
    lines = err._render_traceback_()
    assert len(lines) == len(str(err).splitlines()) <= 6
    assert "Dense layer forward pass" in lines[0]
    assert not any("Traceback" in line or 'File "' in line for line in lines)


def test_no_output_on_stderr(capsys):
    # nbgrader scores a check cell zero if anything reaches stderr.
    def stable(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    check_softmax(stable)
    with pytest.raises(ExerciseFailed):
        check_softmax(lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
    assert capsys.readouterr().err == ""


LEARNER_USES_NNLIB = """
import numpy as np
import nnlib.activations
from nnlib.losses import MSELoss

def dense(x, W, b):
    return x @ W + nnlib.activations.relu(b) - nnlib.activations.relu(-b)

def mse(pred, target):
    return MSELoss()(pred, target)

class Dense:
    def __call__(self, x, W, b):
        return nnlib.activations.relu(x) @ W + b

def make():
    from nnlib.activations import relu
    def inner(x, W, b):
        return relu(x) @ W + b
    return inner

def numpy_only(x, W, b):
    return np.add(x @ W, b)
"""


def test_learner_code_that_calls_nnlib_fails_as_it_would_in_the_batch_grader():
    """The batch grader's sandbox has no nnlib implementations: the notebook check says so."""
    notebook = {"__name__": "__main__"}  # a notebook's code runs in __main__
    exec(LEARNER_USES_NNLIB, notebook)
    for fn, check, used in [
        (notebook["dense"], check_dense, "nnlib"),
        (notebook["mse"], check_mse, "nnlib.losses.MSELoss"),
        (notebook["Dense"]().__call__, check_dense, "nnlib"),
        (notebook["make"](), check_dense, "nnlib.activations.relu"),
    ]:
        with pytest.raises(ExerciseFailed) as info:
            check(fn)
        assert info.value.kind == "reference"
        assert f"your code uses `{used}`, nnlib's own implementation" in str(info.value)
    check_dense(notebook["numpy_only"])
