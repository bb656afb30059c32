"""Tests for nnlib.schedules: closed forms, PyTorch fixture values, optimizer wiring."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from nnlib import schedules
from nnlib.module import Module
from nnlib.optim import SGD, Adam

FIXTURE = Path(__file__).parent / "fixtures" / "torch_reference.npz"


class Dummy(Module):
    def __init__(self) -> None:
        super().__init__()
        self.params = {"W": np.zeros((2, 2))}


def make_opt(lr: float = 0.1) -> SGD:
    return SGD(Dummy().parameters(), lr=lr)


def lrs(sched: schedules.LRScheduler, epochs: int) -> list[float]:
    """The lr after 0, 1, ..., epochs calls of step(), checking the optimizer each time."""
    out = [sched.get_last_lr()]
    for _ in range(epochs):
        sched.step()
        assert sched.optimizer.lr == sched.get_last_lr()
        out.append(sched.get_last_lr())
    return out


@pytest.fixture(scope="module")
def ref():
    with np.load(FIXTURE) as data:
        return json.loads(str(data["meta"])), data["sched"].copy()


def test_matches_torch_fixture(ref):
    meta, values = ref
    for (name, cls_name, kwargs), expected in zip(meta["sched_configs"], values, strict=True):
        sched = getattr(schedules, cls_name)(make_opt(meta["base_lr"]), **kwargs)
        got = np.array(lrs(sched, meta["epochs"]))
        # torch updates recursively, nnlib in closed form: equal up to rounding
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15 * meta["base_lr"])
        assert sched.last_epoch == meta["epochs"], name


def test_step_lr_closed_form():
    got = lrs(schedules.StepLR(make_opt(1.0), step_size=3, gamma=0.5), 9)
    assert got == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_exponential_closed_form():
    got = lrs(schedules.ExponentialLR(make_opt(0.2), gamma=0.9), 5)
    assert got == pytest.approx([0.2 * 0.9**t for t in range(6)], rel=1e-15)


def test_inverse_time_decay_closed_form():
    got = lrs(schedules.InverseTimeDecay(make_opt(0.1), decay_rate=0.5, decay_steps=2), 6)
    assert got == pytest.approx([0.1 / (1 + 0.5 * t / 2) for t in range(7)], rel=1e-15)
    assert got[4] == pytest.approx(0.05)  # halved after decay_steps / decay_rate epochs
    assert lrs(schedules.InverseTimeDecay(make_opt(0.1), decay_rate=0.0), 3) == [0.1] * 4


def test_cosine_closed_form():
    sched = schedules.CosineAnnealingLR(make_opt(0.1), T_max=4, eta_min=0.01)
    got = lrs(sched, 8)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(9)]
    assert got == pytest.approx(expected, rel=1e-14)
    assert got[4] == pytest.approx(0.01) and got[2] == pytest.approx(0.055)
    assert got[8] == pytest.approx(0.1)  # past T_max it rises again, as torch does
    assert sched.lr_at(4) == pytest.approx(0.01)


def test_initial_state():
    opt = make_opt(0.3)
    sched = schedules.StepLR(opt, step_size=2)
    assert sched.last_epoch == 0 and sched.base_lr == 0.3
    assert sched.get_last_lr() == 0.3 and opt.lr == 0.3
    assert isinstance(sched.get_last_lr(), float)
    assert "StepLR(step_size=2" in repr(sched)


def test_schedule_drives_optimizer_updates():
    model = Dummy()
    opt = SGD(model.parameters(), lr=1.0)
    sched = schedules.StepLR(opt, step_size=1, gamma=0.5)
    moves = []
    for _ in range(3):
        model.grads["W"] = np.ones((2, 2))
        before = model.params["W"].copy()
        opt.step()
        moves.append(float(before[0, 0] - model.params["W"][0, 0]))
        sched.step()
    assert moves == [1.0, 0.5, 0.25]


def test_works_with_adam_and_float32():
    model = Dummy()
    model.params["W"] = model.params["W"].astype(np.float32)
    opt = Adam(model.parameters(), lr=1e-2)
    sched = schedules.CosineAnnealingLR(opt, T_max=5)
    for _ in range(3):
        model.grads["W"] = np.ones((2, 2), dtype=np.float32)
        opt.step()
        sched.step()
    assert model.params["W"].dtype == np.float32
    assert type(opt.lr) is float


@pytest.mark.parametrize(
    ("cls_name", "kwargs", "match"),
    [
        ("StepLR", {"step_size": 0}, "step_size"),
        ("StepLR", {"step_size": 2.5}, "step_size"),
        ("StepLR", {"step_size": 2, "gamma": 0}, "gamma"),
        ("ExponentialLR", {"gamma": -0.5}, "gamma"),
        ("InverseTimeDecay", {"decay_rate": -1.0}, "decay_rate"),
        ("InverseTimeDecay", {"decay_rate": 1.0, "decay_steps": 0}, "decay_steps"),
        ("CosineAnnealingLR", {"T_max": 0}, "T_max"),
        ("CosineAnnealingLR", {"T_max": 5, "eta_min": -1.0}, "eta_min"),
    ],
)
def test_bad_arguments_raise(cls_name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(schedules, cls_name)(make_opt(), **kwargs)


def test_needs_an_lr_attribute():
    with pytest.raises(TypeError, match="lr"):
        schedules.ExponentialLR(object(), gamma=0.9)
