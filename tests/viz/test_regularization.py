"""Regularization (chapter 8): the experiments, the chapter's claims, the figures and the app."""

import math
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import plots, widgets
from nnlib.experiments import regularization as reg
from nnlib.layers import Dropout, Linear, Sequential
from nnlib.losses import L1, L2, BCEWithLogitsLoss
from nnlib.optim import SGD
from nnlib.training import fit, predict


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def assert_titled_and_labeled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        assert ax.get_title() or suptitle, "every panel needs a title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"unlabeled axes in {ax.get_title()!r}"


@pytest.fixture(scope="module")
def task():
    return reg.overfitting_task()


@pytest.fixture(scope="module")
def runs(task):
    """The chapter's runs, once: the same network, one cure each."""
    stopper = reg.ValidationEarlyStopping(task, patience=30)
    return {
        "none": reg.train_run(task),
        "l2": reg.train_run(task, l2=0.01),
        "l1": reg.train_run(task, l1=0.003),
        "dropout": reg.train_run(task, dropout=0.5),
        "adam_l2": reg.train_run(task, optimizer="adam", weight_decay=0.01),
        "adamw": reg.train_run(task, optimizer="adamw", weight_decay=0.01),
        "more_data": reg.train_run(task.with_train_size(320)),
        "early": reg.train_run(task, callbacks=[stopper]),
        "stopper": stopper,
    }


# ============================================================================ the task and model
def test_task_has_40_training_and_500_validation_points_with_01_targets(task):
    assert task.X_train.shape == (40, 2) and task.y_train.shape == (40, 1)
    assert task.X_val.shape == (500, 2) and task.y_val.shape == (500, 1)
    assert set(np.unique(task.y_val)) == {0.0, 1.0}
    assert 0.3 < task.y_train.mean() < 0.7  # both classes present in the 40


def test_more_data_extends_the_same_training_points(task):
    bigger = task.with_train_size(80)
    np.testing.assert_array_equal(bigger.X_train[:40], task.X_train)
    np.testing.assert_array_equal(bigger.X_val, task.X_val)
    with pytest.raises(ValueError, match="pool"):
        task.with_train_size(10_000)
    with pytest.raises(ValueError, match="n_train"):
        reg.overfitting_task(n_train=1)


def test_task_is_seeded():
    a, b = reg.overfitting_task(), reg.overfitting_task()
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(reg.overfitting_task(seed=1).X_train, a.X_train)


def test_make_model_has_4417_parameters_and_dropout_after_each_hidden_layer():
    model = reg.make_model()
    assert model.num_parameters() == 2 * 64 + 64 + 64 * 64 + 64 + 64 + 1 == 4417
    assert not any(isinstance(layer, Dropout) for layer in model)
    dropped = reg.make_model(dropout=0.3)
    assert [layer.p for layer in dropped if isinstance(layer, Dropout)] == [0.3, 0.3]
    np.testing.assert_array_equal(reg.weights(model), reg.weights(reg.make_model()))


def test_weight_measures_use_weight_matrices_only():
    model = Sequential(Linear(2, 2, init="zeros"), Linear(2, 1, init="zeros"))
    model[0].params["W"][:] = [[3.0, 0.0], [0.0005, 4.0]]
    model[0].params["b"][:] = 100.0  # biases are not weights here
    model[1].params["W"][:] = [[0.0], [0.002]]
    np.testing.assert_array_equal(np.sort(reg.weights(model)), [0, 0, 0.0005, 0.002, 3, 4])
    assert reg.weight_norm(model) == pytest.approx(math.sqrt(9 + 16 + 0.0005**2 + 0.002**2))
    assert reg.near_zero_fraction(model) == pytest.approx(3 / 6)
    assert reg.near_zero_fraction(model, tol=0.01) == pytest.approx(4 / 6)


# ============================================================================ penalties
def test_penalty_picks_the_regularizer():
    assert reg.penalty() is None
    assert isinstance(reg.penalty(l2=0.1), L2) and reg.penalty(l2=0.1).strength == 0.1
    assert isinstance(reg.penalty(l1=0.2), L1) and reg.penalty(l1=0.2).strength == 0.2
    assert isinstance(reg.penalty(0.1, 0.2), reg.ElasticNet)
    with pytest.raises(ValueError, match=">= 0"):
        reg.penalty(l2=-1.0)


def test_elastic_net_is_the_sum_of_l2_and_l1(rng):
    model = reg.make_model(hidden=(3,), seed=1)
    x, y = rng.standard_normal((5, 2)), rng.integers(0, 2, (5, 1)).astype(float)
    loss = BCEWithLogitsLoss()
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    data_grads = [p.grad.copy() for p in model.parameters()]
    both = reg.ElasticNet(0.1, 0.03)
    assert both.penalty(model) == pytest.approx(L2(0.1).penalty(model) + L1(0.03).penalty(model))
    both.add_grad(model)
    for p, g in zip(model.parameters(), data_grads, strict=True):
        extra = 0.1 * p.data + 0.03 * np.sign(p.data) if p.name == "W" else 0.0
        np.testing.assert_allclose(p.grad, g + extra, atol=1e-15)


# ============================================================================ one run
def test_train_run_is_the_notebooks_fit_call(task, runs):
    model = reg.make_model()
    curves = reg.Curves(task)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    fit(model, BCEWithLogitsLoss(), opt, task.X_train, task.y_train, epochs=300, batch_size=40,
        rng=0, metrics=(), callbacks=[curves])  # fmt: skip
    np.testing.assert_array_equal(reg.weights(model), reg.weights(runs["none"].model))
    assert curves.history["val_accuracy"][-1] == runs["none"].val_accuracy


def test_curves_are_measured_in_eval_mode_without_the_penalty(task, runs):
    r = runs["l2"]
    out_val = predict(r.model, task.X_val)
    assert r.curves["val_loss"][-1] == pytest.approx(BCEWithLogitsLoss()(out_val, task.y_val))
    d = runs["dropout"]  # eval mode: the same number as predict, not a dropout-noisy one
    out_train = predict(d.model, task.X_train)
    assert d.curves["train_loss"][-1] == pytest.approx(BCEWithLogitsLoss()(out_train, task.y_train))
    assert r.curves["step"][-1] == 300 and len(r.curves["step"]) == 150  # every 2nd epoch
    assert np.all(np.diff(r.curves["step"]) == 2)


def test_train_run_keeps_the_number_of_steps_whatever_the_data_size(task, runs):
    assert runs["none"].epochs == 300
    assert runs["more_data"].epochs == math.ceil(300 / 8)  # 320 points in batches of 40
    assert runs["more_data"].curves["step"][-1] == 8 * runs["more_data"].epochs
    with pytest.raises(ValueError, match="optimizer"):
        reg.train_run(task, optimizer="lbfgs", steps=1)


def test_early_stopping_restores_the_best_weights(task, runs):
    stopper, r = runs["stopper"], runs["early"]
    assert r.stopped_early
    assert stopper.stopped_epoch - stopper.best_epoch == 30
    val_loss = BCEWithLogitsLoss()(predict(r.model, task.X_val), task.y_val)
    assert val_loss == pytest.approx(stopper.best_loss)
    assert stopper.best_loss == pytest.approx(runs["none"].curves["val_loss"].min(), abs=0.01)
    with pytest.raises(ValueError, match="patience"):
        reg.ValidationEarlyStopping(task, patience=0)


# ============================================================================ the chapter's claims
def test_the_unregularized_network_overfits(runs):
    r = runs["none"]
    assert r.train_accuracy == 1.0
    assert r.gap > 0.15
    best = int(np.argmin(r.curves["val_loss"]))
    assert r.curves["val_loss"][-1] > 1.5 * r.curves["val_loss"][best]  # validation turned up
    assert r.curves["train_loss"][-1] < 0.5 * r.curves["train_loss"][best]  # training kept falling


@pytest.mark.parametrize("cure", ["l2", "l1", "dropout", "adam_l2", "early", "more_data"])
def test_each_cure_shrinks_the_gap_and_raises_validation_accuracy(runs, cure):
    assert runs[cure].gap < runs["none"].gap / 2
    assert runs[cure].val_accuracy > runs["none"].val_accuracy + 0.04


def test_l2_shrinks_the_weights_more_the_stronger_it_is(task, runs):
    weak, strong = (reg.train_run(task, l2=lam, every=300) for lam in (0.003, 0.1))
    norms = [runs["none"].weight_norm, weak.weight_norm, runs["l2"].weight_norm, strong.weight_norm]
    assert norms == sorted(norms, reverse=True), norms
    assert strong.train_accuracy < runs["l2"].train_accuracy  # too strong: it underfits
    assert runs["l2"].weight_norm < reg.weight_norm(reg.make_model()) / 2  # below the random start


def test_l1_gives_far_more_near_zero_weights_than_l2(runs):
    assert runs["l1"].near_zero > 0.8
    assert runs["l1"].near_zero > 5 * runs["l2"].near_zero
    assert runs["l2"].near_zero > runs["none"].near_zero


def test_dropout_regularizes_without_shrinking_the_weights(runs):
    assert runs["dropout"].weight_norm > 0.8 * runs["none"].weight_norm


def test_adamw_and_adam_with_l2_end_with_different_weights(runs):
    w_l2, w_decoupled = reg.weights(runs["adam_l2"].model), reg.weights(runs["adamw"].model)
    assert np.abs(w_l2 - w_decoupled).max() > 0.5
    assert runs["adam_l2"].weight_norm < runs["adamw"].weight_norm / 3


# ============================================================================ decay rules
SCALES = (0.0, 0.01, 0.1, 1.0, 10.0)


@pytest.fixture(scope="module")
def decay_paths():
    return reg.decay_comparison(SCALES, weight_decay=0.1, lr=0.01, steps=300, n_weights=200)


def test_sgd_weight_decay_is_exactly_l2_in_the_gradient(decay_paths):
    np.testing.assert_array_equal(decay_paths["SGD + L2"], decay_paths["SGD(weight_decay)"])
    assert decay_paths["SGD + L2"][-1, 0] == pytest.approx((1 - 0.01 * 0.1) ** 300)


def test_adamw_decays_every_weight_alike_adam_l2_does_not(decay_paths):
    final = (1 - 0.01 * 0.1) ** 300
    np.testing.assert_allclose(decay_paths["AdamW(weight_decay)"][-1], final, atol=0.02)
    adam = decay_paths["Adam(weight_decay)"][-1]
    assert np.all(np.abs(adam[:2]) < 0.01)  # (almost) no data gradient: driven to 0
    assert adam[-1] > 0.9  # large gradients: hardly any decay
    assert np.all(np.diff(adam[1:]) > 0)  # the larger the gradients, the less decay


def test_decay_table_lists_each_rule_with_its_final_means(decay_paths):
    table = reg.decay_table(decay_paths, SCALES)
    assert len(table.splitlines()) == 5
    for name, path in decay_paths.items():
        row = next(line for line in table.splitlines() if line.startswith(name))
        assert f"{path[-1, -1]:.3f}" in row


# ============================================================================ dropout
def test_inverted_dropout_keeps_the_expected_activation():
    x = np.array([1.0, 2.0, -0.5, 0.0, 3.0])
    means = reg.dropout_expectation(x, p=0.5, n_masks=20_000, seed=0)
    se = np.abs(x) / math.sqrt(20_000)  # std of x * mask / (1 - p) is |x| for p = 0.5
    assert np.all(np.abs(means["inverted"] - x) <= 5 * se + 1e-12)
    assert np.all(np.abs(means["unscaled"] - 0.5 * x) <= 2.5 * se + 1e-12)
    np.testing.assert_array_equal(means["eval"], x)


def test_forgotten_eval_mode_gives_random_predictions_and_restores_the_mode(task, runs):
    model = runs["dropout"].model
    model.eval()
    out = reg.forgotten_eval(model, task, passes=10)
    assert not model.training
    assert out["eval_accuracy"] == runs["dropout"].val_accuracy
    accs = out["train_mode_accuracies"]
    assert accs.shape == (10,) and accs.std() > 0 and out["flipped"] > 0
    assert accs.mean() < out["eval_accuracy"]


def test_probabilities_are_the_sigmoid_of_the_logits(task, runs):
    model = runs["none"].model
    p = reg.probabilities(model, task.X_val)
    z = predict(model, task.X_val).reshape(-1)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-z)))


def test_results_table_has_one_row_per_run(runs):
    table = reg.results_table({"none": runs["none"], "L2": runs["l2"]})
    lines = table.splitlines()
    assert len(lines) == 4
    assert f"{runs['l2'].val_accuracy:.1%}" in lines[3]
    assert f"{runs['l2'].weight_norm:.2f}" in lines[3]


# ============================================================================ figures
def test_figures_are_titled_and_labelled(task, runs, decay_paths):
    few = {"none": runs["none"], "L2": runs["l2"], "L1": runs["l1"]}
    figures = [
        plots.overfitting_figure(runs["none"], task),
        plots.boundaries_figure(few, task, resolution=20),
        plots.curves_figure(few),
        plots.strength_sweep_figure({0.01: runs["l2"], 0.1: runs["none"]}),
        plots.weight_sizes_figure({k: reg.weights(r.model) for k, r in few.items()}),
        plots.decay_figure(decay_paths, SCALES),
        plots.stopping_point_figure(runs["none"].curves, 26, 56),
        plots.data_size_figure({40: runs["none"], 320: runs["more_data"]}),
    ]
    for fig in figures:
        assert_titled_and_labeled(fig)


def test_weight_sizes_figure_histograms_hold_every_weight(runs):
    ws = {k: reg.weights(runs[k].model) for k in ("none", "l2", "l1")}
    ax = plots.weight_sizes_figure(ws).axes[0]
    assert ax.get_xscale() == "log" and len(ax.patches) == 3
    for patch in ax.patches:  # the left edge collects |w| below the floor: nothing is lost
        assert math.isclose(patch.get_data().values.sum(), 100.0, rel_tol=1e-9)


def test_boundaries_figure_shows_each_runs_accuracies(task, runs):
    fig = plots.boundaries_figure({"none": runs["none"], "L2": runs["l2"]}, task, resolution=20)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert any(f"{runs['l2'].val_accuracy:.1%}" in t for t in titles)


# ============================================================================ the app
@pytest.fixture(scope="module")
def app():
    return widgets.RegularizationApp()


def test_app_default_overfits_and_reports_it(app):
    r = app.set(width=64, n_train=40, l2=0.0, l1=0.0, dropout=0.0)
    assert r["train_accuracy"] > 0.9 and r["gap"] > 0.08
    assert r["probs"].shape == (app.resolution, app.resolution)
    assert np.all((r["probs"] >= 0) & (r["probs"] <= 1))
    assert r["curves"]["step"][-1] == app.steps
    assert f"{100 * r['gap']:.1f} points" in text(app.status.value)


@pytest.mark.parametrize("setting", [{"l2": 0.01}, {"dropout": 0.5}, {"n_train": 320}])
def test_app_cures_shrink_the_gap(app, setting):
    base = app.set(width=64, n_train=40, l2=0.0, l1=0.0, dropout=0.0)["gap"]
    cured = app.set(**setting)
    assert cured["gap"] < base - 0.05  # at least 5 points less
    app.set(width=64, n_train=40, l2=0.0, l1=0.0, dropout=0.0)


def test_app_l1_makes_the_network_sparse(app):
    dense = app.set(width=64, n_train=40, l2=0.0, l1=0.0, dropout=0.0)["near_zero"]
    sparse = app.set(l1=0.003)["near_zero"]
    assert sparse > 0.5 > dense
    app.set(l1=0.0)


def test_app_width_sets_the_capacity(app):
    assert app.set(width=2)["n_params"] == (2 * 2 + 2) + (2 * 2 + 2) + (2 + 1)
    assert app.set(width=64)["n_params"] == 4417
    assert app.set(n_train=80)["n_train"] == 80
    app.set(n_train=40)


def test_app_rejects_unknown_controls_and_benches_real_settings(app):
    with pytest.raises(ValueError, match="no control"):
        app.set(momentum=0.9)
    for values in app.bench_settings():
        assert set(values) <= set(app.controls)
