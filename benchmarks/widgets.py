"""Time one update of every slider app in the course.

    python benchmarks/widgets.py [--reps 5] [--app RegularizationApp ...]

For each app (every ``nnlib.widgets.App`` subclass) it cycles through the
control settings the app lists in ``bench_settings()`` and reports the median
over all updates of

* compute: ``app.compute(**values)`` alone (the NumPy work a slider move costs);
* compute + render: the full ``app.set(**values)`` a learner triggers
  (compute, redraw the matplotlib figure, render it to PNG);

plus any extra actions an app names in ``bench_actions()`` (for example the
playground's "one frame" button), and the worst cases listed in
``HEAVY_SETTINGS`` on rows of their own (chapter 7's gradient-flow app at
depth 50 with each cure). Targets: compute <= 60 ms and compute + render
<= 250 ms median on a 2-core machine.

Then the live playground's frame time: one training epoch plus the redraw of
every map (the network picture, the loss and gradient-norm curves, all
encoded as PNG), at the default size (2 hidden layers of 4 units, 200
points) and the largest (6 layers of 8 units, all 7 input features), with the
frames per second it allows, and the frames per second actually sent while
playing for a few seconds on the asyncio loop (capped by the app's
``max_fps``). Target: <= 40 ms per frame at the default size.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import pkgutil
import statistics
import time

import nnlib.widgets
from nnlib.widgets import App

COMPUTE_TARGET_MS = 60.0
TOTAL_TARGET_MS = 250.0
FRAME_TARGET_MS = 40.0
PLAYGROUND_SIZES = {
    "default (2 x 4, 200 points)": {},
    "largest (6 x 8, 7 inputs)": {
        "layers": 6,
        "width": 8,
        "features": ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"),
    },
}

_DEPTH_50 = {"depth": 50, "activation": "sigmoid", "init": "xavier_uniform"}
#: Extra rows: app class name -> {row label: settings}, each timed on its own.
HEAVY_SETTINGS = {
    "GradientFlowApp": {
        f"depth 50, {label}": {**_DEPTH_50, "norm": norm, "residual": residual}
        for label, norm, residual in [
            ("plain", "none", False),
            ("batch norm", "batch", False),
            ("layer norm", "layer", False),
            ("residual", "none", True),
            ("batch norm + residual", "batch", True),
        ]
    }
}


def all_apps() -> list[type[App]]:
    """Every concrete App subclass defined in the nnlib.widgets package."""
    for info in pkgutil.iter_modules(nnlib.widgets.__path__):
        importlib.import_module(f"nnlib.widgets.{info.name}")
    found, todo = [], list(App.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if not cls.__name__.startswith("_") and cls.__module__.startswith("nnlib.widgets"):
            found.append(cls)
    return sorted(set(found), key=lambda c: (c.__module__, c.__name__))


def time_ms(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1e3


def bench_app(cls: type[App], reps: int) -> list[tuple[str, float, float]]:
    app = cls()
    settings = list(app.bench_settings()) or [app.values()]
    compute, total = [], []
    for _ in range(reps):
        for values in settings:
            merged = {**app.values(), **values}
            compute.append(time_ms(lambda merged=merged: app.compute(**merged)))
            total.append(time_ms(lambda values=values: app.set(**values)))
    rows = [
        (f"{cls.__name__} (slider update)", statistics.median(compute), statistics.median(total))
    ]
    for name, action in getattr(app, "bench_actions", dict)().items():
        times = [time_ms(action) for _ in range(reps * 3)]
        rows.append((f"{cls.__name__} ({name})", float("nan"), statistics.median(times)))
    for name, values in HEAVY_SETTINGS.get(cls.__name__, {}).items():
        merged = {**app.values(), **values}
        comp = [time_ms(lambda m=merged: app.compute(**m)) for _ in range(reps)]
        tot = [time_ms(lambda m=merged: app.set(**m)) for _ in range(reps)]  # set() always redraws
        rows.append((f"{cls.__name__} ({name})", statistics.median(comp), statistics.median(tot)))
    return rows


def playground_frames(settings: dict, frames: int, play_seconds: float) -> tuple[float, float]:
    """Median ms of one frame (an epoch + the redraw) and the frames/s seen while playing."""
    from nnlib.widgets.playground import PlaygroundApp

    app = PlaygroundApp(**settings)

    def frame() -> None:
        app.pg.step(1)
        app.draw()

    times = [time_ms(frame) for _ in range(frames)]

    async def play() -> float:
        app.play()
        start, first = time.perf_counter(), app.frames
        await asyncio.sleep(play_seconds)
        shown = app.frames - first
        app.pause()
        return shown / (time.perf_counter() - start)

    return statistics.median(times), asyncio.run(play())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1].strip())
    parser.add_argument("--reps", type=int, default=5, help="passes over each app's settings")
    parser.add_argument("--app", nargs="*", default=(), help="only these apps (class names)")
    args = parser.parse_args()
    apps = [cls for cls in all_apps() if not args.app or cls.__name__ in args.app]
    print(
        f"| app | compute (ms, target <= {COMPUTE_TARGET_MS:.0f}) "
        f"| compute + render (ms, target <= {TOTAL_TARGET_MS:.0f}) | within target |"
    )
    print("|---|---:|---:|:---:|")
    for cls in apps:
        for name, comp, tot in bench_app(cls, args.reps):
            ok = (comp != comp or comp <= COMPUTE_TARGET_MS) and tot <= TOTAL_TARGET_MS
            comp_cell = "—" if comp != comp else f"{comp:.1f}"
            print(f"| {name} | {comp_cell} | {tot:.1f} | {'yes' if ok else 'NO'} |")
    if not apps:
        print("| (no apps found) | | | |")
    if args.app and "PlaygroundApp" not in args.app:
        return
    print()
    print(
        f"| playground size | frame: epoch + redraw (ms, target <= {FRAME_TARGET_MS:.0f}) "
        "| frames/s it allows | frames/s sent while playing | within target |"
    )
    print("|---|---:|---:|---:|:---:|")
    for name, settings in PLAYGROUND_SIZES.items():
        ms, fps = playground_frames(settings, frames=20 * args.reps, play_seconds=3.0)
        ok = "yes" if ms <= FRAME_TARGET_MS else "NO"
        print(f"| {name} | {ms:.1f} | {1000.0 / ms:.0f} | {fps:.1f} | {ok} |")


if __name__ == "__main__":
    main()
