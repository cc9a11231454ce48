"""Datasets of the experiments: scikit-learn's bundled digits, MNIST (IDX) and CIFAR-10
(python batches), as float64 matrices ``X: (n, d)`` with int64 labels ``y: (n,)``.

Paper settings (Sec. 5 and App. A.6-A.7): binary, 5-class and 10-class tasks on MNIST and
CIFAR-10.  The paper does not say which two classes form the binary task, nor its exact
preprocessing ("identical preprocessing pipelines with fixed normalization parameters and
feature scaling").  Our choices, stated here and in the report:

* ``"binary"`` = the first two class ids, :data:`BINARY_CLASSES` (digits/MNIST: 0 vs 1;
  CIFAR-10: airplane vs automobile); ``"5class"`` = 0..4; ``"10class"`` = 0..9.  This is a
  guess: the paper does not name its binary pair.
* Default preprocessing = pixels scaled to [0, 1] only (/255 for MNIST and CIFAR-10, /16 for
  digits), no centring, no row normalisation (a guess; :class:`Preprocess` turns on the
  others).  Order: scale, then centre, then normalise rows.
* Centring subtracts the mean of *all training rows of the selected classes* (after
  scaling), never a test-set statistic, and the same vector for every ``n`` and seed; the
  test split is centred with that training mean.
* digits has no test split of its own: the 1797 images are split by
  ``numpy.random.default_rng(DIGITS_SPLIT_SEED=0).permutation(1797)``; its first
  ``floor(0.8 * 1797) = 1437`` entries (sorted) are ``train``, the other 360 ``test``.
* Subsampling ``n`` rows: per class, quotas proportional to the class sizes (largest
  remainder, every class >= 1 when ``n >= k``), rows drawn with
  ``numpy.random.default_rng(seed)``; the rows keep their file order.  Labels keep their
  original class ids; :func:`remap_labels` / :func:`pm1_labels` map them to ``0..k-1`` / ±1.

Files are looked for in ``data_dir`` (default: ``$LINATTN_DATA_DIR``, else
``~/.cache/linattn``): MNIST in ``data_dir``, ``data_dir/mnist`` or ``data_dir/MNIST/raw``
(``.gz`` or uncompressed); CIFAR-10 in ``data_dir``, ``data_dir/cifar-10-batches-py``,
``data_dir/cifar10/cifar-10-batches-py`` or ``data_dir/cifar10``.  Missing files with
``download=False`` -> :class:`DataError` naming the files and the folder; ``download=True``
fetches them with checksum verification (:mod:`linattn.data.download`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from linattn.data import arrays, cifar, idx
from linattn.data.select import (
    CLASS_SETTINGS,
    pm1_labels,
    remap_labels,
    resolve_class_ids,
    select_rows,
)
from linattn.data.sources import DIGITS_SPLIT_SEED, RawSplit, load_raw, load_user
from pyverify.errors import ConfigError, DataError, InputError

__all__ = [
    "BINARY_CLASSES",
    "CLASS_SETTINGS",
    "DATASETS",
    "DIGITS_SPLIT_SEED",
    "SPLITS",
    "Dataset",
    "Preprocess",
    "available_rows",
    "dataset_available",
    "default_data_dir",
    "load_dataset",
    "load_split",
    "pm1_labels",
    "remap_labels",
    "resolve_classes",
]

DATASETS = ("digits", "mnist", "cifar10")
SPLITS = ("train", "test")
BINARY_CLASSES: dict[str, tuple[int, int]] = {"digits": (0, 1), "mnist": (0, 1), "cifar10": (0, 1)}
_MAX_VALUE = {"digits": 16.0, "mnist": 255.0, "cifar10": 255.0}


@dataclass(frozen=True)
class Preprocess:
    """Preprocessing of the pixel matrix, applied in the order scale -> center -> normalise.

    ``scale``: divide by the format's maximum (255 MNIST/CIFAR-10, 16 digits) -> [0, 1].
    ``center``: subtract the training mean of the selected classes.
    ``row_normalize``: divide each row by its ℓ2 norm (a zero row -> :class:`DataError`).
    """

    scale: bool = True
    center: bool = False
    row_normalize: bool = False

    def __post_init__(self) -> None:
        for name in ("scale", "center", "row_normalize"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError.for_arg(f"preprocess.{name}", "must be a bool",
                                          getattr(self, name))

    def describe(self, name: str | None = None) -> str:
        """In words; ``name`` a user dataset: its values are used as given (no scaling)."""
        if name is not None and arrays.registered(name) is not None:
            parts = ["values as given (user data; IDX pixels / 255)"]
        else:
            parts = ["pixels scaled to [0,1] (/255; /16 for digits)" if self.scale
                     else "raw pixel values (no scaling)"]
        if self.center:
            parts.append("centred by the training mean of the selected classes")
        if self.row_normalize:
            parts.append("rows normalised to unit l2 norm")
        return "; ".join(parts)


@dataclass(frozen=True, eq=False)
class Dataset:
    """One split of one dataset: ``X: (n, d)`` float64, ``y: (n,)`` int64 original class ids.

    ``checksums`` maps each file read (or, for digits, each bundled array) to its sha256;
    ``indices`` are the rows' positions in the split's files (CIFAR-10 train: in the
    concatenated batches; digits: in the 1797 bundled rows); ``center_mean`` is the ``(d,)``
    training mean subtracted (``None`` without centring).
    """

    name: str
    split: str
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    classes: tuple[int, ...]
    class_names: tuple[str, ...]
    preprocess: Preprocess
    source: str
    checksums: dict[str, str] = field(repr=False)
    indices: np.ndarray | None = field(default=None, repr=False)
    center_mean: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.X, np.ndarray) or self.X.ndim != 2 or self.X.dtype != np.float64:
            raise InputError.for_arg("X", "must be a 2-D float64 numpy array",
                                     (getattr(self.X, "shape", None),
                                      str(getattr(self.X, "dtype", type(self.X).__name__))))
        if not np.isfinite(self.X).all():
            raise InputError.for_arg("X", "must have only finite entries",
                                     int((~np.isfinite(self.X)).sum()))
        if (not isinstance(self.y, np.ndarray) or self.y.shape != (self.X.shape[0],)
                or self.y.dtype != np.int64):
            raise InputError.for_arg("y", f"must be int64 of shape ({self.X.shape[0]},)",
                                     (getattr(self.y, "shape", None),
                                      str(getattr(self.y, "dtype", type(self.y).__name__))))

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    def remapped_labels(self) -> np.ndarray:
        """Labels as ``0..k-1`` in the order of ``classes``."""
        return remap_labels(self.y, self.classes)

    def pm1_labels(self) -> np.ndarray:
        """Binary labels as ±1 (``classes[0]`` -> -1, ``classes[1]`` -> +1)."""
        return pm1_labels(self.y, self.classes)


def _check_name(name: str) -> str:
    if isinstance(name, str) and arrays.registered(name) is not None:
        return name
    if not isinstance(name, str) or name.lower() not in DATASETS:
        raise ConfigError.for_arg("name", f"unknown dataset; must be one of {DATASETS} or a "
                                  "registered user dataset (--data)", name)
    return name.lower()


def resolve_classes(name: str, classes: str | tuple[int, ...]) -> tuple[int, ...]:
    """``"binary"`` -> :data:`BINARY_CLASSES` ``[name]``, ``"5class"`` -> (0..4),
    ``"10class"`` -> (0..9); an explicit tuple of distinct ids in 0..9 is returned as is.
    For a user dataset: :func:`linattn.data.arrays.user_classes`."""
    name = _check_name(name)
    source = arrays.registered(name)
    if source is not None:
        raw = load_user(source, "train")
        return arrays.user_classes(source, classes, raw.labelled, len(raw.class_names))
    return resolve_class_ids(classes, BINARY_CLASSES[name])


def _check_options(split: str, n: int | None, seed: int, preprocess: Preprocess) -> None:
    if split not in SPLITS:
        raise ConfigError.for_arg("split", f"must be one of {SPLITS}", split)
    if n is not None and (not isinstance(n, int | np.integer) or isinstance(n, bool) or n <= 0):
        raise ConfigError.for_arg("n", "must be a positive integer or None", n)
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ConfigError.for_arg("seed", "must be a non-negative integer", seed)
    if not isinstance(preprocess, Preprocess):
        raise ConfigError.for_arg("preprocess", "must be a Preprocess", type(preprocess).__name__)


def default_data_dir() -> Path:
    """``$LINATTN_DATA_DIR`` if set, else ``~/.cache/linattn``."""
    env = os.environ.get("LINATTN_DATA_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "linattn"


def _root(data_dir: str | Path | None, download: bool) -> Path:
    if data_dir is None:
        root = default_data_dir()
        if download:
            root.mkdir(parents=True, exist_ok=True)
        return root
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise DataError.for_arg("data_dir", "does not exist or is not a directory", str(root),
                                hint="create it, or point --data-dir at the folder that "
                                "holds mnist/ and cifar10/")
    return root


# ----------------------------------------------------------------------------- readers

def _train_mean(name: str, classes: tuple[int, ...], root: Path, download: bool,
                scale: bool) -> tuple[np.ndarray, RawSplit]:
    raw = load_raw(name, "train", root, download)
    rows = select_rows(raw.y, classes, None, 0, f"{name}/train")
    mean = raw.X[rows].mean(axis=0, dtype=np.float64)  # no float64 copy of the whole split
    return (mean / _MAX_VALUE.get(name, 1.0) if scale else mean), raw


# ----------------------------------------------------------------------------- public API

def load_dataset(name: str, *, split: str = "train", classes: str | tuple[int, ...] = "10class",
                 n: int | None = None, seed: int = 0, preprocess: Preprocess = Preprocess(),
                 data_dir: str | Path | None = None, download: bool = False) -> Dataset:
    """Load ``n`` rows (all when ``None``) of the classes ``classes`` from one split.

    Returns a :class:`Dataset` with ``X: (n, d)`` float64 (d = 64 digits, 784 MNIST, 3072
    CIFAR-10) and ``y: (n,)`` original class ids.  Errors: unknown name/split/class setting
    or ``n <= 0`` -> :class:`ConfigError`; missing/corrupt files, a missing ``data_dir`` or
    ``n`` above the available rows -> :class:`DataError`.
    """
    name = _check_name(name)
    cls = resolve_classes(name, classes)
    _check_options(split, n, seed, preprocess)
    needs_root = name in ("mnist", "cifar10") or data_dir is not None
    root = _root(data_dir, download) if needs_root else Path()
    raw = load_raw(name, split, root, download)
    rows = select_rows(raw.y, cls, n, int(seed), f"{name}/{split}")
    X = raw.X[rows].astype(np.float64)
    origin = rows if raw.origin is None else raw.origin[rows]
    checksums, source = dict(raw.checksums), raw.source
    if preprocess.scale and name in _MAX_VALUE:  # user data: as given (IDX already / 255)
        X /= _MAX_VALUE[name]
    mean = None
    if preprocess.center:
        mean, train_raw = _train_mean(name, cls, root, download, preprocess.scale)
        X -= mean
        if split != "train":
            checksums.update(train_raw.checksums)
            source += f"; centred with the training mean from {train_raw.source}"
    if preprocess.row_normalize:
        norms = np.linalg.norm(X, axis=1)
        zero = np.flatnonzero(norms == 0)
        if zero.size:
            raise DataError.for_arg(
                "X", f"row_normalize needs nonzero rows; {zero.size} rows of {name}/{split} "
                "are zero (first file indices shown)", origin[zero[:5]].tolist())
        X /= norms[:, None]
    names = tuple(raw.class_names[c] for c in cls)
    return Dataset(name, split, X, raw.y[rows].copy(), cls, names, preprocess, source,
                   checksums, origin, mean)


def load_split(name: str, *, classes: str | tuple[int, ...] = "10class", n: int | None = None,
               n_test: int | None = None, seed: int = 0, preprocess: Preprocess = Preprocess(),
               data_dir: str | Path | None = None, download: bool = False
               ) -> tuple[Dataset, Dataset]:
    """``(train, test)`` with the same classes, seed and preprocessing (``n`` train rows,
    ``n_test`` test rows); with centring both subtract the same training mean."""
    common = dict(classes=classes, seed=seed, preprocess=preprocess, data_dir=data_dir,
                  download=download)
    train = load_dataset(name, split="train", n=n, **common)
    return train, load_dataset(name, split="test", n=n_test, **common)


def available_rows(name: str, *, split: str = "train",
                   classes: str | tuple[int, ...] = "10class",
                   data_dir: str | Path | None = None) -> int:
    """How many rows of ``classes`` the split holds (what ``load_dataset(n=...)`` can give):
    a preset clamps its sizes to it, with a stated note."""
    name = _check_name(name)
    cls = resolve_classes(name, classes)
    _check_options(split, None, 0, Preprocess())
    needs_root = name in ("mnist", "cifar10") or data_dir is not None
    raw = load_raw(name, split, _root(data_dir, False) if needs_root else Path(), False)
    return int(np.isin(raw.y, cls).sum())


def dataset_available(name: str, data_dir: str | Path | None) -> bool:
    """Whether ``load_dataset(name, data_dir=data_dir)`` finds both splits without a
    download (digits: always)."""
    name = _check_name(name)
    if name == "digits" or arrays.registered(name) is not None:
        return True
    root = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    if not root.is_dir():
        return False
    if name == "mnist":
        folder = idx.find_mnist_folder(root)
        return all(idx.mnist_file(folder, b) for pair in idx.MNIST_FILES.values() for b in pair)
    folder = cifar.find_cifar_folder(root)
    if folder is None:
        return False
    train, test, meta = cifar.find_batches(folder)
    return bool(train) and test is not None and meta is not None
