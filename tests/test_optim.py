"""Tests for nnlib.optim: PyTorch parity (stored fixture, and live when torch is
installed), in-place updates, float32, skipped parameters, clipping, validation."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from nnlib import optim
from nnlib.gradcheck import rel_error
from nnlib.module import Module

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "torch_reference.npz"
SCRIPT = ROOT / "scripts" / "make_torch_fixtures.py"
TOL = 1e-10


class Dummy(Module):
    """A layer that only holds arrays: tests set ``grads`` by hand."""

    def __init__(self, **arrays: np.ndarray) -> None:
        super().__init__()
        self.params = dict(arrays)


def load_fixture() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def ref():
    return load_fixture()


@pytest.fixture(scope="module")
def meta(ref):
    return json.loads(str(ref["meta"]))


def run_nnlib(cls_name, kwargs, inputs, n_steps, steps):
    """Run nnlib's optimizer on the fixture's inputs; returns (len(steps), 16)."""
    model = Dummy(
        a=inputs["p0_0"].astype(np.float64).copy(), b=inputs["p0_1"].astype(np.float64).copy()
    )
    opt = getattr(optim, cls_name)(model.parameters(), **kwargs)
    out = np.empty((len(steps), 16))
    for k in range(1, n_steps + 1):
        model.grads["a"] = inputs["grads_0"][k - 1].astype(np.float64)
        model.grads["b"] = inputs["grads_1"][k - 1].astype(np.float64)
        opt.step()
        if k in steps:
            out[steps.index(k)] = np.concatenate([model.params["a"].ravel(), model.params["b"]])
    return out


def flat_grads(params):
    return np.concatenate([p.grad.ravel() for p in params])


def clip_model(ref):
    model = Dummy(a=np.zeros((3, 4)), b=np.zeros(4))
    model.grads["a"] = ref["clip_grads_0"].astype(np.float64)
    model.grads["b"] = ref["clip_grads_1"].astype(np.float64)
    return model


# -- parity with PyTorch --------------------------------------------------------
def optim_ids():
    with np.load(FIXTURE) as data:
        return [c[0] for c in json.loads(str(data["meta"]))["optim_configs"]]


@pytest.mark.parametrize("index", range(len(optim_ids())), ids=optim_ids())
def test_matches_torch_fixture(ref, meta, index):
    name, cls_name, kwargs = meta["optim_configs"][index]
    mine = run_nnlib(cls_name, kwargs, ref, meta["n_steps"], meta["steps"])
    for j, k in enumerate(meta["steps"]):
        err = rel_error(mine[j], ref["optim"][index, j])
        theirs = ref["optim"][index, j]
        assert err <= TOL, f"{name}, step {k}: rel error {err:.2e}\nmine  {mine[j]}\ntorch {theirs}"


def test_clip_matches_torch_fixture(ref, meta):
    for c, (name, max_norm, norm_type) in enumerate(meta["clip_cases"]):
        model = clip_model(ref)
        total = optim.clip_grad_norm(model.parameters(), max_norm, norm_type=norm_type)
        assert isinstance(total, float)
        assert total == pytest.approx(ref["clip_totals"][c], rel=TOL), name
        assert rel_error(flat_grads(model.parameters()), ref["clip_grads"][c]) <= TOL, name
    model = clip_model(ref)
    optim.clip_grad_value(model.parameters(), meta["clip_value"])
    assert rel_error(flat_grads(model.parameters()), ref["clip_grads"][-1]) <= TOL


def load_script():
    spec = importlib.util.spec_from_file_location("make_torch_fixtures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_live_torch_agrees_with_fixture_and_nnlib():
    """Recompute every reference with the installed torch (skipped without torch)."""
    pytest.importorskip("torch")
    script = load_script()
    stored = load_fixture()
    live = script.torch_reference(
        {k: stored[k] for k in stored if k.startswith(("p0", "grads", "clip_grads"))}
    )
    meta = json.loads(str(stored["meta"]))
    for key, value in live.items():
        assert rel_error(value, stored[key]) <= TOL, (
            f"fixture out of date for {key!r}: rerun {SCRIPT.name}"
        )
    for index, (name, cls_name, kwargs) in enumerate(meta["optim_configs"]):
        mine = run_nnlib(cls_name, kwargs, stored, meta["n_steps"], meta["steps"])
        assert rel_error(mine, live["optim"][index]) <= TOL, name


def test_live_torch_float32_adam():
    """float32 parameters: nnlib stays float32 and tracks torch's float32 Adam closely."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((5, 3)).astype(np.float32)
    grads = rng.standard_normal((20, 5, 3)).astype(np.float32)
    model = Dummy(W=w0.copy())
    opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.1)
    tw = torch.tensor(w0, requires_grad=True)
    topt = torch.optim.Adam([tw], lr=0.01, weight_decay=0.1, foreach=False)
    for g in grads:
        model.grads["W"] = g.copy()
        tw.grad = torch.tensor(g)
        opt.step()
        topt.step()
    assert model.params["W"].dtype == np.float32
    np.testing.assert_allclose(model.params["W"], tw.detach().numpy(), rtol=1e-5, atol=1e-6)


# -- in-place updates, dtypes, skipping -------------------------------------------
ALL_OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    ("Adagrad", {"lr_decay": 0.1, "weight_decay": 0.01}),
    ("RMSprop", {"centered": True, "momentum": 0.9, "weight_decay": 0.01}),
    ("RMSprop", {}),
    ("Adam", {"amsgrad": True, "weight_decay": 0.01}),
    ("Adam", {}),
    ("AdamW", {}),
]
OPT_IDS = [f"{c}-{'-'.join(kw) or 'default'}" for c, kw in ALL_OPTIMIZERS]


@pytest.mark.parametrize(("cls_name", "kwargs"), ALL_OPTIMIZERS, ids=OPT_IDS)
def test_updates_in_place_and_leaves_grads_alone(rng, cls_name, kwargs):
    model = Dummy(W=rng.standard_normal((3, 4)), b=rng.standard_normal(4))
    W, b = model.params["W"], model.params["b"]
    W0 = W.copy()
    opt = getattr(optim, cls_name)(model.parameters(), **kwargs)
    for _ in range(3):
        model.grads = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
        grads_before = {k: v.copy() for k, v in model.grads.items()}
        opt.step()
        for k in grads_before:
            assert np.array_equal(model.grads[k], grads_before[k]), "step() changed a gradient"
    assert model.params["W"] is W and model.params["b"] is b
    assert np.shares_memory(opt.params[0].data, W)
    assert not np.array_equal(W, W0)


@pytest.mark.parametrize(("cls_name", "kwargs"), ALL_OPTIMIZERS, ids=OPT_IDS)
def test_float32_stays_float32(rng, cls_name, kwargs):
    w64 = rng.standard_normal((4, 3))
    grads = rng.standard_normal((5, 4, 3))
    m32, m64 = Dummy(W=w64.astype(np.float32)), Dummy(W=w64.copy())
    opt32 = getattr(optim, cls_name)(m32.parameters(), **kwargs)
    opt64 = getattr(optim, cls_name)(m64.parameters(), **kwargs)
    opt32.lr = np.float64(opt32.lr)  # even a numpy scalar lr must not upcast
    for g in grads:
        m32.grads["W"], m64.grads["W"] = g.astype(np.float32), g
        opt32.step()
        opt64.step()
    assert m32.params["W"].dtype == np.float32
    for value in opt32.state[opt32.params[0]].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32
    np.testing.assert_allclose(m32.params["W"], m64.params["W"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("cls_name", "kwargs"), ALL_OPTIMIZERS, ids=OPT_IDS)
def test_param_without_grad_is_skipped(rng, cls_name, kwargs):
    model = Dummy(W=rng.standard_normal((3, 4)), b=rng.standard_normal(4))
    b0 = model.params["b"].copy()
    opt = getattr(optim, cls_name)(model.parameters(), **kwargs)
    model.grads["W"] = rng.standard_normal((3, 4))  # no grad for "b"
    opt.step()
    assert np.array_equal(model.params["b"], b0)
    assert opt.state[opt.params[1]] == {}


def test_zero_grad(rng):
    model = Dummy(W=rng.standard_normal((3, 4)), b=rng.standard_normal(4).astype(np.float32))
    model.grads["W"] = rng.standard_normal((3, 4))
    opt = optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    assert np.array_equal(model.grads["W"], np.zeros((3, 4)))
    assert model.grads["b"].dtype == np.float32 and not model.grads["b"].any()


def test_sgd_plain_formula_and_mutable_lr(rng):
    model = Dummy(W=rng.standard_normal((2, 3)))
    g = rng.standard_normal((2, 3))
    model.grads["W"] = g
    opt = optim.SGD(model.parameters(), lr=0.1)
    w0 = model.params["W"].copy()
    opt.step()
    np.testing.assert_allclose(model.params["W"], w0 - 0.1 * g, rtol=1e-15)
    opt.lr = 0.0
    w1 = model.params["W"].copy()
    opt.step()
    assert np.array_equal(model.params["W"], w1)


def test_adam_first_step_moves_each_weight_by_lr(rng):
    """With m and v bias-corrected, Adam's first step is lr * sign(g) (up to eps)."""
    model = Dummy(W=np.zeros((3, 3)))
    model.grads["W"] = rng.standard_normal((3, 3)) * 1e3
    optim.Adam(model.parameters(), lr=0.01).step()
    np.testing.assert_allclose(model.params["W"], -0.01 * np.sign(model.grads["W"]), rtol=1e-9)


def test_repr_lists_hyperparameters(rng):
    opt = optim.Adam(Dummy(W=np.zeros(2)).parameters(), lr=0.01)
    assert repr(opt) == (
        "Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False; "
        "1 parameters)"
    )


# -- hyperparameter validation ------------------------------------------------------
@pytest.mark.parametrize(
    ("cls_name", "kwargs", "match"),
    [
        ("SGD", {"lr": -0.1}, "lr"),
        ("SGD", {"momentum": -0.5}, "momentum"),
        ("SGD", {"weight_decay": -1}, "weight_decay"),
        ("SGD", {"nesterov": True}, "nesterov"),
        ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "dampening"),
        ("Adagrad", {"lr_decay": -1}, "lr_decay"),
        ("Adagrad", {"eps": -1}, "eps"),
        ("Adagrad", {"initial_accumulator_value": -1}, "initial_accumulator_value"),
        ("RMSprop", {"alpha": -0.1}, "alpha"),
        ("RMSprop", {"momentum": -0.1}, "momentum"),
        ("Adam", {"betas": (0.9, 1.0)}, r"betas\[1\]"),
        ("Adam", {"betas": (-0.1, 0.999)}, r"betas\[0\]"),
        ("Adam", {"betas": 0.9}, "pair"),
        ("Adam", {"eps": -1e-8}, "eps"),
        ("Adam", {"lr": float("nan")}, "lr"),
        ("AdamW", {"weight_decay": -0.1}, "weight_decay"),
    ],
)
def test_bad_hyperparameters_raise(cls_name, kwargs, match):
    params = Dummy(W=np.zeros(2)).parameters()
    with pytest.raises(ValueError, match=match):
        getattr(optim, cls_name)(params, **kwargs)


def test_bad_lr_assignment_raises():
    opt = optim.Adam(Dummy(W=np.zeros(2)).parameters())
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1.0


def test_bad_params_raise():
    model = Dummy(W=np.zeros(2))
    with pytest.raises(TypeError, match="model.parameters"):
        optim.SGD(model.params["W"])
    with pytest.raises(TypeError, match="Parameters"):
        optim.SGD([model.params["W"]])
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([])
    with pytest.raises(ValueError, match="more than once"):
        optim.Adam(model.parameters() + model.parameters())


# -- clipping ---------------------------------------------------------------------
def test_clip_grad_norm_returns_pre_clip_norm(rng):
    model = Dummy(W=np.zeros((3, 4)), b=np.zeros(4))
    model.grads = {"W": 10 * rng.standard_normal((3, 4)), "b": 10 * rng.standard_normal(4)}
    expected = math.sqrt(sum(float(np.sum(g**2)) for g in model.grads.values()))
    W_grad = model.grads["W"]
    total = optim.clip_grad_norm(model.parameters(), 1.0)
    assert total == pytest.approx(expected, rel=1e-14)
    assert model.grads["W"] is W_grad, "clipping must scale in place"
    new = math.sqrt(sum(float(np.sum(g**2)) for g in model.grads.values()))
    assert new <= 1.0
    assert new == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_leaves_small_grads(rng):
    model = Dummy(W=np.zeros(3))
    model.grads["W"] = g = np.array([0.1, -0.2, 0.3])
    g0 = g.copy()
    assert optim.clip_grad_norm(model.parameters(), 1.0) == pytest.approx(math.sqrt(0.14))
    assert np.array_equal(model.grads["W"], g0)


def test_clip_grad_norm_inf_and_float32(rng):
    model = Dummy(W=np.zeros((2, 2), dtype=np.float32), b=np.zeros(2, dtype=np.float32))
    model.grads = {
        "W": np.array([[1, -4], [2, 0]], dtype=np.float32),
        "b": np.array([3, 1], dtype=np.float32),
    }
    total = optim.clip_grad_norm(model.parameters(), 2.0, norm_type=float("inf"))
    assert total == 4.0 and isinstance(total, float)
    assert np.abs(model.grads["W"]).max() <= 2.0
    assert model.grads["W"].dtype == np.float32


def test_clip_skips_missing_grads_and_validates():
    model = Dummy(W=np.zeros(2), b=np.zeros(2))
    model.grads["W"] = np.array([3.0, 4.0])
    assert optim.clip_grad_norm(model.parameters(), 10.0) == 5.0
    assert optim.clip_grad_norm(Dummy(W=np.zeros(2)).parameters(), 1.0) == 0.0
    with pytest.raises(ValueError, match="norm_type"):
        optim.clip_grad_norm(model.parameters(), 1.0, norm_type=0)
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_grad_norm(model.parameters(), -1.0)
    model.grads["W"] = np.array([np.inf, 1.0])
    with pytest.raises(FloatingPointError, match="inf"):
        optim.clip_grad_norm(model.parameters(), 1.0, error_if_nonfinite=True)


def test_clip_grad_value_in_place():
    model = Dummy(W=np.zeros(4))
    model.grads["W"] = g = np.array([-3.0, -0.2, 0.4, 2.0])
    optim.clip_grad_value(model.parameters(), 0.5)
    assert model.grads["W"] is g
    assert np.array_equal(g, [-0.5, -0.2, 0.4, 0.5])
    with pytest.raises(ValueError, match="clip_value"):
        optim.clip_grad_value(model.parameters(), -1.0)


def test_lr_scheduler_alias():
    from nnlib import schedules

    assert optim.lr_scheduler is schedules


def test_clip_grad_norm_huge_float32_does_not_overflow():
    model = Dummy(W=np.zeros(3, dtype=np.float32))
    model.grads["W"] = np.array([3e20, 4e20, 0.0], dtype=np.float32)  # squares overflow float32
    total = optim.clip_grad_norm(model.parameters(), 1.0)
    assert total == pytest.approx(5e20, rel=1e-6)
    np.testing.assert_allclose(model.grads["W"], [0.6, 0.8, 0.0], rtol=1e-6)
    assert model.grads["W"].dtype == np.float32
