"""The capstone's live playground: a small network on 2-D data, trained an epoch at a time.

:class:`Playground` is the engine behind ``nnlib.widgets.PlaygroundApp`` (in
the spirit of TensorFlow Playground), usable without any widget::

    pg = Playground(dataset="spirals", layers=3, width=8, optimizer="Adam")
    pg.step(20)                      # 20 epochs of nnlib.fit
    pg.set(lr=0.01)                  # "live": training goes on with the new rate
    pg.set(activation="ReLU")        # "restart": a new network at epoch 0
    print(playground_code(pg))       # nnlib code that reproduces the run

Its settings fall in two kinds (``LIVE_SETTINGS`` and ``RESTART_SETTINGS``):

* live ones -- learning rate, optimizer, L1/L2 penalty, dropout, batch size --
  act from the next epoch on and keep the weights; every change is logged with
  the epoch it happened at, so ``playground_code`` can replay it;
* restart ones -- data set, noise, training share, input features,
  architecture, activation, initializer, seed -- build new data or a new
  network, back at epoch 0.

The network is ``Linear, activation, Dropout`` per hidden layer, then a last
``Linear`` giving one logit; ``Dropout`` layers with ``p = 0`` pass their
input through, so dropout can be switched on live. Losses are measured after
each epoch in evaluation mode, without the penalty, on both halves of the data.

Everything is seeded: the data (seed 0), the initial weights (``seed``), the
shuffling (``seed + 1000``) and the dropout masks (``seed + 2000``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import init as nn_init
from .. import optim
from ..activations import ELU, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from ..callbacks import TrainingDivergedWarning
from ..layers import Dropout, Linear, Sequential
from ..losses import L1, L2, BCEWithLogitsLoss
from ..module import Module
from ..training import fit, predict
from .decision import grid_points
from .playground_data import FEATURES, PLAYGROUND_DATASETS, feature_columns, playground_data

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "OPTIMIZERS",
    "REGULARIZERS",
    "LIVE_SETTINGS",
    "RESTART_SETTINGS",
    "DEFAULTS",
    "Playground",
]

#: Activation choices: name -> layer class (built with its defaults).
ACTIVATIONS: dict[str, type[Module]] = {
    "tanh": Tanh,
    "ReLU": ReLU,
    "leaky ReLU": LeakyReLU,
    "ELU": ELU,
    "sigmoid": Sigmoid,
    "linear": Identity,
}


def _initializers() -> dict[str, tuple[str, dict[str, float]]]:
    """Every initializer of ``nnlib.init``: name -> (function name, bound arguments)."""
    helpers = {"calculate_gain", "compute_fans", "get"}
    table: dict[str, tuple[str, dict[str, float]]] = {}
    for name in nn_init.__all__:
        if name in helpers:
            continue
        kwargs = {"val": 0.1} if name == "constant" else {}  # constant needs its value
        label = "constant (0.1)" if name == "constant" else name
        table[label] = (name, kwargs)
    return table


#: Initializer choices: every initializer of ``nnlib.init`` (``constant`` at 0.1).
INITIALIZERS = _initializers()

#: Optimizer choices: name -> (class name in ``nnlib.optim``, hyperparameters besides ``lr``).
OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "SGD": ("SGD", {}),
    "Momentum": ("SGD", {"momentum": 0.9}),
    "Nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "Adagrad": ("Adagrad", {}),
    "RMSprop": ("RMSprop", {}),
    "Adam": ("Adam", {}),
    "AdamW": ("AdamW", {}),
}

#: Weight penalties: name -> class (``None``: no penalty).
REGULARIZERS: dict[str, type | None] = {"none": None, "L1": L1, "L2": L2}

#: Settings that act from the next epoch on, keeping the weights.
LIVE_SETTINGS = ("lr", "optimizer", "regularization", "reg_strength", "dropout", "batch_size")
#: Settings that build new data or a new network (back to epoch 0).
RESTART_SETTINGS = (
    "dataset", "noise", "train_percent", "features", "layers", "width", "activation", "init",
    "seed",
)  # fmt: skip

#: Start values (the default size: 2 hidden layers of 4 units, 200 points).
DEFAULTS: dict[str, Any] = dict(
    dataset="moons", noise=0.2, train_percent=50, features=("x1", "x2"), layers=2, width=4,
    activation="tanh", init="xavier_uniform", seed=0,
    lr=0.03, optimizer="Adam", regularization="none", reg_strength=0.0, dropout=0.0,
    batch_size=10,
)  # fmt: skip


def _check_choice(value: Any, table: Any, what: str) -> None:
    if value not in table:
        raise ValueError(f"unknown {what} {value!r}; choose from {list(table)}")


# ============================================================================ the engine
class Playground:
    """A small network on a 2-D data set, trained an epoch at a time, its settings changeable.

    Parameters
    ----------
    **settings
        Any of ``DEFAULTS``: ``dataset``, ``noise``, ``train_percent`` (10..90),
        ``features`` (names of ``FEATURES``), ``layers`` (hidden layers, >= 0;
        the app offers 0..6), ``width`` (units per hidden layer, >= 1; the app
        offers 1..8), ``activation`` (``ACTIVATIONS``), ``init``
        (``INITIALIZERS``), ``seed``; ``lr``, ``optimizer`` (``OPTIMIZERS``),
        ``regularization`` ("none", "L1", "L2") with its ``reg_strength``,
        ``dropout`` (in [0, 1)), ``batch_size``.
    resolution : int
        Grid points per axis of the maps (``R``).
    n_samples : int
        Points of the data set, training and test together.

    Attributes
    ----------
    epoch : int
        Epochs trained since the last restart.
    history : dict of str -> list
        ``train_loss``, ``test_loss``, ``train_accuracy``, ``test_accuracy``: one
        float per epoch from epoch 0; ``grad_norms``: per trained epoch, a list
        with the mean gradient norm of each ``Linear`` layer's ``W``.
    changes : list of (int, str, Any)
        The live changes since the last restart: ``(epoch, setting, new value)``,
        the epoch being the number of epochs trained when the change came.
    initial : dict
        The settings at the last restart (where ``changes`` start from).
    diverged : str or None
        Why training stopped for good (a NaN or infinite loss or gradient).
    """

    def __init__(self, resolution: int = 40, n_samples: int = 200, **settings: Any) -> None:
        unknown = sorted(set(settings) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"Playground has no setting {unknown}; it has {sorted(DEFAULTS)}")
        self.resolution = int(resolution)
        self.n_samples = int(n_samples)
        self.settings: dict[str, Any] = {}
        self._data_key: tuple | None = None
        self._apply({**DEFAULTS, **settings})
        self.restart()

    # -- settings -----------------------------------------------------------------
    def _apply(self, values: dict[str, Any]) -> None:
        """Check and store settings (normalised: floats, ints, a tuple of features)."""
        new = {**self.settings, **values}
        _check_choice(new["dataset"], PLAYGROUND_DATASETS, "data set")
        _check_choice(new["activation"], ACTIVATIONS, "activation")
        _check_choice(new["init"], INITIALIZERS, "initializer")
        _check_choice(new["optimizer"], OPTIMIZERS, "optimizer")
        _check_choice(new["regularization"], REGULARIZERS, "regularization")
        feats = tuple(name for name in FEATURES if name in tuple(new["features"]))
        bad = sorted(set(new["features"]) - set(FEATURES))
        if bad or not feats:
            raise ValueError(f"features must be some of {list(FEATURES)}; got {new['features']!r}")
        new["features"] = feats
        for key in ("noise", "lr", "reg_strength", "dropout"):
            new[key] = float(new[key])
        for key in ("train_percent", "layers", "width", "seed", "batch_size"):
            new[key] = int(new[key])
        if not 10 <= new["train_percent"] <= 90:
            raise ValueError(f"train_percent must be in 10..90; got {new['train_percent']}")
        if not 0.0 <= new["dropout"] < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {new['dropout']}")
        if new["layers"] < 0 or new["width"] < 1 or new["batch_size"] < 1:
            raise ValueError("layers must be >= 0, width and batch_size >= 1")
        self.settings = new

    def set(self, **changes: Any) -> str:
        """Change settings; returns ``"live"``, ``"restart"`` or ``"none"`` (nothing changed).

        Live settings act from the next epoch on and are logged in ``changes``;
        any restart setting among ``changes`` rebuilds the run at epoch 0 (with
        all the new values).
        """
        unknown = sorted(set(changes) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"Playground has no setting {unknown}; it has {sorted(DEFAULTS)}")
        old = dict(self.settings)
        self._apply(changes)
        changed = [k for k in changes if self.settings[k] != old[k]]
        if any(k in RESTART_SETTINGS for k in changed):
            self.restart()
            return "restart"
        for key in changed:
            self.changes.append((self.epoch, key, self.settings[key]))
        if "optimizer" in changed:
            self.optimizer = self.make_optimizer()  # a fresh state (no momentum yet)
        elif "lr" in changed:
            self.optimizer.lr = self.settings["lr"]
        if "dropout" in changed:
            for layer in self.model:
                if isinstance(layer, Dropout):
                    layer.p = self.settings["dropout"]
        return "live" if changed else "none"

    # -- building -------------------------------------------------------------------
    def restart(self) -> None:
        """New data (if its settings changed) and a new network from ``seed``, at epoch 0."""
        s = self.settings
        data_key = (s["dataset"], s["noise"], s["train_percent"])
        if data_key != self._data_key:
            test_size = 1.0 - s["train_percent"] / 100.0
            Xtr, Xte, ytr, yte = playground_data(
                s["dataset"], s["noise"], self.n_samples, test_size, rng=0
            )
            self.X_train, self.X_test, self.y_train, self.y_test = Xtr, Xte, ytr, yte
            X_all = np.concatenate([Xtr, Xte])
            self.xx, self.yy, self._grid = grid_points(X_all, self.resolution, margin=0.4)
            self._data_key = data_key
        self.F_train = feature_columns(self.X_train, s["features"])  # (N_train, F)
        self.F_test = feature_columns(self.X_test, s["features"])  # (N_test, F)
        self.F_grid = feature_columns(self._grid, s["features"])  # (R*R, F)
        self.t_train = self.y_train.reshape(-1, 1).astype(float)  # (N_train, 1) targets
        self.t_test = self.y_test.reshape(-1, 1).astype(float)
        self.model = self.make_model()
        self.optimizer = self.make_optimizer()
        self.loss_fn = BCEWithLogitsLoss()
        self.shuffle_rng = np.random.default_rng(s["seed"] + 1000)
        self.initial = dict(s)
        self.changes: list[tuple[int, str, Any]] = []
        self.epoch = 0
        self.diverged: str | None = None
        self.history: dict[str, list] = {
            k: []
            for k in ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "grad_norms")
        }
        self._record()

    def make_model(self) -> Sequential:
        """``Linear, activation, Dropout`` per hidden layer, then ``Linear(width, 1)``."""
        s = self.settings
        fn_name, kwargs = INITIALIZERS[s["init"]]
        init_fn = nn_init.get(fn_name, **kwargs)
        init_rng = np.random.default_rng(s["seed"])  # one stream, layer by layer
        dropout_rng = np.random.default_rng(s["seed"] + 2000)
        sizes = [len(s["features"])] + [s["width"]] * s["layers"]
        layers: list[Module] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [
                Linear(fan_in, fan_out, init=init_fn, rng=init_rng),
                ACTIVATIONS[s["activation"]](),
                Dropout(s["dropout"], rng=dropout_rng),
            ]
        layers.append(Linear(sizes[-1], 1, init=init_fn, rng=init_rng))
        return Sequential(*layers)

    def make_optimizer(self) -> optim.Optimizer:
        """The chosen optimizer on the network's parameters, at the current ``lr``."""
        cls_name, kwargs = OPTIMIZERS[self.settings["optimizer"]]
        return getattr(optim, cls_name)(self.model.parameters(), lr=self.settings["lr"], **kwargs)

    def regularizer(self) -> L1 | L2 | None:
        """The penalty of the current settings (``None`` when off or of strength 0)."""
        cls = REGULARIZERS[self.settings["regularization"]]
        strength = self.settings["reg_strength"]
        return cls(strength) if cls is not None and strength > 0 else None

    # -- training -----------------------------------------------------------------------
    def step(self, epochs: int = 1) -> int:
        """Train ``epochs`` more epochs (one ``fit`` call each); returns the epochs trained.

        Stops early, for good, when training diverges (see ``diverged``).
        """
        done = 0
        for _ in range(int(epochs)):
            if self.diverged:
                break
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TrainingDivergedWarning)
                hist = fit(
                    self.model, self.loss_fn, self.optimizer, self.F_train, self.t_train,
                    epochs=1, batch_size=self.settings["batch_size"], rng=self.shuffle_rng,
                    metrics=(), regularizer=self.regularizer(),
                )  # fmt: skip
            self.epoch += 1
            done += 1
            norms = hist.layer_grad_norms[-1] if hist.layer_grad_norms else {}
            self.history["grad_norms"].append(
                [norms.get(f"{i}.W", math.nan) for i in self.linear_indices()]
            )
            self._record()
            if hist.stopped_early:
                self.diverged = hist.stop_reason or "training diverged"
        return done

    def linear_indices(self) -> list[int]:
        """Positions of the ``Linear`` layers in the model."""
        return [i for i, layer in enumerate(self.model) if isinstance(layer, Linear)]

    def _record(self) -> None:
        """Append the loss and accuracy of both halves, in evaluation mode, without penalty."""
        with np.errstate(all="ignore"):
            for part, F, t in (
                ("train", self.F_train, self.t_train),
                ("test", self.F_test, self.t_test),
            ):
                scores = predict(self.model, F)  # (N, 1) logits
                finite = bool(np.all(np.isfinite(scores)))
                loss = float(self.loss_fn.forward(scores, t)) if finite else math.nan
                self.history[f"{part}_loss"].append(loss)
                self.history[f"{part}_accuracy"].append(float(np.mean((scores > 0) == (t > 0.5))))

    # -- what the app draws -------------------------------------------------------------
    def maps(self) -> list[np.ndarray]:
        """What every node computes over the input plane, one array per column of the picture.

        Returns
        -------
        list of ndarray
            First the input features, shape (F, R, R); then each hidden layer's
            activations, shape (H, R, R); last the output probability P(class 1),
            shape (1, R, R). Computed in evaluation mode (dropout off).
        """
        R = self.resolution
        columns = [self.F_grid.T.reshape(-1, R, R)]
        was_training = self.model.training
        self.model.eval()
        try:
            with np.errstate(all="ignore"):
                h = self.F_grid  # (R*R, F)
                for layer in self.model:
                    h = layer.forward(h)
                    if isinstance(layer, tuple(ACTIVATIONS.values())):
                        columns.append(h.T.reshape(-1, R, R))  # (H, R, R)
                prob = 0.5 * (1.0 + np.tanh(0.5 * h))  # sigmoid of the logits, overflow-free
        finally:
            self.model.train(was_training)
        columns.append(prob.T.reshape(1, R, R))
        return columns

    def weights(self) -> list[np.ndarray]:
        """The weight matrices ``W`` of the ``Linear`` layers, input side first; (in, out) each."""
        return [self.model[i].params["W"] for i in self.linear_indices()]

    def snapshot(self) -> dict[str, Any]:
        """Numbers for a status line and for tests: settings, epoch, latest losses."""
        h = self.history
        return {
            **self.settings,
            "epoch": self.epoch,
            "train_loss": h["train_loss"][-1],
            "test_loss": h["test_loss"][-1],
            "train_accuracy": h["train_accuracy"][-1],
            "test_accuracy": h["test_accuracy"][-1],
            "n_parameters": self.model.num_parameters(),
            "diverged": self.diverged,
        }
