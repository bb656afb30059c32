"""The shared plotting helpers of nnlib.plots.common."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import plots
from nnlib.experiments.decision import decision_grid, grid_points, to_probabilities
from nnlib.layers import Linear, ReLU, Sequential, Sigmoid
from nnlib.plots import CLASS_COLORS, new_figure
from nnlib.plots.common import (
    binary_cmap,
    loss_curve,
    plot_decision_boundary,
    scatter_classes,
    show_grid,
    update_scatter_classes,
)


@pytest.fixture
def data(rng):
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def test_grid_points_cover_the_data_with_margin(data):
    X, _ = data
    xx, yy, pts = grid_points(X, resolution=15, margin=0.5)
    assert xx.shape == yy.shape == (15, 15)
    assert pts.shape == (225, 2)
    assert np.isclose(xx.min(), X[:, 0].min() - 0.5) and np.isclose(xx.max(), X[:, 0].max() + 0.5)
    assert np.isclose(yy.min(), X[:, 1].min() - 0.5) and np.isclose(yy.max(), X[:, 1].max() + 0.5)
    # points are the grid in row-major order: row i has constant y
    np.testing.assert_array_equal(pts[:15, 1], yy[0, 0])


def test_grid_points_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        grid_points(np.zeros((5, 1)))
    with pytest.raises(ValueError, match="resolution"):
        grid_points(np.zeros((5, 2)), resolution=1)


def test_decision_grid_evaluates_the_function_at_every_point(data):
    X, _ = data
    xx, yy, v = decision_grid(lambda p: p[:, 0] - 2 * p[:, 1], X, resolution=9)
    assert v.shape == (9, 9)
    np.testing.assert_allclose(v, xx - 2 * yy)


def test_decision_grid_single_column_and_multiclass(data):
    X, _ = data
    _, _, v1 = decision_grid(lambda p: p[:, :1], X, resolution=5)
    assert v1.shape == (5, 5)
    _, _, v3 = decision_grid(lambda p: np.column_stack([p, p.sum(1)]), X, resolution=5)
    assert v3.shape == (5, 5, 3)


def test_decision_grid_accepts_a_module_and_restores_its_mode(data):
    X, _ = data
    model = Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 1, rng=1), Sigmoid())
    model.train()
    xx, yy, v = decision_grid(model, X, resolution=6)
    assert v.shape == (6, 6) and np.all((v >= 0) & (v <= 1))
    assert model.training


def test_decision_grid_checks_the_number_of_rows(data):
    X, _ = data
    with pytest.raises(ValueError, match="one row per point"):
        decision_grid(lambda p: p[:3, 0], X, resolution=4)


def test_to_probabilities_sigmoid_softmax_and_passthrough():
    z = np.array([[-1000.0, 0.0], [2.0, 1000.0]])
    with np.errstate(all="raise"):
        p = to_probabilities(z, from_logits=True)
    np.testing.assert_allclose(p, [[0.0, 0.5], [1 / (1 + np.exp(-2.0)), 1.0]])
    s = to_probabilities(np.array([[1.0, 2.0, 3.0]]), from_logits=True, multiclass=True)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0)
    assert s[0, 2] > s[0, 1] > s[0, 0]
    raw = np.array([0.2, 0.7])
    out = to_probabilities(raw, from_logits=False)
    np.testing.assert_array_equal(out, raw)
    assert out is not raw


def test_binary_cmap_ends_in_the_class_colours():
    cmap = binary_cmap()
    from matplotlib.colors import to_hex

    assert to_hex(cmap(0.0)).lower() == CLASS_COLORS[0].lower()
    assert to_hex(cmap(1.0)).lower() == CLASS_COLORS[1].lower()
    assert np.allclose(cmap(0.5)[:3], 1.0, atol=0.01)  # white in the middle


def test_show_grid_binary_and_multiclass(data):
    X, _ = data
    fig, ax = new_figure()
    xx, yy, v = decision_grid(lambda p: 1 / (1 + np.exp(-p[:, 0])), X, resolution=8)
    img = show_grid(ax, xx, yy, v)
    assert img.get_array().shape == (8, 8)
    assert tuple(img.get_extent()) == pytest.approx((xx.min(), xx.max(), yy.min(), yy.max()))
    img.set_data(1 - v)  # the documented way to update it
    probs = np.stack([v, 1 - v], axis=-1)
    img2 = show_grid(ax, xx, yy, probs)
    assert img2.get_array().shape == (8, 8, 4)


def test_scatter_classes_one_artist_per_class_and_update(data):
    X, y = data
    fig, ax = new_figure()
    colls = scatter_classes(ax, X, y)
    assert len(colls) == 2
    assert [len(c.get_offsets()) for c in colls] == [np.sum(y == 0), np.sum(y == 1)]
    assert [c.get_label() for c in colls] == ["class 0", "class 1"]
    update_scatter_classes(colls, X[:10], np.zeros(10, dtype=int))
    assert [len(c.get_offsets()) for c in colls] == [10, 0]


def test_scatter_classes_names_and_absent_class(data):
    X, y = data
    fig, ax = new_figure()
    colls = scatter_classes(ax, X, np.zeros_like(y), n_classes=3, labels=["a", "b", "c"])
    assert [c.get_label() for c in colls] == ["a", "b", "c"]
    assert [len(c.get_offsets()) for c in colls] == [len(y), 0, 0]


def test_loss_curve_from_a_list():
    fig, ax = new_figure()
    (line,) = loss_curve(ax, [3.0, 2.0, 1.5], logy=True)
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), [3.0, 2.0, 1.5])
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert ax.get_yscale() == "log"


def test_loss_curve_from_a_history_like_object():
    class FakeHistory:
        history = {"loss": [1.0, 0.5], "val_loss": [1.2, 0.7], "accuracy": [0.5, 0.9]}

    fig, ax = new_figure()
    lines = loss_curve(ax, FakeHistory())
    assert [ln.get_label() for ln in lines] == ["training loss", "validation loss"]
    assert ax.get_legend() is not None
    lines = loss_curve(ax, FakeHistory.history, keys=["accuracy"], ylabel="accuracy")
    np.testing.assert_array_equal(lines[0].get_ydata(), [0.5, 0.9])
    with pytest.raises(KeyError, match="recorded"):
        loss_curve(ax, FakeHistory.history, keys=["grad_norm"])


def test_loss_curve_from_a_real_history():
    from nnlib.losses import MSELoss
    from nnlib.optim import SGD
    from nnlib.training import fit

    X = np.linspace(-1, 1, 20).reshape(-1, 1)
    model = Sequential(Linear(1, 1, rng=0))
    hist = fit(model, MSELoss(), SGD(model.parameters(), lr=0.1), X, 2 * X, epochs=5, metrics=())
    fig, ax = new_figure()
    (line,) = loss_curve(ax, hist)
    assert len(line.get_xdata()) == 5


@pytest.mark.parametrize("multiclass", [False, True])
def test_plot_decision_boundary_returns_a_titled_labeled_figure(data, multiclass):
    X, y = data
    if multiclass:
        model = Sequential(Linear(2, 3, rng=0))  # logits (M, 3), inferred
        y = np.arange(len(y)) % 3
    else:
        model = Sequential(Linear(2, 1, rng=0), Sigmoid())
    fig = plot_decision_boundary(model, X, y, resolution=20, title="regions")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == "regions" and ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.images) == 1 and len(ax.collections) >= 2


def test_plot_decision_boundary_of_a_function_is_reachable_from_plots(data):
    X, y = data
    fig = plots.plot_decision_boundary(lambda p: p[:, 0] + p[:, 1], X, y, resolution=20)
    image = fig.axes[0].images[0].get_array()
    # scores outside [0, 1] are read as logits: the shading is their sigmoid
    assert image.min() >= 0.0 and image.max() <= 1.0
