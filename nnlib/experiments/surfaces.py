"""Two-dimensional test surfaces for optimizers: a loss ``L(x, y)`` and its gradient.

Each surface is small enough to draw whole as a contour plot, and each one
exaggerates a difficulty that real loss landscapes have:

* :data:`valley` -- an elongated quadratic valley ``0.5 * (0.1 x**2 + 2 y**2)``:
  steep across, nearly flat along (condition number 20);
* :data:`tilted_valley` -- the same valley turned by 45 degrees, so that its
  axes are no longer the coordinate axes;
* :data:`rosenbrock` -- Rosenbrock's banana ``(1 - x)**2 + 100 (y - x**2)**2``:
  a narrow curved valley whose floor falls very slowly towards ``(1, 1)``;
* :data:`saddle` -- ``x**2 + y**4 / 4 - y**2 / 2``: a saddle point at the
  origin between two minima at ``(0, -1)`` and ``(0, 1)``.

Pure NumPy. ``value`` works on arrays of any (broadcast) shape, so a whole
contour grid is one call; ``grad`` takes one point ``(x, y)`` and returns the
pair ``(dL/dx, dL/dy)`` as Python floats (cheap inside an optimizer loop).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Surface",
    "valley",
    "tilted_valley",
    "rosenbrock",
    "saddle",
    "SURFACES",
    "get_surface",
]


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface with its gradient, a start point and a window to draw.

    Attributes
    ----------
    name : str
        Short name (the key in :data:`SURFACES`).
    label : str
        What to call it in a sentence ("elongated valley").
    formula : str
        The loss as mathtext, for titles (``"$0.05x^2 + y^2$"``).
    value : callable
        ``value(x, y)`` -> ``L``, elementwise on arrays.
    grad : callable
        ``grad(x, y)`` -> ``(dL/dx, dL/dy)`` at one point.
    start : (float, float)
        Where the optimizers start.
    minimum : float
        The lowest value of ``L`` (0, or -0.25 for the saddle).
    argmin : tuple of (float, float)
        Where it is reached (one point, or two for the saddle).
    xlim, ylim : (float, float)
        The window drawn.
    """

    name: str
    label: str
    formula: str
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[float, float], tuple[float, float]]
    start: tuple[float, float]
    minimum: float
    argmin: tuple[tuple[float, float], ...]
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def __call__(self, point) -> float:
        """``L`` at one point ``(x, y)``."""
        return float(self.value(point[0], point[1]))

    def gap(self, values: np.ndarray) -> np.ndarray:
        """``L - min L``: how far above the lowest value (what a log axis can show)."""
        return np.asarray(values, dtype=float) - self.minimum

    def window(self) -> tuple[list[float], list[float]]:
        """The corners ``[x_min, y_min]``, ``[x_max, y_max]`` of the window drawn."""
        return [self.xlim[0], self.ylim[0]], [self.xlim[1], self.ylim[1]]

    def grid(self, resolution: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``xx, yy, L`` on a ``(resolution, resolution)`` grid over the window."""
        xs = np.linspace(*self.xlim, resolution)
        ys = np.linspace(*self.ylim, resolution)
        xx, yy = np.meshgrid(xs, ys)  # (R, R) each
        return xx, yy, self.value(xx, yy)


# -- the elongated valley: L = 0.5 * (a1 x^2 + a2 y^2) with a1 = 0.1 (flat), a2 = 2 (steep)
_A1, _A2 = 0.1, 2.0


def _valley_value(x, y):
    return 0.5 * (_A1 * x * x + _A2 * y * y)


def _valley_grad(x: float, y: float) -> tuple[float, float]:
    return _A1 * x, _A2 * y


valley = Surface(
    name="valley",
    label="elongated valley",
    formula=r"$0.05\,x^2 + y^2$",
    value=_valley_value,
    grad=_valley_grad,
    start=(-4.5, 1.2),
    minimum=0.0,
    argmin=((0.0, 0.0),),
    xlim=(-5.0, 2.5),
    ylim=(-3.75, 3.75),
)


# -- the valley turned by 45 degrees: u = (x + y) / sqrt(2) along it, v = (y - x) / sqrt(2) across
_C = float(np.sqrt(0.5))


def _tilted_value(x, y):
    return _valley_value(_C * (x + y), _C * (y - x))


def _tilted_grad(x: float, y: float) -> tuple[float, float]:
    gu, gv = _valley_grad(_C * (x + y), _C * (y - x))  # chain rule back to (x, y)
    return _C * (gu - gv), _C * (gu + gv)


tilted_valley = Surface(
    name="tilted valley",
    label="tilted valley",
    formula=r"$0.025\,(x+y)^2 + 0.5\,(x-y)^2$",
    value=_tilted_value,
    grad=_tilted_grad,
    start=(_C * (valley.start[0] - valley.start[1]), _C * (valley.start[0] + valley.start[1])),
    minimum=0.0,
    argmin=((0.0, 0.0),),
    xlim=(-5.0, 2.5),
    ylim=(-5.0, 2.5),
)


# -- Rosenbrock (1960): L = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1)
def _rosen_value(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def _rosen_grad(x: float, y: float) -> tuple[float, float]:
    r = y - x * x
    return -2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r


rosenbrock = Surface(
    name="rosenbrock",
    label="Rosenbrock function",
    formula=r"$(1-x)^2 + 100\,(y-x^2)^2$",
    value=_rosen_value,
    grad=_rosen_grad,
    start=(-1.2, 1.0),
    minimum=0.0,
    argmin=((1.0, 1.0),),
    xlim=(-2.0, 2.0),
    ylim=(-1.0, 3.0),
)


# -- a saddle between two minima: L = x^2 + y^4 / 4 - y^2 / 2
def _saddle_value(x, y):
    y2 = y * y
    return x * x + 0.25 * y2 * y2 - 0.5 * y2


def _saddle_grad(x: float, y: float) -> tuple[float, float]:
    return 2.0 * x, y * y * y - y


saddle = Surface(
    name="saddle",
    label="saddle",
    formula=r"$x^2 + y^4/4 - y^2/2$",
    value=_saddle_value,
    grad=_saddle_grad,
    start=(-2.0, 0.001),
    minimum=-0.25,
    argmin=((0.0, -1.0), (0.0, 1.0)),
    xlim=(-2.5, 2.5),
    ylim=(-1.75, 1.75),
)

#: The surfaces by name, in the order the chapter races them.
SURFACES: dict[str, Surface] = {s.name: s for s in (valley, tilted_valley, rosenbrock, saddle)}


def get_surface(surface: str | Surface) -> Surface:
    """A :class:`Surface` from its name (or the surface itself)."""
    if isinstance(surface, Surface):
        return surface
    try:
        return SURFACES[surface]
    except KeyError:
        raise ValueError(f"unknown surface {surface!r}; choose from {list(SURFACES)}") from None
