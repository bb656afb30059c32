"""The capstone's playground run and its digits recipe.

* :class:`PlaygroundRun` -- everything the playground app trains: a 2-D data set
  split into training and test halves, a small network, its optimizer and
  penalty, and the per-epoch record of loss and accuracy on both halves,
  trained a chunk of epochs at a time with ``nnlib.fit``.
* :func:`train_digits` -- the handwritten digits task: the chapter's MLP
  recipe on ``nnlib.datasets.digits_split``.

Everything is seeded: the same arguments give the same numbers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import init
from ..datasets import (
    digits_split,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
    train_test_split,
)
from ..layers import Sequential
from ..losses import L2, BCEWithLogitsLoss, CrossEntropyLoss
from ..models import mlp
from ..optim import SGD, Adam, RMSprop
from ..training import History, TrainingDivergedWarning, fit, predict
from .decision import grid_points

__all__ = [
    "PLAYGROUND_DATASETS",
    "PLAYGROUND_ACTIVATIONS",
    "PLAYGROUND_INITS",
    "PLAYGROUND_OPTIMIZERS",
    "playground_data",
    "PlaygroundRun",
    "train_digits",
]

#: The 2-D data sets of the playground (all with two classes).
PLAYGROUND_DATASETS = ("moons", "circles", "xor", "spirals")
#: Activation choices: display name -> name for ``nnlib.activations.get``.
PLAYGROUND_ACTIVATIONS = {
    "ReLU": "relu",
    "leaky ReLU": "leaky_relu",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "linear (none)": "identity",
}


#: Initializer choices: display name -> a name of ``nnlib.init`` or a callable.
PLAYGROUND_INITS: dict[str, str | Callable[..., np.ndarray]] = {
    "He normal": "he_normal",
    "Xavier uniform": "xavier_uniform",
    "LeCun normal": "lecun_normal",
    "small N(0, 0.01²)": init.get("normal", std=0.01),
    "large N(0, 1)": init.get("normal", std=1.0),
    "zeros": "zeros",
}
#: Optimizer choices: display name -> factory ``f(parameters, lr)``.
PLAYGROUND_OPTIMIZERS: dict[str, Callable[..., Any]] = {
    "SGD": lambda params, lr: SGD(params, lr=lr),
    "SGD + momentum 0.9": lambda params, lr: SGD(params, lr=lr, momentum=0.9),
    "RMSprop": lambda params, lr: RMSprop(params, lr=lr),
    "Adam": lambda params, lr: Adam(params, lr=lr),
}


def _lookup(table: dict[str, Any], key: str, what: str) -> Any:
    """``table[key]``, also accepting the value itself (``"adam"`` for ``"Adam"``)."""
    if key in table:
        return table[key]
    for name, value in table.items():
        if isinstance(value, str) and value == key:
            return value
        if name.lower() == str(key).lower():
            return value
    raise ValueError(f"unknown {what} {key!r}; choose from {list(table)}")


# ============================================================================ building blocks
def playground_data(
    name: str = "moons", noise: float = 0.2, n_samples: int = 200, rng: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A 2-D, two-class data set of the playground, split in half: training and test points.

    ``noise`` is the data set's own noise parameter: the std of the Gaussian
    noise on the coordinates for "moons" and "circles", the spread of each
    cluster for "xor", the std of the angle (radians) for "spirals". The moons
    are shifted so that they are centred at the origin. The two arms of
    ``make_spirals`` turn by 4 radians; here they get one more full turn
    (about 1.6 turns in all) and are scaled to radius 2, so every set spans
    about [-2, 2] on each axis.

    Returns
    -------
    X_train, X_test : ndarray, shape (n_samples / 2, 2)
    y_train, y_test : ndarray of int64, shape (n_samples / 2,)
        Labels 0 and 1; the split is stratified (half of each class in each part).
    """
    if name == "moons":
        X, y = make_moons(n_samples, noise=noise, rng=rng)
        X = X - np.array([0.5, 0.25])
    elif name == "circles":
        X, y = make_circles(n_samples, noise=noise, factor=0.5, rng=rng)
    elif name == "xor":
        X, y = make_xor(n_samples, noise=noise, rng=rng)
    elif name == "spirals":
        X, y = make_spirals(n_samples, n_classes=2, noise=noise, rng=rng)
        r = np.hypot(X[:, 0], X[:, 1])  # (N,) radius in [0, 1]
        t = np.arctan2(X[:, 1], X[:, 0]) + 2.0 * np.pi * r  # one more turn from centre to rim
        X = 2.0 * np.column_stack([r * np.cos(t), r * np.sin(t)])
    else:
        raise ValueError(f"unknown data set {name!r}; choose from {PLAYGROUND_DATASETS}")
    return train_test_split(X, y, test_size=0.5, rng=rng, stratify=True)


# ============================================================================ the playground
class PlaygroundRun:
    """One network of the playground on one data set, trained a chunk of epochs at a time.

    Parameters
    ----------
    dataset, noise
        See :func:`playground_data` (200 points: 100 for training, 100 for testing).
    layers, width : int
        Number of hidden layers (0 is logistic regression) and units per hidden layer.
    activation, init, optimizer : str
        Keys (display names) of ``PLAYGROUND_ACTIVATIONS``, ``PLAYGROUND_INITS``
        and ``PLAYGROUND_OPTIMIZERS``, or the underlying names ("tanh", "he_normal", "adam").
    lr : float
        Learning rate.
    batch_size : int
        Rows per update (100 or more: full batch).
    l2 : float
        Strength of the L2 penalty ``l2 / 2 * sum(W**2)`` (0: none), passed to ``fit``.
    dropout : float
        Drop probability after every hidden layer (0: no ``Dropout`` layers).
    seed : int
        Seed of the initial weights, the shuffling and the dropout masks (the
        data set does not depend on it).
    resolution : int
        Grid points per axis of the decision-region picture.

    Attributes
    ----------
    epoch : int
        Epochs trained so far.
    history : dict of str -> list of float
        ``train_loss``, ``test_loss``, ``train_accuracy``, ``test_accuracy``,
        one entry per epoch from epoch 0 (before training). Losses are the
        cross-entropy without the penalty, with dropout off (evaluation mode),
        so the training and test numbers are measured the same way.
    diverged : str or None
        Why training stopped for good (the loss became NaN or infinite).
    """

    n_samples = 200

    def __init__(
        self,
        dataset: str = "moons",
        noise: float = 0.2,
        layers: int = 2,
        width: int = 8,
        activation: str = "tanh",
        init: str = "Xavier uniform",
        optimizer: str = "Adam",
        lr: float = 0.03,
        batch_size: int = 10,
        l2: float = 0.0,
        dropout: float = 0.0,
        seed: int = 0,
        resolution: int = 60,
    ) -> None:
        self.settings = dict(
            dataset=dataset, noise=float(noise), layers=int(layers), width=int(width),
            activation=activation, init=init, optimizer=optimizer, lr=float(lr),
            batch_size=int(batch_size), l2=float(l2), dropout=float(dropout), seed=int(seed),
        )  # fmt: skip
        Xtr, Xte, ytr, yte = playground_data(dataset, noise, self.n_samples, rng=0)
        self.X_train, self.X_test = Xtr, Xte  # (N, 2) each
        self.y_train, self.y_test = ytr, yte  # (N,) int labels
        self._X_all = np.concatenate([Xtr, Xte])  # (2N, 2): one forward pass evaluates both
        self._targets = (ytr.reshape(-1, 1).astype(float), yte.reshape(-1, 1).astype(float))
        self.xx, self.yy, self._grid = grid_points(self._X_all, resolution, margin=0.4)
        act = _lookup(PLAYGROUND_ACTIVATIONS, activation, "activation")
        init_fn = _lookup(PLAYGROUND_INITS, init, "initializer")
        make_opt = _lookup(PLAYGROUND_OPTIMIZERS, optimizer, "optimizer")
        sizes = [2] + [int(width)] * int(layers) + [1]
        self.model = mlp(sizes, act, init_fn, rng=int(seed), dropout=float(dropout))
        self.optimizer = make_opt(self.model.parameters(), float(lr))
        self.regularizer = L2(float(l2)) if l2 > 0 else None
        self.loss_fn = BCEWithLogitsLoss()
        self._eval_loss = BCEWithLogitsLoss()
        self._shuffle = np.random.default_rng(1000 + int(seed))
        self.epoch = 0
        self.history: dict[str, list[float]] = {
            k: [] for k in ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
        }
        self.diverged: str | None = None
        self._record()

    @property
    def n_parameters(self) -> int:
        return self.model.num_parameters()

    def _record(self, epoch: int | None = None, logs: Any = None) -> None:
        """Append the loss and accuracy of both halves, in evaluation mode (a ``fit`` callback)."""
        n = len(self.X_train)
        with np.errstate(all="ignore"):
            out = predict(self.model, self._X_all)  # (2N, 1) logits
            for part, scores, target in (
                ("train", out[:n], self._targets[0]),
                ("test", out[n:], self._targets[1]),
            ):
                loss = self._eval_loss(scores, target) if np.all(np.isfinite(scores)) else math.nan
                acc = float(np.mean((scores > 0) == (target > 0.5)))
                self.history[f"{part}_loss"].append(float(loss))
                self.history[f"{part}_accuracy"].append(acc)

    def train(self, epochs: int) -> History | None:
        """Train ``epochs`` more epochs with ``nnlib.fit``; returns fit's History (None if stopped).

        The shuffling continues from where the last chunk ended, so ten chunks of
        one epoch give the same network as one chunk of ten.
        """
        if self.diverged:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrainingDivergedWarning)
            hist = fit(
                self.model, self.loss_fn, self.optimizer, self.X_train, self._targets[0],
                epochs=int(epochs), batch_size=self.settings["batch_size"], rng=self._shuffle,
                metrics=(), regularizer=self.regularizer, callbacks=[self._record],
            )  # fmt: skip
        self.epoch += len(hist.epoch)
        if hist.stopped_early:
            self.diverged = hist.stop_reason
        return hist

    def probabilities(self) -> np.ndarray:
        """P(class 1) on the picture's grid, shape (R, R)."""
        with np.errstate(all="ignore"):
            z = predict(self.model, self._grid).reshape(self.xx.shape)  # (R, R) logits
            return 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid, overflow-free

    def result(self) -> dict[str, Any]:
        """A snapshot for drawing and testing: settings, data, grid, per-epoch record."""
        return {
            **self.settings,
            "epoch": self.epoch,
            "history": {k: list(v) for k, v in self.history.items()},
            "train_loss": self.history["train_loss"][-1],
            "test_loss": self.history["test_loss"][-1],
            "train_accuracy": self.history["train_accuracy"][-1],
            "test_accuracy": self.history["test_accuracy"][-1],
            "probabilities": self.probabilities(),
            "xx": self.xx,
            "yy": self.yy,
            "X_train": self.X_train,
            "y_train": self.y_train,
            "X_test": self.X_test,
            "y_test": self.y_test,
            "n_parameters": self.n_parameters,
            "diverged": self.diverged,
        }


# ============================================================================ digits
def train_digits(
    hidden: Sequence[int] = (128, 64),
    epochs: int = 30,
    batch_size: int = 32,
    lr: float = 1e-3,
    rng: int = 0,
    callbacks: Sequence[Any] = (),
) -> tuple[Sequential, History, float]:
    """The chapter's digits recipe: ReLU MLP, He init, Adam, mini-batches, cross-entropy.

    Returns
    -------
    model : Sequential
        64 -> hidden... -> 10, outputs logits.
    history : History
        Training and validation loss and accuracy per epoch.
    test_accuracy : float
        Accuracy on the 450 held-out test digits.
    """
    X_train, X_val, X_test, y_train, y_val, y_test = digits_split(rng=rng)
    model = mlp([64, *hidden, 10], "relu", "he_normal", rng=rng)
    optimizer = Adam(model.parameters(), lr=lr)
    history = fit(
        model, CrossEntropyLoss(), optimizer, X_train, y_train, epochs=epochs,
        batch_size=batch_size, rng=rng, validation_data=(X_val, y_val), callbacks=callbacks,
    )  # fmt: skip
    test_accuracy = float(np.mean(predict(model, X_test).argmax(axis=1) == y_test))
    return model, history, test_accuracy
