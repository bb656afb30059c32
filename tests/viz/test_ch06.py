"""Chapter 6 (optimizers): the test surfaces, the races, Adam's bias correction, figures, app."""

import re

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from nnlib import optim, plots, widgets
from nnlib.experiments.optimizer_race import (
    OPTIMIZERS,
    PointModule,
    UncorrectedAdam,
    bias_correction_steps,
    constant_gradient_steps,
    make_optimizer,
    race,
    race_table,
    run_optimizer,
    tune_lrs,
)
from nnlib.experiments.surfaces import SURFACES, get_surface, rosenbrock, saddle, valley
from nnlib.module import Module
from nnlib.plots.ch06_optimizers import OPTIMIZER_COLORS
from nnlib.widgets.ch06_optimizers import TOGGLES

from .drawn import drawn_lines, texts

# A learning rate at which every optimizer makes steady progress on the valley.
VALLEY_LR = {"GD": 0.5, "Momentum": 0.1, "Nesterov": 0.1, "Adagrad": 0.5, "RMSprop": 0.05,
             "Adam": 0.1}  # fmt: skip


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def assert_titled_and_labeled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    has_suptitle = fig._suptitle is not None and fig._suptitle.get_text()
    for ax in fig.axes:
        assert ax.get_title() or has_suptitle, "every panel needs a title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"unlabeled axes in {ax.get_title()!r}"


# ----------------------------------------------------------------------------- surfaces
@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_gradient_matches_centered_differences(name, rng):
    s = SURFACES[name]
    h = 1e-6
    for x, y in rng.uniform(-1.5, 1.5, size=(5, 2)):
        num = [
            (s.value(x + h, y) - s.value(x - h, y)) / (2 * h),
            (s.value(x, y + h) - s.value(x, y - h)) / (2 * h),
        ]
        ana = np.array(s.grad(x, y))
        rel = np.max(np.abs(ana - num)) / max(1e-8, np.max(np.abs(ana) + np.abs(num)))
        assert rel < 1e-7, (name, x, y, ana, num)


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_minimum_is_where_it_says(name):
    s = SURFACES[name]
    for point in s.argmin:
        assert s(point) == pytest.approx(s.minimum, abs=1e-12)
        assert np.allclose(s.grad(*point), 0.0)
    _, _, z = s.grid(81)
    assert z.min() >= s.minimum - 1e-12  # nothing on the drawn window is lower
    lo, hi = (s.xlim[0], s.ylim[0]), (s.xlim[1], s.ylim[1])
    assert lo[0] < s.start[0] < hi[0] and lo[1] < s.start[1] < hi[1]


def test_the_saddle_point_has_zero_gradient_and_a_way_down():
    assert saddle.grad(0.0, 0.0) == (0.0, 0.0)
    assert saddle((0.0, 0.0)) == 0.0 > saddle((0.0, 0.5))  # downhill along y
    assert saddle((0.5, 0.0)) > 0.0  # uphill along x


def test_tilted_valley_is_the_valley_turned():
    tilted = get_surface("tilted valley")
    c = np.sqrt(0.5)
    for u, v in [(-4.5, 1.2), (1.0, -0.3)]:  # coordinates along and across the valley
        assert tilted((c * (u - v), c * (u + v))) == pytest.approx(valley((u, v)))
    assert tilted(tilted.start) == pytest.approx(valley(valley.start))


def test_get_surface_rejects_unknown_names():
    assert get_surface("rosenbrock") is rosenbrock
    with pytest.raises(ValueError, match="unknown surface"):
        get_surface("bowl")


# ----------------------------------------------------------------------------- the point model
def test_point_module_is_a_model_an_nnlib_optimizer_can_train():
    point = PointModule("valley")
    assert point.forward() == pytest.approx(valley(valley.start))
    opt = optim.SGD(point.parameters(), lr=0.5)
    losses = []
    for _ in range(20):
        losses.append(point.forward())
        point.backward()
        np.testing.assert_allclose(point.grads["w"], valley.grad(*point.params["w"]))
        opt.step()
    assert np.all(np.diff(losses) < 0)


def test_run_optimizer_matches_a_hand_written_loop():
    point = PointModule("rosenbrock")
    opt = optim.Adam(point.parameters(), lr=0.05, betas=(0.8, 0.99))
    path = [point.params["w"].copy()]
    for _ in range(30):
        point.backward()
        opt.step()
        path.append(point.params["w"].copy())
    r = run_optimizer("rosenbrock", "Adam", 0.05, steps=30, betas=(0.8, 0.99))
    np.testing.assert_array_equal(r.path, np.array(path))
    assert r.loss.shape == (31,) and r.loss[0] == rosenbrock(rosenbrock.start)


def test_make_optimizer_builds_the_real_classes():
    p = PointModule("valley").parameters()
    assert type(make_optimizer("GD", p, 0.1)) is optim.SGD
    nesterov = make_optimizer("Nesterov", p, 0.1, momentum=0.8)
    assert nesterov.nesterov and nesterov.momentum == 0.8
    assert make_optimizer("Adam", p, 0.1, betas=(0.5, 0.9)).betas == (0.5, 0.9)
    assert isinstance(make_optimizer("RMSprop", p, 0.1), optim.RMSprop)
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("LBFGS", p, 0.1)


# ----------------------------------------------------------------------------- races
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_optimizer_decreases_the_loss_on_the_valley(name):
    r = run_optimizer("valley", name, VALLEY_LR[name], steps=100)
    assert not r.diverged
    assert r.loss[-1] < 0.01 * r.loss[0]


@pytest.mark.parametrize("lr", [0.05, 0.1, 0.3])
def test_momentum_beats_plain_gd_at_the_same_lr_on_the_valley(lr):
    runs = race("valley", lr, steps=100, names=["GD", "Momentum", "Nesterov"])
    assert runs["Momentum"].loss[-1] < runs["GD"].loss[-1]
    assert runs["Nesterov"].loss[-1] < runs["GD"].loss[-1]


def test_gd_family_is_blind_to_the_tilt_and_adaptive_methods_are_not():
    for name in ("GD", "Momentum"):
        a = run_optimizer("valley", name, 0.3, 60).loss
        b = run_optimizer("tilted valley", name, 0.3, 60).loss
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-300)
    a = run_optimizer("valley", "RMSprop", 0.05, 60).loss
    b = run_optimizer("tilted valley", "RMSprop", 0.05, 60).loss
    assert not np.allclose(a, b)


def test_a_too_large_learning_rate_diverges_and_stops_early():
    r = run_optimizer("rosenbrock", "GD", 0.1, steps=200)
    assert r.diverged and len(r.path) < 201 and r.final == np.inf
    assert "diverged" in race_table({"GD": r})


def test_adaptive_methods_leave_the_saddle_before_gd():
    runs = race("saddle", 0.05, steps=100)
    table = race_table(runs, escape=0.5)
    gd_row = next(line for line in table.splitlines() if line.startswith("GD"))
    assert gd_row.rstrip().endswith("-")  # GD is still on the ridge after 100 steps
    assert runs["Adam"].loss[-1] < runs["GD"].loss[-1]
    assert np.abs(runs["Adam"].path[-1, 1]) > 0.9


def test_tune_lrs_picks_from_the_grid_and_is_no_worse_than_its_neighbours():
    grid = [0.01, 0.1, 1.0]
    best = tune_lrs("valley", steps=30, names=["GD", "Adam"], grid=grid)
    for name, lr in best.items():
        assert lr in grid
        mine = run_optimizer("valley", name, lr, 30).final
        assert all(mine <= run_optimizer("valley", name, g, 30).final for g in grid)
    # GD diverges along the steep direction for lr > 2 / 2 = 1: it is never chosen
    assert tune_lrs("valley", steps=30, names=["GD"], grid=[0.5, 1.5])["GD"] == 0.5


# ----------------------------------------------------------------------------- step sizes
def test_constant_gradient_shows_each_rule():
    lr, g = 0.1, (1.0, 0.01)
    gd = constant_gradient_steps("GD", g, lr, 50)
    np.testing.assert_allclose(gd, np.tile([0.1, 0.001], (50, 1)))
    mom = constant_gradient_steps("Momentum", g, lr, 200, momentum=0.9)
    np.testing.assert_allclose(mom[-1], [1.0, 0.01], rtol=1e-6)  # lr * g / (1 - mu)
    ada = constant_gradient_steps("Adagrad", g, lr, 100)
    np.testing.assert_allclose(ada[:, 0], lr / np.sqrt(np.arange(1, 101)), rtol=1e-6)
    np.testing.assert_allclose(ada[:, 0], ada[:, 1], rtol=1e-6)  # same step for both weights
    adam = constant_gradient_steps("Adam", g, lr, 20)
    np.testing.assert_allclose(adam, lr, rtol=1e-5)
    rms = constant_gradient_steps("RMSprop", g, lr, 3)
    np.testing.assert_allclose(rms[0], lr / np.sqrt(0.01), rtol=1e-4)  # 10 lr: v = 0.01 g^2


def test_uncorrected_adam_with_both_corrections_is_nnlib_adam(rng):
    grads = rng.normal(size=(25, 3))
    results = []
    for make in (
        lambda p: optim.Adam(p, lr=0.03, betas=(0.8, 0.95)),
        lambda p: UncorrectedAdam(p, 0.03, (0.8, 0.95), 1e-8, True, True),
    ):
        holder = Module()
        holder.params["w"] = np.ones(3)
        opt = make(holder.parameters())
        for g in grads:
            holder.grads["w"] = g.copy()
            opt.step()
        results.append(holder.params["w"].copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_without_the_first_moment_correction_adam_steps_are_too_small():
    sizes = bias_correction_steps(steps=200, lr=0.01)
    adam = sizes["Adam (both corrections)"]
    no_m = sizes["no correction of m"]
    np.testing.assert_allclose(adam, 0.01, rtol=1e-6)  # constant gradient: steps of lr
    assert np.all(no_m[:20] < adam[:20])
    assert no_m[0] == pytest.approx(0.1 * 0.01, rel=1e-6)  # (1 - beta1) * lr
    assert no_m[-1] == pytest.approx(0.01, rel=1e-6)  # the bias fades: beta1**200 ~ 0


def test_without_the_second_moment_correction_adam_steps_are_too_large():
    sizes = bias_correction_steps(steps=50, lr=0.01)
    no_v = sizes["no correction of v"]
    none = sizes["no correction at all"]
    assert no_v[0] == pytest.approx(0.01 / np.sqrt(0.001), rel=1e-6)  # lr / sqrt(1 - beta2)
    assert none[0] == pytest.approx(0.01 * 0.1 / np.sqrt(0.001), rel=1e-6)
    assert np.all(none[:50] > 0.01)  # with the default betas the two biases do not cancel


# ----------------------------------------------------------------------------- figures
def test_race_figure_overlay_draws_one_path_per_run():
    runs = race("valley", 0.1, steps=40, names=["GD", "Momentum"])
    fig = plots.race_figure(runs)
    assert_titled_and_labeled(fig)
    ax_paths, ax_loss = fig.axes
    labels = [line.get_label() for line in ax_paths.get_lines()]
    assert any(lab.startswith("GD") for lab in labels)
    assert any(lab.startswith("Momentum") for lab in labels)
    curve = ax_loss.get_lines()[0]
    assert len(curve.get_xdata()) == 41


def test_race_figure_panels_one_per_optimizer():
    runs = race("rosenbrock", 0.001, steps=30)
    fig = plots.race_figure(runs)
    assert_titled_and_labeled(fig)
    assert len(fig.axes) == len(OPTIMIZERS) + 1
    titles = [ax.get_title() for ax in fig.axes]
    for name in OPTIMIZERS:
        assert any(t.startswith(f"{name}, lr 0.001") for t in titles)
    with pytest.raises(ValueError, match="layout"):
        plots.race_figure(runs, layout="grid")


def test_bias_correction_figure_has_the_four_variants():
    fig = plots.bias_correction_figure(bias_correction_steps(steps=100, lr=0.01), lr=0.01)
    assert_titled_and_labeled(fig)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert sum(lab in labels for lab in bias_correction_steps(steps=2)) == 4
    adam = next(line for line in fig.axes[0].get_lines() if line.get_label().startswith("Adam"))
    np.testing.assert_allclose(adam.get_ydata(), 1.0, rtol=1e-6)


def test_lr_sweep_and_training_curves_figures():
    sweep = {"GD": {0.01: 0.7, 0.1: 0.5, 1.0: np.nan}, "Adam": {0.01: 0.1, 0.1: 30.0}}
    fig = plots.lr_sweep_figure(sweep, epochs=5)
    assert_titled_and_labeled(fig)
    gd = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(gd.get_ydata(), [0.7, 0.5, 10.0])  # nan drawn at the cap
    hist = {"loss": [1.0, 0.5, 0.2], "val_accuracy": [0.5, 0.7, 0.9]}
    fig = plots.training_curves_figure({"GD": hist, "Adam": hist}, {"GD": 0.1, "Adam": 0.01})
    assert_titled_and_labeled(fig)
    assert len(fig.axes[0].get_lines()) == 2


# ----------------------------------------------------------------------------- the app
@pytest.fixture
def app():
    return widgets.OptimizerRaceApp()


def path_lines(app, name, marker="o"):
    """The lines drawn in ``name``'s colour on the surface panel (path: "o", end: "X")."""
    color = to_hex(OPTIMIZER_COLORS[name])
    surface = app.fig.axes[0]
    return [ln for ln in drawn_lines(surface, marker) if to_hex(ln.get_color()) == color]


def visible_paths(app):
    return {n for n in OPTIMIZERS if path_lines(app, n)}


def test_app_defaults_draw_the_chosen_optimizers(app):
    chosen = {n for n in OPTIMIZERS if app.controls[TOGGLES[n]].value}
    assert set(app.result["runs"]) == chosen == visible_paths(app)
    assert "loss after 150 steps" in text(app.status.value)
    assert app.image.value[:4] == b"\x89PNG"


def test_toggling_an_optimizer_off_removes_its_trajectory(app):
    app.set(show_adam=True, show_nesterov=True)
    assert {"Adam", "Nesterov"} <= visible_paths(app)
    result = app.set(show_adam=False)
    assert "Adam" not in result["runs"]
    assert "Adam" not in visible_paths(app)
    assert not any(t.startswith("Adam") for t in texts(app.fig))  # no loss curve, no legend
    assert "<b>Adam</b>" not in app.status.value
    app.set(show_adam=True)
    assert "Adam" in visible_paths(app)


def test_no_optimizer_chosen_says_so(app):
    app.set(**dict.fromkeys(TOGGLES.values(), False))
    assert app.result["runs"] == {}
    assert visible_paths(app) == set()
    assert "No optimizer chosen" in app.status.value


def test_lr_slider_changes_the_trajectories(app):
    before = {n: r.path.copy() for n, r in app.result["runs"].items()}
    after = app.set(lr=0.2)["runs"]
    for name, path in before.items():
        assert not np.array_equal(path, after[name].path), name
    (gd,) = path_lines(app, "GD")
    np.testing.assert_allclose(gd.get_xdata(), after["GD"].path[:, 0])


def test_momentum_and_betas_sliders_reach_their_optimizers(app):
    app.set(show_nesterov=True)
    runs = app.result["runs"]
    fixed_gd, fixed_rms = runs["GD"].path, runs["RMSprop"].path
    mom_before, adam_before = runs["Momentum"].path, runs["Adam"].path
    runs = app.set(momentum=0.5, beta1=0.5, beta2=0.99)["runs"]
    np.testing.assert_array_equal(runs["GD"].path, fixed_gd)  # no momentum in GD
    np.testing.assert_array_equal(runs["RMSprop"].path, fixed_rms)
    assert not np.array_equal(runs["Momentum"].path, mom_before)
    assert not np.array_equal(runs["Adam"].path, adam_before)
    assert "μ = 0.5" in app.status.value


def test_zero_momentum_turns_both_momentum_methods_into_gd(app):
    runs = app.set(momentum=0.0, show_nesterov=True)["runs"]
    np.testing.assert_array_equal(runs["Momentum"].path, runs["GD"].path)
    np.testing.assert_array_equal(runs["Nesterov"].path, runs["GD"].path)


def test_surface_dropdown_switches_contours_and_start(app):
    result = app.set(surface="rosenbrock", lr=0.002)
    assert result["surface"] is rosenbrock
    for r in result["runs"].values():
        np.testing.assert_array_equal(r.path[0], rosenbrock.start)
    surface = app.fig.axes[0]
    assert surface.get_xlim() == rosenbrock.xlim
    assert "Rosenbrock" in surface.get_title()


def test_divergence_is_reported(app):
    app.set(surface="rosenbrock", lr=0.5)
    assert app.result["runs"]["GD"].diverged
    assert "GD diverged" in text(app.status.value)
    assert len(path_lines(app, "GD", marker="X")) == 1  # an X where the path leaves the window


def test_steps_slider_sets_the_run_length(app):
    result = app.set(steps=50)
    assert all(len(r.path) == 51 for r in result["runs"].values() if not r.diverged)
    assert app.fig.axes[1].get_xlim() == (0.0, 50.0)


def test_bench_settings_are_valid_controls(app):
    for setting in app.bench_settings():
        assert set(setting) <= set(app.controls)
        app.set(**setting)
