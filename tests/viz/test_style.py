"""Course figures: style helpers, and that Jupyter shows them as pictures."""

import nbformat
import pytest
from nbclient import NotebookClient

from nnlib.plots import new_figure, to_png


def test_new_figure_is_white_with_a_grid_of_axes():
    fig, axes = new_figure(1, 2)
    assert len(fig.axes) == 2
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    assert to_png(fig).startswith(b"\x89PNG")


@pytest.mark.slow
def test_a_figure_as_last_expression_displays_as_png_in_a_kernel():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from nnlib.plots import new_figure\nfig, ax = new_figure()\nfig")
    ]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert any("image/png" in o.get("data", {}) for o in outputs), outputs
