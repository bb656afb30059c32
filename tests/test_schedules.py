"""Tests for nnlib.schedules: closed forms, PyTorch fixture values, optimizer wiring."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from nnlib import schedules
from nnlib.module import Module
from nnlib.optim import SGD, Adagrad, Adam

FIXTURE = Path(__file__).parent / "fixtures" / "torch_reference.npz"
CYCLE_FIXTURE = Path(__file__).parent / "fixtures" / "torch_schedules.npz"
CYCLE_SCRIPT = Path(__file__).parent.parent / "scripts" / "make_torch_schedule_fixtures.py"


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
        ("LinearLR", {"start_factor": 0.0}, "start_factor"),
        ("LinearLR", {"start_factor": 1.5}, "start_factor"),
        ("LinearLR", {"end_factor": -0.1}, "end_factor"),
        ("LinearLR", {"total_iters": 0}, "total_iters"),
        ("OneCycleLR", {"max_lr": 0.1}, "total_steps"),
        ("OneCycleLR", {"max_lr": 0.1, "epochs": 3}, "total_steps"),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 0}, "total_steps"),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.5}, "pct_start"),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "exp"}, "anneal"),
        ("OneCycleLR", {"max_lr": 0.0, "total_steps": 10}, "max_lr"),
        ("CyclicLR", {"base_lr": 0.1, "max_lr": 0.01}, "base_lr"),
        ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "mode": "sine"}, "mode"),
        ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 0}, "step_size_up"),
    ],
)
def test_bad_arguments_raise(cls_name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(schedules, cls_name)(make_opt(), **kwargs)


def test_needs_an_lr_attribute():
    with pytest.raises(TypeError, match="lr"):
        schedules.ExponentialLR(object(), gamma=0.9)


# -- per-batch schedules: warm-up, one-cycle, cyclic --------------------------------------
def make_torch_like_opt(name: str, kwargs: dict) -> SGD | Adam:
    return {"SGD": SGD, "Adam": Adam}[name](Dummy().parameters(), **kwargs)


def lrs_and_momenta(sched: schedules.LRScheduler, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The lr and the momentum (SGD) or betas[0] (Adam) after 0..steps scheduler steps."""
    opt = sched.optimizer

    def momentum() -> float:
        return opt.betas[0] if hasattr(opt, "betas") else opt.momentum

    lr, mom = [opt.lr], [momentum()]
    for _ in range(steps):
        sched.step()
        lr.append(opt.lr)
        mom.append(momentum())
    return np.array(lr), np.array(mom)


def run_cycle_configs(meta: dict) -> list[tuple[str, np.ndarray, np.ndarray]]:
    out = []
    for name, opt_name, opt_kwargs, cls_name, kwargs in meta["configs"]:
        opt = make_torch_like_opt(opt_name, opt_kwargs)
        sched = getattr(schedules, cls_name)(opt, **kwargs)
        out.append((name, *lrs_and_momenta(sched, meta["steps"])))
    return out


@pytest.fixture(scope="module")
def cycle_ref():
    with np.load(CYCLE_FIXTURE) as data:
        return json.loads(str(data["meta"])), data["lr"].copy(), data["momentum"].copy()


def test_warmup_onecycle_cyclic_match_torch_fixture_over_200_steps(cycle_ref):
    meta, lr_ref, mom_ref = cycle_ref
    assert meta["steps"] == 200
    for (name, lr, mom), want_lr, want_mom in zip(
        run_cycle_configs(meta), lr_ref, mom_ref, strict=True
    ):
        np.testing.assert_allclose(lr, want_lr, rtol=1e-12, atol=1e-17, err_msg=name)
        np.testing.assert_allclose(mom, want_mom, rtol=1e-12, atol=1e-17, err_msg=name)


def test_live_torch_schedules_agree_with_fixture():
    """Recompute the per-batch schedules with the installed torch (skipped without torch)."""
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("make_torch_schedule_fixtures", CYCLE_SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    live = script.torch_reference()
    with np.load(CYCLE_FIXTURE) as data:
        np.testing.assert_allclose(live["lr"], data["lr"], rtol=1e-12, atol=1e-17)
        np.testing.assert_allclose(live["momentum"], data["momentum"], rtol=1e-12, atol=1e-17)
    meta = {"steps": script.STEPS, "configs": script.CONFIGS}
    for (name, lr, mom), want_lr, want_mom in zip(
        run_cycle_configs(json.loads(json.dumps(meta))), live["lr"], live["momentum"], strict=True
    ):
        np.testing.assert_allclose(lr, want_lr, rtol=1e-12, atol=1e-17, err_msg=name)
        np.testing.assert_allclose(mom, want_mom, rtol=1e-12, atol=1e-17, err_msg=name)


def test_linear_warmup_closed_form():
    got = lrs(schedules.LinearLR(make_opt(0.1), start_factor=0.25, total_iters=3), 5)
    assert got == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1], rel=1e-15)


def test_onecycle_shape_and_ends():
    opt = SGD(Dummy().parameters(), lr=123.0, momentum=0.9)  # the optimizer's own lr is replaced
    sched = schedules.OneCycleLR(
        opt, max_lr=1.0, total_steps=100, div_factor=20.0, final_div_factor=50.0
    )
    lr, mom = lrs_and_momenta(sched, 99)
    assert lr[0] == pytest.approx(1.0 / 20) and mom[0] == pytest.approx(0.95)
    assert lr.argmax() == 29 and lr[29] == pytest.approx(1.0)  # peak at pct_start * T - 1
    assert mom.argmin() == 29 and mom[29] == pytest.approx(0.85)  # momentum low at the peak
    assert lr[-1] == pytest.approx(1.0 / 20 / 50) and mom[-1] == pytest.approx(0.95)
    assert np.all(np.diff(lr[:30]) > 0) and np.all(np.diff(lr[29:]) < 0)


def test_onecycle_cycles_adams_beta1_and_keeps_beta2():
    opt = Adam(Dummy().parameters(), lr=1e-3, betas=(0.9, 0.99))
    sched = schedules.OneCycleLR(opt, max_lr=0.01, total_steps=10)
    assert opt.betas == (0.95, 0.99)
    for _ in range(3):
        sched.step()
    assert 0.85 < opt.betas[0] < 0.95 and opt.betas[1] == 0.99


def test_onecycle_step_after_the_last_batch_stays_at_min_lr():
    """torch extrapolates one step past the cycle (a negative rate here); nnlib stays at min_lr."""
    opt = SGD(Dummy().parameters(), lr=0.1, momentum=0.9)
    sched = schedules.OneCycleLR(opt, max_lr=0.01, total_steps=20, anneal_strategy="linear")
    lr, mom = lrs_and_momenta(sched, 20)
    assert lr[19] == pytest.approx(sched.min_lr) and lr[20] == pytest.approx(sched.min_lr)
    assert mom[20] == pytest.approx(0.95)


def test_onecycle_refuses_to_step_past_the_cycle():
    sched = schedules.OneCycleLR(make_opt(), max_lr=0.1, total_steps=5, cycle_momentum=False)
    for _ in range(5):
        sched.step()
    with pytest.raises(ValueError, match="total_steps=5"):
        sched.step()


def test_cyclic_triangle_values():
    opt = SGD(Dummy().parameters(), lr=5.0, momentum=0.9)
    sched = schedules.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=4, base_momentum=0.8)
    lr, mom = lrs_and_momenta(sched, 16)
    expected = [0.1, 0.2, 0.3, 0.4, 0.5, 0.4, 0.3, 0.2] * 3
    assert lr == pytest.approx(expected[:17], rel=1e-14)
    assert mom[0] == pytest.approx(0.9) and mom[4] == pytest.approx(0.8)


def test_cycle_momentum_needs_momentum_or_betas():
    opt = Adagrad(Dummy().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        schedules.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        schedules.CyclicLR(opt, base_lr=0.01, max_lr=0.1)
    sched = schedules.CyclicLR(opt, base_lr=0.01, max_lr=0.1, cycle_momentum=False)
    sched.step()
    assert opt.lr == pytest.approx(0.01 + 0.09 / 2000)
