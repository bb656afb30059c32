"""Shared look of every course figure: palette, figure factory, PNG rendering.

Figures are plain ``matplotlib.figure.Figure`` objects drawn on an Agg canvas,
never through ``pyplot``'s global state, so a slider app can redraw hundreds
of times without leaking figures and the notebooks render the same on any
backend. The background is white on purpose: the figure reads as a card in
both the light and the dark JupyterLab themes.
"""

from __future__ import annotations

import base64
import html
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "TEXT_COLORS",
    "text_color",
    "CLASS_COLORS",
    "CMAP_DIVERGING",
    "CMAP_SEQUENTIAL",
    "new_figure",
    "to_png",
    "freeze_layout",
    "register_notebook_display",
    "set_alt",
    "figure_alt",
    "figure_html",
]

#: Okabe & Ito's colour-blind-safe palette (2008), in the order we use it.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: Darker shades of the palette for *text* on the white figure background: each
#: has a contrast of at least 4.5:1 with white (WCAG 2.1 AA); the palette itself is
#: for lines, markers and areas (vermillion text on white is only 3.9:1).
TEXT_COLORS = {
    "blue": "#0072B2",
    "orange": "#8A5F00",
    "green": "#007A5A",
    "vermillion": "#B34700",
    "sky": "#00668F",
    "purple": "#A6477F",
    "yellow": "#6E6500",
    "black": "#000000",
    "grey": "#666666",
}
#: Colours for class labels 0, 1, 2, ... (scatter plots, decision regions).
CLASS_COLORS = [PALETTE[k] for k in ("blue", "orange", "green", "purple", "sky", "vermillion")]
#: Colour maps that stay readable for colour-blind readers.
CMAP_DIVERGING = "RdBu_r"
CMAP_SEQUENTIAL = "viridis"


def text_color(color: str) -> str:
    """The shade of a palette colour to write text in (any other colour is returned as is)."""
    names = {v.lower(): k for k, v in PALETTE.items()} | {"grey": "grey", "gray": "grey"}
    name = names.get(str(color).lower())
    return TEXT_COLORS[name] if name else color


def new_figure(
    nrows: int = 1, ncols: int = 1, *, width: float = 6.4, height: float = 4.0, dpi: int = 80, **kw
):
    """A white ``Figure`` with an Agg canvas and a grid of axes.

    Returns
    -------
    fig : Figure
    axes : Axes or ndarray of Axes (as ``Figure.subplots`` returns them)
    """
    fig = Figure(figsize=(width, height), dpi=dpi, facecolor="white", layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=kw.pop("squeeze", True), **kw)
    for ax in fig.axes:
        ax.grid(True, alpha=0.3)
    return fig, axes


def to_png(fig: Figure, dpi: int | None = None) -> bytes:
    """Render a figure to PNG bytes (what a slider app sends to the browser)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, facecolor="white")
    return buf.getvalue()


def freeze_layout(fig: Figure) -> None:
    """Lay a figure out once, then keep that layout for every later redraw.

    Constrained layout is solved again on every render, which costs a slider
    app more than the drawing itself. Apps call this at the end of
    ``make_figure`` (with titles and labels at their longest). The engine is
    set to ``None``, not ``"none"``: the latter keeps a placeholder engine that
    makes ``savefig`` draw the figure twice.
    """
    fig.canvas.draw()
    fig.set_layout_engine(None)


def set_alt(fig: Figure, text: str) -> Figure:
    """Give a figure its text alternative (what a screen reader says instead of the picture)."""
    fig._nnlib_alt = " ".join(text.split())
    return fig


def _quoted(text: str) -> str:
    text = " ".join(text.replace("$", "").split())
    return f"“{text}”" if text else ""


def figure_alt(fig: Figure) -> str:
    """The figure's text alternative: the one :func:`set_alt` gave, or one read off the figure.

    The automatic one names the title, and for each panel its title, its axis
    labels and its legend entries, which is what the course's figures carry
    (every figure has a title and labelled axes).
    """
    given = getattr(fig, "_nnlib_alt", None)
    if given:
        return given
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    panels = []
    for ax in axes:
        titles = [t.get_text() for t in (ax.title, ax._left_title) if t.get_text()]
        bits = [f"x: {_quoted(ax.get_xlabel())}" if ax.get_xlabel() else ""]
        bits.append(f"y: {_quoted(ax.get_ylabel())}" if ax.get_ylabel() else "")
        legend = ax.get_legend()
        names = [t.get_text() for t in legend.get_texts()] if legend is not None else []
        bits.append("legend: " + ", ".join(n for n in names if n) if any(names) else "")
        detail = "; ".join(b for b in bits if b)
        panels.append(" ".join(p for p in (_quoted(titles[0]) if titles else "", f"({detail})"
                                            if detail else "") if p))  # fmt: skip
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    head = " ".join(p for p in ("Figure", _quoted(suptitle)) if p)
    if len(panels) == 1:
        return f"{head} {panels[0]}".strip() + "."
    listed = "; ".join(f"panel {i} {p}".strip() for i, p in enumerate(panels, start=1))
    return f"{head} with {len(panels)} panels: {listed}."


def figure_html(png: bytes, alt: str) -> str:
    """An ``<img>`` of PNG bytes with its ``alt`` text (JupyterLab and nbconvert both show it)."""
    data = base64.b64encode(bytes(png)).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" '
        f'style="max-width: 100%">'
    )


def register_notebook_display() -> bool:
    """Let Jupyter show our ``Figure`` objects as pictures with a text alternative, no pyplot.

    Figures made by :func:`new_figure` never pass through pyplot, so IPython
    only knows them as ``<Figure size ...>`` text unless the inline backend
    happened to be activated. Registering an HTML formatter for ``Figure``
    makes ``plots.some_figure(...)`` as the last line of a cell show the
    picture, as an ``<img>`` with ``alt`` text (:func:`figure_alt`): neither
    JupyterLab 4 nor nbconvert reads an ``alt`` from an ``image/png`` output's
    metadata, both show an HTML output's. Called when ``nnlib.plots`` is
    imported; returns False outside IPython.
    """
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    formatters = shell.display_formatter.formatters
    formatters["image/png"].pop(Figure, None)  # one picture per output, the one with alt text
    formatters["text/html"].for_type(Figure, lambda fig: figure_html(to_png(fig), figure_alt(fig)))
    return True
