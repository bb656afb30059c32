"""Checks of chapter 3's exercises: gradient descent.

===========================  ==================================================  ======
exercise id                  the learner writes                                  points
===========================  ==================================================  ======
``sgd_step``                 ``sgd_step(params, grads, lr)``, in place               2
``minibatches``              ``minibatches(X, y, batch_size, rng)``, a generator     2
                             of ``(xb, yb)`` pairs
``train_linear_regression``  ``train_linear_regression(X, y, lr, epochs)``           3
                             ``-> (w, b, losses)``
``early_stopping``           ``early_stopping(val_losses, patience)``                2
                             ``-> (stop_epoch, best_epoch)``
===========================  ==================================================  ======

The update is checked against ``p - lr * g`` (as ``nnlib.optim.SGD`` does it),
on the very arrays passed in. The mini-batch check never asks for a particular
order: it checks that every example comes exactly once per epoch, paired with
its label, in batches of the asked size, and that the order is random, drawn
from the given generator (same seed, same batches; another seed or the next
epoch, other batches). Training and early stopping are deterministic and are
compared with inline references, whose keyword arguments produce the wrong
variants of the catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..checks import Check
from ..diagnose import Mistake, close
from ..feedback import _arg_names
from ..registry import Exercise

__all__ = [
    "check_sgd_step",
    "check_minibatches",
    "check_train_linear_regression",
    "check_early_stopping",
]

SGD_STEP = Exercise("ch03", "sgd_step", "Gradient-descent step, in place", points=2)
MINIBATCHES = Exercise("ch03", "minibatches", "Shuffled mini-batches", points=2)
TRAIN_LINEAR_REGRESSION = Exercise(
    "ch03", "train_linear_regression", "Training loop for linear regression", points=3
)
EARLY_STOPPING = Exercise("ch03", "early_stopping", "Early stopping", points=2)


# ---------------------------------------------------------------- sgd_step


def _step_variant(update: Callable[[np.ndarray, np.ndarray, float], np.ndarray]) -> Callable:
    """A predicate: params[i] came back as ``update(p, g, lr)`` of the pristine inputs."""

    def when(got: Any, exp: Any, ctx: dict) -> bool:
        params, grads, lr = ctx["args"][:3]
        i = ctx["i"]
        return close(got, update(params[i], grads[i], lr))

    return when


def _only_first(got: Any, exp: Any, ctx: dict) -> bool:
    params = ctx["args"][0]
    return ctx["i"] > 0 and close(got, params[ctx["i"]])


_SGD_MISTAKES = [
    Mistake(
        "wrong sign of the update: p + lr * g climbs the loss; step against the gradient, "
        "p - lr * g",
        _step_variant(lambda p, g, lr: p + lr * g),
    ),
    Mistake(
        "forgot the learning rate: the step is lr * g, not g",
        _step_variant(lambda p, g, lr: p - g),
    ),
    Mistake(
        "divided by the learning rate: the step is lr * g, not g / lr",
        _step_variant(lambda p, g, lr: p - g / lr),
    ),
    Mistake("only the first parameter changed: is there a `return` inside the loop?", _only_first),
]


def check_sgd_step(sgd_step: Any) -> None:
    """``sgd_step(params, grads, lr)`` does ``p -= lr * g`` for every pair, on the arrays given."""
    cases = [  # (seed, shapes of the parameters, lr, dtype)
        (0, [(3, 2), (2,)], 0.1, np.float64),
        (1, [(4, 4), (4,), (4, 1), (1,)], 0.05, np.float64),
        (2, [(5,)], 0.5, np.float64),
        (3, [(2, 3), (3,), (3, 3), (3,)], 0.01, np.float32),
    ]
    first = _arg_names(sgd_step, 1)[0]
    with Check(SGD_STEP, sgd_step) as c:
        for seed, shapes, lr, dtype in cases:
            rng = np.random.default_rng(1000 + seed)
            params = [rng.normal(size=s).astype(dtype) for s in shapes]
            grads = [rng.normal(size=s).astype(dtype) for s in shapes]
            arrays = list(params)  # the objects a model would hold
            out = c.call(params, grads, lr, note=f"seed {seed}", mutates=(first,), allow_alias=True)
            pristine = c.ctx["args"][0]
            expected = [p - lr * g for p, g in zip(pristine, grads, strict=True)]
            if all(np.array_equal(a, p) for a, p in zip(arrays, pristine, strict=True)):
                _explain_unchanged(c, params, arrays, out, expected)
            for i, (a, e) in enumerate(zip(arrays, expected, strict=True)):
                c.compare(a, e, name=f"params[{i}]", mistakes=_SGD_MISTAKES, ctx={"i": i})


def _explain_unchanged(
    c: Check, params: list, arrays: list, out: Any, expected: list[np.ndarray]
) -> None:
    """Fail with the reason the arrays a model holds did not change."""
    replaced = len(params) != len(arrays) or any(
        q is not a for q, a in zip(params, arrays, strict=False)
    )
    if replaced:
        raise c.failure(
            "the arrays you were given did not change; the list now holds new arrays",
            likely="`params[i] = params[i] - lr * grads[i]` puts a new array into the list, "
            "but the model keeps using the old one: change the array itself, "
            "`params[i] -= lr * grads[i]`",
            kind="not_in_place",
        )
    returned = isinstance(out, list | tuple) and len(out) == len(expected)
    if returned and all(close(o, e) for o, e in zip(out, expected, strict=True)):
        raise c.failure(
            "returned updated copies but left the parameters unchanged",
            likely="the step must change the parameters in place (the model holds these "
            "very arrays): `p -= lr * g` for each pair; nothing needs to be returned",
            kind="not_in_place",
        )
    raise c.failure(
        "the parameters did not change",
        likely="`p = p - lr * g` inside the loop only makes the name p point to a new "
        "array; change the array itself with `p -= lr * g` (or `p[...] = p - lr * g`)",
        kind="not_in_place",
    )


# ---------------------------------------------------------------- minibatches


def _data(seed: int, n: int, d: int, y_kind: str, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """X (n, d) whose column 0 is the row number, and labels y that are unique per row."""
    rng = np.random.default_rng(1100 + seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    X[:, 0] = np.arange(n)
    rows = np.arange(n)
    if y_kind == "labels":  # (N,) integers
        y = 100 + 3 * rows
    elif y_kind == "column":  # (N, 1) floats
        y = (rows + 0.5).reshape(-1, 1).astype(dtype)
    else:  # (N, 2) floats
        y = np.column_stack([rows - 0.25, rng.normal(size=n)]).astype(dtype)
    return X, y


def _epoch_runner(minibatches: Any) -> Callable:
    """Call the learner's function and collect the batches of one epoch into a list."""

    def run(X: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator) -> Any:
        out = minibatches(X, y, batch_size, rng)
        return None if out is None else list(out)

    run.__name__ = getattr(minibatches, "__name__", "minibatches")
    return run


def _epoch_order(
    c: Check, batches: Any, X: np.ndarray, y: np.ndarray, B: int
) -> tuple[np.ndarray, list[int]]:
    """Check one epoch's batches; return the row numbers in the order they came, and sizes."""
    n = len(X)
    c.require(
        batches is not None,
        "minibatches returned None",
        likely="`yield xb, yb` for each batch (a function containing `yield` is a generator)",
        kind="none",
    )
    ids, sizes = [], []
    for k, item in enumerate(batches):
        c.require(
            isinstance(item, tuple | list) and len(item) == 2,
            f"batch {k} is not a pair (xb, yb)",
            got=type(item).__name__,
            likely="`yield xb, yb`: the rows of X and of y for the same examples",
            kind="type",
        )
        xb, yb = item
        c.require(
            isinstance(xb, np.ndarray) and xb.ndim == 2 and xb.shape[1] == X.shape[1],
            f"xb of batch {k} should be rows of X, shape (B, {X.shape[1]})",
            got=f"{type(xb).__name__} of shape {np.shape(xb)}",
            likely="index the rows of X with an array of row numbers: X[idx]",
            kind="shape",
        )
        c.require(
            len(xb) > 0,
            f"batch {k} is empty",
            likely="the loop runs once too often: step through the rows with "
            "`range(0, N, batch_size)`",
            kind="empty_batch",
        )
        rows = xb[:, 0].astype(int)
        c.require(
            np.all((rows >= 0) & (rows < n)) and np.array_equal(xb, X[rows]),
            f"the rows of xb in batch {k} are not rows of X",
            likely="select whole rows: X[idx] with idx an array of row numbers",
        )
        c.require(
            isinstance(yb, np.ndarray) and yb.shape == (len(xb), *y.shape[1:]),
            f"yb of batch {k} should have shape {(len(xb), *y.shape[1:])}, one label per row of xb",
            got=f"{type(yb).__name__} of shape {np.shape(yb)}",
            likely="index y with the same row numbers as X: y[idx]",
            kind="shape",
        )
        c.require(
            np.array_equal(yb, y[rows]),
            f"in batch {k} the labels yb do not belong to the rows xb",
            likely="X and y were put in two different orders (or only one was shuffled): draw "
            "one permutation and index both with it, X[idx] and y[idx]",
            kind="pairs",
        )
        c.require(
            xb.dtype == X.dtype,
            f"xb has dtype {xb.dtype}; expected {X.dtype}, the dtype of X",
            likely="keep X's dtype: select rows with X[idx] instead of building new arrays",
            kind="dtype",
        )
        ids.append(rows)
        sizes.append(len(xb))
    c.require(sizes, "minibatches yielded no batch at all", kind="empty")
    order = np.concatenate(ids)
    counts = np.bincount(order, minlength=n)
    c.require(
        counts.max() <= 1,
        f"{int(np.sum(counts > 1))} of the {n} examples came more than once in one epoch",
        got=f"batch sizes {sizes}",
        likely="rng.integers or rng.choice(N, B) draw with replacement: shuffle the row "
        "numbers once per epoch (rng.permutation(N)) and cut them into slices",
        kind="repeats",
    )
    missing = int(np.sum(counts == 0))
    if missing:
        dropped = missing == n % B and all(s == B for s in sizes)
        raise c.failure(
            f"{missing} of the {n} examples never came in this epoch",
            got=f"batch sizes {sizes}",
            expected=f"batch sizes {_sizes(n, B)}",
            likely=(
                f"dropped the last, smaller batch: with N = {n} and batch_size = {B} the last "
                f"batch has {n % B} row{'' if n % B == 1 else 's'}; slice up to the end, "
                "idx[i:i + batch_size] for i in range(0, N, batch_size)"
                if dropped
                else "every example must come exactly once per epoch"
            ),
            kind="missing",
        )
    expected = _sizes(n, B)
    if sorted(sizes) != sorted(expected):
        split_in_b = len(sizes) == B and B != len(expected)
        raise c.failure(
            f"the batches have the wrong sizes for batch_size = {B}",
            got=f"batch sizes {sizes}",
            expected=f"batch sizes {expected} (in any order)",
            likely=(
                f"made batch_size = {B} batches instead of batches of {B} rows: "
                "np.array_split(idx, k) makes k pieces; slice idx[i:i + batch_size] instead"
                if split_in_b
                else "cut the shuffled row numbers into slices of batch_size; only the last "
                "one may be smaller"
            ),
            kind="sizes",
        )
    return order, sizes


def _sizes(n: int, B: int) -> list[int]:
    full, rest = divmod(n, B)
    return [B] * full + ([rest] if rest else [])


def _fixed_blocks(order: np.ndarray, sizes: list[int], B: int) -> bool:
    """Every batch holds exactly the rows of one aligned block k*B ... k*B + B - 1."""
    start = 0
    for s in sizes:
        rows = np.sort(order[start : start + s])
        start += s
        if rows[0] % B or not np.array_equal(rows, np.arange(rows[0], rows[0] + s)):
            return False
    return True


def check_minibatches(minibatches: Any) -> None:
    """One epoch of shuffled mini-batches: every example once, drawn from the given rng."""
    cases = [  # (seed, N, D, batch_size, kind of y, dtype)
        (0, 10, 3, 3, "labels", np.float64),
        (1, 12, 2, 4, "column", np.float64),
        (2, 7, 1, 1, "labels", np.float64),
        (3, 5, 2, 8, "matrix", np.float64),
        (4, 1, 3, 2, "labels", np.float64),
        (5, 23, 4, 5, "column", np.float32),
        (6, 16, 2, 16, "labels", np.float64),
    ]
    run = _epoch_runner(minibatches)
    with Check(MINIBATCHES, minibatches) as c:
        orders = []
        for seed, n, d, B, y_kind, dtype in cases:
            X, y = _data(seed, n, d, y_kind, dtype)
            rng = np.random.default_rng(1200 + seed)
            batches = c.call(X, y, B, rng, fn=run, note=f"seed {seed}", allow_alias=True)
            orders.append((*_epoch_order(c, batches, X, y, B), n, B))

        shuffled = [case for case in orders if case[2] >= 5]
        c.tried = f"all {len(cases)} epochs of the cases above (seeds 0 to {len(cases) - 1})"
        c.require(
            any(not np.array_equal(o, np.arange(n)) for o, _, n, _ in shuffled),
            "the examples always come in their original order",
            likely="shuffle: draw a permutation of the row numbers from rng "
            "(rng.permutation(N)) at the start of every epoch",
            kind="not_shuffled",
        )
        several = [(o, sizes, B) for o, sizes, n, B in shuffled if 1 < B < n]
        c.require(
            not all(_fixed_blocks(o, sizes, B) for o, sizes, B in several),
            "every batch holds the same examples as without shuffling",
            likely="shuffled only the order of the batches, or the rows inside each batch: "
            "shuffle all N row numbers first, then cut them into batches",
            kind="fixed_batches",
        )

        X, y = _data(7, 20, 2, "labels", np.float64)

        def epoch(rng: np.random.Generator, note: str) -> np.ndarray:
            batches = c.call(X, y, 6, rng, fn=run, note=note, allow_alias=True)
            return _epoch_order(c, batches, X, y, 6)[0]

        first = epoch(np.random.default_rng(42), "rng = np.random.default_rng(42)")
        again = epoch(np.random.default_rng(42), "a new np.random.default_rng(42)")
        c.require(
            np.array_equal(first, again),
            "two generators with the same seed gave different batches",
            likely="used NumPy's global generator (np.random.shuffle, np.random.permutation) "
            "or a new unseeded one: draw the order from the rng argument, rng.permutation(N)",
            kind="not_reproducible",
        )
        other = epoch(np.random.default_rng(43), "rng = np.random.default_rng(43)")
        c.require(
            not np.array_equal(first, other),
            "generators with different seeds gave the same batches",
            likely="ignored the rng argument (e.g. made np.random.default_rng(0) inside the "
            "function): draw the order from the rng you are given",
            kind="ignores_rng",
        )
        rng = np.random.default_rng(44)
        epoch1 = epoch(rng, "epoch 1 with np.random.default_rng(44)")
        epoch2 = epoch(rng, "epoch 2 with the same generator")
        c.require(
            not np.array_equal(epoch1, epoch2),
            "two epochs with the same generator gave the same batches",
            likely="draw a new permutation from rng every time the function runs; do not "
            "re-create a generator from a fixed seed",
            kind="same_every_epoch",
        )


# ---------------------------------------------------------------- train_linear_regression


def train_reference(
    X: np.ndarray,
    y: np.ndarray,
    lr: float,
    epochs: int,
    *,
    sign: float = 1.0,
    use_lr: bool = True,
    average_grad: bool = True,
    factor: float = 2.0,
    average_loss: bool = True,
    record_after: bool = False,
    update_bias: bool = True,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Full-batch gradient descent on the MSE of ``X @ w + b``; keywords give wrong variants.

    ``w`` starts at zeros (D,), ``b`` at 0.0; ``losses[t]`` is the loss of the
    weights that epoch t starts from.
    """
    n, d = X.shape
    w, b = np.zeros(d), 0.0
    step = lr if use_lr else 1.0
    scale = n if average_grad else 1

    def loss_of(w: np.ndarray, b: float) -> float:
        r = X @ w + b - y
        return float(np.mean(r**2) if average_loss else np.sum(r**2))

    losses = []
    for _ in range(epochs):
        r = X @ w + b - y  # (N,)
        if not record_after:
            losses.append(loss_of(w, b))
        dw = factor * X.T @ r / scale  # (D,)
        db = factor * np.sum(r) / scale
        w = w - sign * step * dw
        if update_bias:
            b = b - sign * step * db
        if record_after:
            losses.append(loss_of(w, b))
    return w, b, np.array(losses)


_TRAIN_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "the loss is summed over the examples: the MSE is their mean, np.mean((pred - y) ** 2)",
        {"average_loss": False},
    ),
    (
        "recorded each loss after the update: losses[t] is the loss of the weights epoch t "
        "starts from, so losses[0] is the loss at w = 0, b = 0",
        {"record_after": True},
    ),
    (
        "the steps go uphill: with r = pred - y the update is w - lr * (2/N) Xᵀ r; check the "
        "sign of the residual and of the step",
        {"sign": -1.0},
    ),
    ("forgot the learning rate: the step is lr * gradient", {"use_lr": False}),
    (
        "did not average the gradient over the N examples: dL/dw = (2/N) Xᵀ (pred - y)",
        {"average_grad": False},
    ),
    (
        "a factor 2 is missing in the gradient: the derivative of r² is 2r, so "
        "dL/dw = (2/N) Xᵀ (pred - y)",
        {"factor": 1.0},
    ),
    (
        "b never changes: update it too, b = b - lr * dL/db with dL/db = (2/N) Σ (pred - y)",
        {"update_bias": False},
    ),
]


def _train_mistakes(index: int) -> list[Mistake]:
    """The catalogue for return value ``index`` (0: w, 1: b, 2: losses)."""

    def variant(kw: dict[str, Any]) -> Callable[..., Any]:
        return lambda *args: train_reference(*args, **kw)[index]

    mistakes = [Mistake(msg, impl=variant(kw)) for msg, kw in _TRAIN_VARIANTS]
    if index == 0:
        mistakes.insert(
            0,
            Mistake(
                "w is a column of shape (D, 1): keep it a vector, np.zeros(D), so that X @ w "
                "has shape (N,) like y",
                lambda got, exp, ctx: np.shape(got) == (len(exp), 1),
            ),
        )
    if index == 2:
        mistakes.insert(
            0,
            Mistake(
                "one loss too many: record one loss per epoch, before its update "
                "(epochs values, not epochs + 1)",
                lambda got, exp, ctx: np.shape(got) == (ctx["args"][3] + 1,),
            ),
        )
    return mistakes


_W_MISTAKES, _B_MISTAKES, _LOSSES_MISTAKES = (_train_mistakes(i) for i in range(3))


def check_train_linear_regression(train_linear_regression: Any) -> None:
    """``train_linear_regression(X, y, lr, epochs)`` returns ``(w, b, losses)``."""
    cases = [  # (seed, N, D, lr, epochs)
        (0, 20, 1, 0.1, 15),
        (1, 30, 3, 0.05, 25),
        (2, 8, 2, 0.3, 1),
        (3, 1, 2, 0.2, 6),
        (4, 50, 4, 0.02, 40),
    ]
    with Check(TRAIN_LINEAR_REGRESSION, train_linear_regression) as c:
        for seed, n, d, lr, epochs in cases:
            rng = np.random.default_rng(1300 + seed)
            X = rng.normal(size=(n, d))
            y = X @ rng.normal(size=d) + rng.normal() + 0.3 * rng.normal(size=n)
            got = c.call(X, y, lr, epochs, note=f"seed {seed}")
            w, b, losses = c.unpack(got, ("w", "b", "losses"))
            ref_w, ref_b, ref_losses = train_reference(X, y, lr, epochs)
            if isinstance(losses, list | tuple):
                try:
                    losses = np.array(losses, dtype=float)
                except (TypeError, ValueError):
                    raise c.failure(
                        "losses should hold one number per epoch",
                        got=f"a {type(losses).__name__} of {len(losses)} items",
                        likely="append a plain number, e.g. float(np.mean(...)), each epoch",
                        kind="type",
                    ) from None
            c.compare(losses, ref_losses, name="losses", mistakes=_LOSSES_MISTAKES)
            c.compare(w, ref_w, name="w", mistakes=_W_MISTAKES)
            c.compare(b, ref_b, name="b", mistakes=_B_MISTAKES)


# ---------------------------------------------------------------- early_stopping


def early_stopping_reference(
    val_losses: Any,
    patience: int,
    *,
    ties_improve: bool = False,
    late: bool = False,
    against_previous: bool = False,
    best_of_all: bool = False,
    count_at_end: bool = False,
) -> tuple[int, int]:
    """``(stop_epoch, best_epoch)`` of the rule; keyword arguments give wrong variants."""
    losses = [float(v) for v in val_losses]
    best, best_epoch, waited = math.inf, 0, 0
    stop = len(losses) - 1 + (1 if count_at_end else 0)
    for epoch, v in enumerate(losses):
        if against_previous:
            waited = 0 if epoch == 0 or v < losses[epoch - 1] else waited + 1
        if v < best or (ties_improve and v == best):
            best, best_epoch = v, epoch
        since = waited if against_previous else epoch - best_epoch
        if since > patience if late else since >= patience:
            stop = epoch
            break
    if best_of_all:
        best_epoch = int(np.argmin(losses))
    return stop, best_epoch


_STOP_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    (
        "an equal loss counted as an improvement: only a strictly smaller loss is one "
        "(use <, not <=)",
        {"ties_improve": True},
    ),
    (
        "one epoch too late: stop as soon as epoch - best_epoch >= patience (epochs count "
        "from 0, so return the index of the epoch, not the number of epochs run)",
        {"late": True},
    ),
    (
        "best_epoch looked at epochs that never ran: take the best among the epochs up to "
        "stop_epoch, not np.argmin over the whole list",
        {"best_of_all": True},
    ),
    (
        "counted epochs since the last decrease: the patience counts epochs since the best "
        "loss so far, so a small dip that is not a new best does not reset it",
        {"against_previous": True},
    ),
    (
        "when the rule never fires, training ends after the last epoch: stop_epoch is its "
        "index, len(val_losses) - 1",
        {"count_at_end": True},
    ),
]


def _stopping_mistakes(index: int) -> list[Mistake]:
    """The catalogue for return value ``index`` (0: stop_epoch, 1: best_epoch)."""

    def variant(kw: dict[str, Any]) -> Callable[..., int]:
        return lambda *args: early_stopping_reference(*args, **kw)[index]

    never = Mistake(
        "returned None: when the rule never fires, training ends after the last epoch, "
        "so return len(val_losses) - 1 and the best epoch",
        lambda got, exp, ctx: got is None,
    )
    return [never, *(Mistake(msg, impl=variant(kw)) for msg, kw in _STOP_VARIANTS)]


_STOP_MISTAKES, _BEST_MISTAKES = _stopping_mistakes(0), _stopping_mistakes(1)


def _noisy_curve(seed: int, n: int) -> list[float]:
    """A validation curve: falls, then rises again, with noise (rounded, so ties occur)."""
    rng = np.random.default_rng(1400 + seed)
    t = np.arange(n)
    curve = 1.0 / (1 + 0.3 * t) + 0.004 * t + 0.03 * rng.normal(size=n)
    return [round(float(v), 2) for v in curve]


def check_early_stopping(early_stopping: Any) -> None:
    """``early_stopping(val_losses, patience)`` returns ``(stop_epoch, best_epoch)``."""
    fixed = [  # (val_losses, patience, note)
        ([0.5, 0.6, 0.55, 0.58, 0.52, 0.7, 0.4], 3, "dips that are not a new best"),
        ([1.0, 0.8, 0.7, 0.75, 0.7, 0.72, 0.74, 0.6, 0.5], 3, "a tie with the best loss"),
        ([0.9, 0.8, 0.82, 0.79, 0.81, 0.83, 0.84, 0.85], 2, "a new best, then a rise"),
        ([0.5, 0.4, 0.6, 0.3, 0.2, 0.9], 4, "the rule never fires"),
        ([0.5, 0.6, 0.4, 0.45], 1, "patience 1"),
        ([0.3], 2, "a single epoch"),
        ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5], 2, "the loss keeps falling"),
    ]
    curves = [(_noisy_curve(s, n), p, f"seed {s}") for s, n, p in [(0, 40, 5), (1, 60, 8)]]
    curves.append((np.array(_noisy_curve(2, 30)), 4, "seed 2, a NumPy array"))
    with Check(EARLY_STOPPING, early_stopping) as c:
        for val_losses, patience, note in [*fixed, *curves]:
            got = c.call(val_losses, patience, note=note)
            c.require(
                got is not None,
                "early_stopping returned None",
                likely="every path needs a `return`: when the rule never fires, return "
                "len(val_losses) - 1 and the best epoch",
                kind="none",
            )
            stop, best = c.unpack(got, ("stop_epoch", "best_epoch"))
            ref_stop, ref_best = early_stopping_reference(val_losses, patience)
            c.compare(stop, ref_stop, name="stop_epoch", mistakes=_STOP_MISTAKES)
            c.compare(best, ref_best, name="best_epoch", mistakes=_BEST_MISTAKES)
