"""Capstone (chapter 10): the digits helpers and figures (the playground: test_playground.py)."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import datasets, experiments, metrics, plots
from nnlib.datasets import load_digits
from nnlib.experiments.digits import train_digits
from nnlib.layers import Linear
from nnlib.training import History, predict


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


def test_digits_recipe_is_reachable_from_the_experiments_package():
    assert experiments.train_digits is train_digits
