"""Capstone (chapter 10): the playground run, the digits helpers, the figures, the app."""

import math
import re

import ipywidgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import datasets, experiments, metrics, plots, widgets
from nnlib.datasets import load_digits
from nnlib.experiments import playground as playground_module
from nnlib.experiments.playground import (
    PLAYGROUND_DATASETS,
    PlaygroundRun,
    playground_data,
    train_digits,
)
from nnlib.layers import Dropout, Linear
from nnlib.losses import L2, BCEWithLogitsLoss
from nnlib.optim import SGD, Adam
from nnlib.training import History, predict
from nnlib.widgets import controls
from nnlib.widgets.playground import DEFAULTS, PlaygroundApp

from .drawn import texts


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def assert_titled_and_labeled(fig: Figure) -> None:
    """Every panel with visible axes has a title and axis labels; image tiles have a title."""
    assert isinstance(fig, Figure)
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            assert ax.get_ylabel(), "colour bars need a label"
            continue
        assert ax.get_title() or suptitle, "every panel needs a title"
        if ax.axison:
            assert ax.get_xlabel() and ax.get_ylabel(), f"unlabeled axes in {ax.get_title()!r}"


def weights(model) -> list[np.ndarray]:
    return [p.data.copy() for p in model.parameters()]


# ============================================================================ data and model
@pytest.mark.parametrize("name", PLAYGROUND_DATASETS)
def test_playground_data_is_a_stratified_half_split(name):
    Xtr, Xte, ytr, yte = playground_data(name, noise=0.2)
    assert Xtr.shape == Xte.shape == (100, 2)
    assert np.bincount(ytr).tolist() == [50, 50] and np.bincount(yte).tolist() == [50, 50]
    assert np.all(np.abs(np.concatenate([Xtr, Xte])) < 3.5)  # all sets span about [-2, 2]
    again = playground_data(name, noise=0.2)
    np.testing.assert_array_equal(Xtr, again[0])  # seeded


def test_playground_noise_zero_spirals_have_separate_arms():
    Xtr, Xte, ytr, yte = playground_data("spirals", noise=0.0)
    X, y = np.concatenate([Xtr, Xte]), np.concatenate([ytr, yte])
    d = np.linalg.norm(X[:, None] - X[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    nearest = d.argmin(axis=1)
    assert np.mean(y[nearest] == y) > 0.95  # neighbours lie on the same arm


def test_playground_data_rejects_unknown_names():
    with pytest.raises(ValueError, match="moons"):
        playground_data("swirls")


# ============================================================================ playground run
def test_playground_run_starts_at_epoch_zero_with_evaluation_mode_losses():
    run = PlaygroundRun(dropout=0.3)
    assert run.epoch == 0 and all(len(v) == 1 for v in run.history.values())
    out = predict(run.model, run.X_train)
    expected = BCEWithLogitsLoss()(out, run.y_train.reshape(-1, 1).astype(float))
    assert math.isclose(run.history["train_loss"][0], expected, rel_tol=1e-12)


def test_playground_training_lowers_the_loss_and_records_every_epoch():
    run = PlaygroundRun()
    run.train(30)
    h = run.history
    assert run.epoch == 30 and len(h["train_loss"]) == 31
    assert h["train_loss"][-1] < 0.5 * h["train_loss"][0]
    assert h["train_accuracy"][-1] > 0.9 and h["test_accuracy"][-1] > 0.85


def test_chunks_of_training_equal_one_long_run():
    a, b = PlaygroundRun(dropout=0.2, l2=1e-3), PlaygroundRun(dropout=0.2, l2=1e-3)
    a.train(6)
    for _ in range(3):
        b.train(2)
    for wa, wb in zip(weights(a.model), weights(b.model), strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_zero_initialization_leaves_the_loss_at_ln2():
    run = PlaygroundRun(init="zeros")
    run.train(40)
    np.testing.assert_allclose(run.history["train_loss"], math.log(2), atol=1e-3)
    assert run.history["train_accuracy"][-1] == 0.5


def test_l2_reaches_fit_and_shrinks_the_weights(monkeypatch):
    seen = {}
    real_fit = playground_module.fit

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(playground_module, "fit", spy)
    plain, decayed = PlaygroundRun(), PlaygroundRun(l2=0.03)
    plain.train(40)
    decayed.train(40)
    assert isinstance(seen["regularizer"], L2) and seen["regularizer"].strength == 0.03
    assert seen["batch_size"] == DEFAULTS["batch_size"]

    def norm(run):
        return sum(float(np.sum(p.data**2)) for p in run.model.parameters() if p.name == "W")

    assert norm(decayed) < 0.5 * norm(plain)


def test_no_penalty_and_no_dropout_by_default():
    run = PlaygroundRun()
    assert run.regularizer is None
    assert not any(isinstance(layer, Dropout) for layer in run.model)


def test_divergence_is_reported_and_training_stops():
    run = PlaygroundRun(
        activation="linear (none)", init="large N(0, 1)", layers=4, width=16,
        optimizer="SGD", lr=1.0,
    )  # fmt: skip
    run.train(20)
    assert run.diverged and "exploding" in run.diverged
    epoch = run.epoch
    assert run.train(5) is None and run.epoch == epoch


def test_settings_accept_display_names_and_library_names():
    a = PlaygroundRun(activation="tanh", init="xavier_uniform", optimizer="Adam")
    b = PlaygroundRun(activation="tanh", init="Xavier uniform", optimizer="adam")
    assert isinstance(a.optimizer, Adam) and isinstance(b.optimizer, Adam)
    assert isinstance(PlaygroundRun(optimizer="SGD + momentum 0.9").optimizer, SGD)
    with pytest.raises(ValueError, match="optimizer"):
        PlaygroundRun(optimizer="lbfgs")


# ============================================================================ digits
def test_a_small_digits_network_trains_fast_to_high_accuracy():
    _, history, test_acc = train_digits(hidden=(32,), epochs=15, lr=1e-2)
    assert isinstance(history, History) and len(history.epoch) == 15
    assert history.loss[-1] < history.loss[0] / 10
    assert test_acc >= 0.94


def test_the_chapter_recipe_reaches_95_percent():
    model, history, test_acc = train_digits()
    assert [layer.out_features for layer in model if isinstance(layer, Linear)] == [128, 64, 10]
    assert test_acc >= 0.95


# ============================================================================ figures
@pytest.fixture(scope="module")
def digits_run():
    model, history, _ = train_digits(hidden=(32,), epochs=6, lr=1e-2)
    X_train, X_val, X_test, y_train, y_val, y_test = datasets.digits_split()
    y_pred = predict(model, X_test).argmax(axis=1)
    return history, X_test, y_test, y_pred


def test_digits_samples_figure_shows_each_class():
    X, y = load_digits()
    fig = plots.digits_samples_figure(X, y, per_class=2)
    assert_titled_and_labeled(fig)
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert len(titles) == 20 and sorted(set(titles)) == [f"label {d}" for d in range(10)]
    first_zero = next(ax for ax in fig.axes if ax.get_title() == "label 0")
    np.testing.assert_array_equal(first_zero.images[0].get_array(), X[y == 0][0].reshape(8, 8))


def test_loss_accuracy_figure_draws_the_history(digits_run):
    history = digits_run[0]
    fig = plots.loss_accuracy_figure(history)
    assert_titled_and_labeled(fig)
    ax_loss, ax_acc = fig.axes
    np.testing.assert_allclose(ax_loss.lines[0].get_ydata(), history.loss)
    np.testing.assert_allclose(ax_acc.lines[1].get_ydata(), history.val_accuracy)
    assert ax_loss.get_yscale() == "log"


def test_confusion_matrix_figure_writes_every_nonzero_count(digits_run):
    _, _, y_test, y_pred = digits_run
    cm = metrics.confusion_matrix(y_test, y_pred, 10)
    fig = plots.confusion_matrix_figure(cm)
    assert_titled_and_labeled(fig)
    ax = fig.axes[0]
    numbers = sorted(int(t.get_text()) for t in ax.texts)
    assert numbers == sorted(cm[cm > 0].tolist())
    shown = ax.images[0].get_array()
    assert np.all(np.diag(shown) == 0) and shown.sum() == cm.sum() - np.trace(cm)
    assert str(int(np.trace(cm))) in ax.get_title()


def test_misclassified_figure_shows_the_wrong_ones(digits_run):
    _, X_test, y_test, y_pred = digits_run
    wrong = np.flatnonzero(y_test != y_pred)
    assert len(wrong) > 0
    fig = plots.misclassified_figure(X_test, y_test, y_pred, max_examples=8)
    assert_titled_and_labeled(fig)
    tiles = [ax for ax in fig.axes if ax.images]
    assert len(tiles) == min(8, len(wrong))
    i = wrong[0]
    assert tiles[0].get_title() == f"true {y_test[i]} → {y_pred[i]}"
    assert str(len(wrong)) in fig._suptitle.get_text()
    none_wrong = plots.misclassified_figure(X_test[:3], y_test[:3], y_test[:3])
    assert "0 misclassified" in none_wrong._suptitle.get_text()


# ============================================================================ the app
@pytest.fixture
def app():
    return PlaygroundApp()


def test_app_starts_at_epoch_zero(app):
    assert app.result["epoch"] == 0 and app.run.epoch == 0
    assert text(app.status.value).startswith("epoch 0 ")
    assert app.image.value[:4] == b"\x89PNG"
    assert len(app.train_line.get_xdata()) == 1


def test_train_button_advances_epochs_and_lowers_the_loss(app):
    before = app.result["train_loss"]
    png = app.image.value
    app.controls["train"].click()
    assert app.result["epoch"] == app.chunk == 50
    assert app.result["train_loss"] < 0.5 * before
    assert text(app.status.value).startswith("epoch 50 ")
    assert app.image.value != png
    np.testing.assert_array_equal(app.train_line.get_xdata(), np.arange(51))
    np.testing.assert_allclose(app.test_line.get_ydata(), app.run.history["test_loss"])
    app.controls["train"].click()
    assert app.result["epoch"] == 100


def test_step_button_trains_one_epoch(app):
    app.controls["step"].click()
    app.controls["step"].click()
    assert app.result["epoch"] == 2 and len(app.run.history["train_loss"]) == 3


def test_reset_goes_back_to_epoch_zero_with_a_new_initialization(app):
    first = weights(app.run.model)
    app.controls["train"].click()
    app.controls["reset"].click()
    assert app.result["epoch"] == 0 and app.seed == 1
    assert "init seed 1" in text(app.status.value)
    assert not np.array_equal(app.run.model[0].params["W"], first[0])


def test_changing_a_setting_resets_and_redraws(app):
    app.controls["step"].click()
    old_train = app.result["X_train"]
    result = app.set(dataset="xor")
    assert result["epoch"] == 0 and result["dataset"] == "xor"
    assert not np.array_equal(result["X_train"], old_train)
    shown = np.concatenate([c.get_offsets() for c in app.train_points])
    assert len(shown) == 100
    assert {tuple(p) for p in shown} == {tuple(p) for p in result["X_train"]}
    app.controls["step"].click()
    app.controls["lr"].value = 0.01  # a learner's slider move (not muted): a reset too
    assert app.result["epoch"] == 0 and app.run.optimizer.lr == pytest.approx(0.01)


def test_dropout_and_l2_settings_reach_the_model_and_fit(app, monkeypatch):
    seen = {}
    real_fit = playground_module.fit

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(playground_module, "fit", spy)
    app.set(l2=0.01, dropout=0.2, layers=3)
    drops = [layer for layer in app.run.model if isinstance(layer, Dropout)]
    assert len(drops) == 3 and all(d.p == 0.2 for d in drops)
    app.controls["step"].click()
    assert isinstance(seen["regularizer"], L2) and seen["regularizer"].strength == 0.01


def test_architecture_settings_build_the_right_network(app):
    result = app.set(layers=0)
    assert result["n_parameters"] == 3  # logistic regression: 2 weights + 1 bias
    assert "no hidden layer" in text(app.status.value)
    result = app.set(layers=2, width=4, activation="ReLU")
    assert result["n_parameters"] == (2 * 4 + 4) + (4 * 4 + 4) + (4 + 1)
    assert "2×4 ReLU" in text(app.status.value)


def test_diverged_run_says_so(app):
    app.set(activation="linear (none)", init="large N(0, 1)", layers=4, width=16,
            optimizer="SGD", lr=1.0)  # fmt: skip
    app.controls["train"].click()
    assert app.result["diverged"]
    assert "diverged" in text(app.status.value) or "stopped" in text(app.status.value)
    assert "training diverged: press Reset" in texts(app.fig)
    epoch = app.result["epoch"]
    app.controls["train"].click()
    assert app.result["epoch"] == epoch


def test_controls_are_keyboard_widgets_and_sliders_wait_for_release(app):
    for name, control in app.controls.items():
        assert isinstance(
            control, (controls.Dropdown, ipywidgets.Button, controls.IntSlider,
                      controls.FloatSlider, controls.FloatLogSlider, controls.SelectionSlider)
        ), name  # fmt: skip
        if hasattr(control, "continuous_update"):
            assert control.continuous_update is False, name
    assert isinstance(app.controls["lr"], controls.FloatLogSlider)
    assert set(app.values()) == set(DEFAULTS)


def test_initial_settings_and_unknown_ones():
    app = PlaygroundApp(dataset="spirals", width=4, chunk=5)
    assert app.result["dataset"] == "spirals" and app.result["width"] == 4
    app.controls["train"].click()
    assert app.result["epoch"] == 5
    with pytest.raises(ValueError, match="colour"):
        PlaygroundApp(colour="red")


def test_bench_settings_and_actions(app):
    for setting in app.bench_settings():
        assert set(setting) <= set(app.controls)
        assert app.set(**setting)["epoch"] == 0
    actions = app.bench_actions()
    assert list(actions) == ["train one epoch"]
    actions["train one epoch"]()
    assert app.result["epoch"] == 1


def test_app_is_reachable_from_the_widgets_package():
    assert widgets.PlaygroundApp is PlaygroundApp
    assert experiments.PlaygroundRun is PlaygroundRun
