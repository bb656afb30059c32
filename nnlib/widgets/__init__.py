"""Interactive apps of the course (ipywidgets + matplotlib, imported only when used).

Each chapter's apps live in their own module (``nnlib.widgets.ch01_forward``,
...); every public name of those modules is also reachable from here, so a
notebook cell reads ``nnlib.widgets.NeuronApp()``.
"""

from .._lazy import chapter_exports
from ._app import App
from ._progress import ProgressBar

__all__ = ["App", "ProgressBar"]
__getattr__, __dir__ = chapter_exports(__name__, __path__, __all__)
