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
    assert set(flow_app.controls) == {"depth", "activation", "init"}
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
    assert all(s.saturated == 0.0 for s in stats if s.kind == "sigmoid")
    assert isinstance(model[1], Sigmoid)
