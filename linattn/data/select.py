"""Class settings, row subsampling and label maps (part of :mod:`linattn.data`).

* :func:`resolve_class_ids`: a class setting or tuple of ids -> the tuple of class ids;
* :func:`quotas`: split ``n`` rows over the classes proportionally to their sizes
  (largest remainder, ties by class order; every class >= 1 when ``n >= k``);
* :func:`select_rows`: the file positions of the chosen rows, drawn per class with
  ``numpy.random.default_rng(seed)`` and returned in file order;
* :func:`remap_labels` / :func:`pm1_labels`: original class ids -> ``0..k-1`` / ±1
  (re-exported by :mod:`linattn.data`).
"""

from __future__ import annotations

import numpy as np

from pyverify.errors import ConfigError, DataError, InputError

NUM_CLASSES = 10
CLASS_SETTINGS = ("binary", "5class", "10class")


def resolve_class_ids(classes: str | tuple[int, ...], binary: tuple[int, int]
                     ) -> tuple[int, ...]:
    """``"binary"`` -> ``binary``, ``"5class"`` -> (0..4), ``"10class"`` -> (0..9); an
    explicit tuple of distinct ids in 0..9 is returned as is (else :class:`ConfigError`)."""
    if isinstance(classes, str):
        if classes == "binary":
            return binary
        if classes == "5class":
            return tuple(range(5))
        if classes == "10class":
            return tuple(range(NUM_CLASSES))
        raise ConfigError.for_arg(
            "classes", f"unknown class setting; must be one of {CLASS_SETTINGS} or a tuple "
            "of class ids", classes)
    try:
        ids = tuple(classes)
    except TypeError:
        raise ConfigError.for_arg("classes", "must be a class setting or a tuple of ints",
                                  classes) from None
    ok = all(isinstance(c, int | np.integer) and not isinstance(c, bool)
             and 0 <= c < NUM_CLASSES for c in ids)
    if not ids or not ok or len(set(ids)) != len(ids):
        raise ConfigError.for_arg(
            "classes", f"must be a non-empty tuple of distinct class ids in 0..{NUM_CLASSES - 1}",
            classes)
    return tuple(int(c) for c in ids)


def quotas(n: int, sizes: list[int]) -> list[int]:
    """Split ``n`` over classes proportionally to ``sizes`` (largest remainder, ties by
    class order); every class gets >= 1 when ``n >= len(sizes)``."""
    total = sum(sizes)
    q = [n * s // total for s in sizes]
    order = sorted(range(len(sizes)), key=lambda i: -(n * sizes[i] % total))
    for i in order[: n - sum(q)]:
        q[i] += 1
    if n >= len(sizes):
        for i in range(len(sizes)):
            if q[i] == 0:
                q[int(np.argmax(q))] -= 1
                q[i] = 1
    return q


def select_rows(y: np.ndarray, classes: tuple[int, ...], n: int | None, seed: int,
            where: str) -> np.ndarray:
    """Sorted positions of ``n`` rows (all when ``None``) of ``classes`` in labels ``y``;
    ``where`` names the split in error messages."""
    per_class = [np.flatnonzero(y == c) for c in classes]
    empty = [c for c, idx in zip(classes, per_class, strict=True) if idx.size == 0]
    if empty:
        raise DataError.for_arg("classes", f"have no rows in {where}", empty)
    available = sum(idx.size for idx in per_class)
    if n is None:
        return np.sort(np.concatenate(per_class))
    if n > available:
        raise DataError.for_arg(
            "n", f"exceeds the {available} rows of classes {classes} in {where}", int(n))
    rng = np.random.default_rng(seed)
    q = quotas(int(n), [idx.size for idx in per_class])
    chosen = [rng.permutation(idx)[:k] for idx, k in zip(per_class, q, strict=True)]
    return np.sort(np.concatenate(chosen))


def _class_ids(classes: tuple[int, ...]) -> tuple[int, ...]:
    """``classes`` as a tuple of distinct ints in 0..9, else :class:`InputError`."""
    try:
        ids = tuple(classes)
    except TypeError:
        raise InputError.for_arg("classes", "must be a tuple of class ids", classes) from None
    ok = all(isinstance(c, int | np.integer) and not isinstance(c, bool)
             and 0 <= c < NUM_CLASSES for c in ids)
    if not ids or not ok or len(set(ids)) != len(ids):
        raise InputError.for_arg(
            "classes", f"must be a non-empty tuple of distinct class ids in 0..{NUM_CLASSES - 1}",
            classes)
    return tuple(int(c) for c in ids)


def remap_labels(y: np.ndarray, classes: tuple[int, ...]) -> np.ndarray:
    """Map original ids to ``0..k-1`` (position in ``classes``); int64 ``(n,)``."""
    try:
        y = np.asarray(y)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise InputError.for_arg("y", "must be a 1-D integer array", str(exc)) from None
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise InputError.for_arg("y", "must be a 1-D integer array", (y.shape, str(y.dtype)))
    ids = _class_ids(classes)
    lut = np.full(NUM_CLASSES, -1, dtype=np.int64)
    lut[list(ids)] = np.arange(len(ids))
    bad = (y < 0) | (y >= NUM_CLASSES)
    out = np.where(bad, -1, lut[np.clip(y, 0, NUM_CLASSES - 1)])
    if (out < 0).any():
        raise InputError.for_arg("y", f"labels must lie in classes {ids}",
                                 sorted(set(y[out < 0].tolist()))[:10])
    return out.astype(np.int64)


def pm1_labels(y: np.ndarray, classes: tuple[int, ...]) -> np.ndarray:
    """Binary labels as float64 ±1: ``classes[0]`` -> -1, ``classes[1]`` -> +1."""
    ids = _class_ids(classes)
    if len(ids) != 2:
        raise InputError.for_arg("classes", "must hold exactly two classes for ±1 labels", ids)
    return 2.0 * remap_labels(y, classes).astype(np.float64) - 1.0
