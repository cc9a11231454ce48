"""Tests of linattn.data.cifar: restricted unpickling and batch validation."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linattn.data import cifar
from pyverify.errors import DataError


def _data(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 3072), dtype=np.uint8)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_round_trip(tmp_path, protocol):
    data, labels = _data(6), [3, 8, 8, 0, 6, 9]
    p = tmp_path / "data_batch_1"
    cifar.write_batch(p, data, labels, protocol=protocol)
    X, y = cifar.read_batch(p)
    np.testing.assert_array_equal(X, data)
    np.testing.assert_array_equal(y, labels)
    assert X.dtype == np.uint8 and y.dtype == np.int64


def test_str_keys_and_array_labels_accepted(tmp_path):
    p = tmp_path / "b"
    p.write_bytes(pickle.dumps({"data": _data(2), "labels": np.array([1, 2])}, protocol=2))
    X, y = cifar.read_batch(p)
    assert X.shape == (2, 3072) and y.tolist() == [1, 2]


@pytest.mark.parametrize(
    "data",
    [
        np.zeros((3, 3071), np.uint8),
        np.zeros((3, 3072), np.float32),
        np.zeros(3072, np.uint8),
        np.zeros((0, 3072), np.uint8),
        [[0] * 3072] * 3,
    ],
    ids=["cols", "dtype", "1d", "empty", "list"],
)
def test_wrong_data_shape_or_type(tmp_path, data):
    p = tmp_path / "b"
    cifar.write_batch(p, data, [0, 0, 0])
    with pytest.raises(DataError, match=r"b'data' must be a uint8 array of shape"):
        cifar.read_batch(p)


@pytest.mark.parametrize("drop", [b"data", b"labels"])
def test_missing_key(tmp_path, drop):
    d = {b"data": _data(2), b"labels": [0, 1]}
    del d[drop]
    p = tmp_path / "b"
    p.write_bytes(pickle.dumps(d, protocol=2))
    with pytest.raises(DataError, match=f"missing key {drop!r}"):
        cifar.read_batch(p)


@pytest.mark.parametrize(
    "labels, pattern",
    [
        ([0, 1], r"label count must equal the number of images \(3\)"),
        ([0, 1, 10], r"0\.\.9"),
        ([0, -1, 2], r"0\.\.9"),
        ([0.0, 1.0, 2.0], "only ints"),
        ([True, False, True], "only ints"),
        ("abc", "list of ints"),
        (np.zeros((3, 1), np.int64), "1-D"),
    ],
)
def test_bad_labels(tmp_path, labels, pattern):
    p = tmp_path / "b"
    cifar.write_batch(p, _data(3), labels)
    with pytest.raises(DataError, match=pattern):
        cifar.read_batch(p)


class _Evil:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


class _EvalEvil:
    def __reduce__(self):
        return (eval, ("1+1",))


@pytest.mark.parametrize("make", ["os.system", "eval", "class"])
def test_disallowed_global_is_rejected_without_running(tmp_path, make):
    marker = tmp_path / "pwned"
    obj = {"os.system": _Evil(str(marker)), "eval": _EvalEvil(), "class": _Evil}[make]
    p = tmp_path / "b"
    p.write_bytes(pickle.dumps({b"data": obj, b"labels": [0]}, protocol=2))
    with pytest.raises(DataError, match="is not allowed"):
        cifar.read_batch(p)
    assert not marker.exists()


def test_persistent_id_rejected(tmp_path):
    p = tmp_path / "b"
    p.write_bytes(b"\x80\x02P0\n.")  # PERSID opcode
    with pytest.raises(DataError, match="not a valid CIFAR-10 python pickle"):
        cifar.load_pickle(p)


def test_truncated_pickle(tmp_path):
    p = tmp_path / "b"
    blob = pickle.dumps({b"data": _data(4), b"labels": [0] * 4}, protocol=2)
    p.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match="not a valid CIFAR-10 python pickle"):
        cifar.read_batch(p)


def test_not_a_dict(tmp_path):
    p = tmp_path / "b"
    p.write_bytes(pickle.dumps([1, 2, 3], protocol=2))
    with pytest.raises(DataError, match="must unpickle to a dict"):
        cifar.read_batch(p)


def test_meta(tmp_path):
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse",
             b"ship", b"truck"]
    p = tmp_path / "batches.meta"
    p.write_bytes(pickle.dumps({b"label_names": names, b"num_vis": 3072}, protocol=2))
    assert cifar.read_meta(p) == tuple(n.decode() for n in names)
    p.write_bytes(pickle.dumps({b"label_names": names[:9]}, protocol=2))
    with pytest.raises(DataError, match="must list 10 strings"):
        cifar.read_meta(p)
    p.write_bytes(pickle.dumps({b"num_vis": 3072}, protocol=2))
    with pytest.raises(DataError, match="missing key b'label_names'"):
        cifar.read_meta(p)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot be read"):
        cifar.read_batch(tmp_path / "nope")


@pytest.mark.data
def test_real_test_batch_matches_readme(cifar_dir):
    X, y = cifar.read_batch(cifar_dir / "test_batch")
    assert X.shape == (1000, 3072)
    # First labels of the official test batch, as stated in the data README.
    assert y[:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]
    assert cifar.read_meta(cifar_dir / "batches.meta")[:3] == ("airplane", "automobile", "bird")


@given(blob=st.binary(max_size=200))
def test_fuzz_only_data_errors(tmp_path_factory, blob):
    p = tmp_path_factory.mktemp("fz") / "b"
    p.write_bytes(blob)
    try:
        X, y = cifar.read_batch(p)
    except DataError as exc:
        assert str(exc)
    else:
        assert X.shape[1] == 3072 and y.shape == (X.shape[0],)


_dtypes = st.sampled_from([np.uint8, np.int8, np.int64, np.float32, np.float64, np.bool_])


@given(
    rows=st.integers(0, 3),
    cols=st.sampled_from([0, 1, 3071, 3072, 3073]),
    dtype=_dtypes,
    labels=st.one_of(
        st.lists(st.integers(-3, 12), max_size=4),
        st.lists(st.floats(allow_nan=True), max_size=4),
        st.text(max_size=4),
        st.none(),
    ),
)
def test_fuzz_structured_batches(tmp_path_factory, rows, cols, dtype, labels):
    """Batches with every mix of shape, dtype and label type: valid ones load, the rest
    raise DataError (never an internal IndexError/TypeError)."""
    p = tmp_path_factory.mktemp("sb") / "b"
    cifar.write_batch(p, np.zeros((rows, cols), dtype=dtype), labels)
    valid = (dtype is np.uint8 and cols == 3072 and rows >= 1 and isinstance(labels, list)
             and len(labels) == rows and all(isinstance(v, int) and 0 <= v <= 9
                                             for v in labels))
    if valid:
        X, y = cifar.read_batch(p)
        assert X.shape == (rows, 3072) and y.tolist() == labels
    else:
        with pytest.raises(DataError):
            cifar.read_batch(p)
