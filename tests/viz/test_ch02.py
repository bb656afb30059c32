"""Chapter 2 figures and app: the computational graph, backprop's cost, the stepper."""

import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import experiments, plots, widgets
from nnlib.layers import Linear, Sequential, Tanh
from nnlib.losses import MSELoss

INPUTS = dict(x=1.5, w=0.8, b=-0.5, y=1.0)
NUMBER = re.compile(r"= (-?\d+\.\d+)$")


def assert_titled_and_labeled(fig):
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert ax.get_title(), ax
        assert ax.get_xlabel() and ax.get_ylabel(), ax


def shown(texts) -> dict:
    """{edge: number} for every edge text that is displayed (non-empty)."""
    out = {}
    for edge, t in texts.items():
        if t.get_text():
            out[edge] = float(NUMBER.search(t.get_text()).group(1))
    return out


# -- the graph ---------------------------------------------------------------------
def test_graph_forward_matches_the_formula():
    p = experiments.neuron_graph().run(**INPUTS)
    a = 1 / (1 + np.exp(-(0.8 * 1.5 - 0.5)))
    assert p.values["a"] == pytest.approx(a)
    assert p.values["L"] == pytest.approx((a - 1.0) ** 2)


def test_graph_backward_equals_finite_differences_for_every_node():
    g = experiments.neuron_graph()
    for inputs in (INPUTS, dict(x=-2.0, w=0.3, b=1.0, y=0.0)):
        p = g.run(**inputs)
        numeric = g.numerical_gradients(**inputs)
        for name in g.order:
            assert p.grads[name] == pytest.approx(numeric[name], rel=1e-6, abs=1e-9), name


def test_graph_local_gradients_and_chain_rule():
    g = experiments.neuron_graph()
    p = g.run(**INPUTS)
    a = p.values["a"]
    assert p.local[("u", "z")] == 1.0 and p.local[("y", "e")] == -1.0
    assert p.local[("w", "u")] == INPUTS["x"] and p.local[("x", "u")] == INPUTS["w"]
    assert p.local[("z", "a")] == pytest.approx(a * (1 - a))
    assert p.grads["w"] == pytest.approx(2 * (a - 1.0) * a * (1 - a) * INPUTS["x"])


def test_graph_adds_the_gradients_of_a_reused_node():
    # L = x * x: x feeds the same node twice, so dL/dx = 2x
    g = experiments.ComputationGraph(
        [experiments.GraphNode("x"), experiments.GraphNode("L", "mul", ("x", "x"))], "L"
    )
    assert g.run(x=3.0).grads["x"] == pytest.approx(6.0)


def test_graph_refuses_missing_inputs_and_unknown_ops():
    with pytest.raises(ValueError, match="missing inputs"):
        experiments.neuron_graph().forward(x=1.0)
    with pytest.raises(ValueError, match="unknown op"):
        experiments.ComputationGraph(
            [experiments.GraphNode("x"), experiments.GraphNode("L", "cube", ("x",))], "L"
        )


def test_messages_spell_out_the_chain_rule():
    g = experiments.neuron_graph()
    p = g.run(**INPUTS)
    assert g.forward_message(("b", "z"), p) == "input b = -0.500"
    assert g.forward_message(("z", "a"), p) == "z = u + b = 1.200 + (-0.500) = 0.700"
    assert g.backward_message(("w", "u"), p) == "∂L/∂w = ∂L/∂u · x = -0.147 × 1.500 = -0.221"


# -- figures -----------------------------------------------------------------------
def test_graph_figure_shows_every_value_and_gradient():
    fig = plots.plot_computational_graph(**INPUTS)
    assert_titled_and_labeled(fig)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for edge_text in ("u = 1.200", "z = 0.700", "L = 0.110", "∂L/∂w = -0.221", "∂L/∂L = 1.000"):
        assert edge_text in texts
    assert "L = 0.110" in fig.axes[0].get_title()


def test_graph_figure_forward_only_hides_gradients():
    fig = plots.plot_computational_graph(show="forward")
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "a = 0.668" in texts and "∂L" not in texts
    with pytest.raises(ValueError, match="show"):
        plots.plot_computational_graph(show="backward")


def test_numerical_parameter_gradients_match_backprop_and_count_forward_passes():
    rng = np.random.default_rng(0)
    model = Sequential(Linear(2, 3, rng=0), Tanh(), Linear(3, 1, rng=1))
    X, y = rng.standard_normal((5, 2)), rng.standard_normal((5, 1))
    loss = MSELoss()
    W0 = model[0].params["W"]
    before = W0.copy()
    grads, n_forward = experiments.numerical_parameter_gradients(model, loss, X, y)
    assert n_forward == 2 * model.num_parameters() == 26
    assert model[0].params["W"] is W0 and np.array_equal(W0, before)  # restored
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    for p, g in zip(model.parameters(), grads, strict=True):
        assert g.shape == p.shape
        np.testing.assert_allclose(g, p.grad, rtol=1e-6, atol=1e-9)


def test_measure_gradient_cost_rows_and_figure():
    rows = experiments.measure_gradient_cost(widths=(2, 6), n_samples=8, repeats=1)
    assert [r["parameters"] for r in rows] == [2 * 2 + 2 + 2 * 2 + 2 + 2 + 1, 12 + 6 + 36 + 6 + 7]
    for r in rows:
        assert r["forward_passes"] == 2 * r["parameters"]
        assert r["rel_error"] < 1e-6
        assert r["ratio"] == pytest.approx(r["numerical_ms"] / r["backprop_ms"])
    fig = plots.plot_gradient_cost(rows)
    assert_titled_and_labeled(fig)
    assert len(fig.axes[0].lines) == 2
    assert list(fig.axes[0].lines[0].get_xdata()) == [r["parameters"] for r in rows]


# -- the app -----------------------------------------------------------------------
@pytest.fixture
def app():
    return widgets.BackpropStepperApp()


def test_app_step_zero_shows_nothing(app):
    app.set(step=0)
    assert shown(app.artists.value_text) == {} and shown(app.artists.grad_text) == {}
    assert "nothing computed" in app.status.value
    assert app.image.value  # a PNG was rendered


def test_app_forward_steps_reveal_values_edge_by_edge(app):
    g = app.graph
    n = len(g.edges)
    for step in range(1, n + 1):
        app.set(step=step)
        values = shown(app.artists.value_text)
        assert list(values) == [e for e in g.edges if e in values]
        assert set(values) == set(g.edges[:step])
        assert shown(app.artists.grad_text) == {}
        assert app.status.value.startswith(f"Forward {step}/{n}")
    assert values[("L", None)] == pytest.approx(app.result["graph_pass"].values["L"], abs=5e-4)


def test_app_backward_starts_at_the_loss(app):
    n = len(app.graph.edges)
    app.set(step=n + 1)
    assert shown(app.artists.grad_text) == {("L", None): 1.0}
    app.set(step=n + 2)
    grads = shown(app.artists.grad_text)
    assert set(grads) == {("L", None), ("e", "L")}
    assert "∂L/∂e = ∂L/∂L · 2e" in app.status.value


def test_app_last_step_shows_all_gradients_equal_to_finite_differences(app):
    app.set(step=app.controls["step"].max, w=-1.2, x=0.7)
    g = app.graph
    inputs = dict(x=0.7, w=-1.2, b=app.b, y=app.y)
    numeric = g.numerical_gradients(**inputs)
    grads = shown(app.artists.grad_text)
    assert set(grads) == set(g.edges)
    for (src, _), value in grads.items():
        assert value == pytest.approx(numeric[src], abs=6e-4), src  # 3 decimals shown
        assert app.result["graph_pass"].grads[src] == pytest.approx(numeric[src], rel=1e-6)
    assert "slope ∂L/∂w = " in app.panels["w"][0].get_title()


def test_app_input_slider_updates_gradients_by_the_chain_rule(app):
    last = app.controls["step"].max
    before = app.set(step=last, w=0.8, x=1.5)["graph_pass"]
    after = app.set(w=-0.5)["graph_pass"]
    assert after.grads["w"] != pytest.approx(before.grads["w"])
    grads = shown(app.artists.grad_text)
    a = after.values["a"]
    dz = 2 * (a - app.y) * a * (1 - a)  # dL/dz by the chain rule
    assert grads[("z", "a")] == pytest.approx(dz, abs=6e-4)
    assert grads[("w", "u")] == pytest.approx(dz * 1.5, abs=6e-4)  # dL/dw = dL/dz * x
    assert grads[("x", "u")] == pytest.approx(dz * -0.5, abs=6e-4)  # dL/dx = dL/dz * w
    app.set(x=-2.0)
    grads = shown(app.artists.grad_text)
    p = app.result["graph_pass"]
    assert grads[("w", "u")] == pytest.approx(p.grads["u"] * -2.0, abs=6e-4)


def test_app_tangent_has_the_gradient_as_slope(app):
    n = len(app.graph.edges)
    app.set(step=n)
    _, _, tangent, _ = app.panels["w"]
    assert len(tangent.get_xdata()) == 0  # dL/dw not known during the forward pass
    app.set(step=2 * n)
    ts, ls = tangent.get_xdata(), tangent.get_ydata()
    slope = (ls[1] - ls[0]) / (ts[1] - ts[0])
    assert slope == pytest.approx(app.result["graph_pass"].grads["w"])


def test_app_buttons_move_the_step(app):
    app.controls["next"].click()
    app.controls["next"].click()
    assert app.controls["step"].value == 2
    assert len(shown(app.artists.value_text)) == 2
    app.controls["back"].click()
    assert app.controls["step"].value == 1
    app.set(step=0)
    app.controls["back"].click()
    assert app.controls["step"].value == 0


def test_app_bench_settings_are_valid(app):
    for values in app.bench_settings():
        app.set(**values)
