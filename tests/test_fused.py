"""The fast path (nnlib.fused) against the readable one: same numbers, every option, every layer."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from nnlib import optim
from nnlib.activations import (
    ELU,
    GELU,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from nnlib.fused import CHUNK, TrainStep
from nnlib.gradcheck import rel_error
from nnlib.layers import Dropout, Linear, Sequential
from nnlib.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from nnlib.module import Module
from nnlib.normalization import BatchNorm1d, LayerNorm
from nnlib.residual import Residual

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "torch_reference.npz"
STEPS = 50
F64_RTOL = 1e-12
F32_MAXULP = 4

# every optimizer and every option it has
CONFIGS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}),
    ("Adagrad", {"lr": 0.05}),
    (
        "Adagrad",
        {"lr": 0.05, "lr_decay": 0.05, "weight_decay": 0.05, "initial_accumulator_value": 0.1},
    ),
    ("RMSprop", {"lr": 0.005}),
    ("RMSprop", {"lr": 0.005, "centered": True}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.9, "weight_decay": 0.05}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.9, "momentum": 0.5, "centered": True, "eps": 1e-6}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "betas": (0.8, 0.99)}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "amsgrad": True}),
]
IDS = [
    f"{c}-{'-'.join(f'{k}={v}' for k, v in kw.items() if k != 'lr') or 'default'}"
    for c, kw in CONFIGS
]
DTYPES = [np.float64, np.float32]


class Arrays(Module):
    """A layer that only holds arrays: the tests set ``grads`` by hand."""

    def __init__(self, **arrays: np.ndarray) -> None:
        super().__init__()
        self.params = dict(arrays)


def assert_same(mine, ref, dtype, what=""):
    """float64: relative error <= 1e-12; float32: within a few units in the last place."""
    mine, ref = np.asarray(mine), np.asarray(ref)
    assert mine.dtype == ref.dtype == dtype, what
    if dtype == np.float64:
        assert rel_error(mine, ref) <= F64_RTOL, what
    else:
        np.testing.assert_array_max_ulp(mine, ref, maxulp=F32_MAXULP)


# -- the flat optimizer update --------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("cls_name", "kwargs"), CONFIGS, ids=IDS)
def test_fused_update_equals_the_readable_one_over_50_steps(cls_name, kwargs, dtype, rng):
    shapes = [(3, 4), (4,), (CHUNK + 5,)]  # the last spans two chunks of the fused loop
    start = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(STEPS)]
    runs = []
    for fused in (False, True):
        model = Arrays(**{f"p{i}": a.copy() for i, a in enumerate(start)})
        opt = getattr(optim, cls_name)(model.parameters(), fused=fused, **kwargs)
        for g in grads:
            model.grads = {f"p{i}": gi for i, gi in enumerate(g)}
            opt.step()
        runs.append((model, opt))
    (ref, ref_opt), (fast, fast_opt) = runs
    for name in ref.params:
        assert_same(fast.params[name], ref.params[name], dtype, name)
    for p, q in zip(ref_opt.params, fast_opt.params, strict=True):
        assert ref_opt.state[p].keys() == fast_opt.state[q].keys()
        for key, value in ref_opt.state[p].items():
            if isinstance(value, np.ndarray):
                assert_same(fast_opt.state[q][key], value, dtype, key)
            else:
                assert fast_opt.state[q][key] == value


def test_fused_update_matches_the_torch_fixture():
    with np.load(FIXTURE) as data:
        ref = {k: data[k] for k in data.files}
    meta = json.loads(str(ref["meta"]))
    for index, (name, cls_name, kwargs) in enumerate(meta["optim_configs"]):
        model = Arrays(a=ref["p0_0"].astype(np.float64), b=ref["p0_1"].astype(np.float64))
        opt = getattr(optim, cls_name)(model.parameters(), fused=True, **kwargs)
        for k in range(1, meta["n_steps"] + 1):
            model.grads = {
                "a": ref["grads_0"][k - 1].astype(np.float64),
                "b": ref["grads_1"][k - 1].astype(np.float64),
            }
            opt.step()
        mine = np.concatenate([model.params["a"].ravel(), model.params["b"]])
        assert rel_error(mine, ref["optim"][index, -1]) <= 1e-10, name


@pytest.mark.parametrize(("cls_name", "kwargs"), CONFIGS, ids=IDS)
def test_parameters_without_gradient_or_at_other_steps_are_updated_one_by_one(
    cls_name, kwargs, rng
):
    start = {"a": rng.standard_normal((3, 2)), "b": rng.standard_normal(5)}
    runs = []
    for fused in (False, True):
        model = Arrays(**{k: v.copy() for k, v in start.items()})
        opt = getattr(optim, cls_name)(model.parameters(), fused=fused, **kwargs)
        local = np.random.default_rng(7)
        for k in range(12):
            model.grads = {"a": local.standard_normal((3, 2))}  # "b" waits 4 steps...
            if k >= 4 and k % 3:  # ...then gets a gradient on some steps only
                model.grads["b"] = local.standard_normal(5)
            opt.step()
        runs.append((model, opt))
    (ref, ref_opt), (fast, fast_opt) = runs
    for name in start:
        assert_same(fast.params[name], ref.params[name], np.float64, name)
    assert fast_opt.state[fast_opt.params[1]].get("step") == ref_opt.state[ref_opt.params[1]].get(
        "step"
    )


def test_fused_layers_hold_views_of_one_flat_buffer(rng):
    model = Sequential(Linear(3, 4, rng=0), Tanh(), Linear(4, 2, rng=1))
    before = [p.data.copy() for p in model.parameters()]
    opt = optim.Adam(model.parameters(), fused=True)
    flat = opt._fused.flat_params
    for p, b in zip(model.parameters(), before, strict=True):
        assert np.shares_memory(p.data, flat)
        np.testing.assert_array_equal(p.data, b)
    assert flat.size == model.num_parameters()
    assert "fused=True" in repr(opt)


def test_fused_zero_grad_zeroes_the_flat_gradient_buffer(rng):
    model = Arrays(a=rng.standard_normal((2, 3)), b=rng.standard_normal(3))
    opt = optim.SGD(model.parameters(), lr=0.1, fused=True)
    model.grads = {"a": rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
    opt.step()
    opt.zero_grad()
    for p in opt.params:
        assert np.shares_memory(p.grad, opt._fused.flat_grads)
        assert p.grad.shape == p.shape and not p.grad.any()
    before = {k: v.copy() for k, v in model.params.items()}
    opt.step()  # zero gradients: plain SGD leaves the weights where they are
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, before[k])


def test_fused_refusals_say_what_to_do(rng):
    mixed = Arrays(a=np.zeros(2), b=np.zeros(2, dtype=np.float32))
    with pytest.raises(TypeError, match="one floating dtype.*astype"):
        optim.SGD(mixed.parameters(), fused=True)

    class MyAdam(optim.Adam):
        def _update(self, w, g, state):
            w -= g

    with pytest.raises(TypeError, match="MyAdam has no fused update"):
        MyAdam(Arrays(a=np.zeros(2)).parameters(), fused=True)
    model = Sequential(Linear(2, 2, rng=0))
    opt = optim.SGD(model.parameters(), lr=0.1, fused=True)
    model.astype(np.float32)
    model.grads = {}
    model[0].grads = {"W": np.ones((2, 2), np.float32), "b": np.ones(2, np.float32)}
    with pytest.raises(RuntimeError, match="build the optimizer again"):
        opt.step()
    with pytest.raises(ValueError, match="fused=True"):
        TrainStep(model, MSELoss(), optim.SGD(model.parameters()))


# -- the preplanned training step -------------------------------------------------------
def every_layer_model(dtype, c_out):
    """One model holding every layer type of the library, a nested Sequential too."""
    return Sequential(
        Linear(4, 12, rng=0, dtype=dtype),
        Tanh(),
        Linear(12, 12, rng=1, dtype=dtype),
        BatchNorm1d(12, dtype=dtype),
        ReLU(),
        Residual(Sequential(Linear(12, 12, rng=8, dtype=dtype), Tanh())),
        LayerNorm(12, dtype=dtype),
        Dropout(0.25, rng=3),
        Sequential(Linear(12, 10, rng=2, dtype=dtype), LeakyReLU(0.1), Sigmoid()),
        Linear(10, 10, bias=False, rng=4, dtype=dtype),
        ELU(),
        Identity(),
        Linear(10, 8, rng=5, dtype=dtype),
        GELU(),
        SiLU(),
        Tanh(),
        Linear(8, 8, rng=6, dtype=dtype),
        Softmax(),
        ReLU(),
        Linear(8, c_out, rng=7, dtype=dtype),
    )


def reference_step(model, loss_fn, opt, xb, yb):
    """The four readable lines."""
    loss = loss_fn(model.forward(xb), yb)
    if math.isfinite(loss):
        model.backward(loss_fn.backward())
        opt.step()
    return loss


LOSSES = {
    "cross_entropy": (CrossEntropyLoss, 3),
    "bce_with_logits": (BCEWithLogitsLoss, 1),
    "mse": (MSELoss, 2),
}


def data(loss_name, dtype, n=37):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((n, 4)).astype(dtype)
    if loss_name == "cross_entropy":
        y = rng.integers(0, 3, size=n)
    elif loss_name == "bce_with_logits":
        y = (rng.random((n, 1)) > 0.5).astype(dtype)
    else:
        y = rng.standard_normal((n, 2)).astype(dtype)
    return x, y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("cls_name", "kwargs"), CONFIGS, ids=IDS)
def test_train_step_equals_the_readable_step_over_50_steps(cls_name, kwargs, dtype):
    x, y = data("cross_entropy", dtype)
    batches = [slice(0, 16), slice(16, 32), slice(32, 37)]  # the last one is short
    models, losses = [], []
    for fused in (False, True):
        model = every_layer_model(dtype, 3)
        opt = getattr(optim, cls_name)(model.parameters(), fused=fused, **kwargs)
        loss_fn = CrossEntropyLoss()
        step = TrainStep(model, loss_fn, opt) if fused else None
        run = []
        for k in range(STEPS):
            sl = batches[k % 3]
            if fused:
                run.append(step(x[sl], y[sl]))
            else:
                run.append(reference_step(model, loss_fn, opt, x[sl], y[sl]))
        models.append(model)
        losses.append(np.array(run, dtype=dtype))
    ref, fast = models
    for (name, p), q in zip(named(ref), fast.parameters(), strict=True):
        assert_same(q.data, p.data, dtype, name)
        assert_same(q.grad, p.grad, dtype, f"grad of {name}")
    assert_same(losses[1], losses[0], dtype, "losses")


@pytest.mark.parametrize("loss_name", ["bce_with_logits", "mse"])
def test_train_step_with_other_losses_and_a_lone_layer(loss_name):
    cls, c_out = LOSSES[loss_name]
    x, y = data(loss_name, np.float64)
    for make in (lambda: every_layer_model(np.float64, c_out), lambda: Linear(4, c_out, rng=0)):
        ref, fast = make(), make()
        ref_opt = optim.Adam(ref.parameters(), lr=0.01)
        step = TrainStep(fast, cls(), optim.Adam(fast.parameters(), lr=0.01, fused=True))
        ref_loss = cls()
        for _ in range(STEPS):
            assert step(x, y) == pytest.approx(
                reference_step(ref, ref_loss, ref_opt, x, y), rel=1e-12
            )
        for p, q in zip(ref.parameters(), fast.parameters(), strict=True):
            assert rel_error(q.data, p.data) <= F64_RTOL


def named(model):
    from nnlib.module import named_parameters

    return named_parameters(model)


def test_train_step_skips_the_update_when_the_loss_is_not_finite():
    model = Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 1, rng=1))
    step = TrainStep(model, MSELoss(), optim.SGD(model.parameters(), lr=0.1, fused=True))
    before = [p.data.copy() for p in model.parameters()]
    loss = step(np.ones((4, 2)), np.array([[np.nan]] * 4))
    assert math.isnan(loss)
    for p, b in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)


def test_train_step_keeps_the_readable_errors():
    model = Sequential(
        Linear(3, 2, rng=0, dtype=np.float32), Tanh(), Linear(2, 1, rng=1, dtype=np.float32)
    )
    step = TrainStep(model, MSELoss(), optim.Adam(model.parameters(), fused=True))
    with pytest.raises(TypeError, match="float32 parameters but got float64 input"):
        step(np.ones((4, 3)), np.ones((4, 1), np.float32))
    with pytest.raises(ValueError, match=r"got input of shape \(4, 5\); expected \(N, 3\)"):
        step(np.ones((4, 5), np.float32), np.ones((4, 1), np.float32))


def test_train_step_leaves_the_input_alone_and_trains(rng):
    x = rng.standard_normal((64, 2))
    y = (x[:, :1] * x[:, 1:] > 0).astype(float)  # XOR-like quadrants
    x0 = x.copy()
    model = Sequential(Linear(2, 16, rng=0), Tanh(), Linear(16, 1, rng=1))
    step = TrainStep(
        model, BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.05, fused=True)
    )
    first = step(x, y)
    for _ in range(300):
        last = step(x, y)
    np.testing.assert_array_equal(x, x0)
    assert last < 0.5 * first


def test_train_step_losses_fall_back_to_the_readable_ones_for_their_messages():
    model = Sequential(Linear(4, 3, rng=0), Tanh())
    step = TrainStep(model, CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, fused=True))
    x = np.ones((2, 4))
    with pytest.raises(ValueError, match=r"labels must be in \[0, C-1\] = \[0, 2\]; got 3"):
        step(x, np.array([0, 3]))
    with pytest.raises(TypeError, match="integer class labels"):
        step(x, np.array([0.0, 1.0]))
    step = TrainStep(model, BCEWithLogitsLoss(), optim.SGD(model.parameters(), lr=0.1, fused=True))
    with pytest.raises(ValueError, match="BCEWithLogitsLoss expects target in"):
        step(x, np.full((2, 3), 2.0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_train_step_with_probability_targets_and_float32_bce_equals_the_readable_step(dtype):
    x, labels = data("cross_entropy", dtype)
    probs = np.full((len(x), 3), 0.1, dtype=dtype)
    probs[np.arange(len(x)), labels] = 0.8
    y01 = (labels[:, None] > 0).astype(dtype)
    for loss_cls, c_out, y in ((CrossEntropyLoss, 3, probs), (BCEWithLogitsLoss, 1, y01)):
        ref, fast = every_layer_model(dtype, c_out), every_layer_model(dtype, c_out)
        ref_opt = optim.Adam(ref.parameters(), lr=0.01)
        step = TrainStep(fast, loss_cls(), optim.Adam(fast.parameters(), lr=0.01, fused=True))
        ref_loss = loss_cls()
        for _ in range(STEPS):
            mine, theirs = step(x, y), reference_step(ref, ref_loss, ref_opt, x, y)
            assert_same(np.array([mine], dtype), np.array([theirs], dtype), dtype, "loss")
        for p, q in zip(ref.parameters(), fast.parameters(), strict=True):
            assert_same(q.data, p.data, dtype, loss_cls.__name__)


@pytest.mark.parametrize("classes", [2, 40])  # the fast max differs below and above 32 classes
def test_train_step_cross_entropy_with_few_and_many_classes(classes, rng):
    x = rng.standard_normal((30, 4))
    y = rng.integers(0, classes, size=30)
    ref = Sequential(Linear(4, 8, rng=0), ReLU(), Linear(8, classes, rng=1))
    fast = Sequential(Linear(4, 8, rng=0), ReLU(), Linear(8, classes, rng=1))
    ref_opt, ref_loss = optim.Adam(ref.parameters(), lr=0.01), CrossEntropyLoss()
    step = TrainStep(fast, CrossEntropyLoss(), optim.Adam(fast.parameters(), lr=0.01, fused=True))
    for _ in range(STEPS):
        assert step(x, y) == pytest.approx(reference_step(ref, ref_loss, ref_opt, x, y), rel=1e-12)
    for p, q in zip(ref.parameters(), fast.parameters(), strict=True):
        assert rel_error(q.data, p.data) <= F64_RTOL
