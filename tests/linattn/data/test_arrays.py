"""linattn.data.arrays: a user's .npz, .npy (+ labels) or IDX folder as a dataset, good and
corrupt files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from linattn import data
from linattn.data import arrays, idx
from pyverify.errors import ConfigError, DataError


@pytest.fixture(autouse=True)
def _clean_registry():
    yield
    for name in ("mine", "plain", "emb", "fashion"):
        arrays.forget(name)


def _npz(tmp_path, name="mine", **arrs):
    path = tmp_path / f"{name}.npz"
    np.savez(path, **arrs)
    return path


def test_npz_with_a_test_split_loads_through_load_dataset(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.random((30, 5)), rng.integers(0, 3, 30)
    Xt, yt = rng.random((10, 5)), rng.integers(0, 3, 10)
    src = arrays.array_source(_npz(tmp_path, X=X, y=y, X_test=Xt, y_test=yt))
    assert src.name == "mine" and src.kind == "npz"
    arrays.register(src)
    tr = data.load_dataset("mine", split="train")
    te = data.load_dataset("mine", split="test")
    np.testing.assert_array_equal(tr.X, X[np.isin(y, [0, 1, 2])])  # values as given
    np.testing.assert_array_equal(te.y, yt)
    assert data.resolve_classes("mine", "binary") == (0, 1)
    assert data.resolve_classes("mine", "5class") == (0, 1, 2)  # only 3 classes
    assert "mine.npz" in tr.checksums and len(tr.checksums["mine.npz"]) == 64
    assert data.available_rows("mine", split="test", classes="binary") == int(
        np.isin(yt, [0, 1]).sum())
    b_tr, b_te = data.load_split("mine", classes="binary", n=8, n_test=4, seed=1)
    assert b_tr.n == 8 and set(b_tr.y) <= {0, 1} and b_te.n == 4


def test_npy_without_test_is_split_like_digits_and_labels_pair_up(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 4, 2))  # images: flattened per row
    np.save(tmp_path / "emb.npy", X)
    np.save(tmp_path / "lab.npy", np.arange(50) % 2)
    got = data.load_arrays(tmp_path / "emb.npy", labels=tmp_path / "lab.npy")
    perm = np.random.default_rng(0).permutation(50)
    np.testing.assert_array_equal(got.origin, np.sort(perm[:40]))
    np.testing.assert_array_equal(got.X, X.reshape(50, 8)[got.origin])
    assert got.labelled and got.n_classes == 2
    test = data.load_arrays(tmp_path / "emb.npy", labels=tmp_path / "lab.npy", split="test")
    assert sorted([*got.origin, *test.origin]) == list(range(50))


def test_unlabelled_data_runs_only_where_no_labels_are_needed(tmp_path):
    np.save(tmp_path / "plain.npy", np.random.default_rng(2).random((20, 3)))
    arrays.register(arrays.array_source(tmp_path / "plain.npy"))
    assert data.load_dataset("plain").n == 16  # "10class": every row
    with pytest.raises(DataError, match="needs labels"):
        data.load_dataset("plain", classes="binary")


def test_idx_folder_in_mnists_layout(tmp_path):
    folder = tmp_path / "fashion"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for split, n in (("train", 12), ("t10k", 5)):
        imgs = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labs = rng.integers(0, 10, n, dtype=np.uint8)
        idx.write_idx(folder / f"{split}-images-idx3-ubyte.gz", imgs)
        idx.write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labs)
    src = arrays.array_source(folder)
    assert src.kind == "idx" and src.name == "fashion"
    got = data.load_arrays(folder)
    assert got.X.shape == (12, 784) and got.X.max() <= 1.0  # pixels / 255


@pytest.mark.parametrize(("make", "match"), [
    (lambda p: np.savez(p / "a.npz", Z=np.ones((3, 2))), "named 'X'"),
    (lambda p: np.savez(p / "a.npz", X=np.ones(3)), r"shape \(n, d\)"),
    (lambda p: np.savez(p / "a.npz", X=np.ones((1, 2))), "at least 2 rows"),
    (lambda p: np.savez(p / "a.npz", X=np.array([[1.0, np.nan], [0, 1]])), "finite"),
    (lambda p: np.savez(p / "a.npz", X=np.ones((3, 2), bool)), "real numeric"),
    (lambda p: np.savez(p / "a.npz", X=np.ones((3, 2)) * 1j), "real numeric"),
    (lambda p: np.savez(p / "a.npz", X=np.ones((3, 2)), y=np.array([0, 1])), "one label per"),
    (lambda p: np.savez(p / "a.npz", X=np.ones((3, 2)), y=np.array([0, -1, 1])), "0..2"),
    (lambda p: np.savez(p / "a.npz", X=np.ones((3, 2)), y=np.array([0, 0.5, 1])), "integer"),
    (lambda p: (p / "a.npz").write_bytes(b"not a zip file"), "unreadable"),
    (lambda p: (p / "a.npz").write_bytes(gzip.compress(b"x")), "unreadable"),
])
def test_corrupt_files_are_data_errors_naming_the_problem(tmp_path, make, match):
    make(tmp_path)
    with pytest.raises(DataError, match=match):
        data.load_arrays(tmp_path / "a.npz")


def test_bad_sources(tmp_path):
    with pytest.raises(DataError, match="not found"):
        arrays.array_source(tmp_path / "missing.npz")
    (tmp_path / "x.csv").write_text("1,2")
    with pytest.raises(DataError, match=r"\.npz, a \.npy"):
        arrays.array_source(tmp_path / "x.csv")
    np.save(tmp_path / "mnist.npy", np.ones((3, 2)))
    with pytest.raises(ConfigError, match="built-in"):
        arrays.array_source(tmp_path / "mnist.npy")
    _npz(tmp_path, X=np.ones((3, 2)))
    with pytest.raises(DataError, match="--labels"):
        arrays.array_source(tmp_path / "mine.npz", labels=tmp_path / "mine.npz")
    sub = tmp_path / "other"
    sub.mkdir()
    np.savez(sub / "mine.npz", X=np.zeros((3, 2)))
    arrays.register(arrays.array_source(tmp_path / "mine.npz"))
    with pytest.raises(ConfigError, match="same stem"):
        arrays.register(arrays.array_source(sub / "mine.npz"))
