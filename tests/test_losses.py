"""Tests for nnlib.losses: gradients, reference values, stability, errors, penalties."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from nnlib.gradcheck import check_loss, numerical_gradient
from nnlib.losses import (
    L1,
    L2,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Loss,
    MSELoss,
    get,
)
from nnlib.module import Module

SMOOTH = 1e-7  # finite-difference threshold for smooth functions (float64, h = 1e-6)
REDUCTIONS = ["mean", "sum"]
# the seeded `rng` fixture comes from tests/conftest.py


# -- independent closed forms (written directly from the definitions) --------
def sigmoid_direct(z):
    return 1.0 / (1.0 + np.exp(-z))  # fine at moderate |z|


def softmax_direct(z):
    e = np.exp(z)  # fine at moderate |z|: no shift
    return e / e.sum(axis=1, keepdims=True)


def reduce(per_element, reduction, n):
    return per_element.sum() / n if reduction == "mean" else per_element.sum()


def binary_inputs(rng, shape=(6, 2)):
    """Probabilities away from 0/1, logits of moderate size, soft targets in [0, 1]."""
    p = rng.uniform(0.05, 0.95, shape)
    z = rng.normal(0.0, 2.0, shape)
    y = rng.uniform(0.0, 1.0, shape)
    return p, z, y


def class_inputs(rng, n=5, c=4):
    z = rng.normal(0.0, 2.0, (n, c))
    labels = rng.integers(0, c, n)
    probs = rng.uniform(0.1, 1.0, (n, c))
    probs /= probs.sum(axis=1, keepdims=True)
    return z, labels, probs


# -- gradients by finite differences ------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 3), (7,), (4, 1)])
def test_mse_gradient(rng, reduction, shape):
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    assert check_loss(MSELoss(reduction), pred, target)["pred"] < SMOOTH


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_gradient(rng, reduction):
    p, _, y = binary_inputs(rng)
    assert check_loss(BCELoss(reduction), p, y)["pred"] < SMOOTH


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("hard_labels", [True, False])
def test_bce_with_logits_gradient(rng, reduction, hard_labels):
    _, z, y = binary_inputs(rng)
    if hard_labels:
        y = np.round(y)
    assert check_loss(BCEWithLogitsLoss(reduction), z, y)["pred"] < SMOOTH


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target_form", ["labels", "one_hot", "probabilities"])
def test_cross_entropy_gradient(rng, reduction, target_form):
    z, labels, probs = class_inputs(rng)
    target = {"labels": labels, "one_hot": np.eye(4)[labels], "probabilities": probs}
    assert check_loss(CrossEntropyLoss(reduction), z, target[target_form])["pred"] < SMOOTH


@pytest.mark.parametrize("n_classes", [3, 40])  # both sides of the column-major shortcut
def test_cross_entropy_gradient_many_classes(rng, n_classes):
    z, labels, _ = class_inputs(rng, n=3, c=n_classes)
    assert check_loss(CrossEntropyLoss(), z, labels)["pred"] < SMOOTH


# -- values and gradients against closed forms ------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_values_and_gradients_match_closed_forms(rng, reduction):
    p, z, y = binary_inputs(rng)
    n = p.size
    scale = 1 / n if reduction == "mean" else 1.0

    mse = MSELoss(reduction)
    assert mse(z, y) == pytest.approx(reduce((z - y) ** 2, reduction, n), rel=1e-13)
    np.testing.assert_allclose(mse.backward(), 2 * (z - y) * scale, rtol=1e-13)

    bce = BCELoss(reduction)
    per = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert bce(p, y) == pytest.approx(reduce(per, reduction, n), rel=1e-13)
    dp = (p - y) / (p * (1 - p))  # d/dp of -(y log p + (1 - y) log(1 - p))
    np.testing.assert_allclose(bce.backward(), dp * scale, rtol=1e-12)

    bcel = BCEWithLogitsLoss(reduction)
    s = sigmoid_direct(z)
    per = -(y * np.log(s) + (1 - y) * np.log(1 - s))
    assert bcel(z, y) == pytest.approx(reduce(per, reduction, n), rel=1e-12)
    np.testing.assert_allclose(bcel.backward(), (s - y) * scale, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_direct_formula(rng, reduction):
    z, labels, probs = class_inputs(rng)
    n = z.shape[0]
    sm = softmax_direct(z)
    scale = 1 / n if reduction == "mean" else 1.0
    ce = CrossEntropyLoss(reduction)

    per = -np.log(sm[np.arange(n), labels])  # -log softmax(z_i)[y_i]
    assert ce(z, labels) == pytest.approx(per.sum() * scale, rel=1e-13)
    onehot = np.eye(z.shape[1])[labels]
    np.testing.assert_allclose(ce.backward(), (sm - onehot) * scale, rtol=1e-12, atol=1e-15)

    per = -(probs * np.log(sm)).sum(axis=1)
    assert ce(z, probs) == pytest.approx(per.sum() * scale, rel=1e-13)
    np.testing.assert_allclose(ce.backward(), (sm - probs) * scale, rtol=1e-12, atol=1e-15)


def test_hand_computed_reference_values():
    # MSE: differences (0, 2, -2), squares (0, 4, 4): mean 8/3, sum 8; dpred = 2 d / 3.
    mse = MSELoss()
    assert mse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])) == pytest.approx(8 / 3)
    np.testing.assert_allclose(mse.backward(), [0.0, 4 / 3, -4 / 3])
    assert MSELoss("sum")(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])) == 8.0

    # BCE: p = 0.5 costs log 2 whatever the label; p = 0.8 for y = 1 costs -log 0.8.
    # mean(log 2, -log 0.8) = (0.693147... + 0.223144...) / 2 = 0.458145...
    bce = BCELoss()
    assert bce(np.array([0.5, 0.8]), np.array([0.0, 1.0])) == pytest.approx(0.4581453659370776)
    # dpred = (p - y) / (p (1 - p)) / 2 = (0.5 / 0.25, -0.2 / 0.16) / 2 = (1, -0.625)
    np.testing.assert_allclose(bce.backward(), [1.0, -0.625])

    # BCE with logits: z = 0 gives sigmoid 1/2, loss log 2; z = log 3 gives sigmoid 3/4,
    # loss for y = 1 is -log(3/4) = log(4/3). Mean = (log 2 + log(4/3)) / 2 = log(8/3) / 2.
    bcel = BCEWithLogitsLoss()
    assert bcel(np.array([0.0, math.log(3)]), np.array([1.0, 1.0])) == pytest.approx(
        math.log(8 / 3) / 2
    )
    np.testing.assert_allclose(bcel.backward(), [(0.5 - 1) / 2, (0.75 - 1) / 2])

    # Cross-entropy: logits log(1, 2, 3) give softmax (1/6, 2/6, 3/6); label 2 costs
    # -log(1/2) = log 2; equal logits give log C = log 3. Mean = (log 2 + log 3) / 2.
    ce = CrossEntropyLoss()
    z = np.array([np.log([1.0, 2.0, 3.0]), [5.0, 5.0, 5.0]])
    assert ce(z, np.array([2, 0])) == pytest.approx((math.log(2) + math.log(3)) / 2)
    # dz = (softmax - onehot) / N with N = 2
    expected = np.array([[1 / 6, 2 / 6, 3 / 6 - 1], [1 / 3 - 1, 1 / 3, 1 / 3]]) / 2
    np.testing.assert_allclose(ce.backward(), expected, atol=1e-15)


# -- numerical stability -----------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_with_logits_stable_at_1000(dtype):
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype)
    loss = BCEWithLogitsLoss()
    with np.errstate(all="raise"):
        value = loss(z, y)
        dz = loss.backward()
    # right with confidence costs 0; wrong by a margin of 1000 costs 1000
    assert value == pytest.approx((0 + 0 + 1000 + 1000) / 4)
    np.testing.assert_allclose(dz, [0.0, 0.0, 0.25, -0.25])
    assert dz.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_stable_at_1000(dtype):
    z = np.array([[1000.0, -1000.0, 0.0], [1000.0, -1000.0, 0.0]], dtype=dtype)
    loss = CrossEntropyLoss("sum")
    with np.errstate(all="raise"):
        value = loss(z, np.array([0, 1]))
        dz = loss.backward()
        soft = loss(z, np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]], dtype=dtype))
        dz_soft = loss.backward()
    assert value == pytest.approx(0.0 + 2000.0)  # logsumexp = 1000; minus z[y]
    np.testing.assert_allclose(dz, [[0.0, 0.0, 0.0], [1.0, -1.0, 0.0]])
    assert soft == pytest.approx(0.5 * 2000.0 + 1000.0)
    assert np.all(np.isfinite(dz_soft))


def test_bce_clamps_like_torch_at_exact_0_and_1():
    loss = BCELoss()
    with np.errstate(all="raise"):
        # completely wrong: log(0) is clamped to -100, so each element costs 100
        assert loss(np.array([0.0, 1.0]), np.array([1.0, 0.0])) == 100.0
        assert np.all(np.isfinite(loss.backward()))
        # completely right costs 0
        assert loss(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == 0.0
        assert np.all(np.isfinite(loss.backward()))
        # float32 too (log of the float32 zero is also clamped at -100)
        assert BCELoss()(np.float32([0.0]), np.float32([1.0])) == 100.0


def test_cross_entropy_shift_invariance(rng):
    z, labels, probs = class_inputs(rng)
    shift = rng.normal(0.0, 50.0, (z.shape[0], 1))  # a different constant per row
    for target in (labels, probs):
        loss = CrossEntropyLoss()
        a, da = loss(z, target), loss.backward()
        b, db = loss(z + shift, target), loss.backward()
        assert a == pytest.approx(b, rel=1e-12)
        np.testing.assert_allclose(da, db, atol=1e-15)


# -- conventions: no mutation, new arrays, dtypes, Python floats ---------------------
def all_cases(rng):
    p, z, y = binary_inputs(rng)
    zc, labels, probs = class_inputs(rng)
    return [
        (MSELoss(), z, y),
        (BCELoss(), p, y),
        (BCEWithLogitsLoss(), z, y),
        (CrossEntropyLoss(), zc, labels),
        (CrossEntropyLoss(), zc, probs),
    ]


def test_inputs_not_mutated_and_gradient_is_a_new_array(rng):
    for loss, pred, target in all_cases(rng):
        pred_copy, target_copy = pred.copy(), target.copy()
        value = loss(pred, target)
        d1 = loss.backward()
        d2 = loss.backward()
        np.testing.assert_array_equal(pred, pred_copy)
        np.testing.assert_array_equal(target, target_copy)
        assert type(value) is float
        assert d1.shape == pred.shape and d1.dtype == pred.dtype
        assert not np.shares_memory(d1, pred) and not np.shares_memory(d1, target)
        assert not np.shares_memory(d1, d2)
        np.testing.assert_array_equal(d1, d2)  # backward twice gives the same gradient


def test_float32_preserved(rng):
    for loss, pred, target in all_cases(rng):
        pred32 = pred.astype(np.float32)  # target stays float64 (or int labels)
        value = loss(pred32, target)
        dpred = loss.backward()
        assert dpred.dtype == np.float32, type(loss).__name__
        assert type(value) is float
        # and close to the float64 answer
        assert value == pytest.approx(loss(pred, target), rel=1e-5)


def test_call_is_forward_and_integer_targets_accepted(rng):
    _, z, y = binary_inputs(rng)
    y_int = (y > 0.5).astype(np.int64)
    loss = BCEWithLogitsLoss()
    assert loss(z, y_int) == loss.forward(z, y_int.astype(float))
    assert MSELoss()(np.array([1, 2]), np.array([1, 4])) == 2.0  # integer pred too


# -- error messages ------------------------------------------------------------------
def test_backward_before_forward_raises():
    for cls in (MSELoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss):
        with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
            cls().backward()


def test_failed_forward_clears_the_cache():
    loss = MSELoss()
    loss(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError):
        loss(np.ones(3), np.zeros(4))
    with pytest.raises(RuntimeError, match="before forward"):
        loss.backward()


def test_shape_mismatch_message_names_loss_and_shapes():
    msg = "MSELoss got pred of shape (5, 1) and target of shape (5,); they must match"
    with pytest.raises(ValueError, match=r"target\.reshape\(-1, 1\)") as info:
        MSELoss()(np.zeros((5, 1)), np.zeros(5))
    assert msg in str(info.value)
    assert "(5, 5)" in str(info.value)  # what silent broadcasting would have done
    with pytest.raises(ValueError, match=r"target\.reshape\(-1\)"):
        BCEWithLogitsLoss()(np.zeros(5), np.zeros((5, 1)))
    with pytest.raises(ValueError, match=r"BCELoss got pred of shape \(2, 3\)"):
        BCELoss()(np.full((2, 3), 0.5), np.zeros((3, 2)))


def test_cross_entropy_label_errors():
    z = np.zeros((3, 10))
    with pytest.raises(ValueError) as info:
        CrossEntropyLoss()(z, np.array([1, 12, 3]))
    assert "labels must be in [0, C-1] = [0, 9]; got 12" in str(info.value)
    with pytest.raises(ValueError, match=r"= \[0, 9\]; got -1"):
        CrossEntropyLoss()(z, np.array([1, -1, 3]))
    with pytest.raises(TypeError, match=r"integer class labels.*float64.*astype\(int\)"):
        CrossEntropyLoss()(z, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"expected labels of shape \(3,\)"):
        CrossEntropyLoss()(z, np.array([1, 2]))
    with pytest.raises(ValueError, match=r"use target\.reshape\(-1\)"):
        CrossEntropyLoss()(z, np.array([[1], [2], [3]]))
    with pytest.raises(ValueError, match=r"logits of shape \(N, C\)"):
        CrossEntropyLoss()(np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="row 1 sums to 0.5"):
        CrossEntropyLoss()(np.zeros((2, 2)), np.array([[0.5, 0.5], [0.25, 0.25]]))


def test_bce_range_errors():
    with pytest.raises(ValueError, match=r"BCELoss expects pred.*\[0, 1\].*BCEWithLogitsLoss"):
        BCELoss()(np.array([-0.5, 2.0]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"BCELoss expects target in \[0, 1\].*\[-1, 1\]"):
        BCELoss()(np.array([0.5, 0.5]), np.array([-1.0, 1.0]))
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss expects target in \[0, 1\]"):
        BCEWithLogitsLoss()(np.array([0.5, 0.5]), np.array([-1.0, 1.0]))


def test_bad_reduction_and_empty_batch():
    with pytest.raises(ValueError, match=r"MSELoss reduction must be 'mean' or 'sum'; got 'avg'"):
        MSELoss("avg")
    with pytest.raises(ValueError, match="empty batch"):
        MSELoss()(np.zeros((0, 1)), np.zeros((0, 1)))


def test_get():
    assert isinstance(get("mse"), MSELoss)
    assert isinstance(get("bce"), BCELoss)
    assert isinstance(get("bce_with_logits"), BCEWithLogitsLoss)
    assert isinstance(get("cross_entropy"), CrossEntropyLoss)
    assert get("mse", reduction="sum").reduction == "sum"
    loss = CrossEntropyLoss()
    assert get(loss) is loss
    assert isinstance(get(MSELoss), MSELoss) and isinstance(get("MSE"), Loss)
    with pytest.raises(ValueError, match="unknown loss 'hinge'; valid names are 'mse', 'bce'"):
        get("hinge")


# -- regularizers ----------------------------------------------------------------------
class Toy(Module):
    """A stand-in layer with a weight matrix, a bias and gradients already written."""

    def __init__(self, W, b, dW=None, db=None):
        super().__init__()
        self.params = {"W": W, "b": b}
        if dW is not None:
            self.grads = {"W": dW, "b": db}


def test_penalty_hand_computed_values():
    # W entries 1, -2, 3, 0 and another matrix with entries 2, 2: sum W^2 = 14 + 8 = 22,
    # sum |W| = 6 + 4 = 10; the bias (100s) is not penalised.
    layers = [
        Toy(np.array([[1.0, -2.0], [3.0, 0.0]]), np.full(2, 100.0)),
        Toy(np.full((2, 1), 2.0), np.full(1, 100.0)),
    ]
    params = [p for layer in layers for p in layer.parameters()]
    assert L2(0.1).penalty(params) == pytest.approx(0.1 * 22 / 2)
    assert L1(0.1).penalty(params) == pytest.approx(0.1 * 10)
    assert L2(0.1).penalty(layers[0]) == pytest.approx(0.1 * 14 / 2)  # a Module works too
    assert L2(0.0).penalty(params) == 0.0
    assert type(L1(0.1).penalty(params)) is float


@pytest.mark.parametrize("reg_cls", [L1, L2])
def test_add_grad_matches_numerical_gradient_and_skips_bias(rng, reg_cls):
    W = rng.normal(0.0, 1.0, (3, 4))
    W[np.abs(W) < 0.1] = 0.5  # keep L1 away from its kink at 0
    b = rng.standard_normal(4)
    dW, db = rng.standard_normal((3, 4)), rng.standard_normal(4)
    layer = Toy(W, b, dW.copy(), db.copy())
    grad_array = layer.grads["W"]
    reg = reg_cls(0.3)
    reg.add_grad(layer.parameters())

    numeric = numerical_gradient(lambda w: reg.penalty(Toy(w, b)), W)
    added = layer.grads["W"] - dW
    assert np.max(np.abs(added - numeric)) / np.max(np.abs(added) + np.abs(numeric)) < SMOOTH
    assert layer.grads["W"] is grad_array  # in place: the layer's own array
    np.testing.assert_array_equal(layer.grads["b"], db)  # bias untouched
    np.testing.assert_array_equal(layer.params["W"], W)  # weights untouched


def test_add_grad_keeps_float32_and_uses_documented_formulas():
    W = np.array([[1.5, -2.0]], dtype=np.float32)
    layer = Toy(W, np.zeros(2, np.float32), np.zeros_like(W), np.zeros(2, np.float32))
    L2(0.5).add_grad(layer)  # dW += strength * W
    np.testing.assert_allclose(layer.grads["W"], [[0.75, -1.0]])
    L1(0.5).add_grad(layer)  # dW += strength * sign(W)
    np.testing.assert_allclose(layer.grads["W"], [[1.25, -1.5]])
    assert layer.grads["W"].dtype == np.float32


def test_regularizer_errors():
    with pytest.raises(ValueError, match="L2 strength must be >= 0; got -0.1"):
        L2(-0.1)
    with pytest.raises(ValueError, match="L1 strength must be >= 0"):
        L1(float("nan"))
    with pytest.raises(RuntimeError, match=r"no gradient yet; call backward\(\) first"):
        L2(0.1).add_grad(Toy(np.ones((2, 2)), np.ones(2)))
    assert repr(L2(0.01)) == "L2(strength=0.01)"


# -- PyTorch in float64 (skipped when torch is not installed) ----------------------------
def torch_value_and_grad(fn, pred, *args, **kwargs):
    torch = pytest.importorskip("torch")
    t = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    converted = [torch.tensor(a) for a in args]
    out = fn(t, *converted, **kwargs)
    out.backward()
    return out.item(), t.grad.numpy()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_against_torch(rng, reduction):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    p, z, y = binary_inputs(rng)
    zc, labels, probs = class_inputs(rng, n=6, c=5)
    cases = [
        (MSELoss(reduction), F.mse_loss, z, y),
        (BCELoss(reduction), F.binary_cross_entropy, p, y),
        (BCEWithLogitsLoss(reduction), F.binary_cross_entropy_with_logits, z, y),
        (CrossEntropyLoss(reduction), F.cross_entropy, zc, labels),
        (CrossEntropyLoss(reduction), F.cross_entropy, zc, probs),
    ]
    for mine, theirs, pred, target in cases:
        value = mine(pred, target)
        dpred = mine.backward()
        t_value, t_grad = torch_value_and_grad(theirs, pred, target, reduction=reduction)
        name = f"{type(mine).__name__}({reduction}) with target {target.dtype}"
        assert value == pytest.approx(t_value, rel=1e-12, abs=1e-12), name
        np.testing.assert_allclose(dpred, t_grad, rtol=1e-12, atol=1e-12, err_msg=name)

    # p exactly 0 and 1: both clamp each log at -100 and floor p (1 - p) at the float32
    # constant 1e-12 (= 0.99999999600e-12 as a double) in the gradient
    p = np.array([0.0, 1.0, 0.0, 0.3])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    mine = BCELoss(reduction)
    t_value, t_grad = torch_value_and_grad(F.binary_cross_entropy, p, y, reduction=reduction)
    assert mine(p, y) == pytest.approx(t_value, rel=1e-12)
    np.testing.assert_allclose(mine.backward(), t_grad, rtol=1e-15)


def test_against_torch_at_large_logits():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    z = np.array([[1000.0, -1000.0, 3.0], [-1000.0, 999.0, 1000.0]])
    labels = np.array([1, 2])
    value, grad = torch_value_and_grad(F.cross_entropy, z, labels)
    loss = CrossEntropyLoss()
    assert loss(z, labels) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(loss.backward(), grad, rtol=1e-12, atol=1e-12)
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    value, grad = torch_value_and_grad(F.binary_cross_entropy_with_logits, z, y)
    loss = BCEWithLogitsLoss()
    assert loss(z, y) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(loss.backward(), grad, rtol=1e-12, atol=1e-12)


# -- numerics found by a comparison with PyTorch (stored fixture, and live with torch) ------
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "torch_reference.npz"
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "make_torch_fixtures.py"


@pytest.fixture(scope="module")
def num():
    with np.load(FIXTURE) as data:
        return {k: data[k] for k in data.files if k.startswith("num_")}


def value_and_grad(loss, pred, target):
    value = loss(pred, target)
    return np.concatenate([[value], loss.backward().ravel()])


def test_bce_with_logits_keeps_relative_precision_when_the_loss_is_tiny(num):
    z, y = num["num_bcel_z"], num["num_bcel_y"]
    mine = value_and_grad(BCEWithLogitsLoss(), z, y)
    np.testing.assert_allclose(mine, num["num_bcel"], rtol=1e-14, atol=0)
    # each element alone: log(1 + exp(-|z|)) on the right side, ~1e-9 to 1e-13
    for zi, yi in zip(z[:8], y[:8], strict=True):
        exact = math.log1p(math.exp(-abs(zi)))
        value = BCEWithLogitsLoss()(np.array([zi]), np.array([yi]))
        assert value == pytest.approx(exact, rel=1e-15)


def test_bce_gradient_floor_is_torchs_float32_1e12(num):
    p, y = num["num_bce_p"], num["num_bce_y"]
    mine = value_and_grad(BCELoss(), p, y)
    np.testing.assert_allclose(mine, num["num_bce"], rtol=1e-15, atol=0)
    # at p = 0, y = 1: (0 - 1) / float32(1e-12) / n, not / 1e-12
    assert mine[1] == -1.0 / float(np.float32(1e-12)) / p.size


def test_soft_cross_entropy_gradient_scales_softmax_by_the_row_sum(num):
    z, t = num["num_ce_z"], num["num_ce_t"]
    mine = value_and_grad(CrossEntropyLoss(), z, t)
    np.testing.assert_allclose(mine, num["num_ce"], rtol=1e-12, atol=1e-17)
    # each row of dz sums to sum(t) - sum(t) = 0, even where sum(t) = 1 - 1.2e-8
    dz = mine[1:].reshape(z.shape)
    np.testing.assert_allclose(dz.sum(axis=1), 0.0, atol=1e-15)  # softmax - t: 4e-9


def test_cross_entropy_error_prints_the_row_sum_in_full():
    t = np.array([[0.5, 0.5 + 1e-6], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"row 0 sums to 1\.000001\d* \(off by 1e-06\)"):
        CrossEntropyLoss()(np.zeros((2, 2)), t)


def test_activation_backward_in_the_subnormal_tail_matches_torch(num):
    from nnlib.activations import Sigmoid, SiLU

    z, dout = num["num_tail_z"].reshape(1, -1), num["num_tail_dout"].reshape(1, -1)
    for layer, key in ((Sigmoid(), "num_sigmoid_dx"), (SiLU(), "num_silu_dx")):
        with np.errstate(all="raise"):
            layer.forward(z)
            dx = layer.backward(dout)
        # subnormal results keep fewer digits: compare them absolutely
        np.testing.assert_allclose(dx.ravel(), num[key], rtol=1e-13, atol=1e-300)


def test_numerics_fixture_matches_live_torch(num):
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("make_torch_fixtures", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    inputs = script.numerics_inputs()
    for key, value in inputs.items():
        np.testing.assert_array_equal(value, num[key], err_msg=key)
    for key, value in script.numerics_reference(inputs).items():
        np.testing.assert_allclose(value, num[key], rtol=1e-14, atol=1e-300, err_msg=key)
