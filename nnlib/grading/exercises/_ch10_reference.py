"""The reference answers of chapter 10's exercises, each with the wrong variants its check names.

Every function computes what a correct learner's function returns; its
keyword arguments (all defaulting to the right answer) plant one typical
mistake each, so a check can tell which mistake explains a wrong result.
The layout is the exercises': parameters in a dict ``W1, b1, ..., WL, bL``
with ``W`` of shape ``(in, out)``, rows of ``X`` are examples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np


def init_std(fan_in: int, fan_out: int, method: str) -> float:
    """He: ``sqrt(2 / fan_in)``; Xavier (Glorot normal): ``sqrt(2 / (fan_in + fan_out))``."""
    return math.sqrt(2.0 / fan_in) if method == "he" else math.sqrt(2.0 / (fan_in + fan_out))


def forward_reference(
    X: np.ndarray,
    params: dict,
    *,
    act: Callable = lambda z: np.maximum(z, 0),
    relu_last: bool = False,
    bias: bool = True,
) -> np.ndarray:
    """The scores: ReLU after every layer but the last; keywords give wrong variants."""
    n_layers = len(params) // 2
    h = X
    for i in range(1, n_layers + 1):
        z = h @ params[f"W{i}"] + (params[f"b{i}"] if bias else 0)
        h = act(z) if i < n_layers or relu_last else z
    return h


def softmax_ce_reference(
    scores: np.ndarray,
    y: np.ndarray,
    *,
    shift: str = "row",
    reduce: str = "mean",
    grad_n: bool = True,
    onehot: str = "rows",
) -> tuple[float, np.ndarray]:
    """``(mean of -log p[i, y_i], (p - onehot(y)) / N)``; keywords give wrong variants."""
    n = scores.shape[0]
    if shift == "row":
        z = scores - scores.max(axis=1, keepdims=True)
    elif shift == "all":
        z = scores - scores.max()
    else:
        z = scores
    with np.errstate(all="ignore"):
        log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        p = np.exp(log_p)
    picked = log_p[np.arange(n), y]
    loss = -(picked.mean() if reduce == "mean" else picked.sum())
    d = p.copy()
    if onehot == "rows":
        d[np.arange(n), y] -= 1
    elif onehot == "columns":
        d[:, y] -= 1
    return float(loss), (d / n if grad_n else d).astype(scores.dtype)


def backward_reference(
    X: np.ndarray,
    params: dict,
    dscores: np.ndarray,
    *,
    mask: str = "hidden",
    db: str = "sum",
    scale_n: bool = False,
) -> dict:
    """The gradients of every parameter for the upstream ``dscores``; keywords: wrong variants."""
    n_layers = len(params) // 2
    hs, zs = [], []
    h = X
    for i in range(1, n_layers + 1):
        z = h @ params[f"W{i}"] + params[f"b{i}"]
        hs.append(h)
        zs.append(z)
        h = np.maximum(z, 0) if i < n_layers else z
    grads = {}
    dout = dscores
    for i in range(n_layers, 0, -1):
        if (i < n_layers and mask != "none") or mask == "all":
            dout = dout * (zs[i - 1] > 0)
        k = 1 / X.shape[0] if scale_n else 1
        grads[f"W{i}"] = k * hs[i - 1].T @ dout
        grads[f"b{i}"] = dout.sum(axis=0) if db == "sum" else dout.mean(axis=0)
        dout = dout @ params[f"W{i}"].T
    return grads


def gradient_check_reference(
    loss_of: Any,
    params: dict,
    grads: dict,
    h: float = 1e-5,
    *,
    kind: str = "centered",
    err: str = "max",
) -> dict:
    """Relative error of every ``grads[name]`` against centered differences of ``loss_of``."""
    work = {k: v.copy() for k, v in params.items()}
    out = {}
    for name, p in work.items():
        num = np.zeros_like(p)
        base = float(loss_of(work))
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            up = float(loss_of(work))
            p[idx] = old - h
            down = float(loss_of(work))
            p[idx] = old
            if kind == "centered":
                num[idx] = (up - down) / (2 * h)
            elif kind == "forward":
                num[idx] = (up - base) / h
            else:  # "over h"
                num[idx] = (up - down) / h
        a = grads[name]
        if err == "max":
            out[name] = float(np.max(np.abs(a - num)) / max(1e-8, np.max(np.abs(a) + np.abs(num))))
        elif err == "no abs":
            out[name] = float(np.max(np.abs(a - num)) / max(1e-8, np.max(np.abs(a + num))))
        else:  # "mean"
            out[name] = float(np.mean(np.abs(a - num)) / max(1e-8, np.max(np.abs(a) + np.abs(num))))
    return out


def momentum_reference(
    params: dict,
    grads: dict,
    velocity: dict,
    lr: float,
    momentum: float,
    *,
    form: str = "torch",
) -> tuple[dict, dict]:
    """torch's ``v = momentum * v + g; p = p - lr * v``; ``form`` gives wrong variants."""
    new_p, new_v = {}, {}
    for k, p in params.items():
        g, v = grads[k], velocity[k]
        if form == "classic":
            v = momentum * v - lr * g
            new_p[k] = p + v
        elif form == "lr inside":
            v = momentum * v + lr * g
            new_p[k] = p - v
        elif form == "no momentum":
            v = g.copy()
            new_p[k] = p - lr * v
        elif form == "old velocity":
            new_p[k] = p - lr * (momentum * v + g)
            v = v.copy()
        elif form == "gradient step":
            v = momentum * v + g
            new_p[k] = p - lr * g
        else:
            v = momentum * v + g
            new_p[k] = p - lr * v
        new_v[k] = v
    return new_p, new_v


def train_reference(
    params: dict,
    X: np.ndarray,
    y: np.ndarray,
    epochs: int,
    batch_size: int,
    lr: float,
    momentum: float,
    seed: int,
    *,
    shuffle: str = "each epoch",
    drop_last: bool = False,
    reset: bool = False,
) -> tuple[dict, list[float]]:
    """The loop with the references as pieces; keywords give wrong variants."""
    rng = np.random.default_rng(seed)
    velocity = {k: np.zeros_like(p) for k, p in params.items()}
    losses: list[float] = []
    n = X.shape[0]
    for _ in range(epochs):
        if shuffle in ("each epoch", "x only"):
            order = rng.permutation(n)
        elif shuffle == "same order":
            order = np.random.default_rng(seed).permutation(n)
        else:
            order = np.arange(n)
        if reset:
            velocity = {k: np.zeros_like(p) for k, p in params.items()}
        stop = n - batch_size + 1 if drop_last else n
        for start in range(0, stop, batch_size):
            rows = order[start : start + batch_size]
            labels = y[start : start + batch_size] if shuffle == "x only" else y[rows]
            loss, dscores = softmax_ce_reference(forward_reference(X[rows], params), labels)
            grads = backward_reference(X[rows], params, dscores)
            params, velocity = momentum_reference(params, grads, velocity, lr, momentum)
            losses.append(loss)
    return params, losses
