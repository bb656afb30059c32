"""Chapter 1 figures and apps: the forward pass and the loss."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import plots, widgets
from nnlib.layers import Linear, ReLU, Sequential
from nnlib.widgets.ch01_forward import line_through_box, neuron_data


def assert_titled_and_labeled(fig):
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        if not ax.axison:  # a diagram: no axes to label, but a title
            assert ax.get_title()
            continue
        if ax.get_label() == "<colorbar>":
            continue
        assert ax.get_title(), ax
        assert ax.get_xlabel() and ax.get_ylabel(), ax


# -- figures --------------------------------------------------------------------
def test_neuron_diagram_shows_the_neurons_numbers():
    fig = plots.neuron_diagram([1.0, 2.0], [0.5, -0.25], 0.5, activation="sigmoid")
    assert_titled_and_labeled(fig)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    z = 1.0 * 0.5 + 2.0 * -0.25 + 0.5  # = 0.5
    assert "$z$ = 0.5" in texts
    a = 1 / (1 + np.exp(-z))
    _, dot = fig.axes[1].lines[:2]
    assert dot.get_xdata()[0] == pytest.approx(z) and dot.get_ydata()[0] == pytest.approx(a)


def test_neuron_diagram_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="same length"):
        plots.neuron_diagram([1.0, 2.0], [0.5], 0.0)


def test_network_diagram_from_a_model_lists_every_shape():
    model = Sequential(Linear(2, 4, rng=0), ReLU(), Linear(4, 3, rng=1), ReLU(), Linear(3, 1))
    fig = plots.network_diagram(model)
    assert_titled_and_labeled(fig)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for shape in ("(N, 2)", "(N, 4)", "(N, 3)", "(N, 1)", "(2, 4)", "(4, 3)", "(3, 1)"):
        assert shape in texts, shape
    assert "ReLU" in texts
    assert len(fig.axes[0].patches) == 2 + 4 + 3 + 1  # one circle per unit


def test_network_diagram_from_sizes_caps_wide_layers():
    fig = plots.network_diagram([3, 20, 2], batch=5, max_nodes=6)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "(5, 20)" in texts and "(20)" in texts
    assert len(fig.axes[0].patches) == 3 + 6 + 2


def test_predictions_vs_targets_reports_the_mse():
    x = np.linspace(-1, 1, 10).reshape(-1, 1)
    y = 2 * x
    pred = 2 * x + 0.5  # every error is 0.5: MSE 0.25
    fig = plots.predictions_vs_targets(x, y, pred, "offset")
    assert_titled_and_labeled(fig)
    assert fig.axes[0].get_title() == "offset: MSE = 0.250"
    assert len(fig.axes[1].collections[0].get_offsets()) == 10


def test_softmax_bars_shows_probabilities_and_the_loss():
    fig = plots.softmax_bars([2.0, 1.0, 0.0], target=1, class_names=["cat", "dog", "fox"])
    assert_titled_and_labeled(fig)
    heights = [bar.get_height() for bar in fig.axes[1].patches]
    assert sum(heights) == pytest.approx(1.0)
    p1 = np.exp(1.0) / np.exp([2.0, 1.0, 0.0]).sum()
    assert f"{-np.log(p1):.3f}" in fig.axes[1].get_title()
    with pytest.raises(ValueError, match="target"):
        plots.softmax_bars([1.0, 2.0], target=2)


@pytest.mark.parametrize("target", [0, 1])
def test_loss_vs_probability_curves_are_mse_and_cross_entropy(target):
    fig = plots.loss_vs_probability(target=target)
    assert_titled_and_labeled(fig)
    mse_line, ce_line = fig.axes[0].lines[:2]
    p = mse_line.get_xdata()
    np.testing.assert_allclose(mse_line.get_ydata(), (p - target) ** 2)
    p_true = p if target == 1 else 1 - p
    np.testing.assert_allclose(ce_line.get_ydata(), -np.log(p_true))
    # far on the wrong side, cross-entropy's slope stays near 1 while MSE's vanishes
    ce_slope, mse_slope = (ln.get_ydata() for ln in fig.axes[1].lines[:2])
    wrong_end = 0 if target == 1 else -1
    assert ce_slope[wrong_end] > 0.99 and mse_slope[wrong_end] < 0.01


# -- NeuronApp -------------------------------------------------------------------
@pytest.fixture
def app():
    return widgets.NeuronApp()


def test_neuron_app_loss_matches_nnlib(app):
    from nnlib.losses import BCELoss

    X, y = neuron_data("blobs")
    r = app.set(w1=1.0, w2=2.0, b=-0.5)
    p = 1 / (1 + np.exp(-(X @ np.array([1.0, 2.0]) - 0.5)))
    assert r["loss"] == pytest.approx(BCELoss()(p, y.astype(float)))
    assert r["accuracy"] == pytest.approx(np.mean((p > 0.5) == (y == 1)))


def test_moving_toward_a_good_separator_lowers_the_loss(app):
    start = app.set(w1=-1.0, w2=1.5, b=1.0)
    steps = [app.set(w1=w1, w2=1.5, b=0.5) for w1 in (0.0, 1.0, 2.0)]
    losses = [start["loss"]] + [s["loss"] for s in steps]
    assert all(a > b for a, b in zip(losses, losses[1:], strict=False)), losses
    assert steps[-1]["accuracy"] > 0.9 > start["accuracy"]


def test_the_line_moves_and_stays_on_w_dot_x_plus_b_equal_zero(app):
    before = np.array(app.line.get_data(), dtype=float)
    app.set(w1=2.0, w2=1.0, b=0.5)
    after = np.array(app.line.get_data(), dtype=float)
    assert after.shape == (2, 2) and not np.allclose(before, after)
    np.testing.assert_allclose(2.0 * after[0] + 1.0 * after[1] + 0.5, 0.0, atol=1e-12)


def test_status_and_title_report_loss_and_accuracy(app):
    r = app.set(w1=2.0, w2=1.5, b=0.0)
    assert f"{r['loss']:.3f}" in app.status.value
    assert f"{r['accuracy']:.1%}" in app.status.value
    assert f"{r['loss']:.3f}" in app.ax.get_title()
    old = app.status.value
    app.set(w1=-2.0)
    assert app.status.value != old and "accuracy" in app.status.value


def test_misclassified_rings_match_the_count(app):
    r = app.set(w1=0.5, w2=0.5, b=0.0)
    assert len(app.wrong.get_xdata()) == r["n_wrong"] == round((1 - r["accuracy"]) * r["n"])


def test_probability_shading_is_the_sigmoid_of_the_neuron(app):
    r = app.set(w1=1.0, w2=0.0, b=0.0)
    shade = np.asarray(app.shading.get_array())
    np.testing.assert_allclose(shade, r["p_grid"])
    assert shade[:, -1].min() > 0.5 > shade[:, 0].max()  # class 1 on the right when w = (1, 0)


def test_switching_data_set_moves_points_and_view(app):
    app.set(dataset="moons")
    X, y = neuron_data("moons")
    np.testing.assert_allclose(app.points[0].get_offsets(), X[y == 0])
    assert app.ax.get_xlim()[0] == pytest.approx(X[:, 0].min() - 0.6)


def test_zero_weights_give_no_line_and_chance_loss(app):
    r = app.set(w1=0.0, w2=0.0, b=0.0)
    assert len(app.line.get_xdata()) == 0
    assert r["loss"] == pytest.approx(np.log(2))
    assert not app.arrow.get_visible()


def test_line_through_box_vertical_and_steep_lines():
    xs, ys = line_through_box(2.0, 0.0, -1.0, (-3, 3), (-2, 2))
    np.testing.assert_allclose(xs, [0.5, 0.5])
    np.testing.assert_allclose(ys, [-2, 2])
    xs, ys = line_through_box(0.0, 1.0, 1.0, (-3, 3), (-2, 2))
    np.testing.assert_allclose(ys, [-1, -1])


def test_neuron_app_has_bench_settings_that_run(app):
    for values in app.bench_settings():
        app.set(**values)
    assert len(app.image.value) > 1000  # a PNG was rendered


# -- LossCompareApp ---------------------------------------------------------------
def test_loss_compare_confident_wrong_costs_cross_entropy_much_more():
    app = widgets.LossCompareApp()
    mild = app.set(p=0.4, label=1)
    harsh = app.set(p=0.01, label=1)
    assert harsh["mse"] < 1.0  # MSE can never exceed 1 for probabilities
    assert harsh["cross_entropy"] == pytest.approx(-np.log(0.01))
    # going from mildly to confidently wrong, cross-entropy grows much more than MSE
    ce_growth = harsh["cross_entropy"] / mild["cross_entropy"]
    mse_growth = harsh["mse"] / mild["mse"]
    assert ce_growth > 4.5 > 3 > mse_growth
    assert harsh["ratio"] > mild["ratio"]
    assert "wrong side" in app.status.value


def test_loss_compare_label_flips_the_curves():
    app = widgets.LossCompareApp()
    r = app.set(p=0.9, label=0)
    assert r["mse"] == pytest.approx(0.81) and r["cross_entropy"] == pytest.approx(-np.log(0.1))
    ce_curve = app.ce_curve.get_ydata()
    assert ce_curve[0] < ce_curve[-1]  # for y = 0, predicting p near 1 is the costly side
    assert app.mse_dot.get_xdata()[0] == pytest.approx(0.9)
    assert "p = 0.900" in app.ax.get_title()
