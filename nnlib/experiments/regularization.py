"""Experiments of the regularization chapter: a task that overfits, and the cures measured on it.

* :func:`overfitting_task` -- 40 noisy "moons" points to train on and 500 to
  validate on (the training points are the first ``n`` of a seeded pool of
  400, so "more data" adds points to the same set);
* :func:`make_model` -- far more capacity than 40 points need: two hidden
  layers of 64 ReLU units (4,417 parameters), optionally with dropout;
* :class:`Curves` -- a :class:`nnlib.Callback` that measures the training and
  validation loss and accuracy after every epoch, in eval mode and without any
  penalty, so that runs with and without regularization compare fairly;
* :func:`train_run` -- one run of ``nnlib.fit`` with a chosen cure (L2, L1,
  dropout, an optimizer's ``weight_decay``, a callback), returned as a
  :class:`RunResult` (accuracies, gap, weight norm, sparsity, curves);
* :func:`results_table` -- the chapter's table over several runs;
* :func:`decay_comparison` -- weight decay in SGD, L2 in Adam and decoupled
  decay in AdamW on weights whose gradients have different sizes;
* :func:`dropout_expectation` and :func:`forgotten_eval` -- what the
  ``1 / (1 - p)`` scaling buys, and what a model left in train mode predicts.

Everything is seeded and pure NumPy over the core. Large batches are fed in
chunks of at most 100 rows (``predict(..., batch_size=100)``): on a busy
machine, a multi-threaded BLAS makes bigger products of these small matrices
many times slower, not faster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..activations import ReLU
from ..callbacks import Callback
from ..datasets import make_moons
from ..layers import Dropout, Linear, Sequential
from ..losses import BCEWithLogitsLoss
from ..metrics import accuracy
from ..module import Module, Parameter
from ..optim import SGD, Adam, AdamW
from ..regularizers import L1, L2
from ..training import fit, predict

__all__ = [
    "Task",
    "overfitting_task",
    "make_model",
    "weights",
    "weight_norm",
    "near_zero_fraction",
    "Curves",
    "ValidationEarlyStopping",
    "RunResult",
    "train_run",
    "results_table",
    "ElasticNet",
    "penalty",
    "decay_comparison",
    "decay_table",
    "dropout_expectation",
    "forgotten_eval",
    "probabilities",
]

#: Rows per forward pass when a whole set is evaluated (see the module docstring).
CHUNK = 100
#: |w| below this counts as "at zero" in :func:`near_zero_fraction`.
NEAR_ZERO = 1e-3
#: Learning rates of the optimizers ``train_run`` builds by name.
DEFAULT_LR = {"sgd": 0.1, "adam": 0.01, "adamw": 0.01}


# ============================================================================ the task
@dataclass
class Task:
    """Training and validation data of a binary task; targets ``(N, 1)`` of 0.0/1.0.

    ``X_pool``/``y_pool`` hold every training point there is; ``X_train`` is
    its first ``n_train`` rows, and :meth:`with_train_size` takes more of them.
    """

    X_train: np.ndarray  # (n, 2)
    y_train: np.ndarray  # (n, 1)
    X_val: np.ndarray  # (n_val, 2)
    y_val: np.ndarray  # (n_val, 1)
    X_pool: np.ndarray = field(repr=False)  # (pool, 2)
    y_pool: np.ndarray = field(repr=False)  # (pool, 1)
    noise: float = 0.3

    @property
    def n_train(self) -> int:
        return len(self.X_train)

    def with_train_size(self, n: int) -> Task:
        """The same task trained on the first ``n`` points of the pool (same validation set)."""
        n = int(n)
        if not 2 <= n <= len(self.X_pool):
            raise ValueError(f"n must be between 2 and the pool size {len(self.X_pool)}; got {n}")
        return Task(self.X_pool[:n], self.y_pool[:n], self.X_val, self.y_val,
                    self.X_pool, self.y_pool, self.noise)  # fmt: skip


def overfitting_task(
    n_train: int = 40, n_val: int = 500, noise: float = 0.3, seed: int = 4, pool: int = 400
) -> Task:
    """Noisy two-moons data: ``n_train`` points to train on, ``n_val`` fresh ones to validate on.

    The training points are the first ``n_train`` of ``pool`` points drawn with
    ``seed`` (``make_moons`` shuffles them, so any prefix is a random sample);
    the validation points are drawn with ``seed + 100``.
    """
    if not 2 <= n_train <= pool:
        raise ValueError(f"n_train must be between 2 and pool={pool}; got {n_train}")
    X_pool, y_pool = make_moons(pool, noise=noise, rng=seed)
    X_val, y_val = make_moons(n_val, noise=noise, rng=seed + 100)
    y_pool = y_pool.reshape(-1, 1).astype(float)  # (pool, 1)
    y_val = y_val.reshape(-1, 1).astype(float)  # (n_val, 1)
    return Task(X_pool[:n_train], y_pool[:n_train], X_val, y_val, X_pool, y_pool, noise)


def make_model(hidden: Sequence[int] = (64, 64), dropout: float = 0.0, seed: int = 0) -> Sequential:
    """``Linear -> ReLU [-> Dropout(p)]`` per hidden layer, then ``Linear(., 1)``: one logit.

    He-initialized (``he_normal``), biases at 0; the weights and the dropout
    masks come from one generator seeded with ``seed``.
    """
    gen = np.random.default_rng(seed)
    layers: list[Module] = []
    width = 2
    for h in hidden:
        layers += [Linear(width, int(h), init="he_normal", rng=gen), ReLU()]
        if dropout > 0:
            layers.append(Dropout(dropout, rng=gen))
        width = int(h)
    layers.append(Linear(width, 1, init="he_normal", rng=gen))
    return Sequential(*layers)


# ============================================================================ measuring
def weights(model: Module) -> np.ndarray:
    """Every entry of every weight matrix (parameters named ``"W"``) as one vector; no biases."""
    return np.concatenate([p.data.ravel() for p in model.parameters() if p.name == "W"])


def weight_norm(model: Module) -> float:
    """``sqrt(sum of w**2)`` over all weight matrices (biases excluded)."""
    return float(np.linalg.norm(weights(model)))


def near_zero_fraction(model: Module, tol: float = NEAR_ZERO) -> float:
    """Fraction of the weights with ``|w| < tol``."""
    return float(np.mean(np.abs(weights(model)) < tol))


def _loss_and_accuracy(model: Module, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    out = predict(model, X, batch_size=CHUNK)  # (N, 1) logits, eval mode
    return BCEWithLogitsLoss().forward(out, y), accuracy(out, y, from_logits=True)


class Curves(Callback):
    """Training and validation loss and accuracy after every epoch (eval mode, no penalty).

    ``fit`` records the training loss in train mode (dropout on) with the
    penalty added, and the validation loss with the penalty too; neither can be
    compared across cures. This callback measures both sets the same way for
    every run. After training, ``curves.history`` holds one list per key:
    ``step`` (optimizer steps done), ``train_loss``, ``val_loss``,
    ``train_accuracy``, ``val_accuracy`` and ``weight_norm`` (:func:`weight_norm`).
    """

    KEYS = ("step", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "weight_norm")

    def __init__(self, task: Task, every: int = 1) -> None:
        self.task = task
        self.every = int(every)
        self.history: dict[str, list[float]] = {k: [] for k in self.KEYS}
        self._model: Module | None = None

    def on_train_begin(self, model: Module) -> None:
        self._model = model

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if epoch % self.every:
            return
        t = self.task
        tr_loss, tr_acc = _loss_and_accuracy(self._model, t.X_train, t.y_train)
        va_loss, va_acc = _loss_and_accuracy(self._model, t.X_val, t.y_val)
        values = (epoch, tr_loss, va_loss, tr_acc, va_acc, weight_norm(self._model))
        for key, v in zip(self.KEYS, values, strict=True):
            self.history[key].append(v)

    def arrays(self, steps_per_epoch: int = 1) -> dict[str, np.ndarray]:
        """The history as arrays; ``step`` converted from epochs to optimizer steps."""
        out = {k: np.asarray(v, dtype=float) for k, v in self.history.items()}
        out["step"] = out["step"] * steps_per_epoch
        return out


class ValidationEarlyStopping(Callback):
    """Chapter 3's early stopping on the task's validation loss: patience, then the best weights.

    After every epoch the validation loss is measured in eval mode; when it has
    not improved for ``patience`` epochs, training stops, and at the end the
    weights of the best epoch are put back. ``best_epoch``, ``best_loss`` and
    ``stopped_epoch`` tell what happened.
    """

    def __init__(self, task: Task, patience: int = 20) -> None:
        if int(patience) < 1:
            raise ValueError(f"patience must be >= 1; got {patience!r}")
        self.task, self.patience = task, int(patience)
        self.best_loss, self.best_epoch, self.stopped_epoch = np.inf, 0, 0
        self._best: list[np.ndarray] = []

    def on_train_begin(self, model: Module) -> None:
        self._params = model.parameters()
        self._model = model

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        val_loss, _ = _loss_and_accuracy(self._model, self.task.X_val, self.task.y_val)
        self.stopped_epoch = epoch
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch = val_loss, epoch
            self._best = [p.data.copy() for p in self._params]
        return epoch - self.best_epoch >= self.patience  # True: fit stops

    def on_train_end(self, history: Any) -> None:
        for p, best in zip(self._params, self._best, strict=True):
            p.data[...] = best  # restore the best epoch's weights


# ============================================================================ penalties
class ElasticNet:
    """L2 and L1 together: ``l2 / 2 * sum(W**2) + l1 * sum(|W|)`` (biases not penalised)."""

    def __init__(self, l2: float, l1: float) -> None:
        self.parts = (L2(l2), L1(l1))

    def penalty(self, parameters: Iterable[Parameter] | Module) -> float:
        params = list(parameters.parameters() if isinstance(parameters, Module) else parameters)
        return sum(part.penalty(params) for part in self.parts)

    def add_grad(self, parameters: Iterable[Parameter] | Module) -> None:
        params = list(parameters.parameters() if isinstance(parameters, Module) else parameters)
        for part in self.parts:
            part.add_grad(params)

    def __repr__(self) -> str:
        return f"ElasticNet(l2={self.parts[0].strength}, l1={self.parts[1].strength})"


def penalty(l2: float = 0.0, l1: float = 0.0) -> L2 | L1 | ElasticNet | None:
    """The regularizer for ``fit``: ``None``, ``L2(l2)``, ``L1(l1)`` or both."""
    if l2 < 0 or l1 < 0:
        raise ValueError(f"penalty strengths must be >= 0; got l2={l2}, l1={l1}")
    if l2 and l1:
        return ElasticNet(l2, l1)
    if l2:
        return L2(l2)
    if l1:
        return L1(l1)
    return None


# ============================================================================ one run
@dataclass
class RunResult:
    """What :func:`train_run` measured at the end of one run (``model`` in its final state)."""

    model: Sequential
    curves: dict[str, np.ndarray]
    train_accuracy: float
    val_accuracy: float
    weight_norm: float
    near_zero: float
    epochs: int
    stopped_early: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Training accuracy minus validation accuracy: how much the fit does not carry over."""
        return self.train_accuracy - self.val_accuracy


def _optimizer(name: str, params: list[Parameter], lr: float | None, weight_decay: float):
    name = name.lower()
    if name not in DEFAULT_LR:
        raise ValueError(f"optimizer must be one of {sorted(DEFAULT_LR)}; got {name!r}")
    lr = DEFAULT_LR[name] if lr is None else lr
    if name == "sgd":
        return SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    cls = Adam if name == "adam" else AdamW
    return cls(params, lr=lr, weight_decay=weight_decay)


def train_run(
    task: Task,
    *,
    hidden: Sequence[int] = (64, 64),
    l2: float = 0.0,
    l1: float = 0.0,
    dropout: float = 0.0,
    optimizer: str = "sgd",
    lr: float | None = None,
    weight_decay: float = 0.0,
    steps: int = 300,
    batch_size: int = 40,
    seed: int = 0,
    callbacks: Iterable[Any] = (),
    every: int = 2,
) -> RunResult:
    """Train :func:`make_model` on ``task`` with one setting of the cures; measure the result.

    Parameters
    ----------
    task : Task
    hidden, dropout, seed
        The model (see :func:`make_model`).
    l2, l1 : float
        Strengths of the penalties added to the loss (``fit(regularizer=...)``).
    optimizer : {"sgd", "adam", "adamw"}
        ``SGD(lr, momentum=0.9)`` (lr 0.1 by default), ``Adam(lr)`` or
        ``AdamW(lr)`` (lr 0.01), each with ``weight_decay``.
    steps : int
        Optimizer steps, kept the same whatever the training-set size:
        ``epochs = ceil(steps / ceil(n / batch_size))``.
    batch_size : int
        Rows per step (40: the whole 40-point training set in one batch).
    callbacks
        More callbacks for ``fit`` (for example one that stops early).
    every : int
        Measure the curves every ``every`` epochs (measuring costs about as
        much as training; every second epoch draws the same curves).

    Returns
    -------
    RunResult
        Accuracies measured in eval mode; ``curves`` from :class:`Curves`.
    """
    n = task.n_train
    per_epoch = -(-n // min(batch_size, n))
    epochs = max(1, -(-int(steps) // per_epoch))
    model = make_model(hidden, dropout, seed)
    opt = _optimizer(optimizer, model.parameters(), lr, weight_decay)
    curves = Curves(task, every=every)
    history = fit(
        model, BCEWithLogitsLoss(), opt, task.X_train, task.y_train, epochs=epochs,
        batch_size=batch_size, rng=seed, metrics=(), regularizer=penalty(l2, l1),
        callbacks=[curves, *callbacks],
    )  # fmt: skip
    _, train_acc = _loss_and_accuracy(model, task.X_train, task.y_train)
    _, val_acc = _loss_and_accuracy(model, task.X_val, task.y_val)
    settings = dict(hidden=tuple(hidden), l2=l2, l1=l1, dropout=dropout, optimizer=optimizer,
                    lr=opt.lr, weight_decay=weight_decay, n_train=n)  # fmt: skip
    return RunResult(
        model=model,
        curves=curves.arrays(per_epoch),
        train_accuracy=train_acc,
        val_accuracy=val_acc,
        weight_norm=weight_norm(model),
        near_zero=near_zero_fraction(model),
        epochs=len(history.epoch),
        stopped_early=history.stopped_early,
        settings=settings,
    )


def results_table(results: Mapping[str, RunResult]) -> str:
    """One line per run: training and validation accuracy, their gap, weight norm, sparsity."""
    width = max(12, *(len(k) for k in results))
    head = (f"{'run':<{width}}  {'train acc':>9}  {'val acc':>7}  {'gap':>6}  "
            f"{'|W|':>6}  {'|w|<1e-3':>8}")  # fmt: skip
    lines = [head, "-" * len(head)]
    for name, r in results.items():
        lines.append(
            f"{name:<{width}}  {r.train_accuracy:9.1%}  {r.val_accuracy:7.1%}  {r.gap:6.1%}  "
            f"{r.weight_norm:6.2f}  {r.near_zero:8.1%}"
        )
    return "\n".join(lines)


# ============================================================================ decay rules
def decay_comparison(
    grad_scales: Sequence[float] = (0.0, 0.01, 0.1, 1.0, 10.0),
    weight_decay: float = 0.1,
    lr: float = 0.01,
    steps: int = 500,
    n_weights: int = 1000,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """How far each decay rule shrinks weights whose loss gradient is pure noise of a given size.

    ``n_weights`` weights per entry of ``grad_scales``, all starting at 1.0. At
    every step each weight receives the "data" gradient ``scale * noise`` (the
    same seeded standard-normal noise for every rule), which pulls nowhere on
    average: only the decay shrinks a weight on average. Four rules, with the
    same ``lr`` and ``weight_decay``:

    * ``"SGD + L2"``: ``g + weight_decay * w`` added by hand, then ``SGD``;
    * ``"SGD(weight_decay)"``: ``SGD(..., weight_decay)``, the same update;
    * ``"Adam(weight_decay)"``: the L2 term inside Adam's gradient, so divided by ``sqrt(v)``;
    * ``"AdamW(weight_decay)"``: ``w *= 1 - lr * weight_decay``, then the Adam step.

    Returns
    -------
    dict of str -> ndarray, shape (steps + 1, len(grad_scales))
        Per rule, the mean weight of each group after 0, 1, ..., ``steps`` steps.
    """
    scales = np.repeat(np.asarray(grad_scales, dtype=float), n_weights)  # (K * n,)
    gen = np.random.default_rng(seed)
    noise = gen.standard_normal((steps, len(scales)))  # (T, K * n)
    rules = {
        "SGD + L2": (SGD, 0.0, weight_decay),
        "SGD(weight_decay)": (SGD, weight_decay, 0.0),
        "Adam(weight_decay)": (Adam, weight_decay, 0.0),
        "AdamW(weight_decay)": (AdamW, weight_decay, 0.0),
    }
    paths = {}
    for name, (cls, wd, by_hand) in rules.items():
        layer = Linear(len(scales), 1, init="ones", bias=False)  # W (K * n, 1), all 1.0
        (param,) = layer.parameters()
        opt = cls([param], lr=lr, weight_decay=wd)
        means = [np.ones(len(grad_scales))]
        for t in range(steps):
            g = (scales * noise[t]).reshape(-1, 1)  # (K * n, 1) the "data" gradient
            param.grad = g + by_hand * param.data  # + weight_decay * w when L2 is by hand
            opt.step()
            means.append(param.data.reshape(len(grad_scales), n_weights).mean(axis=1))
        paths[name] = np.array(means)  # (T + 1, K)
    return paths


def decay_table(paths: Mapping[str, np.ndarray], grad_scales: Sequence[float]) -> str:
    """The mean final weight of :func:`decay_comparison`, a row per rule, a column per scale."""
    cols = "".join(f"{f'grad std {s:g}':>15}" for s in grad_scales)
    lines = [f"{'rule (start: 1.0)':<21}{cols}"]
    for name, path in paths.items():
        lines.append(f"{name:<21}" + "".join(f"{w:15.3f}" for w in path[-1]))
    return "\n".join(lines)


# ============================================================================ dropout
def dropout_expectation(
    x: np.ndarray, p: float, n_masks: int = 10_000, seed: int = 0
) -> dict[str, np.ndarray]:
    """The average of ``n_masks`` dropout outputs of one row ``x``, with and without the scale.

    Returns ``{"inverted": mean of x * mask / (1 - p), "unscaled": mean of x * mask,
    "eval": Dropout in eval mode}``, each of ``x``'s shape ``(D,)``.
    """
    x = np.asarray(x, dtype=float).reshape(-1)  # (D,)
    drop = Dropout(p, rng=seed)
    batch = np.tile(x, (n_masks, 1))  # (n_masks, D): one mask per row
    inverted = drop.forward(batch)  # x * mask / (1 - p)
    drop.eval()
    return {
        "inverted": inverted.mean(axis=0),
        "unscaled": (inverted * (1.0 - p)).mean(axis=0),  # the same masks without 1 / (1 - p)
        "eval": drop.forward(x.reshape(1, -1))[0],
    }


def forgotten_eval(model: Sequential, task: Task, passes: int = 20) -> dict[str, Any]:
    """Validation accuracy of a dropout model in eval mode, and in train mode left on by mistake.

    Returns ``eval_accuracy``, ``train_mode_accuracies`` (one per pass, each
    with fresh masks, shape ``(passes,)``) and ``flipped``: the fraction of
    validation points whose predicted class differs between two train-mode passes.
    """
    X, y = task.X_val, task.y_val
    eval_acc = accuracy(predict(model, X, batch_size=CHUNK), y, from_logits=True)
    was_training = model.training
    model.train()  # the mistake: dropout stays on while predicting
    try:
        outs = [np.concatenate([model.forward(X[s : s + CHUNK]) for s in range(0, len(X), CHUNK)])
                for _ in range(passes)]  # fmt: skip
    finally:
        model.train(was_training)
    accs = np.array([accuracy(o, y, from_logits=True) for o in outs])
    flipped = float(np.mean((outs[0] > 0) != (outs[1] > 0)))
    return {"eval_accuracy": eval_acc, "train_mode_accuracies": accs, "flipped": flipped}


# ============================================================================ boundaries
def probabilities(model: Module, points: np.ndarray) -> np.ndarray:
    """``P(class 1)`` at each row of ``points`` ``(M, 2)``, in eval mode; shape ``(M,)``."""
    z = predict(model, points, batch_size=CHUNK).reshape(-1)  # (M,) logits
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))
