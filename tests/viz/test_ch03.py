"""Chapter 3 (gradient descent): the computations, the figures and the two apps."""

import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import plots, widgets
from nnlib.datasets import make_line
from nnlib.experiments.descent import (
    line_gd_path,
    line_loss_grid,
    line_minimum,
    minibatch_gradients,
    quadratic_descent,
)
from nnlib.layers import Linear
from nnlib.losses import MSELoss
from nnlib.optim import SGD
from nnlib.plots.ch03_descent import clip_path
from nnlib.training import fit

from .drawn import all_xy, drawn_lines, texts
from .drawn import line as labelled_line


@pytest.fixture(scope="module")
def line():
    return make_line(100, noise=0.3, rng=0)


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def assert_titled_and_labeled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    has_suptitle = fig._suptitle is not None and fig._suptitle.get_text()
    for ax in fig.axes:
        assert ax.get_title() or has_suptitle, "every panel needs a title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"unlabeled axes in {ax.get_title()!r}"


# ----------------------------------------------------------------------------- quadratic bowl
@pytest.mark.parametrize("lr", [0.01, 0.3, 0.5, 0.9])
def test_quadratic_descent_follows_the_closed_form(lr):
    run = quadratic_descent(lr, curvature=2.0, w0=2.5, steps=15)
    expected = 2.5 * (1 - lr * 2.0) ** np.arange(16)  # w_t = (1 - lr a)^t w0
    np.testing.assert_allclose(run.path[:, 0], expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(run.loss, 0.5 * 2.0 * expected**2, rtol=1e-12, atol=1e-300)
    assert not run.diverged


@pytest.mark.parametrize("a", [0.5, 2.0, 8.0])
def test_lr_above_two_over_a_diverges_and_below_converges(a):
    above = quadratic_descent(2 / a * 1.05, a, 1.0, steps=500)
    below = quadratic_descent(2 / a * 0.95, a, 1.0, steps=500)
    assert above.diverged and above.loss[-1] > 1e6
    assert len(above.loss) < 501  # stopped at max_loss
    assert not below.diverged and below.loss[-1] < 1e-10


def test_bowl_is_limited_by_its_steepest_direction():
    # lr = 1.05 is fine for the flat direction (a = 0.2) but not the steep one (a = 2)
    assert quadratic_descent(1.05, (2.0, 0.2), (-2.5, 2.5), steps=200).diverged
    run = quadratic_descent(0.95, (2.0, 0.2), (-2.5, 2.5), steps=200)
    assert not run.diverged and run.loss[-1] < 1e-12
    assert run.path.shape == (201, 2)


def test_clip_path_cuts_at_the_first_point_outside_and_clips_it():
    path = np.array([[1.0], [-2.0], [5.0], [-9.0]])
    np.testing.assert_array_equal(clip_path(path, [-3], [3]), [[1.0], [-2.0], [3.0]])
    inside = np.array([[0.5, 0.5], [0.1, -0.2]])
    np.testing.assert_array_equal(clip_path(inside, [-1, -1], [1, 1]), inside)
    with np.errstate(all="ignore"):
        bad = np.array([[0.0, 0.0], [np.inf, np.nan]])
    assert np.all(np.isfinite(clip_path(bad, [-1, -1], [1, 1])))


# ----------------------------------------------------------------------------- line fitting
def test_line_loss_grid_matches_the_direct_mean_squared_error(line):
    X, y = line
    for s, c in [(0.0, 0.0), (2.0, 1.0), (-1.3, 0.7)]:
        direct = np.mean((s * X + c - y) ** 2)
        assert np.isclose(line_loss_grid(X, y, s, c), direct)
    S, C = np.meshgrid([0.0, 1.0, 2.0], [-1.0, 1.0])
    assert line_loss_grid(X, y, S, C).shape == (2, 3)


def test_line_minimum_is_least_squares(line):
    X, y = line
    slope, intercept, loss = line_minimum(X, y)
    ref = np.polyfit(X.ravel(), y.ravel(), 1)
    np.testing.assert_allclose([slope, intercept], ref, rtol=1e-10)
    assert np.isclose(loss, np.mean((slope * X + intercept - y) ** 2))


def test_batch_size_n_path_equals_full_batch_path(line):
    X, y = line
    full, full_loss = line_gd_path(X, y, None, lr=0.1, steps=40)
    same, same_loss = line_gd_path(X, y, len(X), lr=0.1, steps=40, rng=7)
    np.testing.assert_array_equal(full, same)
    np.testing.assert_array_equal(full_loss, same_loss)
    assert np.all(np.diff(full_loss) < 0)  # full-batch GD with a small lr: loss always falls


@pytest.mark.parametrize("batch_size", [None, 10, 7])
def test_line_gd_path_matches_nnlib_fit(line, batch_size):
    """The chapter's helper does exactly what nnlib.fit + SGD do on a Linear(1, 1)."""
    X, y = line
    epochs = 3
    model = Linear(1, 1)
    model.params["W"][:] = -1.0
    model.params["b"][:] = -1.0
    h = fit(
        model,
        MSELoss(),
        SGD(model.parameters(), lr=0.05),
        X,
        y,
        epochs=epochs,
        batch_size=batch_size,
        rng=3,
        metrics=(),
    )
    steps = epochs * h.params["steps_per_epoch"]
    path, _ = line_gd_path(X, y, batch_size, lr=0.05, steps=steps, rng=3)
    np.testing.assert_allclose(
        path[-1], [model.params["W"][0, 0], model.params["b"][0]], rtol=1e-12
    )


def test_smaller_batches_give_noisier_paths(line):
    X, y = line
    full, _ = line_gd_path(X, y, None, lr=0.1, steps=100)
    deviation, length = {}, {}
    for B in (1, 10, 50):
        devs, lens = [], []
        for seed in range(5):
            p, _ = line_gd_path(X, y, B, lr=0.1, steps=100, rng=seed)
            devs.append(np.linalg.norm(p - full, axis=1).mean())
            lens.append(np.linalg.norm(np.diff(p, axis=0), axis=1).sum())
        deviation[B], length[B] = np.mean(devs), np.mean(lens)
    assert deviation[1] > deviation[10] > deviation[50] > 0
    assert length[1] > length[10] > length[50]


def test_minibatch_gradients_are_unbiased_and_shrink_with_batch_size(line):
    X, y = line
    full = minibatch_gradients(X, y, (0.0, 0.0), batch_size=len(X), draws=3)
    assert np.allclose(full, full[0])  # the whole data set: no randomness at all
    exact = [2 * np.mean((0 * X + 0 - y) * X), 2 * np.mean(0 * X + 0 - y)]
    np.testing.assert_allclose(full[0], exact)
    spread = {}
    for B in (1, 10, 50):
        g = minibatch_gradients(X, y, (0.0, 0.0), batch_size=B, draws=2000, rng=1)
        assert np.allclose(g.mean(axis=0), exact, atol=4 * g.std(axis=0).max() / np.sqrt(2000))
        spread[B] = g.std(axis=0)
    assert np.all(spread[1] > spread[10]) and np.all(spread[10] > spread[50])
    # without replacement: var = var_1 / B * (N - B) / (N - 1)
    np.testing.assert_allclose(spread[10], spread[1] / np.sqrt(10) * np.sqrt(90 / 99), rtol=0.1)


# ----------------------------------------------------------------------------- figures
def test_update_step_figure_shows_one_step():
    fig = plots.update_step_figure(curvature=2.0, w=2.0, lr=0.3)
    assert_titled_and_labeled(fig)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "new w = 0.80, L = 0.64" in legend  # 2 - 0.3 * 4 = 0.8
    assert "gradient = 4.00" in legend[0]


def test_lr_regimes_figure_labels_the_divergent_panel():
    fig = plots.lr_regimes_figure(lrs=(0.02, 0.4, 0.9, 1.1), curvature=2.0)
    assert_titled_and_labeled(fig)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 4
    assert "diverged" in titles[3] and not any("diverged" in t for t in titles[:3])
    # the divergent path is clipped to the panel, never stretching the axes
    path_line = fig.axes[3].lines[1]
    assert np.all(np.abs(path_line.get_xdata()) <= 2.5 * 1.8 + 1e-12)


def test_loss_curve_and_bowl_figures():
    fig = plots.lr_loss_curves_figure(lrs=(0.02, 0.4, 1.1), steps=30)
    assert_titled_and_labeled(fig)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["lr = 0.02", "lr = 0.4", "lr = 1.1 (diverged)"]
    for ln in ax.lines:
        assert np.all(np.asarray(ln.get_ydata()) <= 1e4)
    fig = plots.bowl_regimes_figure()
    assert_titled_and_labeled(fig)
    assert "diverged" in fig.axes[3].get_title()


def test_minibatch_and_paths_figures(line):
    X, y = line
    fig = plots.minibatch_gradients_figure(X, y, batch_sizes=(1, 10), draws=50)
    assert_titled_and_labeled(fig)
    sizes = [len(c.get_offsets()) for c in fig.axes[0].collections]
    assert sizes == [50, 50]
    fig = plots.sgd_paths_figure(X, y, batch_sizes=(100, 10, 1), lr=0.1, steps=60)
    assert_titled_and_labeled(fig)
    lines = {ln.get_label(): ln for ln in fig.axes[0].lines}
    full, _ = line_gd_path(X, y, None, lr=0.1, steps=60)
    np.testing.assert_allclose(lines["full batch (100)"].get_xydata(), full)
    assert {"batch of 10", "batch of 1", "start"} <= set(lines)


def test_batch_cost_and_early_stopping_figures(line):
    X, y = line
    runs = {}
    for B in (100, 10):
        model = Linear(1, 1, init="zeros")
        runs[f"B={B}"] = fit(
            model,
            MSELoss(),
            SGD(model.parameters(), lr=0.1),
            X,
            y,
            epochs=4,
            batch_size=B,
            rng=0,
            validation_data=(X, y),
            metrics=(),
        )
    fig = plots.batch_cost_figure(runs)
    assert_titled_and_labeled(fig)
    ax1, ax2 = fig.axes
    np.testing.assert_array_equal(ax1.lines[1].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(ax2.lines[1].get_xdata(), [10, 20, 30, 40])  # updates
    np.testing.assert_allclose(ax2.lines[0].get_ydata(), runs["B=100"].val_loss)
    fig = plots.early_stopping_figure(runs["B=10"], stop_epoch=3, best_epoch=2)
    assert_titled_and_labeled(fig)
    xs = sorted(ln.get_xdata()[0] for ln in fig.axes[0].lines if len(ln.get_xdata()) == 2)
    assert xs == [2, 3]


# ----------------------------------------------------------------------------- LearningRateApp
@pytest.fixture(scope="module")
def lr_app():
    return widgets.LearningRateApp()


def test_lr_app_diverges_above_two_over_a(lr_app):
    r = lr_app.set(lr=1.2, steps=30)
    status = text(lr_app.status.value)
    assert "diverged" in status and "above the limit 2/a = 1" in status
    assert r["curve_verdict"][0] == "diverged" and r["curve"].diverged
    curve_ax, bowl_ax, loss_ax = lr_app.fig.axes[:3]
    assert "diverged" in texts(lr_app.fig)
    # the drawing is cut at the panels' edges, the loss curve at max_loss
    assert np.all(np.abs(all_xy(curve_ax)[:, 0]) <= lr_app.lim_1d)
    assert np.all(np.abs(all_xy(bowl_ax)) <= lr_app.lim_2d)
    assert np.max(all_xy(loss_ax)[:, 1]) <= lr_app.max_loss
    assert len(drawn_lines(curve_ax, marker="X")) == 1  # the X marker where it left


def test_lr_app_just_above_the_limit_still_diverges(lr_app):
    r = lr_app.set(lr=1.05, steps=10)  # loss grows slowly, never reaches max_loss in 10 steps
    assert not r["curve"].diverged
    assert r["curve"].loss[-1] > r["curve"].loss[0]
    assert "diverged" in text(lr_app.status.value)


def test_lr_app_small_lr_converges_slowly(lr_app):
    small = lr_app.set(lr=0.01, steps=30)
    small_loss = small["curve"].loss[-1]
    good = lr_app.set(lr=0.4, steps=30)
    assert small_loss > 1e6 * good["curve"].loss[-1]
    assert small["curve_verdict"][0] == "slow" and good["curve_verdict"][0] == "converged"
    assert "diverged" not in text(lr_app.status.value)
    assert "diverged" not in texts(lr_app.fig)


def test_lr_app_oscillating_but_converging(lr_app):
    r = lr_app.set(lr=0.9, steps=40)
    assert r["curve_verdict"][0] == "converged" and "zig-zag" in r["curve_verdict"][1]
    assert np.all(np.sign(r["curve"].path[1:, 0]) != np.sign(r["curve"].path[:-1, 0]))


def test_lr_app_redraws_and_counts_steps(lr_app):
    before = lr_app.image.value
    r = lr_app.set(lr=0.2, steps=15)
    assert lr_app.image.value != before
    loss_ax = lr_app.fig.axes[2]
    assert len(labelled_line(loss_ax, "1-D curve").get_xdata()) == 16 and len(r["bowl"].path) == 16
    assert "lr = 0.2" in loss_ax.get_title()


def test_lr_app_slider_is_log_scale():
    app = widgets.LearningRateApp()
    assert type(app.controls["lr"]).__name__ == "FloatLogSlider"
    assert app.controls["lr"].max >= np.log10(1.5)  # divergence is reachable
    assert list(app.bench_settings())


# ----------------------------------------------------------------------------- BatchSizeApp
@pytest.fixture(scope="module")
def bs_app():
    return widgets.BatchSizeApp()


def test_bs_app_full_batch_equals_gd(bs_app):
    r = bs_app.set(batch_size=100, lr=0.1, steps=60, seed=3)
    np.testing.assert_array_equal(r["mini_path"], r["full_path"])
    assert r["deviation"] == 0.0
    paths = bs_app.fig.axes[0]
    mini = labelled_line(paths, "batch of 100").get_xydata()
    np.testing.assert_array_equal(mini, labelled_line(paths, "full batch (100)").get_xydata())
    assert "on average 0 away" in text(bs_app.status.value)


def test_bs_app_smaller_batches_are_noisier(bs_app):
    dev, length = {}, {}
    for B in (1, 10, 50):
        r = bs_app.set(batch_size=B, lr=0.1, steps=100, seed=0)
        dev[B], length[B] = r["deviation"], r["mini_length"]
        assert r["examples_seen"] == 100 * B
        assert f"batch of {B}" in text(bs_app.status.value)
        assert f"batch of {B}" in texts(bs_app.fig)  # the legend names the batch size
    assert dev[1] > dev[10] > dev[50] > 0
    assert length[1] > length[10] > length[50] > r["full_length"]


def test_bs_app_divergence_is_reported(bs_app):
    r = bs_app.set(batch_size=10, lr=1.2, steps=100, seed=0)
    assert r["full_diverged"] and r["mini_diverged"]
    assert "both runs diverged" in text(bs_app.status.value)
    assert "diverged" in texts(bs_app.fig)
    assert np.max(all_xy(bs_app.fig.axes[1])[:, 1]) <= bs_app.loss_top
    r = bs_app.set(batch_size=10, lr=0.1)
    assert not r["mini_diverged"] and "diverged" not in texts(bs_app.fig)


def test_bs_app_sliders_wait_for_release(bs_app):
    for name, control in bs_app.controls.items():
        assert control.continuous_update is False, name
    assert type(bs_app.controls["lr"]).__name__ == "FloatLogSlider"
    assert list(bs_app.bench_settings())
