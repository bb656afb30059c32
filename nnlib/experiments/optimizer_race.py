"""The computations of chapter 6 (optimizers): races on 2-D surfaces and step sizes.

The optimizers raced here are the real ones from ``nnlib.optim`` (torch's
update rules). On a 2-D surface (``nnlib.experiments.surfaces``) the "model" is a
single point ``w = (x, y)`` held as the one parameter of a :class:`PointModule`,
whose ``backward`` writes the surface's gradient, so the loop is the same one
that trains a network::

    point = PointModule("valley")
    opt = nnlib.optim.Adam(point.parameters(), lr=0.1)
    for t in range(100):
        point.backward()        # p.grad = dL/dw at the current point
        opt.step()              # w moves in place

Everything here returns plain numbers and arrays; the figures built from them
are in ``nnlib.plots.ch06_optimizers``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import optim
from ..module import Module, Parameter
from .surfaces import Surface, get_surface

__all__ = [
    "OPTIMIZERS",
    "PointModule",
    "make_optimizer",
    "Run",
    "run_optimizer",
    "race",
    "tune_lrs",
    "race_table",
    "constant_gradient_steps",
    "UncorrectedAdam",
    "BIAS_VARIANTS",
    "bias_correction_steps",
]

#: The optimizers of the chapter, in the order they are introduced.
OPTIMIZERS = ("GD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam")
#: A run stops (and counts as diverged) once a coordinate passes this size.
MAX_COORD = 1e6


# ============================================================================ the point model
class PointModule(Module):
    """A "model" whose only parameter is a point ``w = (x, y)`` on a 2-D surface.

    Parameters
    ----------
    surface : Surface or str
        The loss ``L(w)`` (see ``nnlib.experiments.surfaces``).
    start : (float, float), optional
        The starting point (default: the surface's own ``start``).

    Attributes
    ----------
    params : dict
        ``"w"``: ndarray of shape (2,), float64.
    grads : dict
        ``"w"``: ``dL/dw`` at ``w``, written by :meth:`backward`.
    """

    def __init__(self, surface: Surface | str, start: Sequence[float] | None = None) -> None:
        super().__init__()
        self.surface = get_surface(surface)
        w0 = self.surface.start if start is None else start
        self.params["w"] = np.array(w0, dtype=np.float64)  # (2,)

    def forward(self, x: Any = None) -> float:
        """The loss ``L(w)`` at the current point (the input ``x`` is ignored)."""
        return self.surface(self.params["w"])

    def backward(self, dout: float = 1.0) -> None:
        """Write ``grads["w"] = dout * dL/dw`` (a new array; there is no input to return)."""
        w = self.params["w"]
        gx, gy = self.surface.grad(float(w[0]), float(w[1]))
        self.grads["w"] = np.array([dout * gx, dout * gy])  # (2,)

    def extra_repr(self) -> str:
        return f"{self.surface.name!r}, w={self.params['w'].tolist()}"


def make_optimizer(
    name: str,
    params: Iterable[Parameter],
    lr: float,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
) -> optim.Optimizer:
    """The ``nnlib.optim`` optimizer a chapter name stands for.

    ``"GD"`` is ``SGD(lr)``; ``"Momentum"`` and ``"Nesterov"`` are ``SGD`` with
    ``momentum`` (and ``nesterov=True``, unless ``momentum`` is 0, where both are
    plain gradient descent); ``"Adagrad"`` and ``"RMSprop"`` use
    torch's defaults (RMSprop's ``alpha = 0.99``); ``"Adam"`` uses ``betas``.
    """
    if name == "GD":
        return optim.SGD(params, lr=lr)
    if name == "Momentum":
        return optim.SGD(params, lr=lr, momentum=momentum)
    if name == "Nesterov":  # with momentum 0 the Nesterov step is the plain step
        return optim.SGD(params, lr=lr, momentum=momentum, nesterov=momentum > 0)
    if name == "Adagrad":
        return optim.Adagrad(params, lr=lr)
    if name == "RMSprop":
        return optim.RMSprop(params, lr=lr)
    if name == "Adam":
        return optim.Adam(params, lr=lr, betas=betas)
    raise ValueError(f"unknown optimizer {name!r}; choose from {OPTIMIZERS}")


# ============================================================================ races on surfaces
class Run(NamedTuple):
    """One optimizer's run on a surface.

    Attributes
    ----------
    name : str
    lr : float
    surface : Surface
    path : ndarray, shape (T + 1, 2)
        The point before the first step and after each step.
    loss : ndarray, shape (T + 1,)
        ``L`` at each row of ``path``.
    diverged : bool
        True if the point ran off (a coordinate passed 1e6 or stopped being
        finite); the run stops there, so ``T`` may be less than asked.
    """

    name: str
    lr: float
    surface: Surface
    path: np.ndarray
    loss: np.ndarray
    diverged: bool

    @property
    def final(self) -> float:
        """The loss after the last step (``inf`` if the run diverged)."""
        return math.inf if self.diverged else float(self.loss[-1])


def run_optimizer(
    surface: Surface | str,
    name: str,
    lr: float,
    steps: int = 100,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    start: Sequence[float] | None = None,
    optimizer: optim.Optimizer | None = None,
) -> Run:
    """Move a point down ``surface`` with a real ``nnlib.optim`` optimizer.

    Each step writes the surface's gradient into the point's parameter and
    calls ``optimizer.step()`` (:class:`PointModule.backward` does the same,
    inlined here because the apps run thousands of steps per slider move).

    Parameters
    ----------
    surface : Surface or str
    name : str
        One of :data:`OPTIMIZERS` (used when ``optimizer`` is None, and as a label).
    lr, momentum, betas
        Hyperparameters, see :func:`make_optimizer`.
    steps : int
        Number of updates.
    start : (float, float), optional
        Starting point (default: the surface's).
    optimizer : callable, optional
        ``optimizer(params, lr)`` building any optimizer (for variants such as
        :class:`UncorrectedAdam`); default :func:`make_optimizer` by ``name``.

    Returns
    -------
    Run
    """
    surface = get_surface(surface)
    point = PointModule(surface, start)
    params = point.parameters()
    if optimizer is None:
        opt = make_optimizer(name, params, lr, momentum, betas)
    else:
        opt = optimizer(params, lr)
    w = point.params["w"]
    grads, grad = point.grads, surface.grad
    path = np.empty((steps + 1, 2))
    path[0] = w
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            x, y = w.tolist()
            grads["w"] = np.array(grad(x, y))
            opt.step()
            path[t] = w
            if not (abs(w[0]) < MAX_COORD and abs(w[1]) < MAX_COORD):  # also catches nan
                path, diverged = path[: t + 1], True
                break
        loss = surface.value(path[:, 0], path[:, 1])
    return Run(name, float(lr), surface, path, loss, diverged)


def race(
    surface: Surface | str,
    lr: float | Mapping[str, float],
    steps: int = 100,
    names: Sequence[str] | None = None,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
) -> dict[str, Run]:
    """Run several optimizers from the same start on the same surface.

    Parameters
    ----------
    lr : float or mapping name -> float
        One learning rate for all, or one per optimizer.
    names : sequence of str, optional
        Which optimizers (default: the keys of ``lr`` if it is a mapping, else all).

    Returns
    -------
    dict name -> Run
    """
    if names is None:
        names = list(lr) if isinstance(lr, Mapping) else list(OPTIMIZERS)
    rates = lr if isinstance(lr, Mapping) else dict.fromkeys(names, lr)
    return {n: run_optimizer(surface, n, rates[n], steps, momentum, betas) for n in names}


def tune_lrs(
    surface: Surface | str,
    steps: int = 100,
    names: Sequence[str] = OPTIMIZERS,
    grid: Sequence[float] | None = None,
) -> dict[str, float]:
    """Each optimizer's best learning rate on ``surface`` for a budget of ``steps``.

    "Best" is the lowest loss after ``steps`` updates among the rates of
    ``grid`` (default: three per decade from 1e-4 to 1). A run that diverges,
    or leaves the window drawn (``surface.xlim``, ``surface.ylim``), is
    excluded: a path that jumps off the map is not one we would trust. Ties go
    to the smaller rate (and if every rate fails, the smallest is returned).

    Returns
    -------
    dict name -> float
    """
    surface = get_surface(surface)
    grid = np.logspace(-4, 0, 13) if grid is None else np.asarray(grid, dtype=float)
    lo, hi = surface.window()
    best: dict[str, float] = {}
    for name in names:
        finals = []
        for lr in grid:
            r = run_optimizer(surface, name, float(lr), steps)
            inside = np.all((r.path >= lo) & (r.path <= hi))
            finals.append(r.final if inside else math.inf)
        best[name] = float(grid[int(np.argmin(finals))])
    return best


def race_table(runs: Mapping[str, Run], escape: float | None = None) -> str:
    """A plain-text table of a race: learning rate and loss after the last step.

    Parameters
    ----------
    runs : mapping name -> Run
    escape : float, optional
        Also report the first step at which ``|y|`` passes this value (for the
        saddle: when the point has left the ridge), or "-" if it never does.
    """
    steps = max(len(r.path) for r in runs.values()) - 1
    head = f"{'optimizer':<10}{'lr':>9}{f'loss after {steps} steps':>24}"
    if escape is not None:
        head += f"{f'first step |y| > {escape:g}':>22}"
    lines = [head, "-" * len(head)]
    for name, r in runs.items():
        loss = "diverged" if r.diverged else f"{r.loss[-1]:.3g}"
        line = f"{name:<10}{r.lr:>9.3g}{loss:>24}"
        if escape is not None:
            out = np.flatnonzero(np.abs(r.path[:, 1]) > escape)
            line += f"{out[0] if out.size else '-':>22}"
        lines.append(line)
    return "\n".join(lines)


# ============================================================================ step sizes
def constant_gradient_steps(
    name: str,
    grad: Sequence[float] = (1.0, 0.01),
    lr: float = 0.1,
    steps: int = 100,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
) -> np.ndarray:
    """The step each weight takes when the gradient never changes.

    A point of ``len(grad)`` weights gets the same gradient ``grad`` at every
    step (a tilted plane), so the steps show each rule's bare behaviour:
    whether it builds up speed, shrinks, or scales each weight differently.

    Returns
    -------
    ndarray, shape (steps, D)
        ``|w_t - w_{t-1}|`` for ``t = 1 .. steps``, per weight.
    """
    holder = Module()
    holder.params["w"] = np.zeros(len(grad))
    opt = make_optimizer(name, holder.parameters(), lr, momentum, betas)
    g = np.asarray(grad, dtype=float)
    w = holder.params["w"]
    out = np.empty((steps, len(g)))
    for t in range(steps):
        before = w.copy()
        holder.grads["w"] = g.copy()
        opt.step()
        out[t] = np.abs(w - before)
    return out


class UncorrectedAdam(optim.Optimizer):
    """Adam with one or both bias corrections switched off (for comparison only).

    With both corrections on, this is exactly ``nnlib.optim.Adam`` (no weight
    decay)::

        m = beta1 * m + (1 - beta1) * g          # m starts at 0
        v = beta2 * v + (1 - beta2) * g * g      # v starts at 0
        m_hat = m / (1 - beta1**t)   if correct_first  else m
        v_hat = v / (1 - beta2**t)   if correct_second else v
        w = w - lr * m_hat / (sqrt(v_hat) + eps)

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
    betas : (float, float)
    eps : float
    correct_first, correct_second : bool
        Whether to divide ``m`` (``v``) by ``1 - beta1**t`` (``1 - beta2**t``).
    """

    _hyper_names = ("betas", "eps", "correct_first", "correct_second")

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        correct_first: bool = False,
        correct_second: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(eps)
        self.correct_first = bool(correct_first)
        self.correct_second = bool(correct_second)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["m"] = np.zeros_like(w)
            state["v"] = np.zeros_like(w)
        state["step"] = t = state["step"] + 1
        b1, b2 = self.betas
        m, v = state["m"], state["v"]
        m += (1.0 - b1) * (g - m)  # m = b1 m + (1 - b1) g
        v *= b2
        v += (1.0 - b2) * g * g  # v = b2 v + (1 - b2) g^2
        m_hat = m / (1.0 - b1**t) if self.correct_first else m
        v_hat = v / (1.0 - b2**t) if self.correct_second else v
        w -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


#: The four ways to treat Adam's two bias corrections: label -> (correct m, correct v).
BIAS_VARIANTS = {
    "Adam (both corrections)": (True, True),
    "no correction of m": (False, True),
    "no correction of v": (True, False),
    "no correction at all": (False, False),
}


def bias_correction_steps(
    steps: int = 1000,
    lr: float = 0.01,
    betas: tuple[float, float] = (0.9, 0.999),
    grad: float = 1.0,
) -> dict[str, np.ndarray]:
    """Step sizes of Adam with and without bias correction, under a constant gradient.

    ``"Adam (both corrections)"`` is the real ``nnlib.optim.Adam``; the other
    variants are :class:`UncorrectedAdam`.

    Returns
    -------
    dict label -> ndarray, shape (steps,)
        ``|w_t - w_{t-1}|`` for ``t = 1 .. steps``.
    """
    out = {}
    for label, (cm, cv) in BIAS_VARIANTS.items():
        holder = Module()
        holder.params["w"] = np.zeros(1)
        if cm and cv:
            opt: optim.Optimizer = optim.Adam(holder.parameters(), lr=lr, betas=betas)
        else:
            opt = UncorrectedAdam(holder.parameters(), lr, betas, 1e-8, cm, cv)
        w = holder.params["w"]
        sizes = np.empty(steps)
        for t in range(steps):
            before = float(w[0])
            holder.grads["w"] = np.array([grad])
            opt.step()
            sizes[t] = abs(float(w[0]) - before)
        out[label] = sizes
    return out
