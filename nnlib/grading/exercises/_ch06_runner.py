"""Running a learner's optimizer class side by side with nnlib.optim (for chapter 6's checks).

For several cases (parameter lists of mixed shapes, torch's defaults and
other hyperparameters, 30 to 100 steps of random gradients; tiny gradients
where ``eps`` matters; sparse gradients that stay 0 for a while; float32) the
learner's optimizer and the matching ``nnlib.optim`` class (which reproduces
``torch.optim`` exactly) take the same steps from the same start, and the
parameters are compared after every step. At the first difference the check
runs each catalogued mistake (a small wrong update rule from the chapter module)
on the same gradients and names the one whose whole trajectory the learner's
matches.

An update rule (the catalogued mistakes) is a function
``update(w, g, state, hyper, shared)`` that changes one parameter array ``w``
in place; ``state`` is that array's own dict, ``hyper`` the hyperparameters,
and ``shared`` holds ``t`` (steps taken) and ``calls`` (calls of the rule).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ... import optim
from ...module import Module, Parameter
from ..checks import Check
from ..feedback import ExerciseFailed
from ..registry import Exercise

Update = Callable[[np.ndarray, np.ndarray, dict, dict, dict], None]


def nnlib_stepper(name: str, hyper: dict, params0: list[np.ndarray]) -> Callable[[list], list]:
    """A stepper backed by nnlib.optim: grads -> the parameters after the step (copies)."""
    holder = Module()
    keys = [f"p{i}" for i in range(len(params0))]
    holder.params = {k: p.copy() for k, p in zip(keys, params0, strict=True)}
    handles = [Parameter(holder, k) for k in keys]
    opt = {
        "Momentum": lambda: optim.SGD(handles, lr=hyper["lr"], momentum=hyper["momentum"]),
        "Adagrad": lambda: optim.Adagrad(handles, lr=hyper["lr"], eps=hyper["eps"]),
        "RMSprop": lambda: optim.RMSprop(
            handles, lr=hyper["lr"], alpha=hyper["alpha"], eps=hyper["eps"]
        ),
        "Adam": lambda: optim.Adam(handles, lr=hyper["lr"], betas=hyper["betas"], eps=hyper["eps"]),
    }[name]()

    def step(grads: list[np.ndarray]) -> list[np.ndarray]:
        holder.grads = {k: g.copy() for k, g in zip(keys, grads, strict=True)}
        opt.step()
        return [holder.params[k].copy() for k in keys]

    return step


def simulate(update: Update, hyper: dict, params0: list, grad_seq: list) -> list[list]:
    """Run a (possibly wrong) per-array update rule; the parameters after every step."""
    params = [p.copy() for p in params0]
    state: list[dict] = [{} for _ in params]
    shared = {"t": 0, "calls": 0}  # steps taken, and calls of the rule (one per array)
    out = []
    with np.errstate(all="ignore"):
        for grads in grad_seq:
            shared["t"] += 1
            for w, g, st in zip(params, grads, state, strict=True):
                shared["calls"] += 1
                update(w, g.copy(), st, hyper, shared)
            out.append([p.copy() for p in params])
    return out


def tolerance(params0: list[np.ndarray]) -> dict[str, float]:
    scale = max(1.0, max(float(np.max(np.abs(p))) for p in params0))
    if params0[0].dtype == np.float32:
        return {"rtol": 1e-4, "atol": 1e-5 * scale}
    return {"rtol": 1e-6, "atol": 1e-9 * scale}


def same(a: list, b: list, tol: dict) -> bool:
    return all(
        x.shape == y.shape and np.allclose(x, y, equal_nan=True, **tol)
        for x, y in zip(a, b, strict=True)
    )


def gradients(kind: str, shapes: list, steps: int, dtype: Any, seed: int) -> list[list]:
    """Random gradients for every step: normal, mixed scales, tiny, or sparse."""
    rng = np.random.default_rng(seed)
    scales = {"normal": [1.0], "mixed": [0.01, 10.0, 1.0], "tiny": [1e-7], "sparse": [1.0]}[kind]
    seq = []
    for t in range(1, steps + 1):
        grads = []
        for i, shape in enumerate(shapes):
            g = rng.normal(size=shape) * scales[i % len(scales)]
            if kind == "sparse":
                g = g * (rng.random(shape) < 0.5)  # about half the entries are 0 at each step
                if t <= 10:
                    g.flat[0] = 0.0  # one weight sees no gradient for its first 10 steps
            grads.append(g.astype(dtype))
        seq.append(grads)
    return seq


def ctor_text(cls_name: str, hyper: dict) -> str:
    return f"{cls_name}({', '.join(f'{k}={v!r}' for k, v in hyper.items())})"


def moved(before: np.ndarray, after: np.ndarray, idx: tuple) -> str:
    d = float(after[idx]) - float(before[idx])
    return f"moved by {d:+.4g} (to {float(after[idx]):.6g})"


def check_optimizer(
    learner_cls: Any,
    exercise: Exercise,
    name: str,
    cases: list[dict],
    mistakes: list[tuple[str, Update]],
) -> None:
    """Compare the learner's class with nnlib.optim on every case; name the mistake."""
    with Check(exercise, learner_cls) as c:
        for n, case in enumerate(cases, 1):
            run_case(c, learner_cls, name, n, {"dtype": np.float64, **case}, mistakes)
        c.cases = len(cases)


def run_case(
    c: Check, learner_cls: Any, name: str, n: int, case: dict, mistakes: list[tuple[str, Update]]
) -> None:
    """One case: build the optimizer, take every step, then compare with the reference."""
    hyper, shapes, steps, dtype = case["hyper"], case["shapes"], case["steps"], case["dtype"]
    rng = np.random.default_rng(700 + n)
    params0 = [rng.normal(size=s).astype(dtype) for s in shapes]
    grad_seq = gradients(case["grads"], shapes, steps, dtype, seed=800 + n)
    layout = ", ".join(str(s) for s in shapes) + f" {np.dtype(dtype).name}"
    about = f"{ctor_text(name, hyper)}, params {layout}, {case['grads']} gradients (case {n})"

    opt = c.call(fn=learner_cls, **hyper, note=f"case {n}")
    if not callable(getattr(opt, "step", None)):
        raise c.failure(
            f"your {name} object has no step method",
            got=repr(type(opt).__name__),
            likely="define `def step(self, params, grads):` inside the class",
            kind="type",
        )
    traj, tried, crash = learner_steps(c, opt.step, params0, grad_seq, about)

    tol = tolerance(params0)
    stepper = nnlib_stepper(name, hyper, params0)
    expected = [stepper(grads) for grads in grad_seq[: len(traj)]]
    for t, (got, exp) in enumerate(zip(traj, expected, strict=True), 1):
        if not same(got, exp, tol):
            c.tried = tried[t - 1]
            likely = name_mistake(mistakes, hyper, params0, grad_seq, traj, tol, t)
            raise difference(c, t, [params0, *traj], [params0, *expected], tol, likely)
    if crash is not None:
        raise crash


def learner_steps(
    c: Check, step: Any, params0: list, grad_seq: list, about: str
) -> tuple[list[list], list[str], ExerciseFailed | None]:
    """Run the learner's steps until the end or a failure of the call itself.

    Returns the parameters after each step, the ``tried`` text of each step,
    and the failure that stopped the run (None when every step ran).
    """
    params = [p.copy() for p in params0]
    originals = list(params)
    traj, tried = [], []
    for t, grads in enumerate(grad_seq, 1):
        note = f"{about}, step {t} of {len(grad_seq)}"
        try:
            c.call(params, [g.copy() for g in grads], fn=step, note=note, mutates=("params",),
                   allow_alias=True)  # fmt: skip
        except ExerciseFailed as err:
            return traj, tried, err
        if len(params) != len(originals) or any(
            p is not o for p, o in zip(params, originals, strict=False)
        ):
            raise c.failure(
                "your step put new arrays into the list `params` instead of changing them",
                likely="`params[i] = params[i] - ...` replaces the list entry, while the layers "
                "keep the old array: update each array in place (`w -= lr * ...`)",
                kind="replaced",
            )
        traj.append([p.copy() for p in params])
        tried.append(c.tried)
    return traj, tried, None


def name_mistake(
    mistakes: list[tuple[str, Update]],
    hyper: dict,
    params0: list,
    grad_seq: list,
    traj: list[list],
    tol: dict,
    t: int,
) -> str:
    """The first catalogued mistake whose whole trajectory the learner's matches, or a hint."""
    for message, update in mistakes:
        theirs = simulate(update, hyper, params0, grad_seq[: len(traj)])
        if all(same(a, b, tol) for a, b in zip(traj, theirs, strict=True)):
            return message
    if t == 1:
        return (
            "the very first step is already off: compare your update with the formula, term by term"
        )
    were = "s were" if t > 2 else " was"
    return f"the first {t - 1} step{were} right: check the state you keep between steps"


def difference(
    c: Check, t: int, got: list[list], expected: list[list], tol: dict, likely: str
) -> ExerciseFailed:
    """The failure at step ``t``: the entry that differs most, and how far it moved."""
    i = next(k for k, (g, e) in enumerate(zip(got[t], expected[t], strict=True))
             if not same([g], [e], tol))  # fmt: skip
    g, e = got[t][i], expected[t][i]
    err = np.nan_to_num(np.where(np.isclose(g, e, **tol), -1.0, np.abs(g - e)), nan=np.inf)
    idx = np.unravel_index(int(np.argmax(err)), e.shape)
    where = f"params[{i}][{', '.join(str(int(k)) for k in idx)}]" if e.ndim else f"params[{i}]"
    trouble = "contains NaN" if np.isnan(g).any() else "has wrong values"
    return c.failure(
        f"after step {t}, your params[{i}] {trouble}",
        got=f"{where} {moved(got[t - 1][i], g, idx)}",
        expected=f"{where} {moved(expected[t - 1][i], e, idx)}",
        likely=likely,
    )
