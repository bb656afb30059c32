"""Fixtures of the browser tests: one JupyterLab and one Chromium for the whole run.

The tests skip, naming what is missing, on a machine without Playwright or
Chromium. ``NNLIB_REQUIRE_BROWSER=1`` (``.ci/run`` sets it) turns that skip
into a failure, so CI cannot pass without having run them.

On a failure the page is saved as a PNG into the screenshot folder
(``$NNLIB_SCREENSHOT_DIR``, or a ``browser-screenshots`` folder in pytest's
temporary directory) and the test's output names the file and the server log.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import labdriver
import pytest

REQUIRE_ENV = "NNLIB_REQUIRE_BROWSER"

# Slider-to-new-plot latencies (ms) of this run, by app: reported at the end.
LATENCIES: dict[str, list[float]] = {}
# The axe-core audits of this run (labdriver.Audit): reported at the end.
AUDITS: list[labdriver.Audit] = []


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1, but the browser test cannot run: {reason}", pytrace=False)
    pytest.skip(f"browser test skipped: {reason} (set {REQUIRE_ENV}=1 to make this a failure)")


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A JupyterLab server on copies of the notebooks (stopped at the end of the run)."""
    reason = labdriver.browser_missing()
    if reason:
        _unavailable(reason)
    server = labdriver.LabServer(tmp_path_factory.mktemp("jupyterlab"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = labdriver.launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def browser_context(browser):
    """One browser profile for the run, so JupyterLab's scripts come from its cache."""
    context = browser.new_context(viewport=labdriver.VIEWPORT)
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    named = os.environ.get("NNLIB_SCREENSHOT_DIR")
    if named:
        path = Path(named).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("browser-screenshots", numbered=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(browser_context, lab, request, screenshot_dir):
    """A fresh browser page; a screenshot when the test fails; kernels shut down after."""
    page = browser_context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        shot = screenshot_dir / f"{name}.png"
        try:
            page.screenshot(path=str(shot))
            print(f"\nscreenshot of the failure: {shot}")
        except Exception as err:  # the page may be gone; the log still helps
            print(f"\nno screenshot ({err})")
        print(f"JupyterLab log: {lab.log_path}\n{lab.log_tail(20)}")
    page.close()
    lab.shutdown_kernels()


@pytest.fixture(scope="session")
def latencies() -> dict[str, list[float]]:
    return LATENCIES


@pytest.fixture(scope="session")
def audits() -> list[labdriver.Audit]:
    return AUDITS


def pytest_terminal_summary(terminalreporter):
    if AUDITS:
        tr = terminalreporter
        tr.section("axe-core: WCAG 2.0/2.1 A and AA rules over the course content")
        bad = sum(len(a.violations) for a in AUDITS)
        tr.write_line(
            f"{len(AUDITS)} audits (notebook x theme), {sum(a.nodes_checked for a in AUDITS)} "
            f"nodes checked, {bad} violations"
        )
        for a in AUDITS:
            tr.write_line(
                f"  {a.label}: {a.nodes_checked} nodes, {a.rules_run} rules, "
                f"{len(a.violations)} violations"
            )
    if not LATENCIES:
        return
    moves = [ms for values in LATENCIES.values() for ms in values]
    tr = terminalreporter
    tr.section("slider-to-new-plot latency in JupyterLab (Chromium)")
    tr.write_line(
        f"median {labdriver.median_ms(moves):.0f} ms over {len(moves)} slider moves "
        f"in {len(LATENCIES)} apps (target: under 400 ms; a report, not a test)"
    )
    for app, values in LATENCIES.items():
        tr.write_line(
            f"  {app}: median {labdriver.median_ms(values):.0f} ms "
            f"({', '.join(f'{v:.0f}' for v in values)})"
        )
