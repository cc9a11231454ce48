"""Reader and validator for CIFAR-10 "python version" batches (private helper of
:mod:`linattn.data`).

Layout (Krizhevsky 2009, https://www.cs.toronto.edu/~kriz/cifar.html): the folder
``cifar-10-batches-py/`` holds ``data_batch_1`` .. ``data_batch_5`` (training),
``test_batch`` and ``batches.meta``.  Each batch is a pickled dict with ``b"data"``: uint8
array ``(N, 3072)`` (1024 R, 1024 G, 1024 B values, each plane 32x32 row-major) and
``b"labels"``: ``N`` ints in 0..9; ``batches.meta`` has ``b"label_names"`` (10 names).

Security: unpickling can run arbitrary code.  :class:`_RestrictedUnpickler` resolves only
the globals a numpy array needs (``_reconstruct``, ``_frombuffer``, ``ndarray``, ``dtype``) and
``_codecs.encode``/``bytes`` (Python 3 protocol-2 bytes); any other global -> :class:`DataError`.
All shapes, dtypes, key sets and label ranges are validated; a partial or inconsistent
batch is an error, never a silent partial dataset.
"""

from __future__ import annotations

import codecs
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from linattn.data.idx import sha256_of
from pyverify.errors import DataError

BATCH_DIR = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
NUM_FEATURES = 3 * 32 * 32
NUM_CLASSES = 10

_RECONSTRUCT = np.ndarray((0,)).__reduce__()[0]  # protocols 0-4
_FROMBUFFER = np.zeros(1).__reduce_ex__(5)[0]  # protocol 5 (out-of-band buffers)
_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
    ("__builtin__", "bytes"): bytes,  # empty bytes, Python 3 protocol 2
    ("builtins", "bytes"): bytes,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals in ``_ALLOWED`` (numpy arrays, bytes)."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"global {module}.{name} is not allowed (only numpy arrays may be unpickled)"
            ) from None


def load_pickle(path: Path) -> Any:
    """Unpickle ``path`` with ``encoding="bytes"`` through the restricted unpickler.

    Any failure (disallowed global, truncated stream, malformed opcode, bad array state)
    becomes a :class:`DataError` naming the file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError.for_arg(str(path), "cannot be read", f"{type(exc).__name__}: {exc}") \
            from exc
    try:
        return _RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as exc:  # untrusted bytes: every decoding failure is a data error
        raise DataError.for_arg(
            str(path), "is not a valid CIFAR-10 python pickle", f"{type(exc).__name__}: {exc}"
        ) from exc


def _get(d: dict, key: str, path: Path) -> Any:
    for k in (key.encode(), key):
        if k in d:
            return d[k]
    raise DataError.for_arg(
        str(path), f"missing key b{key!r}", sorted(repr(k) for k in d)
    )


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one data batch: ``X (N, 3072) uint8`` and ``y (N,) int64`` in 0..9."""
    path = Path(path)
    d = load_pickle(path)
    if not isinstance(d, dict):
        raise DataError.for_arg(str(path), "must unpickle to a dict", type(d).__name__)
    data = _get(d, "data", path)
    labels = _get(d, "labels", path)
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != NUM_FEATURES or data.shape[0] < 1:
        got = (data.shape, str(data.dtype)) if isinstance(data, np.ndarray) \
            else type(data).__name__
        raise DataError.for_arg(
            str(path), f"b'data' must be a uint8 array of shape (N >= 1, {NUM_FEATURES})", got
        )
    if not isinstance(labels, list | tuple | np.ndarray):
        raise DataError.for_arg(str(path), "b'labels' must be a list of ints",
                                type(labels).__name__)
    if isinstance(labels, list | tuple) and not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in labels
    ):
        raise DataError.for_arg(str(path), "b'labels' must contain only ints",
                                sorted({type(v).__name__ for v in labels}))
    y = np.asarray(labels)
    if y.ndim != 1 or (y.size and not np.issubdtype(y.dtype, np.integer)):
        raise DataError.for_arg(str(path), "b'labels' must be a 1-D list of ints",
                                (y.shape, str(y.dtype)))
    if y.shape[0] != data.shape[0]:
        raise DataError.for_arg(
            str(path), f"label count must equal the number of images ({data.shape[0]})",
            y.shape[0],
        )
    bad = (y < 0) | (y >= NUM_CLASSES)
    if bad.any():
        raise DataError.for_arg(
            str(path), f"labels must lie in 0..{NUM_CLASSES - 1}; {int(bad.sum())} do not",
            int(y[bad][0]),
        )
    return np.ascontiguousarray(data), y.astype(np.int64)


def read_meta(path: Path) -> tuple[str, ...]:
    """Read ``batches.meta``: the 10 class names (``b"label_names"``), decoded as ASCII."""
    path = Path(path)
    d = load_pickle(path)
    if not isinstance(d, dict):
        raise DataError.for_arg(str(path), "must unpickle to a dict", type(d).__name__)
    names = _get(d, "label_names", path)
    if not isinstance(names, list | tuple) or len(names) != NUM_CLASSES or not all(
        isinstance(s, bytes | str) for s in names
    ):
        raise DataError.for_arg(str(path), f"b'label_names' must list {NUM_CLASSES} strings",
                                names)
    return tuple(s.decode("ascii", "replace") if isinstance(s, bytes) else s for s in names)


def find_batches(folder: Path) -> tuple[list[Path], Path | None, Path | None]:
    """The training batches present in ``folder`` (in order), the test batch and the meta
    file (``None`` when absent)."""
    train = [folder / b for b in TRAIN_BATCHES if (folder / b).is_file()]
    test = folder / TEST_BATCH
    meta = folder / META
    return train, (test if test.is_file() else None), (meta if meta.is_file() else None)


def find_cifar_folder(root: Path) -> Path | None:
    """The first of ``root``, ``root/cifar-10-batches-py``, ``root/cifar10/cifar-10-batches-py``,
    ``root/cifar10`` that holds a data or test batch; ``None`` when none does."""
    names = (*TRAIN_BATCHES, TEST_BATCH)
    for folder in (root, root / BATCH_DIR, root / "cifar10" / BATCH_DIR, root / "cifar10"):
        if any((folder / f).is_file() for f in names):
            return folder
    return None


def missing_files(split: str, train: list[Path], test: Path | None,
                  meta: Path | None) -> list[str]:
    """Names of the files a split needs that :func:`find_batches` did not find."""
    need = []
    if split == "train" and not train:
        need.append("data_batch_1 .. data_batch_5 (at least one)")
    if split == "test" and test is None:
        need.append(TEST_BATCH)
    if meta is None:
        need.append(META)
    return need


def read_split(batches: list[Path], meta: Path
               ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], str, dict[str, str]]:
    """Read and concatenate ``batches``: ``X (N, 3072) uint8``, ``y (N,) int64``, the class
    names from ``meta``, a source line (which batches were found) and sha256 per file."""
    parts = [read_batch(p) for p in batches]
    names = read_meta(meta)
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    found = ", ".join(p.name for p in [*batches, meta])
    n_train = sum(p.name in TRAIN_BATCHES for p in batches)
    note = f" ({n_train} of {len(TRAIN_BATCHES)} training batches found)" if n_train else ""
    source = f"{batches[0].parent}: {found}{note}"
    return X, y, names, source, {p.name: sha256_of(p) for p in [*batches, meta]}


def write_batch(path: Path, data: Any, labels: Any, *, extra: dict | None = None,
                protocol: int = 2) -> None:
    """Pickle a batch dict with bytes keys (used by tests to build synthetic files)."""
    d = {b"data": data, b"labels": labels, b"batch_label": b"synthetic"}
    d.update(extra or {})
    Path(path).write_bytes(pickle.dumps(d, protocol=protocol))
