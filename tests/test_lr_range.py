"""Tests for nnlib.lr_range: the learning-rate range test."""

from __future__ import annotations

import numpy as np
import pytest

import nnlib
from nnlib import optim
from nnlib.datasets import load_digits, make_moons, standardize, train_test_split
from nnlib.lr_range import lr_range_test


def digits_net(seed: int = 0) -> nnlib.Sequential:
    return nnlib.Sequential(
        nnlib.Linear(64, 64, init="he_normal", rng=seed),
        nnlib.ReLU(),
        nnlib.Linear(64, 10, rng=seed + 1),
    )


@pytest.fixture(scope="module")
def digits():
    """X_train, X_val, y_train, y_val: standardized with the training rows' statistics (ch. 5)."""
    X, y = load_digits()
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, rng=0)
    X_train, stats = standardize(X_train)
    X_val, _ = standardize(X_val, stats)
    return X_train, X_val, y_train, y_val


def best_fixed_rate(factory, digits, seed: int) -> float:
    """The rate of a sweep (17 rates, 5 epochs each) with the lowest validation loss.

    The loss is averaged over three training runs (seeds) per rate: near the best rate the
    curve is flat, and a single run's noise would decide between neighbours.
    """
    X_train, X_val, y_train, y_val = digits
    scores = {}
    for lr in np.geomspace(1e-4, 1.0, 17):
        finals = []
        for run in range(3):
            model = digits_net(seed + 10 * run)
            opt = factory(model.parameters())
            opt.lr = float(lr)
            h = nnlib.fit(
                model,
                nnlib.CrossEntropyLoss(),
                opt,
                X_train,
                y_train,
                epochs=5,
                batch_size=32,
                validation_data=(X_val, y_val),
                rng=seed + 10 * run,
                verbose=0,
            )
            finals.append(h.history["val_loss"][-1])
        mean = float(np.mean(finals))
        scores[float(lr)] = mean if np.isfinite(mean) else np.inf
    return min(scores, key=scores.get)


@pytest.mark.parametrize(
    "factory",
    [lambda p: optim.Adam(p), lambda p: optim.SGD(p, lr=0.1, momentum=0.9)],
    ids=["adam", "sgd_momentum"],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_suggestion_is_within_a_factor_3_of_the_best_fixed_rate_on_digits(factory, seed, digits):
    X_train, _, y_train, _ = digits
    result = lr_range_test(
        digits_net(seed),
        nnlib.CrossEntropyLoss(),
        factory,
        X_train,
        y_train,
        start_lr=1e-5,
        end_lr=10.0,
        num_steps=150,
        rng=seed,
    )
    best = best_fixed_rate(factory, digits, seed)
    ratio = result.suggested_lr / best
    print(f"suggested {result.suggested_lr:.3g}, best fixed {best:.3g}, ratio {ratio:.2f}")
    assert 1 / 3 <= ratio <= 3
    assert result.stopped_early  # the rate went high enough to make the loss explode


def test_rates_grow_geometrically_and_arrays_line_up():
    X, y = make_moons(n_samples=100, noise=0.1, rng=0)
    model = nnlib.Sequential(nnlib.Linear(2, 8, rng=0), nnlib.Tanh(), nnlib.Linear(8, 1, rng=1))
    r = lr_range_test(
        model,
        nnlib.BCEWithLogitsLoss(),
        lambda p: optim.SGD(p),
        X,
        y.reshape(-1, 1).astype(float),
        start_lr=1e-4,
        end_lr=1e-2,
        num_steps=11,
        batch_size=16,
        rng=0,
    )
    np.testing.assert_allclose(r.lrs, np.geomspace(1e-4, 1e-2, 11), rtol=1e-12)
    assert len(r.losses) == len(r.smoothed) == 11 and not r.stopped_early
    assert r.smoothed[0] == pytest.approx(r.losses[0])  # bias correction: no pull towards 0
    assert r.suggested_lr == pytest.approx(r.lrs[np.argmin(r.smoothed)] / 10)


def test_weights_are_restored_unless_asked_not_to():
    X, y = make_moons(n_samples=64, noise=0.1, rng=0)
    y = y.reshape(-1, 1).astype(float)
    model = nnlib.Sequential(nnlib.Linear(2, 8, rng=0), nnlib.ReLU(), nnlib.Linear(8, 1, rng=1))
    before = [p.data.copy() for p in model.parameters()]
    lr_range_test(model, nnlib.BCEWithLogitsLoss(), lambda p: optim.Adam(p), X, y, num_steps=20)
    for p, w in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, w)
    lr_range_test(
        model,
        nnlib.BCEWithLogitsLoss(),
        lambda p: optim.Adam(p),
        X,
        y,
        num_steps=20,
        start_lr=1e-3,
        end_lr=1e-1,
        restore=False,
    )
    assert any(not np.array_equal(p.data, w) for p, w in zip(model.parameters(), before))


def test_explosion_stops_the_run_and_more_steps_than_rows_reshuffle():
    X, y = make_moons(n_samples=40, noise=0.1, rng=0)
    model = nnlib.Sequential(nnlib.Linear(2, 8, rng=0), nnlib.ReLU(), nnlib.Linear(8, 1, rng=1))
    r = lr_range_test(
        model,
        nnlib.MSELoss(),
        lambda p: optim.SGD(p),
        X,
        y.reshape(-1, 1) * 1.0,
        start_lr=1e-3,
        end_lr=1e3,
        num_steps=200,
        batch_size=8,
        rng=0,
    )
    assert r.stopped_early and len(r.lrs) < 200
    assert r.lrs[-1] > 100 * r.lrs[0]  # blew up only once the rate had grown a lot
    assert np.isfinite(r.suggested_lr) and r.suggested_lr < r.lrs[-1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_lr": 1.0, "end_lr": 0.1}, "start_lr"),
        ({"start_lr": 0.0}, "start_lr"),
        ({"num_steps": 1}, "num_steps"),
        ({"smoothing": 1.0}, "smoothing"),
        ({"stop_factor": 1.0}, "stop_factor"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    model = nnlib.Sequential(nnlib.Linear(2, 1, rng=0))
    with pytest.raises(ValueError, match=match):
        lr_range_test(
            model,
            nnlib.MSELoss(),
            lambda p: optim.SGD(p),
            np.zeros((4, 2)),
            np.zeros((4, 1)),
            **kwargs,
        )
