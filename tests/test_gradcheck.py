"""The gradient checker itself: it must agree with known derivatives and catch bugs."""

import numpy as np
import pytest

from nnlib import BCEWithLogitsLoss, Linear, Sequential, Tanh
from nnlib.gradcheck import check_layer, check_loss, check_model, numerical_gradient, rel_error


def test_rel_error_is_zero_for_equal_and_about_one_for_opposite():
    a = np.array([1.0, -2.0, 3.0])
    assert rel_error(a, a.copy()) == 0.0
    assert rel_error(a, -a) == pytest.approx(1.0)


def test_rel_error_floor_for_two_zero_arrays():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    # the 1e-8 floor keeps tiny absolute differences from looking huge
    assert rel_error(np.zeros(3), np.full(3, 1e-12)) < 1e-3


def test_rel_error_rejects_different_shapes():
    with pytest.raises(ValueError, match=r"\(3,\) and \(1, 3\)"):
        rel_error(np.zeros(3), np.zeros((1, 3)))


def test_numerical_gradient_matches_analytic_derivative(rng):
    x = rng.standard_normal((3, 4))
    A = rng.standard_normal((4, 4))

    def f(v):
        return float(np.sum(np.sin(v @ A)))

    analytic = np.cos(x @ A) @ A.T
    assert rel_error(analytic, numerical_gradient(f, x)) < 1e-8


def test_numerical_gradient_does_not_touch_the_input(rng):
    x = rng.standard_normal(5)
    before = x.copy()
    numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_array_equal(x, before)


def test_check_layer_passes_a_correct_layer(rng):
    layer = Linear(4, 3, rng=rng)
    errors = check_layer(layer, rng.standard_normal((5, 4)), rng=rng)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < 1e-7


class _ForgotTranspose(Linear):
    """A deliberately wrong backward: dx = dout @ W (no transpose) on a square layer."""

    def backward(self, dout):
        super().backward(dout)  # dW and db are still right
        return dout @ self.params["W"]


class _ForgotBias(Linear):
    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["b"] = np.zeros_like(self.grads["b"])
        return dx


def test_check_layer_catches_a_missing_transpose(rng):
    errors = check_layer(_ForgotTranspose(4, 4, rng=rng), rng.standard_normal((5, 4)), rng=rng)
    assert errors["x"] > 1e-2
    assert errors["W"] < 1e-7


def test_check_layer_catches_a_missing_bias_gradient(rng):
    errors = check_layer(_ForgotBias(4, 3, rng=rng), rng.standard_normal((5, 4)), rng=rng)
    assert errors["b"] > 0.5
    assert errors["x"] < 1e-7


def test_check_loss_on_bce_with_logits(rng):
    pred = rng.standard_normal((6, 1))
    target = (rng.random((6, 1)) > 0.5).astype(float)
    assert check_loss(BCEWithLogitsLoss(), pred, target)["pred"] < 1e-7


def test_check_model_names_every_parameter_and_passes(rng):
    model = Sequential(Linear(3, 5, rng=rng), Tanh(), Linear(5, 1, rng=rng))
    x = rng.standard_normal((4, 3))
    y = (rng.random((4, 1)) > 0.5).astype(float)
    errors = check_model(model, BCEWithLogitsLoss(), x, y)
    assert set(errors) == {"x", "0.W", "0.b", "2.W", "2.b"}
    assert max(errors.values()) < 1e-5


def test_check_model_leaves_parameters_unchanged(rng):
    model = Sequential(Linear(3, 2, rng=rng), Tanh(), Linear(2, 1, rng=rng))
    before = [p.data.copy() for p in model.parameters()]
    check_model(model, BCEWithLogitsLoss(), rng.standard_normal((4, 3)), np.ones((4, 1)))
    for p, b in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)
