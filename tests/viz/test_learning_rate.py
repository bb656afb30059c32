"""Chapter 9 (the learning rate): the experiments, the chapter's claims, the figures, the app."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

import nnlib
from nnlib import datasets, optim, plots, schedules
from nnlib.experiments import learning_rate as lr_exp
from nnlib.lr_range import lr_range_test
from nnlib.widgets import ScheduleApp


def assert_titled_and_labeled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert ax.get_title(), "every panel needs a title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"unlabeled axes in {ax.get_title()!r}"


@pytest.fixture(scope="module")
def digits():
    # X_train, X_val, X_test, y_train, y_val, y_test, standardized as in the chapter
    return datasets.digits_split(standardized=True)


# ============================================================================ curvature
def test_top_curvature_of_a_least_squares_fit_is_the_largest_hessian_eigenvalue():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)) * [1.0, 2.0, 0.5], rng.normal(size=(40, 1))
    model = nnlib.Linear(3, 1, rng=0)
    before = {k: v.copy() for k, v in model.params.items()}
    got = lr_exp.top_curvature(model, nnlib.MSELoss(), X, y, iters=60)
    A = np.column_stack([X, np.ones(len(X))])  # the loss is mean((A w - y)^2): H = 2/N A^T A
    expected = np.linalg.eigvalsh(2 / len(X) * A.T @ A).max()
    assert got == pytest.approx(expected, rel=1e-5)
    for key, value in before.items():
        np.testing.assert_array_equal(model.params[key], value)  # weights put back


def test_full_batch_descent_trains_far_past_2_over_a_because_the_curvature_falls(digits):
    """The chapter's claim: the limit from the starting curvature is far too cautious on a
    network, because training moves the weights to where the curvature is much lower."""
    X_train, _, _, y_train, _, _ = digits
    loss_fn = nnlib.CrossEntropyLoss()

    def net():
        return nnlib.mlp([64, 32, 10], activation="tanh", init="xavier_normal", rng=0)

    a_start = lr_exp.top_curvature(net(), loss_fn, X_train, y_train)
    limit = 2 / a_start

    def trained(factor: float) -> tuple[nnlib.Sequential, float]:
        model = net()
        opt = optim.SGD(model.parameters(), lr=factor * limit)
        losses = [nnlib.train_step(model, loss_fn, opt, X_train, y_train) for _ in range(150)]
        return model, losses[-1]

    (_, at_limit), (_, twice), (far, eight_times) = trained(1.0), trained(2.0), trained(8.0)
    assert eight_times < twice < at_limit < 0.5  # trains, and faster the further past the "limit"
    a_end = lr_exp.top_curvature(far, loss_fn, X_train, y_train)
    assert a_end < a_start / 10  # a much flatter place ...
    assert 8.0 * limit < 2 / a_end  # ... where the rate in use is below the local limit


# ============================================================================ schedules
@pytest.mark.parametrize("name", list(lr_exp.SCHEDULES))
def test_schedule_rates_are_what_the_schedule_classes_give(name):
    total = 50
    rates = lr_exp.schedule_rates(name, lr=0.4, total_steps=total)
    assert rates.shape == (total,)
    assert rates.max() == pytest.approx(0.4)
    if name == "constant":
        np.testing.assert_array_equal(rates, 0.4)
    if name == "warm-up":
        assert rates[0] == pytest.approx(0.004) and rates[-1] == pytest.approx(0.4)
    if name == "one-cycle":
        assert rates[0] == pytest.approx(0.4 / 25) and rates[-1] < 1e-4
    if name == "cosine":
        expected = [schedules.CosineAnnealingLR(lr_exp._Rate(0.4), T_max=total).lr_at(t)
                    for t in range(total)]  # fmt: skip
        np.testing.assert_allclose(rates, expected, rtol=1e-12)


def test_scheduled_run_records_every_step_and_is_repeatable():
    a = lr_exp.scheduled_run("cosine", lr=0.2, epochs=3, batch_size=100)
    b = lr_exp.scheduled_run("cosine", lr=0.2, epochs=3, batch_size=100)
    steps = 3 * math.ceil(1077 / 100)
    assert a.rates.shape == a.losses.shape == (steps,) and a.epoch_loss.shape == (3,)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert a.rates[0] == pytest.approx(0.2) and a.rates[-1] < 0.01
    assert not a.diverged and 0.5 < a.val_accuracy <= 1.0 and math.isfinite(a.val_loss)
    np.testing.assert_allclose(a.epoch_loss, a.losses.reshape(3, -1).mean(axis=1))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_scheduled_run_reports_divergence_without_crashing():
    run = lr_exp.scheduled_run("constant", lr=1e200, epochs=2)
    assert run.diverged and math.isnan(run.val_accuracy) and math.isnan(run.val_loss)
    assert len(run.losses) < 2 * math.ceil(1077 / 64)  # stopped at the first non-finite loss


def test_decays_starve_a_small_rate_and_rescue_a_large_one():
    """The chapter's results table, in short (three seeds each)."""

    def final(name: str, lr: float) -> float:
        return float(np.mean([lr_exp.scheduled_run(name, lr=lr, rng=k).epoch_loss[-1]
                              for k in range(3)]))  # fmt: skip

    assert final("exponential", 0.02) > 2 * final("constant", 0.02)
    assert final("constant", 0.17) < final("cosine", 0.17)  # at a good rate, no decay needed
    assert final("one-cycle", 0.5) < 0.5 * final("constant", 0.5)
    assert final("cosine", 0.5) < 0.5 * final("constant", 0.5)


# ============================================================================ warm-up
def test_adams_first_step_moves_every_weight_by_about_the_learning_rate(digits):
    X_train, _, _, y_train, _, _ = digits
    model = nnlib.mlp([64, 32, 10], activation="relu", init="he_normal", rng=0)
    opt = optim.Adam(model.parameters(), lr=0.05)
    before = model[0].params["W"].copy()
    nnlib.train_step(model, nnlib.CrossEntropyLoss(), opt, X_train[:64], y_train[:64])
    step = np.abs(model[0].params["W"] - before)[model[0].grads["W"] != 0]
    assert step.min() > 0.045 and step.max() <= 0.05 + 1e-12


def test_warm_up_removes_adams_early_loss_spike():
    for seed in range(3):
        cold = lr_exp.warmup_run(0.02, 0, steps=100, rng=seed)
        warm = lr_exp.warmup_run(0.02, 60, steps=100, rng=seed)
        assert cold.losses[0] == warm.losses[0]  # the same network and first batch
        assert cold.losses.max() > 1.25 * cold.losses[0]  # the first full steps throw it up
        assert warm.losses.max() == warm.losses[0]  # never above where it started


# ============================================================================ range test
def test_range_test_suggestion_lies_below_the_best_fixed_rate_and_its_minimum_above(digits):
    """The chapter's reading of the range test: the best fixed rate lies between the two."""
    X_train, _, _, y_train, _, _ = digits
    result = lr_range_test(
        nnlib.mlp([64, 32, 10], "relu", "he_normal", rng=0),
        nnlib.CrossEntropyLoss(),
        lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
        X_train,
        y_train,
        start_lr=1e-4,
        end_lr=10.0,
        num_steps=150,
        batch_size=64,
        rng=0,
    )
    sweep = {lr: lr_exp.scheduled_run("constant", lr=lr) for lr in np.geomspace(0.003, 3.0, 13)}
    best = min(sweep, key=lambda lr: sweep[lr].epoch_loss[-1])
    lowest = result.lrs[np.argmin(result.smoothed)]
    assert result.suggested_lr < best < lowest


# ============================================================================ figures
def test_figures_are_titled_and_labeled(digits):
    losses = {1.0: [2.3, 1.0, 0.5], 6.0: [2.3, 40.0, np.inf]}
    assert_titled_and_labeled(plots.curvature_runs_figure(losses, limit=0.64))
    X_train, _, _, y_train, _, _ = digits
    result = lr_range_test(nnlib.mlp([64, 16, 10], "relu", "he_normal", rng=0),
                           nnlib.CrossEntropyLoss(), lambda p: optim.SGD(p), X_train, y_train,
                           num_steps=30, rng=0)  # fmt: skip
    fig = plots.lr_range_figure(result, best_fixed=0.3)
    assert_titled_and_labeled(fig)
    assert any("0.3" in t.get_text() for t in fig.axes[0].get_legend().get_texts())
    curves = {n: lr_exp.schedule_rates(n, 0.5, 40) for n in lr_exp.SCHEDULES}
    fig = plots.schedule_curves_figure(curves, momenta=np.linspace(0.95, 0.85, 40))
    assert_titled_and_labeled(fig)
    assert len(fig.axes[0].get_lines()) == len(curves)
    runs = {
        "cold": [lr_exp.warmup_run(0.05, 0, steps=20)],
        "warm": [lr_exp.warmup_run(0.05, 10, steps=20)],
    }
    assert_titled_and_labeled(plots.warmup_figure(runs, steps=20))
    fig = plots.batch_size_lr_figure(
        {16: {0.01: 0.5, 0.1: 0.2, 1.0: np.nan}, 64: {0.01: 0.9, 0.1: 0.3}}
    )
    assert_titled_and_labeled(fig)


# ============================================================================ the app
def test_app_compares_the_schedule_with_a_constant_rate():
    app = ScheduleApp()
    result = app.set(schedule="one-cycle", lr=0.6, epochs=6)
    run, base = result["run"], result["constant"]
    assert run.rates.max() == pytest.approx(0.6, rel=1e-3) and run.rates[0] == pytest.approx(
        0.6 / 25
    )
    np.testing.assert_array_equal(base.rates, 0.6)
    assert len(run.epoch_loss) == 6 == len(base.epoch_loss)
    text = app.status.value
    assert (
        "one-cycle" in text
        and f"{run.val_accuracy:.1%}" in text
        and f"{base.val_accuracy:.1%}" in text
    )
    again = app.set(schedule="cosine")
    assert again["constant"] is base  # the baseline is not retrained for the same lr and epochs


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_app_says_when_the_run_diverged():
    app = ScheduleApp()
    app.controls["lr"].max = 300  # an exponent: beyond the slider's range, for the message only
    result = app.set(schedule="constant", lr=1e200, epochs=2)
    assert result["run"].diverged
    assert "diverged" in app.status.value
