"""The names of chapter 5: nnlib's initializers next to their torch and Keras names.

:func:`init_names_table` renders :data:`INIT_NAME_MAP` as Markdown and refuses
to run when ``nnlib.init`` gains a public name the map does not list, so the
table in the notebook cannot fall behind the library.
"""

from __future__ import annotations

from .. import init as nn_init

__all__ = ["INIT_NAME_MAP", "init_names_table"]

#: nnlib.init name -> (torch equivalent, Keras equivalent, what it draws). Every public
#: name of nnlib.init has an entry (init_names_table checks it).
INIT_NAME_MAP: dict[str, tuple[str, str, str]] = {
    "zeros": ("`zeros_`", '`"zeros"` (`Zeros`)', "all 0 (biases)"),
    "ones": ("`ones_`", '`"ones"` (`Ones`)', "all 1"),
    "constant": ("`constant_(val)`", "`Constant(value)`", "all `val`"),
    "normal": ("`normal_(mean, std)`", "`RandomNormal(mean, stddev)`", "N(mean, std²)"),
    "uniform": ("`uniform_(a, b)`", "`RandomUniform(minval, maxval)`", "U(a, b)"),
    "xavier_uniform": (
        "`xavier_uniform_`",
        '`"glorot_uniform"` (Keras default)',
        "U(±√(6/(n_in+n_out))), nnlib's default",
    ),
    "xavier_normal": ("`xavier_normal_`", '`"glorot_normal"`', "std √(2/(n_in+n_out))"),
    "glorot_uniform": ("`xavier_uniform_`", '`"glorot_uniform"`', "alias of xavier_uniform"),
    "glorot_normal": ("`xavier_normal_`", '`"glorot_normal"`', "alias of xavier_normal"),
    "kaiming_uniform": (
        "`kaiming_uniform_` (same defaults)",
        '`"he_uniform"`',
        "U(±√(6/n_in)) with the defaults",
    ),
    "kaiming_normal": (
        "`kaiming_normal_` (same defaults)",
        '`"he_normal"`',
        "std √(2/n_in) with the defaults",
    ),
    "he_uniform": (
        '`kaiming_uniform_(nonlinearity="relu")`',
        '`"he_uniform"`',
        "alias of kaiming_uniform for ReLU",
    ),
    "he_normal": (
        '`kaiming_normal_(nonlinearity="relu")`',
        '`"he_normal"`',
        "alias of kaiming_normal for ReLU",
    ),
    "lecun_uniform": (
        '`kaiming_uniform_(nonlinearity="linear")`',
        '`"lecun_uniform"`',
        "U(±√(3/n_in))",
    ),
    "lecun_normal": (
        '`kaiming_normal_(nonlinearity="linear")`',
        '`"lecun_normal"`',
        "std √(1/n_in)",
    ),
    "calculate_gain": ("`calculate_gain`", "—", "gain per activation"),
    "compute_fans": (
        "`_calculate_fan_in_and_fan_out` (reads `(out, in)`)",
        "internal `compute_fans` (reads `(in, out)`)",
        "(n_in, n_out) of a shape",
    ),
    "get": ("—", "`keras.initializers.get`", "look up by name"),
}


def init_names_table() -> str:
    """A Markdown table: every public name of ``nnlib.init`` and its torch and Keras names.

    Raises
    ------
    RuntimeError
        If ``nnlib.init`` has a public name that :data:`INIT_NAME_MAP` does not list.
    """
    missing = sorted(set(nn_init.__all__) - set(INIT_NAME_MAP))
    if missing:
        raise RuntimeError(f"INIT_NAME_MAP has no row for nnlib.init names {missing}")
    lines = [
        "| nnlib.init | torch.nn.init | Keras (keras.initializers) | draws |",
        "|---|---|---|---|",
    ]
    for name, (torch_name, keras_name, what) in INIT_NAME_MAP.items():
        if name in nn_init.__all__:
            lines.append(f"| `{name}` | {torch_name} | {keras_name} | {what} |")
    return "\n".join(lines)
