"""Take the README's screenshots of the course in a real JupyterLab (headless Chromium).

    python scripts/take_screenshots.py            # writes docs/*.png
    python scripts/take_screenshots.py --out DIR  # somewhere else

Needs what the browser test needs: the ``playwright`` package (``pip install
-e ".[test]"``) and Debian's Chromium (``apt-get install -y chromium``); no
browser download. JupyterLab runs on copies of the notebooks, so nothing in the
repository changes but the pictures. Shows, after running each notebook as a
learner would:

* ``start_page.png`` -- the top of ``course/00_start_here.ipynb``;
* ``slider_app.png`` -- an app of chapter 3 after a slider move;
* ``quiz_feedback.png`` -- a quiz question of chapter 1 answered wrongly;
* ``exercise_feedback.png`` -- an exercise with a typical mistake and the check's message.

Re-run it whenever the course's look changes, and look at the pictures.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import labdriver  # noqa: E402

SLIDER_NOTEBOOK = "course/03_gradient_descent.ipynb"
EXERCISE = "exercises/01_forward_pass_and_loss.ipynb"
WRONG_DENSE = (
    "def dense_forward(x, W, b):\n"
    '    """Forward pass of a dense layer: x (N, D), W (D, H), b (H,) -> out (N, H)."""\n'
    "    out = x @ W  # (N, H)\n"
    "    return out\n"
)


def save_png(png: bytes, path: Path, max_width: int = 1100) -> None:
    """Write a screenshot, scaled down to ``max_width`` and reduced to 256 colours."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > max_width:
        height = round(image.height * max_width / image.width)
        image = image.resize((max_width, height), Image.LANCZOS)
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(path, optimize=True)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"{shown}: {image.width}x{image.height}, {path.stat().st_size // 1024} KiB")


def hide_sidebar(page) -> None:
    """Collapse the left sidebar (click its active tab), so the notebook fills the window."""
    tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if tab.count():
        tab.first.click()
    page.mouse.move(0, 0)


def cells_clip(nb: labdriver.Notebook, first: int, last: int, pad: int = 6) -> dict:
    """The page area from the top of cell ``first`` to the bottom of cell ``last``."""
    top = nb.cell(first).bounding_box()
    bottom = nb.cell(last).bounding_box()
    return {
        "x": top["x"] - pad,
        "y": top["y"] - pad,
        "width": max(top["width"], bottom["width"]) + 2 * pad,
        "height": bottom["y"] + bottom["height"] - top["y"] + pad - 3,  # not the next cell's edge
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = parser.parse_args(argv)
    reason = labdriver.browser_missing()
    if reason:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 2
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    import nbformat

    from nnlib.grading import check_answer
    from nnlib.grading.quizbank import questions

    with labdriver.lab_and_browser() as (lab, browser):
        page = browser.new_page(viewport={"width": 1200, "height": 820})

        # The start page, run, at its top.
        nb = labdriver.Notebook(page, lab, "course/00_start_here.ipynb").open()
        nb.run_all()
        hide_sidebar(page)
        nb.cell(0).scroll_into_view_if_needed()
        page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").first.evaluate(
            "el => el.scrollTo(0, 0)"
        )
        time.sleep(0.5)
        save_png(page.screenshot(), out / "start_page.png")
        lab.shutdown_kernels()

        # A slider app after one move.
        nb = labdriver.Notebook(page, lab, SLIDER_NOTEBOOK).open()
        nb.run_all()
        hide_sidebar(page)
        app = nb.apps()[0]
        nb.move_slider(app)
        nb.wait_idle()
        time.sleep(0.5)
        save_png(app.screenshot(), out / "slider_app.png", max_width=900)
        lab.shutdown_kernels()

        # An exercise with a typical mistake, and a quiz question answered wrongly.
        source = nbformat.read(ROOT / EXERCISE, as_version=4)
        grade_ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in source.cells]
        solution = grade_ids.index("dense_forward")
        check = grade_ids.index("check_dense_forward")
        quiz_cell = next(i for i, c in enumerate(source.cells) if "quiz(" in c.source)
        nb = labdriver.Notebook(page, lab, EXERCISE).open()
        hide_sidebar(page)
        nb.run_cell(next(i for i, c in enumerate(source.cells) if c.cell_type == "code"))
        nb.set_cell_source(solution, WRONG_DENSE)
        nb.run_cell(solution)
        nb.run_cell(check)
        nb.cell(check).scroll_into_view_if_needed()
        time.sleep(0.5)
        save_png(
            page.screenshot(clip=cells_clip(nb, solution, check)), out / "exercise_feedback.png"
        )

        nb.run_cell(quiz_cell)
        first = questions("ch01")[0]
        wrong = next(
            i for i in range(len(first["options"])) if not check_answer("ch01", first["id"], i)[0]
        )
        question = nb.first_quiz_question()
        nb.answer(question, wrong)
        page.mouse.move(0, 0)
        time.sleep(0.5)
        save_png(question.screenshot(), out / "quiz_feedback.png", max_width=900)
        lab.shutdown_kernels()
    return 0


if __name__ == "__main__":
    sys.exit(main())
