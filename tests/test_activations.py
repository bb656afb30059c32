"""Activation functions and layers: derivatives, stability, dtypes, contracts."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnlib import activations as A
from nnlib.gradcheck import check_layer, numerical_gradient, rel_error

SMOOTH, KINKED = 1e-7, 1e-6

# (pure function, its derivative, is it kinked at 0?)
ELEMENTWISE = {
    "identity": (A.identity, A.identity_grad, False),
    "sigmoid": (A.sigmoid, A.sigmoid_grad, False),
    "tanh": (A.tanh, A.tanh_grad, False),
    "relu": (A.relu, A.relu_grad, True),
    "leaky_relu": (A.leaky_relu, A.leaky_relu_grad, True),
    "elu": (A.elu, A.elu_grad, True),
    "gelu": (A.gelu, A.gelu_grad, False),
    "silu": (A.silu, A.silu_grad, False),
}
KINKED_LAYERS = (A.ReLU, A.LeakyReLU, A.ELU)


def all_layers():
    return [
        A.Identity(),
        A.Sigmoid(),
        A.Tanh(),
        A.ReLU(),
        A.LeakyReLU(),
        A.LeakyReLU(negative_slope=0.2),
        A.ELU(),
        A.ELU(alpha=0.5),
        A.GELU(),
        A.SiLU(),
        A.Softmax(),
        A.Softmax(axis=0),
    ]


LAYER_IDS = [repr(layer) for layer in all_layers()]


def away_from_kink(rng, shape, low=0.1, high=3.0):
    """Random values with |z| in [low, high]: finite differences never straddle 0."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


# -- derivatives by finite differences ---------------------------------------


@pytest.mark.parametrize("layer", all_layers(), ids=LAYER_IDS)
def test_layer_backward_matches_finite_differences(layer, rng):
    x = away_from_kink(rng, (4, 5))
    errors = check_layer(layer, x, rng=rng)
    threshold = KINKED if isinstance(layer, KINKED_LAYERS) else SMOOTH
    assert errors["x"] < threshold, errors


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_pure_derivative_matches_finite_differences(name, rng):
    fn, grad_fn, kinked = ELEMENTWISE[name]
    z = away_from_kink(rng, (3, 7))
    # sum(f(z)) has gradient f'(z) entry by entry because f is elementwise
    numeric = numerical_gradient(lambda v: float(np.sum(fn(v))), z)
    assert rel_error(grad_fn(z), numeric) < (KINKED if kinked else SMOOTH)


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_backward_matches_finite_differences(axis, rng):
    z = rng.standard_normal((4, 3))
    dout = rng.standard_normal((4, 3))
    numeric = numerical_gradient(lambda v: float(np.sum(A.softmax(v, axis) * dout)), z)
    analytic = A.softmax_backward(A.softmax(z, axis), dout, axis)
    assert rel_error(analytic, numeric) < SMOOTH


def test_kink_at_zero_uses_the_pytorch_convention():
    z = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(A.relu_grad(z), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(A.leaky_relu_grad(z, 0.1), [0.1, 0.1, 1.0])
    np.testing.assert_array_equal(A.elu_grad(z, 0.5), [0.5 * np.exp(-1.0), 0.5, 1.0])


def test_derivative_formulas_at_known_points():
    assert A.sigmoid_grad(np.array([0.0]))[0] == 0.25  # the largest it gets
    assert A.tanh_grad(np.array([0.0]))[0] == 1.0
    assert A.gelu(np.array([0.0]))[0] == 0.0
    assert A.silu_grad(np.array([0.0]))[0] == 0.5
    np.testing.assert_allclose(A.elu(np.array([-50.0]), alpha=2.0), [-2.0])


def test_layer_fn_and_grad_fn_are_the_pure_functions(rng):
    z = away_from_kink(rng, (3, 4))
    dout = rng.standard_normal((3, 4))
    for layer in all_layers():
        if isinstance(layer, A.Softmax):
            assert layer.grad_fn is None
            np.testing.assert_allclose(layer.forward(z), A.softmax(z, layer.axis))
            continue
        np.testing.assert_allclose(layer.forward(z), layer.fn(z), rtol=1e-15)
        np.testing.assert_allclose(layer.backward(dout), dout * layer.grad_fn(z), rtol=1e-14)


def test_saturating_hint():
    assert A.Sigmoid.saturating and A.Tanh.saturating
    assert not A.ReLU.saturating and not A.LeakyReLU.saturating


# -- properties of the elementwise functions ----------------------------------

bounded = arrays(
    np.float64,
    st.integers(1, 20),
    elements=st.floats(-50, 50, allow_nan=False, allow_infinity=False),
)


@given(bounded)
def test_sigmoid_properties(z):
    s = A.sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(A.sigmoid(-z), 1.0 - s, atol=1e-15)
    assert np.all((A.sigmoid_grad(z) >= 0) & (A.sigmoid_grad(z) <= 0.25))


@given(bounded)
def test_tanh_is_odd_and_bounded(z):
    np.testing.assert_array_equal(A.tanh(-z), -A.tanh(z))
    assert np.all(np.abs(A.tanh(z)) <= 1)
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, atol=1e-14)


@given(bounded)
def test_relu_family_properties(z):
    assert np.all(A.relu(z) >= 0)
    np.testing.assert_array_equal(A.relu(z) - A.relu(-z), z)
    np.testing.assert_allclose(A.leaky_relu(z, 0.1), np.maximum(z, 0.1 * z))
    assert np.all(A.elu(z, 1.5) >= -1.5)
    np.testing.assert_array_equal(A.elu(z)[z > 0], z[z > 0])


@given(bounded)
def test_silu_and_gelu_properties(z):
    np.testing.assert_allclose(A.silu(z), z * A.sigmoid(z))
    assert A.swish is A.silu
    # both lie between min(z, 0) - 0.3 and max(z, 0), and approach relu for large |z|
    for f in (A.silu, A.gelu):
        out = f(z)
        assert np.all(out <= np.maximum(z, 0) + 1e-12)
        assert np.all(out >= np.minimum(z, 0) - 0.3)


# -- numerical stability ------------------------------------------------------

STABLE = {
    "sigmoid": A.sigmoid,
    "sigmoid_grad": A.sigmoid_grad,
    "tanh": A.tanh,
    "tanh_grad": A.tanh_grad,
    "softmax": A.softmax,
    "log_softmax": A.log_softmax,
    "silu": A.silu,
    "silu_grad": A.silu_grad,
    "gelu": A.gelu,
    "gelu_grad": A.gelu_grad,
    "elu": A.elu,
    "elu_grad": A.elu_grad,
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", STABLE)
def test_no_floating_point_warning_at_z_1000(name, dtype):
    # every integer from -1000 to 1000, so also the range where exp underflows
    z = np.linspace(-1000, 1000, 2001, dtype=dtype).reshape(1, -1)
    with np.errstate(all="raise"):
        out = STABLE[name](z)
    assert out.dtype == dtype
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layer", all_layers(), ids=LAYER_IDS)
def test_layer_backward_raises_no_floating_point_error_where_slopes_underflow(layer, dtype, rng):
    # z from -745 to -700 makes sigmoid(z) subnormal in float64: dout * slope underflows
    z = np.concatenate([np.linspace(-745, -700, 46), [-1000.0, 1000.0, -90.0, 90.0]])
    z = z.astype(dtype).reshape(2, -1)
    dout = rng.standard_normal(z.shape).astype(dtype)
    with np.errstate(all="raise"):
        layer.forward(z)
        dx = layer.backward(dout)
    assert dx.dtype == dtype
    assert np.all(np.isfinite(dx))


def test_extreme_values_are_the_right_limits():
    z = np.array([-1000.0, 1000.0])
    np.testing.assert_array_equal(A.sigmoid(z), [0.0, 1.0])
    np.testing.assert_array_equal(A.sigmoid_grad(z), [0.0, 0.0])
    np.testing.assert_array_equal(A.tanh(z), [-1.0, 1.0])
    np.testing.assert_array_equal(A.silu(z), [0.0, 1000.0])
    np.testing.assert_array_equal(A.gelu(z), [0.0, 1000.0])
    np.testing.assert_array_equal(A.softmax(z), [0.0, 1.0])
    np.testing.assert_array_equal(A.log_softmax(z), [-2000.0, 0.0])  # log(softmax) gives -inf


def test_sigmoid_keeps_relative_precision_in_the_tail():
    # 1 - sigmoid(40) rounds to 0; the exp(-|z|) form still gets sigmoid(-40) right
    np.testing.assert_allclose(A.sigmoid(np.array([-40.0])), [np.exp(-40.0)], rtol=1e-14)


def test_softmax_rows_sum_to_one_and_shift_invariance(rng):
    z = rng.standard_normal((5, 4)) * 3
    s = A.softmax(z)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-15)
    shift = rng.standard_normal((5, 1)) * 100
    np.testing.assert_allclose(A.softmax(z + shift), s, rtol=1e-12)
    np.testing.assert_allclose(A.softmax(z + 1000.0), s, rtol=1e-12)
    np.testing.assert_allclose(A.softmax(z, axis=0).sum(axis=0), 1.0, rtol=1e-15)
    np.testing.assert_allclose(A.log_softmax(z), np.log(s), rtol=1e-12)


# -- dtypes, aliasing, the backward contract ----------------------------------


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_pure_functions_keep_float32(name, rng):
    fn, grad_fn, _ = ELEMENTWISE[name]
    z = rng.standard_normal((3, 4)).astype(np.float32)
    assert fn(z).dtype == np.float32
    assert grad_fn(z).dtype == np.float32
    assert A.softmax(z).dtype == A.log_softmax(z).dtype == np.float32
    assert A.softmax_backward(A.softmax(z), z).dtype == np.float32


@pytest.mark.parametrize("layer", all_layers(), ids=LAYER_IDS)
def test_layer_keeps_float32(layer, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(rng.standard_normal((3, 4)).astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("layer", all_layers(), ids=LAYER_IDS)
def test_inputs_not_mutated_and_outputs_not_aliased(layer, rng):
    x = rng.standard_normal((3, 4))
    dout = rng.standard_normal((3, 4))
    x0, dout0 = x.copy(), dout.copy()
    out = layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, dout0)
    assert not np.shares_memory(out, x)
    assert not np.shares_memory(dx, dout)
    assert not np.shares_memory(dx, x)
    assert not np.shares_memory(dx, out)


@pytest.mark.parametrize("layer", all_layers(), ids=LAYER_IDS)
def test_backward_is_repeatable_and_holds_no_parameters(layer, rng):
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    layer.forward(x)
    np.testing.assert_array_equal(layer.backward(dout), layer.backward(dout))
    assert layer.params == {} and layer.grads == {}


def test_backward_before_forward_says_so():
    with pytest.raises(RuntimeError, match="before forward"):
        A.Sigmoid().backward(np.ones((2, 2)))


# -- lookup by name and repr --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("relu", A.ReLU),
        ("ReLU", A.ReLU),
        ("leaky_relu", A.LeakyReLU),
        ("LeakyReLU", A.LeakyReLU),
        ("leaky-relu", A.LeakyReLU),
        ("tanh", A.Tanh),
        ("sigmoid", A.Sigmoid),
        ("identity", A.Identity),
        ("linear", A.Identity),
        ("elu", A.ELU),
        ("gelu", A.GELU),
        ("silu", A.SiLU),
        ("swish", A.SiLU),
        ("softmax", A.Softmax),
    ],
)
def test_get_by_name(name, cls):
    layer = A.get(name)
    assert type(layer) is cls
    assert A.get(layer) is layer


def test_get_passes_keywords_and_rejects_unknown_names():
    assert A.get("leaky_relu", negative_slope=0.2).negative_slope == 0.2
    with pytest.raises(ValueError, match="unknown activation 'relu6'.*leaky_relu.*tanh"):
        A.get("relu6")


def test_repr():
    assert repr(A.ReLU()) == "ReLU()"
    assert repr(A.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(A.ELU(alpha=0.5)) == "ELU(alpha=0.5)"
    assert repr(A.Softmax()) == "Softmax()"
    assert A.Swish is A.SiLU


# -- reference values from PyTorch, when it is installed ------------------------

TORCH_NAMES = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu"]


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_matches_pytorch(name, rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    reference = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "leaky_relu": F.leaky_relu,
        "elu": F.elu,
        "gelu": lambda t: F.gelu(t, approximate="tanh"),
        "silu": F.silu,
    }[name]
    fn, grad_fn, _ = ELEMENTWISE[name]
    z = np.concatenate([away_from_kink(rng, (20,), 0.1, 8.0), [-30.0, 30.0]])
    zt = torch.tensor(z, requires_grad=True)
    reference(zt).sum().backward()
    np.testing.assert_allclose(fn(z), reference(zt).detach().numpy(), rtol=1e-12, atol=1e-15)
    # gelu' cancels terms for negative z: agreement to ~1e-15 absolute, not relative
    np.testing.assert_allclose(grad_fn(z), zt.grad.numpy(), rtol=1e-12, atol=1e-14)
