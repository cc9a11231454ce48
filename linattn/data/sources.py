"""The raw splits of the built-in datasets and of a user's arrays, read once and cached.

:func:`load_raw` returns a :class:`RawSplit` -- unscaled ``X: (N, d)`` (uint8 or float64,
read-only), int64 labels, class names, a description of the source and the sha256 of every
file read -- for ``digits`` (scikit-learn's bundled copy, split 80/20 by
``default_rng(DIGITS_SPLIT_SEED)``), ``mnist`` (IDX), ``cifar10`` (python batches) and any
user dataset registered with :func:`linattn.data.arrays.register`.  Selection,
preprocessing and the public API are in :mod:`linattn.data.datasets`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from linattn.data import arrays, cifar, idx
from linattn.data import download as fetch
from pyverify.errors import DataError

__all__ = ["DIGITS_SPLIT_SEED", "RawSplit", "load_raw", "load_user"]

DIGITS_SPLIT_SEED = 0


@dataclass(frozen=True, eq=False)
class RawSplit:
    """One split as read from its files (see the module docstring)."""

    X: np.ndarray  # (N, d), unscaled (uint8 or float64), read-only
    y: np.ndarray  # (N,) int64, read-only
    class_names: tuple[str, ...]
    source: str
    checksums: dict[str, str]
    origin: np.ndarray | None = None  # row -> index in the source (digits: of the 1797)
    labelled: bool = True


_CACHE: dict[tuple, RawSplit] = {}
_CACHE_MAX = 8


# ----------------------------------------------------------------------------- validation


def _missing(name: str, files: list[str], root: Path, folder: Path, url: str) -> DataError:
    return DataError.for_arg(
        "data_dir", f"{name} files missing: {', '.join(files)}", str(root),
        hint=f"put them in {folder} (or pass download=True / --download to fetch them "
        f"from {url})")


def _cached(key: tuple, build) -> RawSplit:
    if key not in _CACHE:
        raw = build()
        raw.X.setflags(write=False)
        raw.y.setflags(write=False)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = raw
    return _CACHE[key]


def _stat_key(paths: list[Path]) -> tuple:
    return tuple((str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in paths)


def _load_digits(split: str) -> RawSplit:
    def build() -> RawSplit:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        X = np.ascontiguousarray(bunch.data, dtype=np.float64)
        y = np.asarray(bunch.target, dtype=np.int64)
        perm = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(X.shape[0])
        n_train = int(0.8 * X.shape[0])
        rows = np.sort(perm[:n_train] if split == "train" else perm[n_train:])
        sums = {"digits.data (1797x64 float64)": hashlib.sha256(X.tobytes()).hexdigest(),
                "digits.target (1797 int64)": hashlib.sha256(y.tobytes()).hexdigest()}
        src = (f"sklearn bundled digits, {split} = rows of default_rng({DIGITS_SPLIT_SEED})"
               f".permutation(1797)[{':1437' if split == 'train' else '1437:'}]")
        return RawSplit(X[rows], y[rows], tuple(str(c) for c in range(10)), src, sums, rows)

    return _cached(("digits", split), build)


def _load_mnist(split: str, root: Path, download: bool) -> RawSplit:
    folder = idx.find_mnist_folder(root)
    paths = [idx.mnist_file(folder, b) for b in idx.MNIST_FILES[split]]
    if any(p is None for p in paths):
        target = folder or root / "mnist"
        missing = [b + ".gz" for b, p in zip(idx.MNIST_FILES[split], paths, strict=True)
                   if p is None]
        if not download:
            raise _missing("MNIST", missing, root, target, fetch.MNIST_MIRRORS[0])
        fetch.download_mnist(target, missing)
        paths = [idx.mnist_file(target, b) for b in idx.MNIST_FILES[split]]
    img, lab = paths  # both set now

    def build() -> RawSplit:
        X, y = idx.read_image_label_pair(img, lab)
        sums = {p.name: idx.sha256_of(p) for p in (img, lab)}
        return RawSplit(X, y, tuple(str(c) for c in range(10)), f"{img}; {lab}", sums)

    return _cached(("mnist", split, *_stat_key([img, lab])), build)


def _load_cifar(split: str, root: Path, download: bool) -> RawSplit:
    folder = cifar.find_cifar_folder(root)
    train, test, meta = cifar.find_batches(folder) if folder else ([], None, None)
    need = cifar.missing_files(split, train, test, meta)
    if need:
        if not download:
            where = folder or root / "cifar10" / cifar.BATCH_DIR
            raise _missing("CIFAR-10", need, root, where, fetch.CIFAR10_URL)
        folder = fetch.download_cifar10(root / "cifar10")
        train, test, meta = cifar.find_batches(folder)
    files = [*(train if split == "train" else [test]), meta]
    if any(f is None for f in files) or not files[:-1]:
        raise DataError.for_arg("data_dir", "CIFAR-10 batches still missing after download",
                                str(folder))

    def build() -> RawSplit:
        return RawSplit(*cifar.read_split(files[:-1], files[-1]))

    return _cached(("cifar10", split, *_stat_key(files)), build)


def load_user(source: arrays.ArraySource, split: str) -> RawSplit:
    """One split of a registered user dataset (:func:`linattn.data.arrays.load_arrays`)."""
    paths = [Path(source.path)] + ([Path(source.labels)] if source.labels else [])
    files = [q for q in paths if q.is_file()] or paths

    def build() -> RawSplit:
        a = arrays.load_arrays(source, split=split)
        return RawSplit(a.X, a.y, tuple(str(c) for c in range(a.n_classes)), a.source,
                    a.checksums, a.origin, a.labelled)

    return _cached(("user", source, split, *_stat_key(files)), build)


def load_raw(name: str, split: str, root: Path, download: bool) -> RawSplit:
    """The raw ``split`` of dataset ``name`` (files looked for under ``root``)."""
    source = arrays.registered(name)
    if source is not None:
        return load_user(source, split)
    if name == "digits":
        return _load_digits(split)
    if name == "mnist":
        return _load_mnist(split, root, download)
    return _load_cifar(split, root, download)


# ----------------------------------------------------------------------------- selection

