"""Tests of linattn.data: public loaders, class subsets, preprocessing, bad inputs."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_digits

from linattn import data
from linattn.data import (
    BINARY_CLASSES,
    CLASS_SETTINGS,
    DATASETS,
    Preprocess,
    cifar,
    dataset_available,
    idx,
    load_dataset,
    load_split,
    pm1_labels,
    remap_labels,
    resolve_classes,
    select,
)
from pyverify.errors import ConfigError, DataError, InputError
from pyverify.tolerance import matmul_rtol

# ----------------------------------------------------------------------------- fixtures


def _write_mnist(folder: Path, n_train: int = 40, n_test: int = 20, *, gz: bool = True,
                 zero_row: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    suffix = ".gz" if gz else ""
    for split, m in (("train", n_train), ("t10k", n_test)):
        imgs = rng.integers(1, 256, (m, 28, 28), dtype=np.uint8)
        if zero_row:
            imgs[0] = 0
        idx.write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", imgs)
        idx.write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}",
                       (np.arange(m) % 10).astype(np.uint8))
    return folder


def _write_cifar(folder: Path, n_train: int = 30, n_test: int = 10) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    for name, m in (("data_batch_1", n_train), ("test_batch", n_test)):
        cifar.write_batch(folder / name, rng.integers(0, 256, (m, 3072), dtype=np.uint8),
                           [i % 10 for i in range(m)])
    names = [f"c{i}".encode() for i in range(10)]
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}, protocol=2))
    return folder


# ----------------------------------------------------------------------------- digits


def test_digits_split_partitions_the_bundled_data():
    tr, te = load_split("digits", preprocess=Preprocess(scale=False))
    assert (tr.n, tr.d, te.n, te.d) == (1437, 64, 360, 64)
    assert tr.X.dtype == np.float64 and tr.y.dtype == np.int64
    ref = load_digits()
    assert set(tr.indices.tolist()).isdisjoint(te.indices.tolist())
    assert sorted([*tr.indices, *te.indices]) == list(range(1797))
    np.testing.assert_array_equal(tr.X, ref.data[tr.indices])
    both_X = np.vstack([tr.X, te.X])
    both_y = np.concatenate([tr.y, te.y])
    # Same multiset of (row, label) as the raw bundled data.
    key = lambda X, y: sorted(map(tuple, np.column_stack([X, y]).tolist()))  # noqa: E731
    assert key(both_X, both_y) == key(ref.data, ref.target)
    assert tr.source.startswith("sklearn bundled digits")
    assert len(tr.checksums) == 2


def test_digits_scaling_and_determinism():
    a = load_dataset("digits", n=200, seed=3)
    b = load_dataset("digits", n=200, seed=3)
    c = load_dataset("digits", n=200, seed=4)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.indices, c.indices)
    assert a.X.min() == 0.0 and a.X.max() == 1.0
    raw = load_dataset("digits", n=200, seed=3, preprocess=Preprocess(scale=False))
    np.testing.assert_array_equal(raw.X / 16.0, a.X)


@pytest.mark.parametrize("setting, expected", [("binary", BINARY_CLASSES["digits"]),
                                               ("5class", (0, 1, 2, 3, 4)),
                                               ("10class", tuple(range(10)))])
def test_class_settings(setting, expected):
    ds = load_dataset("digits", classes=setting)
    assert ds.classes == expected and set(ds.y.tolist()) == set(expected)
    assert ds.class_names == tuple(str(c) for c in expected)


def test_stratified_subsample_counts():
    full = load_dataset("digits", classes="5class")
    sizes = np.bincount(full.y, minlength=5)[:5]
    ds = load_dataset("digits", classes="5class", n=101, seed=7)
    counts = np.bincount(ds.y, minlength=5)[:5]
    assert counts.sum() == 101
    assert np.all(np.abs(counts - 101 * sizes / sizes.sum()) < 1)
    # Subsampled rows are genuine rows of the split.
    np.testing.assert_array_equal(ds.X, load_digits().data[ds.indices] / 16.0)
    np.testing.assert_array_equal(ds.y, load_digits().target[ds.indices])


def test_n_too_large_names_the_numbers():
    with pytest.raises(DataError, match=r"exceeds the \d+ rows of classes \(0, 1\).*got 100000"):
        load_dataset("digits", classes="binary", n=100_000)


@pytest.mark.parametrize("n", [0, -3, 1.5, True, "10"])
def test_bad_n_is_config_error(n):
    with pytest.raises(ConfigError, match="n: must be a positive integer"):
        load_dataset("digits", n=n)


@pytest.mark.parametrize("kw, pattern", [
    ({"split": "val"}, "split: must be one of"),
    ({"seed": -1}, "seed: must be a non-negative integer"),
    ({"classes": "3class"}, r"unknown class setting.*binary.*5class.*10class"),
    ({"classes": ()}, "non-empty tuple of distinct"),
    ({"classes": (0, 0)}, "distinct"),
    ({"classes": (0, 10)}, r"0\.\.9"),
    ({"classes": ("a", "b")}, "class ids"),
    ({"classes": 3}, "tuple of ints"),
    ({"preprocess": "center"}, "must be a Preprocess"),
])
def test_bad_options(kw, pattern):
    with pytest.raises(ConfigError, match=pattern):
        load_dataset("digits", **kw)


@pytest.mark.parametrize("name", ["imagenet", "", None, "cifar100"])
def test_unknown_dataset_lists_valid_ones(name):
    with pytest.raises(ConfigError, match=r"digits.*mnist.*cifar10"):
        load_dataset(name)


def test_preprocess_validation_and_describe():
    with pytest.raises(ConfigError, match=r"preprocess\.center: must be a bool"):
        Preprocess(center=1)
    text = Preprocess(center=True, row_normalize=True).describe()
    assert "[0,1]" in text and "training mean" in text and "unit l2" in text
    assert "no scaling" in Preprocess(scale=False).describe()


def test_centering_uses_the_train_mean():
    pp = Preprocess(center=True)
    tr, te = load_split("digits", classes="binary", n=50, n_test=20, preprocess=pp)
    full = load_dataset("digits", classes="binary")  # all training rows, scaled to [0, 1]
    mean = full.X.mean(axis=0)
    tol = matmul_rtol("float64", full.n)  # a mean is an inner product of length n
    np.testing.assert_allclose(tr.center_mean, mean, rtol=0, atol=tol)
    np.testing.assert_array_equal(te.center_mean, tr.center_mean)
    raw_te = load_dataset("digits", split="test", classes="binary", n=20)
    np.testing.assert_allclose(te.X, raw_te.X - mean, rtol=0, atol=tol)
    assert not np.allclose(tr.center_mean, 0)
    alone = load_dataset("digits", split="test", classes="binary", n=20, preprocess=pp)
    np.testing.assert_array_equal(alone.X, te.X)


def test_row_normalize():
    ds = load_dataset("digits", n=30, preprocess=Preprocess(row_normalize=True))
    np.testing.assert_allclose(np.linalg.norm(ds.X, axis=1), 1.0,
                               rtol=matmul_rtol("float64", ds.d))


def test_zero_row_with_row_normalize(tmp_path):
    _write_mnist(tmp_path / "mnist", zero_row=True)
    with pytest.raises(DataError, match="row_normalize needs nonzero rows; 1 rows"):
        load_dataset("mnist", data_dir=tmp_path, classes=(0, 1),
                     preprocess=Preprocess(row_normalize=True))


def test_label_helpers():
    y = np.array([7, 3, 3, 7])
    np.testing.assert_array_equal(remap_labels(y, (3, 7)), [1, 0, 0, 1])
    np.testing.assert_array_equal(remap_labels(y, (7, 3)), [0, 1, 1, 0])
    np.testing.assert_array_equal(pm1_labels(y, (3, 7)), [1.0, -1.0, -1.0, 1.0])
    with pytest.raises(InputError, match=r"labels must lie in classes \(3,\).*\[7\]"):
        remap_labels(y, (3,))
    with pytest.raises(InputError, match="exactly two classes"):
        pm1_labels(y, (3, 7, 1))
    with pytest.raises(InputError, match="1-D integer"):
        remap_labels(np.array([0.5]), (0, 1))
    ds = load_dataset("digits", classes=(4, 2), n=10)
    assert set(ds.pm1_labels().tolist()) == {-1.0, 1.0}
    assert set(ds.remapped_labels().tolist()) == {0, 1}


def test_resolve_classes():
    assert resolve_classes("cifar10", "binary") == BINARY_CLASSES["cifar10"]
    assert resolve_classes("mnist", [2, np.int64(5)]) == (2, 5)
    assert set(BINARY_CLASSES) == set(DATASETS) and len(CLASS_SETTINGS) == 3


@given(n=st.integers(1, 60), sizes=st.lists(st.integers(1, 40), min_size=1, max_size=10))
def test_quotas_property(n, sizes):
    n = min(n, sum(sizes))
    q = select.quotas(n, sizes)
    assert sum(q) == n and all(0 <= a <= s for a, s in zip(q, sizes, strict=True))
    if n >= len(sizes):
        assert min(q) >= 1


# ----------------------------------------------------------------------------- files


def test_missing_data_dir_is_named(tmp_path):
    missing = tmp_path / "nope"
    for name in DATASETS:
        with pytest.raises(DataError, match=f"data_dir: does not exist.*{missing}"):
            load_dataset(name, data_dir=missing)


@pytest.mark.parametrize("name, files", [
    ("mnist", ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]),
    ("cifar10", ["data_batch_1", "batches.meta"]),
])
def test_missing_files_say_what_to_put_where(tmp_path, name, files):
    with pytest.raises(DataError) as info:
        load_dataset(name, data_dir=tmp_path)
    msg = str(info.value)
    assert all(f in msg for f in files) and str(tmp_path) in msg and "download" in msg
    assert not dataset_available(name, tmp_path)


@pytest.mark.parametrize("sub, gz", [("", True), ("mnist", True), ("mnist", False),
                                     ("MNIST/raw", True)])
def test_mnist_layouts(tmp_path, sub, gz):
    _write_mnist(tmp_path / sub if sub else tmp_path, gz=gz)
    assert dataset_available("mnist", tmp_path)
    tr, te = load_split("mnist", data_dir=tmp_path)
    assert (tr.n, tr.d, te.n, te.d) == (40, 784, 20, 784)
    assert 0.0 < tr.X.max() <= 1.0 and set(tr.checksums) == {
        f"train-images-idx3-ubyte{'.gz' if gz else ''}",
        f"train-labels-idx1-ubyte{'.gz' if gz else ''}"}


@pytest.mark.parametrize("sub", ["", "cifar-10-batches-py", "cifar10/cifar-10-batches-py",
                                 "cifar10"])
def test_cifar_layouts(tmp_path, sub):
    _write_cifar(tmp_path / sub if sub else tmp_path)
    assert dataset_available("cifar10", tmp_path)
    tr, te = load_split("cifar10", data_dir=tmp_path, classes=(0, 9))
    assert (tr.n, tr.d, te.n, te.d) == (6, 3072, 2, 3072)
    assert tr.class_names == ("c0", "c9")
    assert set(te.checksums) == {"test_batch", "batches.meta"}


def test_corrupt_files_surface_as_data_errors(tmp_path):
    folder = _write_mnist(tmp_path / "mnist")
    lab = folder / "train-labels-idx1-ubyte.gz"
    idx.write_idx(lab, np.zeros(39, np.uint8))
    with pytest.raises(DataError, match="label count must equal the image count"):
        load_dataset("mnist", data_dir=tmp_path)
    cfolder = _write_cifar(tmp_path / "cifar10")
    cifar.write_batch(cfolder / "test_batch", np.zeros((3, 3000), np.uint8), [0, 1, 2])
    with pytest.raises(DataError, match="b'data' must be a uint8 array"):
        load_dataset("cifar10", split="test", data_dir=tmp_path)


def test_default_data_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("LINATTN_DATA_DIR", str(tmp_path))
    assert data.default_data_dir() == tmp_path
    _write_mnist(tmp_path / "mnist")
    assert load_dataset("mnist", classes="binary").n == 8


# ----------------------------------------------------------------------------- real data
# Expected counts and checksums are copied from ../shared/data/README.md.

MNIST_COUNTS = {"train": [784, 882, 805, 828, 789, 679, 811, 882, 755, 785],
                "test": [217, 245, 186, 204, 191, 184, 203, 188, 189, 193]}
MNIST_SHA = {
    "train-images-idx3-ubyte.gz":
        "8134ed5ba757bb1e16e5fd9a967644919581bcea3f21cec80cdcab4a6433cca9",
    "train-labels-idx1-ubyte.gz":
        "5dd00f31fe5814076cec287de818e0468646a06dfda8a985b35936ab0c6e6d8f",
    "t10k-images-idx3-ubyte.gz":
        "f996832f9f5378574c84b85e506d466948a5e5f687fa847562a1aac14b61ea84",
    "t10k-labels-idx1-ubyte.gz":
        "4f0d33f8a64f690111435d87b28831ec82c868ecbd8de0fbe5742988b3b1808a",
}
CIFAR_COUNTS = {"train": [396, 366, 420, 384, 422, 393, 414, 385, 407, 413],
                "test": [103, 89, 100, 103, 90, 86, 112, 102, 106, 109]}
CIFAR_SHA = {
    "data_batch_1": "7865aac88e5d82ede9e9706d09be89c0c058339b2be1373cec6556b9dfd6a1e7",
    "test_batch": "b37d78fcbbfd5a93528211e3749f674bd614f360f5e8d830e3456b87e394c494",
    "batches.meta": "c1729a65879a88fc09b101aac8cd75d998aacc30a3374e8d4970fb775725907e",
}
CIFAR_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")


@pytest.mark.data
def test_real_mnist(mnist_dir):
    root = mnist_dir.parent
    assert dataset_available("mnist", root)
    tr, te = load_split("mnist", data_dir=root)
    assert tr.X.shape == (8000, 784) and te.X.shape == (2000, 784)
    for ds in (tr, te):
        assert np.bincount(ds.y).tolist() == MNIST_COUNTS[ds.split]
        assert ds.X.min() >= 0.0 and ds.X.max() == 1.0
        for f, h in ds.checksums.items():
            assert MNIST_SHA[f] == h
    assert len(tr.checksums) == len(te.checksums) == 2
    # Also reachable with data_dir = the mnist folder itself.
    assert load_dataset("mnist", data_dir=mnist_dir, classes="binary", n=10).n == 10


@pytest.mark.data
def test_real_cifar10(cifar_dir):
    root = cifar_dir.parent.parent
    assert dataset_available("cifar10", root)
    tr, te = load_split("cifar10", data_dir=root)
    assert tr.X.shape == (4000, 3072) and te.X.shape == (1000, 3072)
    assert tr.class_names == CIFAR_NAMES
    for ds in (tr, te):
        assert np.bincount(ds.y).tolist() == CIFAR_COUNTS[ds.split]
        for f, h in ds.checksums.items():
            assert CIFAR_SHA[f] == h
    assert "1 of 5 training batches found" in tr.source
    b = load_dataset("cifar10", data_dir=cifar_dir, classes="binary", n=20, seed=1)
    assert b.class_names == ("airplane", "automobile") and np.bincount(b.y).tolist() == [10, 10]
