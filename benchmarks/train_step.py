"""Time one training step (forward + backward + Adam update) of nnlib vs PyTorch.

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
* "nnlib f32, default threads" repeats the nnlib float32 step in a separate
  process with NumPy's default thread count.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import subprocess
import sys
import time

import numpy as np

import nnlib
from nnlib import optim

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
TARGETS = {  # nnlib float32 step time / PyTorch step time
    "2-16-16-1 (N=200)": 0.25,
    "64-128-64-10 (N=256)": 0.5,
    "784-256-128-10 (N=128)": 0.8,
    "10x512 tanh (N=256)": 1.0,
}


def make_data(cfg, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["batch"], cfg["sizes"][0])).astype(dtype)
    c = cfg["sizes"][-1]
    if c == 1:
        y = (rng.random((cfg["batch"], 1)) > 0.5).astype(dtype)
    else:
        y = rng.integers(0, c, size=cfg["batch"])
    return x, y


def nnlib_step(cfg, dtype):
    sizes = cfg["sizes"]
    act = {"relu": nnlib.ReLU, "tanh": nnlib.Tanh}[cfg["act"]]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nnlib.Linear(a, b, rng=i, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(act())
    model = nnlib.Sequential(*layers)
    loss_fn = nnlib.BCEWithLogitsLoss() if sizes[-1] == 1 else nnlib.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x, y = make_data(cfg, dtype)

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


def calibrate(fn, target_s=0.004):
    """How many calls make one timing sample of about ``target_s`` seconds."""
    fn()
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t > target_s or n > 1 << 16:
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
            t = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t) / n)
    return samples


def paired_ratio(a, b):
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def default_threads_time(name, reps):
    """nnlib float32 step at NumPy's default thread count, in a fresh process."""
    out = subprocess.run(
        [sys.executable, __file__, "--nnlib-only", name, "--reps", str(reps)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def fit_300_steps(reps):
    """Wall time of 300 full-batch Adam steps of 2-16-16-1 on 200 moons points (fit)."""
    from nnlib.datasets import make_moons

    X, y = make_moons(n_samples=200, noise=0.1, rng=0)
    y = y.reshape(-1, 1).astype(np.float64)
    times = []
    for r in range(reps):
        model = nnlib.Sequential(
            nnlib.Linear(2, 16, rng=r),
            nnlib.ReLU(),
            nnlib.Linear(16, 16, rng=r + 1),
            nnlib.ReLU(),
            nnlib.Linear(16, 1, rng=r + 2),
        )
        opt = optim.Adam(model.parameters(), lr=0.01)
        t = time.perf_counter()
        nnlib.fit(model, nnlib.BCEWithLogitsLoss(), opt, X, y, epochs=300)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


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
    parser.add_argument("--nnlib-only", metavar="SHAPE", help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    random.seed(0)
    if args.nnlib_only:  # the default-threads column, run in its own process
        s = race({"n": nnlib_step(CONFIGS[args.nnlib_only], np.float32)}, args.reps)["n"]
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
                "f32": nnlib_step(cfg, np.float32),
                "f64": nnlib_step(cfg, np.float64),
                "mm": matmul_step(cfg),
            }
            if torch is not None:
                variants["torch"] = torch_step(cfg)
            s = race(variants, reps)
            row = {k: statistics.median(v) for k, v in s.items()}
            row["name"] = name
            row["mm_share"] = paired_ratio(s["mm"], s["f32"])
            if torch is not None:
                row["ratio"] = paired_ratio(s["f32"], s["torch"])
            rows.append(row)
        fit_s = fit_300_steps(5 if args.quick else 15)
    for row in rows:
        row["f32_default"] = default_threads_time(row["name"], max(5, reps // 3))
    imp = import_times(7 if args.quick else 21)

    us = 1e6
    print(
        "| shape | nnlib f32 (µs) | nnlib f64 (µs) | matmul only f32 (µs) | PyTorch f32 (µs) "
        "| nnlib f32 / PyTorch (target) | matmul share of nnlib f32 "
        "| nnlib f32, default threads (µs) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        torch_cell = f"{r['torch'] * us:.0f}" if "torch" in r else "n/a"
        ratio_cell = f"{r['ratio']:.2f} (<= {TARGETS[r['name']]})" if "ratio" in r else "n/a"
        print(
            f"| {r['name']} | {r['f32'] * us:.0f} | {r['f64'] * us:.0f} | {r['mm'] * us:.0f} | "
            f"{torch_cell} | {ratio_cell} | {r['mm_share']:.0%} | {r['f32_default'] * us:.0f} |"
        )
    print()
    print(
        "300 full-batch Adam steps of 2-16-16-1 on 200 points (fit, one thread): "
        f"{fit_s * 1e3:.1f} ms (target <= 50 ms)"
    )
    print(
        f"import numpy: {imp['numpy'] * 1e3:.1f} ms; import nnlib: {imp['nnlib'] * 1e3:.1f} ms "
        f"(ratio {imp['nnlib'] / imp['numpy']:.2f}, target <= 1.3)"
    )
    threads = "1 per library (threadpoolctl)" if threadpool_limits else "default (no threadpoolctl)"
    torch_v = torch.__version__ if torch is not None else "not installed"
    print(f"threads: {threads}; PyTorch {torch_v}; NumPy {np.__version__}")


if __name__ == "__main__":
    main()
