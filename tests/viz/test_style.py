"""Course figures: style helpers, and that Jupyter shows them as pictures."""

import base64
import html
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from nnlib.plots import new_figure, to_png


def test_new_figure_is_white_with_a_grid_of_axes():
    fig, axes = new_figure(1, 2)
    assert len(fig.axes) == 2
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    assert to_png(fig).startswith(b"\x89PNG")


@pytest.mark.slow
def test_a_figure_displays_in_a_kernel_as_one_picture_with_alt_text_also_in_nbconvert_html():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from nnlib.plots import new_figure, set_alt\n"
            "fig, ax = new_figure()\n"
            "ax.set(title='Loss per step', xlabel='step', ylabel='loss')\n"
            "fig"
        ),
        nbformat.v4.new_code_cell("set_alt(fig, 'The loss falls & levels off.')"),
    ]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    for cell, alt in zip(
        nb.cells,
        [
            "Figure “Loss per step” (x: “step”; y: “loss”).",
            "The loss falls & levels off.",
        ],
        strict=True,
    ):
        (data,) = [o["data"] for o in cell.outputs if "data" in o]
        assert "image/png" not in data  # one picture per output: the one with alt text
        img = re.fullmatch(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)"[^>]*>',
                           data["text/html"])  # fmt: skip
        assert img and base64.b64decode(img.group(1)).startswith(b"\x89PNG"), data["text/html"]
        assert html.unescape(img.group(2)) == alt
    page, _ = HTMLExporter().from_notebook_node(nb)
    tags = [t for t in re.findall(r"<img [^>]*>", page) if "data:image/png;base64," in t]
    alts = [html.unescape(re.search(r'alt="([^"]*)"', t).group(1)) for t in tags]
    assert alts == [
        "Figure “Loss per step” (x: “step”; y: “loss”).",
        "The loss falls & levels off.",
    ]
