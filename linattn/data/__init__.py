"""Datasets: scikit-learn's bundled digits, MNIST (IDX) and CIFAR-10 (python batches).

``load_dataset`` / ``load_split`` return :class:`Dataset` objects, ``X: (n, d)`` float64 and
``y: (n,)`` int64 original class ids, with the preprocessing, subsampling and checksums
described in :mod:`linattn.data.datasets`.  Submodules: ``idx`` (MNIST's IDX format),
``cifar`` (CIFAR-10's python batches, restricted unpickler), ``download`` (verified
downloads for users; never used by the tests), ``select`` (class settings, quotas, labels).
"""

from linattn.data.arrays import load_arrays
from linattn.data.datasets import (
    BINARY_CLASSES,
    CLASS_SETTINGS,
    DATASETS,
    DIGITS_SPLIT_SEED,
    SPLITS,
    Dataset,
    Preprocess,
    available_rows,
    dataset_available,
    default_data_dir,
    load_dataset,
    load_split,
    pm1_labels,
    remap_labels,
    resolve_classes,
)

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
    "load_arrays",
    "load_dataset",
    "load_split",
    "pm1_labels",
    "remap_labels",
    "resolve_classes",
]
