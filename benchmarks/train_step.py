"""Time one training step (forward + backward + Adam update) of nnlib vs PyTorch.

Two nnlib paths, side by side: the *reference* path (the readable layers,
losses and ``Adam``: ``loss_fn(model(x), y); model.backward(...); opt.step()``)
and the *fused* path (``nnlib.fused.TrainStep`` with ``Adam(..., fused=True)``),
which computes the same numbers (``tests/test_fused.py``). The targets apply to
the fused path; the reference path is reported, not targeted.

    python benchmarks/train_step.py            # full run, prints a Markdown table
    python benchmarks/train_step.py --quick    # fewer repetitions

How it measures, on a small machine (2 cores here):

* One BLAS thread per library, in one process (threadpoolctl for NumPy's BLAS,
  ``torch.set_num_threads(1)``): two libraries' thread pools in one process
  otherwise fight over the same cores and both look slow.
* Variants are interleaved in a random order within every repetition, and each
  reports the median over many repetitions; ratios are *paired* (computed per
  repetition, then the median taken), so a slow moment of the machine hits
  both sides of a ratio alike.
* "matmul only" runs exactly the matrix products a step needs (forward
  ``x @ W``, backward ``x.T @ dout`` and ``dout @ W.T`` except for the first
  layer) on float32 arrays: the BLAS bound nnlib cannot beat.
* ``--cpu-time`` times with the calling thread's CPU clock
  (``time.thread_time``) instead of the wall clock: on a machine shared with
  other jobs, time spent waiting for a core then counts for neither side.
  Both libraries compute in the calling thread here (one BLAS thread, one
  torch thread), so the CPU clock sees all of their work.
* "fused f32, default threads" repeats the fused float32 step in a separate
  process with NumPy's default thread count.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time

import numpy as np

import nnlib
from nnlib import optim
from nnlib.fused import TrainStep

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - the numbers are then at default threads
    threadpool_limits = None

CONFIGS = {
    "2-16-16-1 (N=200)": dict(sizes=[2, 16, 16, 1], batch=200, act="relu"),
    "64-128-64-10 (N=256)": dict(sizes=[64, 128, 64, 10], batch=256, act="relu"),
    "784-256-128-10 (N=128)": dict(sizes=[784, 256, 128, 10], batch=128, act="relu"),
    "10x512 tanh (N=256)": dict(sizes=[512] * 11, batch=256, act="tanh"),
}
TARGETS = {  # fused nnlib float32 step time / PyTorch step time
    "2-16-16-1 (N=200)": 0.2,
    "64-128-64-10 (N=256)": 0.45,
    "784-256-128-10 (N=128)": 0.7,
    "10x512 tanh (N=256)": 0.9,
}
MM_SHARE_TARGET = ("784-256-128-10 (N=128)", 0.6)  # matmul share of the fused step, at least
FIT_TARGET_MS = 40  # 300 full-batch fused steps of 2-16-16-1


def make_data(cfg, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["batch"], cfg["sizes"][0])).astype(dtype)
    c = cfg["sizes"][-1]
    if c == 1:
        y = (rng.random((cfg["batch"], 1)) > 0.5).astype(dtype)
    else:
        y = rng.integers(0, c, size=cfg["batch"])
    return x, y


def nnlib_step(cfg, dtype, fused=False):
    """One training step of nnlib: the readable path, or the fused one."""
    sizes = cfg["sizes"]
    act = {"relu": nnlib.ReLU, "tanh": nnlib.Tanh}[cfg["act"]]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nnlib.Linear(a, b, rng=i, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(act())
    model = nnlib.Sequential(*layers)
    loss_fn = nnlib.BCEWithLogitsLoss() if sizes[-1] == 1 else nnlib.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=1e-3, fused=fused)
    x, y = make_data(cfg, dtype)
    if fused:
        train_step = TrainStep(model, loss_fn, opt)
        return lambda: train_step(x, y)

    def step():
        loss_fn.forward(model.forward(x), y)
        model.backward(loss_fn.backward())
        opt.step()

    return step


def matmul_step(cfg):
    sizes, n = cfg["sizes"], cfg["batch"]
    rng = np.random.default_rng(0)
    f32 = np.float32
    xs = [rng.standard_normal((n, d)).astype(f32) for d in sizes[:-1]]
    ws = [
        rng.standard_normal((a, b)).astype(f32) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    outs = [np.empty((n, b), f32) for b in sizes[1:]]
    dws = [np.empty_like(w) for w in ws]
    dxs = [np.empty((n, a), f32) for a in sizes[:-1]]

    def step():
        for x, w, o in zip(xs, ws, outs, strict=True):
            np.matmul(x, w, out=o)
        for i in range(len(ws) - 1, -1, -1):
            np.matmul(xs[i].T, outs[i], out=dws[i])
            if i > 0:
                np.matmul(outs[i], ws[i].T, out=dxs[i])

    return step


def torch_step(cfg):
    import torch

    sizes = cfg["sizes"]
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[cfg["act"]]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    model = torch.nn.Sequential(*layers)
    x_np, y_np = make_data(cfg, np.float32)
    x = torch.from_numpy(x_np)
    if sizes[-1] == 1:
        loss_fn, y = torch.nn.BCEWithLogitsLoss(), torch.from_numpy(y_np)
    else:
        loss_fn, y = torch.nn.CrossEntropyLoss(), torch.from_numpy(y_np)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()

    return step


CLOCK = time.perf_counter  # --cpu-time: time.thread_time


def calibrate(fn, target_s=0.004):
    """How many calls make one timing sample of about ``target_s`` seconds."""
    fn()
    n = 1
    while True:
        t = CLOCK()
        for _ in range(n):
            fn()
        if CLOCK() - t > target_s or n > 1 << 16:
            return n
        n *= 2


def race(variants, reps):
    """Interleaved timing; returns {name: [seconds per call, one per repetition]}."""
    inner = {name: calibrate(fn) for name, fn in variants.items()}
    samples = {name: [] for name in variants}
    names = list(variants)
    for _ in range(reps):
        random.shuffle(names)
        for name in names:
            fn, n = variants[name], inner[name]
            t = CLOCK()
            for _ in range(n):
                fn()
            samples[name].append((CLOCK() - t) / n)
    return samples


def paired_ratio(a, b):
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def default_threads_time(name, reps):
    """Fused nnlib float32 step at NumPy's default thread count, in a fresh process.

    Always wall time: with several BLAS threads, one thread's CPU clock misses work.
    """
    out = subprocess.run(
        [sys.executable, __file__, "--nnlib-only", name, "--reps", str(reps)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def fit_300_steps(reps):
    """Wall time of 300 full-batch Adam steps of 2-16-16-1 on 200 moons points.

    Returns ``{"fit": ..., "fused": ...}``: ``nnlib.fit`` (the reference path,
    with its per-epoch records) and a loop of 300 fused ``TrainStep`` calls;
    float64, the dtype of the course's examples; medians over ``reps``.
    """
    from nnlib.datasets import make_moons

    X, y = make_moons(n_samples=200, noise=0.1, rng=0)
    y = y.reshape(-1, 1).astype(np.float64)
    times = {"fit": [], "fused": []}
    for r in range(reps):
        for way in random.sample(list(times), 2):
            model = nnlib.Sequential(
                nnlib.Linear(2, 16, rng=r),
                nnlib.ReLU(),
                nnlib.Linear(16, 16, rng=r + 1),
                nnlib.ReLU(),
                nnlib.Linear(16, 1, rng=r + 2),
            )
            opt = optim.Adam(model.parameters(), lr=0.01, fused=way == "fused")
            t = CLOCK()
            if way == "fit":
                nnlib.fit(model, nnlib.BCEWithLogitsLoss(), opt, X, y, epochs=300)
            else:
                step = TrainStep(model, nnlib.BCEWithLogitsLoss(), opt)
                for _ in range(300):
                    step(X, y)
            times[way].append(CLOCK() - t)
    return {way: statistics.median(v) for way, v in times.items()}


def import_times(reps):
    """Median import time of numpy and of nnlib, each in fresh interpreters, interleaved."""
    code = "import time; t=time.perf_counter(); import {m}; print(time.perf_counter()-t)"
    res = {"numpy": [], "nnlib": []}
    for _ in range(reps):
        for m in random.sample(list(res), 2):
            out = subprocess.run(
                [sys.executable, "-c", code.format(m=m)], capture_output=True, text=True, check=True
            )
            res[m].append(float(out.stdout))
    return {m: statistics.median(v) for m, v in res.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="nnlib training-step benchmark")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--cpu-time", action="store_true", help="time with the thread's CPU clock (loaded machine)"
    )
    parser.add_argument("--nnlib-only", metavar="SHAPE", help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global CLOCK
    if args.cpu_time:
        CLOCK = time.thread_time
    random.seed(0)
    if args.nnlib_only:  # the default-threads column, run in its own process
        s = race({"n": nnlib_step(CONFIGS[args.nnlib_only], np.float32, True)}, args.reps)["n"]
        print(json.dumps(statistics.median(s)))
        return
    reps = 15 if args.quick else 60
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None

    rows = []
    one_thread = threadpool_limits(limits=1) if threadpool_limits else contextlib.nullcontext()
    with one_thread:
        for name, cfg in CONFIGS.items():
            variants = {
                "ref32": nnlib_step(cfg, np.float32),
                "ref64": nnlib_step(cfg, np.float64),
                "f32": nnlib_step(cfg, np.float32, fused=True),
                "f64": nnlib_step(cfg, np.float64, fused=True),
                "mm": matmul_step(cfg),
            }
            if torch is not None:
                variants["torch"] = torch_step(cfg)
            s = race(variants, reps)
            row = {k: statistics.median(v) for k, v in s.items()}
            row["name"] = name
            row["mm_share"] = paired_ratio(s["mm"], s["f32"])
            row["ref_over_fused"] = paired_ratio(s["ref32"], s["f32"])
            if torch is not None:
                row["ratio"] = paired_ratio(s["f32"], s["torch"])
                row["ref_ratio"] = paired_ratio(s["ref32"], s["torch"])
            rows.append(row)
        fit_s = fit_300_steps(5 if args.quick else 15)
    for row in rows:
        row["f32_default"] = default_threads_time(row["name"], max(5, reps // 3))
    imp = import_times(7 if args.quick else 21)

    us = 1e6
    print(
        "| shape | reference f32 (µs) | reference f64 (µs) | fused f32 (µs) | fused f64 (µs) "
        "| matmul only f32 (µs) | PyTorch f32 (µs) | reference f32 / PyTorch "
        "| fused f32 / PyTorch (target) | matmul share of fused f32 "
        "| fused f32, default threads (µs) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        name = r["name"]
        torch_cell = f"{r['torch'] * us:.0f}" if "torch" in r else "n/a"
        ref_ratio = f"{r['ref_ratio']:.2f}" if "ref_ratio" in r else "n/a"
        ratio = f"{r['ratio']:.2f} (<= {TARGETS[name]})" if "ratio" in r else "n/a"
        share = f"{r['mm_share']:.0%}"
        if name == MM_SHARE_TARGET[0]:
            share += f" (>= {MM_SHARE_TARGET[1]:.0%})"
        print(
            f"| {name} | {r['ref32'] * us:.0f} | {r['ref64'] * us:.0f} | {r['f32'] * us:.0f} "
            f"| {r['f64'] * us:.0f} | {r['mm'] * us:.0f} | {torch_cell} | {ref_ratio} | {ratio} "
            f"| {share} | {r['f32_default'] * us:.0f} |"
        )
    print()
    print(
        "300 full-batch Adam steps of 2-16-16-1 on 200 points (float64, one thread): "
        f"fused TrainStep {fit_s['fused'] * 1e3:.1f} ms (target <= {FIT_TARGET_MS} ms); "
        f"nnlib.fit, reference path {fit_s['fit'] * 1e3:.1f} ms"
    )
    print(
        f"import numpy: {imp['numpy'] * 1e3:.1f} ms; import nnlib: {imp['nnlib'] * 1e3:.1f} ms "
        f"(ratio {imp['nnlib'] / imp['numpy']:.2f}, target <= 1.3)"
    )
    clock = "thread CPU time (--cpu-time)" if args.cpu_time else "wall clock"
    print(f"clock: {clock}; load average at the end: {os.getloadavg()[0]:.1f}")
    threads = "1 per library (threadpoolctl)" if threadpool_limits else "default (no threadpoolctl)"
    torch_v = torch.__version__ if torch is not None else "not installed"
    print(f"threads: {threads}; PyTorch {torch_v}; NumPy {np.__version__}")


if __name__ == "__main__":
    main()
