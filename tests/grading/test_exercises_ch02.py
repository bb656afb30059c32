"""Chapter 2's exercise checks: other correct answers pass, typical mistakes are named.

The notebook's solutions (the ``solutions`` fixture) run in one namespace, so
the two-layer solution can call the earlier ones, as it does in the notebook.

What every chapter's tests share (declared in notebook order, the notebook's
own solutions pass, untouched stubs say "not implemented yet") is tested in
``test_exercise_declarations.py``.
"""

from functools import partial

import numpy as np
import pytest
from exercise_helpers import assert_distinct_mistakes, chapter, mistake_ids

from nnlib.grading import ExerciseFailed
from nnlib.grading.exercises import ch02

CHAPTER = chapter("ch02")
IDS = CHAPTER.ids
check, fails_with = CHAPTER.check, CHAPTER.fails_with


# ---------------------------------------------------------------- stubs


def test_two_layer_calling_an_unfinished_exercise_says_which(solutions):
    def linear_backward(dout, x, W):
        raise NotImplementedError("Exercise linear_backward: not implemented yet")

    namespace = {**solutions, "linear_backward": linear_backward}
    exec(compile(_two_layer_source(), "two_layer", "exec"), namespace)
    with pytest.raises(ExerciseFailed, match="calls exercise `linear_backward`"):
        ch02.check_two_layer_backward(namespace["two_layer_backward"])


def _two_layer_source():
    cells = CHAPTER.cells()
    return "".join(next(c for c in cells if c["id"] == "two-layer-backward")["source"])


# ---------------------------------------------------------------- other correct answers pass


def numgrad_in_place(f, x, h=1e-5):
    """Perturbs a float x in place and restores each entry exactly (as nnlib does)."""
    x = x if x.dtype == np.float64 else x.astype(np.float64)
    grad = np.zeros(x.shape)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f(x)
        flat[i] = old - h
        fm = f(x)
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * h)
    return grad


def two_layer(x, y, W1, b1, W2, b2, bug=None):
    """A standalone two-layer forward and backward, optionally with one bug."""
    z1 = x @ W1 + b1
    h = 1 / (1 + np.exp(-z1))
    if bug == "no_sigmoid_forward":
        h = z1
    y_hat = h @ W2 + b2
    err = y_hat - y
    loss = float(np.sum(err**2)) if bug == "loss_sum" else float(np.mean(err**2))
    n = {"no_mean": 1, "batch_mean": len(err)}.get(bug, err.size)
    dy = {"no_two": 1.0, "sign": -2.0}.get(bug, 2.0) * err / n
    dW2 = (z1 if bug == "z1_for_dW2" else h).T @ dy
    axis = 1 if bug == "db_axis1" else 0
    db2 = dy.sum(axis=axis)
    dh = dy @ W2.T
    dz1 = dh if bug == "no_sigmoid_grad" else dh * h * (1 - h)
    dW1 = dz1.T @ x if bug == "dW1_T" else x.T @ dz1
    db1 = dz1.sum(axis=axis)
    grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    if bug == "list":
        return loss, [dW1, db1, dW2, db2]
    if bug == "grads_only":
        return grads
    return loss, grads


def rel_error_with_builtin_max(a, b):
    return float(np.abs(a - b).max()) / max(1e-8, float((np.abs(a) + np.abs(b)).max()))


@pytest.mark.parametrize(
    "exercise_id, fn",
    [
        ("sigmoid_backward", lambda dout, s: dout * s - dout * s**2),
        ("linear_backward", lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.sum(axis=0))),
        (
            "linear_backward",
            lambda dout, x, W: (
                np.einsum("nh,dh->nd", dout, W),
                np.einsum("nd,nh->dh", x, dout),
                np.ones(len(x), dtype=dout.dtype) @ dout,
            ),
        ),
        ("two_layer_backward", two_layer),
        ("numerical_gradient", numgrad_in_place),
        ("rel_error", rel_error_with_builtin_max),
    ],
)
def test_other_correct_implementations_pass(exercise_id, fn):
    check(exercise_id)(fn)


def test_numerical_gradient_that_ignores_h_fails():
    def with_own_step(f, x, h=1e-5):
        return numgrad_in_place(f, np.array(x, dtype=float), h=1e-4)

    fails_with("numerical_gradient", with_own_step, "ignored the argument h")


# ---------------------------------------------------------------- catalogued mistakes


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_backward_in_place(dout, s):
    dout *= s * (1 - s)
    return dout


def finite_differences(f, x, h=1e-5, kind="centered", restore="copy", zeros_like=False):
    """Numerical gradients, right or wrong in one of the catalogued ways."""
    grad = np.zeros_like(x) if zeros_like else np.zeros(x.shape)
    xf = x if restore != "copy" else np.array(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = xf[i]
        xf[i] = old + h
        fp = f(xf)
        xf[i] = old - h
        fm = f(xf)
        if restore in ("copy", "exact"):
            xf[i] = old
        elif restore == "arithmetic":
            xf[i] += h
        xf_i_back = xf.copy()
        xf_i_back[i] = old
        f0 = f(xf_i_back) if kind != "centered" else None
        grad[i] = {
            "centered": lambda: (fp - fm) / (2 * h),
            "forward": lambda: (fp - f0) / h,
            "backward": lambda: (f0 - fm) / h,
            "over_h": lambda: (fp - fm) / h,
        }[kind]()
    return grad


def numgrad_flat(f, x, h=1e-5):
    return finite_differences(f, x, h).reshape(-1)


def numgrad_all_at_once(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))


def arithmetic_restore(f, x, h=1e-5):
    """In place, but puts x[i] back by adding h (rounding may leave it 1 ulp off)."""
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += h
        fp = f(x)
        x[i] -= 2 * h
        fm = f(x)
        x[i] += h
        grad[i] = (fp - fm) / (2 * h)
    return grad


def no_floor(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(a) + np.abs(b))


def zero_guard_without_floor(a, b):
    """0 when both are all zeros, but no floor for tiny values."""
    return np.max(np.abs(a - b)) / (np.max(np.abs(a) + np.abs(b)) or 1.0)


WRONG = [
    # sigmoid_backward
    ("sigmoid_backward", lambda dout, s: s * (1 - s), "returned only the local derivative"),
    ("sigmoid_backward", lambda dout, s: dout * (1 - s), "a factor s is missing"),
    ("sigmoid_backward", lambda dout, s: dout * s, "a factor (1 - s) is missing"),
    (
        "sigmoid_backward",
        lambda dout, s: dout * sigmoid(s) * (1 - sigmoid(s)),
        "applied the sigmoid to s again",
    ),
    ("sigmoid_backward", lambda dout, s: dout * s * (s - 1), "the sign is flipped"),
    ("sigmoid_backward", lambda dout, s: dout * s * (1 - s) / len(dout), "divided by N"),
    (
        "sigmoid_backward",
        lambda dout, s: (dout * s * (1 - s)).astype(np.float64),
        "float32 inputs came back as float64",
    ),
    ("sigmoid_backward", sigmoid_backward_in_place, "changed its input `dout` in place"),
    # linear_backward
    (
        "linear_backward",
        lambda dout, x, W: (dout @ W, x.T @ dout, dout.sum(axis=0)),
        "dx used W without a transpose",
    ),
    (
        "linear_backward",
        lambda dout, x, W: (dout @ W.T, dout.T @ x, dout.sum(axis=0)),
        "dW is transposed: dout.T @ x has shape (H, D)",
    ),
    (
        "linear_backward",
        lambda dout, x, W: (dout @ W.T, x.T @ dout / len(x), dout.sum(axis=0)),
        "divided dW by N",
    ),
    (
        "linear_backward",
        lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.sum(axis=1)),
        "summed db over the wrong axis",
    ),
    (
        "linear_backward",
        lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.mean(axis=0)),
        "averaged db over the batch",
    ),
    (
        "linear_backward",
        lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.sum(axis=0, keepdims=True)),
        "db has shape (1, H)",
    ),
    (
        "linear_backward",
        lambda dout, x, W: (dout @ W.T, x.T @ dout, dout.copy()),
        "db is not summed",
    ),
    (
        "linear_backward",
        lambda dout, x, W: {"dx": dout @ W.T, "dW": x.T @ dout, "db": dout.sum(axis=0)},
        "expected 3 return values (dx, dW, db)",
    ),
    # two_layer_backward
    ("two_layer_backward", partial(two_layer, bug="no_mean"), "did not average"),
    ("two_layer_backward", partial(two_layer, bug="batch_mean"), "divided by N only"),
    ("two_layer_backward", partial(two_layer, bug="no_two"), "forgot the factor 2"),
    ("two_layer_backward", partial(two_layer, bug="sign"), "the sign is flipped"),
    ("two_layer_backward", partial(two_layer, bug="z1_for_dW2"), "used z1 for dW2"),
    (
        "two_layer_backward",
        partial(two_layer, bug="no_sigmoid_grad"),
        "forgot the sigmoid's derivative",
    ),
    ("two_layer_backward", partial(two_layer, bug="dW1_T"), "W1's gradient is transposed"),
    (
        "two_layer_backward",
        partial(two_layer, bug="db_axis1"),
        "summed a bias gradient over the wrong axis",
    ),
    ("two_layer_backward", partial(two_layer, bug="loss_sum"), "your loss is a sum"),
    (
        "two_layer_backward",
        partial(two_layer, bug="no_sigmoid_forward"),
        "forgot the sigmoid in the forward pass",
    ),
    ("two_layer_backward", partial(two_layer, bug="list"), "grads must be a dict"),
    ("two_layer_backward", partial(two_layer, bug="grads_only"), "expected 2 return values"),
    # numerical_gradient
    (
        "numerical_gradient",
        partial(finite_differences, kind="forward"),
        "used a one-sided difference (f(x + h) - f(x)) / h",
    ),
    (
        "numerical_gradient",
        partial(finite_differences, kind="backward"),
        "used a one-sided difference (f(x) - f(x - h)) / h",
    ),
    ("numerical_gradient", partial(finite_differences, kind="over_h"), "divided by h"),
    (
        "numerical_gradient",
        partial(finite_differences, restore="none"),
        "you perturbed x in place and did not put the entry back",
    ),
    ("numerical_gradient", arithmetic_restore, "does not always round back to the same number"),
    (
        "numerical_gradient",
        partial(finite_differences, restore="exact"),
        "x holds integers, so writing x[i] + h (or x[i] - h) into it is cut back",
    ),
    (
        "numerical_gradient",
        partial(finite_differences, zeros_like=True),
        "your gradient is an integer array",
    ),
    ("numerical_gradient", numgrad_flat, "returned a flat array"),
    ("numerical_gradient", numgrad_all_at_once, "moved every entry of x at once"),
    # rel_error
    ("rel_error", no_floor, "0 / 0 = NaN"),
    ("rel_error", zero_guard_without_floor, "the denominator has no floor"),
    (
        "rel_error",
        lambda a, b: np.max(np.abs(a - b)) / (np.max(np.abs(a) + np.abs(b)) + 1e-8),
        "the floor is max(1e-8, ...)",
    ),
    (
        "rel_error",
        lambda a, b: np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)),
        "returned one ratio per entry",
    ),
    (
        "rel_error",
        lambda a, b: np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))),
        "took the largest ratio entry by entry",
    ),
    (
        "rel_error",
        lambda a, b: np.max(a - b) / max(1e-8, np.max(np.abs(a) + np.abs(b))),
        "forgot the absolute value of a - b",
    ),
    (
        "rel_error",
        lambda a, b: np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a))),
        "divided by |a| only",
    ),
    (
        "rel_error",
        lambda a, b: np.mean(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b))),
        "averaged the differences",
    ),
    ("rel_error", lambda a, b: np.max(np.abs(a - b)), "this is the absolute error"),
]


@pytest.mark.parametrize("exercise_id, fn, message", WRONG, ids=mistake_ids(WRONG))
def test_catalogued_mistake_gets_its_own_message(exercise_id, fn, message):
    fails_with(exercise_id, fn, message)


def test_every_exercise_has_at_least_three_catalogued_mistakes_tested():
    assert_distinct_mistakes(WRONG, IDS)


def test_flattened_x_passed_to_f_names_the_shape():
    def passes_flat(f, x, h=1e-5):
        return finite_differences(lambda v: f(v.reshape(-1)), x, h)

    err = fails_with("numerical_gradient", passes_flat, "your code raised ValueError")
    assert "f expects an array of shape (4,)" not in str(err)  # the 1-D case passes
    assert "f expects an array of shape (3, 4) (x's shape); got (12,)" in str(err)
