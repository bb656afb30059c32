"""Chapter 5 (weight initialization): specs, networks, profiles, the comparison, figures, app."""

import math
import re
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

import nnlib
from nnlib import datasets, init, optim, plots, widgets
from nnlib.experiments.init_names import INIT_NAME_MAP, init_names_table
from nnlib.experiments.initialization import (
    COMPARISON_SCHEMES,
    INIT_CHOICES,
    INITIALIZERS,
    InitRun,
    comparison_table,
    distinct_units,
    init_name,
    init_profile,
    profile_table,
)
from nnlib.losses import CrossEntropyLoss
from nnlib.plots.ch05_init import HistogramColumns, value_range

from .drawn import texts


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def assert_titled_and_labeled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    has_suptitle = fig._suptitle is not None and fig._suptitle.get_text()
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            assert ax.get_ylabel(), "the colour bar needs a label"
            continue
        assert ax.get_title() or has_suptitle, "every panel needs a title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"unlabeled axes in {ax.get_title()!r}"


@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load_digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, 0.3, rng=0, stratify=True)
    return X_train[:256], y_train[:256]


def init_mlp(n_in, n_out, depth, width, activation="tanh", init="xavier_normal", rng=0):
    """The chapter's networks: ``depth`` hidden layers, every weight from ``init``."""
    sizes = [n_in] + [width] * depth + [n_out]
    return nnlib.mlp(sizes, activation, INITIALIZERS.get(init, init), rng=rng)


def profile(digits, activation, key, depth=8, width=64):
    X, y = digits
    return init_profile(init_mlp(64, 10, depth, width, activation, key, rng=0), X, y)


# ----------------------------------------------------------------------------- specs and networks
def test_every_dropdown_choice_is_an_nnlib_init_initializer():
    for _label, key in INIT_CHOICES:
        w_init = INITIALIZERS[key]
        assert init_name(w_init) == key  # the key reads as the call it stands for
        assert key.split("(")[0] in init.__all__
        assert init.get(w_init)((4, 3), rng=0).shape == (4, 3)
    assert np.all(INITIALIZERS["constant(val=0.1)"]((3, 2)) == 0.1)
    assert INITIALIZERS["normal(std=0.01)"]((400, 300), rng=0).std() == pytest.approx(
        0.01, rel=0.02
    )


def test_distinct_units_counts_different_columns():
    W = np.tile(np.arange(4.0)[:, None], (1, 6))  # (4, 6), six copies of one column
    assert distinct_units(W) == 1
    W[:, 2] += 1.0
    W[:, 5] += 1.0  # a second pattern, twice
    assert distinct_units(W) == 2
    assert distinct_units(np.random.default_rng(0).normal(size=(4, 6))) == 6


# ----------------------------------------------------------------------------- symmetry
def _train(model, X, y, epochs=10):
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    nnlib.fit(model, CrossEntropyLoss(), opt, X, y, epochs=epochs, batch_size=64, rng=0)


def test_zero_init_leaves_every_weight_at_zero(digits):
    net = init_mlp(64, 10, depth=2, width=16, activation="tanh", init="zeros")
    _train(net, *digits)
    for i in (0, 2, 4):
        assert np.all(net[i].params["W"] == 0.0)


def test_constant_init_keeps_units_identical_while_they_learn(digits):
    net = init_mlp(
        64, 10, depth=1, width=16, activation="tanh", init=init.get("constant", val=0.05)
    )
    _train(net, *digits)
    W1 = net[0].params["W"]
    assert np.abs(W1 - 0.05).max() > 1e-3  # the weights moved...
    assert np.allclose(W1, W1[:, :1])  # ...but every unit is still a copy of unit 0
    assert distinct_units(W1) == 1


def test_random_weights_with_zero_biases_give_distinct_units(digits):
    net = init_mlp(64, 10, depth=1, width=16, activation="tanh", init="he_normal")
    assert np.all(net[0].params["b"] == 0.0)
    _train(net, *digits)
    assert distinct_units(net[0].params["W"]) == 16
    assert len(np.unique(net[0].params["b"])) == 16


# ----------------------------------------------------------------------------- layer profiles
def test_init_profile_matches_a_forward_pass_and_changes_no_weight(digits):
    X, y = digits
    net = init_mlp(64, 10, 3, 32, "tanh", "xavier_normal", rng=1)
    before = [p.data.copy() for p in net.parameters()]
    prof = init_profile(net, X, y)
    assert prof.activation == "tanh"
    assert prof.act_std.shape == prof.grad_norm.shape == prof.saturated.shape == (3,)
    h = X
    for layer_index, out in zip((1, 3, 5), prof.activations, strict=True):
        h = net[layer_index - 1](h)
        h = net[layer_index](h)
        np.testing.assert_allclose(out, h)
    np.testing.assert_allclose(prof.act_std, [a.std() for a in prof.activations])
    np.testing.assert_allclose(prof.grad_norm, [np.linalg.norm(g) for g in prof.weight_grads])
    assert [g.shape for g in prof.weight_grads] == [(64, 32), (32, 32), (32, 32)]
    for p, w in zip(net.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, w)
    assert prof.loss == pytest.approx(CrossEntropyLoss()(net(X), y))


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_too_small_weights_make_activations_vanish_layer_by_layer(digits, activation):
    prof = profile(digits, activation, "normal(std=0.01)")
    ratios = prof.act_std[1:] / prof.act_std[:-1]
    assert np.all(ratios < 0.15)  # sqrt(64) * 0.01 = 0.08 per layer (about half that for ReLU)
    assert prof.act_std[-1] < 1e-8 and prof.grad_norm.max() < 1e-9


def test_too_large_weights_explode_relu_and_saturate_tanh(digits):
    relu = profile(digits, "relu", "normal(std=1.0)")
    assert np.all(np.diff(relu.act_std) > 0) and relu.act_std[-1] > 1e4
    tanh = profile(digits, "tanh", "normal(std=1.0)")
    assert np.all(tanh.saturated[1:] > 0.5)
    assert tanh.grad_norm[0] > 50 * tanh.grad_norm[-1]  # gradients grow on the way back


def test_xavier_and_he_keep_the_signal_in_range(digits):
    he = profile(digits, "relu", "he_normal")
    assert he.act_std.max() / he.act_std.min() < 3
    xavier = profile(digits, "relu", "xavier_normal")
    assert xavier.act_std[-1] < xavier.act_std[0] / 10  # half He's variance: shrinks on ReLU
    tanh = profile(digits, "tanh", "xavier_normal")
    assert 0.1 < tanh.act_std.min() and tanh.act_std.max() < 0.6


def test_profile_table_has_one_row_per_profile_and_one_column_per_layer(digits):
    profs = {"too small": profile(digits, "tanh", "normal(std=0.01)", depth=3),
             "He": profile(digits, "tanh", "he_normal", depth=3)}  # fmt: skip
    lines = profile_table(profs).splitlines()
    assert lines[0].split() == ["layer", "1", "2", "3"]
    assert lines[1].startswith("too small") and lines[2].startswith("He")
    assert "%" in profile_table(profs, "saturated")
    with pytest.raises(ValueError, match="what must be"):
        profile_table(profs, "mean")


# ----------------------------------------------------------------------------- the comparison
def compare_initializers(schemes=COMPARISON_SCHEMES, activations=("tanh", "relu"), epochs=10):
    """The chapter's comparison loop, as the notebook writes it over ``nnlib.fit``."""
    X, y = datasets.load_digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, 0.3, rng=0, stratify=True)
    results = {}
    for act in activations:
        results[act] = {}
        for label, w_init in schemes.items():
            model = nnlib.mlp([64] + [64] * 6 + [10], act, w_init, rng=0)
            opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
                warnings.simplefilter("ignore", nnlib.TrainingDivergedWarning)
                history = nnlib.fit(model, CrossEntropyLoss(), opt, X_train, y_train,
                                    epochs=epochs, batch_size=64, rng=0)  # fmt: skip
                acc = nnlib.accuracy(nnlib.predict(model, X_test), y_test)
            results[act][label] = InitRun(label, act, history, acc)
    return results


@pytest.fixture(scope="module")
def comparison():
    return compare_initializers()


def test_comparison_orders_the_five_starts_as_the_chapter_says(comparison):
    assert list(comparison) == ["tanh", "relu"]
    for act, runs in comparison.items():
        assert list(runs) == list(COMPARISON_SCHEMES)
        for label in ("zero", "too small"):
            assert runs[label].test_accuracy < 0.15, (act, label)  # chance level
            assert runs[label].final_loss == pytest.approx(np.log(10), abs=0.01)
        for label in ("Xavier", "He"):
            assert runs[label].test_accuracy > 0.85, (act, label)
        assert runs["He"].test_accuracy > runs["zero"].test_accuracy + 0.5
        assert runs["He"].final_loss < runs["Xavier"].final_loss
        assert runs["He"].test_accuracy >= runs["Xavier"].test_accuracy
    assert comparison["tanh"]["too large"].test_accuracy < 0.5
    assert not comparison["tanh"]["too large"].diverged
    assert comparison["relu"]["too large"].diverged
    assert math.isnan(comparison["relu"]["too large"].test_accuracy)


def test_comparison_runs_are_seeded():
    a = compare_initializers({"He": "he_normal"}, ("relu",), epochs=2)
    b = compare_initializers({"He": "he_normal"}, ("relu",), epochs=2)
    assert a["relu"]["He"].history.loss == b["relu"]["He"].history.loss


def test_comparison_table_shows_every_run(comparison):
    table = comparison_table(comparison)
    lines = table.splitlines()
    assert "tanh: loss" in lines[0] and "relu: loss" in lines[0]
    for label, w_init in COMPARISON_SCHEMES.items():
        row = next(line for line in lines if line.startswith(label))
        assert init_name(w_init) in row
    assert "diverged" in next(line for line in lines if line.startswith("too large"))
    assert f"{comparison['tanh']['He'].test_accuracy:.1%}" in table


# ----------------------------------------------------------------------------- the names table
def test_names_table_lists_every_public_name_of_nnlib_init():
    table = init_names_table()
    rows = table.splitlines()[2:]
    names = [re.match(r"\| `(\w+)` \|", row).group(1) for row in rows]
    assert sorted(names) == sorted(init.__all__)
    for alias, twin in (("glorot_uniform", "xavier_uniform"), ("he_normal", "kaiming_normal")):
        keras = [re.match(r'`"(\w+)"`', INIT_NAME_MAP[n][1]).group(1) for n in (alias, twin)]
        assert keras[0] == keras[1] == alias  # the Keras alias is the Keras name


def test_names_table_refuses_a_missing_name(monkeypatch):
    monkeypatch.setattr(init, "__all__", [*init.__all__, "orthogonal"])
    with pytest.raises(RuntimeError, match="orthogonal"):
        init_names_table()


def test_the_torch_names_in_the_table_exist_and_match():
    torch = pytest.importorskip("torch")
    for name, (torch_cell, _, _) in INIT_NAME_MAP.items():
        fn = re.match(r"`(\w+)", torch_cell)
        if fn:
            assert hasattr(torch.nn.init, fn.group(1)), (name, fn.group(1))
    # same layer, transposed layouts: the same standard deviation
    for ours, theirs, kw in (("he_normal", "kaiming_normal_", {"nonlinearity": "relu"}),
                             ("lecun_normal", "kaiming_normal_", {"nonlinearity": "linear"}),
                             ("xavier_normal", "xavier_normal_", {})):  # fmt: skip
        w = getattr(init, ours)((300, 200), rng=0)  # nnlib: (in, out)
        t = torch.empty(200, 300, dtype=torch.float64)  # torch: (out, in)
        torch.manual_seed(0)
        getattr(torch.nn.init, theirs)(t, **kw)
        assert w.std() == pytest.approx(float(t.std()), rel=0.02), ours


# ----------------------------------------------------------------------------- figures
def test_value_range_covers_everything_or_a_quantile():
    a = np.array([-1.0, 0.5, 2.0])
    assert value_range([a]) == (-1.0, 2.0)
    assert value_range([a], symmetric=True) == (-2.0, 2.0)
    assert value_range([np.zeros(5)]) == (-1.0, 1.0)
    assert value_range([np.array([np.nan, np.inf, 3.0])]) == (0.0, 3.0)
    wide = np.concatenate([np.linspace(-1, 1, 999), [1000.0]])
    lo, hi = value_range([wide], quantile=0.99)
    assert hi < 2.0  # one outlier does not set the scale


def test_histogram_columns_draw_each_layer_in_its_own_column():
    fig, ax = plots.new_figure()
    cols = HistogramColumns(ax, 4, "black", bins=10)
    data = [np.array([0.1, 0.1, 0.1, -0.3]), np.zeros(3), np.array([0.0, 0.5])]
    shapes = cols.shapes(data, -1.0, 1.0, drop_zeros=True)
    assert shapes[1] is None  # nothing but zeros
    for layer, shape in ((1, shapes[0]), (3, shapes[2])):
        assert np.all(np.abs(shape[:, 0] - layer) <= cols.half_width + 1e-12)
        np.testing.assert_allclose(shape[:, 0] - layer, -(shape[::-1, 0] - layer))  # mirrored
    assert shapes[0][:, 0].max() == pytest.approx(1 + cols.half_width)  # fullest bin, full width
    assert shapes[0][:, 1].min() == pytest.approx(-0.4) and shapes[0][:, 1].max() == pytest.approx(
        0.2
    )
    cols.update(shapes, ["a", "b", "c"], -1.0, 1.0)
    assert [p.get_visible() for p in cols.patches] == [True, False, True, False]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    cols.update([None, None], ["a", "b"], -1.0, 1.0)
    assert cols.note.get_text() == "every value is exactly 0"


def test_figures_are_titled_and_labeled(digits):
    W = np.random.default_rng(0).normal(size=(8, 4))
    assert_titled_and_labeled(plots.unit_weights_figure({"a": W, "b": np.ones((8, 4))}))
    profs = {"too small": profile(digits, "relu", "normal(std=0.01)", depth=4),
             "He": profile(digits, "relu", "he_normal", depth=4)}  # fmt: skip
    fig = plots.init_profile_figure(profs)
    assert_titled_and_labeled(fig)
    line = fig.axes[0].get_lines()[1]
    np.testing.assert_allclose(line.get_ydata(), profs["He"].act_std)
    fig = plots.layer_histograms_figure(profs["He"])
    assert_titled_and_labeled(fig)
    assert sum(p.get_visible() for p in fig.axes[0].patches) == 4
    runs = compare_initializers({"zero": "zeros", "He": "he_normal"}, ("relu",), epochs=2)
    fig = plots.comparison_curves_figure(runs)
    assert_titled_and_labeled(fig)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "zero" in labels and "He" in labels


# ----------------------------------------------------------------------------- the app
@pytest.fixture(scope="module")
def app():
    return widgets.InitializationApp()


def _visible(ax) -> int:
    """How many histogram columns the panel shows."""
    return sum(p.get_visible() for p in ax.patches)


def activations_panel(app):
    return app.fig.axes[0]


def gradients_panel(app):
    return app.fig.axes[1]


def test_app_controls(app):
    assert set(app.controls) == {"init", "activation", "depth"}
    assert app.controls["depth"].continuous_update is False
    values = [v for _, v in app.controls["init"].options]
    assert "zeros" in values and "normal(std=0.01)" in values and "kaiming_normal" in values
    for setting in app.bench_settings():
        app.set(**setting)  # every benchmark setting is a valid one


def test_app_histograms_shrink_with_depth_under_too_small_weights(app):
    small = app.set(init="normal(std=0.01)", activation="tanh", depth=8)
    assert np.all(np.diff(small["act_std"]) < 0) and small["act_std"][-1] < 1e-8
    assert _visible(activations_panel(app)) == 8
    assert len(activations_panel(app).get_xticks()) == 8
    good = app.set(init="xavier_normal")
    assert good["act_std"][-1] > 0.1
    # the same axes, different pictures: the deep layers' histograms are no longer spikes
    assert good["act_range"][1] > 5 * small["act_range"][1]
    heights = [np.ptp(p.get_xy()[:, 1]) for p in activations_panel(app).patches[:8]]
    assert min(heights) > 0.2 * (good["act_range"][1] - good["act_range"][0])
    assert good["losses"][-1] < small["losses"][-1]
    assert "loss" in text(app.status.value)


def test_app_too_large_relu_explodes_and_the_run_diverges(app):
    r = app.set(init="normal(std=1.0)", activation="relu", depth=8)
    assert np.all(np.diff(r["act_std"]) > 0) and r["act_std"][-1] > 1e4
    assert r["diverged"] and math.isnan(r["accuracy"])
    assert any("diverged" in t for t in texts(app.fig))
    assert "diverged" in text(app.status.value)


def test_app_tanh_too_large_saturates(app):
    r = app.set(init="normal(std=1.0)", activation="tanh", depth=6)
    assert np.nanmean(r["saturated"]) > 0.5
    assert "saturated" in text(app.status.value)


def test_app_he_relu_trains(app):
    r = app.set(init="kaiming_normal", activation="relu", depth=10)
    assert not r["diverged"]
    assert np.mean(r["losses"][-5:]) < 0.6 * r["losses"][0]
    assert r["act_std"].max() / r["act_std"].min() < 3
    assert r["distinct_units"] == app.width
    assert _visible(activations_panel(app)) == 10 and _visible(gradients_panel(app)) == 10


def test_app_zero_and_constant_init_show_identical_units(app):
    r = app.set(init="zeros", activation="relu", depth=3)
    assert r["distinct_units"] == 1
    assert np.all(r["act_std"] == 0)
    assert "every value is exactly 0" in [t.get_text() for t in activations_panel(app).texts]
    assert "only 1 distinct unit" in text(app.status.value)
    r = app.set(init="constant(val=0.1)", activation="tanh", depth=2)
    assert r["distinct_units"] == 1
    r = app.set(init="xavier_uniform")
    assert r["distinct_units"] == app.width
    assert "distinct" not in text(app.status.value)


def test_app_depth_slider_changes_the_number_of_columns(app):
    app.set(init="kaiming_uniform", activation="tanh", depth=3)
    assert _visible(activations_panel(app)) == 3 and len(app.result["grad_shapes"]) == 3
    app.set(depth=7)
    assert _visible(activations_panel(app)) == 7 and len(app.result["grad_shapes"]) == 7


# ----------------------------------------------------------------------------- standardized inputs
# Section 7: the variance rule assumes inputs of mean 0 and variance 1; raw pixels are all
# positive with E[x^2] ~ 0.24. Standardizing them (training statistics) enlarges the signal in
# every layer of a He-initialized ReLU net and makes the chapter's training run faster.
@pytest.fixture(scope="module")
def pixel_splits():
    X, y = datasets.load_digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, 0.3, rng=0, stratify=True)
    Xs_train, stats = datasets.standardize(X_train)
    Xs_test, _ = datasets.standardize(X_test, stats)
    return {"raw": (X_train, X_test), "standardized": (Xs_train, Xs_test)}, y_train, y_test


def test_raw_pixels_carry_a_quarter_of_the_signal_the_rule_assumes(pixel_splits):
    splits, _, _ = pixel_splits
    raw, std = splits["raw"][0], splits["standardized"][0]
    assert raw.min() >= 0.0 and 0.2 < np.mean(raw**2) < 0.3
    assert np.mean(std**2) == pytest.approx(61 / 64, abs=1e-9)  # 3 blank pixels stay at 0


def test_standardized_inputs_double_the_signal_in_every_relu_layer(pixel_splits):
    splits, y_train, _ = pixel_splits
    stds = {}
    for name, (X_train, _) in splits.items():
        model = init_mlp(64, 10, 10, 64, "relu", "he_normal", rng=0)
        stds[name] = init_profile(model, X_train[:256], y_train[:256]).act_std
    ratio = stds["standardized"] / stds["raw"]
    assert np.all((ratio > 1.6) & (ratio < 3.2)), ratio  # sqrt(0.953 / 0.235) = 2.0


@pytest.mark.parametrize("activation, init_key", [("relu", "he_normal"), ("tanh", "xavier_normal")])
def test_standardized_inputs_train_faster(pixel_splits, activation, init_key):
    splits, y_train, y_test = pixel_splits
    final, acc = {}, {}
    for name, (X_train, X_test) in splits.items():
        model = init_mlp(64, 10, 6, 64, activation, init_key, rng=0)
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        h = nnlib.fit(model, CrossEntropyLoss(), opt, X_train, y_train, epochs=10, batch_size=64,
                      rng=0)  # fmt: skip
        final[name] = h.loss[-1]
        acc[name] = nnlib.accuracy(nnlib.predict(model, X_test), y_test)
    assert final["standardized"] < 0.75 * final["raw"]
    assert acc["standardized"] >= acc["raw"]
