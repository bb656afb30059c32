"""Drive the course in a real JupyterLab, in headless Chromium, through Playwright.

The helpers of the browser test (``tests/browser/``) and of
``scripts/take_screenshots.py``:

* :func:`browser_missing` says why a browser test cannot run here (or ``None``);
* :class:`LabServer` starts JupyterLab on 127.0.0.1 with a random token, a
  temporary root holding *copies* of ``course/`` and ``exercises/`` (autosave
  never touches the repository), fresh settings (no news pop-up, every cell in
  the page) and a throw-away learner progress file; ``stop()`` ends that
  server and its kernels only;
* :func:`launch_chromium` starts Debian's Chromium (never a downloaded one);
* :class:`Notebook` acts on one open notebook as a learner would: menus, the
  keyboard, clicks; it reads back prompts, outputs, widget images and quiz
  feedback; it switches JupyterLab's theme and audits the course's content
  (outputs and rendered Markdown, not JupyterLab's own chrome) with axe-core.

Run by hand (prints a path to look at)::

    python tests/browser/labdriver.py course/01_forward_pass_and_loss.ipynb
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("NNLIB_CHROMIUM", "/usr/bin/chromium")
# Flags for a machine without a display or a network, where tests may run as root:
# no sandbox, no GPU, no background calls to the outside world.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
# Lab extensions of test-only tools that a learner's JupyterLab (Binder) does not have.
DISABLED_LAB_EXTENSIONS = ["@jupyter/nbgrader"]
NBGRADER_SERVER_EXTENSIONS = [
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
]
# User settings of the fresh settings folder.
LAB_SETTINGS = {
    # No "Would you like to receive official Jupyter news?" pop-up, no update check.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # Every cell stays attached to the page, so every output can be inspected.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def browser_missing() -> str | None:
    """Why the browser tests cannot run on this machine, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium is not at {CHROMIUM} (Debian: apt-get install -y chromium)"
    return None


def course_notebooks() -> list[str]:
    """The start page and every chapter notebook, as paths relative to the repository."""
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "course").glob("[0-9]*.ipynb"))


def copy_notebooks(dest: Path) -> Path:
    """Copy ``course/`` and ``exercises/`` into ``dest`` (the server's root); returns it."""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for folder in ("course", "exercises"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A JupyterLab server of our own on 127.0.0.1 (see the module docstring)."""

    workdir: Path
    root: Path = field(init=False)
    port: int = field(init=False)
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    proc: subprocess.Popen | None = field(default=None, init=False)
    log_path: Path = field(init=False)
    progress_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir)
        self.root = copy_notebooks(self.workdir / "root")
        self.log_path = self.workdir / "jupyterlab.log"
        self.progress_file = self.workdir / "progress" / "nnlib_progress.json"

    # -- life cycle -----------------------------------------------------------
    def _write_config(self) -> dict[str, str]:
        settings = self.workdir / "lab-settings"
        for name, values in LAB_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        config = self.workdir / "jupyter-config"
        (config / "labconfig").mkdir(parents=True, exist_ok=True)
        (config / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": dict.fromkeys(DISABLED_LAB_EXTENSIONS, True)})
        )
        (config / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    "ServerApp": {
                        "jpserver_extensions": dict.fromkeys(NBGRADER_SERVER_EXTENSIONS, False)
                    }
                }
            )
        )
        self.progress_file.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_DATA_DIR=str(self.workdir / "jupyter-data"),
            JUPYTER_RUNTIME_DIR=str(self.workdir / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self.workdir / "workspaces"),
            NNLIB_PROGRESS_FILE=str(self.progress_file),
            PYTHONUNBUFFERED="1",
        )
        env.pop("JUPYTER_TOKEN", None)
        return env

    def start(self, timeout: float = 90.0) -> LabServer:
        """Start the server and wait until its API answers."""
        env = self._write_config()
        for _attempt in range(3):  # a free port can be taken in between; try another
            self.port = free_port()
            cmd = [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.expose_app_in_browser=True",
            ]
            log = open(self.log_path, "a")  # noqa: SIM115 -- the server writes to it until stop()
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() ends it and its kernels
            )
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    self.api("status")
                    return self
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.25)
            self.stop()
        raise RuntimeError(f"JupyterLab did not start; its log:\n{self.log_tail()}")

    def stop(self) -> None:
        """End this server and the kernels it started (its own process group only)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server shuts its kernels down
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- talking to it --------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str) -> str:
        """The address a learner opens: JupyterLab on ``path`` (relative to the root)."""
        return f"{self.base_url}/lab/tree/{path}?reset&token={self.token}"

    def api(self, endpoint: str, method: str = "GET") -> Any:
        req = urllib.request.Request(
            f"{self.base_url}/api/{endpoint}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every kernel of this server (between notebooks, to free memory)."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def launch_chromium(playwright: Any) -> Any:
    """Debian's headless Chromium through Playwright (no browser download, ever)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


# ----------------------------------------------------------------- in the page

# JavaScript run in the page. They read the notebook through the DOM and, for
# the exact type of each output, through the model (window.jupyterapp).
_JS_STATE = """
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
    .map(p => p.textContent.trim());
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const app = window.jupyterapp;
  const model = app && app.shell.currentWidget && app.shell.currentWidget.content
    && app.shell.currentWidget.content.model;
  const errors = model ? [...model.cells].filter(c => c.type === 'code'
    && c.outputs.toJSON().some(o => o.output_type === 'error')).length : 0;
  return {
    prompts,
    errors,
    kernel: indicator ? indicator.getAttribute('data-status') : null,
    status: (document.querySelector('#jp-main-statusbar') || {}).textContent || '',
  };
}
"""

_JS_OUTPUT_PROBLEMS = """
() => {
  const problems = [];
  const app = window.jupyterapp;
  const widget = app && app.shell.currentWidget;
  const cells = widget && widget.content && widget.content.model
    ? [...widget.content.model.cells] : [];
  cells.forEach((cell, i) => {
    if (cell.type !== 'code') return;
    for (const out of cell.outputs.toJSON()) {
      if (out.output_type === 'error') {
        problems.push({cell: i, kind: 'error', ename: out.ename, evalue: out.evalue,
                       text: (out.traceback || []).join('\\n').replace(/\\x1b\\[[0-9;]*m/g, '')});
      } else if (out.output_type === 'stream' && out.name === 'stderr') {
        problems.push({cell: i, kind: 'stderr', text: out.text});
      }
    }
  });
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const text = panel ? panel.textContent : '';
  for (const needle of ['Error displaying widget', 'Failed to load model class',
                        'Failed to display Jupyter Widget']) {
    if (text.includes(needle)) problems.push({cell: -1, kind: 'widget', text: needle});
  }
  return problems;
}
"""

# An app of the course: an ipywidgets VBox holding a slider and, as a direct
# child, the figure (nnlib's FigureImage: an <img alt> with a blob: src).
_JS_MARK_APPS = """
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const boxes = [...panel.querySelectorAll('.jp-OutputArea-output .widget-vbox')].filter(b =>
    [...b.children].some(c => c.matches('.nnlib-figure'))
    && b.querySelector('.nnlib-slider input[type=range]'));
  boxes.forEach((b, i) => b.setAttribute('data-nnlib-app', String(i)));
  return boxes.map(b => (b.querySelector('.widget-html, .widget-label') || b).innerText.trim());
}
"""

# Start a stopwatch at the next key press and stop it when the <img> changes.
_JS_WATCH_IMAGE = """
(img) => {
  window.__nnlibLatency = null;
  let t0 = null;
  const onKey = () => { t0 = performance.now(); };
  document.addEventListener('keydown', onKey, {capture: true, once: true});
  const obs = new MutationObserver(() => {
    if (t0 !== null) { window.__nnlibLatency = performance.now() - t0; obs.disconnect(); }
  });
  obs.observe(img, {attributes: true, attributeFilter: ['src']});
  return img.getAttribute('src');
}
"""


# What an accessibility audit covers: the course's own content in the open
# notebook, that is every output and every rendered Markdown cell.
COURSE_CONTENT = [
    ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output",
    ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell .jp-RenderedMarkdown",
]
# The axe-core rules of WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
THEMES = ("JupyterLab Light", "JupyterLab Dark")


@dataclass
class Audit:
    """What axe-core found in one notebook and theme."""

    label: str
    violations: list[dict[str, Any]]
    nodes_checked: int
    rules_run: int

    def describe(self) -> str:
        lines = []
        for v in self.violations:
            lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
            for node in v["nodes"][:5]:
                lines.append(f"    {node['target']}: {node['failureSummary'][:300]!r}")
                lines.append(f"      {node['html'][:200]}")
        return "\n".join(lines)


# Scroll the open notebook to its top; returns how many pixels of its cells
# still lie below its visible part.
_JS_SCROLL_TOP = """
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const outer = panel.querySelector('.jp-WindowedPanel-outer');
  const cells = panel.querySelector('.jp-WindowedPanel-inner');
  outer.scrollTop = 0;
  return Math.ceil(cells.getBoundingClientRect().bottom - outer.getBoundingClientRect().bottom);
}
"""
# JupyterLab's <body> is 0 px high with overflow: hidden (its shell is absolutely
# positioned), so axe-core would take every element for clipped away and check
# no colour at all; during an audit the body is as high as the window.
_AUDIT_STYLE = "body { min-height: 100vh; }"


class CourseError(AssertionError):
    """What the learner would see go wrong in the page."""


@dataclass
class Notebook:
    """One notebook open in a Playwright page, driven as a learner drives it."""

    page: Any
    lab: LabServer
    path: str
    timings: dict[str, float] = field(default_factory=dict)

    # -- opening and running --------------------------------------------------
    def open(self, timeout: float = 90.0) -> Notebook:
        """Open the notebook and wait until its kernel shows Idle in the status bar."""
        start = time.monotonic()
        self.page.goto(self.lab.lab_url(self.path))
        self.page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=timeout * 1000)
        self.wait_idle(timeout)
        self.timings["open"] = time.monotonic() - start
        return self

    def state(self) -> dict[str, Any]:
        return self.page.evaluate(_JS_STATE) or {"prompts": [], "kernel": None, "status": ""}

    def wait_idle(self, timeout: float = 90.0) -> None:
        """Wait until the status bar says the kernel is Idle."""
        self.page.locator("#jp-main-statusbar").get_by_text("| Idle").wait_for(
            timeout=timeout * 1000
        )

    def menu(self, menu: str, command: str) -> None:
        """Click a menu of the menu bar, then one of its items (by command id)."""
        self.page.locator(".lm-MenuBar-item", has_text=menu).first.click()
        self.page.locator(f'.lm-Menu-item[data-command="{command}"]').first.click()

    def run_all(self, timeout: float = 240.0) -> float:
        """Edit > Clear Outputs of All Cells, then Run > Run All Cells; wait for the end.

        Clearing first means every output inspected afterwards comes from this
        run, not from the copy stored in the notebook. The run ends when no
        cell is queued or running, the kernel is idle, and every code cell has a
        number (or an error stopped the run). Returns the seconds it took.
        """
        self.menu("Edit", "editmenu:clear-all")
        self.page.wait_for_function(
            "() => [...document.querySelectorAll("
            "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')]"
            ".every(p => !/\\d/.test(p.textContent))",
            timeout=10_000,
        )
        start = time.monotonic()
        self.menu("Run", "runmenu:run-all")
        self.wait_done(timeout, start)
        self.timings["run_all"] = time.monotonic() - start
        return self.timings["run_all"]

    def wait_done(self, timeout: float, start: float | None = None) -> None:
        start = time.monotonic() if start is None else start
        stable = 0
        while True:
            s = self.state()
            pending = any("*" in p for p in s["prompts"])
            numbered = all(any(ch.isdigit() for ch in p) for p in s["prompts"])
            if not pending and s["kernel"] == "idle" and (numbered or s["errors"]):
                stable += 1
                if stable >= 3:
                    return
            else:
                stable = 0
            if time.monotonic() - start > timeout:
                raise CourseError(
                    f"{self.path}: run not finished after {timeout:.0f} s "
                    f"(kernel {s['kernel']}, prompts {s['prompts']})"
                )
            time.sleep(0.2)

    # -- what the page shows --------------------------------------------------
    def problems(self, kinds: tuple[str, ...] = ("error", "widget")) -> list[dict[str, Any]]:
        """Error outputs, stderr text and widget errors now in the notebook."""
        return [p for p in self.page.evaluate(_JS_OUTPUT_PROBLEMS) if p["kind"] in kinds]

    def cell(self, index: int) -> Any:
        """The locator of cell ``index`` (0-based, as in the .ipynb file)."""
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(
            index
        )

    def output_text(self, index: int) -> str:
        return self.cell(index).locator(".jp-OutputArea").inner_text()

    # -- apps (sliders and their figure) --------------------------------------
    def apps(self) -> list[Any]:
        """Every app (slider + figure) shown by the notebook, as locators, in page order."""
        titles = self.page.evaluate(_JS_MARK_APPS)
        return [self.page.locator(f'[data-nnlib-app="{i}"]') for i in range(len(titles))]

    def move_slider(self, app: Any, key: str = "ArrowRight", timeout: float = 20.0) -> float:
        """Focus the app's first slider, press ``key``; wait for a new figure.

        Returns the latency in milliseconds from the key press to the new image,
        measured in the page. When the slider is at its end, the other arrow key
        is used.
        """
        start = time.monotonic()
        app.scroll_into_view_if_needed()
        handle = app.locator(".nnlib-slider input[type=range]").first
        img = app.locator(":scope > .nnlib-figure > img").first
        now = float(handle.input_value())
        low, high = (float(handle.get_attribute(a) or "nan") for a in ("min", "max"))
        if key == "ArrowRight" and now >= high:  # at the end of its range: go back instead
            key = "ArrowLeft"
        elif key == "ArrowLeft" and now <= low:
            key = "ArrowRight"
        before_src = img.evaluate(_JS_WATCH_IMAGE)
        handle.focus()
        self.page.keyboard.press(key)
        try:
            self.page.wait_for_function(
                "([img, src]) => img.getAttribute('src') !== src && window.__nnlibLatency !== null",
                arg=[img.element_handle(), before_src],
                timeout=timeout * 1000,
            )
        except Exception as err:
            raise CourseError(
                f"{self.path}: the figure did not change after a slider key press "
                f"(slider position {now} -> {handle.input_value()} after {key})"
            ) from err
        latency = float(self.page.evaluate("() => window.__nnlibLatency"))
        self.timings["sliders"] = self.timings.get("sliders", 0.0) + time.monotonic() - start
        return latency

    # -- themes and accessibility -------------------------------------------
    def set_theme(self, theme: str, timeout: float = 20.0) -> None:
        """Switch JupyterLab's theme (``"JupyterLab Light"`` or ``"JupyterLab Dark"``)."""
        self.page.evaluate(
            "(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})",
            theme,
        )
        self.page.wait_for_function(
            "(t) => document.body.dataset.jpThemeName === t"
            " && getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim()",
            arg=theme,
            timeout=timeout * 1000,
        )
        self.page.wait_for_timeout(300)  # the theme's stylesheet applied to every node

    def audit(self, label: str) -> Audit:
        """Run axe-core's WCAG 2.0/2.1 A and AA rules over the course content on the page."""
        from axe_playwright_python.sync_playwright import Axe

        found = self.page.evaluate(
            "(sels) => sels.some(s => document.querySelector(s))", COURSE_CONTENT
        )
        if not found:
            raise CourseError(f"{self.path}: no course content to audit")
        # axe-core checks colours only where they are on screen, and the notebook
        # scrolls inside its panel: for the audit the window is as tall as the
        # whole notebook, so that every cell is on screen at once.
        style = self.page.add_style_tag(content=_AUDIT_STYLE)
        try:
            for _ in range(4):  # taller until every cell is in view (outputs may reflow)
                hidden = self.page.evaluate(_JS_SCROLL_TOP)
                if hidden <= 0:
                    break
                size = self.page.viewport_size
                self.page.set_viewport_size({**size, "height": size["height"] + hidden + 50})
                self.page.wait_for_timeout(300)
            results = (
                Axe()
                .run(
                    self.page,
                    context={"include": COURSE_CONTENT},
                    options={"runOnly": {"type": "tag", "values": WCAG_TAGS}},
                )
                .response
            )
        finally:
            style.evaluate("node => node.remove()")
            self.page.set_viewport_size(VIEWPORT)
        checked = {
            json.dumps(node["target"])
            for kind in ("passes", "violations", "incomplete")
            for rule in results[kind]
            for node in rule["nodes"]
        }
        rules = sum(len(results[k]) for k in ("passes", "violations", "incomplete", "inapplicable"))
        return Audit(label, results["violations"], len(checked), rules)

    def picture_alts(self) -> list[str]:
        """The ``alt`` of every picture in the outputs ("" where there is none).

        JupyterLab gives an HTML output's ``<img>`` without ``alt`` the word
        "Image", which satisfies axe-core but tells a listener nothing: callers
        check the course's own descriptions arrived.
        """
        return self.page.evaluate(
            "() => [...document.querySelectorAll("
            "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img')]"
            ".map(img => img.getAttribute('alt') || '')"
        )

    def focus_in_output(self) -> bool:
        """Whether the keyboard focus is inside a cell's output (not on a cell or elsewhere)."""
        return self.page.evaluate(
            "() => !!(document.activeElement"
            " && document.activeElement.closest('.jp-OutputArea-output'))"
        )

    # -- typing code ----------------------------------------------------------
    def set_cell_source(self, index: int, code: str) -> None:
        """Replace a code cell's text, as a learner typing (no auto-indent surprises)."""
        editor = self.cell(index).locator(".jp-InputArea-editor .cm-content")
        editor.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(code)

    def run_cell(self, index: int, timeout: float = 60.0) -> str:
        """Select cell ``index``, press Shift+Enter, wait for it; returns its output text."""
        cell = self.cell(index)
        prompt = cell.locator(".jp-InputArea-prompt")
        before = prompt.text_content()
        prompt.click()  # command mode, this cell selected
        self.page.keyboard.press("Shift+Enter")
        self.page.wait_for_function(
            "([p, before]) => p.textContent !== before && /\\d/.test(p.textContent)",
            arg=[prompt.element_handle(), before],
            timeout=timeout * 1000,
        )
        self.wait_idle(timeout)
        return self.output_text(index)

    # -- quizzes --------------------------------------------------------------
    def quiz_questions(self) -> Any:
        """Locator of every quiz question shown (a VBox with radio buttons and a Check button)."""
        return self.page.locator(
            ".jp-OutputArea-output .widget-vbox:has(> .nnlib-radio):has(> button)"
        )

    def first_quiz_question(self, timeout: float = 20.0) -> Any:
        """The first quiz question on the page, once it is shown."""
        question = self.quiz_questions().first
        try:
            question.wait_for(timeout=timeout * 1000)
        except Exception as err:
            raise CourseError(f"{self.path}: no quiz widget appeared") from err
        return question

    def answer(self, question: Any, option: int, timeout: float = 30.0) -> str:
        """Choose option ``option`` (0-based) of a question, press Check; returns the feedback."""
        question.scroll_into_view_if_needed()
        question.locator(".nnlib-radio input[type=radio]").nth(option).check()
        feedback = question.locator(":scope > .widget-htmlmath").last
        before = feedback.inner_text()
        question.locator(":scope > button").click()
        self.page.wait_for_function(
            "([el, before]) => el.innerText.trim() && el.innerText !== before",
            arg=[feedback.element_handle(), before],
            timeout=timeout * 1000,
        )
        return feedback.inner_text()


def assert_accessible(nb: Notebook, audits: list[Audit]) -> None:
    """axe-core over the notebook's content in both themes: no WCAG 2.1 A/AA violation."""
    found = []
    try:
        for theme in THEMES:
            nb.set_theme(theme)
            audit = nb.audit(f"{nb.path} ({theme})")
            audits.append(audit)
            print(f"axe-core, {audit.label}: {audit.nodes_checked} nodes checked")
            found += [audit] if audit.violations else []
    finally:
        nb.set_theme(THEMES[0])
    assert not found, "WCAG 2.1 A/AA violations:\n" + "\n".join(
        f"{a.label}\n{a.describe()}" for a in found
    )


def median_ms(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@contextmanager
def lab_and_browser(workdir: Path | None = None) -> Iterator[tuple[LabServer, Any]]:
    """A started :class:`LabServer` and a Chromium browser; both stopped on exit."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="nnlib-lab-") as tmp:
        with LabServer(Path(workdir or tmp)) as lab, sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                yield lab, browser
            finally:
                browser.close()


def _main(argv: list[str]) -> int:
    """Open notebooks, run them, move every slider; print what happened."""
    paths = argv or course_notebooks()
    out = Path(tempfile.mkdtemp(prefix="nnlib-labdriver-"))
    with lab_and_browser() as (lab, browser):
        page = browser.new_page(viewport=VIEWPORT)
        for path in paths:
            nb = Notebook(page, lab, path).open()
            nb.run_all()
            print(path, f"run all {nb.timings['run_all']:.1f} s", nb.problems(("error", "stderr")))
            for i, app in enumerate(nb.apps()):
                print(f"  app {i}: {nb.move_slider(app):.0f} ms")
            shot = out / (Path(path).stem + ".png")
            page.screenshot(path=str(shot), full_page=False)
            print("  screenshot", shot)
            lab.shutdown_kernels()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
