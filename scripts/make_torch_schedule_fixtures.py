"""Write PyTorch reference values for nnlib's per-batch schedules (warm-up, one-cycle, cyclic).

Run from the repository root (needs torch)::

    python scripts/make_torch_schedule_fixtures.py

It writes ``tests/fixtures/torch_schedules.npz`` (a few KB): for each
configuration in ``CONFIGS``, the learning rate and the momentum (``momentum``
for SGD, ``betas[0]`` for Adam) after 0, 1, ..., ``STEPS`` scheduler steps,
as ``lr`` and ``momentum`` arrays of shape ``(len(CONFIGS), STEPS + 1)``, and
the configurations as one JSON string ``meta``. The one-cycle runs last 201
steps, so that all 200 steps compared lie inside the cycle (at
``t = total_steps`` torch extrapolates the last leg one step further, where
nnlib stays at ``min_lr``). ``tests/test_schedules.py`` compares nnlib against
the file, and recomputes it live when torch is installed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_schedules.npz"
STEPS = 200

# name, optimizer (SGD or Adam) and its keyword arguments, scheduler class, its keyword arguments
CONFIGS: list[tuple[str, str, dict[str, Any], str, dict[str, Any]]] = [
    ("linear_warmup", "SGD", {"lr": 0.1}, "LinearLR", {"start_factor": 0.01, "total_iters": 30}),
    ("linear_default", "Adam", {"lr": 0.003}, "LinearLR", {}),
    (
        "linear_decay",
        "SGD",
        {"lr": 0.5},
        "LinearLR",
        {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 150},
    ),
    (
        "onecycle_sgd",
        "SGD",
        {"lr": 0.1, "momentum": 0.9},
        "OneCycleLR",
        {"max_lr": 0.4, "total_steps": 201},
    ),
    (
        "onecycle_adam_linear",
        "Adam",
        {"lr": 0.001},
        "OneCycleLR",
        {
            "max_lr": 0.01,
            "epochs": 67,
            "steps_per_epoch": 3,
            "anneal_strategy": "linear",
            "pct_start": 0.25,
        },
    ),
    (
        "onecycle_three_phase",
        "SGD",
        {"lr": 0.1, "momentum": 0.9},
        "OneCycleLR",
        {
            "max_lr": 1.0,
            "total_steps": 201,
            "three_phase": True,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
        },
    ),
    (
        "onecycle_no_momentum",
        "SGD",
        {"lr": 0.1},
        "OneCycleLR",
        {"max_lr": 0.2, "total_steps": 201, "cycle_momentum": False},
    ),
    (
        "cyclic_triangular",
        "SGD",
        {"lr": 0.1, "momentum": 0.9},
        "CyclicLR",
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 20},
    ),
    (
        "cyclic_triangular2_adam",
        "Adam",
        {"lr": 0.001},
        "CyclicLR",
        {
            "base_lr": 0.001,
            "max_lr": 0.006,
            "step_size_up": 15,
            "step_size_down": 25,
            "mode": "triangular2",
        },
    ),
    (
        "cyclic_exp_range",
        "SGD",
        {"lr": 0.1, "momentum": 0.5},
        "CyclicLR",
        {"base_lr": 0.02, "max_lr": 0.2, "step_size_up": 10, "mode": "exp_range", "gamma": 0.99},
    ),
    (
        "cyclic_no_momentum",
        "SGD",
        {"lr": 0.1},
        "CyclicLR",
        {"base_lr": 0.05, "max_lr": 0.3, "step_size_up": 7, "cycle_momentum": False},
    ),
]


def torch_reference() -> dict[str, np.ndarray]:
    """``lr`` and ``momentum``, each ``(len(CONFIGS), STEPS + 1)``, from torch's own schedulers."""
    import torch

    lr = np.empty((len(CONFIGS), STEPS + 1))
    momentum = np.empty((len(CONFIGS), STEPS + 1))
    for c, (_, opt_name, opt_kwargs, cls, kwargs) in enumerate(CONFIGS):
        opt = getattr(torch.optim, opt_name)([torch.zeros(1, requires_grad=True)], **opt_kwargs)
        scheduler = getattr(torch.optim.lr_scheduler, cls)(opt, **kwargs)
        group = opt.param_groups[0]
        for t in range(STEPS + 1):
            if t:
                opt.step()  # a no-op (no grad); keeps torch's call-order check quiet
                scheduler.step()
            lr[c, t] = scheduler.get_last_lr()[0]
            momentum[c, t] = group["betas"][0] if "betas" in group else group["momentum"]
    return {"lr": lr, "momentum": momentum}


def main() -> None:
    import torch

    data = {"meta": np.array(json.dumps({"steps": STEPS, "configs": CONFIGS})), **torch_reference()}
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(FIXTURE, **data)
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size} bytes) with torch {torch.__version__}")


if __name__ == "__main__":
    main()
