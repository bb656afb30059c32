"""Tests for nnlib.init: formulas, fans, gains (vs PyTorch fixture), dtypes, lookup."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from nnlib import init

FIXTURE = Path(__file__).parent / "fixtures" / "torch_reference.npz"

# a non-square draw, so that mixing up fan_in (600) and fan_out (1000) shows
SHAPE = (600, 1000)
FAN_IN, FAN_OUT = SHAPE

# name -> (call, expected std, uniform bound or None)
CASES = {
    "normal": (lambda **kw: init.normal(SHAPE, std=0.3, **kw), 0.3, None),
    "uniform": (lambda **kw: init.uniform(SHAPE, -0.5, 0.5, **kw), 1 / math.sqrt(12), 0.5),
    "xavier_uniform": (
        lambda **kw: init.xavier_uniform(SHAPE, **kw),
        math.sqrt(2 / (FAN_IN + FAN_OUT)),
        math.sqrt(6 / (FAN_IN + FAN_OUT)),
    ),
    "xavier_uniform_gain": (
        lambda **kw: init.xavier_uniform(SHAPE, gain=5 / 3, **kw),
        5 / 3 * math.sqrt(2 / (FAN_IN + FAN_OUT)),
        5 / 3 * math.sqrt(6 / (FAN_IN + FAN_OUT)),
    ),
    "xavier_normal": (
        lambda **kw: init.xavier_normal(SHAPE, **kw),
        math.sqrt(2 / (FAN_IN + FAN_OUT)),
        None,
    ),
    "kaiming_uniform": (
        lambda **kw: init.kaiming_uniform(SHAPE, **kw),
        math.sqrt(2 / FAN_IN),
        math.sqrt(6 / FAN_IN),
    ),
    "kaiming_uniform_fan_out_tanh": (
        lambda **kw: init.kaiming_uniform(SHAPE, mode="fan_out", nonlinearity="tanh", **kw),
        5 / 3 / math.sqrt(FAN_OUT),
        5 / 3 * math.sqrt(3 / FAN_OUT),
    ),
    "kaiming_normal": (lambda **kw: init.kaiming_normal(SHAPE, **kw), math.sqrt(2 / FAN_IN), None),
    "kaiming_normal_leaky": (
        lambda **kw: init.kaiming_normal(SHAPE, a=0.2, **kw),
        math.sqrt(2 / (1 + 0.2**2)) / math.sqrt(FAN_IN),
        None,
    ),
    "lecun_uniform": (
        lambda **kw: init.lecun_uniform(SHAPE, **kw),
        math.sqrt(1 / FAN_IN),
        math.sqrt(3 / FAN_IN),
    ),
    "lecun_normal": (lambda **kw: init.lecun_normal(SHAPE, **kw), math.sqrt(1 / FAN_IN), None),
    "glorot_uniform": (
        lambda **kw: init.glorot_uniform(SHAPE, **kw),
        math.sqrt(2 / (FAN_IN + FAN_OUT)),
        math.sqrt(6 / (FAN_IN + FAN_OUT)),
    ),
    "glorot_normal": (
        lambda **kw: init.glorot_normal(SHAPE, **kw),
        math.sqrt(2 / (FAN_IN + FAN_OUT)),
        None,
    ),
    "he_uniform": (
        lambda **kw: init.he_uniform(SHAPE, **kw),
        math.sqrt(2 / FAN_IN),
        math.sqrt(6 / FAN_IN),
    ),
    "he_normal": (lambda **kw: init.he_normal(SHAPE, **kw), math.sqrt(2 / FAN_IN), None),
}

RANDOM_NAMES = [
    "normal",
    "uniform",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "lecun_uniform",
    "lecun_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
]


@pytest.fixture(scope="module")
def ref():
    with np.load(FIXTURE) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize("case", sorted(CASES))
def test_std_mean_and_bounds_match_formula(case):
    call, std, bound = CASES[case]
    w = call(rng=0)
    assert w.shape == SHAPE and w.dtype == np.float64
    assert abs(w.std() / std - 1) < 0.02, f"{case}: std {w.std():.5g}, formula {std:.5g}"
    assert abs(w.mean()) < 0.01 * std
    if bound is not None:
        assert np.all(np.abs(w) <= bound), f"{case}: max |w| {np.abs(w).max()} > bound {bound}"
        assert np.abs(w).max() > 0.99 * bound  # fills the interval


def test_uniform_and_normal_with_offsets():
    w = init.uniform((200, 500), 2.0, 3.0, rng=1)
    assert w.min() >= 2.0 and w.max() < 3.0
    assert abs(w.mean() - 2.5) < 0.01
    w = init.normal((200, 500), mean=-1.0, std=0.5, rng=1)
    assert abs(w.mean() + 1.0) < 0.01 and abs(w.std() - 0.5) < 0.01


def test_constants():
    assert np.array_equal(init.zeros((2, 3)), np.zeros((2, 3)))
    assert np.array_equal(init.ones(4), np.ones(4))
    c = init.constant((2, 2), 0.25, dtype=np.float32)
    assert c.dtype == np.float32 and np.all(c == 0.25)
    assert init.zeros(3, rng=0).shape == (3,)  # rng accepted and ignored


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_new_arrays_and_seeding(name):
    f = init.get(name)
    a, b = f((20, 30), rng=0), f((20, 30), rng=0)
    assert a is not b and not np.shares_memory(a, b)
    assert np.array_equal(a, b), "equal seeds must give equal arrays"
    assert not np.array_equal(f((20, 30), rng=0), f((20, 30), rng=1))
    assert not np.array_equal(f((20, 30)), f((20, 30))), "rng=None must not repeat"
    gen = np.random.default_rng(5)
    assert not np.array_equal(f((20, 30), rng=gen), f((20, 30), rng=gen)), "stream advances"


@pytest.mark.parametrize("name", [*RANDOM_NAMES, "zeros", "ones"])
def test_dtype_and_shape_forms(name):
    f = init.get(name)
    w = f((7, 5), rng=0, dtype=np.float32)
    assert w.dtype == np.float32 and w.shape == (7, 5)
    assert f(6, rng=0).shape == (6,)
    assert f([2, 3], rng=0).shape == (2, 3)
    assert f((3, 3, 4, 8), rng=0).shape == (3, 3, 4, 8)
    assert f((0, 4), rng=0).shape == (0, 4)


def test_float32_draw_has_right_scale():
    w = init.he_normal((400, 500), rng=0, dtype=np.float32)
    assert w.dtype == np.float32
    assert abs(w.std() / math.sqrt(2 / 400) - 1) < 0.02


@pytest.mark.parametrize("bad", [-1, (3, -2), (2.5, 3), "abc", True, None])
def test_bad_shape_raises(bad):
    with pytest.raises(ValueError, match="shape"):
        init.xavier_uniform(bad)


def test_integer_dtype_rejected_for_random():
    with pytest.raises(ValueError, match="floating dtype"):
        init.normal((2, 2), dtype=np.int64)


def test_compute_fans_keras_layout():
    assert init.compute_fans((3, 5)) == (3, 5)  # Linear W (in, out)
    assert init.compute_fans(7) == (7, 7)
    assert init.compute_fans((7,)) == (7, 7)
    assert init.compute_fans(()) == (1, 1)
    assert init.compute_fans((3, 3, 16, 32)) == (144, 288)  # (kh, kw, in, out)


def test_fans_equal_torch_for_the_same_layer(ref):
    """torch lays weights out (out, in, *kernel); nnlib (*kernel, in, out)."""
    meta = json.loads(str(ref["meta"]))
    for torch_shape, torch_fans in zip(meta["fan_shapes_torch_layout"], ref["fans"], strict=True):
        out_ch, in_ch, *kernel = torch_shape
        ours = init.compute_fans((*kernel, in_ch, out_ch))
        assert ours == tuple(int(f) for f in torch_fans), (torch_shape, ours, torch_fans)


def test_gains_match_torch(ref):
    meta = json.loads(str(ref["meta"]))
    for (name, param), expected in zip(meta["gains"], ref["gains"], strict=True):
        got = init.calculate_gain(name, param)
        assert got == pytest.approx(expected, rel=1e-15), f"{name}({param}): {got} vs {expected}"


def test_gain_values():
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", 0) == math.sqrt(2)
    assert init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("sigmoid") == 1.0


def test_gain_errors_list_names():
    with pytest.raises(ValueError, match="valid names: conv1d, .*leaky_relu.*tanh"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "0.1")


def test_kaiming_bad_mode():
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        init.kaiming_normal((3, 4), mode="fan_avg")


def test_aliases_equal_torch_named_functions():
    s = (30, 40)
    assert np.array_equal(
        init.he_normal(s, rng=3), init.kaiming_normal(s, nonlinearity="relu", rng=3)
    )
    assert np.array_equal(
        init.he_uniform(s, rng=3), init.kaiming_uniform(s, nonlinearity="relu", rng=3)
    )
    # kaiming's default (leaky_relu, a=0) is the same as relu
    assert np.array_equal(init.he_normal(s, rng=3), init.kaiming_normal(s, rng=3))
    assert np.array_equal(init.glorot_normal(s, rng=3), init.xavier_normal(s, rng=3))
    assert np.array_equal(init.glorot_uniform(s, rng=3), init.xavier_uniform(s, rng=3))
    assert np.array_equal(
        init.lecun_normal(s, rng=3), init.kaiming_normal(s, nonlinearity="linear", rng=3)
    )


def test_get():
    assert init.get("he_normal") is init.he_normal
    assert init.get("xavier_uniform") is init.xavier_uniform
    assert init.get(init.zeros) is init.zeros  # callables pass through
    with pytest.raises(ValueError) as err:
        init.get("glorot")
    msg = str(err.value)
    assert "'glorot'" in msg
    names = msg.split("valid names: ")[1].split(", ")
    assert names == sorted(names)
    assert {"he_normal", "glorot_uniform", "kaiming_uniform", "zeros", "lecun_normal"} <= set(names)
    assert "get" not in names and "calculate_gain" not in names


def test_get_binds_keyword_arguments():
    small = init.get("normal", std=0.01)
    W = small((400, 300), rng=0)
    assert W.std() == pytest.approx(0.01, rel=0.02)
    np.testing.assert_array_equal(W, init.normal((400, 300), std=0.01, rng=0))
    assert small.__name__ == "normal(std=0.01)"  # reads as the call in tables
    assert np.all(init.get("constant", val=0.5)((3, 4)) == 0.5)
    tanh = init.get("kaiming_normal", nonlinearity="tanh")((400, 300), rng=0)
    assert tanh.std() == pytest.approx(5 / 3 / np.sqrt(400), rel=0.02)


def test_get_refuses_a_keyword_the_initializer_does_not_take():
    with pytest.raises(ValueError) as err:
        init.get("normal", sd=0.01)
    assert "['sd']" in str(err.value) and "std" in str(err.value)
