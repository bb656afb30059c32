"""Backpropagation: the computational graph of one neuron, and what gradients cost.

Plain Python and NumPy, no drawing. Each operation knows its own value and its
*local* derivatives, nothing else. ``ComputationGraph.forward`` computes every
node's value from the inputs; ``run`` then walks the edges in reverse and
multiplies local derivatives (the chain rule), adding the contributions of a
node read by several others. The chapter's figure
(``nnlib.plots.plot_computational_graph``) and its stepper app
(``nnlib.widgets.BackpropStepperApp``) read their numbers from here, so they
cannot disagree.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..activations import sigmoid
from ..gradcheck import numerical_gradient, rel_error

__all__ = [
    "GraphNode",
    "GraphPass",
    "ComputationGraph",
    "neuron_graph",
    "format_value",
    "numerical_parameter_gradients",
    "measure_gradient_cost",
]


# op name -> (forward f(*inputs), local derivatives (*inputs, out) -> one per input,
#             forward formula, local-derivative formulas); "{0}", "{1}" name the inputs.
OPS: dict[str, tuple[Callable, Callable, str, tuple[str, ...]]] = {
    "mul": (lambda a, b: a * b, lambda a, b, out: (b, a), "{0}·{1}", ("{1}", "{0}")),
    "add": (lambda a, b: a + b, lambda a, b, out: (1.0, 1.0), "{0} + {1}", ("1", "1")),
    "sub": (lambda a, b: a - b, lambda a, b, out: (1.0, -1.0), "{0} − {1}", ("1", "−1")),
    "sigmoid": (sigmoid, lambda z, out: (out * (1.0 - out),), "σ({0})", ("{out}(1 − {out})",)),
    "square": (lambda e: e * e, lambda e, out: (2.0 * e,), "{0}²", ("2{0}",)),
}

Edge = tuple[str, "str | None"]  # (source node, destination node); None = the output


@dataclass(frozen=True)
class GraphNode:
    """One node: an input (``op=None``) or an operation on earlier nodes.

    ``name`` is the variable the node holds (``"z"``), ``label`` the text of its
    box in the figure (``"+"``), ``pos`` its (x, y) place in the figure.
    """

    name: str
    op: str | None = None
    inputs: tuple[str, ...] = ()
    label: str = ""
    pos: tuple[float, float] = (0.0, 0.0)


@dataclass
class GraphPass:
    """The numbers of one forward + backward pass.

    ``values[node]`` and ``grads[node]`` (dL/d node); per edge ``(src, dst)``:
    ``local[edge]`` = d dst / d src and ``edge_grads[edge]`` = the gradient the
    edge carries back, ``grads[dst] * local[edge]``.
    """

    inputs: dict[str, float]
    values: dict[str, float]
    grads: dict[str, float]
    local: dict[Edge, float] = field(default_factory=dict)
    edge_grads: dict[Edge, float] = field(default_factory=dict)


def format_value(v: float, digits: int = 3) -> str:
    """``v`` with ``digits`` decimals, without a ``-0.000``."""
    text = f"{float(v):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0.0 else text


def _paren(v: float) -> str:
    """A number ready to sit inside a formula: ``(-0.500)`` for negatives."""
    text = format_value(v)
    return f"({text})" if text.startswith("-") else text


class ComputationGraph:
    """A scalar function written as a graph of elementary operations.

    Parameters
    ----------
    nodes : list of GraphNode
        In topological order: every node after the nodes it reads.
    output : str
        The node holding the final scalar (the loss ``L``).
    """

    def __init__(self, nodes: Sequence[GraphNode], output: str) -> None:
        self.nodes = {n.name: n for n in nodes}
        self.order = [n.name for n in nodes]
        self.output = output
        for n in nodes:
            if n.op is not None and n.op not in OPS:
                raise ValueError(f"unknown op {n.op!r}; known: {sorted(OPS)}")

    @property
    def leaves(self) -> list[str]:
        """The input nodes, in order."""
        return [n for n in self.order if self.nodes[n].op is None]

    @property
    def edges(self) -> list[Edge]:
        """Edges in the order the forward pass uses them, ending with ``(output, None)``."""
        out: list[Edge] = []
        for name in self.order:
            out.extend((src, name) for src in self.nodes[name].inputs)
        return out + [(self.output, None)]

    def forward(self, overrides: dict[str, float] | None = None, **inputs: float) -> dict:
        """Value of every node (works elementwise on arrays of inputs too).

        ``overrides`` replaces a node's computed value, so a finite difference can
        nudge an intermediate variable and watch the output move.
        """
        missing = sorted(set(self.leaves) - set(inputs))
        if missing:
            raise ValueError(f"missing inputs {missing}; the graph needs {self.leaves}")
        overrides = overrides or {}
        values: dict = {}
        for name in self.order:
            node = self.nodes[name]
            if name in overrides:
                values[name] = overrides[name]
            elif node.op is None:
                values[name] = inputs[name]
            else:
                values[name] = OPS[node.op][0](*(values[i] for i in node.inputs))
        return values

    def run(self, **inputs: float) -> GraphPass:
        """Forward pass, then backward pass: every value, local derivative and gradient."""
        values = {k: float(v) for k, v in self.forward(**inputs).items()}
        grads = {name: 0.0 for name in self.order}
        grads[self.output] = 1.0  # dL/dL: the seed of the backward pass
        result = GraphPass(dict(inputs), values, grads)
        result.edge_grads[(self.output, None)] = 1.0
        for name in reversed(self.order):  # every node after all the nodes that read it
            node = self.nodes[name]
            if node.op is None:
                continue
            ins = [values[i] for i in node.inputs]
            for src, d in zip(node.inputs, OPS[node.op][1](*ins, values[name]), strict=True):
                result.local[(src, name)] = float(d)
                result.edge_grads[(src, name)] = grads[name] * float(d)  # chain rule
                grads[src] += grads[name] * float(d)  # a node read twice adds both paths
        return result

    def numerical_gradients(self, h: float = 1e-6, **inputs: float) -> dict[str, float]:
        """dL/d node for every node by centered differences (nudging one node at a time)."""
        values = self.forward(**inputs)
        out = {}
        for name in self.order:
            plus = self.forward({name: values[name] + h}, **inputs)[self.output]
            minus = self.forward({name: values[name] - h}, **inputs)[self.output]
            out[name] = float((plus - minus) / (2.0 * h))
        return out

    # -- words for each step (the app's status line, the notebook's printout) --
    def forward_message(self, edge: Edge, p: GraphPass) -> str:
        """One line explaining the value carried by ``edge``."""
        src, dst = edge
        node, v = self.nodes[src], format_value(p.values[src])
        if node.op is None:
            return f"input {src} = {v}"
        formula = OPS[node.op][2]
        names = formula.format(*node.inputs)
        nums = formula.format(*(_paren(p.values[i]) for i in node.inputs))
        return f"{src} = {names} = {nums} = {v}"

    def backward_message(self, edge: Edge, p: GraphPass) -> str:
        """One line of the chain rule for the gradient carried by ``edge``.

        Upstream gradient times the local derivative of the node the edge enters.
        """
        src, dst = edge
        if dst is None:
            return f"∂L/∂{src} = 1 (the seed: L changes one-for-one with itself)"
        node = self.nodes[dst]
        k = node.inputs.index(src)
        local = OPS[node.op][3][k].format(*node.inputs, out=dst)
        return (
            f"∂L/∂{src} = ∂L/∂{dst} · {local} = "
            f"{format_value(p.grads[dst])} × {_paren(p.local[edge])} = "
            f"{format_value(p.edge_grads[edge])}"
        )


def neuron_graph() -> ComputationGraph:
    """``L = (sigmoid(w*x + b) - y)**2``: one neuron, one example, squared error.

    Inputs ``x, w, b, y``; intermediate ``u = w*x``, ``z = u + b``,
    ``a = sigmoid(z)``, ``e = a - y``; output ``L = e**2``.
    """
    return ComputationGraph(
        [
            GraphNode("w", pos=(0.0, 0.0)),
            GraphNode("x", pos=(1.25, 1.05)),
            GraphNode("b", pos=(2.5, -1.05)),
            GraphNode("y", pos=(5.0, -1.05)),
            GraphNode("u", "mul", ("w", "x"), "×", (1.25, 0.0)),
            GraphNode("z", "add", ("u", "b"), "+", (2.5, 0.0)),
            GraphNode("a", "sigmoid", ("z",), "σ", (3.75, 0.0)),
            GraphNode("e", "sub", ("a", "y"), "−", (5.0, 0.0)),
            GraphNode("L", "square", ("e",), "( )²", (6.25, 0.0)),
        ],
        output="L",
    )


# -- why backpropagation is efficient ------------------------------------------
def numerical_parameter_gradients(model, loss_fn, X: np.ndarray, y: np.ndarray, h: float = 1e-6):
    """Finite-difference gradient of the loss for every parameter of ``model``.

    Uses ``nnlib.gradcheck.numerical_gradient`` on each parameter array in
    turn: two forward passes per number.

    Returns
    -------
    grads : list of ndarray
        One per ``model.parameters()``, same shapes.
    n_forward : int
        How many forward passes it took (``2 * model.num_parameters()``).
    """
    count = 0
    grads = []
    for p in model.parameters():
        original = p.data

        def f(v: np.ndarray, p=p) -> float:
            nonlocal count
            count += 1
            p.owner.params[p.name] = v  # the layer reads the nudged copy
            return loss_fn.forward(model.forward(X), y)

        try:
            grads.append(numerical_gradient(f, original, h))
        finally:
            p.owner.params[p.name] = original
    return grads, count


def measure_gradient_cost(
    widths: Sequence[int] = (4, 8, 16, 32, 64),
    n_samples: int = 32,
    repeats: int = 5,
    rng: int = 0,
) -> list[dict]:
    """Time backprop against finite differences on ``2 -> H -> H -> 1`` tanh networks.

    Returns one dict per width ``H``: ``parameters``, ``forward_passes`` (of the
    finite differences), ``backprop_ms`` (best of ``repeats`` forward + backward),
    ``numerical_ms``, ``ratio`` and ``rel_error`` (the two gradients compared).
    """
    from ..layers import Linear, Sequential, Tanh
    from ..losses import MSELoss

    gen = np.random.default_rng(rng)
    X = gen.standard_normal((n_samples, 2))
    y = np.sin(X[:, :1]) + 0.1 * gen.standard_normal((n_samples, 1))
    rows = []
    for H in widths:
        model = Sequential(
            Linear(2, H, rng=gen), Tanh(), Linear(H, H, rng=gen), Tanh(), Linear(H, 1, rng=gen)
        )
        loss_fn = MSELoss()

        def backprop(model=model, loss_fn=loss_fn) -> None:
            loss_fn.forward(model.forward(X), y)
            model.backward(loss_fn.backward())

        best = np.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(10):
                backprop()
            best = min(best, (time.perf_counter() - t0) / 10)
        analytic = [np.array(p.grad) for p in model.parameters()]
        t0 = time.perf_counter()
        numeric, n_forward = numerical_parameter_gradients(model, loss_fn, X, y)
        t_num = time.perf_counter() - t0
        err = max(rel_error(a, n) for a, n in zip(analytic, numeric, strict=True))
        rows.append(
            dict(
                width=H,
                parameters=model.num_parameters(),
                forward_passes=n_forward,
                backprop_ms=best * 1e3,
                numerical_ms=t_num * 1e3,
                ratio=t_num / best,
                rel_error=err,
            )
        )
    return rows
