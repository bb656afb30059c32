"""Callbacks: the hooks of train_step and fit, and the callbacks fit's keywords build."""

import io
import math

import numpy as np
import pytest

from nnlib.callbacks import (
    Callback,
    CallbackList,
    LearningRateScheduler,
    ProgressPrinter,
    StopTraining,
    TerminateOnNaN,
)
from nnlib.clip import GradientClipping, clip_grad_norm, clip_grad_value
from nnlib.datasets import make_moons
from nnlib.layers import Linear, Sequential, Tanh
from nnlib.losses import L1, L2, BCEWithLogitsLoss, MSELoss
from nnlib.optim import SGD, Adam
from nnlib.schedules import StepLR
from nnlib.training import fit, train_step


def mlp(sizes=(2, 8, 1), rng=0):
    gen = np.random.default_rng(rng)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b, rng=gen))
        if i < len(sizes) - 2:
            layers.append(Tanh())
    return Sequential(*layers)


def moons(n=40):
    X, y = make_moons(n, noise=0.1, rng=0)
    return X, y.reshape(-1, 1).astype(float)


def params_copy(model):
    return [p.data.copy() for p in model.parameters()]


class EventLog(Callback):
    """Records every hook call, with what the hook can observe at that moment."""

    def __init__(self):
        self.events = []

    def on_train_begin(self, model):
        self.model = model
        self.events.append("train_begin")

    def on_epoch_begin(self, epoch):
        self.events.append(f"epoch_begin {epoch}")

    def on_before_backward(self, loss):
        self.events.append("before_backward")

    def on_after_backward(self, model):
        self.events.append("after_backward")

    def on_train_batch_end(self, out, yb, loss):
        self.events.append(f"batch_end {len(yb)}")

    def on_epoch_end(self, epoch, logs):
        self.events.append(f"epoch_end {epoch}")

    def on_train_end(self, history):
        self.events.append(f"train_end {len(history)}")


# -- train_step ----------------------------------------------------------------------
def test_train_step_is_forward_loss_backward_step_with_the_hooks_in_between():
    X, y = moons()
    model, ref = mlp(), mlp()
    seen = {}

    class Probe(Callback):
        def on_before_backward(self, loss):
            seen["grads_before_backward"] = [p.grad for p in model.parameters()]

        def on_after_backward(self, model):
            seen["grads"] = [p.grad.copy() for p in model.parameters()]
            seen["unchanged"] = all(
                np.array_equal(a, p.data) for a, p in zip(params_copy(ref), model.parameters())
            )

        def on_train_batch_end(self, out, yb, loss):
            seen["out"], seen["yb"], seen["loss"] = out, yb, loss

    loss = train_step(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.5), X, y, [Probe()])
    # the same step written out by hand
    loss_fn = BCEWithLogitsLoss()
    out = ref.forward(X)
    expected = loss_fn.forward(out, y)
    ref.backward(loss_fn.backward())
    grads = [p.grad.copy() for p in ref.parameters()]
    SGD(ref.parameters(), lr=0.5).step()

    assert loss == expected == seen["loss"]
    assert seen["grads_before_backward"] == [None] * 4  # no gradient before backward
    assert seen["unchanged"]  # on_after_backward runs before the update
    assert all(np.array_equal(a, b) for a, b in zip(seen["grads"], grads))
    assert np.array_equal(seen["out"], out) and seen["yb"] is y
    assert all(np.array_equal(a.data, b.data) for a, b in zip(model.parameters(), ref.parameters()))


@pytest.mark.parametrize("reg", [L2(0.3), L1(0.2)], ids=["L2", "L1"])
def test_a_penalty_callback_adds_to_the_loss_and_to_the_weight_gradients(reg):
    X, y = moons()
    model, ref = mlp(), mlp()
    loss = train_step(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.0), X, y, [reg])
    loss_fn = BCEWithLogitsLoss()
    plain = loss_fn.forward(ref.forward(X), y)
    ref.backward(loss_fn.backward())
    assert loss == pytest.approx(plain + reg.penalty(ref), rel=1e-12)
    for p, q in zip(model.parameters(), ref.parameters()):
        shift = (
            0.0
            if p.name == "b"
            else (0.3 * q.data if isinstance(reg, L2) else 0.2 * np.sign(q.data))
        )
        np.testing.assert_allclose(p.grad, q.grad + shift, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "kwargs", [{"clip_norm": 0.05}, {"clip_value": 0.01}, {"clip_norm": 0.05, "clip_value": 0.01}]
)
def test_gradient_clipping_callback_is_clip_grad_value_then_clip_grad_norm(kwargs):
    X, y = moons()
    model, ref = mlp(), mlp()
    seen = []
    opt = SGD(model.parameters(), lr=0.1)
    inner = opt.step
    opt.step = lambda: (seen.append([p.grad.copy() for p in model.parameters()]), inner())
    train_step(model, MSELoss(), opt, X, y, [GradientClipping(**kwargs)])
    loss_fn = MSELoss()
    loss_fn.forward(ref.forward(X), y)
    ref.backward(loss_fn.backward())
    grads = [p.grad for p in ref.parameters()]
    assert max(float(np.abs(g).max()) for g in grads) > 0.01  # both thresholds bind
    assert math.sqrt(sum(float(np.sum(g**2)) for g in grads)) > 0.05
    if "clip_value" in kwargs:
        clip_grad_value(ref.parameters(), kwargs["clip_value"])
    if "clip_norm" in kwargs:
        clip_grad_norm(ref.parameters(), kwargs["clip_norm"])
    assert all(np.array_equal(a, q.grad) for a, q in zip(seen[0], ref.parameters()))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "needs clip_norm or clip_value"),
        ({"clip_norm": 0.0}, "clip_norm must be > 0"),
        ({"clip_value": -1.0}, "clip_value must be > 0"),
        ({"clip_norm": float("nan")}, "clip_norm must be > 0"),
    ],
)
def test_gradient_clipping_rejects_bad_thresholds(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GradientClipping(**kwargs)


def test_terminate_on_nan_stops_train_step_before_a_bad_update():
    X, y = moons()
    model = Sequential(Linear(2, 1, rng=0))
    before = params_copy(model)
    opt = SGD(model.parameters(), lr=1.0)
    stop = TerminateOnNaN()
    # inputs ~1e100: the loss (~1e200) is finite, ||dW||^2 (~1e400) is not
    with np.errstate(over="ignore"):
        with pytest.raises(StopTraining, match="batch 1: the gradient norm became inf"):
            train_step(model, MSELoss(), opt, X * 1e100, y, [stop])
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(StopTraining, match="batch 2: the loss became nan"):
        train_step(model, MSELoss(), opt, X_nan, y, [stop])
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))


def test_terminate_on_nan_rejects_unknown_modes():
    with pytest.raises(ValueError, match="on_nonfinite must be 'stop' or 'raise'"):
        TerminateOnNaN("ignore")


# -- fit ----------------------------------------------------------------------------
def test_fit_calls_the_hooks_in_order():
    X, y = moons(10)
    log = EventLog()
    model = mlp()
    fit(model, BCEWithLogitsLoss(), SGD(model.parameters()), X, y, epochs=2, batch_size=6,
        shuffle=False, callbacks=[log])  # fmt: skip
    batch = ["before_backward", "after_backward"]
    epoch = [*batch, "batch_end 6", *batch, "batch_end 4"]
    assert log.events == [
        "train_begin",
        "epoch_begin 1", *epoch, "epoch_end 1",
        "epoch_begin 2", *epoch, "epoch_end 2",
        "train_end 2",
    ]  # fmt: skip


def run(**kwargs):
    X, y = moons(60)
    model = mlp((2, 8, 8, 1))
    opt = SGD(model.parameters(), lr=0.5)
    sched = kwargs.pop("sched", None)
    if sched == "keyword":
        kwargs["scheduler"] = StepLR(opt, step_size=1, gamma=0.5)
    elif sched == "callback":
        kwargs["callbacks"] = [LearningRateScheduler(StepLR(opt, step_size=1, gamma=0.5))]
    h = fit(model, BCEWithLogitsLoss(), opt, X, y, epochs=4, batch_size=16, rng=0, **kwargs)
    return h, params_copy(model)


@pytest.mark.parametrize(
    "keyword, callback",
    [
        ({"clip_norm": 0.1}, {"callbacks": [GradientClipping(clip_norm=0.1)]}),
        ({"clip_value": 0.01}, {"callbacks": [GradientClipping(clip_value=0.01)]}),
        ({"regularizer": L2(0.05)}, {"callbacks": [L2(0.05)]}),
        ({"sched": "keyword"}, {"sched": "callback"}),
    ],
    ids=["clip_norm", "clip_value", "regularizer", "scheduler"],
)
def test_each_keyword_is_the_callback_it_builds(keyword, callback):
    h1, p1 = run(**keyword)
    h2, p2 = run(**callback)
    h0, p0 = run()
    assert all(np.array_equal(a, b) for a, b in zip(p1, p2))
    assert h1.loss == h2.loss and h1.lr == h2.lr
    assert not all(np.array_equal(a, b) for a, b in zip(p1, p0))  # the keyword did something


def test_grad_norm_includes_the_penalty_gradient():
    X, y = moons(30)
    model = mlp()
    reg = L2(0.5)
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.0), X, y, regularizer=reg)
    loss_fn = BCEWithLogitsLoss()
    loss_fn.forward(model.forward(X), y)
    model.backward(loss_fn.backward())
    reg.add_grad(model)
    expected = math.sqrt(sum(float(np.sum(p.grad**2)) for p in model.parameters()))
    assert h.grad_norm[0] == pytest.approx(expected, rel=1e-12)


def test_stop_training_from_a_hook_ends_fit_without_the_update_in_progress():
    X, y = moons(40)
    model = mlp()
    snaps = []

    class StopInEpoch3(Callback):
        def on_epoch_begin(self, epoch):
            self.epoch = epoch
            snaps.append(params_copy(model))

        def on_after_backward(self, model):
            if self.epoch == 3:
                raise StopTraining("enough")

    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.05), X, y, epochs=10,
            callbacks=[StopInEpoch3()])  # fmt: skip
    assert h.epoch == [1, 2, 3] and h.stopped_early
    assert h.stop_reason == "Training stopped at epoch 3, enough"
    assert all(np.array_equal(a, p.data) for a, p in zip(snaps[-1], model.parameters()))
    assert math.isnan(h.grad_norm[-1]) and math.isfinite(h.loss[-1])


def test_callback_list_accepts_functions_duck_typed_objects_and_bare_callbacks():
    calls = []

    class DuckBar:  # not a Callback subclass, like widgets.ProgressBar
        def on_epoch_end(self, epoch, logs):
            calls.append(("duck", epoch))

    def fn(epoch, logs):
        calls.append(("fn", epoch))

    hooks = CallbackList([DuckBar(), fn, Callback()])
    assert hooks.on_epoch_end(1, {"loss": 0.5}) == []
    assert calls == [("duck", 1), ("fn", 1)]
    assert hooks.hooks["on_after_backward"] == []  # Callback's do-nothing hooks are not called
    assert hooks.penalty(None) == 0.0
    with pytest.raises(TypeError, match="each callback must be"):
        CallbackList([3.0])


def test_progress_printer_prints_the_last_epoch_and_why_it_stopped():
    X, y = moons(30)
    model = mlp()
    buf = io.StringIO()
    printer = ProgressPrinter(20, every=4, file=buf)
    fit(model, BCEWithLogitsLoss(), Adam(model.parameters()), X, y, epochs=20,
        callbacks=[lambda epoch, logs: epoch == 6, printer])  # fmt: skip
    lines = buf.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("epoch  4/20  loss ") and lines[1].startswith("epoch  6/20  loss ")
    assert lines[2] == "stopped by callback (<lambda>) after epoch 6"
