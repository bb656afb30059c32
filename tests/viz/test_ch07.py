"""Chapter 7 (vanishing and exploding gradients): the computations, the figures and the two apps."""

import math
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

import nnlib
from nnlib import diagnostics, experiments, plots, widgets
from nnlib.activations import Sigmoid
from nnlib.datasets import make_sine
from nnlib.experiments.gradient_flow import (
    DEEP_NET_INITIALIZERS,
    activation_slopes,
    dead_layers,
    digits_batch,
    layer_grad_norms,
    shrink_per_layer,
    sine_run,
)
from nnlib.losses import CrossEntropyLoss, MSELoss
from nnlib.optim import SGD
from nnlib.training import fit
from nnlib.widgets import controls

from .drawn import drawn_lines
from .drawn import line as labelled_line


@pytest.fixture(scope="module")
def digits():
    return digits_batch(256)


@pytest.fixture(scope="module")
def runs():
    """The chapter's exploding run without clipping, clipped by norm and by value (100 epochs)."""
    return {
        "none": sine_run(),
        "norm": sine_run(clip_norm=1.0),
        "value": sine_run(clip_value=1.0),
    }


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def assert_titled_and_labeled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert ax.get_title(), "every panel needs a title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"unlabeled axes in {ax.get_title()!r}"


# ----------------------------------------------------------------------------- networks
def deep_mlp(
    depth, width=64, n_in=64, n_out=10, activation="sigmoid", init="xavier_uniform", rng=0
):
    """The chapter's deep nets: ``depth`` Linear layers built by ``nnlib.mlp``."""
    sizes = [n_in] + [width] * (depth - 1) + [n_out]
    return nnlib.mlp(sizes, activation, DEEP_NET_INITIALIZERS.get(init, init), rng=rng)


def test_the_apps_plain_normals_have_the_stds_their_labels_promise():
    rng = np.random.default_rng(0)
    small = DEEP_NET_INITIALIZERS["small_normal"]((400, 400), rng=rng)
    large = DEEP_NET_INITIALIZERS["large_normal"]((400, 400), rng=rng)
    assert small.std() == pytest.approx(0.01, rel=0.02)
    assert large.std() == pytest.approx(1.0, rel=0.02)


# ----------------------------------------------------------------------------- gradient flow
def test_layer_grad_norms_agree_with_diagnostics(digits):
    X, y = digits
    model = deep_mlp(5, activation="tanh", rng=1)
    mine = layer_grad_norms(model, X, y)
    stats = diagnostics.layer_statistics(model, X, y, CrossEntropyLoss())
    theirs = [s.grad_norm for s in stats if s.grad_norm is not None]
    np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    assert mine.shape == (5,)


def test_layer_grad_norms_changes_no_weight(digits):
    X, y = digits
    model = deep_mlp(4, rng=0)
    before = [p.data.copy() for p in model.parameters()]
    layer_grad_norms(model, X, y)
    for p, w in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, w)


def test_deep_sigmoid_net_first_layer_gradient_is_tiny_next_to_the_last(digits):
    X, y = digits
    g = layer_grad_norms(deep_mlp(10, activation="sigmoid", init="xavier_uniform"), X, y)
    assert g[0] < 1e-4 * g[-1]  # measured 2.5e-6
    assert np.all(np.diff(g) > 0)  # smaller at every step towards the input
    # about a factor 1/4 per layer: the sigmoid's slope is at most 0.25
    assert 0.15 < shrink_per_layer(g) < 0.3


def test_deep_relu_net_with_he_init_keeps_the_gradient_level(digits):
    X, y = digits
    for depth in (10, 20):
        g = layer_grad_norms(deep_mlp(depth, activation="relu", init="he_normal"), X, y)
        assert g.max() / g.min() < 10
        assert 0.1 < g[0] / g[-1] < 10


def test_too_large_init_gives_huge_gradients_too_small_tiny_ones(digits):
    X, y = digits
    large = layer_grad_norms(deep_mlp(10, activation="relu", init="large_normal"), X, y)
    small = layer_grad_norms(deep_mlp(10, activation="relu", init="small_normal"), X, y)
    assert large.min() > 1e4
    assert small.max() < 1e-6


def test_activation_slopes(digits):
    X, _ = digits
    sig = activation_slopes(deep_mlp(6, activation="sigmoid"), X)
    assert sig.shape == (5,)
    assert np.all((sig > 0.15) & (sig <= 0.25))
    relu = activation_slopes(deep_mlp(6, activation="relu", init="he_normal"), X)
    assert np.all((relu > 0.2) & (relu < 0.8))  # the fraction of active units


def test_shrink_per_layer_is_the_geometric_mean_ratio():
    assert shrink_per_layer([1e-3, 1e-2, 1e-1, 1.0]) == pytest.approx(0.1)
    assert shrink_per_layer([2.0, 1.0]) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        shrink_per_layer([1.0])


# ----------------------------------------------------------------------------- exploding run
def test_sine_run_is_the_notebook_run():
    """sine_run builds exactly what the notebook's `train` builds."""
    X, y = make_sine(200, noise=0.1, rng=0)
    net = deep_mlp(6, width=32, n_in=1, n_out=1, activation="relu", init="he_normal", rng=0)
    h = fit(net, MSELoss(), SGD(net.parameters(), lr=0.01, momentum=0.9), X, y, epochs=20,
            metrics=(), clip_norm=1.0)  # fmt: skip
    _, mine = sine_run(clip_norm=1.0, epochs=20)
    np.testing.assert_array_equal(mine.loss, h.loss)


def test_without_clipping_the_run_diverges_and_fit_says_so(runs):
    _, h = runs["none"]
    assert h.stopped_early
    assert "diverged" in h.stop_reason and "exploding-gradient" in h.stop_reason
    assert len(h.epoch) < 100
    assert not math.isfinite(h.loss[-1]) or not math.isfinite(h.grad_norm[-1])
    assert max(h.grad_norm[:-1]) > 1e6 * h.grad_norm[0]


def test_the_warning_is_issued_unless_quiet():
    with pytest.warns(Warning, match="Training stopped at epoch"):
        sine_run(epochs=40, quiet=False)


@pytest.mark.parametrize("kind", ["norm", "value"])
def test_clipping_rescues_the_same_run(runs, kind):
    _, h = runs[kind]
    _, h_none = runs["none"]
    assert not h.stopped_early and len(h.epoch) == 100
    assert np.all(np.isfinite(h.loss))
    assert h.loss[0] == h_none.loss[0]  # same seed, same start
    assert h.grad_norm[0] == pytest.approx(h_none.grad_norm[0])  # measured before clipping
    assert h.loss[-1] < h.loss[0] / 100
    assert h.loss[-1] < 0.05  # close to the noise floor 0.1**2


def test_dead_layers_finds_a_layer_that_outputs_only_zeros():
    model = deep_mlp(4, width=8, n_in=1, n_out=1, activation="relu", init="he_normal")
    X = np.linspace(-1, 1, 20).reshape(-1, 1)
    assert dead_layers(model, X) == []
    model[2].params["b"][:] = -1e6  # second hidden layer: every pre-activation negative
    assert dead_layers(model, X) == [2, 3]  # nothing reaches layer 3 either


# ----------------------------------------------------------------------------- figures
def test_grad_norms_figure_draws_one_line_per_run_on_a_log_axis():
    a, b = np.array([1e-6, 1e-4, 1e-2, 1.0]), np.array([0.5, 0.6, 0.4, 0.5])
    fig = plots.grad_norms_figure({"sigmoid": a, "relu": b}, guide=0.1)
    assert_titled_and_labeled(fig)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    lines = ax.get_lines()
    assert len(lines) == 3
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(lines[0].get_ydata(), a)
    np.testing.assert_allclose(lines[2].get_ydata(), [1e-3, 1e-2, 1e-1, 1.0])  # the guide
    lo, hi = ax.get_ylim()
    assert lo <= 1e-6 and hi >= 1.0


def test_clipping_runs_figure_marks_the_diverged_run(runs):
    hs = {name: h for name, (_, h) in runs.items()}
    fig = plots.clipping_runs_figure(hs, clip_norm=1.0)
    assert_titled_and_labeled(fig)
    ax1, ax2 = fig.axes
    assert ax1.get_yscale() == ax2.get_yscale() == "log"
    curves = [line for line in ax1.get_lines() if len(line.get_xdata()) > 1]
    assert [len(line.get_xdata()) for line in curves] == [len(hs["none"].epoch), 100, 100]
    markers = [line for line in ax1.get_lines() if line.get_marker() == "X"]
    assert len(markers) == 1 and markers[0].get_xdata()[0] == len(hs["none"].epoch)
    assert any("stopped at epoch" in t.get_text() for t in ax1.texts)
    assert any(line.get_linestyle() == "--" for line in ax2.get_lines())


def test_sine_fits_figure(runs):
    fig = plots.sine_fits_figure({"norm": runs["norm"][0], "value": runs["value"][0]})
    assert_titled_and_labeled(fig)
    assert len(fig.axes[0].get_lines()) == 3  # sin(x) and two networks


# ----------------------------------------------------------------------------- apps
@pytest.fixture(scope="module")
def flow_app():
    return widgets.GradientFlowApp()


def test_gradient_flow_app_default_shows_vanishing(flow_app):
    r = flow_app.set(depth=10, activation="sigmoid", init="xavier_uniform")
    assert r["norms"].shape == (10,)
    assert r["ratio"] < 1e-4
    assert "times smaller" in text(flow_app.status.value)
    assert flow_app.image.value  # a rendered PNG


def test_gradient_flow_app_relu_he_is_level(flow_app):
    r = flow_app.set(depth=20, activation="relu", init="he_normal")
    assert 0.1 < r["ratio"] < 10
    assert "about as large" in text(flow_app.status.value)


@pytest.mark.parametrize("depth", [2, 5, 17, 30])
def test_gradient_flow_app_depth_changes_the_number_of_bars(flow_app, depth):
    r = flow_app.set(depth=depth, activation="sigmoid", init="xavier_uniform")
    assert flow_app.visible_bars() == depth == len(r["norms"])
    ax = flow_app.fig.axes[0]
    lo = ax.get_ylim()[0]
    tops = [bar.get_y() + bar.get_height() for bar in ax.patches if bar.get_visible()]
    np.testing.assert_allclose(tops, np.maximum(r["norms"], lo), rtol=1e-9)
    assert f"{depth} layers" in ax.get_title()


def test_gradient_flow_app_flags_huge_and_tiny_gradients(flow_app):
    flow_app.set(depth=10, activation="relu", init="large_normal")
    assert "huge gradients" in text(flow_app.status.value)
    flow_app.set(depth=10, activation="relu", init="small_normal")
    assert "tiny" in text(flow_app.status.value)


def test_gradient_flow_app_controls(flow_app):
    assert set(flow_app.controls) == {"depth", "activation", "init", "norm", "residual"}
    assert flow_app.controls["residual"].labels == ["off", "on: out = x + f(x)"]
    assert flow_app.controls["activation"].value in experiments.ACTIVATIONS
    assert len(list(flow_app.bench_settings())) >= 3


@pytest.fixture(scope="module")
def clip_app():
    return widgets.ClippingApp()


def test_clipping_app_without_clipping_diverges(clip_app):
    r = clip_app.set(mode="none", threshold=1.0, lr=0.01)
    assert r["diverged"] and r["verdict"] == "diverged"
    status = text(clip_app.status.value)
    assert status.startswith("diverged") and "Training stopped at epoch" in status
    loss_ax, norm_ax, fit_ax = clip_app.fig.axes[:3]
    assert drawn_lines(loss_ax, marker="X")  # an X where the loss left the axes
    assert not labelled_line(fit_ax, "network after training").get_visible()
    assert clip_app.controls["threshold"].disabled
    assert not labelled_line(norm_ax, "threshold (clip by norm)").get_visible()


@pytest.mark.parametrize("mode", ["norm", "value"])
@pytest.mark.parametrize("threshold", [0.01, 0.1, 1.0])
def test_clipping_app_small_threshold_keeps_the_run_finite(clip_app, mode, threshold):
    r = clip_app.set(mode=mode, threshold=threshold, lr=0.01)
    assert not r["diverged"] and r["steps_run"] == clip_app.steps
    assert np.all(np.isfinite(r["loss"])) and r["loss"][-1] < r["loss"][0]
    status = text(clip_app.status.value)
    assert status.startswith("finite") and "diverged" not in status
    loss_ax, norm_ax, fit_ax = clip_app.fig.axes[:3]
    assert not drawn_lines(loss_ax, marker="X")
    assert labelled_line(fit_ax, "network after training").get_visible()
    assert labelled_line(norm_ax, "threshold (clip by norm)").get_visible() == (mode == "norm")
    assert not clip_app.controls["threshold"].disabled


def test_clipping_app_draws_the_loss_and_the_norm_before_clipping(clip_app):
    r = clip_app.set(mode="norm", threshold=1.0, lr=0.01)
    loss_ax, norm_ax = clip_app.fig.axes[:2]
    (loss_line,) = drawn_lines(loss_ax)
    np.testing.assert_allclose(loss_line.get_ydata(), r["loss"])
    norm_line = labelled_line(norm_ax, "gradient norm (before clipping)")
    np.testing.assert_allclose(norm_line.get_ydata(), r["grad_norm"])
    assert r["grad_norm"].max() > 1.0  # the norm is recorded before clipping
    assert r["clipped_steps"] == int(np.sum(r["grad_norm"] > 1.0))
    assert r["loss"][-1] < 0.05
    threshold = labelled_line(clip_app.fig.axes[1], "threshold (clip by norm)")
    np.testing.assert_allclose(threshold.get_ydata(), [1.0, 1.0])


def test_clipping_app_result_is_sine_run(clip_app):
    r = clip_app.set(mode="value", threshold=0.5, lr=0.01)
    _, h = sine_run(clip_value=0.5, epochs=clip_app.steps)
    np.testing.assert_array_equal(r["loss"], h.loss)


def test_clipping_app_lower_learning_rate_needs_no_clipping(clip_app):
    r = clip_app.set(mode="none", lr=0.003)
    assert not r["diverged"] and r["verdict"] == "learning"


def test_clipping_app_tiny_threshold_barely_learns(clip_app):
    r = clip_app.set(mode="norm", threshold=1e-3, lr=0.01)
    assert r["verdict"] == "slow"
    assert "barely learning" in text(clip_app.status.value)


def test_clipping_app_huge_threshold_can_kill_the_network(clip_app):
    r = clip_app.set(mode="norm", threshold=1e4, lr=0.01)
    assert not r["diverged"]
    assert r["verdict"] == "dead" and r["dead_layers"]
    assert "died" in text(clip_app.status.value)


def test_clipping_app_controls_wait_for_release(clip_app):
    for name in ("threshold", "lr"):
        slider = clip_app.controls[name]
        assert isinstance(slider, controls.FloatLogSlider)
        assert slider.continuous_update is False
    assert set(clip_app.controls["mode"].options) == {
        ("no clipping", "none"),
        ("clip by norm", "norm"),
        ("clip by value", "value"),
    }
    with pytest.raises(ValueError, match="mode"):
        clip_app.compute(mode="sideways", threshold=1.0, lr=0.01)
    assert len(list(clip_app.bench_settings())) >= 3


def test_sigmoid_layers_are_not_saturated_yet_gradients_vanish(digits):
    """The sigmoid's slope is at most 1/4 even without saturation (what the notebook says)."""
    X, y = digits
    model = deep_mlp(10, activation="sigmoid")
    stats = diagnostics.layer_statistics(model, X, y, CrossEntropyLoss())
    saturated = [s.saturated for s in stats if s.kind == "sigmoid"]
    assert len(saturated) == 9 and max(saturated) < 0.01  # at most 1% near 0 or 1
    assert isinstance(model[1], Sigmoid)
    norms = [s.grad_norm for s in stats if s.kind == "linear"]
    assert norms[0] / norms[-1] < 1e-5


# ----------------------------------------------------------------------------- the cures
# The point of the chapter's last sections: a 30-layer sigmoid network that stays at chance
# for the whole budget (5 epochs of SGD with momentum on the standardized digits) trains
# with batch norm and with residual connections. The budget is experiments.CURE_RUN.
CURE_DEPTH = 30


@pytest.fixture(scope="module")
def cure_data():
    return experiments.standardized_digits()


@pytest.fixture(scope="module")
def cure_runs(cure_data):
    return {label: experiments.train_cure(label, CURE_DEPTH, data=cure_data)
            for label in experiments.CURES}  # fmt: skip


def chance(y):
    return np.bincount(y).max() / len(y)


def test_standardized_digits_use_the_training_statistics(cure_data):
    X_train, X_test, y_train, y_test = cure_data
    assert X_train.shape == (1257, 64) and X_test.shape == (540, 64)
    varying = X_train.std(axis=0) > 0
    np.testing.assert_allclose(X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=0)[varying], 1.0, rtol=1e-12)
    assert abs(X_test.mean()) > 1e-6  # the test rows were not standardized on their own
    X, y = nnlib.datasets.load_digits()
    raw_train, raw_test, *_ = nnlib.datasets.train_test_split(X, y, 0.3, rng=0, stratify=True)
    mean, std = raw_train.mean(axis=0), raw_train.std(axis=0)
    j = int(np.argmax(std))
    np.testing.assert_allclose(X_test[:, j], (raw_test[:, j] - mean[j]) / std[j], rtol=1e-12)


def test_deep_net_without_cures_is_nnlibs_mlp():
    x = np.random.default_rng(0).standard_normal((7, 64))
    mine = experiments.deep_net(6, "tanh", init="he_normal", rng=3)
    theirs = deep_mlp(6, activation="tanh", init="he_normal", rng=3)
    np.testing.assert_array_equal(mine.forward(x), theirs.forward(x))


def test_deep_net_builds_each_cure():
    bn = experiments.deep_net(4, norm="batch")
    assert [type(m).__name__ for m in bn] == ["Linear", "BatchNorm1d", "Sigmoid"] * 3 + ["Linear"]
    assert "b" not in bn[0].params  # batch norm's mean subtraction would remove the bias
    ln = experiments.deep_net(4, norm="layer")
    assert [type(m).__name__ for m in ln][:3] == ["Linear", "LayerNorm", "Sigmoid"]
    res = experiments.deep_net(4, residual=True, n_in=10)
    assert [type(m).__name__ for m in res] == [
        "Linear",
        "Sigmoid",
        "Residual",
        "Residual",
        "Linear",
    ]
    assert len(experiments.layer_grad_norms(res, np.ones((3, 10)), np.arange(3))) == 4
    with pytest.raises(ValueError, match="norm must be one of"):
        experiments.deep_net(4, norm="group")
    with pytest.raises(ValueError, match="depth >= 2"):
        experiments.deep_net(1)


def test_layer_grad_norms_reach_the_linear_layers_inside_residual_blocks(digits):
    X, y = digits
    model = experiments.deep_net(5, "tanh", residual=True)
    norms = experiments.layer_grad_norms(model, X, y)
    inner = [model[i].block[0].grads["W"] for i in range(4)]
    np.testing.assert_allclose(norms[:4], [np.linalg.norm(g) for g in inner], rtol=1e-12)
    np.testing.assert_allclose(norms[4], np.linalg.norm(model[4].grads["W"]), rtol=1e-12)


def test_the_plain_deep_sigmoid_net_stays_at_chance(cure_runs, cure_data):
    run = cure_runs["plain"]
    assert run.test_accuracy < chance(cure_data[3]) + 0.05
    assert run.history.loss[-1] > 2.2  # ln 10 = 2.303: a uniform guess
    assert run.profile.ratio < 1e-12  # 29 sigmoid slopes of at most 1/4: (1/4)**29 = 3.5e-18


def test_batch_norm_trains_the_deep_sigmoid_net(cure_runs):
    run = cure_runs["batch norm"]
    assert run.test_accuracy > 0.80
    assert 0.1 < run.profile.ratio < 10  # gradient level from the output to the input
    # every hidden sigmoid sees standardized inputs: its outputs keep a spread of ~0.2
    assert np.all((run.profile.act_std > 0.15) & (run.profile.act_std < 0.3))


def test_residual_connections_train_the_deep_sigmoid_net(cure_runs):
    run = cure_runs["residual"]
    assert run.test_accuracy > 0.85
    assert run.profile.ratio > 1e-3  # against 1e-18 without the identity path


def test_layer_norm_does_not_rescue_the_sigmoid_net(cure_runs):
    """The chapter's explanation: all-positive sigmoid outputs, normalized per example."""
    run = cure_runs["layer norm"]
    assert run.profile.ratio < 1e-8
    assert run.test_accuracy < 0.2


@pytest.mark.parametrize("depth", [30, 50])
def test_the_identity_path_keeps_the_gradient_at_depth(cure_data, depth):
    X, _, y, _ = cure_data
    plain = experiments.cure_profile(experiments.deep_net(depth), X[:256], y[:256])
    res = experiments.cure_profile(experiments.deep_net(depth, residual=True), X[:256], y[:256])
    bn = experiments.cure_profile(experiments.deep_net(depth, norm="batch"), X[:256], y[:256])
    assert plain.ratio < 0.3 ** (depth - 1)
    assert res.ratio > 1e-3 and 0.1 < bn.ratio < 10
    # no exponential decay along the residual stream: the average factor per layer stays
    # near 1 (the plain net loses a factor of about 4 per layer)
    assert experiments.shrink_per_layer(res.grad_norms) > 0.8
    assert experiments.shrink_per_layer(plain.grad_norms) < 0.3


def test_cure_profile_leaves_the_running_statistics_alone(cure_data):
    X, _, y, _ = cure_data
    model = experiments.deep_net(4, norm="batch")
    model.eval()
    experiments.cure_profile(model, X[:64], y[:64])
    assert not model.training
    assert model[1].num_batches_tracked == 0
    np.testing.assert_array_equal(model[1].running_mean, 0.0)


def test_small_batches_make_batch_norms_training_mode_noisy(cure_runs, cure_data):
    model, X, y = cure_runs["batch norm"].model, cure_data[1], cure_data[3]
    eval_acc = cure_runs["batch norm"].test_accuracy
    big = experiments.batch_mode_accuracy(model, X, y, 64)
    tiny = experiments.batch_mode_accuracy(model, X, y, 2)
    assert abs(big - eval_acc) < 0.05  # 64 rows: batch statistics close to the running ones
    assert tiny < eval_acc - 0.3  # 2 rows: each prediction depends on the other example
    assert model[1].num_batches_tracked == cure_runs["batch norm"].history.epoch[-1] * 20
    with pytest.raises(ValueError, match="between 2 and"):
        experiments.batch_mode_accuracy(model, X, y, 1)


def test_cures_table_reports_every_variant(cure_runs):
    table = experiments.cures_table(cure_runs)
    for label, run in cure_runs.items():
        row = next(line for line in table.splitlines() if line.startswith(label))
        assert f"{run.test_accuracy:.1%}" in row and f"{run.profile.ratio:.2g}" in row


def test_cure_profiles_figure_draws_each_variant(cure_runs):
    fig = plots.cure_profiles_figure({k: r.profile for k, r in cure_runs.items()})
    assert_titled_and_labeled(fig)
    act_ax, grad_ax = fig.axes
    assert grad_ax.get_yscale() == "log"
    for label, run in cure_runs.items():
        np.testing.assert_allclose(
            labelled_line(grad_ax, label).get_ydata(), run.profile.grad_norms
        )
        np.testing.assert_allclose(labelled_line(act_ax, label).get_ydata(), run.profile.act_std)


def test_gradient_flow_app_goes_to_depth_50_with_each_cure(flow_app):
    assert flow_app.controls["depth"].max == 50
    plain = flow_app.set(depth=50, activation="sigmoid", init="xavier_uniform", norm="none",
                         residual=False)  # fmt: skip
    assert flow_app.visible_bars() == 50 and plain["ratio"] < 1e-20
    bn = flow_app.set(norm="batch")
    assert 0.1 < bn["ratio"] < 10 and "about as large" in text(flow_app.status.value)
    assert "batch norm" in flow_app.fig.axes[0].get_title()
    res = flow_app.set(norm="none", residual=True)
    assert res["ratio"] > 1e-3 and len(res["norms"]) == 50
    assert "residual" in flow_app.fig.axes[0].get_title()
    ln = flow_app.set(norm="layer", residual=False, activation="tanh")
    assert ln["norm"] == "layer" and np.all(np.isfinite(ln["norms"]))
    flow_app.set(norm="none", residual=False, activation="sigmoid", depth=10)


def test_gradient_flow_app_cures_are_the_experiments_nets(flow_app, digits):
    X, y = digits
    r = flow_app.set(depth=12, activation="tanh", init="he_normal", norm="layer", residual=True)
    model = experiments.deep_net(12, "tanh", norm="layer", residual=True, init="he_normal")
    np.testing.assert_allclose(r["norms"], experiments.layer_grad_norms(model, X, y), rtol=1e-12)
    flow_app.set(depth=10, activation="sigmoid", init="xavier_uniform", norm="none", residual=False)


def test_image_share_shows_what_each_normalization_keeps(cure_data):
    X = cure_data[0][:256]
    plain = experiments.image_share(experiments.deep_net(30), X)
    bn = experiments.image_share(experiments.deep_net(30, norm="batch"), X)
    ln = experiments.image_share(experiments.deep_net(30, norm="layer"), X)
    assert len(plain) == len(bn) == len(ln) == 29
    assert plain[0] > 0.99  # standardized pixels: no offset shared by every image
    assert np.all(plain[5:] < 1e-3) and np.all(ln[5:] < 1e-3)  # every image gives the same row
    assert np.all(bn > 0.05)  # batch norm removes the shared offsets at every layer
    z = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])  # two identical rows: nothing varies
    one = nnlib.Sequential(nnlib.Linear(3, 3, rng=0), nnlib.Sigmoid(), nnlib.Linear(3, 2, rng=1))
    assert experiments.image_share(one, z)[0] == pytest.approx(0.0, abs=1e-12)


def test_diagnostics_report_the_cure_layers_like_the_others(cure_data):
    X, _, y, _ = cure_data
    model = experiments.deep_net(
        4, norm="batch", residual=True
    )  # batch norm inside residual blocks
    inner_bn = model[0].block[1]
    stats = diagnostics.layer_statistics(model, X[:64], y[:64], CrossEntropyLoss(), training=True)
    assert [s.kind for s in stats] == ["residual"] * 3 + ["linear"]
    assert all(s.out_grad_norm > 0 and np.isfinite(s.std) for s in stats)
    assert inner_bn.num_batches_tracked == 0 and model.training  # running statistics restored
    np.testing.assert_array_equal(inner_bn.running_mean, 0.0)
    table = diagnostics.stats_table(stats)
    assert table.count("Residual") == 3
    flat = experiments.deep_net(3, norm="layer")
    kinds = [s.kind for s in diagnostics.layer_statistics(flat, X[:8])]
    assert kinds == ["linear", "layernorm", "sigmoid"] * 2 + ["linear"]
    sigmoid_rows = [s for s in diagnostics.layer_statistics(flat, X[:8]) if s.kind == "sigmoid"]
    assert all(s.saturated is not None for s in sigmoid_rows)  # still reported after layer norm
