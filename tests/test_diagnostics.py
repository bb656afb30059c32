"""Diagnostics: per-layer activation and gradient statistics, update ratios, the callback."""

import numpy as np
import pytest

from nnlib.datasets import make_moons
from nnlib.diagnostics import (
    DiagnosticsCallback,
    LayerStats,
    grad_norms,
    layer_kind,
    layer_outputs,
    layer_statistics,
    snapshot,
    stats_table,
    update_to_weight_ratio,
)
from nnlib.layers import Dropout, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from nnlib.losses import BCEWithLogitsLoss, MSELoss
from nnlib.optim import SGD, Adam
from nnlib.training import fit, predict


def deep(act, depth=6, width=64, d_in=32, init="xavier_uniform", rng=0):
    gen = np.random.default_rng(rng)
    layers, d = [], d_in
    for _ in range(depth):
        layers += [Linear(d, width, init=init, rng=gen), act()]
        d = width
    layers.append(Linear(d, 1, init=init, rng=gen))
    return Sequential(*layers)


def big_normal(shape, rng=None, dtype=np.float64):
    return rng.normal(0.0, 3.0, size=shape).astype(dtype)  # std 3: far too large for fan_in 32+


@pytest.fixture
def batch(rng):
    x = rng.standard_normal((256, 32))
    y = (x[:, :1] > 0).astype(float)  # (256, 1)
    return x, y


# -- saturation and dead units -------------------------------------------------------
@pytest.mark.parametrize("act, kind", [(Sigmoid, "sigmoid"), (Tanh, "tanh")])
def test_saturation_is_high_with_a_large_init_and_low_with_xavier(batch, act, kind):
    x, _ = batch
    big = [s for s in layer_statistics(deep(act, init=big_normal), x) if s.kind == kind]
    good = [s for s in layer_statistics(deep(act), x) if s.kind == kind]
    assert len(big) == len(good) == 6
    assert all(s.saturated > 0.5 for s in big)
    assert all(s.saturated < 0.05 for s in good)
    assert all(s.dead is None for s in big + good)


def test_saturation_threshold_is_configurable():
    layer = Sequential(Sigmoid())
    x = np.array([[-10.0, -4.0, 0.0, 4.0, 10.0]])  # sigmoid: 4.5e-5, 0.018, 0.5, 0.982, 0.99995
    assert layer_statistics(layer, x)[0].saturated == pytest.approx(2 / 5)
    assert layer_statistics(layer, x, saturation_eps=0.02)[0].saturated == pytest.approx(4 / 5)
    t = layer_statistics(Sequential(Tanh()), np.array([[-3.0, 0.1, 2.0, 2.7]]))[0]
    assert t.saturated == pytest.approx(2 / 4)  # tanh(2.7) = 0.991, tanh(2) = 0.964


def test_dead_relu_fraction(batch):
    x, _ = batch
    model = deep(ReLU, depth=2, init="he_normal")
    healthy = [s for s in layer_statistics(model, x) if s.kind == "relu"]
    assert healthy[0].dead == 0.0
    model[0].params["b"][:] = -100.0  # a big negative bias: every unit of layer 0 is off
    model[0].params["b"][0] = 0.0  # ... except unit 0
    dead = layer_statistics(model, x)
    assert dead[1].kind == "relu" and dead[1].dead == pytest.approx(63 / 64)
    assert dead[1].saturated is None


def test_dead_counts_units_off_for_every_example_only():
    stats = layer_statistics(Sequential(ReLU()), np.array([[1.0, -1.0, -2.0], [-1.0, -1.0, 3.0]]))
    assert stats[0].dead == pytest.approx(1 / 3)  # only column 1 is off on both rows


# -- gradients ------------------------------------------------------------------------------
def test_gradients_vanish_with_depth_in_a_deep_sigmoid_network(batch):
    x, y = batch
    model = deep(Sigmoid, depth=8)
    stats = layer_statistics(model, x, y, BCEWithLogitsLoss())
    linear = [s for s in stats if s.kind == "linear"]
    norms = [s.grad_norm for s in linear]
    assert norms[0] < 1e-3 * norms[-1]  # the first layer barely learns
    assert all(a < b for a, b in zip(norms[:-2], norms[1:-1]))  # shrinking layer by layer
    out_grads = [s.out_grad_norm for s in stats]
    assert out_grads[0] < out_grads[-1]
    assert all(s.grad_norm is None for s in stats if s.kind != "linear")


def test_relu_with_he_init_keeps_gradients_alive(batch):
    x, y = batch
    stats = layer_statistics(deep(ReLU, depth=8, init="he_normal"), x, y, BCEWithLogitsLoss())
    norms = [s.grad_norm for s in stats if s.kind == "linear"]
    assert norms[0] > 1e-2 * norms[-1]


def test_gradients_match_a_manual_backward_pass(batch):
    x, y = batch
    model = deep(Tanh, depth=2)
    stats = layer_statistics(model, x, y, MSELoss())
    loss = MSELoss()
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    assert stats[0].grad_norm == pytest.approx(np.linalg.norm(model[0].grads["W"]), rel=1e-12)
    assert stats[-1].out_grad_norm == pytest.approx(np.linalg.norm(loss.backward()), rel=1e-12)
    assert grad_norms(model)["0.W"] == pytest.approx(stats[0].grad_norm, rel=1e-12)
    assert list(grad_norms(model)) == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]


# -- the records themselves ---------------------------------------------------------------
def test_layer_statistics_records(batch):
    x, _ = batch
    model = Sequential(Linear(32, 16, rng=0), Tanh(), Dropout(0.5, rng=0), Linear(16, 2, rng=1))
    model.train()
    params = [p.data.copy() for p in model.parameters()]
    stats = layer_statistics(model, x, bins=10, hist_range=(-1, 1))
    assert model.training  # restored
    assert all(np.array_equal(a, p.data) for a, p in zip(params, model.parameters()))
    assert [s.kind for s in stats] == ["linear", "tanh", "dropout", "linear"]
    assert [s.name for s in stats] == ["Linear", "Tanh", "Dropout", "Linear"]
    assert [s.index for s in stats] == [0, 1, 2, 3]
    tanh = stats[1]
    assert isinstance(tanh, LayerStats) and tanh.shape == (256, 16)
    assert tanh.hist_counts.sum() == 256 * 16 and tanh.hist_edges.tolist()[0] == -1.0
    assert len(tanh.hist_counts) == 10
    a = np.tanh(x @ model[0].params["W"])
    assert tanh.mean == pytest.approx(a.mean()) and tanh.std == pytest.approx(a.std())
    assert np.array_equal(stats[2].hist_counts, tanh.hist_counts)  # dropout is off (eval mode)
    assert stats[0].weight_norm == pytest.approx(np.linalg.norm(model[0].params["W"]))
    assert stats[0].grad_norm is None and stats[0].out_grad_norm is None
    table = stats_table(stats)
    assert len(table.splitlines()) == 5 and "saturated" in table and "Tanh" in table


def test_layer_outputs_end_with_the_prediction(batch):
    x, _ = batch
    model = deep(Tanh, depth=2)
    outs = layer_outputs(model, x)
    assert len(outs) == len(model)
    assert np.array_equal(outs[-1], predict(model, x))


def test_layer_kind():
    assert layer_kind(Linear(2, 3)) == "linear"
    assert layer_kind(LeakyReLU()) == "leaky_relu"
    assert layer_kind(Sequential()) == "other"


def test_gradients_need_both_targets_and_loss(batch):
    x, y = batch
    with pytest.raises(ValueError, match="both y and loss_fn"):
        layer_statistics(deep(Tanh, depth=1), x, y)


# -- update-to-weight ratios -----------------------------------------------------------------
def test_update_to_weight_ratio_from_a_step(batch):
    x, y = batch
    model = deep(Tanh, depth=2)
    loss = BCEWithLogitsLoss()
    opt = SGD(model.parameters(), lr=0.1)
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    before = snapshot(model)
    ratios = update_to_weight_ratio(model, opt.step)
    assert list(ratios) == ["0.W", "2.W", "4.W"]
    assert all(r > 0 for r in ratios.values())
    # for SGD the update is lr * grad: the ratio is lr * ||dW|| / ||W||
    expected = 0.1 * np.linalg.norm(model[0].grads["W"]) / np.linalg.norm(before["0.W"])
    assert ratios["0.W"] == pytest.approx(expected, rel=1e-10)
    # the same numbers from an explicit snapshot
    assert update_to_weight_ratio(model, before=before) == pytest.approx(ratios)
    with_bias = update_to_weight_ratio(model, before=before, weights_only=False)
    assert with_bias["0.b"] == np.inf  # biases start at zero
    with pytest.raises(ValueError, match="exactly one"):
        update_to_weight_ratio(model)


# -- the callback ----------------------------------------------------------------------------
def test_diagnostics_callback_records_every_epoch():
    X, y = make_moons(100, noise=0.1, rng=0)
    y = y.reshape(-1, 1).astype(float)
    model = Sequential(Linear(2, 16, rng=0), Tanh(), Linear(16, 16, rng=1), Tanh(),
                       Linear(16, 1, rng=2))  # fmt: skip
    diag = DiagnosticsCallback(x=X, y=y, loss_fn=BCEWithLogitsLoss(), bins=5)
    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.01), X, y, epochs=6,
            callbacks=[diag])  # fmt: skip
    assert diag.epochs == h.epoch == [1, 2, 3, 4, 5, 6]
    ratios = diag.series("update_ratios")
    assert list(ratios) == ["0.W", "2.W", "4.W"]
    assert all(r.shape == (6,) and np.all(r > 0) for r in ratios.values())
    assert set(diag.series("grad_norms")) == {"0.W", "0.b", "2.W", "2.b", "4.W", "4.b"}
    assert diag.series("weight_norms")["4.W"].shape == (6,)
    sat = diag.stats_series("saturated")
    assert sat.shape == (6, 5)
    assert np.isnan(sat[:, 0]).all() and np.isfinite(sat[:, 1]).all()
    assert np.isfinite(diag.stats_series("grad_norm")[:, 0]).all()
    assert len(diag.layer_stats[0][1].hist_counts) == 5
    with pytest.raises(ValueError, match="unknown series"):
        diag.series("loss")
    with pytest.raises(ValueError, match="unknown field"):
        diag.stats_series("hist_counts")


def test_diagnostics_callback_every_k_epochs_without_probe_batch():
    X, y = make_moons(60, noise=0.1, rng=0)
    model = Sequential(Linear(2, 4, rng=0), ReLU(), Linear(4, 1, rng=1))
    diag = DiagnosticsCallback(every=2)
    fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y.reshape(-1, 1),
        epochs=5, callbacks=[diag])  # fmt: skip
    assert diag.epochs == [2, 4]
    assert diag.layer_stats == []
    with pytest.raises(ValueError, match="every"):
        DiagnosticsCallback(every=0)
