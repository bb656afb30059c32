"""The training loop: fit, train_step, predict, accuracy, History and callbacks."""

import io
import math

import numpy as np
import pytest

from nnlib.datasets import make_blobs, make_moons, make_sine
from nnlib.layers import Dropout, Linear, ReLU, Sequential, Tanh
from nnlib.losses import L2, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from nnlib.module import Module
from nnlib.optim import SGD, Adam
from nnlib.schedules import StepLR
from nnlib.training import (
    Callback,
    History,
    TrainingDivergedError,
    TrainingDivergedWarning,
    accuracy,
    fit,
    named_parameters,
    predict,
    train_step,
)


# -- helpers ------------------------------------------------------------------
def mlp(sizes=(2, 16, 16, 1), act=Tanh, init="xavier_uniform", rng=0, dtype=np.float64):
    gen = np.random.default_rng(rng)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b, init=init, rng=gen, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(act())
    return Sequential(*layers)


def moons(n=200, dtype=np.float64):
    X, y = make_moons(n, noise=0.1, rng=0, dtype=dtype)
    return X, y.reshape(-1, 1).astype(dtype)


def params_copy(model):
    return [p.data.copy() for p in model.parameters()]


class CountingOptimizer:
    """Wraps an optimizer; counts steps and records the global grad norm at each step."""

    def __init__(self, inner):
        self.inner = inner
        self.params = inner.params
        self.steps = 0
        self.norms = []

    @property
    def lr(self):
        return self.inner.lr

    def step(self):
        self.steps += 1
        self.norms.append(math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in self.params)))
        self.inner.step()


class BatchRecordingLoss(BCEWithLogitsLoss):
    """Records the number of rows of every batch it sees."""

    def __init__(self):
        super().__init__()
        self.sizes = []

    def forward(self, pred, target):
        self.sizes.append(len(pred))
        return super().forward(pred, target)


class Recorder(Module):
    """An identity layer that records what reaches it (placed first in a model)."""

    def __init__(self):
        super().__init__()
        self.inputs = []

    def forward(self, x):
        self.inputs.append(x)
        return x.copy()

    def backward(self, dout):
        return dout.copy()


# -- the requirements ---------------------------------------------------
def test_fit_learns_moons_within_2000_full_batch_adam_steps():
    X, y = moons()
    model = mlp()
    opt = Adam(model.parameters(), lr=0.01)
    h = fit(model, BCEWithLogitsLoss(), opt, X, y, epochs=2000, rng=0)
    assert len(h.epoch) == 2000 and not h.stopped_early
    assert h.accuracy[-1] >= 0.95
    # the recorded accuracy agrees with an independent evaluation after training
    assert accuracy(predict(model, X), y, from_logits=True) >= 0.95
    assert h.loss[-1] < 0.1 * h.loss[0]


@pytest.mark.parametrize("init", ["zeros", "constant"])
def test_constant_initialization_keeps_hidden_units_identical(init):
    """The symmetry problem: units that start equal get equal gradients forever."""
    X, y = moons()

    def const(shape, rng=None, dtype=np.float64):
        return np.full(shape, 0.3, dtype=dtype)

    w_init = "zeros" if init == "zeros" else const
    model = Sequential(Linear(2, 8, init=w_init), Tanh(), Linear(8, 1, init=w_init))
    W1_before = model[0].params["W"].copy()
    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.01), X, y, epochs=200)
    W1, b1, W2 = model[0].params["W"], model[0].params["b"], model[2].params["W"]
    assert np.allclose(W1, W1[:, :1])  # every hidden unit has the same incoming weights
    assert np.allclose(b1, b1[0])
    assert np.allclose(W2, W2[0])
    if init == "zeros":  # worse still: with W2 = 0 no gradient reaches W1 at all
        assert np.all(W1 == 0) and np.all(W2 == 0)
        assert h.loss[-1] == pytest.approx(np.log(2), abs=1e-6)  # nothing learned
    else:
        assert not np.allclose(W1, W1_before)  # the weights moved, but together
        assert h.loss[-1] < h.loss[0]


def test_random_initialization_breaks_the_symmetry():
    X, y = moons()
    model = mlp((2, 8, 1))
    fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.01), X, y, epochs=20)
    W1 = model[0].params["W"]
    assert not np.allclose(W1, W1[:, :1])


# -- mini-batches -----------------------------------------------------------------
@pytest.mark.parametrize(
    "batch_size, steps, sizes",
    [(1, 50, [1] * 50), (None, 1, [50]), (50, 1, [50]), (500, 1, [50]), (16, 4, [16, 16, 16, 2])],
)
def test_steps_per_epoch_and_batch_sizes(batch_size, steps, sizes):
    X, y = moons(50)
    model = mlp((2, 4, 1))
    opt = CountingOptimizer(SGD(model.parameters(), lr=0.1))
    loss_fn = BatchRecordingLoss()
    h = fit(model, loss_fn, opt, X, y, epochs=3, batch_size=batch_size, rng=0)
    assert opt.steps == 3 * steps
    assert loss_fn.sizes == sizes * 3  # the last partial batch is kept
    assert h.params["steps_per_epoch"] == steps


def test_full_batch_feeds_X_itself_every_epoch():
    X, y = moons(40)
    rec = Recorder()
    model = Sequential(rec, Linear(2, 4), Tanh(), Linear(4, 1))
    fit(model, BCEWithLogitsLoss(), Adam(model.parameters()), X, y, epochs=3, shuffle=True)
    assert len(rec.inputs) == 3
    assert all(x is X for x in rec.inputs)  # no per-epoch copy or shuffle of X


def test_shuffle_is_reproducible_with_the_same_rng():
    X, y = moons(60)
    runs = []
    for seed in (1, 1, 2):
        model = mlp((2, 8, 1))
        h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y,
                epochs=3, batch_size=8, rng=seed)  # fmt: skip
        runs.append((params_copy(model), h.loss))
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][0], runs[1][0]))
    assert runs[0][1] == runs[1][1]
    assert not all(np.array_equal(a, b) for a, b in zip(runs[0][0], runs[2][0]))


def test_shuffle_false_visits_rows_in_order():
    X, y = moons(20)
    rec = Recorder()
    model = Sequential(rec, Linear(2, 1))
    fit(model, BCEWithLogitsLoss(), SGD(model.parameters()), X, y, epochs=2, batch_size=8,
        shuffle=False)  # fmt: skip
    seen = np.concatenate(rec.inputs)
    assert np.array_equal(seen, np.concatenate([X, X]))


def test_shuffle_true_changes_the_order_each_epoch():
    X, y = moons(20)
    rec = Recorder()
    model = Sequential(rec, Linear(2, 1))
    fit(model, BCEWithLogitsLoss(), SGD(model.parameters()), X, y, epochs=2, batch_size=20,
        rng=0)  # fmt: skip
    assert len(rec.inputs) == 2  # batch_size == N: full batch, not shuffled
    rec.inputs.clear()
    fit(model, BCEWithLogitsLoss(), SGD(model.parameters()), X, y, epochs=2, batch_size=10,
        rng=0)  # fmt: skip
    e1, e2 = np.concatenate(rec.inputs[:2]), np.concatenate(rec.inputs[2:])
    assert not np.array_equal(e1, X) and not np.array_equal(e1, e2)
    assert np.array_equal(np.sort(e1, axis=0), np.sort(X, axis=0))  # the same rows


# -- what History records ----------------------------------------------------------
def test_history_records_every_quantity_per_epoch():
    X, y = moons(80)
    Xv, yv = make_moons(40, noise=0.1, rng=1)
    model = mlp((2, 8, 8, 1))
    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.01), X, y, epochs=5,
            batch_size=16, validation_data=(Xv, yv.reshape(-1, 1)), rng=0)  # fmt: skip
    assert h.epoch == [1, 2, 3, 4, 5]
    expected = {"loss", "accuracy", "grad_norm", "lr", "val_loss", "val_accuracy"}
    assert set(h.history) == expected
    assert all(len(v) == 5 for v in h.history.values())
    assert all(0.0 <= a <= 1.0 for a in h.accuracy + h.val_accuracy)
    assert all(g > 0 for g in h.grad_norm)
    assert h.lr == [0.01] * 5
    assert len(h.layer_grad_norms) == 5
    assert list(h.layer_grad_norms[0]) == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    assert h.loss is h.history["loss"] and h["val_loss"] is h.history["val_loss"]
    with pytest.raises(AttributeError, match="recorded: loss"):
        h.nonexistent
    assert repr(h).startswith("History(epochs=5, loss=")
    assert len(h) == 5 and not h.stopped_early and h.stop_reason is None


def test_validation_loss_matches_an_eval_mode_evaluation():
    X, y = moons(60)
    model = Sequential(Linear(2, 8, rng=0), Tanh(), Dropout(0.5, rng=0), Linear(8, 1, rng=1))
    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters()), X, y, epochs=2,
            validation_data=(X, y))  # fmt: skip
    assert model.training  # restored
    val = BCEWithLogitsLoss()(predict(model, X), y)
    assert h.val_loss[-1] == pytest.approx(val, rel=1e-12)


def test_full_batch_grad_norm_is_the_norm_of_all_parameter_gradients():
    X, y = moons(50)
    model = mlp((2, 6, 1))
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.0), X, y, epochs=1)
    per_layer = np.array(list(h.layer_grad_norms[0].values()))
    assert h.grad_norm[0] == pytest.approx(np.sqrt(np.sum(per_layer**2)), rel=1e-12)
    norms = {k: np.linalg.norm(p.grad) for k, p in named_parameters(model)}
    assert h.layer_grad_norms[0] == pytest.approx(norms, rel=1e-12)


def test_loss_is_the_batch_size_weighted_mean():
    X, y = moons(10)
    model = mlp((2, 3, 1))
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.0), X, y, epochs=1,
            batch_size=4, shuffle=False)  # fmt: skip
    assert h.loss[0] == pytest.approx(BCEWithLogitsLoss()(model.forward(X), y), rel=1e-12)


# -- metrics ----------------------------------------------------------------------
def test_accuracy_helper():
    assert accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0])) == 0.5
    assert accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.eye(2)) == 1.0  # one-hot
    probs = np.array([[0.2], [0.7], [0.6]])
    assert accuracy(probs, np.array([0, 1, 0])) == pytest.approx(2 / 3)
    logits = np.array([[-0.3], [0.2], [0.4]])
    assert accuracy(logits, np.array([[1], [1], [1]]), from_logits=True) == pytest.approx(2 / 3)
    assert accuracy(logits, np.array([1, 1, 1])) == 0.0  # read as probabilities: all <= 0.5
    with pytest.raises(ValueError, match="3 outputs and 2 targets"):
        accuracy(probs, np.array([0, 1]))


def test_multiclass_accuracy_with_cross_entropy():
    X, y = make_blobs(120, centers=3, rng=0)
    C = int(y.max()) + 1
    model = mlp((X.shape[1], 16, C))
    h = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.05), X, y, epochs=100)
    assert h.accuracy[-1] > 0.9
    assert h.accuracy[-1] == pytest.approx(accuracy(predict(model, X), y), abs=0.05)


def test_regression_with_mse_records_no_accuracy_and_custom_metrics_work():
    X, y = make_sine(64, rng=0)

    def mae(out, target):
        return float(np.mean(np.abs(out - target)))

    model = mlp((1, 16, 1))
    h = fit(model, MSELoss(), Adam(model.parameters(), lr=0.01), X, y, epochs=3,
            metrics=("accuracy", mae), validation_data=(X, y))  # fmt: skip
    assert set(h.history) == {"loss", "mae", "grad_norm", "lr", "val_loss", "val_mae"}
    model.eval()
    assert h.val_mae[-1] == pytest.approx(mae(model.forward(X), y))
    model = mlp((2, 4, 1))
    h = fit(model, BCEWithLogitsLoss(), SGD(model.parameters()), *moons(20), metrics=())
    assert "accuracy" not in h.history


def test_bce_on_probabilities_thresholds_at_one_half():
    from nnlib.layers import Sigmoid
    from nnlib.losses import BCELoss

    X, y = moons(60)
    model = Sequential(Linear(2, 8, rng=0), Tanh(), Linear(8, 1, rng=1), Sigmoid())
    h = fit(model, BCELoss(), SGD(model.parameters(), lr=0.0), X, y, epochs=1)
    assert h.accuracy[0] == pytest.approx(accuracy(predict(model, X), y))


# -- divergence ---------------------------------------------------------------------
def exploding_setup():
    X, y = make_sine(64, rng=0)
    gen = np.random.default_rng(0)
    layers = []
    for a, b in [(1, 64), (64, 64), (64, 64), (64, 1)]:
        layers += [Linear(a, b, init="he_normal", rng=gen), ReLU()]
    model = Sequential(*layers[:-1])
    return model, X, y * 10, SGD(model.parameters(), lr=1.0)


class ParamSnapshots(Callback):
    def __init__(self):
        self.snaps = []

    def on_train_begin(self, model):
        self.model = model
        self.snaps.append(params_copy(model))

    def on_epoch_end(self, epoch, logs):
        self.snaps.append(params_copy(self.model))


def test_nonfinite_loss_stops_with_a_message_and_keeps_the_last_good_parameters():
    model, X, y, opt = exploding_setup()
    snaps = ParamSnapshots()
    with pytest.warns(TrainingDivergedWarning, match="exploding-gradient"):
        h = fit(model, MSELoss(), opt, X, y, epochs=100, callbacks=[snaps])
    assert h.stopped_early
    assert h.stop_reason.startswith(f"Training stopped at epoch {h.epoch[-1]}, batch 1: the ")
    assert "(diverged)" in h.stop_reason and "clip_norm" in h.stop_reason
    assert len(h.epoch) < 100 and len(h.loss) == len(h.epoch) == len(h.grad_norm)
    assert not math.isfinite(h.loss[-1]) or not math.isfinite(h.grad_norm[-1])
    assert all(math.isfinite(v) for v in h.loss[:-1])
    final = params_copy(model)
    assert all(np.isfinite(p).all() for p in final)  # the bad update was not applied
    # the diverged epoch applied no update: parameters equal those after the previous epoch
    assert all(np.array_equal(a, b) for a, b in zip(final, snaps.snaps[-2]))


def test_nonfinite_raise():
    model, X, y, opt = exploding_setup()
    with pytest.raises(TrainingDivergedError, match="Training stopped at epoch") as err:
        fit(model, MSELoss(), opt, X, y, epochs=100, on_nonfinite="raise")
    assert err.value.history.stopped_early
    assert model.training
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_train_step_skips_the_update_when_the_loss_is_nan():
    model = mlp((2, 4, 1))
    before = params_copy(model)
    X, y = moons(10)
    X = X.copy()
    X[0, 0] = np.nan
    loss = train_step(model, BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1), X, y)
    assert math.isnan(loss)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))


def test_train_step_is_one_fit_step():
    X, y = moons(30)
    m1, m2 = mlp((2, 5, 1)), mlp((2, 5, 1))
    loss = train_step(m1, BCEWithLogitsLoss(), Adam(m1.parameters(), lr=0.1), X, y)
    h = fit(m2, BCEWithLogitsLoss(), Adam(m2.parameters(), lr=0.1), X, y, epochs=1)
    assert loss == h.loss[0]
    assert all(np.array_equal(a.data, b.data) for a, b in zip(m1.parameters(), m2.parameters()))


# -- callbacks, scheduler, verbose -------------------------------------------------------
def test_callbacks_receive_logs_and_can_stop_training():
    X, y = moons(30)
    calls = []

    def log_fn(epoch, logs):
        calls.append((epoch, dict(logs)))

    class Stopper(Callback):
        def __init__(self):
            self.events = []

        def on_train_begin(self, model):
            self.events.append(("begin", model.training))

        def on_epoch_end(self, epoch, logs):
            self.events.append(("epoch", epoch))
            return epoch == 3

        def on_train_end(self, history):
            self.events.append(("end", len(history.epoch)))

    stopper = Stopper()
    model = mlp((2, 4, 1))
    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters()), X, y, epochs=10,
            callbacks=[log_fn, stopper])  # fmt: skip
    assert [e for e, _ in calls] == [1, 2, 3]
    assert set(calls[0][1]) == {"loss", "accuracy", "grad_norm", "lr"}
    assert calls[2][1]["loss"] == h.loss[2]
    assert stopper.events == [("begin", True), ("epoch", 1), ("epoch", 2), ("epoch", 3),
                              ("end", 3)]  # fmt: skip
    assert h.stopped_early and "stopped by callback" in h.stop_reason and "Stopper" in h.stop_reason
    with pytest.raises(TypeError, match="callback"):
        fit(model, BCEWithLogitsLoss(), Adam(model.parameters()), X, y, callbacks=[42])


def test_scheduler_is_stepped_once_per_epoch():
    X, y = moons(30)
    model = mlp((2, 4, 1))
    opt = SGD(model.parameters(), lr=1.0)
    h = fit(model, BCEWithLogitsLoss(), opt, X, y, epochs=5, batch_size=10,
            scheduler=StepLR(opt, step_size=2, gamma=0.5))  # fmt: skip
    assert h.lr == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = moons(30)
    model = mlp((2, 4, 1))
    fit(model, BCEWithLogitsLoss(), Adam(model.parameters()), X, y, epochs=3, verbose=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3  loss ")
    assert "accuracy" in lines[0]
    fit(model, BCEWithLogitsLoss(), Adam(model.parameters()), X, y, epochs=10, verbose=4)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["4/10", "8/10", "10/10"]
    buf = io.StringIO()
    fit(model, BCEWithLogitsLoss(), Adam(model.parameters()), X, y, epochs=2, verbose=buf)
    assert len(buf.getvalue().splitlines()) == 2
    assert capsys.readouterr().out == ""
    fit(model, BCEWithLogitsLoss(), Adam(model.parameters()), X, y, epochs=2)
    assert capsys.readouterr().out == ""


# -- regularization and clipping ----------------------------------------------------
def test_l2_penalty_is_added_to_the_loss_and_shrinks_the_weights():
    X, y = moons(60)
    runs = {}
    for strength in (0.0, 0.1):
        model = mlp((2, 16, 1))
        reg = L2(strength)
        penalty0 = reg.penalty(model.parameters())
        h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.02), X, y,
                epochs=300, regularizer=reg)  # fmt: skip
        runs[strength] = (h, penalty0, model)
    (h0, _, m0), (h1, pen, m1) = runs[0.0], runs[0.1]
    assert pen > 0
    assert h1.loss[0] == pytest.approx(h0.loss[0] + pen, rel=1e-12)  # same first outputs
    w0 = np.sqrt(sum(np.sum(p.data**2) for p in m0.parameters() if p.name == "W"))
    w1 = np.sqrt(sum(np.sum(p.data**2) for p in m1.parameters() if p.name == "W"))
    assert w1 < 0.7 * w0


def test_clip_norm_bounds_the_gradient_used_for_each_step():
    model, X, y, _ = exploding_setup()
    opt = CountingOptimizer(SGD(model.parameters(), lr=1e-3))
    h = fit(model, MSELoss(), opt, X, y, epochs=5, batch_size=16, clip_norm=1.0, rng=0)
    assert opt.steps == 20
    assert max(opt.norms) <= 1.0 + 1e-6
    assert max(h.grad_norm) > 1.0  # History records the norm before clipping


def test_clip_value_bounds_every_gradient_entry():
    X, y = moons(40)
    model = mlp((2, 8, 1), init="normal")
    seen = []
    opt = SGD(model.parameters(), lr=0.01)
    inner_step = opt.step

    def step():
        seen.append(max(float(np.abs(p.grad).max()) for p in model.parameters()))
        inner_step()

    opt.step = step
    fit(model, BCEWithLogitsLoss(), opt, X, y * 1.0, epochs=3, clip_value=1e-3)
    assert len(seen) == 3 and max(seen) <= 1e-3


# -- dtypes, modes, inputs ---------------------------------------------------------------
def test_float32_trains_in_float32_end_to_end():
    X, y = moons(100, dtype=np.float32)
    model = mlp(dtype=np.float32)
    opt = Adam(model.parameters(), lr=0.01)
    h = fit(model, BCEWithLogitsLoss(), opt, X, y, epochs=50, batch_size=32, rng=0,
            validation_data=(X, y))  # fmt: skip
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    assert predict(model, X).dtype == np.float32
    assert h.loss[-1] < h.loss[0]


def test_predict_uses_eval_mode_and_restores_the_mode():
    X, _ = moons(50)
    model = Sequential(Linear(2, 32, rng=0), Dropout(0.5, rng=0), Linear(32, 1, rng=1))
    out1, out2 = predict(model, X), predict(model, X)
    assert np.array_equal(out1, out2)  # dropout off
    assert model.training
    model.eval()
    predict(model, X)
    assert not model.training
    model.train()
    assert np.allclose(predict(model, X, batch_size=7), out1)


def test_fit_puts_the_model_in_train_mode_and_restores_eval_mode():
    X, y = moons(20)
    model = mlp((2, 4, 1)).eval()
    modes = []
    fit(model, BCEWithLogitsLoss(), SGD(model.parameters()), X, y, epochs=2,
        callbacks=[lambda epoch, logs: modes.append(model.training)])  # fmt: skip
    assert modes == [True, True]
    assert not model.training


def test_inputs_are_not_mutated():
    X, y = moons(40)
    Xv, yv = moons(20)
    copies = [a.copy() for a in (X, y, Xv, yv)]
    model = Sequential(Linear(2, 8, rng=0), Tanh(), Dropout(0.2, rng=0), Linear(8, 1, rng=1))
    fit(model, BCEWithLogitsLoss(), Adam(model.parameters()), X, y, epochs=3, batch_size=7,
        validation_data=(Xv, yv), regularizer=L2(0.01), clip_norm=1.0, rng=0)  # fmt: skip
    fit(model, BCEWithLogitsLoss(), Adam(model.parameters()), X, y, epochs=2)
    predict(model, X)
    for a, b in zip((X, y, Xv, yv), copies):
        assert np.array_equal(a, b)


# -- bad input ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y": np.zeros((7, 1))}, "X with 10 rows but y of shape \\(7, 1\\)"),
        ({"X": np.zeros(10)}, "X of shape \\(N, D\\); got shape \\(10,\\).*reshape"),
        ({"epochs": 0}, "epochs must be an int >= 1"),
        ({"epochs": 2.5}, "epochs must be an int >= 1"),
        ({"batch_size": 0}, "batch_size must be an int >= 1"),
        ({"on_nonfinite": "ignore"}, "on_nonfinite must be 'stop' or 'raise'"),
        ({"metrics": ("f1",)}, "unknown metric 'f1'; valid names are 'accuracy'"),
        ({"clip_norm": 0.0}, "clip_norm must be > 0"),
        ({"validation_data": (np.zeros((3, 2)),)}, "validation_data must be a pair"),
        ({"validation_data": (np.zeros((3, 2)), np.zeros(2))}, "validation_data got X with 3"),
        ({"verbose": "yes"}, "verbose must be"),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs, match):
    model = mlp((2, 3, 1))
    args = {"X": np.zeros((10, 2)), "y": np.zeros((10, 1))}
    args.update(kwargs)
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises((ValueError, TypeError), match=match):
        fit(model, BCEWithLogitsLoss(), SGD(model.parameters()), X, y, **args)


def test_history_repr_mentions_an_early_stop():
    h = History(["loss"])
    h.epoch.append(1)
    h.loss.append(0.5)
    h.stopped_early = True
    assert repr(h) == "History(epochs=1, loss=0.5->0.5, stopped_early=True)"
