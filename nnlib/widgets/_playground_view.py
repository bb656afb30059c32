"""The playground's pictures, painted with NumPy: the network with every neuron's map, and curves.

:func:`network_picture` lays the network out as TensorFlow Playground does: a
column of input-feature tiles, one column of tiles per hidden layer (each
tile is what that unit computes over the input plane), and the output's
decision map, larger, with the training points (white rings) and the test
points (black rings). Lines join the tiles: orange for a positive weight,
blue for a negative one, thicker and stronger for a larger ``|w|``.
:func:`curve_picture` draws a few series (the losses, the gradient norms) as
lines. Both return RGB arrays for ``_raster.encode_png``; a frame of the
largest network (6 layers of 8 units) takes a few milliseconds.

Colours: Okabe & Ito's blue (class 0, negative values) and orange (class 1,
positive values), readable by colour-blind viewers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..experiments.playground import Playground
from ._raster import (
    LineSet,
    colorize,
    colormap,
    draw_dots,
    draw_lines,
    hex_rgb,
    resize_bilinear,
    resize_nearest,
)

__all__ = ["BLUE", "ORANGE", "Layout", "network_picture", "curve_picture", "describe_network"]

BLUE, ORANGE, BACKGROUND = "#0072B2", "#E69F00", "#FFFFFF"
#: Values from negative (blue) through 0 (near white) to positive (orange).
NODE_LUT = colormap(BLUE, "#F4F4F4", ORANGE)
#: The output map, paler so the data points stand out: P(class 1) from 0 (blue) to 1 (orange).
OUTPUT_LUT = colormap("#7FB8D8", "#F4F4F4", "#F2CF7F")
TILE, OUTPUT, GAP, PITCH, MARGIN = 34, 168, 62, 42, 10


class Layout:
    """Where every tile of a network goes: pixel boxes per column, and the canvas size.

    Parameters
    ----------
    counts : list of int
        Nodes per column: input features, each hidden layer (the output is added).
    """

    def __init__(self, counts: list[int]) -> None:
        self.counts = list(counts)
        height = max(OUTPUT, max(self.counts) * PITCH) + 2 * MARGIN
        self.x = [MARGIN + c * (TILE + GAP) for c in range(len(self.counts))]  # left edges
        self.x_out = MARGIN + len(self.counts) * (TILE + GAP)
        self.size = (height, self.x_out + OUTPUT + MARGIN)  # (H, W)
        self.y = [  # top edge of each tile, column by column, centred vertically
            [(height - n * PITCH) // 2 + (PITCH - TILE) // 2 + i * PITCH for i in range(n)]
            for n in self.counts
        ]
        self.y_out = (height - OUTPUT) // 2
        self.lines: LineSet | None = None  # the weights' lines, found on the first frame
        self.line_shapes: list[tuple[int, int]] = []


def _segments(layout: Layout, shapes: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Start and end points (K, 2) of every weight's line, in the order of ``W.ravel()``."""
    starts, ends = [], []
    n_cols = len(layout.counts)
    for c, (n_in, n_out) in enumerate(shapes):  # W (in, out): column c -> column c + 1
        x0, ys0 = layout.x[c] + TILE, np.array(layout.y[c]) + TILE / 2
        if c + 1 < n_cols:
            x1, ys1 = layout.x[c + 1], np.array(layout.y[c + 1]) + TILE / 2
        else:  # into the output tile
            x1, ys1 = layout.x_out, np.array([layout.y_out + OUTPUT / 2])
        i, j = np.meshgrid(np.arange(n_in), np.arange(n_out), indexing="ij")
        starts.append(np.column_stack([np.full(i.size, x0 + 1), ys0[i.ravel()]]))
        ends.append(np.column_stack([np.full(i.size, x1 - 2), ys1[j.ravel()]]))
    return np.concatenate(starts), np.concatenate(ends)


def _draw_connections(canvas: np.ndarray, layout: Layout, weights: list[np.ndarray]) -> None:
    """Every weight as a line: orange if positive, else blue; thicker and stronger as |w| grows."""
    shapes = [W.shape for W in weights]
    if layout.lines is None or layout.line_shapes != shapes:
        layout.lines = LineSet(*_segments(layout, shapes), layout.size)
        layout.line_shapes = shapes
    w = np.concatenate([W.ravel() for W in weights])
    size = np.abs(np.nan_to_num(w))
    size = size / max(float(size.max(initial=0.0)), 1e-12)  # 0..1, relative to the largest
    bg = hex_rgb(BACKGROUND)
    tone = np.where((w >= 0)[:, None], hex_rgb(ORANGE), hex_rgb(BLUE))
    colors = np.round(bg + (tone - bg) * (0.15 + 0.85 * size[:, None])).astype(np.uint8)
    layout.lines.draw(canvas, colors, 1.0 + np.round(3.0 * size), order=np.argsort(size))


def _node_scale(values: np.ndarray) -> float:
    """Half-range of a column's colour scale: at least 1, so tanh units show their true size."""
    finite = np.abs(values[np.isfinite(values)])
    return max(1.0, float(finite.max())) if finite.size else 1.0


def network_picture(pg: Playground, layout: Layout | None = None) -> tuple[np.ndarray, Layout]:
    """The whole network as one RGB picture (H, W, 3) uint8, and the layout used.

    Pass the ``layout`` of the previous frame back in: while the architecture
    stays the same, the pixels of the weights' lines are not searched again.

    Columns: the input features, the hidden layers, then the output's decision
    map with the data (circles ringed in white: training points; ringed in
    black: test points) and the boundary P = 1/2 drawn in black.
    """
    maps = pg.maps()  # [features (F, R, R), hidden (H, R, R) ..., output (1, R, R)]
    counts = [len(m) for m in maps[:-1]]
    if layout is None or layout.counts != counts:
        layout = Layout(counts)
    canvas = np.empty(layout.size + (3,), dtype=np.uint8)
    canvas[:] = hex_rgb(BACKGROUND).astype(np.uint8)
    _draw_connections(canvas, layout, pg.weights())
    for c, column in enumerate(maps[:-1]):
        scale = _node_scale(column)
        tiles = colorize(column[:, ::-1], NODE_LUT, -scale, scale)  # (n, R, R, 3), y upwards
        for k, tile in enumerate(tiles):
            y0, x0 = layout.y[c][k], layout.x[c]
            canvas[y0 : y0 + TILE, x0 : x0 + TILE] = resize_nearest(tile, TILE, TILE)
    prob = resize_bilinear(np.nan_to_num(maps[-1][0][::-1], nan=0.5), OUTPUT, OUTPUT)
    out = colorize(prob, OUTPUT_LUT, 0.0, 1.0)  # (OUTPUT, OUTPUT, 3)
    side = prob > 0.5
    edge = np.zeros_like(side)
    edge[:-1] |= side[:-1] != side[1:]
    edge[:, :-1] |= side[:, :-1] != side[:, 1:]
    out[edge] = 0  # the decision boundary, black
    _draw_points(out, pg)
    canvas[layout.y_out : layout.y_out + OUTPUT, layout.x_out : layout.x_out + OUTPUT] = out
    return canvas, layout


def _draw_points(tile: np.ndarray, pg: Playground) -> None:
    """The training points (white ring) and test points (black ring) on the output tile."""
    xs, ys = pg.xx[0], pg.yy[:, 0]
    colors = np.array([hex_rgb(BLUE), hex_rgb(ORANGE)])

    def pixels(X: np.ndarray) -> np.ndarray:
        px = (X[:, 0] - xs[0]) / (xs[-1] - xs[0]) * (OUTPUT - 1)
        py = (ys[-1] - X[:, 1]) / (ys[-1] - ys[0]) * (OUTPUT - 1)  # y upwards
        return np.column_stack([px, py])

    white, black = np.array([255, 255, 255]), np.array([0, 0, 0])
    draw_dots(tile, pixels(pg.X_train), colors[pg.y_train], 2.2, outline=white)
    draw_dots(tile, pixels(pg.X_test), colors[pg.y_test], 2.2, outline=black)


def curve_picture(
    series: list[np.ndarray],
    colors: list[str],
    size: tuple[int, int] = (96, 260),
    log: bool = False,
) -> tuple[np.ndarray, tuple[float, float]]:
    """Lines of a few series over a shared x range (their index), as an RGB picture.

    Parameters
    ----------
    series : list of ndarray, shape (T,) each
        NaN and infinite values are left out; a series longer than twice the
        width is thinned to evenly spaced points.
    colors : list of str
        One hex colour per series.
    size : (H, W)
    log : bool
        Plot log10 of the values (for gradient norms).

    Returns
    -------
    rgb : ndarray, shape (H, W, 3) uint8
    (lo, hi) : the value range shown, bottom to top (not logged).
    """
    H, W = size
    canvas = np.empty((H, W, 3), dtype=np.uint8)
    canvas[:] = hex_rgb(BACKGROUND).astype(np.uint8)
    canvas[[0, -1], :] = canvas[:, [0, -1]] = 200  # a light frame
    with np.errstate(all="ignore"):
        ys = [np.log10(np.asarray(s, float)) if log else np.asarray(s, float) for s in series]
    finite = np.concatenate([y[np.isfinite(y)] for y in ys]) if ys else np.zeros(0)
    if finite.size == 0:
        return canvas, (np.nan, np.nan)
    lo, hi = float(finite.min()), float(finite.max())
    if not log:
        lo = min(lo, 0.0)
    if hi - lo < 1e-12:
        hi = lo + 1.0
    T = max(max(len(y) for y in ys) - 1, 1)
    keep = np.unique(np.linspace(0, T, min(T + 1, 2 * W)).astype(int))  # <= 2 points a pixel
    starts, ends, cols = [], [], []
    for y, color in zip(ys, colors, strict=True):
        at = keep[keep < len(y)]  # a long run is thinned out to the picture's width
        px = 3 + at * (W - 7) / T
        py = 3 + (hi - y[at]) * (H - 7) / (hi - lo)
        ok = np.isfinite(py[:-1]) & np.isfinite(py[1:])
        starts.append(np.column_stack([px[:-1], py[:-1]])[ok])
        ends.append(np.column_stack([px[1:], py[1:]])[ok])
        cols.append(np.tile(hex_rgb(color).astype(np.uint8), (int(ok.sum()), 1)))
    start, end = np.concatenate(starts), np.concatenate(ends)
    draw_lines(canvas, start, end, np.concatenate(cols), np.full(len(start), 2.0))
    return canvas, ((10**lo, 10**hi) if log else (lo, hi))


def describe_network(pg: Playground) -> str:
    """A text alternative of the network picture (what a screen reader says about it)."""
    s: dict[str, Any] = pg.settings
    prob = pg.maps()[-1][0]
    share = float(np.mean(prob > 0.5)) if np.all(np.isfinite(prob)) else float("nan")
    hidden = (
        f"{s['layers']} hidden layer(s) of {s['width']} {s['activation']} units"
        if s["layers"]
        else "no hidden layer"
    )
    return (
        f"Network picture: inputs {', '.join(s['features'])}; {hidden}; one output. "
        f"Each unit's tile shows its output over the input plane (blue negative, orange "
        f"positive); lines show the weights (orange positive, blue negative, thicker = larger). "
        f"Output map: the network predicts class 1 (orange) on {share:.0%} of the plane; "
        f"{len(pg.X_train)} training and {len(pg.X_test)} test points."
    )
