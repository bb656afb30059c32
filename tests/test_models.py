"""nnlib.mlp: the one MLP builder every chapter uses."""

import numpy as np
import pytest

import nnlib
from nnlib import init
from nnlib.activations import ReLU, Tanh
from nnlib.layers import Dropout, Linear


def kinds(net):
    return [type(layer).__name__ for layer in net]


def test_sizes_give_one_linear_per_step_and_an_activation_between():
    net = nnlib.mlp([5, 8, 7, 3], "tanh", rng=0)
    assert kinds(net) == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    shapes = [layer.params["W"].shape for layer in net if isinstance(layer, Linear)]
    assert shapes == [(5, 8), (8, 7), (7, 3)]
    assert net.forward(np.zeros((4, 5))).shape == (4, 3)
    assert kinds(nnlib.mlp([2, 1])) == ["Linear"]  # no hidden layer: a linear model


def test_every_weight_matrix_uses_init_and_every_bias_starts_at_zero():
    net = nnlib.mlp([5, 7, 7, 3], "relu", init.get("constant", val=0.2))
    for layer in net:
        if isinstance(layer, Linear):
            assert np.all(layer.params["W"] == 0.2) and np.all(layer.params["b"] == 0.0)
    assert isinstance(net[1], ReLU)


def test_output_init_changes_only_the_last_layer():
    a = nnlib.mlp([4, 6, 2], "tanh", "he_normal", rng=3)
    b = nnlib.mlp([4, 6, 2], "tanh", "he_normal", rng=3, output_init="zeros")
    np.testing.assert_array_equal(a[0].params["W"], b[0].params["W"])
    assert np.all(b[2].params["W"] == 0.0) and not np.all(a[2].params["W"] == 0.0)


def test_one_seed_gives_the_same_network_and_layers_draw_from_one_stream():
    a, b = nnlib.mlp([3, 5, 5, 2], rng=1), nnlib.mlp([3, 5, 5, 2], rng=1)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    gen = np.random.default_rng(1)
    first = Linear(3, 5, rng=gen)
    second = Linear(5, 5, rng=gen)  # the same generator, advanced by the first layer
    np.testing.assert_array_equal(a[0].params["W"], first.params["W"])
    np.testing.assert_array_equal(a[2].params["W"], second.params["W"])


def test_dropout_after_every_hidden_activation():
    net = nnlib.mlp([2, 8, 4, 1], "tanh", dropout=0.3, rng=0)
    assert kinds(net) == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert all(layer.p == 0.3 for layer in net if isinstance(layer, Dropout))
    assert isinstance(net[1], Tanh)


def test_float32_network():
    net = nnlib.mlp([3, 4, 2], dtype=np.float32, rng=0)
    assert all(p.data.dtype == np.float32 for p in net.parameters())


def test_too_few_sizes_and_unknown_names_are_refused():
    with pytest.raises(ValueError, match=r"\[in_features, out_features\]"):
        nnlib.mlp([4])
    with pytest.raises(ValueError, match="unknown initializer"):
        nnlib.mlp([2, 3, 1], init="glorot")


def test_modules_walks_the_whole_tree_depth_first_in_forward_order():
    inner = nnlib.Sequential(Linear(3, 3, rng=1), Tanh())
    block = nnlib.Residual(inner)
    first, last = Linear(2, 3, rng=0), Linear(3, 1, rng=2)
    model = nnlib.Sequential(first, block, last)
    assert list(model.modules()) == [model, first, block, inner, *inner, last]
    assert list(first.modules()) == [first]  # a plain layer: itself only
