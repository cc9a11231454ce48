"""Tests of linattn.data.idx: IDX round trip and every corruption class of an IDX file."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linattn.data import idx
from pyverify.errors import DataError


def _images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_round_trip(tmp_path, suffix):
    imgs, labels = _images(7), np.arange(7, dtype=np.uint8) % 10
    ip, lp = tmp_path / f"i{suffix}", tmp_path / f"l{suffix}"
    idx.write_idx(ip, imgs)
    idx.write_idx(lp, labels)
    X, y = idx.read_image_label_pair(ip, lp)
    assert X.shape == (7, 784) and X.dtype == np.uint8
    np.testing.assert_array_equal(X, imgs.reshape(7, -1))
    np.testing.assert_array_equal(y, labels)
    assert y.dtype == np.int64


def test_header_bytes_follow_the_idx_spec(tmp_path):
    # Independent of write_idx: the header is built by hand from the format description.
    p = tmp_path / "h"
    payload = bytes(2 * 28 * 28)
    p.write_bytes(b"\x00\x00\x08\x03" + (2).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
                  + payload)
    assert idx.read_images(p).shape == (2, 784)


def test_wrong_magic(tmp_path):
    p = tmp_path / "x.gz"
    idx.write_idx(p, _images(2), magic=1234)
    with pytest.raises(DataError, match=r"magic.*2051.*got 1234"):
        idx.read_images(p)


def test_label_file_given_as_image_file(tmp_path):
    p = tmp_path / "labels.gz"
    idx.write_idx(p, np.zeros(3, np.uint8))
    with pytest.raises(DataError, match="looks like a label file"):
        idx.read_images(p)


@pytest.mark.parametrize("compress", [True, False])
def test_truncated_payload_names_file_and_sizes(tmp_path, compress):
    p = tmp_path / ("t.gz" if compress else "t")
    full = b"\x00\x00\x08\x03" + (3).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 \
        + bytes(3 * 784)
    cut = full[:-100]
    p.write_bytes(gzip.compress(cut) if compress else cut)
    with pytest.raises(DataError) as info:
        idx.read_images(p)
    msg = str(info.value)
    assert str(p) in msg and "truncated" in msg
    assert f"expected {3 * 784} bytes" in msg and f"got {3 * 784 - 100}" in msg


def test_truncated_header(tmp_path):
    p = tmp_path / "h"
    p.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(DataError, match="truncated header"):
        idx.read_images(p)


@pytest.mark.parametrize("compress", [True, False])
def test_trailing_bytes(tmp_path, compress):
    p = tmp_path / ("t.gz" if compress else "t")
    data = b"\x00\x00\x08\x01" + (4).to_bytes(4, "big") + bytes(4) + b"extra"
    p.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(DataError, match="trailing bytes"):
        idx.read_labels(p)


def test_label_count_differs_from_image_count(tmp_path):
    ip, lp = tmp_path / "i.gz", tmp_path / "l.gz"
    idx.write_idx(ip, _images(5))
    idx.write_idx(lp, np.zeros(4, np.uint8))
    with pytest.raises(DataError, match=r"label count must equal the image count.*\(5\).*got 4"):
        idx.read_image_label_pair(ip, lp)


@pytest.mark.parametrize("bad", [10, 255])
def test_label_out_of_range(tmp_path, bad):
    p = tmp_path / "l.gz"
    idx.write_idx(p, np.array([0, 1, bad, 3], np.uint8))
    with pytest.raises(DataError, match=r"0\.\.9.*first at index 2"):
        idx.read_labels(p)


def test_gzip_garbage(tmp_path):
    p = tmp_path / "g.gz"
    p.write_bytes(b"this is not gzip at all")
    with pytest.raises(DataError, match="not a gzip file"):
        idx.read_labels(p)


def test_corrupt_gzip_stream(tmp_path):
    p = tmp_path / "g.gz"
    good = gzip.compress(b"\x00\x00\x08\x01" + (1000).to_bytes(4, "big") + bytes(1000))
    p.write_bytes(good[:12] + bytes(b ^ 0x5A for b in good[12:]))
    with pytest.raises(DataError, match=r"cannot be read|truncated"):
        idx.read_labels(p)


def test_cut_gzip_stream(tmp_path):
    p = tmp_path / "g.gz"
    labels = np.random.default_rng(1).integers(0, 10, 5000, dtype=np.uint8).tobytes()
    good = gzip.compress(b"\x00\x00\x08\x01" + (5000).to_bytes(4, "big") + labels)
    p.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError):
        idx.read_labels(p)


def test_wrong_image_size(tmp_path):
    p = tmp_path / "i.gz"
    idx.write_idx(p, np.zeros((2, 27, 28), np.uint8))
    with pytest.raises(DataError, match=r"\(n >= 1, 28, 28\)"):
        idx.read_images(p)


@pytest.mark.parametrize("content", [b"", b"\x00\x00\x08\x03" + bytes(12)])
def test_empty_or_zero_images(tmp_path, content):
    p = tmp_path / "e"
    p.write_bytes(content)
    with pytest.raises(DataError):
        idx.read_images(p)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot be read"):
        idx.read_labels(tmp_path / "nope.gz")


def test_huge_header_does_not_allocate(tmp_path):
    p = tmp_path / "big"
    p.write_bytes(b"\x00\x00\x08\x03" + (2**32 - 1).to_bytes(4, "big") * 3 + bytes(10))
    with pytest.raises(DataError, match="truncated"):
        idx.read_images(p)


def test_sha256_matches_hashlib(tmp_path):
    import hashlib

    p = tmp_path / "f"
    p.write_bytes(b"abc" * 1000)
    assert idx.sha256_of(p) == hashlib.sha256(b"abc" * 1000).hexdigest()


@given(n=st.integers(1, 4), seed=st.integers(0, 2**16), gz=st.booleans())
def test_round_trip_property(tmp_path_factory, n, seed, gz):
    d = tmp_path_factory.mktemp("rt")
    imgs = _images(n, seed)
    p = d / ("i.gz" if gz else "i")
    idx.write_idx(p, imgs)
    np.testing.assert_array_equal(idx.read_images(p), imgs.reshape(n, -1))


@given(blob=st.binary(max_size=300), gz=st.booleans())
def test_fuzz_only_data_errors(tmp_path_factory, blob, gz):
    """Arbitrary bytes: either a valid array comes back or DataError, nothing else."""
    p = tmp_path_factory.mktemp("fz") / ("f.gz" if gz else "f")
    p.write_bytes(gzip.compress(blob) if gz else blob)
    for reader in (idx.read_images, idx.read_labels):
        try:
            out = reader(p)
        except DataError as exc:
            assert str(exc)
        else:
            assert out.ndim in (1, 2) and out.shape[0] >= 1
