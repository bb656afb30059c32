"""Write PyTorch reference values for nnlib's optimizers, clipping, gains, schedules and numerics.

Run from the repository root (needs torch; everything in float64)::

    python scripts/make_torch_fixtures.py

It writes ``tests/fixtures/torch_reference.npz`` (a few KB) and, for the
normalization layers, ``tests/fixtures/torch_norm_reference.npz`` (see
``torch_norm_reference``). The tests compare nnlib against those files, so CI
needs no torch; when torch is installed the tests also import this script and
recompute every value live.

What is stored. Inputs (float32 values, used as float64; stored so the tests
never depend on NumPy's random streams staying the same across versions):

* ``p0_0`` (3, 4), ``p0_1`` (4,): starting parameters;
  ``grads_0`` (50, 3, 4), ``grads_1`` (50, 4): one gradient per step;
  ``clip_grads_0`` (3, 4), ``clip_grads_1`` (4,): gradients to clip.
* ``meta``: one JSON string with every configuration below, in order.

Outputs (float64), documented in ``torch_reference``: ``optim``,
``clip_totals``, ``clip_grads``, ``gains``, ``fans``, ``sched``.

Numerics (``num_*``, from ``numerics_reference``): losses and activation
gradients where a careless formula loses precision or raises under
``np.errstate(all="raise")``; their inputs are constants of this script,
stored next to the outputs as ``num_<case>_<input>``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_reference.npz"
SEED = 20240601
N_STEPS = 50
STEPS = (1, 50)  # record the parameters after these many steps
PARAM_SHAPES = [(3, 4), (4,)]
EPOCHS = 25

# name, optimizer class (same name in torch.optim and nnlib.optim), keyword arguments
OPTIM_CONFIGS: list[tuple[str, str, dict[str, Any]]] = [
    ("sgd", "SGD", {"lr": 0.1}),
    ("sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9}),
    ("sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (
        "sgd_wd_dampening",
        "SGD",
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05},
    ),
    (
        "sgd_nesterov_wd",
        "SGD",
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
    ),
    ("adagrad", "Adagrad", {"lr": 0.1}),
    (
        "adagrad_decay",
        "Adagrad",
        {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.05, "initial_accumulator_value": 0.1},
    ),
    ("rmsprop", "RMSprop", {"lr": 0.01}),
    ("rmsprop_centered", "RMSprop", {"lr": 0.01, "centered": True}),
    ("rmsprop_momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.05}),
    (
        "rmsprop_centered_momentum",
        "RMSprop",
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "eps": 1e-6},
    ),
    ("adam", "Adam", {"lr": 0.01}),
    ("adam_amsgrad", "Adam", {"lr": 0.01, "amsgrad": True, "betas": (0.8, 0.99)}),
    ("adam_wd", "Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("adamw", "AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("adamw_amsgrad", "AdamW", {"lr": 0.01, "amsgrad": True}),
]

GAINS: list[tuple[str, float | None]] = [
    ("linear", None),
    ("conv1d", None),
    ("conv2d", None),
    ("conv3d", None),
    ("conv_transpose1d", None),
    ("conv_transpose2d", None),
    ("conv_transpose3d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.2),
    ("leaky_relu", 1),
    ("selu", None),
]

# torch layout: a Linear weight is (out, in), a conv kernel (out, in, k1, k2)
FAN_SHAPES: list[tuple[int, ...]] = [(5, 3), (8, 4, 3, 3), (6, 2, 5)]

# name, scheduler class, keyword arguments; all start from lr = 0.1
SCHED_CONFIGS: list[tuple[str, str, dict[str, Any]]] = [
    ("step", "StepLR", {"step_size": 7, "gamma": 0.5}),
    ("step_default", "StepLR", {"step_size": 3}),
    ("exponential", "ExponentialLR", {"gamma": 0.9}),
    ("cosine", "CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
    ("cosine_zero", "CosineAnnealingLR", {"T_max": 8}),
]
BASE_LR = 0.1

CLIP_CASES: list[tuple[str, float, float]] = [  # name, max_norm, norm_type
    ("norm2", 1.0, 2.0),
    ("norm2_noclip", 100.0, 2.0),
    ("norm1", 2.0, 1.0),
    ("norminf", 0.5, float("inf")),
]
CLIP_VALUE = 0.5


def make_inputs() -> dict[str, np.ndarray]:
    """The seeded starting parameters, gradient sequences and clipping inputs.

    Drawn in float64, then rounded to float32 values (stored as float32, used as
    float64) to halve the file size; the runs themselves are all float64.
    """
    rng = np.random.default_rng(SEED)
    out: dict[str, np.ndarray] = {}
    for i, shape in enumerate(PARAM_SHAPES):
        out[f"p0_{i}"] = rng.standard_normal(shape).astype(np.float32)
        # gradients whose size wanders, so that running averages rise and fall
        scale = np.exp(rng.uniform(-1.0, 1.0, size=(N_STEPS,) + (1,) * len(shape)))
        out[f"grads_{i}"] = (scale * rng.standard_normal((N_STEPS, *shape))).astype(np.float32)
    out["clip_grads_0"] = (3.0 * rng.standard_normal(PARAM_SHAPES[0])).astype(np.float32)
    out["clip_grads_1"] = rng.standard_normal(PARAM_SHAPES[1]).astype(np.float32)
    return out


def _flat(arrays: list[Any]) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def torch_reference(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every reference value, computed with torch in float64 from ``inputs``.

    Returns
    -------
    dict with
        ``optim`` (n_configs, len(STEPS), 16): both parameters, flattened and
        concatenated, after each number of steps in STEPS;
        ``clip_totals`` (n_clip_cases,): the norms clip_grad_norm_ returned;
        ``clip_grads`` (n_clip_cases + 1, 16): the clipped gradients, flattened,
        the last row from clip_grad_value_;
        ``gains`` (n_gains,); ``fans`` (n_fan_shapes, 2);
        ``sched`` (n_sched_configs, EPOCHS + 1): the lr after 0..EPOCHS epochs.
    """
    import torch

    def tensors(arrays: list[np.ndarray], requires_grad: bool = False) -> list[Any]:
        return [torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad) for a in arrays]

    p0 = [inputs["p0_0"], inputs["p0_1"]]
    grads = [inputs["grads_0"], inputs["grads_1"]]
    optim = np.empty((len(OPTIM_CONFIGS), len(STEPS), 16))
    for c, (_, cls, kwargs) in enumerate(OPTIM_CONFIGS):
        params = tensors(p0, requires_grad=True)
        opt = getattr(torch.optim, cls)(params, foreach=False, **kwargs)
        for k in range(1, N_STEPS + 1):
            for p, g in zip(params, grads, strict=True):
                p.grad = torch.tensor(g[k - 1], dtype=torch.float64)
            opt.step()
            if k in STEPS:
                optim[c, STEPS.index(k)] = _flat([p.detach().numpy() for p in params])

    clip_inputs = [inputs["clip_grads_0"], inputs["clip_grads_1"]]
    clip_totals, clip_grads = [], []
    for _, max_norm, norm_type in CLIP_CASES:
        params = tensors(clip_inputs)
        for p, g in zip(params, tensors(clip_inputs), strict=True):
            p.grad = g
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        clip_totals.append(float(total))
        clip_grads.append(_flat([p.grad.numpy() for p in params]))
    params = tensors(clip_inputs)
    for p, g in zip(params, tensors(clip_inputs), strict=True):
        p.grad = g
    torch.nn.utils.clip_grad_value_(params, CLIP_VALUE)
    clip_grads.append(_flat([p.grad.numpy() for p in params]))

    sched = np.empty((len(SCHED_CONFIGS), EPOCHS + 1))
    for c, (_, cls, kwargs) in enumerate(SCHED_CONFIGS):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
        scheduler = getattr(torch.optim.lr_scheduler, cls)(opt, **kwargs)
        sched[c, 0] = scheduler.get_last_lr()[0]
        for t in range(1, EPOCHS + 1):
            opt.step()  # a no-op (no grad); keeps torch's call-order check quiet
            scheduler.step()
            sched[c, t] = scheduler.get_last_lr()[0]

    calculate_fans = torch.nn.init._calculate_fan_in_and_fan_out
    return {
        "optim": optim,
        "clip_totals": np.array(clip_totals),
        "clip_grads": np.array(clip_grads),
        "gains": np.array([torch.nn.init.calculate_gain(n, a) for n, a in GAINS]),
        "fans": np.array([calculate_fans(torch.empty(s)) for s in FAN_SHAPES]),
        "sched": sched,
    }


def numerics_inputs() -> dict[str, np.ndarray]:
    """The inputs of the numerics cases (constants, float64)."""
    z_ce = np.array([[2.0, -1.0, 0.5, 3.0], [0.1, 0.2, -0.3, 1.5], [1000.0, -1000.0, 3.0, 0.0]])
    t_ce = np.array(
        [
            [0.25, 0.25, 0.25, 0.25 - 1.2e-8],  # sums to 1 - 1.2e-8: accepted, off by rounding
            [0.1, 0.2, 0.3, 0.4 + 1.2e-8],  # 1 + 1.2e-8
            [0.0, 0.5, 0.5, 0.0],
        ]
    )
    tail = np.concatenate([np.linspace(-745.0, -700.0, 10), [-1000.0, 1000.0, -30.0, 30.0]])
    return {
        # BCEWithLogits where the loss is tiny: |z| from 20 to 30 on the right side
        "num_bcel_z": np.array([20.0, 22.5, 25.0, 27.5, 30.0, -20.0, -25.0, -30.0, 0.5]),
        "num_bcel_y": np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]),
        # BCELoss at p = 0 and 1: the gradient's floor of p (1 - p)
        "num_bce_p": np.array([0.0, 1.0, 0.0, 0.3, 1.0]),
        "num_bce_y": np.array([1.0, 0.0, 0.0, 1.0, 1.0]),
        # soft-target cross-entropy with rows off 1 by rounding
        "num_ce_z": z_ce,
        "num_ce_t": t_ce,
        # sigmoid and silu backward where sigmoid(z) is subnormal, and at |z| = 1000
        "num_tail_z": tail,
        "num_tail_dout": np.linspace(-1.5, 2.0, tail.size),
    }


def numerics_reference(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """torch's values for the numerics cases, float64, mean reduction.

    Returns
    -------
    dict with ``num_bcel``, ``num_bce``, ``num_ce``: each ``[loss, *gradient.ravel()]``;
    ``num_sigmoid_dx``, ``num_silu_dx``: ``dout * f'(z)`` on ``num_tail_z``.
    """
    import torch

    F = torch.nn.functional

    def value_and_grad(fn, pred, target):
        x = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
        out = fn(x, torch.tensor(target, dtype=torch.float64))
        out.backward()
        return np.concatenate([[out.item()], x.grad.numpy().ravel()])

    out = {
        "num_bcel": value_and_grad(
            F.binary_cross_entropy_with_logits, inputs["num_bcel_z"], inputs["num_bcel_y"]
        ),
        "num_bce": value_and_grad(F.binary_cross_entropy, inputs["num_bce_p"], inputs["num_bce_y"]),
        "num_ce": value_and_grad(F.cross_entropy, inputs["num_ce_z"], inputs["num_ce_t"]),
    }
    for name, fn in (("sigmoid", torch.sigmoid), ("silu", F.silu)):
        z = torch.tensor(inputs["num_tail_z"], dtype=torch.float64, requires_grad=True)
        fn(z).backward(torch.tensor(inputs["num_tail_dout"], dtype=torch.float64))
        out[f"num_{name}_dx"] = z.grad.numpy()
    return out


def metadata() -> dict[str, np.ndarray]:
    """The configurations as one JSON string, so the tests can read them without this script."""
    meta = {
        "seed": SEED,
        "param_shapes": PARAM_SHAPES,
        "n_steps": N_STEPS,
        "steps": STEPS,
        "optim_configs": OPTIM_CONFIGS,
        "clip_cases": CLIP_CASES,
        "clip_value": CLIP_VALUE,
        "gains": GAINS,
        "fan_shapes_torch_layout": FAN_SHAPES,
        "sched_configs": SCHED_CONFIGS,
        "base_lr": BASE_LR,
        "epochs": EPOCHS,
    }
    return {"meta": np.array(json.dumps(meta))}


# -- normalization layers ---------------------------------------------------------
# BatchNorm1d: BN_STEPS training batches of shape BN_SHAPE go through one layer (its
# running statistics evolve; gamma and beta stay fixed), then one batch in eval mode.
NORM_FIXTURE = FIXTURE.parent / "torch_norm_reference.npz"
NORM_SEED = 20240602
BN_STEPS = 20
BN_SHAPE = (8, 5)  # (N, D) of each training batch
BN_EVAL_N = 6
BN_RECORD = (1, 20)  # store outputs and gradients of these training steps
BN_CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("default", {}),
    ("momentum_eps", {"momentum": 0.3, "eps": 1e-3}),
    ("cumulative", {"momentum": None}),
    ("no_affine", {"affine": False}),
    ("no_running_stats", {"track_running_stats": False}),
]
# LayerNorm: name, normalized_shape, keyword arguments; one batch of LN_N examples
LN_N = 6
LN_CONFIGS: list[tuple[str, list[int], dict[str, Any]]] = [
    ("default", [5], {}),
    ("eps", [5], {"eps": 1e-2}),
    ("no_affine", [5], {"elementwise_affine": False}),
    ("no_bias", [5], {"bias": False}),
    ("two_axes", [3, 4], {}),
]


def make_norm_inputs() -> dict[str, np.ndarray]:
    """Seeded inputs of the normalization fixtures (float32 values, used as float64).

    ``bn_x`` (BN_STEPS, N, D): training batches whose columns have different means
    and scales; ``bn_dout`` the same shape; ``bn_x_eval``, ``bn_dout_eval``
    (BN_EVAL_N, D); ``bn_gamma``, ``bn_beta`` (D,). For each LayerNorm config
    ``<name>``: ``ln_x.<name>``, ``ln_dout.<name>`` (LN_N, *normalized_shape) and
    ``ln_gamma.<name>``, ``ln_beta.<name>`` (normalized_shape).
    """
    rng = np.random.default_rng(NORM_SEED)
    steps, (n, d) = BN_STEPS, BN_SHAPE
    loc, scale = rng.uniform(-2.0, 2.0, d), np.exp(rng.uniform(-1.0, 1.0, d))  # (D,)
    out = {
        "bn_x": loc + scale * rng.standard_normal((steps, n, d)),
        "bn_dout": rng.standard_normal((steps, n, d)),
        "bn_x_eval": loc + scale * rng.standard_normal((BN_EVAL_N, d)),
        "bn_dout_eval": rng.standard_normal((BN_EVAL_N, d)),
        "bn_gamma": rng.uniform(0.5, 2.0, d),
        "bn_beta": rng.standard_normal(d),
    }
    for name, shape, _ in LN_CONFIGS:
        out[f"ln_x.{name}"] = 1.0 + 3.0 * rng.standard_normal((LN_N, *shape))
        out[f"ln_dout.{name}"] = rng.standard_normal((LN_N, *shape))
        out[f"ln_gamma.{name}"] = rng.uniform(0.5, 2.0, shape)
        out[f"ln_beta.{name}"] = rng.standard_normal(shape)
    return {k: v.astype(np.float32) for k, v in out.items()}


def torch_norm_reference(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """torch's BatchNorm1d and LayerNorm in float64 on ``inputs``.

    Returns
    -------
    dict with, for every BatchNorm1d config ``bn.<name>.``:
        ``train_out``, ``train_dx`` (len(BN_RECORD), N, D) and, with affine,
        ``train_dgamma``, ``train_dbeta`` (len(BN_RECORD), D): forward output and
        gradients of the training steps in BN_RECORD; with running statistics,
        ``running_mean``, ``running_var`` (BN_STEPS, D) after every step;
        ``eval_out``, ``eval_dx`` (BN_EVAL_N, D) and, with affine,
        ``eval_dgamma``, ``eval_dbeta`` (D,) in eval mode after the training steps;
    and for every LayerNorm config ``ln.<name>.``: ``out``, ``dx`` (like x) and the
    parameter gradients ``dgamma``, ``dbeta`` (normalized_shape) when learned.
    """
    import torch

    def t(a: np.ndarray, grad: bool = False) -> Any:
        return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)

    def run(module: Any, x: np.ndarray, dout: np.ndarray) -> dict[str, np.ndarray]:
        """One forward and backward pass: out, dx and the parameter gradients."""
        module.zero_grad()
        xt = t(x, grad=True)
        out = module(xt)
        out.backward(t(dout))
        res = {"out": out.detach().numpy().copy(), "dx": xt.grad.numpy().copy()}
        for tname, mine in (("weight", "dgamma"), ("bias", "dbeta")):
            p = getattr(module, tname, None)
            if p is not None:
                res[mine] = p.grad.numpy().copy()
        return res

    ref: dict[str, np.ndarray] = {}
    for name, kwargs in BN_CONFIGS:
        bn = torch.nn.BatchNorm1d(BN_SHAPE[1], dtype=torch.float64, **kwargs)
        if bn.affine:
            with torch.no_grad():
                bn.weight.copy_(t(inputs["bn_gamma"]))
                bn.bias.copy_(t(inputs["bn_beta"]))
        bn.train()
        records, means, variances = [], [], []
        for k in range(1, BN_STEPS + 1):
            res = run(bn, inputs["bn_x"][k - 1], inputs["bn_dout"][k - 1])
            if k in BN_RECORD:
                records.append(res)
            if bn.track_running_stats:
                means.append(bn.running_mean.numpy().copy())
                variances.append(bn.running_var.numpy().copy())
        for key in records[0]:
            ref[f"bn.{name}.train_{key}"] = np.stack([r[key] for r in records])
        if bn.track_running_stats:
            ref[f"bn.{name}.running_mean"] = np.array(means)
            ref[f"bn.{name}.running_var"] = np.array(variances)
        bn.eval()
        for key, value in run(bn, inputs["bn_x_eval"], inputs["bn_dout_eval"]).items():
            ref[f"bn.{name}.eval_{key}"] = value
    for name, shape, kwargs in LN_CONFIGS:
        ln = torch.nn.LayerNorm(shape, dtype=torch.float64, **kwargs)
        with torch.no_grad():
            if ln.weight is not None:
                ln.weight.copy_(t(inputs[f"ln_gamma.{name}"]))
            if ln.bias is not None:
                ln.bias.copy_(t(inputs[f"ln_beta.{name}"]))
        for key, value in run(ln, inputs[f"ln_x.{name}"], inputs[f"ln_dout.{name}"]).items():
            ref[f"ln.{name}.{key}"] = value
    return ref


def norm_metadata() -> dict[str, np.ndarray]:
    """The normalization configurations as one JSON string (``meta``)."""
    meta = {
        "seed": NORM_SEED,
        "bn_steps": BN_STEPS,
        "bn_record": BN_RECORD,
        "bn_configs": BN_CONFIGS,
        "ln_configs": LN_CONFIGS,
    }
    return {"meta": np.array(json.dumps(meta))}


def main() -> None:
    import torch

    inputs = make_inputs()
    num = numerics_inputs()
    data = {**inputs, **metadata(), **torch_reference(inputs), **num, **numerics_reference(num)}
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(FIXTURE, **data)
    size = FIXTURE.stat().st_size
    print(f"wrote {FIXTURE} ({size} bytes, {len(data)} arrays) with torch {torch.__version__}")
    norm_inputs = make_norm_inputs()
    data = {**norm_inputs, **norm_metadata(), **torch_norm_reference(norm_inputs)}
    np.savez_compressed(NORM_FIXTURE, **data)
    size = NORM_FIXTURE.stat().st_size
    print(f"wrote {NORM_FIXTURE} ({size} bytes, {len(data)} arrays)")


if __name__ == "__main__":
    main()
