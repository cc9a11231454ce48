"""Download MNIST / CIFAR-10 from their usual public locations, with checksum verification
(private helper of :mod:`linattn.data`).

* MNIST: the four IDX files from the mirrors in :data:`MNIST_MIRRORS` (tried in order),
  each verified against the official md5 in :data:`MNIST_MD5` (the values torchvision's
  ``datasets/mnist.py`` uses).
* CIFAR-10: ``cifar-10-python.tar.gz`` from :data:`CIFAR10_URL`, verified against the
  official md5 :data:`CIFAR10_MD5`, then extracted safely (only regular files and folders,
  no absolute paths, no ``..``, no links) into ``<root>/cifar10/cifar-10-batches-py``.

Every file is written to a temporary file in the destination folder and moved into place
with ``os.replace`` only after its checksum matched, so an interrupted or corrupt download
never leaves a file that looks complete.  A network failure becomes a :class:`DataError`
that says which files to put where by hand.  The network access itself goes through
:func:`_fetch`, which tests replace (no network in tests).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.request
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from pyverify.errors import DataError

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
TIMEOUT_S = 60.0
_CHUNK = 1 << 20


def _fetch(url: str, dest: Path) -> None:
    """Stream ``url`` into the (already created, empty) file ``dest``.  Raises OSError
    (``URLError`` is one) on any network failure.  Tests monkeypatch this function."""
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp, open(dest, "wb") as out:
        shutil.copyfileobj(resp, out, _CHUNK)


def md5_of(path: Path) -> str:
    """md5 hex digest of a file (integrity check against the published values only)."""
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def download_file(urls: Iterable[str], dest: Path, md5: str) -> Path:
    """Download the first URL of ``urls`` that works to ``dest`` and verify its md5.

    The bytes go to a temporary file beside ``dest`` that is moved into place with
    ``os.replace`` only when its md5 equals ``md5``; on a mismatch or failure the temporary
    file is removed and :class:`DataError` is raised (a mismatch is not retried on another
    mirror's bytes silently: every mirror is tried and all outcomes are reported).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    for url in urls:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _fetch(url, tmp)
            got = md5_of(tmp)
            if got != md5:
                failures.append(f"{url}: md5 mismatch (expected {md5}, got {got})")
                continue
            os.replace(tmp, dest)
            return dest
        except OSError as exc:
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    raise DataError.for_arg(
        str(dest), "download failed from every location", "; ".join(failures),
        hint=f"put the file there by hand (official md5 {md5})",
    )


def download_mnist(folder: Path, names: Iterable[str] | None = None) -> list[Path]:
    """Download the MNIST IDX files ``names`` (default: all four) into ``folder``."""
    out = []
    for name in names if names is not None else MNIST_MD5:
        if name not in MNIST_MD5:
            raise DataError.for_arg("name", f"is not an MNIST file {sorted(MNIST_MD5)}", name)
        out.append(download_file([m + name for m in MNIST_MIRRORS], Path(folder) / name,
                                 MNIST_MD5[name]))
    return out


def _safe_members(tar: tarfile.TarFile, archive: Path) -> list[tarfile.TarInfo]:
    """The archive's members, after rejecting any that could escape the target folder."""
    members = []
    for m in tar.getmembers():
        p = PurePosixPath(m.name)
        if not p.parts and m.isdir():  # a "./" entry
            continue
        unsafe = (
            not p.parts
            or p.is_absolute()
            or ".." in p.parts
            or "\\" in m.name
            or ":" in p.parts[0]
        )
        if unsafe:
            raise DataError.for_arg(str(archive), "has an unsafe member path", m.name)
        if not (m.isfile() or m.isdir()):
            raise DataError.for_arg(
                str(archive), "has a member that is not a regular file or folder", m.name
            )
        members.append(m)
    return members


def extract_tar_safely(archive: Path, dest: Path) -> None:
    """Extract ``archive`` (tar.gz) into ``dest`` after validating every member; the
    extraction goes to a temporary folder first and is moved in member by member."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".extract.") as tmp:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                members = _safe_members(tar, archive)
                tar.extractall(tmp, members=members, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DataError.for_arg(str(archive), "is not a valid tar.gz archive",
                                    f"{type(exc).__name__}: {exc}") from exc
        for top in Path(tmp).iterdir():
            target = dest / top.name
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            os.replace(top, target)


def download_cifar10(folder: Path, *, url: str | None = None, md5: str | None = None) -> Path:
    """Download and extract CIFAR-10 into ``folder`` (giving ``folder/cifar-10-batches-py``);
    ``url``/``md5`` default to :data:`CIFAR10_URL`/:data:`CIFAR10_MD5`.  The archive is
    deleted afterwards (also when extraction fails)."""
    folder = Path(folder)
    archive = download_file([url or CIFAR10_URL], folder / CIFAR10_ARCHIVE, md5 or CIFAR10_MD5)
    try:
        extract_tar_safely(archive, folder)
    finally:
        archive.unlink()
    return folder / "cifar-10-batches-py"
