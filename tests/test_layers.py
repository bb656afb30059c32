"""Linear, Dropout and Sequential: gradients, shapes, modes, dtypes, repr."""

import numpy as np
import pytest

from nnlib.gradcheck import check_layer, check_model
from nnlib.layers import (
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from nnlib.losses import CrossEntropyLoss
from nnlib.module import Module

SMOOTH, MODEL = 1e-7, 1e-5


class SumOfProducts:
    """A minimal loss for gradient checks: ``L = sum(pred * w)``, so ``dL/dpred = w``."""

    def forward(self, pred, w):
        self.w = w
        return float(np.sum(pred * w))

    def backward(self):
        return self.w.copy()


# -- Linear ---------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
def test_linear_backward_matches_finite_differences(bias, rng):
    layer = Linear(3, 4, bias=bias, rng=rng)
    if bias:
        layer.params["b"][:] = rng.standard_normal(4)  # a nonzero bias
    errors = check_layer(layer, rng.standard_normal((5, 3)), rng=rng)
    assert set(errors) == ({"x", "W", "b"} if bias else {"x", "W"})
    assert max(errors.values()) < SMOOTH, errors


def test_linear_shapes_and_init(rng):
    layer = Linear(3, 4, rng=rng)
    assert layer.in_features == 3 and layer.out_features == 4
    assert layer.params["W"].shape == (3, 4)
    np.testing.assert_array_equal(layer.params["b"], np.zeros(4))
    assert layer.params["W"].dtype == layer.params["b"].dtype == np.float64
    bound = np.sqrt(6 / (3 + 4))  # xavier_uniform, the default
    assert np.all(np.abs(layer.params["W"]) <= bound)
    assert layer.num_parameters() == 16
    assert "b" not in Linear(3, 4, bias=False).params


def test_linear_same_seed_same_weights():
    np.testing.assert_array_equal(Linear(3, 4, rng=7).params["W"], Linear(3, 4, rng=7).params["W"])
    assert not np.array_equal(Linear(3, 4, rng=7).params["W"], Linear(3, 4, rng=8).params["W"])


def test_linear_accepts_init_name_or_callable():
    he = Linear(50, 40, init="he_normal", rng=0).params["W"]
    assert abs(he.std() - np.sqrt(2 / 50)) < 0.02
    calls = []

    def ones(shape, rng=None, dtype=np.float64):
        calls.append(shape)
        return np.ones(shape, dtype=dtype)

    layer = Linear(2, 3, init=ones)
    assert calls == [(2, 3)]
    np.testing.assert_array_equal(layer.forward(np.array([[1.0, 2.0]])), [[3.0, 3.0, 3.0]])
    with pytest.raises(ValueError, match="valid names"):
        Linear(2, 3, init="no_such_init")
    with pytest.raises(ValueError, match=r"init returned W of shape \(3, 2\); expected \(2, 3\)"):
        Linear(2, 3, init=lambda shape, rng=None, dtype=None: np.ones(shape[::-1]))


def test_linear_forward_is_x_at_W_plus_b(rng):
    layer = Linear(3, 2, rng=rng)
    layer.params["b"][:] = [1.0, -1.0]
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(layer(x), x @ layer.params["W"] + layer.params["b"])


def test_linear_shape_errors_name_the_layer():
    layer = Linear(3, 4)
    with pytest.raises(ValueError) as info:
        layer.forward(np.ones((5, 2)))
    assert str(info.value) == "Linear(3, 4) got input of shape (5, 2); expected (N, 3)"
    with pytest.raises(ValueError, match=r"shape \(3,\); expected \(N, 3\).*2-D.*reshape\(1, -1\)"):
        layer.forward(np.ones(3))
    layer.forward(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"dout of shape \(5, 3\); expected \(5, 4\)"):
        layer.backward(np.ones((5, 3)))
    with pytest.raises(RuntimeError, match="before forward"):
        Linear(3, 4).backward(np.ones((5, 4)))


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_linear_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="positive integer"):
        Linear(bad, 4)


def test_linear_backward_is_the_three_formulas(rng):
    layer = Linear(3, 4, rng=rng)
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_allclose(layer.grads["W"], x.T @ dout)
    np.testing.assert_allclose(layer.grads["b"], dout.sum(axis=0))
    np.testing.assert_allclose(dx, dout @ layer.params["W"].T)


def test_linear_backward_overwrites_grads(rng):
    layer = Linear(3, 4, rng=rng)
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    layer.forward(x)
    layer.backward(dout)
    first = {k: v.copy() for k, v in layer.grads.items()}
    layer.backward(dout)
    for name in first:
        np.testing.assert_array_equal(layer.grads[name], first[name])


def test_linear_inputs_not_mutated_and_outputs_not_aliased(rng):
    layer = Linear(3, 4, rng=rng)
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    x0, dout0, W0 = x.copy(), dout.copy(), layer.params["W"].copy()
    out = layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, dout0)
    np.testing.assert_array_equal(layer.params["W"], W0)
    for a, b in [(out, x), (dx, dout), (dx, x), (layer.grads["W"], layer.params["W"])]:
        assert not np.shares_memory(a, b)


def test_linear_float32_end_to_end(rng):
    layer = Linear(3, 4, rng=rng, dtype=np.float32)
    assert layer.params["W"].dtype == layer.params["b"].dtype == np.float32
    out = layer.forward(rng.standard_normal((5, 3)).astype(np.float32))
    dx = layer.backward(rng.standard_normal((5, 4)).astype(np.float32))
    assert out.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())
    with pytest.raises(ValueError, match="float32 or float64"):
        Linear(3, 4, dtype=np.int64)


def test_linear_float32_refuses_float64_input_as_torch_does(rng):
    layer = Linear(3, 4, rng=rng, dtype=np.float32)
    x = rng.standard_normal((5, 3))
    with pytest.raises(TypeError, match=r"float32 parameters but got float64 input.*astype"):
        layer.forward(x)
    # integers and float32 are fine: they lose nothing in float32
    assert layer.forward(x.astype(np.float32)).dtype == np.float32
    assert layer.forward(np.arange(6).reshape(2, 3)).shape == (2, 4)


def test_linear_float64_accepts_float32_input(rng):
    layer = Linear(3, 4, rng=rng)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(layer.forward(x), x.astype(np.float64) @ layer.params["W"])


@pytest.mark.parametrize("logit", [-745.0, -720.0, -1000.0, 1000.0])
def test_linear_backward_raises_no_floating_point_error_on_tiny_gradients(logit, rng):
    """Logits near -740 give a subnormal dout (sigmoid(z) - 0); products of it underflow."""
    from nnlib.losses import BCEWithLogitsLoss

    layer = Linear(3, 1, rng=rng)
    x = rng.standard_normal((8, 3))
    z = logit + rng.uniform(-5.0, 5.0, size=(8, 1))
    loss_fn = BCEWithLogitsLoss()
    with np.errstate(all="raise"):
        layer.forward(x)
        loss_fn(z, np.zeros((8, 1)))
        dx = layer.backward(loss_fn.backward())
    assert np.all(np.isfinite(dx)) and np.all(np.isfinite(layer.grads["W"]))


def test_linear_repr():
    assert repr(Linear(2, 16)) == "Linear(2, 16)"
    assert repr(Linear(2, 16, bias=False)) == "Linear(2, 16, bias=False)"


# -- Dropout --------------------------------------------------------------------


def test_dropout_eval_mode_is_the_identity(rng):
    layer = Dropout(0.5, rng=rng).eval()
    x, dout = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    out = layer.forward(x)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(layer.backward(dout), dout)
    assert not np.shares_memory(out, x)
    assert check_layer(layer, x, rng=rng)["x"] < SMOOTH


def test_dropout_train_backward_uses_the_forward_mask(rng):
    p = 0.3
    layer = Dropout(p, rng=rng)
    x = rng.uniform(0.5, 2.0, size=(20, 10))  # nonzero, so out == 0 exactly where dropped
    dout = rng.standard_normal((20, 10))
    x0, dout0 = x.copy(), dout.copy()
    out = layer.forward(x)
    kept = out != 0
    np.testing.assert_allclose(out, x * kept / (1 - p))
    dx = layer.backward(dout)
    np.testing.assert_allclose(dx, dout * kept / (1 - p))
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, dout0)
    assert not np.shares_memory(dx, dout) and not np.shares_memory(out, x)


def test_dropout_drops_about_p_and_preserves_the_mean():
    p = 0.25
    layer = Dropout(p, rng=0)
    out = layer.forward(np.ones((1000, 100)))
    assert abs(np.mean(out == 0) - p) < 0.01
    assert abs(out.mean() - 1.0) < 0.01
    assert set(np.unique(out)) == {0.0, 1 / (1 - p)}


def test_dropout_masks_change_between_calls_and_follow_the_seed():
    x = np.ones((8, 8))
    a = Dropout(0.5, rng=3)
    assert not np.array_equal(a.forward(x), a.forward(x))
    np.testing.assert_array_equal(Dropout(0.5, rng=3).forward(x), Dropout(0.5, rng=3).forward(x))


def test_dropout_p_zero_and_float32(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(Dropout(0.0).forward(x), x)
    layer = Dropout(0.5, rng=rng)
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(x).dtype == np.float32


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, "0.5", None])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        Dropout(p)


def test_dropout_repr():
    assert repr(Dropout(0.2)) == "Dropout(p=0.2)"


# -- Sequential -----------------------------------------------------------------


def mlp(rng, dtype=np.float64):
    return Sequential(
        Linear(2, 16, rng=rng, dtype=dtype),
        ReLU(),
        Linear(16, 16, rng=rng, dtype=dtype),
        ReLU(),
        Linear(16, 1, rng=rng, dtype=dtype),
    )


def test_sequential_gradient_check_of_a_three_layer_model(rng):
    model = Sequential(
        Linear(3, 5, rng=rng), Tanh(), Linear(5, 4, rng=rng), ReLU(), Linear(4, 2, rng=rng)
    )
    for layer in model:
        if "b" in layer.params:
            layer.params["b"][:] = rng.uniform(0.5, 1.0, size=layer.params["b"].shape)
    x = rng.standard_normal((6, 3))
    w = rng.standard_normal((6, 2))
    # no ReLU input may sit within the finite-difference step of its kink
    hidden = model[:3].forward(x)
    assert np.min(np.abs(hidden)) > 1e-4
    errors = check_model(model, SumOfProducts(), x, w)
    assert set(errors) == {"x", "0.W", "0.b", "2.W", "2.b", "4.W", "4.b"}
    assert max(errors.values()) < MODEL, errors


def test_sequential_gradient_check_with_cross_entropy(rng):
    model = Sequential(
        Linear(4, 6, rng=rng), Tanh(), Linear(6, 5, rng=rng), Sigmoid(), Linear(5, 3, rng=rng)
    )
    x = rng.standard_normal((7, 4))
    y = rng.integers(0, 3, size=7)
    errors = check_model(model, CrossEntropyLoss(), x, y)
    assert max(errors.values()) < MODEL, errors


def test_sequential_chains_forward_and_backward(rng):
    model = Sequential(Linear(3, 4, rng=rng), Sigmoid(), Linear(4, 2, rng=rng))
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    h = model[0].params
    z1 = x @ h["W"] + h["b"]
    s = 1 / (1 + np.exp(-z1))
    out = s @ model[2].params["W"] + model[2].params["b"]
    np.testing.assert_allclose(model.forward(x), out)
    dx = model.backward(dout)
    ds = dout @ model[2].params["W"].T
    dz1 = ds * s * (1 - s)
    np.testing.assert_allclose(model[2].grads["W"], s.T @ dout)
    np.testing.assert_allclose(model[0].grads["W"], x.T @ dz1)
    np.testing.assert_allclose(dx, dz1 @ h["W"].T)


def test_sequential_backward_runs_the_layers_last_to_first(rng):
    seen = []

    class Spy(Identity):
        def __init__(self, name):
            super().__init__()
            self.name = name

        def backward(self, dout):
            seen.append(self.name)
            return super().backward(dout)

    model = Sequential(Spy("first"), Spy("second"), Spy("third"))
    model.forward(rng.standard_normal((2, 3)))
    dout = rng.standard_normal((2, 3))
    np.testing.assert_array_equal(model.backward(dout), dout)
    assert seen == ["third", "second", "first"]


def test_sequential_backward_sets_every_grad(rng):
    model = mlp(rng)
    model.zero_grad()
    model.forward(rng.standard_normal((5, 2)))
    assert model.backward(rng.standard_normal((5, 1))).shape == (5, 2)
    assert all(np.any(p.grad != 0) for p in model.parameters())


def test_sequential_inputs_not_mutated_and_outputs_not_aliased(rng):
    x, dout = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    for model in (Sequential(), Sequential(Identity()), Sequential(LeakyReLU(), Tanh())):
        x0, dout0 = x.copy(), dout.copy()
        out = model.forward(x)
        dx = model.backward(dout)
        np.testing.assert_array_equal(x, x0)
        np.testing.assert_array_equal(dout, dout0)
        assert not np.shares_memory(out, x) and not np.shares_memory(dx, dout)


def test_sequential_container_protocol(rng):
    a, b, c = Linear(2, 3, rng=rng), ReLU(), Linear(3, 1, rng=rng)
    model = Sequential(a, b)
    assert model.append(c) is model
    assert len(model) == 3 and model[0] is a and model[-1] is c
    assert list(model) == [a, b, c] == list(model.children())
    assert isinstance(model[1:], Sequential) and list(model[1:]) == [b, c]
    assert list(Sequential([a, b])) == [a, b]  # a list of layers works too
    assert [p.name for p in model.parameters()] == ["W", "b", "W", "b"]
    assert model.num_parameters() == 9 + 4
    with pytest.raises(TypeError, match=r"did you mean ReLU\(\)"):
        Sequential(Linear(2, 3), ReLU)


def test_sequential_zero_grad_and_train_eval_propagate(rng):
    inner = Sequential(Linear(2, 2, rng=rng), Dropout(0.5))
    model = Sequential(Linear(2, 2, rng=rng), inner)
    model.forward(rng.standard_normal((3, 2)))
    model.backward(rng.standard_normal((3, 2)))
    model.zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())
    assert model.eval() is model
    assert not any(m.training for m in (model, inner, inner[0], inner[1]))
    model.train()
    assert all(m.training for m in (model, inner, inner[0], inner[1]))


def test_sequential_astype_float32(rng):
    model = mlp(rng)
    model.forward(rng.standard_normal((4, 2)))
    model.backward(rng.standard_normal((4, 1)))
    assert model.astype(np.float32) is model
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    out = model.forward(rng.standard_normal((4, 2)).astype(np.float32))
    dx = model.backward(np.ones((4, 1), dtype=np.float32))
    assert out.dtype == dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_sequential_float32_built_from_float32_layers(rng):
    model = Sequential(Linear(2, 3, rng=rng, dtype=np.float32), Tanh(), Dropout(0.5, rng=rng))
    out = model.forward(rng.standard_normal((4, 2)).astype(np.float32))
    assert out.dtype == model.backward(out).dtype == np.float32


def test_sequential_repr_lists_layers_counts_and_total(rng):
    model = Sequential(
        Linear(2, 16, rng=rng), ReLU(), Linear(16, 16, rng=rng), Tanh(), Linear(16, 1, rng=rng)
    )
    text = repr(model)
    lines = text.splitlines()
    assert lines[0] == "Sequential("
    assert lines[1].startswith("  (0): Linear(2, 16)") and lines[1].endswith("48 params")
    assert lines[2] == "  (1): ReLU()"
    assert "(2): Linear(16, 16)" in lines[3] and lines[3].endswith("272 params")
    assert lines[5].endswith("17 params")
    assert lines[-1] == ")  total 337 parameters"
    nested = repr(Sequential(model, Dropout(0.1)))
    assert "  (0): Sequential(\n    (0): Linear(2, 16)" in nested
    assert "(1): Dropout(p=0.1)" in nested and nested.endswith("total 337 parameters")


def test_layers_are_modules():
    for layer in (Linear(1, 1), Dropout(), Sequential(), ReLU()):
        assert isinstance(layer, Module)
