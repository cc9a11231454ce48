"""Tests of linattn.data.download without network: ``download._fetch`` is monkeypatched."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from linattn.data import cifar, download, idx, load_dataset
from pyverify.errors import DataError


def _md5(b: bytes) -> str:
    return hashlib.md5(b, usedforsecurity=False).hexdigest()


def _serve(monkeypatch, table: dict[str, bytes | Exception], log: list | None = None):
    """Replace the network: URL -> bytes to write, or an exception to raise."""

    def fake_fetch(url: str, dest: Path) -> None:
        if log is not None:
            log.append(url)
        item = table.get(url, urllib.error.URLError("no route to host (test)"))
        if isinstance(item, Exception):
            Path(dest).write_bytes(b"partial")  # a failed download may leave bytes behind
            raise item
        Path(dest).write_bytes(item)

    monkeypatch.setattr(download, "_fetch", fake_fetch)


def test_md5_of_known_value(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"")
    assert download.md5_of(p) == "d41d8cd98f00b204e9800998ecf8427e"  # md5 of empty input


def test_success_puts_file_in_place(tmp_path, monkeypatch):
    _serve(monkeypatch, {"http://a/f": b"hello"})
    dest = tmp_path / "sub" / "f"
    assert download.download_file(["http://a/f"], dest, _md5(b"hello")) == dest
    assert dest.read_bytes() == b"hello"
    assert sorted(x.name for x in dest.parent.iterdir()) == ["f"]


def test_checksum_mismatch_leaves_nothing(tmp_path, monkeypatch):
    _serve(monkeypatch, {"http://a/f": b"tampered"})
    dest = tmp_path / "f"
    with pytest.raises(DataError, match=r"md5 mismatch \(expected 0+, got"):
        download.download_file(["http://a/f"], dest, "0" * 32)
    assert list(tmp_path.iterdir()) == []


def test_mirror_fallback(tmp_path, monkeypatch):
    log: list[str] = []
    _serve(monkeypatch, {"http://m2/f": b"ok"}, log)
    dest = tmp_path / "f"
    download.download_file(["http://m1/f", "http://m2/f"], dest, _md5(b"ok"))
    assert log == ["http://m1/f", "http://m2/f"]
    assert dest.read_bytes() == b"ok"


def test_all_mirrors_fail_reports_each_and_cleans_up(tmp_path, monkeypatch):
    _serve(monkeypatch, {})
    with pytest.raises(DataError) as info:
        download.download_file(["http://m1/f", "http://m2/f"], tmp_path / "f", _md5(b"x"))
    msg = str(info.value)
    assert "http://m1/f" in msg and "http://m2/f" in msg and "by hand" in msg
    assert list(tmp_path.iterdir()) == []


def _mnist_files(n: int = 6) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    out = {}
    for split, m in (("train", n), ("t10k", n // 2)):
        imgs = rng.integers(0, 256, (m, 28, 28), dtype=np.uint8)
        out[f"{split}-images-idx3-ubyte.gz"] = _idx_bytes(imgs)
        out[f"{split}-labels-idx1-ubyte.gz"] = _idx_bytes((np.arange(m) % 10).astype(np.uint8))
    return out


def _idx_bytes(arr: np.ndarray) -> bytes:
    import gzip

    header = (0x0800 | arr.ndim).to_bytes(4, "big") + b"".join(
        int(s).to_bytes(4, "big") for s in arr.shape)
    return gzip.compress(header + arr.tobytes(), mtime=0)


def test_load_mnist_with_download(tmp_path, monkeypatch):
    files = _mnist_files()
    monkeypatch.setattr(download, "MNIST_MD5", {k: _md5(v) for k, v in files.items()})
    mirror = download.MNIST_MIRRORS[0]
    _serve(monkeypatch, {mirror + k: v for k, v in files.items()})
    with pytest.raises(DataError, match="MNIST files missing"):
        load_dataset("mnist", data_dir=tmp_path, download=False)
    ds = load_dataset("mnist", split="test", classes=(0, 1, 2), data_dir=tmp_path, download=True)
    assert ds.X.shape == (3, 784)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    idx.read_images(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz")


def test_mnist_offline_download_is_a_clear_error(tmp_path, monkeypatch):
    _serve(monkeypatch, {})
    with pytest.raises(DataError, match=r"download failed from every location.*by hand"):
        load_dataset("mnist", data_dir=tmp_path, download=True)
    assert [p for p in (tmp_path / "mnist").iterdir()] == []


def _tar(members: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return buf.getvalue()


def _cifar_members() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    names = [f"class{i}".encode() for i in range(10)]

    def batch(n):
        d = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             b"labels": [i % 10 for i in range(n)]}
        return pickle.dumps(d, protocol=2)

    return {"cifar-10-batches-py/data_batch_1": batch(10),
            "cifar-10-batches-py/test_batch": batch(5),
            "cifar-10-batches-py/batches.meta": pickle.dumps({b"label_names": names}, protocol=2)}


def test_load_cifar_with_download(tmp_path, monkeypatch):
    blob = _tar(_cifar_members())
    monkeypatch.setattr(download, "CIFAR10_MD5", _md5(blob))
    _serve(monkeypatch, {download.CIFAR10_URL: blob})
    ds = load_dataset("cifar10", classes="binary", data_dir=tmp_path, download=True)
    assert ds.X.shape == (2, 3072) and ds.class_names == ("class0", "class1")
    folder = tmp_path / "cifar10"
    assert sorted(p.name for p in folder.iterdir()) == ["cifar-10-batches-py"]  # archive gone
    assert "1 of 5 training batches" in ds.source


def test_cifar_checksum_mismatch(tmp_path, monkeypatch):
    _serve(monkeypatch, {download.CIFAR10_URL: _tar(_cifar_members())})
    with pytest.raises(DataError, match="md5 mismatch"):
        download.download_cifar10(tmp_path)
    assert list(tmp_path.iterdir()) == []


def _link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.mark.parametrize(
    "members, extra",
    [
        ({"../evil": b"x"}, []),
        ({"/tmp/abs_evil": b"x"}, []),
        ({"cifar-10-batches-py/../../evil": b"x"}, []),
        ({}, [_link("cifar-10-batches-py/link", "/etc/passwd", tarfile.SYMTYPE)]),
        ({}, [_link("cifar-10-batches-py/hard", "/etc/passwd", tarfile.LNKTYPE)]),
    ],
    ids=["dotdot", "absolute", "nested-dotdot", "symlink", "hardlink"],
)
def test_unsafe_tar_rejected(tmp_path, monkeypatch, members, extra):
    blob = _tar(members, extra)
    target = tmp_path / "dest"
    _serve(monkeypatch, {"http://x/c.tgz": blob})
    with pytest.raises(DataError, match=r"unsafe member path|not a regular file"):
        download.download_cifar10(target, url="http://x/c.tgz", md5=_md5(blob))
    assert not (tmp_path / "evil").exists()
    assert list(target.iterdir()) == []


def test_garbage_archive(tmp_path):
    p = tmp_path / "a.tar.gz"
    p.write_bytes(b"not a tar")
    with pytest.raises(DataError, match=r"not a valid tar\.gz archive"):
        download.extract_tar_safely(p, tmp_path / "out")


def test_extracted_batches_are_readable(tmp_path):
    p = tmp_path / "a.tar.gz"
    p.write_bytes(_tar(_cifar_members()))
    download.extract_tar_safely(p, tmp_path / "out")
    X, y = cifar.read_batch(tmp_path / "out" / "cifar-10-batches-py" / "test_batch")
    assert X.shape == (5, 3072) and y.tolist() == [0, 1, 2, 3, 4]
