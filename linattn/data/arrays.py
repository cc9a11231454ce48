"""A user's own data as a dataset of the experiments: ``.npz``, ``.npy`` or an IDX folder.

Accepted sources (``load_arrays(path, labels=None)``; on the command line ``--data PATH``,
repeatable, with ``--labels PATH.npy`` after a ``.npy``):

* a ``.npz`` holding ``X`` (n, d) and optionally ``y`` (n,), ``X_test``, ``y_test``;
* a ``.npy`` of ``X`` (n, d), with optional labels in a second ``.npy`` of shape (n,);
* a folder of IDX files in MNIST's layout (``train-images-idx3-ubyte[.gz]``,
  ``train-labels-idx1-ubyte[.gz]``, ``t10k-*``): Fashion-MNIST, KMNIST, ... (uint8 pixels).

Arrays of more than two dimensions are flattened per row (images (n, h, w) -> (n, h w)).
The dataset's name is the file's (or folder's) stem; it must not be a built-in name
(digits, mnist, cifar10).  Values are used as given (no scaling), except IDX pixels, which
are scaled by 1/255 like MNIST's.  Without a test split, rows are split like digits'
(``numpy.random.default_rng(0).permutation(N)``, the first ⌊0.8 N⌋ sorted rows train).

Labels are integers 0..K−1 (K >= 1).  Class settings: ``"binary"`` -> classes (0, 1),
``"5class"`` -> 0..min(K, 5)−1, ``"10class"`` -> 0..min(K, 10)−1.  Without labels every row is class
0 and only ``"10class"`` (all rows) is defined: experiments that need labels (binary tasks)
stop with a DataError that says so.

Validation (:class:`~pyverify.errors.DataError` naming the file): the file exists and is
readable; X is real numeric (no bool/complex/object), finite, with at least 2 rows and 1
column and at most :data:`MAX_ELEMENTS` entries; labels integer-valued, in 0..2^31−1, one
per row; X_test has X's columns.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from linattn.data import idx
from pyverify.errors import ConfigError, DataError

__all__ = [
    "MAX_ELEMENTS",
    "ArraySource",
    "UserArrays",
    "array_source",
    "forget",
    "load_arrays",
    "register",
    "registered",
    "user_classes",
]

MAX_ELEMENTS = 2**31
"""Largest n·d accepted (16 GiB in float64)."""
BUILTIN = ("digits", "mnist", "cifar10")
_REGISTRY: dict[str, ArraySource] = {}


@dataclass(frozen=True)
class ArraySource:
    """Where a user dataset lives: ``kind`` is ``"npz"``, ``"npy"`` or ``"idx"``."""

    name: str
    path: str
    labels: str | None
    kind: str


@dataclass(frozen=True, eq=False)
class UserArrays:
    """One split of a user dataset: ``X: (n, d)`` float64 (IDX pixels / 255), ``y: (n,)``
    int64 (zeros when unlabelled), the rows' positions in the file (``origin``), and the
    sha256 of every file read."""

    X: np.ndarray
    y: np.ndarray
    labelled: bool
    n_classes: int
    origin: np.ndarray
    checksums: dict[str, str]
    source: str


def array_source(path: str | Path, labels: str | Path | None = None) -> ArraySource:
    """Classify and check ``path`` (and ``labels``); the name is the stem."""
    p = Path(path).expanduser()
    if p.is_dir():
        kind = "idx"
        if idx.find_mnist_folder(p) is None:
            raise DataError.for_arg("--data", "a folder must hold IDX files in MNIST's layout "
                                    "(train-images-idx3-ubyte[.gz], ...)", str(p))
    elif p.suffix in (".npz", ".npy"):
        kind = p.suffix[1:]
        if not p.is_file():
            raise DataError.for_arg("--data", "file not found", str(p))
    else:
        raise DataError.for_arg("--data", "must be a .npz, a .npy or a folder of IDX files",
                                str(p))
    if labels is not None:
        lp = Path(labels).expanduser()
        if kind != "npy":
            raise DataError.for_arg("--labels", "applies to a .npy of X only (a .npz carries "
                                    "y, an IDX folder its label files)", str(lp))
        if lp.suffix != ".npy" or not lp.is_file():
            raise DataError.for_arg("--labels", "must be an existing .npy file", str(lp))
        labels = str(lp.resolve())
    name = p.stem if kind != "idx" else p.name
    if name.lower() in BUILTIN:
        raise ConfigError.for_arg("--data", f"the name {name!r} (the file's stem) is a built-in "
                                  "dataset; rename the file", str(p))
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ConfigError.for_arg("--data", "the file's stem must be a plain name "
                                  "([A-Za-z0-9_.-])", name)
    return ArraySource(name, str(p.resolve()), labels, kind)


def register(source: ArraySource) -> str:
    """Make ``source`` loadable by name through :func:`linattn.data.load_dataset` in this
    process; returns its name.  Re-registering the same source is a no-op; another source
    under the same name is a ConfigError."""
    old = _REGISTRY.get(source.name)
    if old is not None and old != source:
        raise ConfigError.for_arg("--data", "two datasets have the same stem", source.name)
    _REGISTRY[source.name] = source
    return source.name


def forget(name: str) -> None:
    """Remove the user dataset ``name`` from this process's registry (no-op if absent)."""
    _REGISTRY.pop(name, None)


def registered(name: str) -> ArraySource | None:
    """The registered source called ``name``, or None."""
    return _REGISTRY.get(name)


def _matrix(a: Any, what: str, path: Path) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind not in "iuf":
        raise DataError.for_arg(what, "must be a real numeric array (not bool, complex or "
                                "object)", f"{path}: dtype {a.dtype}")
    if a.ndim < 2:
        raise DataError.for_arg(what, "must have shape (n, d) (or (n, ...) to flatten)",
                                f"{path}: shape {a.shape}")
    a = a.reshape(a.shape[0], -1)
    if a.shape[0] < 2 or a.shape[1] < 1:
        raise DataError.for_arg(what, "needs at least 2 rows and 1 column",
                                f"{path}: shape {a.shape}")
    if a.size > MAX_ELEMENTS:
        raise DataError.for_arg(what, f"has more than {MAX_ELEMENTS} entries",
                                f"{path}: shape {a.shape}")
    X = a.astype(np.float64)
    if not np.isfinite(X).all():
        raise DataError.for_arg(what, "must contain only finite values",
                                f"{path}: {int((~np.isfinite(X)).sum())} non-finite entries")
    return X


def _labels(a: Any, n: int, what: str, path: Path) -> np.ndarray:
    y = np.asarray(a)
    if y.shape != (n,):
        raise DataError.for_arg(what, f"must be one label per row, shape ({n},)",
                                f"{path}: shape {y.shape}")
    if y.dtype.kind not in "iuf" or (y.dtype.kind == "f" and not np.all(np.isfinite(y))):
        raise DataError.for_arg(what, "must be integer class ids", f"{path}: dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise DataError.for_arg(what, "must be integer-valued", str(path))
    y = y.astype(np.int64)
    if y.min() < 0 or y.max() >= 2**31:
        raise DataError.for_arg(what, "must lie in 0..2^31-1", f"{path}: {y.min()}..{y.max()}")
    return y


def _split_rows(N: int, split: str) -> np.ndarray:
    perm = np.random.default_rng(0).permutation(N)
    cut = int(0.8 * N)
    return np.sort(perm[:cut] if split == "train" else perm[cut:])


def _read(source: ArraySource, split: str) -> tuple[np.ndarray, np.ndarray | None,
                                                    np.ndarray, dict[str, str], str]:
    """(X, y or None, origin rows, checksums, description) of one split."""
    p = Path(source.path)
    if source.kind == "idx":
        folder = idx.find_mnist_folder(p)
        paths = [idx.mnist_file(folder, b) for b in idx.MNIST_FILES[split]]
        if any(q is None for q in paths):
            raise DataError.for_arg("--data", f"IDX {split} files missing", str(p))
        X8, y = idx.read_image_label_pair(*paths)
        X = X8.astype(np.float64) / 255.0
        return (X, y, np.arange(X.shape[0]), {q.name: idx.sha256_of(q) for q in paths},
                f"IDX folder {p} ({split} files; pixels / 255)")
    sums = {p.name: idx.sha256_of(p)}
    if source.kind == "npz":
        try:
            with np.load(p, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise DataError.for_arg("--data", "unreadable .npz", str(p),
                                    hint=str(exc)[:120]) from None
        if "X" not in arrays:
            raise DataError.for_arg("--data", "a .npz must hold an array named 'X'",
                                    f"{p}: keys {sorted(arrays)}")
        if ("X_test" in arrays) != ("y_test" in arrays) and "y" in arrays:
            raise DataError.for_arg("--data", "X_test and y_test go together", str(p))
        if "X_test" in arrays:
            key = "X" if split == "train" else "X_test"
            X = _matrix(arrays[key], key, p)
            ykey = "y" if split == "train" else "y_test"
            y = _labels(arrays[ykey], X.shape[0], ykey, p) if ykey in arrays else None
            return X, y, np.arange(X.shape[0]), sums, f"{p} [{key}]"
        X = _matrix(arrays["X"], "X", p)
        y = _labels(arrays["y"], X.shape[0], "y", p) if "y" in arrays else None
    else:
        try:
            X = _matrix(np.load(p, allow_pickle=False), "X", p)
        except (OSError, ValueError) as exc:
            raise DataError.for_arg("--data", "unreadable .npy", str(p),
                                    hint=str(exc)[:120]) from None
        y = None
        if source.labels is not None:
            lp = Path(source.labels)
            try:
                y = _labels(np.load(lp, allow_pickle=False), X.shape[0], "labels", lp)
            except (OSError, ValueError) as exc:
                raise DataError.for_arg("--labels", "unreadable .npy", str(lp),
                                        hint=str(exc)[:120]) from None
            sums[lp.name] = idx.sha256_of(lp)
    rows = _split_rows(X.shape[0], split)
    return (X[rows], None if y is None else y[rows], rows, sums,
            f"{p} ({split} = rows of default_rng(0).permutation({X.shape[0]})"
            f"[{':' if split == 'train' else ''}{int(0.8 * X.shape[0])}"
            f"{'' if split == 'train' else ':'}])")


def load_arrays(path: str | Path, *, labels: str | Path | None = None,
                split: str = "train") -> UserArrays:
    """One split (``"train"`` or ``"test"``) of the user dataset at ``path`` (see the module
    docstring), validated."""
    if split not in ("train", "test"):
        raise ConfigError.for_arg("split", "must be 'train' or 'test'", split)
    source = path if isinstance(path, ArraySource) else array_source(path, labels)
    X, y, origin, sums, desc = _read(source, split)
    if X.shape[0] < 1:
        raise DataError.for_arg("--data", f"the {split} split is empty", source.path)
    labelled = y is not None
    y = np.zeros(X.shape[0], dtype=np.int64) if y is None else y
    k = int(y.max()) + 1
    return UserArrays(X, y, labelled, k, origin, sums, f"user data {desc}")


def user_classes(source: ArraySource, classes: Any, labelled: bool, n_classes: int
                 ) -> tuple[int, ...]:
    """The class ids a class setting means for a user dataset (module docstring)."""
    if not labelled:
        if classes == "10class":
            return (0,)
        raise DataError.for_arg("classes", f"needs labels, but {source.name} has none (pass "
                                "y in the .npz, or --labels for a .npy)", classes)
    if classes == "binary":
        return (0, 1)
    if classes == "5class":
        return tuple(range(min(n_classes, 5)))
    if classes == "10class":
        return tuple(range(min(n_classes, 10)))
    if isinstance(classes, str):
        raise ConfigError.for_arg("classes", "unknown class setting", classes)
    return tuple(int(c) for c in classes)
