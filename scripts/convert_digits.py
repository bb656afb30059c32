"""Produce nnlib's bundled copy of the 8x8 handwritten digits (run once, by a maintainer).

Reads scikit-learn's bundled ``sklearn/datasets/data/digits.csv.gz`` (1,797 rows:
64 pixel counts 0..16, then the digit 0..9) and writes

* ``nnlib/data/digits.npz``: ``X`` uint8 ``(1797, 64)`` and ``y`` uint8 ``(1797,)``,
  zip-compressed (about 45 KB);
* ``nnlib/data/DIGITS_LICENSE.txt``: attribution, licence and how the file was made.

scikit-learn is only needed here, never by nnlib itself::

    /work/venv/bin/python scripts/convert_digits.py            # writes into nnlib/data/
    /work/venv/bin/python scripts/convert_digits.py --out-dir /tmp/digits

tests/test_datasets.py re-runs this script into a temporary folder (when
scikit-learn is importable) and checks that its output matches the shipped files.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
from importlib import resources
from pathlib import Path

import numpy as np

DEFAULT_OUT_DIR = Path(__file__).resolve().parents[1] / "nnlib" / "data"

LICENSE_TEXT = """\
Optical Recognition of Handwritten Digits (8x8), as shipped in nnlib/data/digits.npz
===================================================================================

Source
------
E. Alpaydin and C. Kaynak. "Optical Recognition of Handwritten Digits".
UCI Machine Learning Repository, 1998. https://doi.org/10.24432/C50P49
https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits

Licence
-------
Creative Commons Attribution 4.0 International (CC BY 4.0),
https://creativecommons.org/licenses/by/4.0/
The MIT licence of nnlib's code does not apply to this data file.

What the file holds
-------------------
The test set of the UCI data (optdigits.tes, 1,797 digits written by 13 people),
in the copy bundled with scikit-learn (sklearn/datasets/data/digits.csv.gz).
Each 32x32 bitmap was split into 4x4 blocks and the "on" pixels of each block
counted, giving an 8x8 image of integers 0..16.

    X  uint8 (1797, 64)   pixel counts 0..16, row-major 8x8 image per row
    y  uint8 (1797,)      the digit, 0..9

Changes made
------------
Only the storage format: the CSV was converted to a compressed NumPy .npz file
with uint8 values. No value was changed, no row removed or reordered.

How it was produced
-------------------
    python scripts/convert_digits.py
(scikit-learn {sklearn_version}, NumPy {numpy_version}). Load it with nnlib.datasets.load_digits().

Checksums of the arrays (SHA-256 of the C-ordered uint8 bytes)
    X  {sha_x}
    y  {sha_y}
"""


def read_sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """Read scikit-learn's bundled digits CSV.

    Returns
    -------
    X : np.ndarray, uint8, shape (1797, 64)
        Pixel counts 0..16.
    y : np.ndarray, uint8, shape (1797,)
        Digits 0..9.
    """
    csv_gz = resources.files("sklearn.datasets.data") / "digits.csv.gz"
    with csv_gz.open("rb") as raw, gzip.open(raw, "rt") as text:
        data = np.loadtxt(text, delimiter=",", dtype=np.int64)  # (1797, 65)

    if data.shape != (1797, 65):
        raise ValueError(f"expected 1797 rows of 65 values in {csv_gz}; got shape {data.shape}")
    X, y = data[:, :64], data[:, 64]
    if X.min() < 0 or X.max() > 16 or not set(np.unique(y)) <= set(range(10)):
        raise ValueError("pixels must lie in 0..16 and labels in 0..9")
    return X.astype(np.uint8), y.astype(np.uint8)


def sha256(a: np.ndarray) -> str:
    """SHA-256 hex digest of an array's C-ordered bytes."""
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def license_text(X: np.ndarray, y: np.ndarray) -> str:
    """The attribution file's text, with the checksums of ``X`` and ``y``."""
    import sklearn

    return LICENSE_TEXT.format(
        sklearn_version=sklearn.__version__,
        numpy_version=np.__version__,
        sha_x=sha256(X),
        sha_y=sha256(y),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)

    X, y = read_sklearn_digits()

    # Cross-check against scikit-learn's own loader, so a change in its CSV layout is caught.
    from sklearn.datasets import load_digits

    reference = load_digits()
    np.testing.assert_array_equal(X, reference.data)
    np.testing.assert_array_equal(y, reference.target)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    npz_path = args.out_dir / "digits.npz"
    np.savez_compressed(npz_path, X=X, y=y)
    (args.out_dir / "DIGITS_LICENSE.txt").write_text(license_text(X, y), encoding="utf-8")

    print(f"wrote {npz_path} ({npz_path.stat().st_size / 1024:.1f} KB)")
    print(f"  X {X.shape} {X.dtype}, sum of pixels {int(X.sum(dtype=np.int64))}")
    print(f"  y {y.shape} {y.dtype}, per-class counts {np.bincount(y, minlength=10).tolist()}")
    print(f"  sha256 X {sha256(X)}")
    print(f"  sha256 y {sha256(y)}")


if __name__ == "__main__":
    main()
