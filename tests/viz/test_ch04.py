"""Chapter 4 (activation functions): the computations, the figures and the two apps."""

import re

import numpy as np
import pytest
from matplotlib.figure import Figure

import nnlib
from nnlib import plots, widgets
from nnlib.activations import Identity, LeakyReLU, ReLU
from nnlib.datasets import make_moons
from nnlib.experiments.nonlinearity import (
    ACTIVATION_NAMES,
    DeadUnitCounter,
    activation_curves,
    collapse_linear,
    count_dead_units,
    dead_unit_masks,
    describe_intervals,
    vanishing_intervals,
    vanishing_mask,
)
from nnlib.layers import Linear, Sequential
from nnlib.losses import BCEWithLogitsLoss
from nnlib.optim import SGD, Adam
from nnlib.training import fit
from nnlib.widgets.ch04_activations import SAMPLE_POINTS, training_data


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def assert_titled_and_labeled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    has_suptitle = fig._suptitle is not None and fig._suptitle.get_text()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        assert ax.get_title() or has_suptitle, "every panel needs a title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"unlabeled axes in {ax.get_title()!r}"


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


#: closed forms of f and f' to compare the library and the apps against
REFERENCE = {
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1.0, 0.01)),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(z)), lambda z: np.where(z > 0, 1.0, np.exp(z))),
    "silu": (lambda z: z * _sigmoid(z), lambda z: _sigmoid(z) * (1 + z * (1 - _sigmoid(z)))),
}


# ============================================================================ curves
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_curves_match_the_closed_forms(name):
    z = np.linspace(-7, 7, 141)
    f, df = activation_curves(name, z)
    ref_f, ref_df = REFERENCE[name]
    np.testing.assert_allclose(f, ref_f(z), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(df, ref_df(z), rtol=1e-10, atol=1e-15)


def test_gelu_is_close_to_z_times_the_normal_cdf():
    from math import erf, sqrt

    z = np.linspace(-5, 5, 101)
    exact = np.array([v * 0.5 * (1 + erf(v / sqrt(2))) for v in z])
    f, _ = activation_curves("gelu", z)
    assert np.max(np.abs(f - exact)) < 1e-3


def test_softmax_is_rejected_with_a_list_of_valid_names():
    with pytest.raises(ValueError, match="not elementwise.*sigmoid"):
        activation_curves("softmax", np.zeros(3))


def test_vanishing_mask_and_intervals():
    z = np.linspace(-8, 8, 1601)
    _, d_sig = activation_curves("sigmoid", z)
    zones = vanishing_intervals(z, vanishing_mask(d_sig, 0.01))
    assert len(zones) == 2
    # sigmoid'(z) = 0.01 at |z| = log((1 + sqrt(1 - 0.04)) / (1 - sqrt(1 - 0.04))) / 1 ~ 4.595
    edge = np.log((1 + np.sqrt(0.96)) / (1 - np.sqrt(0.96)))
    assert zones[0][0] == -8 and zones[1][1] == 8
    assert abs(zones[0][1] + edge) < 0.01 and abs(zones[1][0] - edge) < 0.01
    assert describe_intervals(zones, -8, 8) == f"z < {zones[0][1]:.2f} and z > {zones[1][0]:.2f}"
    _, d_relu = activation_curves("relu", z)
    assert describe_intervals(vanishing_intervals(z, vanishing_mask(d_relu)), -8, 8) == "z <= 0"
    _, d_leaky = activation_curves("leaky_relu", z)
    assert vanishing_intervals(z, vanishing_mask(d_leaky)) == []
    assert describe_intervals([], -8, 8) == "nowhere"
    assert vanishing_intervals([0, 1, 2], [False, True, False]) == [(1.0, 1.0)]


# ============================================================================ linear collapse
def test_collapse_linear_gives_the_same_outputs(rng):
    model = Sequential(
        Linear(2, 5, rng=0), Identity(), Linear(5, 4, rng=1), Identity(), Linear(4, 3, rng=2)
    )
    for layer in (model[0], model[2], model[4]):
        layer.params["b"][:] = rng.normal(size=layer.params["b"].shape)
    W, b = collapse_linear(model)
    assert W.shape == (2, 3) and b.shape == (3,)
    X = rng.normal(size=(20, 2))
    np.testing.assert_allclose(model(X), X @ W + b, rtol=1e-12, atol=1e-12)


def test_collapse_linear_refuses_a_nonlinear_network():
    with pytest.raises(ValueError, match="only Linear and Identity"):
        collapse_linear(Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 1, rng=1)))


# ============================================================================ dead units
def test_count_dead_units_counts_units_off_for_every_row():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    model = Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 1, rng=1))
    W = np.array([[1.0, -1.0, 1.0], [1.0, -1.0, -1.0]])  # unit 1 is off everywhere
    model[0].params["W"][:] = W
    model[0].params["b"][:] = [0.0, 0.0, -5.0]  # unit 2 too (z = -4, -6, -5)
    masks = dead_unit_masks(model, X)
    np.testing.assert_array_equal(masks[0], [False, True, True])
    assert count_dead_units(model, X) == [2]
    assert count_dead_units(Sequential(Linear(2, 1, rng=0)), X) == []


def test_dead_relu_units_stay_dead_and_leaky_units_recover():
    X, y = make_moons(200, noise=0.15, rng=0)
    Y = y.reshape(-1, 1).astype(float)
    counters = {}
    models = {}
    for act in ("relu", "leaky_relu"):
        model = nnlib.mlp([2, 16, 1], act, "he_normal", rng=0, output_init="xavier_uniform")
        model[0].params["b"][:] = -2.0
        counter = DeadUnitCounter(X)
        fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.05), X, Y, epochs=150,
            callbacks=[counter])  # fmt: skip
        counters[act], models[act] = counter, model
    relu, leaky = counters["relu"].counts[:, 0], counters["leaky_relu"].counts[:, 0]
    assert relu.shape == (151,) and relu[0] == leaky[0] >= 8
    assert np.all(np.diff(relu) >= 0), "a dead ReLU unit can never come back"
    assert leaky[-1] <= relu[0] - 5, "Leaky ReLU units come back to life"
    dead = counters["relu"].first_masks[0]
    W0 = counters["relu"].initial["0.W"]
    np.testing.assert_array_equal(models["relu"][0].params["W"][:, dead], W0[:, dead])


def test_dead_unit_counter_with_a_huge_learning_rate():
    X, y = make_moons(200, noise=0.15, rng=0)
    model = nnlib.mlp([2, 32, 1], "relu", "he_normal", rng=0, output_init="xavier_uniform")
    counter = DeadUnitCounter(X)
    fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=10.0), X,
        y.reshape(-1, 1).astype(float), epochs=10, callbacks=[counter])  # fmt: skip
    assert counter.counts[0, 0] == 0 and counter.counts[-1, 0] >= 8
    assert isinstance(model[1], ReLU) and not isinstance(model[1], LeakyReLU)


# ============================================================================ figures
def test_activation_grid_figure_draws_each_function_and_its_derivative():
    names = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
    fig = plots.activation_grid_figure(names, z_range=(-6, 6), ncols=3)
    assert_titled_and_labeled(fig)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(names)
    for ax, name in zip(visible, names, strict=True):
        f_line, d_line = [ln for ln in ax.get_lines() if ln.get_label() in ("f(z)", "f'(z)")]
        z = f_line.get_xdata()
        ref_f, ref_df = REFERENCE[name]
        np.testing.assert_allclose(f_line.get_ydata(), ref_f(z), atol=1e-12)
        np.testing.assert_allclose(d_line.get_ydata(), ref_df(z), atol=1e-12)
    assert "nowhere" in visible[3].get_title()  # leaky ReLU never drops below 0.01
    assert "z <= 0" in visible[2].get_title()


def test_gradient_decay_figure_is_on_a_log_axis():
    fig = plots.gradient_decay_figure(("sigmoid", "relu"), z_max=10, floor=1e-10)
    assert_titled_and_labeled(fig)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    sig, relu = ax.get_lines()[:2]
    z = sig.get_xdata()
    np.testing.assert_allclose(sig.get_ydata(), REFERENCE["sigmoid"][1](z), rtol=1e-9)
    assert np.all(relu.get_ydata()[z < 0] == 1e-10)


def test_decision_panels_figure_titles_carry_the_accuracy():
    X, y = make_moons(100, noise=0.1, rng=0)
    straight = Sequential(Linear(2, 1, rng=0))
    straight[0].params["W"][:] = [[1.0], [-3.0]]  # a line, right for most points
    fig = plots.decision_panels_figure([("a line", straight, X, y)], title="demo")
    assert_titled_and_labeled(fig)
    acc = np.mean(((X @ np.array([1.0, -3.0])) > 0) == (y == 1))
    assert f"{acc:.1%}" in fig.axes[0].get_title()


def test_dead_units_and_softmax_figures():
    fig = plots.dead_units_figure({"ReLU": [3, 4, 4], "Leaky ReLU": [3, 2, 1]}, n_units=16)
    assert_titled_and_labeled(fig)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == [
        "ReLU: 3 at the start, 4 at the end",
        "Leaky ReLU: 3 at the start, 1 at the end",
    ]
    fig = plots.softmax_scaling_figure([2.0, 1.0, 0.1], temperatures=(1.0, 5.0))
    assert_titled_and_labeled(fig)
    heights = [p.get_height() for p in fig.axes[0].patches]
    z = np.array([2.0, 1.0, 0.1])
    expected = np.concatenate([np.exp(z) / np.exp(z).sum(), np.exp(z / 5) / np.exp(z / 5).sum()])
    np.testing.assert_allclose(heights, expected, rtol=1e-12)


# ============================================================================ explorer app
@pytest.fixture(scope="module")
def explorer():
    return widgets.ActivationExplorerApp()


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_explorer_shows_the_right_curve(explorer, name):
    result = explorer.set(activation=name, z_max=8.0, threshold=0.01)
    z = result["z"]
    ref_f, ref_df = REFERENCE[name]
    np.testing.assert_allclose(explorer.f_line.get_ydata(), ref_f(z), atol=1e-12)
    np.testing.assert_allclose(explorer.d_line.get_ydata(), ref_df(z), atol=1e-12)
    pts = np.array(SAMPLE_POINTS)
    np.testing.assert_allclose([result["f_at"][p] for p in SAMPLE_POINTS], ref_f(pts), atol=1e-12)
    np.testing.assert_allclose([result["df_at"][p] for p in SAMPLE_POINTS], ref_df(pts), atol=1e-12)
    assert z[0] == -8 and z[-1] == 8


def test_explorer_vanishing_zone_of_sigmoid_and_relu(explorer):
    sig = explorer.set(activation="sigmoid", z_max=8.0, threshold=0.01)
    assert sig["mask"].any() and len(sig["intervals"]) == 2
    assert sig["max_grad"] == pytest.approx(0.25)
    assert sig["df_at"][10.0] == pytest.approx(4.5396e-5, rel=1e-4)
    assert "0.25" in text(explorer.status.value)
    relu = explorer.set(activation="relu")
    np.testing.assert_array_equal(relu["mask"], relu["z"] <= 0)
    assert relu["where"] == "z <= 0"
    assert "z <= 0" in explorer.ax_f.get_title()
    leaky = explorer.set(activation="leaky_relu", threshold=0.01)
    assert not leaky["mask"].any() and leaky["fraction"] == 0
    leaky = explorer.set(threshold=0.1)  # the left slope 0.01 is now below the threshold
    np.testing.assert_array_equal(leaky["mask"], leaky["z"] <= 0)


def test_explorer_shading_follows_the_mask(explorer):
    def shaded_width(result):
        """Total z-width of the grey band on the derivative panel."""
        width = 0.0
        for path in (p for band in explorer.ax_d.collections for p in band.get_paths()):
            xs = path.vertices[:, 0]
            width += xs.max() - xs.min()
        return width

    tanh = explorer.set(activation="tanh", z_max=8.0, threshold=0.01)
    lo, hi = tanh["intervals"][0][0], tanh["intervals"][-1][1]
    assert shaded_width(tanh) == pytest.approx(tanh["fraction"] * (hi - lo), rel=0.02)
    identity = explorer.set(activation="identity")
    assert not identity["mask"].any()
    assert shaded_width(identity) == 0
    wide = explorer.set(activation="tanh", z_max=12.0)
    assert wide["fraction"] > tanh["fraction"]
    assert explorer.ax_d.get_xlim() == (-12.0, 12.0)


# ============================================================================ training app
@pytest.fixture(scope="module")
def trainer():
    return widgets.ActivationTrainingApp()


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_trainer_fits_the_moons_with_a_nonlinearity(trainer, activation):
    r = trainer.set(dataset="moons", activation=activation, width=8, layers=1, epochs=200, lr=0.03)
    assert r["accuracy"] >= 0.95
    assert r["loss"][-1] < 0.5 * r["loss"][0]
    assert f"{r['accuracy']:.1%}" in text(trainer.status.value)


@pytest.mark.parametrize("dataset", ["moons", "xor", "circles"])
def test_trainer_identity_stays_at_linear_accuracy(trainer, dataset):
    r = trainer.set(dataset=dataset, activation="identity", width=16, layers=2, epochs=200)
    assert abs(r["accuracy"] - r["linear_accuracy"]) <= 0.03
    nonlinear = trainer.set(activation="tanh", width=8, layers=1)
    assert nonlinear["accuracy"] > r["accuracy"] + 0.05


def test_trainer_switching_dataset_moves_the_points(trainer):
    trainer.set(dataset="moons", activation="relu", width=8, layers=1, epochs=100)
    before = [c.get_offsets().copy() for c in trainer.points]
    assert len(before[2]) == 0  # two classes: the third scatter is empty
    r = trainer.set(dataset="spirals")
    after = [c.get_offsets() for c in trainer.points]
    X, y = training_data("spirals")
    for k in range(3):
        np.testing.assert_array_equal(after[k], X[y == k])
    assert not np.array_equal(before[0], after[0])
    assert r["probs"].shape == (trainer.resolution, trainer.resolution, 3)
    np.testing.assert_allclose(r["probs"].sum(axis=-1), 1.0)
    assert "spirals" in trainer.ax.get_title()


def test_trainer_loss_curve_and_divergence_message(trainer):
    r = trainer.set(dataset="xor", activation="relu", width=8, layers=1, epochs=120, lr=0.03)
    x, yv = trainer.loss_line.get_data()
    assert len(x) == 120 and x[0] == 1
    np.testing.assert_allclose(yv, np.maximum(r["loss"], 1e-6))
    assert "diverged" not in text(trainer.status.value)
    assert "lower the learning rate" in text(trainer.describe({**r, "diverged": True}))


def test_all_activations_are_offered(trainer, explorer):
    for app in (trainer, explorer):
        values = [v for _, v in app.controls["activation"].options]
        assert values == list(ACTIVATION_NAMES)
    assert trainer.controls["epochs"].continuous_update is False
    assert trainer.controls["lr"].continuous_update is False
