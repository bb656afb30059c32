"""Figures of the course (matplotlib, imported only when this module is).

Every figure a chapter shows is a function here, so notebooks stay one line
per picture and the same figure is never written twice. Each chapter's
figures live in their own module (``nnlib.plots.ch01_forward``, ...); their
public names are reachable from here too (``nnlib.plots.plot_decision_boundary``).
"""

from .._lazy import chapter_exports
from ._style import (
    CLASS_COLORS,
    CMAP_DIVERGING,
    CMAP_SEQUENTIAL,
    PALETTE,
    new_figure,
    register_notebook_display,
    to_png,
)

__all__ = [
    "CLASS_COLORS",
    "CMAP_DIVERGING",
    "CMAP_SEQUENTIAL",
    "PALETTE",
    "new_figure",
    "register_notebook_display",
    "to_png",
]
register_notebook_display()  # figures show as pictures in Jupyter, no pyplot needed
__getattr__, __dir__ = chapter_exports(__name__, __path__, __all__)
