"""BatchNorm1d, LayerNorm and Residual: gradients, PyTorch parity (stored fixture, and
live when torch is installed), modes, dtypes, errors, training, and why they matter."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from nnlib import optim
from nnlib.datasets import load_digits, make_moons, standardize, train_test_split
from nnlib.diagnostics import grad_norms, layer_kind, layer_outputs, layer_statistics, stats_table
from nnlib.gradcheck import check_layer, check_model, rel_error
from nnlib.layers import Linear, Sequential, Sigmoid, Tanh
from nnlib.losses import L2, CrossEntropyLoss
from nnlib.module import named_parameters
from nnlib.normalization import BatchNorm1d, LayerNorm
from nnlib.residual import Residual
from nnlib.training import fit, predict

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "torch_norm_reference.npz"
SCRIPT = ROOT / "scripts" / "make_torch_fixtures.py"
TORCH_TOL = 1e-10
SMOOTH, MODEL = 1e-7, 1e-5


def randomize_params(layer, rng):
    """gamma away from 1 and beta away from 0, so a gradcheck sees both."""
    for name, value in layer.params.items():
        value[...] = (
            rng.uniform(0.5, 2.0, value.shape) if name == "gamma" else rng.normal(size=value.shape)
        )
    return layer


def shifted_batch(rng, shape):
    """Columns with their own mean and scale, as a layer's input really has."""
    d = shape[-1]
    return rng.uniform(-2, 2, d) + np.exp(rng.uniform(-1, 1, d)) * rng.standard_normal(shape)


# -- finite differences ---------------------------------------------------------------
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_training_backward_matches_finite_differences(rng, affine):
    layer = randomize_params(BatchNorm1d(5, affine=affine), rng)
    errors = check_layer(layer, shifted_batch(rng, (8, 5)), rng=rng)
    assert set(errors) == ({"x", "gamma", "beta"} if affine else {"x"})
    assert max(errors.values()) < SMOOTH, errors


def test_batchnorm_eval_backward_matches_finite_differences(rng):
    layer = randomize_params(BatchNorm1d(4, momentum=0.5), rng)
    for _ in range(3):
        layer.forward(shifted_batch(rng, (6, 4)))  # running statistics away from 0 and 1
    layer.eval()
    errors = check_layer(layer, shifted_batch(rng, (5, 4)), rng=rng)
    assert max(errors.values()) < SMOOTH, errors


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [((5,), {}), ((5,), {"bias": False}), ((5,), {"elementwise_affine": False}), ((3, 4), {})],
)
def test_layernorm_backward_matches_finite_differences(rng, shape, kwargs):
    layer = randomize_params(LayerNorm(shape, **kwargs), rng)
    x = 1.0 + 2.0 * rng.standard_normal((6, *shape))
    errors = check_layer(layer, x, rng=rng)
    assert max(errors.values()) < SMOOTH, errors


def test_residual_backward_matches_finite_differences_for_input_and_block_parameters(rng):
    block = Sequential(Linear(4, 4, rng=rng), Tanh(), Linear(4, 4, rng=rng))
    for layer in (block[0], block[2]):
        layer.params["b"][:] = rng.standard_normal(4)
    errors = check_layer(Residual(block), rng.standard_normal((6, 4)), rng=rng)
    assert set(errors) == {"x", "0.0.W", "0.0.b", "0.2.W", "0.2.b"}
    assert max(errors.values()) < SMOOTH, errors


def test_a_model_with_all_three_matches_finite_differences(rng):
    model = Sequential(
        Linear(3, 6, bias=False, rng=rng),
        BatchNorm1d(6),
        Tanh(),
        Residual(Sequential(Linear(6, 6, rng=rng), Tanh())),
        LayerNorm(6),
        Linear(6, 4, rng=rng),
    )
    for layer in (model[1], model[4]):
        randomize_params(layer, rng)
    errors = check_model(
        model, CrossEntropyLoss(), rng.standard_normal((10, 3)), rng.integers(4, size=10)
    )
    assert {"0.W", "1.gamma", "3.0.0.W", "4.beta", "5.W"} <= set(errors)
    assert max(errors.values()) < MODEL, errors


# -- PyTorch parity: stored fixture ---------------------------------------------------
def load_fixture():
    with np.load(FIXTURE) as data:
        return {k: data[k] for k in data.files}


REF = load_fixture()
META = json.loads(str(REF["meta"]))


def inputs64(ref):
    return {k: v.astype(np.float64) for k, v in ref.items() if v.dtype == np.float32}


def run_batchnorm(kwargs, inputs, steps, record):
    """nnlib's BatchNorm1d through the fixture's steps; the keys of ``torch_norm_reference``."""
    x, dout = inputs["bn_x"], inputs["bn_dout"]
    bn = BatchNorm1d(x.shape[2], **kwargs)
    if bn.affine:
        bn.params["gamma"][:] = inputs["bn_gamma"]
        bn.params["beta"][:] = inputs["bn_beta"]
    model = Sequential(bn)  # modes are switched through the container
    model.train()
    records, means, variances = [], [], []
    for k in range(1, steps + 1):
        out = bn.forward(x[k - 1])
        dx = bn.backward(dout[k - 1])
        if k in record:
            records.append({"out": out, "dx": dx, **{"d" + n: g for n, g in bn.grads.items()}})
        if bn.track_running_stats:
            means.append(bn.running_mean.copy())
            variances.append(bn.running_var.copy())
    res = {f"train_{key}": np.stack([r[key] for r in records]) for key in records[0]}
    if bn.track_running_stats:
        res["running_mean"], res["running_var"] = np.array(means), np.array(variances)
    model.eval()
    res["eval_out"] = bn.forward(inputs["bn_x_eval"])
    res["eval_dx"] = bn.backward(inputs["bn_dout_eval"])
    res.update({"eval_d" + n: g for n, g in bn.grads.items()})
    return res


def run_layernorm(shape, kwargs, inputs, name, training):
    ln = LayerNorm(tuple(shape), **kwargs)
    for p in ("gamma", "beta"):
        if p in ln.params:
            ln.params[p][...] = inputs[f"ln_{p}.{name}"]
    Sequential(ln).train(training)
    res = {"out": ln.forward(inputs[f"ln_x.{name}"])}
    res["dx"] = ln.backward(inputs[f"ln_dout.{name}"])
    res.update({"d" + n: g for n, g in ln.grads.items()})
    return res


def assert_matches(mine, theirs, prefix):
    expected = {k[len(prefix) :] for k in theirs if k.startswith(prefix)}
    assert set(mine) == expected, f"{prefix}: mine has {sorted(mine)}, torch {sorted(expected)}"
    for key, value in mine.items():
        ref = theirs[prefix + key]
        assert value.shape == ref.shape, f"{prefix}{key}: shape {value.shape} vs {ref.shape}"
        err = rel_error(value, ref)
        assert err <= TORCH_TOL, f"{prefix}{key}: rel error {err:.2e}\nmine  {value}\ntorch {ref}"


BN_IDS = [c[0] for c in META["bn_configs"]]
LN_IDS = [c[0] for c in META["ln_configs"]]


@pytest.mark.parametrize("index", range(len(BN_IDS)), ids=BN_IDS)
def test_batchnorm_matches_torch_fixture_in_training_and_eval(index):
    name, kwargs = META["bn_configs"][index]
    mine = run_batchnorm(kwargs, inputs64(REF), META["bn_steps"], META["bn_record"])
    assert_matches(mine, REF, f"bn.{name}.")


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("index", range(len(LN_IDS)), ids=LN_IDS)
def test_layernorm_matches_torch_fixture(index, training):
    name, shape, kwargs = META["ln_configs"][index]
    mine = run_layernorm(shape, kwargs, inputs64(REF), name, training)
    assert_matches(mine, REF, f"ln.{name}.")


def load_script():
    spec = importlib.util.spec_from_file_location("make_torch_fixtures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_live_torch_agrees_with_fixture_and_nnlib():
    """Recompute every normalization reference with the installed torch (skipped without)."""
    pytest.importorskip("torch")
    script = load_script()
    stored_inputs = {k: v for k, v in REF.items() if v.dtype == np.float32}
    live = script.torch_norm_reference(stored_inputs)
    assert set(live) == {k for k in REF if k.startswith(("bn.", "ln.")) and k not in stored_inputs}
    for key, value in live.items():
        assert rel_error(value, REF[key]) <= TORCH_TOL, f"fixture out of date for {key!r}"
    inputs = inputs64(REF)
    for name, kwargs in script.BN_CONFIGS:
        mine = run_batchnorm(kwargs, inputs, script.BN_STEPS, script.BN_RECORD)
        assert_matches(mine, live, f"bn.{name}.")
    for name, shape, kwargs in script.LN_CONFIGS:
        assert_matches(run_layernorm(shape, kwargs, inputs, name, True), live, f"ln.{name}.")


def test_live_torch_float32_batchnorm_and_layernorm(rng):
    """float32 layers stay float32 and track torch's float32 layers closely."""
    torch = pytest.importorskip("torch")
    x = shifted_batch(rng, (16, 6)).astype(np.float32)
    dout = rng.standard_normal((16, 6)).astype(np.float32)
    for mine, theirs in [
        (BatchNorm1d(6, dtype=np.float32), torch.nn.BatchNorm1d(6)),
        (LayerNorm(6, dtype=np.float32), torch.nn.LayerNorm(6)),
    ]:
        xt = torch.tensor(x, requires_grad=True)
        out_t = theirs(xt)
        out_t.backward(torch.tensor(dout))
        out, dx = mine.forward(x), mine.backward(dout)
        assert out.dtype == dx.dtype == mine.grads["gamma"].dtype == np.float32
        np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(mine.grads["gamma"], theirs.weight.grad.numpy(), atol=1e-4)


# -- float32 -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: BatchNorm1d(5, dtype=np.float32),
        lambda: LayerNorm(5, dtype=np.float32),
        lambda: Residual(Sequential(Linear(5, 5, rng=0, dtype=np.float32), Tanh())),
    ],
    ids=["batchnorm", "layernorm", "residual"],
)
def test_float32_stays_float32(rng, make):
    layer = make()
    x64 = shifted_batch(rng, (7, 5))
    dout64 = rng.standard_normal((7, 5))
    x, dout = x64.astype(np.float32), dout64.astype(np.float32)
    for mode in (True, False):
        layer.train(mode)
        out, dx = layer.forward(x), layer.backward(dout)
        assert out.dtype == dx.dtype == np.float32
        assert all(p.grad.dtype == np.float32 for p in layer.parameters())
    if isinstance(layer, BatchNorm1d):
        assert layer.running_mean.dtype == layer.running_var.dtype == np.float32
    # and float32 gives the float64 answer to float32 precision
    ref = make()
    Sequential(ref).astype(np.float64)
    ref.train()
    np.testing.assert_allclose(layer.train().forward(x), ref.forward(x64), rtol=1e-4, atol=1e-4)


def test_a_model_converted_to_float32_gives_float32_in_eval_mode(rng):
    model = Sequential(Linear(3, 4, rng=0), BatchNorm1d(4), Tanh(), LayerNorm(4))
    model.forward(rng.standard_normal((8, 3)))  # running statistics (float64) move
    model.astype(np.float32).eval()
    out = model.forward(rng.standard_normal((5, 3)).astype(np.float32))
    assert out.dtype == np.float32


# -- modes and running statistics ------------------------------------------------------
def test_train_and_eval_through_sequential(rng):
    bn = BatchNorm1d(3)
    model = Sequential(Linear(2, 3, rng=0), bn)
    x = rng.standard_normal((50, 2))
    model.train()
    out = model.forward(x)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)  # batch statistics
    np.testing.assert_allclose(out.std(axis=0), 1.0, atol=1e-4)
    assert bn.num_batches_tracked == 1
    model.eval()
    assert not bn.training
    running = (bn.running_mean.copy(), bn.running_var.copy())
    rows = np.concatenate([model.forward(x[i : i + 1]) for i in range(5)])
    np.testing.assert_allclose(model.forward(x[:5]), rows, atol=1e-14)  # one row at a time
    expected = (model[0].forward(x[:5]) - running[0]) / np.sqrt(running[1] + bn.eps)
    np.testing.assert_allclose(model.forward(x[:5]), expected, atol=1e-12)
    assert np.array_equal(bn.running_mean, running[0]) and bn.num_batches_tracked == 1
    model.train()
    assert bn.training
    assert np.abs(model.forward(x[:5]) - rows).max() > 1e-3  # batch statistics again


def test_running_statistics_converge_to_the_data_statistics(rng):
    bn = BatchNorm1d(2, momentum=None)  # the plain average of every batch
    x = np.array([3.0, -1.0]) + np.array([2.0, 0.5]) * rng.standard_normal((4000, 2))
    for batch in x.reshape(100, 40, 2):
        bn.forward(batch)
    np.testing.assert_allclose(bn.running_mean, x.mean(axis=0), atol=1e-12)
    # the average of unbiased per-batch variances: close to the variance of the data
    np.testing.assert_allclose(bn.running_var, x.var(axis=0), rtol=0.05)
    bn.reset_running_stats()
    assert np.array_equal(bn.running_mean, [0, 0]) and bn.num_batches_tracked == 0


def test_without_running_statistics_eval_uses_the_batch(rng):
    bn = BatchNorm1d(3, track_running_stats=False).eval()
    x = shifted_batch(rng, (10, 3))
    out = bn.forward(x)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    assert bn.running_mean is None and bn.running_var is None


def test_layernorm_is_the_same_in_both_modes_and_for_a_single_example(rng):
    ln = randomize_params(LayerNorm(4), rng)
    x = shifted_batch(rng, (6, 4))
    train_out = ln.train().forward(x)
    eval_out = ln.eval().forward(x)
    single = np.concatenate([ln.forward(x[i : i + 1]) for i in range(6)])
    assert np.array_equal(train_out, eval_out)
    np.testing.assert_allclose(single, train_out, atol=1e-14)


def test_batch_of_one_in_training_raises_a_clear_error():
    bn = BatchNorm1d(4)
    with pytest.raises(ValueError, match=r"batch of 1 example.*at least 2.*model.eval\(\)"):
        bn.forward(np.ones((1, 4)))
    assert bn.num_batches_tracked == 0
    assert bn.eval().forward(np.ones((1, 4))).shape == (1, 4)  # running statistics: fine
    with pytest.raises(ValueError, match="at least 2"):
        BatchNorm1d(4, track_running_stats=False).eval().forward(np.ones((1, 4)))


# -- the layer contract -----------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: BatchNorm1d(4),
        lambda: BatchNorm1d(4).eval(),
        lambda: BatchNorm1d(4, affine=False),
        lambda: LayerNorm(4),
        lambda: LayerNorm(4, elementwise_affine=False),
        lambda: Residual(Sequential(Linear(4, 4, rng=0), Tanh())),
        lambda: Residual(Tanh()),
    ],
    ids=["bn", "bn-eval", "bn-no-affine", "ln", "ln-no-affine", "residual", "residual-act"],
)
def test_no_mutation_no_alias_grads_overwritten(rng, make):
    layer = make()
    x, dout = shifted_batch(rng, (6, 4)), rng.standard_normal((6, 4))
    x0, dout0 = x.copy(), dout.copy()
    out = layer.forward(x)
    dx = layer.backward(dout)
    assert np.array_equal(x, x0) and np.array_equal(dout, dout0)
    for a in (out, dx):
        assert not np.shares_memory(a, x) and not np.shares_memory(a, dout)
    first = {k: p.grad.copy() for k, p in named_parameters(layer)}
    layer.forward(x)
    layer.backward(dout)
    for k, p in named_parameters(layer):
        np.testing.assert_allclose(p.grad, first[k], err_msg=f"{k} accumulated")


def test_parameters_are_gamma_and_beta_and_l2_skips_them(rng):
    model = Sequential(Linear(3, 4, rng=0), BatchNorm1d(4), LayerNorm(4))
    keys = [k for k, _ in named_parameters(model)]
    assert keys == ["0.W", "0.b", "1.gamma", "1.beta", "2.gamma", "2.beta"]
    model[1].params["gamma"][:] = 5.0
    expected = 0.5 * 0.1 * float(np.sum(model[0].params["W"] ** 2))
    assert L2(0.1).penalty(model) == pytest.approx(expected)


def test_residual_parameters_are_the_blocks_with_readable_keys():
    block = Sequential(Linear(4, 4, rng=0), Tanh())
    model = Sequential(Linear(2, 4, rng=1), Residual(block), Linear(4, 1, rng=2))
    keys = [k for k, _ in named_parameters(model)]
    assert keys == ["0.W", "0.b", "1.0.0.W", "1.0.0.b", "2.W", "2.b"]
    assert model[1].parameters()[0].data is block[0].params["W"]
    model.eval()
    assert not block[0].training
    assert "Residual(" in repr(model) and "Linear(4, 4)" in repr(model)


def test_residual_adds_the_input_and_passes_the_gradient_through(rng):
    block = Linear(3, 3, rng=0)
    res = Residual(block)
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    np.testing.assert_allclose(res.forward(x), x + block.forward(x))
    dx = res.backward(dout)
    np.testing.assert_allclose(dx, dout + dout @ block.params["W"].T)
    np.testing.assert_allclose(block.grads["W"], x.T @ dout)


def test_residual_that_changes_the_width_says_so():
    res = Residual(Sequential(Linear(5, 3, rng=0), Tanh()))
    with pytest.raises(ValueError, match=r"\(2, 5\) to shape \(2, 3\).*keep the width \(5\)"):
        res.forward(np.ones((2, 5)))
    with pytest.raises(TypeError, match="Sequential"):
        Residual([Linear(2, 2), Tanh()])
    with pytest.raises(TypeError, match="instance"):
        Residual(Tanh)


@pytest.mark.parametrize(
    ("layer", "x", "match"),
    [
        (
            BatchNorm1d(4),
            np.ones((3, 5)),
            r"BatchNorm1d\(4\) got input of shape \(3, 5\); expected \(N, 4\)",
        ),
        (BatchNorm1d(4), np.ones(4), "x.reshape"),
        (
            LayerNorm(4),
            np.ones((3, 5)),
            r"LayerNorm\(4\) got input of shape \(3, 5\); expected \(N, 4\)",
        ),
        (LayerNorm((2, 3)), np.ones((4, 3, 2)), r"expected \(N, 2, 3\)"),
        (LayerNorm(4), np.ones(4), "x.reshape"),
    ],
)
def test_wrong_input_shape_names_layer_and_shapes(layer, x, match):
    with pytest.raises(ValueError, match=match):
        layer.forward(x)


@pytest.mark.parametrize(
    "make", [lambda: BatchNorm1d(3), lambda: LayerNorm(3), lambda: Residual(Tanh())]
)
def test_backward_before_forward_or_with_a_wrong_dout(make):
    layer = make()
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((2, 3)))
    layer.forward(np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match=r"dout of shape \(2, 4\)"):
        layer.backward(np.ones((2, 4)))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: BatchNorm1d(0), "num_features"),
        (lambda: BatchNorm1d(3.0), "num_features"),
        (lambda: BatchNorm1d(3, eps=0), "eps"),
        (lambda: BatchNorm1d(3, momentum=1.5), "momentum"),
        (lambda: BatchNorm1d(3, dtype=np.int64), "dtype"),
        (lambda: LayerNorm(()), "at least one axis"),
        (lambda: LayerNorm((3, -1)), "normalized_shape"),
        (lambda: LayerNorm(3, eps=-1e-5), "eps"),
    ],
)
def test_bad_arguments_are_rejected(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_repr_shows_non_default_arguments():
    assert repr(BatchNorm1d(4)) == "BatchNorm1d(4)"
    assert repr(BatchNorm1d(4, momentum=None, affine=False)) == (
        "BatchNorm1d(4, momentum=None, affine=False)"
    )
    assert repr(LayerNorm(4)) == "LayerNorm(4)"
    assert (
        repr(LayerNorm((2, 3), eps=1e-3, bias=False)) == "LayerNorm((2, 3), eps=0.001, bias=False)"
    )
    assert repr(Residual(Tanh())) == "Residual(Tanh())"


# -- diagnostics ---------------------------------------------------------------------
def test_diagnostics_report_the_new_layers(rng):
    model = Sequential(
        Linear(4, 8, bias=False, rng=0),
        BatchNorm1d(8),
        Tanh(),
        Residual(Sequential(Linear(8, 8, rng=1), Tanh())),
        LayerNorm(8),
        Linear(8, 3, rng=2),
    )
    x = 3.0 + 5.0 * rng.standard_normal((64, 4))
    y = rng.integers(3, size=64)
    kinds = [layer_kind(layer) for layer in model]
    assert kinds == ["linear", "batchnorm", "tanh", "residual", "layernorm", "linear"]
    before = model[1].running_mean.copy(), model[1].num_batches_tracked

    train_stats = layer_statistics(model, x, y, CrossEntropyLoss(), training=True)
    bn_row = train_stats[1]
    assert bn_row.kind == "batchnorm" and bn_row.name == "BatchNorm1d"
    assert abs(bn_row.mean) < 1e-12 and bn_row.std == pytest.approx(1.0, abs=1e-4)
    assert all(s.out_grad_norm > 0 for s in train_stats)
    assert train_stats[3].kind == "residual" and train_stats[3].grad_norm is None
    assert model[3].block[0].grads["W"].shape == (8, 8)  # the backward pass reached the block
    # the diagnostic changed neither the running statistics nor the mode
    assert np.array_equal(model[1].running_mean, before[0])
    assert model[1].num_batches_tracked == before[1] and model.training

    eval_stats = layer_statistics(model, x)  # fresh running statistics: 0 and 1
    assert eval_stats[1].std > 3.0  # not normalized yet in eval mode
    ln_row = eval_stats[4]
    assert abs(ln_row.mean) < 1e-12 and ln_row.std == pytest.approx(1.0, abs=1e-3)
    table = stats_table(eval_stats)
    assert "BatchNorm1d" in table and "LayerNorm" in table and "Residual" in table
    outs = layer_outputs(model, x, training=True)
    np.testing.assert_allclose(outs[1].mean(axis=0), 0.0, atol=1e-12)


def test_grad_norms_cover_the_weights_inside_residual_blocks(rng):
    model = Sequential(Linear(2, 4, rng=0), Residual(Sequential(Linear(4, 4, rng=1), Tanh())))
    loss = CrossEntropyLoss()
    loss.forward(model.forward(rng.standard_normal((5, 2))), rng.integers(4, size=5))
    model.backward(loss.backward())
    assert set(grad_norms(model)) == {"0.W", "0.b", "1.0.0.W", "1.0.0.b"}


# -- training ------------------------------------------------------------------------
def optimizer_names():
    """Every optimizer class nnlib.optim exports (new ones are covered automatically)."""
    return [
        name
        for name in optim.__all__
        if isinstance(getattr(optim, name), type)
        and issubclass(getattr(optim, name), optim.Optimizer)
        and getattr(optim, name) is not optim.Optimizer
    ]


OPTIMIZER_KWARGS = {  # learning rates for this problem; others use their defaults
    "SGD": {"lr": 0.1, "momentum": 0.9},
    "Adagrad": {"lr": 0.1},
    "RMSprop": {"lr": 0.01},
    "Adam": {"lr": 0.01},
    "AdamW": {"lr": 0.01, "weight_decay": 0.01},
}


@pytest.mark.parametrize("cls_name", optimizer_names())
def test_a_model_with_batchnorm_trains_with_fit_and_every_optimizer(cls_name):
    X, y = make_moons(256, noise=0.1, rng=0)
    X = 10.0 * X + 3.0  # badly scaled inputs: batch norm copes
    model = Sequential(
        Linear(2, 16, bias=False, rng=0), BatchNorm1d(16), Tanh(), Linear(16, 2, rng=1)
    )
    opt = getattr(optim, cls_name)(model.parameters(), **OPTIMIZER_KWARGS.get(cls_name, {}))
    history = fit(model, CrossEntropyLoss(), opt, X, y, epochs=30, batch_size=32, rng=0)
    assert history.loss[-1] < 0.5 * history.loss[0], history.loss
    assert model.training  # fit leaves the mode as it found it
    accuracy = np.mean(predict(model, X).argmax(axis=1) == y)  # eval mode: running stats
    assert accuracy > 0.85, f"{cls_name}: accuracy {accuracy:.3f}"
    assert model[1].num_batches_tracked == 30 * 8


# -- the point of the chapter --------------------------------------------------------
DEPTH, WIDTH = 30, 16


def deep_sigmoid_net(kind, rng):
    """30 hidden layers of width 16 on the digits: plain, with batch norm, or residual."""
    layers, d = [], 64
    if kind == "residual":  # h + W sigmoid(h): the identity path around every layer
        layers.append(Linear(64, WIDTH, rng=rng))
        for _ in range(DEPTH - 1):
            layers.append(Residual(Sequential(Sigmoid(), Linear(WIDTH, WIDTH, rng=rng))))
        layers.append(Sigmoid())
    else:
        for _ in range(DEPTH):
            if kind == "batchnorm":
                layers += [Linear(d, WIDTH, bias=False, rng=rng), BatchNorm1d(WIDTH), Sigmoid()]
            else:
                layers += [Linear(d, WIDTH, rng=rng), Sigmoid()]
            d = WIDTH
    return Sequential(*layers, Linear(WIDTH, 10, rng=rng))


def first_to_last_grad_ratio(model, X, y):
    """||dL/dW|| of the first weight matrix over that of the last, at initialization."""
    loss = CrossEntropyLoss()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    norms = [v for k, v in grad_norms(model).items() if k.endswith("W")]
    assert len(norms) == DEPTH + 1
    return norms[0] / norms[-1]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    # 1344 training rows: 21 batches of 64, no tiny last batch to upset batch statistics
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=453, stratify=True)
    X_train, stats = standardize(X_train)
    X_test, _ = standardize(X_test, stats)
    return X_train, X_test, y_train, y_test


# Measured (seed 0, 10 epochs of SGD lr 0.1 momentum 0.9, batches of 64): test accuracy
# plain 0.10 (chance), batch norm 0.87, residual 0.95; first/last gradient-norm ratio at
# initialization: plain 2.4e-19, batch norm 1.4, residual 0.96.
EXPECT = {  # kind: (accuracy bounds, ratio bounds)
    "plain": ((0.0, 0.2), (0.0, 1e-12)),
    "batchnorm": ((0.8, 1.0), (0.1, 10.0)),
    "residual": ((0.85, 1.0), (0.1, 10.0)),
}


@pytest.mark.parametrize("kind", list(EXPECT))
def test_a_30_layer_sigmoid_net_trains_only_with_batchnorm_or_residual_connections(digits, kind):
    X_train, X_test, y_train, y_test = digits
    model = deep_sigmoid_net(kind, np.random.default_rng(0))
    ratio = first_to_last_grad_ratio(model, X_train[:256], y_train[:256])
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    fit(model, CrossEntropyLoss(), opt, X_train, y_train, epochs=10, batch_size=64, rng=0)
    accuracy = float(np.mean(predict(model, X_test).argmax(axis=1) == y_test))
    (acc_lo, acc_hi), (ratio_lo, ratio_hi) = EXPECT[kind]
    assert acc_lo <= accuracy <= acc_hi, f"{kind}: test accuracy {accuracy:.3f}"
    assert ratio_lo <= ratio <= ratio_hi, f"{kind}: first/last gradient ratio {ratio:.2e}"
