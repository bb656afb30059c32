"""The live playground (chapter 10): engine, copy as code, NumPy pictures, the app (no browser)."""

import asyncio
import concurrent.futures
import html
import io
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import ipywidgets
import matplotlib.image
import numpy as np
import pytest

from nnlib import experiments, optim, widgets
from nnlib.experiments.playground import (
    DEFAULTS,
    INITIALIZERS,
    LIVE_SETTINGS,
    OPTIMIZERS,
    RESTART_SETTINGS,
    Playground,
)
from nnlib.experiments.playground_code import playground_code
from nnlib.experiments.playground_data import (
    FEATURES,
    PLAYGROUND_DATASETS,
    feature_columns,
    playground_data,
)
from nnlib.layers import Dropout
from nnlib.optim import SGD, Adam
from nnlib.training import predict
from nnlib.widgets import controls
from nnlib.widgets._raster import LineSet, colorize, colormap, draw_dots, draw_lines, encode_png
from nnlib.widgets.playground import FEATURE_CONTROLS, PlaygroundApp

ROOT = Path(__file__).resolve().parents[2]


def weights(model) -> list[np.ndarray]:
    return [p.data.copy() for p in model.parameters()]


def same_weights(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def in_fresh_thread(function):
    """``function()`` in a thread of its own, where no event loop is running.

    The test process may already run one in its main thread (Playwright's sync API
    does, while the browser tests' session is open), and ``asyncio.run`` refuses to
    start a second one there.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


def run(coroutine, timeout: float = 60.0):
    """Run an app scenario on a fresh event loop; a hang fails the test instead of blocking it."""
    return in_fresh_thread(lambda: asyncio.run(asyncio.wait_for(coroutine, timeout)))


def png_pixels(data: bytes) -> np.ndarray:
    return (matplotlib.image.imread(io.BytesIO(data), format="png") * 255).round().astype(int)


# ============================================================================ data and features
@pytest.mark.parametrize("name", PLAYGROUND_DATASETS)
def test_playground_data_is_a_stratified_split_of_the_chosen_share(name):
    Xtr, Xte, ytr, yte = playground_data(name, noise=0.2, test_size=0.3)
    assert Xtr.shape == (140, 2) and Xte.shape == (60, 2)
    assert np.bincount(ytr).tolist() == [70, 70] and np.bincount(yte).tolist() == [30, 30]
    assert np.all(np.abs(np.concatenate([Xtr, Xte])) < 3.5)  # every set spans about [-2, 2]
    np.testing.assert_array_equal(Xtr, playground_data(name, noise=0.2, test_size=0.3)[0])


def test_playground_data_rejects_unknown_names():
    with pytest.raises(ValueError, match="moons"):
        playground_data("swirls")


def test_feature_columns_compute_each_formula_in_a_fixed_order():
    X = np.array([[0.5, -2.0], [1.5, 3.0]])
    x1, x2 = X[:, 0], X[:, 1]
    every = feature_columns(X, list(FEATURES))
    expected = np.column_stack([x1, x2, x1 * x1, x2 * x2, x1 * x2, np.sin(x1), np.sin(x2)])
    np.testing.assert_allclose(every, expected, rtol=1e-15)
    np.testing.assert_array_equal(feature_columns(X, ["sin(x2)", "x1"]), expected[:, [0, 6]])


# ============================================================================ the engine
def test_default_size_is_two_hidden_layers_of_four_on_200_points():
    pg = Playground()
    assert [pg.model[i].params["W"].shape for i in pg.linear_indices()] == [(2, 4), (4, 4), (4, 1)]
    assert len(pg.X_train) + len(pg.X_test) == 200
    assert pg.epoch == 0 and all(len(pg.history[k]) == 1 for k in ("train_loss", "test_loss"))
    scores = predict(pg.model, pg.F_train)
    loss = np.mean(np.logaddexp(0.0, scores) - pg.t_train * scores)  # BCE with logits
    assert math.isclose(pg.history["train_loss"][0], loss, rel_tol=1e-12)


def test_training_lowers_the_loss_and_records_every_epoch():
    pg = Playground(width=8)
    assert pg.step(40) == 40
    h = pg.history
    assert pg.epoch == 40 and len(h["train_loss"]) == 41 and len(h["grad_norms"]) == 40
    assert h["train_loss"][-1] < 0.5 * h["train_loss"][0]
    assert h["test_accuracy"][-1] > 0.85
    assert all(len(g) == 3 and all(x > 0 for x in g) for g in h["grad_norms"])


LIVE_CHANGES = {
    "lr": 0.01,
    "optimizer": "RMSprop",
    "regularization": "L1",
    "reg_strength": 0.01,
    "dropout": 0.2,
    "batch_size": 25,
}
RESTART_CHANGES = {
    "dataset": "xor",
    "noise": 0.3,
    "train_percent": 70,
    "features": ("x1", "x2", "x1*x2"),
    "layers": 3,
    "width": 6,
    "activation": "ReLU",
    "init": "he_normal",
    "seed": 5,
}


def test_every_setting_is_either_live_or_restart():
    assert set(LIVE_SETTINGS) | set(RESTART_SETTINGS) == set(DEFAULTS)
    assert set(LIVE_CHANGES) == set(LIVE_SETTINGS) and set(RESTART_CHANGES) == set(RESTART_SETTINGS)


@pytest.mark.parametrize("key", LIVE_SETTINGS)
def test_a_live_change_keeps_the_weights_and_the_epoch(key):
    pg = Playground()
    pg.step(5)
    before = weights(pg.model)
    assert pg.set(**{key: LIVE_CHANGES[key]}) == "live"
    assert pg.epoch == 5 and len(pg.history["train_loss"]) == 6
    assert same_weights(before, weights(pg.model))
    assert pg.changes == [(5, key, LIVE_CHANGES[key])]
    pg.step(2)
    assert pg.epoch == 7 and not same_weights(before, weights(pg.model))


def test_live_changes_reach_the_optimizer_the_dropout_layers_and_the_penalty():
    pg = Playground()
    pg.step(3)
    pg.set(lr=0.1)
    assert isinstance(pg.optimizer, Adam) and pg.optimizer.lr == 0.1
    pg.set(optimizer="Nesterov")
    assert isinstance(pg.optimizer, SGD) and pg.optimizer.nesterov and pg.optimizer.lr == 0.1
    pg.set(dropout=0.3)
    drops = [layer for layer in pg.model if isinstance(layer, Dropout)]
    assert len(drops) == 2 and all(d.p == 0.3 for d in drops)
    assert pg.regularizer() is None
    pg.set(regularization="L2", reg_strength=0.03)
    assert type(pg.regularizer()).__name__ == "L2" and pg.regularizer().strength == 0.03


def test_an_unchanged_value_is_no_change():
    pg = Playground()
    assert pg.set(lr=DEFAULTS["lr"], layers=DEFAULTS["layers"]) == "none" and pg.changes == []


@pytest.mark.parametrize("key", RESTART_SETTINGS)
def test_a_restart_change_builds_a_new_run_at_epoch_zero(key):
    pg = Playground()
    pg.step(5)
    pg.set(lr=0.01)
    trained = weights(pg.model)
    assert pg.set(**{key: RESTART_CHANGES[key]}) == "restart"
    assert pg.epoch == 0 and pg.changes == [] and len(pg.history["train_loss"]) == 1
    fresh = Playground(**{key: RESTART_CHANGES[key], "lr": 0.01})
    assert same_weights(weights(pg.model), weights(fresh.model))
    assert [w.shape for w in trained] != [w.shape for w in weights(pg.model)] or not (
        same_weights(trained, weights(pg.model))
    )
    assert pg.initial[key] == fresh.settings[key]


def test_every_initializer_of_nnlib_init_and_every_optimizer_builds_and_trains():
    for name in INITIALIZERS:
        pg = Playground(init=name)
        pg.step(1)
        assert pg.epoch == 1
    for name in OPTIMIZERS:
        pg = Playground(optimizer=name)
        pg.step(1)
        assert np.isfinite(pg.history["train_loss"][-1])
    classes = [c for c in vars(optim).values() if isinstance(c, type)]
    every_optimizer = {c.__name__ for c in classes if issubclass(c, optim.Optimizer)}
    every_optimizer.discard("Optimizer")  # the base class
    assert {cls for cls, _ in OPTIMIZERS.values()} == every_optimizer
    helpers = {"calculate_gain", "compute_fans", "get"}
    chosen = {fn for fn, _ in INITIALIZERS.values()}
    assert chosen == set(experiments.playground.nn_init.__all__) - helpers


def test_bad_settings_are_refused_with_the_valid_choices():
    with pytest.raises(ValueError, match="Adam"):
        Playground(optimizer="lbfgs")
    with pytest.raises(ValueError, match="no setting"):
        Playground(colour="red")
    with pytest.raises(ValueError, match="features"):
        Playground(features=())


def test_divergence_is_reported_and_training_stops():
    pg = Playground(activation="linear", init="normal", layers=4, width=8, optimizer="SGD", lr=10.0)
    pg.step(30)
    assert pg.diverged and pg.epoch < 30
    epoch = pg.epoch
    assert pg.step(5) == 0 and pg.epoch == epoch


def test_maps_show_every_unit_and_the_output_probability():
    pg = Playground(layers=3, width=5, features=("x1", "x2", "sin(x1)"))
    pg.step(3)
    maps = pg.maps()
    R = pg.resolution
    assert [m.shape for m in maps] == [(3, R, R), (5, R, R), (5, R, R), (5, R, R), (1, R, R)]
    np.testing.assert_array_equal(maps[0][2], np.sin(pg.xx))  # the sin(x1) input over the plane
    logits = predict(pg.model, feature_columns(np.column_stack([pg.xx.ravel(), pg.yy.ravel()]),
                                               pg.settings["features"]))  # fmt: skip
    np.testing.assert_allclose(maps[-1][0], 1 / (1 + np.exp(-logits.reshape(R, R))), rtol=1e-12)
    first = pg.model[1].forward(pg.model[0].forward(pg.F_grid))  # the first hidden activations
    np.testing.assert_allclose(maps[1], first.T.reshape(5, R, R), rtol=1e-12)


# ============================================================================ copy as code
def run_script(code: str, tmp_path: Path) -> list[np.ndarray]:
    """Run ``code`` as a script in a fresh interpreter; return its model's parameters."""
    out = tmp_path / "weights.npz"
    script = tmp_path / "run.py"
    script.write_text(code + f"\nnp.savez({str(out)!r}, *[p.data for p in model.parameters()])\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "training loss" in done.stdout and "test loss" in done.stdout
    with np.load(out) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def test_copy_as_code_reproduces_the_weights_with_every_live_change_replayed(tmp_path):
    pg = Playground(dataset="spirals", features=("x1", "x2", "x1^2", "sin(x2)"), layers=3,
                    width=5, activation="ReLU", init="he_uniform", seed=3)  # fmt: skip
    pg.step(6)
    pg.set(lr=0.01)
    pg.step(3)
    pg.set(optimizer="Momentum", dropout=0.2)
    pg.step(4)
    pg.set(regularization="L2", reg_strength=0.003, batch_size=16)
    pg.step(2)
    pg.set(lr=0.003, regularization="L1")
    pg.step(3)
    code = playground_code(pg)
    assert code.count("fit(model") == 5 and "optimizer.lr = 0.01" in code
    assert '# after epoch 9: optimizer -> "Momentum"' in code
    assert same_weights(run_script(code, tmp_path), weights(pg.model))


def test_copy_as_code_after_a_restart_starts_from_the_new_network(tmp_path):
    pg = Playground()
    pg.step(4)
    pg.set(lr=0.1)
    pg.set(init="constant (0.1)", layers=1, width=3, train_percent=80)  # a restart
    pg.step(5)
    code = playground_code(pg)
    assert "fit(model" in code and "optimizer.lr" not in code and "Dropout" not in code
    assert 'init.get("constant", val=0.1)' in code and "lr=0.1" in code
    assert same_weights(run_script(code, tmp_path), weights(pg.model))


# ============================================================================ NumPy pictures
def test_png_encoder_writes_the_pixels_it_is_given():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    png = encode_png(rgb)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    np.testing.assert_array_equal(png_pixels(png)[..., :3], rgb)


def test_colormap_lookup_maps_the_ends_and_clips_outside():
    lut = colormap("#000000", "#FFFFFF", n=11)
    np.testing.assert_array_equal(lut[[0, 5, 10], 0], [0, 128, 255])
    out = colorize(np.array([-5.0, 0.0, 1.0, 9.0, np.nan]), lut, 0.0, 1.0)
    np.testing.assert_array_equal(out[:, 0], [0, 0, 255, 255, 128])


def test_lines_and_dots_paint_where_they_should():
    canvas = np.zeros((10, 12, 3), dtype=np.uint8)
    draw_lines(canvas, np.array([[2, 4]]), np.array([[9, 4]]), np.array([[9, 8, 7]]),
               np.array([1.0]))  # fmt: skip
    painted = np.argwhere(canvas[..., 0] == 9)
    assert painted[:, 0].tolist() == [4] * 8 and painted[:, 1].tolist() == list(range(2, 10))
    dots = np.zeros((9, 9, 3), dtype=np.uint8)
    draw_dots(dots, np.array([[4, 4]]), np.array([[50, 60, 70]]), 1.0, outline=np.array([1, 1, 1]))
    assert tuple(dots[4, 4]) == (50, 60, 70) and tuple(dots[4, 6]) == (1, 1, 1)
    assert tuple(dots[0, 0]) == (0, 0, 0)


def test_a_line_set_paints_what_draw_lines_paints_at_each_frame_s_widths():
    rng = np.random.default_rng(1)
    start = rng.uniform(0, 40, size=(12, 2))
    end = rng.uniform(0, 40, size=(12, 2))
    lines = LineSet(start, end, (40, 40), max_width=4)
    for _ in range(3):  # three frames: new widths, colours and order
        widths = rng.integers(1, 5, size=12).astype(float)
        colors = rng.integers(1, 256, size=(12, 3), dtype=np.uint8)
        order = rng.permutation(12)
        fast, plain = np.zeros((40, 40, 3), np.uint8), np.zeros((40, 40, 3), np.uint8)
        lines.draw(fast, colors, widths, order)
        draw_lines(plain, start[order], end[order], colors[order], widths[order])
        np.testing.assert_array_equal(fast, plain)


def test_curve_picture_draws_a_falling_series_from_top_left_to_bottom_right():
    from nnlib.widgets._playground_view import curve_picture

    for n in (2, 50_000):  # a long run is thinned out, not drawn point by point
        rgb, (lo, hi) = curve_picture([np.linspace(1.0, 0.0, n)], ["#0072B2"], size=(40, 80))
        assert (lo, hi) == (0.0, 1.0)
        blue = np.all(rgb == [0, 114, 178], axis=-1)
        assert blue[:6, :6].any() and blue[-6:, -6:].any()
        assert not blue[-6:, :6].any() and not blue[:6, -6:].any()
    rgb, (lo, hi) = curve_picture([np.array([1e-3, np.nan, 1e-1])], ["#0072B2"], log=True)
    assert (lo, hi) == pytest.approx((1e-3, 1e-1))


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two hex colours."""

    def luminance(color: str) -> float:
        c = np.array([int(color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)])
        c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(c @ [0.2126, 0.7152, 0.0722])

    hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_curve_colours_keep_3_to_1_on_the_white_picture_and_the_dark_theme():
    from nnlib.widgets.playground import LAYER_COLORS, TEST_COLOR, TRAIN_COLOR

    for color in (*LAYER_COLORS, TRAIN_COLOR, TEST_COLOR):
        assert contrast(color, "#FFFFFF") >= 3.0, color
        assert contrast(color, "#111111") >= 3.0, color  # JupyterLab's dark background
    assert len(set(LAYER_COLORS)) == 7  # 6 hidden layers and the output


# ============================================================================ the app
@pytest.fixture
def app():
    return PlaygroundApp()


def test_app_starts_at_epoch_zero_with_pictures_and_their_text_alternatives(app):
    assert "epoch 0" in app.counter.value
    for image in (app.image, app.loss_image, app.grad_image):
        assert bytes(image.value).startswith(b"\x89PNG")
        assert len(image.alt) > 20  # the picture's text alternative
    assert "2 hidden layer(s) of 4 tanh units" in app.image.alt
    h, w = png_pixels(app.image.value).shape[:2]
    assert w > 2 * h  # the network is laid out left to right, by layer


def test_every_control_is_a_named_keyboard_widget_and_sliders_wait_for_release(app):
    for name, control in app.controls.items():
        kinds = (ipywidgets.Button, ipywidgets.ToggleButton, controls.Dropdown,
                 controls.SelectionSlider, controls.IntSlider, controls.FloatSlider)  # fmt: skip
        assert isinstance(control, kinds), name
        assert control.description, f"{name} has no visible name"
        if hasattr(control, "continuous_update"):
            assert control.continuous_update is False, name


def test_step_button_trains_an_epoch_and_redraws(app):
    png = app.image.value
    app.controls["step"].click()
    app.controls["step"].click()
    assert app.pg.epoch == 2 and "epoch 2" in app.counter.value
    assert app.image.value != png


def test_a_live_control_keeps_the_weights_and_says_so(app):
    app.step(3)
    before = weights(app.pg.model)
    app.controls["lr"].value = 0.1  # as a learner's slider move
    assert app.pg.epoch == 3 and same_weights(before, weights(app.pg.model))
    assert app.pg.optimizer.lr == 0.1
    assert "Live change at epoch 3: learning rate 0.1" in app.status.value


def test_a_restart_control_resets_the_weights_and_announces_it(app):
    app.step(3)
    app.controls["width"].value = 6
    assert app.pg.epoch == 0 and app.pg.model[0].params["W"].shape == (2, 6)
    assert "Restarted at epoch 0" in app.status.value and "units per layer" in app.status.value
    assert isinstance(app.announce, controls.LiveStatus) and "Restarted" in app.announce.value


def test_feature_toggles_choose_the_inputs(app):
    assert app.controls["x1"].description == "✓ x₁" and app.controls["x1_x2"].description == "x₁x₂"
    result = app.set(x1_x2=True, sin_x1=True)
    assert app.controls["x1_x2"].description == "✓ x₁x₂" and "on" in app.controls["x1_x2"].tooltip
    assert result["change"] == "restart"
    assert app.pg.settings["features"] == ("x1", "x2", "x1*x2", "sin(x1)")
    assert app.pg.model[0].params["W"].shape == (4, 4)
    assert set(FEATURE_CONTROLS.values()) == set(FEATURES)
    result = app.set(x1=False, x2=False, x1_x2=False, sin_x1=False)  # no input left
    assert result["change"] == "refused" and "Not applied" in app.status.value
    assert app.pg.settings["features"] == ("x1", "x2", "x1*x2", "sin(x1)")


def test_reset_draws_new_weights_at_epoch_zero(app):
    first = weights(app.pg.model)
    app.step(2)
    app.controls["reset"].click()
    assert app.pg.epoch == 0 and app.pg.settings["seed"] == 1
    assert not same_weights(first, weights(app.pg.model))


def test_play_trains_in_the_background_and_pause_stops_the_task(app):
    async def scenario():
        task = app.play()
        assert app.running and app.controls["play"].description == "Pause"
        while app.pg.epoch < 5:
            await asyncio.sleep(0.01)
        frames = app.frames
        app.controls["lr"].value = 0.01  # a live change while running
        epoch = app.pg.epoch
        while app.pg.epoch < epoch + 5:
            await asyncio.sleep(0.01)
        app.pause()
        await asyncio.sleep(0.05)
        return task, frames, epoch

    task, frames, epoch = run(scenario())
    assert task.done() and not app.running
    assert app.frames > frames  # frames kept coming after the live change
    assert app.pg.changes == [(epoch, "lr", 0.01)]  # no restart: the run went on
    stopped = app.pg.epoch
    run(asyncio.sleep(0.05))
    assert app.pg.epoch == stopped and app.controls["play"].description == "Play"
    assert "Paused at epoch" in app.announce.value


def test_the_speed_slider_sets_the_epochs_per_frame(app):
    app.set(speed=5)
    assert app.pg.changes == [] and app.pg.epoch == 0  # the app's setting, not the engine's

    async def one_frame():
        app.play()
        while app.frames == frames:
            await asyncio.sleep(0.005)
        app.pause()

    frames = app.frames
    run(one_frame())
    assert app.pg.epoch % 5 == 0 and app.pg.epoch >= 5


def test_play_outside_an_event_loop_says_what_to_do_instead(app):
    with pytest.raises(RuntimeError, match="step"):
        in_fresh_thread(app.play)
    assert not app.running


def test_playing_a_second_app_pauses_the_first(app):
    other = PlaygroundApp()

    async def scenario():
        first = app.play()
        await asyncio.sleep(0.05)
        second = other.play()
        await asyncio.sleep(0.05)
        assert first.done() and not app.running and other.running
        other.pause()
        await asyncio.sleep(0.01)
        return second

    assert run(scenario()).done()


def test_closing_the_app_ends_its_background_task(app):
    async def scenario():
        task = app.play()
        await asyncio.sleep(0.05)
        app.image.close()  # its widgets closed from the kernel side
        await asyncio.wait_for(task, timeout=5)
        return task

    assert run(scenario()).done() and not app.running


def test_the_live_region_announces_events_not_frames(app):
    async def scenario():
        app.play()
        await asyncio.sleep(0.02)
        said = app.announce.value
        while app.frames < 8:
            await asyncio.sleep(0.01)
        assert app.announce.value == said and "Started" in said
        app.pause()

    run(scenario())


def test_a_diverging_run_pauses_itself_and_says_so():
    app = PlaygroundApp(activation="linear", init="normal", layers=4, width=8, optimizer="SGD",
                        lr=10.0)  # fmt: skip

    async def scenario():
        task = app.play()
        await asyncio.wait_for(task, timeout=30)

    run(scenario())
    assert app.pg.diverged and not app.running
    assert "diverged" in app.announce.value and "Diverged" in app.status.value


def test_copy_as_code_button_prints_the_script(app):
    app.step(2)
    app.controls["code"].click()
    shown = html.unescape(re.sub(r"<[^>]+>", "", app.code_view.value))
    assert shown == app.code() and "fit(model, loss_fn, optimizer" in shown


def test_bench_settings_and_actions(app):
    for setting in app.bench_settings():
        assert set(setting) <= set(app.controls)
        app.set(**setting)
    epoch = app.pg.epoch
    app.bench_actions()["one frame: epoch + redraw"]()
    assert app.pg.epoch == epoch + 1


def test_app_is_reachable_from_the_widgets_package():
    assert widgets.PlaygroundApp is PlaygroundApp
    assert experiments.Playground is Playground and experiments.playground_code is playground_code
