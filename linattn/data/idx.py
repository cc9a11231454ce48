"""Reader and validator for the IDX files of MNIST (private helper of :mod:`linattn.data`).

IDX layout (LeCun et al., http://yann.lecun.com/exdb/mnist/): a big-endian uint32 magic
number ``0x0000TTNN`` (``TT`` = element type, 0x08 = uint8; ``NN`` = number of dimensions),
then ``NN`` big-endian uint32 dimension sizes, then exactly ``prod(dims)`` payload bytes.
MNIST uses magic 2051 (0x00000803: uint8, 3-D images ``(n, 28, 28)``) and 2049
(0x00000801: uint8, 1-D labels ``(n,)``).

Everything read is validated: a wrong magic number, a header that does not fit, a payload
shorter *or longer* than the header says, a corrupt gzip stream, labels outside 0..9 or a
label count that differs from the image count all raise :class:`DataError` naming the file,
what was expected and what was found.  No partial dataset is ever returned.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pyverify.errors import DataError

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
MNIST_SHAPE = (28, 28)
MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
NUM_CLASSES = 10
_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """sha256 hex digest of the bytes of ``path`` as stored on disk."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _open(path: Path) -> BinaryIO:
    """Open ``path`` for reading; transparently gunzip when it starts with the gzip magic."""
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if path.suffix == ".gz":
        raise DataError.for_arg(str(path), "is not a gzip file (no gzip magic 1f 8b)", head.hex())
    return open(path, "rb")


def _read_exact(f: BinaryIO, nbytes: int, path: Path, what: str) -> bytes:
    """Read exactly ``nbytes`` (in chunks, never trusting a huge header) or raise DataError."""
    buf = bytearray()
    while len(buf) < nbytes:
        block = f.read(min(_CHUNK, nbytes - len(buf)))
        if not block:
            break
        buf += block
    if len(buf) != nbytes:
        raise DataError.for_arg(
            str(path),
            f"truncated {what}: expected {nbytes} bytes",
            len(buf),
        )
    return bytes(buf)


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Read one uint8 IDX file (gzipped or raw) and return its array of shape ``dims``.

    Raises :class:`DataError` on a wrong magic number, a truncated header or payload,
    trailing bytes after the payload, or a corrupt gzip stream.
    """
    path = Path(path)
    try:
        with _open(path) as f:
            magic_bytes = _read_exact(f, 4, path, "header (magic number)")
            magic = int.from_bytes(magic_bytes, "big")
            if magic != expected_magic:
                kind = {IMAGES_MAGIC: "an image file", LABELS_MAGIC: "a label file"}
                hint = f"got 0x{magic:08x}"
                hint += f"; this looks like {kind[magic]}" if magic in kind else ""
                raise DataError.for_arg(
                    str(path),
                    f"wrong IDX magic number: expected {expected_magic} "
                    f"(0x{expected_magic:08x})",
                    magic,
                    hint=hint,
                )
            ndim = magic & 0xFF
            dims_bytes = _read_exact(f, 4 * ndim, path, "header (dimension sizes)")
            dims = tuple(
                int.from_bytes(dims_bytes[4 * i : 4 * i + 4], "big") for i in range(ndim)
            )
            nbytes = math.prod(dims)
            payload = _read_exact(f, nbytes, path, f"payload for dims {dims}")
            extra = 0
            for block in iter(lambda: f.read(_CHUNK), b""):
                extra += len(block)
            if extra:
                raise DataError.for_arg(
                    str(path),
                    f"has {extra} trailing bytes after the payload: header dims {dims} need "
                    f"exactly {nbytes} payload bytes",
                    nbytes + extra,
                )
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError.for_arg(str(path), "cannot be read (corrupt gzip or I/O error)",
                                f"{type(exc).__name__}: {exc}") from exc
    return np.frombuffer(payload, dtype=np.uint8).reshape(dims)


def read_images(path: Path, shape: tuple[int, int] = MNIST_SHAPE) -> np.ndarray:
    """Read an IDX image file (magic 2051) into a ``(n, rows*cols)`` uint8 array.

    The header's image size must equal ``shape`` and ``n >= 1``.
    """
    arr = read_idx(path, IMAGES_MAGIC)
    if arr.ndim != 3 or tuple(arr.shape[1:]) != tuple(shape) or arr.shape[0] < 1:
        raise DataError.for_arg(
            str(path), f"IDX image header must give dims (n >= 1, {shape[0]}, {shape[1]})",
            arr.shape,
        )
    return arr.reshape(arr.shape[0], -1)


def read_labels(path: Path, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Read an IDX label file (magic 2049) into an int64 ``(n,)`` array with values in
    ``0..num_classes-1``."""
    arr = read_idx(path, LABELS_MAGIC)
    if arr.ndim != 1 or arr.shape[0] < 1:
        raise DataError.for_arg(str(path), "IDX label header must give dims (n >= 1,)",
                                arr.shape)
    bad = arr >= num_classes
    if bad.any():
        raise DataError.for_arg(
            str(path),
            f"labels must lie in 0..{num_classes - 1}; {int(bad.sum())} do not, "
            f"first at index {int(np.argmax(bad))}",
            int(arr.max()),
        )
    return arr.astype(np.int64)


def read_image_label_pair(images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read and cross-check an image file and its label file: ``X (n, 784) uint8``,
    ``y (n,) int64``; the two counts must agree."""
    X = read_images(images)
    y = read_labels(labels)
    if X.shape[0] != y.shape[0]:
        raise DataError.for_arg(
            f"{labels}",
            f"label count must equal the image count of {images} ({X.shape[0]})",
            y.shape[0],
        )
    return X, y


def find_mnist_folder(root: Path) -> Path | None:
    """The first of ``root``, ``root/mnist``, ``root/MNIST/raw`` holding any MNIST IDX file
    (gzipped or not); ``None`` when none does."""
    names = [b + s for pair in MNIST_FILES.values() for b in pair for s in (".gz", "")]
    for folder in (root, root / "mnist", root / "MNIST" / "raw"):
        if any((folder / f).is_file() for f in names):
            return folder
    return None


def mnist_file(folder: Path | None, base: str) -> Path | None:
    """``folder/base.gz`` or else ``folder/base`` if it exists, else ``None``."""
    for name in (base + ".gz", base):
        if folder is not None and (folder / name).is_file():
            return folder / name
    return None


def write_idx(path: Path, arr: np.ndarray, *, magic: int | None = None,
              compress: bool | None = None) -> None:
    """Write a uint8 array as an IDX file (gzipped when ``path`` ends in ``.gz``).

    Used by the tests to build small synthetic (and deliberately corrupt) files; ``magic``
    overrides the header's magic number.
    """
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    if magic is None:
        magic = 0x0800 | arr.ndim
    header = magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    data = header + arr.tobytes()
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
