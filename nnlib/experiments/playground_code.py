"""The playground's "copy as code": nnlib code that reproduces a run, live changes included.

:func:`playground_code` writes a standalone Python script that builds the same
data, input features and network as a :class:`~nnlib.experiments.playground.Playground`,
with the same seeds, and trains it with ``nnlib.fit``: one ``fit`` call per
stretch of epochs between two live changes, each change written out where it
happened (``optimizer.lr = 0.01`` after epoch 12). Run as a script, it ends with
the very weights the playground has (the unit tests check that bit for bit).
"""

from __future__ import annotations

from typing import Any

from .playground import ACTIVATIONS, INITIALIZERS, OPTIMIZERS, Playground
from .playground_data import FEATURES

__all__ = ["playground_code"]


def _lit(value: Any) -> str:
    """A Python literal as ruff formats it (strings in double quotes)."""
    return '"' + value + '"' if isinstance(value, str) else repr(value)


def _init_code(name: str) -> str:
    fn_name, kwargs = INITIALIZERS[name]
    if not kwargs:
        return _lit(fn_name)
    args = ", ".join(f"{k}={_lit(v)}" for k, v in kwargs.items())
    return f"init.get({_lit(fn_name)}, {args})"


def _optimizer_code(settings: dict[str, Any]) -> str:
    cls_name, kwargs = OPTIMIZERS[settings["optimizer"]]
    extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    return f"optim.{cls_name}(model.parameters(), lr={settings['lr']!r}{extra})"


def _regularizer_code(settings: dict[str, Any]) -> str:
    if settings["regularization"] == "none" or settings["reg_strength"] <= 0:
        return "None"
    return f"{settings['regularization']}({settings['reg_strength']!r})"


def _fit_code(settings: dict[str, Any], epochs: int) -> str:
    return (
        f"fit(model, loss_fn, optimizer, F_train, t_train, epochs={epochs},\n"
        f"    batch_size={settings['batch_size']}, rng=shuffle_rng, metrics=(), "
        f"regularizer={_regularizer_code(settings)})"
    )


def _change_code(key: str, settings: dict[str, Any]) -> list[str]:
    """The lines that make one live change, ``settings`` already holding the new value."""
    if key == "lr":
        return [f"optimizer.lr = {settings['lr']!r}"]
    if key == "optimizer":
        return [
            "# a new optimizer starts with no state (no momentum, no running averages)",
            f"optimizer = {_optimizer_code(settings)}",
        ]
    if key == "dropout":
        return [
            "for layer in model:",
            "    if isinstance(layer, Dropout):",
            f"        layer.p = {settings['dropout']!r}",
        ]
    return []  # batch_size and the penalty are arguments of the next fit call


def _import_line(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= 100:
        return line
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"


def playground_code(pg: Playground) -> str:
    """A Python script (as text) that reproduces ``pg``'s network and training run.

    Parameters
    ----------
    pg : Playground
        Its settings at the last restart (``pg.initial``), the live changes
        since (``pg.changes``) and the epochs trained (``pg.epoch``).

    Returns
    -------
    str
        Code using ``nnlib`` only (and NumPy). Its ``model`` ends with the same
        weights as ``pg.model``, exactly.
    """
    s = dict(pg.initial)
    uses_dropout = s["dropout"] > 0 or any(key == "dropout" for _, key, _ in pg.changes)
    act = ACTIVATIONS[s["activation"]].__name__
    regs = sorted({"L1", "L2"} & ({s["regularization"]} | {v for _, k, v in pg.changes}))
    names = ["BCEWithLogitsLoss", "Linear", "Sequential", act, "fit", "init", "optim", "predict"]
    names += regs + (["Dropout"] if uses_dropout else [])
    if not INITIALIZERS[s["init"]][1]:
        names.remove("init")  # a plain name is enough: init="he_normal"
    # ruff's (isort's) order: CONSTANTS, then Classes, then functions and modules
    names = sorted(set(names), key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    feats = s["features"]
    lines = [
        f'"""Reproduces a playground run: {s["dataset"]}, '
        f"{s['layers']} hidden layer(s) of {s['width']} {s['activation']} units, "
        f'{pg.epoch} epochs."""',
        "",
        "import numpy as np",
        "",
        _import_line("nnlib", names),
        "from nnlib.experiments import playground_data",
        "",
        f"# The data: {pg.n_samples} points, {s['train_percent']}% for training",
        "X_train, X_test, y_train, y_test = playground_data(",
        f"    {_lit(s['dataset'])}, noise={s['noise']!r}, n_samples={pg.n_samples}, "
        f"test_size={1.0 - s['train_percent'] / 100.0!r}, rng=0",
        ")",
        "",
        "",
        "def features(X):",
        f'    """The input features {", ".join(feats)}: X (N, 2) -> (N, {len(feats)})."""',
        "    x1, x2 = X[:, 0], X[:, 1]",
        f"    return np.column_stack([{', '.join(FEATURES[f] for f in feats)}])",
        "",
        "",
        "F_train, F_test = features(X_train), features(X_test)",
        "t_train = y_train.reshape(-1, 1).astype(float)  # (N, 1) targets of BCEWithLogitsLoss",
        "t_test = y_test.reshape(-1, 1).astype(float)",
        "",
        f"# The network: weights drawn from seed {s['seed']}, layer by layer",
        f"init_rng = np.random.default_rng({s['seed']})",
    ]
    if uses_dropout:
        lines.append(f"dropout_rng = np.random.default_rng({s['seed'] + 2000})  # dropout masks")
    sizes = [len(feats)] + [s["width"]] * s["layers"]
    init_arg = _init_code(s["init"])
    if "(" in init_arg:  # an initializer with an argument: bind it once
        lines.append(f"weight_init = {init_arg}")
        init_arg = "weight_init"
    lines.append("model = Sequential(")
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        drop = f" Dropout({s['dropout']!r}, rng=dropout_rng)," if uses_dropout else ""
        lines.append(
            f"    Linear({fan_in}, {fan_out}, init={init_arg}, rng=init_rng), {act}(),{drop}"
        )
    lines += [
        f"    Linear({sizes[-1]}, 1, init={init_arg}, rng=init_rng),",
        ")",
        "loss_fn = BCEWithLogitsLoss()",
        f"optimizer = {_optimizer_code(s)}",
        f"shuffle_rng = np.random.default_rng({s['seed'] + 1000})  # the order of the batches",
        "",
        "# Training, with the changes made while it ran",
    ]
    done = 0
    for epoch, key, value in [*pg.changes, (pg.epoch, None, None)]:
        if epoch > done:
            lines.append(_fit_code(s, epoch - done))
            done = epoch
        if key is None:
            break
        s[key] = value
        lines.append(f"# after epoch {epoch}: {key} -> {_lit(value)}")
        lines += _change_code(key, s)
    lines += [
        "",
        'with np.errstate(all="ignore"):',
        '    for name, F, t in (("training", F_train, t_train), ("test", F_test, t_test)):',
        '        print(f"{name} loss {loss_fn(predict(model, F), t):.4f}")',
    ]
    return "\n".join(lines) + "\n"
