"""The fast path: one flat parameter buffer, fused optimizer updates, a preplanned training step.

Nothing in the course needs this module; the readable classes (``nnlib.optim``,
``nnlib.layers``, ``nnlib.activations``, ``nnlib.losses``) say what a training
step computes. This module computes the same numbers with fewer, larger NumPy
calls, the way ``torch.optim`` keeps its ``foreach``/``fused`` kernels apart
from the single-tensor ones. ``tests/test_fused.py`` checks it against the
readable path: equal to 1e-12 in float64 and to a few float32 ulp over 50
steps, for every optimizer option and every layer type.

Two pieces, each opt-in:

* ``FlatOptimizer``, used by ``SGD(..., fused=True)`` and the other optimizers:
  every parameter moves into one contiguous buffer (the layers hold views of
  it, and their gradients get views of a second buffer), so that a single
  vectorized update runs over all the parameters at once. Each update is the
  readable ``_update`` written with preallocated temporaries (``out=``), on
  cache-sized chunks of the buffer, and with the same operations in the same
  order, so the results agree bit for bit in practice.
* ``TrainStep(model, loss_fn, optimizer)``: ``step(xb, yb)`` does what
  ``nnlib.train_step`` does, with the buffers of every layer allocated once,
  matrix products written in place (``np.matmul(..., out=)``), gradients
  written straight into the optimizer's flat buffer, and no input gradient
  for the first layer (nobody reads it). ``Linear``, ``ReLU`` and ``Tanh`` get
  this treatment; every other layer (``Dropout``, the other activations, your
  own modules) runs its own ``forward``/``backward``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .activations import ReLU, Tanh
from .layers import Linear, Sequential
from .losses import BCEWithLogitsLoss, CrossEntropyLoss
from .module import Module, Parameter

__all__ = ["FlatOptimizer", "TrainStep", "CHUNK"]

#: Elements per chunk of a fused update: 32768 float32 (128 KB) stay in the CPU cache
#: across the dozen passes of an Adam step, where a whole 10 MB buffer would not
#: (measured: Adam over 2.6 M float32 parameters is about 25% faster in chunks).
CHUNK = 1 << 15


# -- the update kernels: each optimizer's _update with out= temporaries ----------------
# Arguments: the optimizer (for its hyperparameters), w and g (1-D chunks of the flat
# buffers), st (the matching chunks of the state arrays), tmp and tmp2 (scratch of the
# same length) and t (this parameter's step count, 1 on the first step).
def _sgd(opt, w, g, st, tmp, tmp2, t):
    if opt.weight_decay:
        np.multiply(w, opt.weight_decay, out=tmp2)
        g = np.add(g, tmp2, out=tmp2)  # g + weight_decay * w
    if opt.momentum:
        b = st["momentum_buffer"]
        if t == 1:
            np.copyto(b, g)  # b = g
        else:
            b *= opt.momentum
            np.multiply(g, 1.0 - opt.dampening, out=tmp)
            b += tmp  # b = momentum * b + (1 - dampening) * g
        if opt.nesterov:
            np.multiply(b, opt.momentum, out=tmp)
            g = np.add(g, tmp, out=tmp)  # g + momentum * b
        else:
            g = b
    np.multiply(g, opt.lr, out=tmp)
    w -= tmp  # w = w - lr * g


def _adagrad(opt, w, g, st, tmp, tmp2, t):
    s = st["sum"]
    if opt.weight_decay:
        np.multiply(w, opt.weight_decay, out=tmp2)
        g = np.add(g, tmp2, out=tmp2)
    clr = opt.lr / (1 + (t - 1) * opt.lr_decay)
    np.multiply(g, g, out=tmp)
    s += tmp  # s = s + g * g
    np.sqrt(s, out=tmp)
    tmp += opt.eps
    np.divide(g, tmp, out=tmp)
    tmp *= clr
    w -= tmp  # w = w - clr * (g / (sqrt(s) + eps))


def _rmsprop(opt, w, g, st, tmp, tmp2, t):
    alpha = opt.alpha
    v = st["square_avg"]
    if opt.weight_decay:
        np.multiply(w, opt.weight_decay, out=tmp2)
        g = np.add(g, tmp2, out=tmp2)
    v *= alpha
    np.multiply(g, 1.0 - alpha, out=tmp)
    tmp *= g
    v += tmp  # v = alpha * v + (1 - alpha) * g * g
    if opt.centered:
        m = st["grad_avg"]
        np.subtract(g, m, out=tmp)
        tmp *= 1.0 - alpha
        m += tmp  # m = m + (1 - alpha) * (g - m)
        np.multiply(m, m, out=tmp)
        np.subtract(v, tmp, out=tmp)
        np.sqrt(tmp, out=tmp)
    else:
        np.sqrt(v, out=tmp)
    tmp += opt.eps  # avg
    np.divide(g, tmp, out=tmp)
    if opt.momentum:
        b = st["momentum_buffer"]
        b *= opt.momentum
        b += tmp  # b = momentum * b + g / avg
        np.multiply(b, opt.lr, out=tmp)
    else:
        tmp *= opt.lr
    w -= tmp


def _adam(opt, w, g, st, tmp, tmp2, t):
    beta1, beta2 = opt.betas
    if opt.weight_decay and opt._decoupled:
        w *= 1.0 - opt.lr * opt.weight_decay
    elif opt.weight_decay:
        np.multiply(w, opt.weight_decay, out=tmp2)
        g = np.add(g, tmp2, out=tmp2)
    m, v = st["exp_avg"], st["exp_avg_sq"]
    np.subtract(g, m, out=tmp)
    tmp *= 1.0 - beta1
    m += tmp  # m = m + (1 - beta1) * (g - m)
    v *= beta2
    np.multiply(g, 1.0 - beta2, out=tmp)
    tmp *= g
    v += tmp  # v = beta2 * v + (1 - beta2) * g * g
    if opt.amsgrad:
        v = np.maximum(st["max_exp_avg_sq"], v, out=st["max_exp_avg_sq"])
    np.sqrt(v, out=tmp)
    tmp /= math.sqrt(1.0 - beta2**t)
    tmp += opt.eps  # denom
    np.divide(m, tmp, out=tmp)
    tmp *= opt.lr / (1.0 - beta1**t)
    w -= tmp


def _state_arrays(opt: Any, kernel: str) -> dict[str, float]:
    """The state arrays ``kernel`` keeps, each with its starting value."""
    if kernel == "sgd":
        return {"momentum_buffer": 0.0} if opt.momentum else {}
    if kernel == "adagrad":
        return {"sum": opt.initial_accumulator_value}
    if kernel == "rmsprop":
        names = {"square_avg": 0.0}
        if opt.centered:
            names["grad_avg"] = 0.0
        if opt.momentum:
            names["momentum_buffer"] = 0.0
        return names
    names = {"exp_avg": 0.0, "exp_avg_sq": 0.0}
    if opt.amsgrad:
        names["max_exp_avg_sq"] = 0.0
    return names


_KERNELS = {"sgd": _sgd, "adagrad": _adagrad, "rmsprop": _rmsprop, "adam": _adam}
_COUNTS_STEPS = {"adagrad", "adam"}  # the readable state of these has a "step" entry


def _kernel_name(opt: Any) -> str:
    """The kernel of ``opt``'s class, refusing a subclass that rewrote ``_update``."""
    for cls in type(opt).__mro__:
        if "_fused_kernel" in vars(cls):
            if cls._fused_kernel is not None and type(opt)._update is vars(cls).get("_update"):
                return cls._fused_kernel
            break
    raise TypeError(
        f"{type(opt).__name__} has no fused update (its _update is its own); use fused=False"
    )


class FlatOptimizer:
    """The fused update behind ``fused=True``: all parameters in one flat buffer.

    Built by the optimizer; it moves every parameter into one contiguous array
    ``flat_params`` (each ``owner.params[name]`` becomes a view of it) and
    gives the gradients a second one, ``flat_grads``. ``step()`` copies into
    ``flat_grads`` any gradient a layer wrote as a new array (none, with
    ``TrainStep``, which writes there directly) and runs the update over the
    whole buffer, chunk by chunk; parameters without a gradient, or at another
    step count, are updated one by one, as the readable path does.

    Parameters
    ----------
    opt : Optimizer
        Its ``params`` must share one floating dtype.
    """

    def __init__(self, opt: Any) -> None:
        self.opt = opt
        self.kernel_name = _kernel_name(opt)
        self.kernel = _KERNELS[self.kernel_name]
        params: list[Parameter] = opt.params
        dtypes = {p.data.dtype for p in params}
        if len(dtypes) != 1 or next(iter(dtypes)).kind != "f":
            found = ", ".join(sorted(str(d) for d in dtypes))
            raise TypeError(
                f"fused=True needs every parameter in one floating dtype; got {found}. "
                "Convert the model first (model.astype(np.float32)), or use fused=False"
            )
        dtype = dtypes.pop()
        sizes = [p.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        self.flat_params = np.empty(self.offsets[-1], dtype=dtype)
        self.flat_grads = np.zeros(self.offsets[-1], dtype=dtype)
        self.param_views: list[np.ndarray] = []
        self.grad_views: list[np.ndarray] = []
        for p, a, b in zip(params, self.offsets[:-1], self.offsets[1:], strict=True):
            w = self.flat_params[a:b].reshape(p.shape)
            w[...] = p.data
            g = self.flat_grads[a:b].reshape(p.shape)
            if p.grad is not None:
                g[...] = p.grad
                p.grad = g
            p.owner.params[p.name] = w
            self.param_views.append(w)
            self.grad_views.append(g)
        self.steps = [0] * len(params)
        self.flat_state: dict[str, np.ndarray] | None = None  # made on the first step
        n = min(self.offsets[-1], CHUNK)
        self._tmp = np.empty(n, dtype=dtype)
        self._tmp2 = np.empty(n, dtype=dtype)

    def step(self) -> None:
        """Update every parameter that has a gradient, as the readable ``step()`` would."""
        opt, params = self.opt, self.opt.params
        if self.flat_state is None:
            self.flat_state = {
                name: np.full_like(self.flat_params, value)
                for name, value in _state_arrays(opt, self.kernel_name).items()
            }
        active = []
        for i, (p, w, g_flat) in enumerate(
            zip(params, self.param_views, self.grad_views, strict=True)
        ):
            owner, name = p.owner, p.name
            if owner.params[name] is not w:
                raise RuntimeError(
                    f"{p!r} was replaced after the fused optimizer was built (by "
                    "model.astype?); build the optimizer again"
                )
            g = owner.grads.get(name)
            if g is None:
                continue
            if g is not g_flat:
                np.copyto(g_flat, g)  # a layer wrote a new array: gather it
            self.steps[i] += 1
            active.append(i)
        if not active:
            return
        t = self.steps[active[0]]
        if len(active) == len(params) and all(s == t for s in self.steps):
            self._run(0, self.offsets[-1], t)  # the common case: one update over everything
        else:
            for i in active:
                self._run(self.offsets[i], self.offsets[i + 1], self.steps[i])
        counts = self.kernel_name in _COUNTS_STEPS
        for i in active:
            state = opt.state[params[i]]
            if not state:
                self._publish_state(i)
            elif counts:
                state["step"] = self.steps[i]

    def zero_grad(self) -> None:
        """Every gradient zero: the views of the flat gradient buffer, filled with 0."""
        self.flat_grads.fill(0.0)
        for p, g in zip(self.opt.params, self.grad_views, strict=True):
            p.grad = g

    def _run(self, start: int, stop: int, t: int) -> None:
        """The kernel over ``[start, stop)`` of the flat buffers, in chunks of ``CHUNK``."""
        state = self.flat_state
        for a in range(start, stop, CHUNK):
            b = min(a + CHUNK, stop)
            st = {name: arr[a:b] for name, arr in state.items()}
            n = b - a
            w, g = self.flat_params[a:b], self.flat_grads[a:b]
            self.kernel(self.opt, w, g, st, self._tmp[:n], self._tmp2[:n], t)

    def _publish_state(self, i: int) -> None:
        """``opt.state[p]`` as the readable path keeps it: views of the flat state."""
        p = self.opt.params[i]
        state = self.opt.state[p]
        if not state:
            a, b = self.offsets[i], self.offsets[i + 1]
            for name, arr in self.flat_state.items():
                state[name] = arr[a:b].reshape(p.shape)
        if self.kernel_name in _COUNTS_STEPS:
            state["step"] = self.steps[i]


# -- the preplanned training step ---------------------------------------------------
def _flat_layers(model: Module) -> list[Module]:
    """The layers of a (nested) Sequential in order; a lone layer is a list of one."""
    if type(model) is Sequential:
        out: list[Module] = []
        for layer in model:
            out.extend(_flat_layers(layer))
        return out
    return [model]


class TrainStep:
    """``nnlib.train_step`` with preallocated buffers: ``loss = step(xb, yb)``.

    Does what ``train_step(model, loss_fn, optimizer, xb, yb)`` does (forward,
    loss, backward, update; no update when the loss is not finite) and gives
    the same numbers, with its work arranged for speed:

    * ``Linear`` writes ``x @ W`` into a buffer kept from one call to the next
      (one set per batch size), its ``dW`` and ``db`` straight into the
      optimizer's flat gradient buffer, and skips ``dx`` when it is the first
      layer; ``ReLU`` and ``Tanh`` work in place on those buffers;
    * ``CrossEntropyLoss`` on integer labels and ``BCEWithLogitsLoss`` on
      targets in ``[0, 1]`` of the logits' shape and dtype reuse their buffers
      too (``_cross_entropy``, ``_bce_with_logits``);
    * every other layer runs its own ``forward`` and ``backward``, every other
      loss (and any input those two would refuse, for its message) its own
      ``forward`` and ``backward``.

    The caches of the layers and of the loss are not filled, so call
    ``model.backward`` or ``loss_fn.backward`` only after a forward of your own.

    Parameters
    ----------
    model : Module
        A ``Sequential`` (nested ones are unrolled) or a single layer.
    loss_fn : Loss
    optimizer : Optimizer
        Built with ``fused=True`` on ``model.parameters()``.

    Examples
    --------
    >>> opt = optim.Adam(model.parameters(), lr=1e-3, fused=True)
    >>> step = TrainStep(model, CrossEntropyLoss(), opt)
    >>> for epoch in range(100):
    ...     loss = step(X, y)
    """

    def __init__(self, model: Module, loss_fn: Any, optimizer: Any) -> None:
        flat = getattr(optimizer, "_fused", None)
        if flat is None:
            raise ValueError(
                "TrainStep needs an optimizer built with fused=True, e.g. "
                "optim.Adam(model.parameters(), fused=True)"
            )
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.layers = _flat_layers(model)
        grad_of = {
            (id(p.owner), p.name): g for p, g in zip(optimizer.params, flat.grad_views, strict=True)
        }
        self._grad_views: list[dict[str, np.ndarray]] = []
        for layer in self.layers:
            views = {}
            if type(layer) is Linear:
                for name in layer.params:
                    key = (id(layer), name)
                    if key not in grad_of:
                        raise ValueError(
                            f"{layer!r}.{name} is not among the optimizer's parameters; "
                            "build the optimizer on model.parameters()"
                        )
                    views[name] = grad_of[key]
            self._grad_views.append(views)
        self._buffers: dict[int, list[dict[str, np.ndarray]]] = {}  # per batch size
        self._loss_buffers_by_shape: dict[tuple, dict[str, np.ndarray]] = {}

    # -- losses: the readable formulas, in the same order, into kept buffers ------------
    def _loss_buffers(self, z: np.ndarray) -> dict[str, np.ndarray]:
        key = (z.shape, z.dtype)
        if key not in self._loss_buffers_by_shape:
            self._loss_buffers_by_shape[key] = {
                "a": np.empty_like(z),
                "b": np.empty_like(z),
                "c": np.empty_like(z),
                "rows": np.arange(z.shape[0]),
                "column_major": np.empty_like(z, order="F"),
            }
        return self._loss_buffers_by_shape[key]

    def _cross_entropy(self, z: np.ndarray, y: Any) -> tuple[float, np.ndarray] | None:
        """``CrossEntropyLoss`` on labels: ``(loss, dz)``, or None to let the loss do it."""
        y = np.asarray(y)
        n = z.shape[0] if z.ndim == 2 else -1
        if y.shape != (n,) or y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= z.shape[1]:
            return None
        buf = self._loss_buffers(z)
        log_p, dz, rows = buf["a"], buf["b"], buf["rows"]
        if z.shape[1] <= 32:  # a max along short rows is ~4x faster on a column-major copy
            zf = buf["column_major"]
            zf[...] = z
            z_max = zf.max(axis=1, keepdims=True)  # the same numbers: a max is exact
        else:
            z_max = z.max(axis=1, keepdims=True)
        with np.errstate(under="ignore"):
            np.subtract(z, z_max, out=log_p)  # shifted
            np.exp(log_p, out=dz)
            log_sum = dz.sum(axis=1, keepdims=True)
            np.log(log_sum, out=log_sum)
            log_p -= log_sum  # log_softmax(z)
            per = log_p[rows, y]
            np.negative(per, out=per)  # -log softmax(z)[y]
            loss = self.loss_fn._reduce(per, n)
            np.exp(log_p, out=dz)  # softmax(z)
            dz[rows, y] -= 1.0
            dz *= self.loss_fn._scale(n)
        return loss, dz

    def _bce_with_logits(self, z: np.ndarray, y: Any) -> tuple[float, np.ndarray] | None:
        """``BCEWithLogitsLoss``: ``(loss, dz)``, or None to let the loss do it."""
        y = np.asarray(y)
        if y.shape != z.shape or y.dtype != z.dtype or z.size == 0 or y.min() < 0 or y.max() > 1:
            return None
        buf = self._loss_buffers(z)
        e, per, tmp = buf["a"], buf["b"], buf["c"]
        with np.errstate(under="ignore"):
            np.abs(z, out=e)
            np.negative(e, out=e)
            np.exp(e, out=e)  # e = exp(-|z|)
            np.maximum(z, 0.0, out=per)
            per -= np.multiply(z, y, out=tmp)
            per += np.log1p(e, out=tmp)  # max(z, 0) - z * y + log(1 + e)
            loss = self.loss_fn._reduce(per, z.size)
            np.add(1.0, e, out=tmp)
            np.divide(1.0, tmp, out=tmp)  # r = 1 / (1 + e)
            np.multiply(e, tmp, out=per)
            np.copyto(per, tmp, where=z >= 0)  # sigmoid(z): r where z >= 0, else e * r
            per -= y
            per *= self.loss_fn._scale(z.size)
        return loss, per

    def _plan(self, x: np.ndarray) -> list[dict[str, np.ndarray]]:
        """Per layer, the arrays it writes into, for a batch of ``len(x)`` rows (made once)."""
        n = x.shape[0]
        if n not in self._buffers:
            plan = []
            for i, layer in enumerate(self.layers):
                bufs = {}
                if type(layer) is Linear:
                    dtype = layer.params["W"].dtype
                    bufs["out"] = np.empty((n, layer.out_features), dtype)  # x @ W + b
                    if i > 0:
                        bufs["dx"] = np.empty((n, layer.in_features), dtype)  # dout @ W.T
                plan.append(bufs)
            self._buffers[n] = plan
        return self._buffers[n]

    def __call__(self, xb: np.ndarray, yb: np.ndarray) -> float:
        """One step on the batch ``xb`` (N, D), ``yb``; returns the loss before the step."""
        x = np.asarray(xb)
        plan = self._plan(x)
        layers = self.layers
        inputs: list[Any] = [None] * len(layers)  # what each fast layer's backward needs
        owned = False  # is x one of our buffers (so that it may be overwritten)?
        for i, layer in enumerate(layers):
            kind, bufs = type(layer), plan[i]
            if kind is Linear and x.dtype == layer.params["W"].dtype and x.ndim == 2:
                if x.shape[1] != layer.in_features:
                    layer.forward(x)  # raises the readable layer's error
                inputs[i] = x
                x = np.matmul(x, layer.params["W"], out=bufs["out"])  # (N, out)
                if "b" in layer.params:
                    x += layer.params["b"]
                owned = True
            elif kind is ReLU:
                mask = bufs.get("mask")
                if mask is None or mask.shape != x.shape:
                    mask = bufs["mask"] = np.empty(x.shape, dtype=bool)
                inputs[i] = np.greater(x, 0, out=mask)  # z > 0
                # z * mask is max(z, 0) (with -0.0 for z < 0), and faster than np.maximum
                x = np.multiply(x, mask, out=x if owned else None)
                owned = True
            elif kind is Tanh:
                x = inputs[i] = np.tanh(x, out=x if owned else None)  # t, for 1 - t * t
                owned = True
            else:
                x = layer.forward(x)  # Dropout, other activations, any Module
                owned = False
        fast = None
        if type(self.loss_fn) is CrossEntropyLoss:
            fast = self._cross_entropy(x, yb)
        elif type(self.loss_fn) is BCEWithLogitsLoss:
            fast = self._bce_with_logits(x, yb)
        if fast is None:
            loss = self.loss_fn.forward(x, yb)
        else:
            loss, dout = fast
        if not math.isfinite(loss):
            return loss  # as train_step: no backward, no update
        if fast is None:
            dout = self.loss_fn.backward()  # a new array: ours to overwrite
        with np.errstate(under="ignore"):  # as the readable backward passes
            for i in range(len(layers) - 1, -1, -1):
                layer, kept = layers[i], inputs[i]
                kind = type(layer)
                if kept is None:
                    dout = layer.backward(dout)
                elif kind is Linear:
                    grads = self._grad_views[i]
                    layer.grads["W"] = np.matmul(kept.T, dout, out=grads["W"])  # x.T @ dout
                    if "b" in grads:
                        layer.grads["b"] = np.add.reduce(dout, axis=0, out=grads["b"])  # db
                    if i > 0:  # the first layer's dx is never read: skip it
                        dout = np.matmul(dout, layer.params["W"].T, out=plan[i]["dx"])
                elif kind is ReLU:
                    dout = np.multiply(dout, kept, out=dout)  # dout * mask
                else:  # Tanh; the layers after it are done with t, so t becomes 1 - t * t
                    np.multiply(kept, kept, out=kept)
                    np.subtract(1.0, kept, out=kept)
                    dout = np.multiply(dout, kept, out=dout)
        self.optimizer.step()
        return loss
