"""Pictures drawn straight into NumPy arrays, and a small PNG encoder: the live apps' frames.

A matplotlib figure costs tens of milliseconds to redraw; an app that updates
many times a second instead paints an RGB array ``(H, W, 3)`` of ``uint8``:

* :func:`colormap` builds a lookup table of 256 colours between given ones and
  :func:`colorize` maps values through it (one fancy-indexing step);
* :func:`resize_nearest` and :func:`resize_bilinear` scale a map to a tile;
* :func:`draw_lines` and :func:`draw_dots` paint straight segments and round
  markers, all of them in one vectorized pass each; a :class:`LineSet` finds
  the pixels of fixed segments once and repaints them each frame;
* :func:`encode_png` writes the array as a PNG file (zlib, no filtering),
  which is what an ``ipywidgets.Image`` shows.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = [
    "hex_rgb",
    "colormap",
    "colorize",
    "resize_nearest",
    "resize_bilinear",
    "segment_pixels",
    "draw_lines",
    "LineSet",
    "draw_dots",
    "encode_png",
]


def hex_rgb(color: str) -> np.ndarray:
    """``"#0072B2"`` -> ``array([0, 114, 178])`` (float64, 0..255)."""
    color = color.lstrip("#")
    return np.array([int(color[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def colormap(*colors: str, n: int = 256) -> np.ndarray:
    """A lookup table of ``n`` colours, evenly interpolated through ``colors``; (n, 3) uint8."""
    stops = np.array([hex_rgb(c) for c in colors])  # (K, 3)
    at = np.linspace(0.0, len(colors) - 1, n)  # (n,) position among the stops
    lo = np.minimum(at.astype(int), len(colors) - 2)  # (n,)
    frac = (at - lo)[:, None]  # (n, 1)
    table = stops[lo] * (1.0 - frac) + stops[lo + 1] * frac  # (n, 3)
    return np.round(table).astype(np.uint8)


def colorize(values: np.ndarray, lut: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map ``values`` (any shape S) linearly from [lo, hi] onto ``lut``; returns S + (3,) uint8.

    Values outside [lo, hi] take the end colours; NaN takes the middle one.
    """
    n = len(lut)
    scaled = (np.asarray(values, dtype=float) - lo) * ((n - 1) / (hi - lo))
    scaled = np.nan_to_num(scaled, nan=(n - 1) / 2.0, posinf=n - 1, neginf=0.0)
    index = np.clip(scaled, 0, n - 1).astype(np.intp)
    return lut[index]


def resize_nearest(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale the first two axes of ``image`` to (height, width) by repeating pixels."""
    rows = np.arange(height) * image.shape[0] // height  # (height,) source row of each row
    cols = np.arange(width) * image.shape[1] // width  # (width,)
    return image[rows[:, None], cols[None, :]]


def resize_bilinear(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale a 2-D map (R, C) to (height, width) by bilinear interpolation (a smooth picture)."""
    R, C = values.shape
    y = np.linspace(0.0, R - 1, height)  # (height,) source coordinates
    x = np.linspace(0.0, C - 1, width)  # (width,)
    y0 = np.minimum(y.astype(int), R - 2)
    x0 = np.minimum(x.astype(int), C - 2)
    fy, fx = (y - y0)[:, None], (x - x0)[None, :]
    top = values[y0][:, x0] * (1 - fx) + values[y0][:, x0 + 1] * fx  # (height, width)
    bottom = values[y0 + 1][:, x0] * (1 - fx) + values[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def segment_pixels(
    start: np.ndarray, end: np.ndarray, widths: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pixels of K straight segments, ``widths`` (K,) pixels thick, inside ``shape`` (H, W).

    ``start`` and ``end`` are (K, 2) pixel coordinates (x to the right, y down);
    a segment is thickened across its steeper axis. Returns ``(line, y, x)``,
    three int arrays of the same length: which segment each pixel belongs to,
    and where it is, ordered by segment.
    """
    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    widths = np.asarray(widths, dtype=float)
    H, W = shape
    steps = np.maximum(np.abs(end - start).max(axis=1).astype(int), 1) + 1  # (K,) samples
    line = np.repeat(np.arange(len(start)), steps)  # (P,) which segment each sample is on
    first = np.cumsum(steps) - steps  # (K,) index of each segment's first sample
    t = (np.arange(len(line)) - first[line]) / (steps[line] - 1).clip(min=1)  # (P,) in [0, 1]
    xy = start[line] + (end - start)[line] * t[:, None]  # (P, 2)
    steep = np.abs(end[:, 1] - start[:, 1]) > np.abs(end[:, 0] - start[:, 0])  # (K,)
    found = []
    for offset in range(int(np.ceil(widths.max(initial=1.0)))):
        keep = widths[line] > offset
        shift = offset - (widths[line][keep] - 1) // 2  # centre the thickness on the line
        x = np.round(xy[keep, 0] + np.where(steep[line][keep], shift, 0)).astype(int)
        y = np.round(xy[keep, 1] + np.where(steep[line][keep], 0, shift)).astype(int)
        inside = (x >= 0) & (x < W) & (y >= 0) & (y < H)
        found.append((line[keep][inside], y[inside], x[inside]))
    ids, ys, xs = (np.concatenate(parts) for parts in zip(*found, strict=True))
    by_line = np.argsort(ids, kind="stable")
    return ids[by_line], ys[by_line], xs[by_line]


def draw_lines(
    canvas: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    colors: np.ndarray,
    widths: np.ndarray,
) -> None:
    """Paint K straight segments onto ``canvas`` (H, W, 3) in place, later ones on top.

    Parameters
    ----------
    start, end : ndarray, shape (K, 2)
        End points as (x, y) pixel coordinates (x to the right, y down).
    colors : ndarray, shape (K, 3)
        RGB colours, 0..255.
    widths : ndarray, shape (K,)
        Line widths in pixels (1 or more).
    """
    if len(start) == 0:
        return
    line, y, x = segment_pixels(start, end, widths, canvas.shape[:2])
    canvas[y, x] = colors[line]


class LineSet:
    """Segments that stay in place while their colours and widths change (a network's weights).

    Finding a segment's pixels costs more than painting them, so it is done
    once, for every width from 1 to ``max_width``; :meth:`draw` then picks each
    segment's pixels at its width of the moment.

    Parameters
    ----------
    start, end : ndarray, shape (K, 2)
        End points (x, y) in pixels.
    shape : (H, W)
        The canvas the segments are painted on.
    max_width : int
    """

    def __init__(self, start: np.ndarray, end: np.ndarray, shape: tuple[int, int],
                 max_width: int = 4) -> None:  # fmt: skip
        K = len(start)
        self.first = np.zeros((K, max_width), dtype=np.intp)  # where (segment, width) begins
        self.count = np.zeros((K, max_width), dtype=np.intp)  # and how many pixels it has
        ys, xs, total = [], [], 0
        for w in range(1, max_width + 1):
            line, y, x = segment_pixels(start, end, np.full(K, float(w)), shape)
            count = np.bincount(line, minlength=K)
            self.count[:, w - 1] = count
            self.first[:, w - 1] = total + np.cumsum(count) - count
            ys.append(y)
            xs.append(x)
            total += len(y)
        self.y, self.x = np.concatenate(ys), np.concatenate(xs)
        self.max_width = max_width

    def draw(self, canvas: np.ndarray, colors: np.ndarray, widths: np.ndarray,
             order: np.ndarray) -> None:  # fmt: skip
        """Paint the segments in ``order`` (later on top), each with its colour and width.

        ``colors`` (K, 3) and ``widths`` (K,) are indexed by segment, like ``start``.
        """
        w = np.clip(np.asarray(widths, dtype=int), 1, self.max_width)[order] - 1  # (K,)
        first, count = self.first[order, w], self.count[order, w]
        ends = np.cumsum(count)
        pixel = np.repeat(first - (ends - count), count) + np.arange(ends[-1] if len(ends) else 0)
        canvas[self.y[pixel], self.x[pixel]] = np.repeat(colors[order], count, axis=0)


def draw_dots(
    canvas: np.ndarray,
    centers: np.ndarray,
    fill: np.ndarray,
    radius: float,
    outline: np.ndarray | None = None,
) -> None:
    """Paint round markers of ``radius`` pixels at ``centers`` (K, 2) = (x, y), in place.

    ``fill`` is (K, 3) RGB; ``outline``, an RGB triple, rings each marker with one pixel.
    """
    centers = np.asarray(centers, dtype=float)
    if len(centers) == 0:
        return
    H, W = canvas.shape[:2]
    r = int(np.ceil(radius)) + 1
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    dist = np.hypot(dx, dy).ravel()  # (M,) distance of each stencil pixel
    cx = np.round(centers[:, 0]).astype(int)[:, None] + dx.ravel()  # (K, M)
    cy = np.round(centers[:, 1]).astype(int)[:, None] + dy.ravel()
    inside = (cx >= 0) & (cx < W) & (cy >= 0) & (cy < H)
    if outline is not None:
        ring = inside & (dist <= radius + 1.0)
        canvas[cy[ring], cx[ring]] = outline
    core = inside & (dist <= radius)
    canvas[cy[core], cx[core]] = np.broadcast_to(fill[:, None, :], cx.shape + (3,))[core]


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def encode_png(rgb: np.ndarray, level: int = 1) -> bytes:
    """An RGB image (H, W, 3) uint8 as the bytes of a PNG file (8-bit truecolour).

    Each row is stored unfiltered (filter byte 0) and the whole is compressed
    with zlib at ``level`` (1: fast, which is what a frame needs).
    """
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    H, W = rgb.shape[:2]
    raw = np.zeros((H, 1 + 3 * W), dtype=np.uint8)  # a 0 filter byte, then the row
    raw[:, 1:] = rgb.reshape(H, 3 * W)
    header = struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)  # 8 bits, RGB, no interlace
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw.tobytes(), level)),
            _chunk(b"IEND", b""),
        ]
    )
