"""Tests for nnlib.datasets: toy generators, train_test_split, standardize, and the digits."""

from __future__ import annotations

import hashlib
import importlib.util
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from nnlib import _digits, datasets
from nnlib.datasets import (
    load_digits,
    make_blobs,
    make_circles,
    make_line,
    make_moons,
    make_sine,
    make_spirals,
    make_xor,
    standardize,
    train_test_split,
)

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "convert_digits.py"

# name -> (function, default n_samples, number of classes)
CLASSIFIERS = {
    "moons": (make_moons, 200, 2),
    "circles": (make_circles, 200, 2),
    "spirals": (make_spirals, 300, 3),
    "xor": (make_xor, 200, 2),
    "blobs": (make_blobs, 300, 3),
}
REGRESSORS = {"sine": make_sine, "line": make_line}
ALL = {**{k: v[0] for k, v in CLASSIFIERS.items()}, **REGRESSORS}


# ----------------------------------------------------------------------------- generators
@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_shapes_dtypes_labels_balance(name):
    fn, n, C = CLASSIFIERS[name]
    X, y = fn()
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(y.tolist()) == set(range(C))
    assert np.all(np.bincount(y) == n // C)
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_remainder_goes_to_first_classes(name):
    fn, _, C = CLASSIFIERS[name]
    n = 5 * C + (C - 1) if name != "xor" else 7  # remainder C - 1 (xor: 4 clusters)
    X, y = fn(n)
    counts = np.bincount(y, minlength=C)
    assert len(X) == len(y) == n and counts.sum() == n
    assert counts.max() - counts.min() <= 1
    assert np.all(np.diff(counts) <= 0)  # the extra points go to the first classes


def test_xor_remainder_is_split_among_clusters():
    X, y = make_xor(7, noise=0.0)
    centers, per_cluster = np.unique(X, axis=0, return_counts=True)
    assert len(centers) == 4 and sorted(per_cluster.tolist()) == [1, 2, 2, 2]
    assert np.bincount(y).tolist() == [4, 3]


@pytest.mark.parametrize("name", REGRESSORS)
def test_regression_shapes_dtypes(name):
    X, y = REGRESSORS[name]()
    assert X.shape == (100, 1) and y.shape == (100, 1)
    assert X.dtype == np.float64 and y.dtype == np.float64


@pytest.mark.parametrize("name", ALL)
def test_float32_dtype(name):
    X, y = ALL[name](dtype=np.float32)
    assert X.dtype == np.float32
    assert y.dtype == (np.float32 if name in REGRESSORS else np.int64)


@pytest.mark.parametrize("name", ALL)
def test_reproducible_and_seed_dependent(name):
    fn = ALL[name]
    X0, y0 = fn()
    X1, y1 = fn(rng=0)
    np.testing.assert_array_equal(X0, X1)
    np.testing.assert_array_equal(y0, y1)
    X2, _ = fn(rng=1)
    assert not np.array_equal(X0, X2)
    # A Generator is used (and advanced): two calls on one stream differ.
    gen = np.random.default_rng(5)
    assert not np.array_equal(fn(rng=gen)[0], fn(rng=gen)[0])
    assert fn(rng=None)[0].shape == X0.shape


@pytest.mark.parametrize("name", ALL)
def test_validation_errors(name):
    fn = ALL[name]
    with pytest.raises(ValueError, match="noise|cluster_std"):
        if name == "blobs":
            fn(cluster_std=-1.0)
        else:
            fn(noise=-0.1)
    with pytest.raises(ValueError, match="n_samples must be >= "):
        fn(0)
    with pytest.raises(TypeError, match="n_samples must be an int"):
        fn(10.0)
    with pytest.raises(ValueError, match="floating dtype"):
        fn(dtype=np.int64)


def test_n_samples_below_class_count_errors():
    with pytest.raises(ValueError, match=r"n_samples must be >= 5 \(n_classes=5"):
        make_spirals(4, n_classes=5)
    with pytest.raises(ValueError, match="n_samples must be >= 4"):
        make_xor(3)
    with pytest.raises(ValueError, match="n_samples must be >= 2"):
        make_moons(1)
    with pytest.raises(ValueError, match="n_samples must be >= 3"):
        make_blobs(2, centers=3)


def test_moons_noise0_on_unit_half_circles():
    X, y = make_moons(101, noise=0.0)
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.linalg.norm(outer, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(inner - [1.0, 0.5], axis=1), 1.0, atol=1e-12)
    assert np.all(outer[:, 1] >= -1e-12) and np.all(inner[:, 1] <= 0.5 + 1e-12)
    assert len(outer) == 51 and len(inner) == 50


@pytest.mark.parametrize("factor", [0.0, 0.3, 0.5, 0.8])
def test_circles_noise0_radii(factor):
    X, y = make_circles(60, noise=0.0, factor=factor)
    r = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(r[y == 1], factor, atol=1e-12)


@pytest.mark.parametrize("factor", [-0.1, 1.0, 2.0])
def test_circles_bad_factor(factor):
    with pytest.raises(ValueError, match="factor"):
        make_circles(factor=factor)


def test_xor_noise0_labels_are_sign_product():
    X, y = make_xor(40, noise=0.0)
    assert set(map(tuple, X.tolist())) == {(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)}
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))


def test_xor_noisy_labels_match_quadrant():
    X, y = make_xor(400, noise=0.1)
    # With std 0.1 around (+-1, +-1) no point leaves its quadrant.
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))


@pytest.mark.parametrize("n_classes", [1, 2, 3, 4, 5])
def test_spirals_class_count_and_separable(n_classes):
    X, y = make_spirals(50 * n_classes + 1, n_classes=n_classes, noise=0.0)
    assert set(y.tolist()) == set(range(n_classes))
    counts = np.bincount(y)
    assert counts[0] == 51 and np.all(counts[1:] == 50)
    r = np.linalg.norm(X, axis=1)
    assert np.all(r > 0) and np.all(r <= 1 + 1e-12)
    # noise=0: every point lies on its own arm, angle = 2*pi*k/C + 4*r (mod 2*pi).
    expected = 2 * np.pi * y / n_classes + 4 * r
    diff = np.angle(np.exp(1j * (np.arctan2(X[:, 1], X[:, 0]) - expected)))
    np.testing.assert_allclose(diff, 0.0, atol=1e-9)
    # ... and points of different arms never coincide.
    dist = np.linalg.norm(X[:, None, :] - X[None, :, :], axis=-1)
    assert dist[y[:, None] != y[None, :]].min(initial=np.inf) > 1e-3


@pytest.mark.parametrize("fn", [make_moons, make_circles, make_xor])
def test_noise_scales_one_fixed_draw(fn):
    # Same seed, different noise: the same points moved along the same directions,
    # so a noise slider changes only how far the points move.
    X0, y0 = fn(noise=0.0)
    X1, y1 = fn(noise=0.1)
    X2, y2 = fn(noise=0.3)
    np.testing.assert_array_equal(y0, y1)
    np.testing.assert_array_equal(y0, y2)
    np.testing.assert_allclose((X2 - X0) / 0.3, (X1 - X0) / 0.1, atol=1e-9)


def test_spirals_noise_only_moves_angle():
    X0, y0 = make_spirals(noise=0.0)
    X1, y1 = make_spirals(noise=0.5)
    np.testing.assert_array_equal(y0, y1)  # same shuffle: noise draws come first
    np.testing.assert_allclose(np.linalg.norm(X0, axis=1), np.linalg.norm(X1, axis=1))


def test_blobs_given_centers_and_std():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [-10.0, -10.0]])
    X, y = make_blobs(4000, centers=centers, cluster_std=[0.5, 1.0, 1.5, 2.0], rng=3)
    assert X.shape == (4000, 2) and np.bincount(y).tolist() == [1000] * 4
    for k, std in enumerate([0.5, 1.0, 1.5, 2.0]):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.2)
        np.testing.assert_allclose(X[y == k].std(axis=0), std, rtol=0.1)
    X0, y0 = make_blobs(8, centers=centers, cluster_std=0.0)
    np.testing.assert_array_equal(X0, centers[y0])


def test_blobs_random_centers_and_features():
    X, y = make_blobs(50, centers=5, n_features=3, cluster_std=0.0)
    assert X.shape == (50, 3) and set(y.tolist()) == set(range(5))
    assert np.all(np.abs(X) <= 10)
    assert len(np.unique(X, axis=0)) == 5


def test_blobs_bad_arguments():
    with pytest.raises(ValueError, match="n_features=3"):
        make_blobs(centers=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="cluster_std"):
        make_blobs(centers=3, cluster_std=[1.0, 2.0])
    with pytest.raises(ValueError, match="centers must be"):
        make_blobs(centers=[1.0, 2.0])
    with pytest.raises(ValueError, match="centers must be >= 1"):
        make_blobs(centers=0)


def test_sine_and_line_noise0_exact():
    X, y = make_sine(50, noise=0.0)
    assert np.all(np.abs(X) <= np.pi)
    np.testing.assert_array_equal(y, np.sin(X))
    X, y = make_line(50, slope=-3.0, intercept=0.5, noise=0.0)
    assert np.all(np.abs(X) <= 1)
    np.testing.assert_allclose(y, -3.0 * X + 0.5, atol=1e-15)


def test_line_noise_scale():
    X, y = make_line(5000, noise=0.3)
    residual = y - (2.0 * X + 1.0)
    assert abs(residual.std() - 0.3) < 0.02 and abs(residual.mean()) < 0.02


# ----------------------------------------------------------------------------- train_test_split
def _ids(n=40, d=3):
    """Rows whose first column is a unique id, and labels derived from the id."""
    X = np.column_stack([np.arange(n, dtype=float), np.ones((n, d - 1))])  # (n, d)
    y = np.arange(n) % 4  # (n,)
    return X, y


@pytest.mark.parametrize(("test_size", "n_test"), [(0.25, 10), (0.1, 4), (0.7, 28), (13, 13)])
def test_split_sizes(test_size, n_test):
    X, y = _ids()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size)
    assert X_te.shape == (n_test, 3) and y_te.shape == (n_test,)
    assert X_tr.shape == (40 - n_test, 3) and y_tr.shape == (40 - n_test,)


def test_split_fraction_rounds_test_size_up():
    X = np.arange(10)
    assert len(train_test_split(X, X, test_size=0.25)[1]) == 3  # ceil(2.5)
    X = np.arange(100)
    assert len(train_test_split(X, X, test_size=0.07)[1]) == 7  # 0.07 * 100 is 7.000000000000001


@pytest.mark.parametrize("stratify", [False, True])
def test_split_disjoint_union_and_pairs_kept(stratify):
    X, y = _ids()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, stratify=stratify, rng=7)
    ids_tr, ids_te = X_tr[:, 0].astype(int), X_te[:, 0].astype(int)
    assert set(ids_tr).isdisjoint(ids_te)
    assert sorted(np.concatenate([ids_tr, ids_te]).tolist()) == list(range(40))
    np.testing.assert_array_equal(y_tr, ids_tr % 4)  # each row keeps its own label
    np.testing.assert_array_equal(y_te, ids_te % 4)
    assert not np.array_equal(ids_tr, np.sort(ids_tr))  # rows are shuffled


def test_split_stratified_proportions():
    y = np.repeat([0, 1, 2], [150, 40, 10])
    X = np.arange(200.0)[:, None]
    _, _, y_tr, y_te = train_test_split(X, y, test_size=0.2, stratify=True)
    assert np.bincount(y_te).tolist() == [30, 8, 2]
    assert np.bincount(y_tr).tolist() == [120, 32, 8]
    # Shares that do not divide evenly are rounded to within one row per class.
    _, _, _, y_te = train_test_split(X[:197], y[:197], test_size=0.3, stratify=True)
    counts = np.bincount(y_te, minlength=3)
    assert counts.sum() == 60
    assert np.all(np.abs(counts - np.array([150, 40, 7]) * 60 / 197) < 1)


def test_split_stratified_with_string_labels():
    y = np.array(["cat"] * 12 + ["dog"] * 4)
    _, _, _, y_te = train_test_split(np.zeros((16, 2)), y, test_size=0.25, stratify=True)
    assert sorted(y_te.tolist()) == ["cat"] * 3 + ["dog"]


def test_split_does_not_mutate_and_returns_copies():
    X, y = _ids()
    X_before, y_before = X.copy(), y.copy()
    parts = train_test_split(X, y, stratify=True)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    for part in parts:
        assert not np.shares_memory(part, X) and not np.shares_memory(part, y)


def test_split_reproducible_and_accepts_lists_and_images():
    X, y = _ids()
    a = train_test_split(X, y)
    b = train_test_split(X, y, rng=0)
    c = train_test_split(X, y, rng=1)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])
    X_tr, X_te, y_tr, y_te = train_test_split(X.tolist(), y.tolist())
    assert isinstance(X_tr, np.ndarray) and X_tr.shape == (30, 3)
    images = np.zeros((20, 8, 8))
    X_tr, X_te, _, _ = train_test_split(images, np.zeros((20, 1)), test_size=5)
    assert X_tr.shape == (15, 8, 8) and X_te.shape == (5, 8, 8)


def test_split_errors():
    X, y = _ids()
    with pytest.raises(ValueError, match="X has 40 rows but y has 39"):
        train_test_split(X, y[:-1])
    for bad in (0.0, 1.0, 1.5, -0.2, 0, 40):
        with pytest.raises(ValueError, match="test_size"):
            train_test_split(X, y, test_size=bad)
    with pytest.raises(TypeError, match="test_size"):
        train_test_split(X, y, test_size=True)
    with pytest.raises(ValueError, match="shape \\(N,\\)"):
        train_test_split(X, y[:, None], stratify=True)
    with pytest.raises(ValueError, match="training rows"):
        train_test_split(np.arange(3), np.arange(3), test_size=0.9)


# ----------------------------------------------------------------------------- digits
# Structural facts from the dataset description: 1797 samples, 64 features (8x8),
# 10 classes, integer pixel values 0..16.
N_DIGITS, N_PIXELS = 1797, 64
# Checksums computed once from the data by scripts/convert_digits.py (it prints them
# and records the SHA-256 digests in nnlib/data/DIGITS_LICENSE.txt).
SHA256_X = "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3"
SHA256_Y = "8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0"
PIXEL_SUM = 561718
CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def _data_file(name):
    return resources.files("nnlib") / "data" / name


def test_load_digits_shapes_labels_range():
    X, y = load_digits()
    assert X.shape == (N_DIGITS, N_PIXELS) and X.dtype == np.float64
    assert y.shape == (N_DIGITS,) and y.dtype == np.int64
    assert set(y.tolist()) == set(range(10))
    assert np.all((np.bincount(y) > 160) & (np.bincount(y) < 200))  # about 180 each
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X * 16, np.round(X * 16))  # counts / 16 exactly


def test_load_digits_unscaled_images_and_float32():
    X, y = load_digits(scale=False)
    assert X.dtype == np.float64 and X.min() == 0 and X.max() == 16
    np.testing.assert_array_equal(X, np.round(X))
    np.testing.assert_array_equal(load_digits()[0] * 16, X)
    images, y_img = load_digits(return_images=True)
    assert images.shape == (N_DIGITS, 8, 8)
    np.testing.assert_array_equal(images.reshape(N_DIGITS, N_PIXELS) * 16, X)
    np.testing.assert_array_equal(y_img, y)
    X32, _ = load_digits(dtype=np.float32)
    assert X32.dtype == np.float32 and X32.max() == 1.0
    with pytest.raises(ValueError, match="floating dtype"):
        load_digits(dtype=np.uint8)


def test_load_digits_checksum():
    X, y = load_digits(scale=False)
    pixels = X.astype(np.uint8)
    assert hashlib.sha256(pixels.tobytes()).hexdigest() == SHA256_X
    assert hashlib.sha256(y.astype(np.uint8).tobytes()).hexdigest() == SHA256_Y
    assert int(pixels.sum(dtype=np.int64)) == PIXEL_SUM
    assert np.bincount(y).tolist() == CLASS_COUNTS


def test_load_digits_returns_fresh_arrays():
    X, y = load_digits()
    X[:] = -1
    y[:] = -1
    X2, y2 = load_digits()
    assert X2.min() == 0 and y2.min() == 0


def test_digits_file_small_uint8_and_attributed():
    npz = _data_file("digits.npz")
    assert npz.is_file() and len(npz.read_bytes()) < 100 * 1024
    with npz.open("rb") as f, np.load(f) as data:
        assert sorted(data.files) == ["X", "y"]
        assert data["X"].dtype == np.uint8 and data["X"].shape == (N_DIGITS, N_PIXELS)
        assert data["y"].dtype == np.uint8 and data["y"].shape == (N_DIGITS,)
    text = _data_file("DIGITS_LICENSE.txt").read_text(encoding="utf-8")
    for needed in ("Alpaydin", "Kaynak", "UCI Machine Learning Repository", "CC BY 4.0"):
        assert needed in text
    assert SHA256_X in text and SHA256_Y in text


@pytest.mark.parametrize("module", [datasets, _digits], ids=lambda m: m.__name__)
def test_datasets_imports_only_numpy_and_stdlib(module):
    source = Path(module.__file__).read_text(encoding="utf-8")
    for heavy in ("sklearn", "matplotlib", "torch", "pandas"):
        assert f"import {heavy}" not in source and f"from {heavy}" not in source


def test_convert_script_reproduces_shipped_file(tmp_path):
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    spec = importlib.util.spec_from_file_location("convert_digits", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main(["--out-dir", str(tmp_path)])

    with np.load(tmp_path / "digits.npz") as new, _data_file("digits.npz").open("rb") as f:
        with np.load(f) as shipped:
            for key in ("X", "y"):
                assert new[key].dtype == shipped[key].dtype == np.uint8
                np.testing.assert_array_equal(new[key], shipped[key])
    shipped_text = _data_file("DIGITS_LICENSE.txt").read_text(encoding="utf-8")
    new_text = (tmp_path / "DIGITS_LICENSE.txt").read_text(encoding="utf-8")

    # Identical apart from the line naming the scikit-learn / NumPy versions used.
    def without_versions(text):
        return [ln for ln in text.splitlines() if not ln.startswith("(scikit-learn ")]

    assert without_versions(new_text) == without_versions(shipped_text)

    reference = sklearn_datasets.load_digits()
    X, y = load_digits(scale=False)
    np.testing.assert_array_equal(X, reference.data)
    np.testing.assert_array_equal(y, reference.target)
    np.testing.assert_array_equal(load_digits(return_images=True)[0] * 16, reference.images)


def test_digits_split_uses_every_image_once_and_is_stratified():
    X_train, X_val, X_test, y_train, y_val, y_test = datasets.digits_split()
    assert (len(X_train), len(X_val), len(X_test)) == (1077, 270, 450)
    X, y = datasets.load_digits()
    together = np.column_stack([np.concatenate([X_train, X_val, X_test]),
                                np.concatenate([y_train, y_val, y_test])])  # fmt: skip
    original = np.column_stack([X, y])
    np.testing.assert_array_equal(np.unique(together, axis=0), np.unique(original, axis=0))
    assert len(together) == len(original)
    for labels, n in ((y_train, 1077), (y_val, 270), (y_test, 450)):
        share = np.bincount(labels, minlength=10) / n
        np.testing.assert_allclose(share, np.bincount(y) / len(y), atol=0.01)


def test_digits_split_standardized_uses_the_training_rows_statistics_only():
    raw = datasets.digits_split()
    std = datasets.digits_split(standardized=True)
    for a, b in zip(raw[3:], std[3:], strict=True):
        np.testing.assert_array_equal(a, b)  # same rows, same labels
    raw_train = raw[0]
    mean = raw_train.mean(axis=0)  # (64,) written out here, independently of standardize
    sd = raw_train.std(axis=0)
    sd[sd == 0] = 1.0  # pixels blank in every training image map to 0
    assert (raw_train.std(axis=0) == 0).any()  # the digits do have such pixels
    for raw_part, std_part in zip(raw[:3], std[:3], strict=True):
        assert std_part.dtype == raw_part.dtype == np.float64 and std_part.shape == raw_part.shape
        np.testing.assert_allclose(std_part, (raw_part - mean) / sd, atol=1e-12)
    X_train, X_val, X_test = std[:3]
    varying = raw_train.std(axis=0) > 0
    np.testing.assert_allclose(X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=0)[varying], 1.0, rtol=1e-12)
    assert np.all(X_train[:, ~varying] == 0.0)
    for held_out in (X_val, X_test):  # not refitted: their own means are not 0
        assert np.abs(held_out.mean(axis=0)).max() > 0.05
    with pytest.raises(TypeError, match="standardized"):
        datasets.digits_split(standardized="yes")


# -- standardize ------------------------------------------------------------------------
def test_standardize_fits_on_training_rows_and_reuses_the_statistics(rng):
    X = np.array([5.0, -2.0, 100.0]) + np.array([3.0, 0.1, 20.0]) * rng.standard_normal((200, 3))
    X_train, X_test = X[:150], X[150:]
    X_train_s, stats = standardize(X_train)
    np.testing.assert_allclose(X_train_s.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_train_s.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(stats.mean, X_train.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.std, X_train.std(axis=0), rtol=1e-12)  # biased (ddof=0)
    X_test_s, same = standardize(X_test, stats)
    assert same is stats
    np.testing.assert_allclose(X_test_s, (X_test - X_train.mean(0)) / X_train.std(0), rtol=1e-12)
    assert abs(X_test_s.mean(axis=0)).max() > 1e-3  # the test rows' own statistics are not used


def test_standardize_maps_constant_columns_to_zero_without_dividing_by_zero():
    X, _ = load_digits()
    with np.errstate(all="raise"):
        X_s, stats = standardize(X)
    assert np.isfinite(X_s).all()
    corner = X[:, 0] == 0  # the top-left pixel is blank in every digit
    assert corner.all() and stats.constant[0] and stats.std[0] == 1.0
    assert np.array_equal(X_s[:, 0], np.zeros(len(X)))
    assert stats.constant.sum() == np.sum(X.min(axis=0) == X.max(axis=0))
    X_const = np.full((4, 2), 0.1)  # 0.1 is not exact in binary: no rounding residue either
    assert np.array_equal(standardize(X_const)[0], np.zeros((4, 2)))


def test_standardize_keeps_float32_and_does_not_modify_its_input(rng):
    X = rng.standard_normal((20, 3)).astype(np.float32) * 4 + 1
    X0 = X.copy()
    X_s, stats = standardize(X)
    assert X_s.dtype == np.float32 and stats.mean.dtype == np.float32
    assert np.array_equal(X, X0) and not np.shares_memory(X_s, X)
    assert standardize(X.astype(np.float64), stats)[0].dtype == np.float64
    assert standardize(np.arange(6).reshape(3, 2))[0].dtype == np.float64  # ints promoted


def test_standardize_rejects_mismatched_or_malformed_input(rng):
    _, stats = standardize(rng.standard_normal((10, 3)))
    with pytest.raises(ValueError, match=r"shape \(4, 2\).*fitted on rows of shape \(3,\)"):
        standardize(np.ones((4, 2)), stats)
    with pytest.raises(ValueError, match="reshape"):
        standardize(np.ones(5))
    with pytest.raises(ValueError, match="0 rows"):
        standardize(np.ones((0, 3)))
    with pytest.raises(TypeError, match="Standardization"):
        standardize(np.ones((2, 3)), (np.zeros(3), np.ones(3)))
