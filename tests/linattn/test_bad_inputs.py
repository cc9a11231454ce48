"""One catalogue of the bad-input classes of the public API, each exercised through the
public API.  Every test asserts the project's error type AND that the message names the
argument and the violated condition (``"<argument>: <condition> (got <value>)"``).

The 16 classes (``BAD_INPUT_CLASSES``; one test function, or one parametrised group, each):

 1. NaN / Inf entries
 2. empty arrays
 3. 1-D or 3-D where 2-D is needed
 4. non-numeric dtypes (str, object, bool, complex)
 5. mismatched row counts between X (or K) and y
 6. labels outside the class set
 7. zero rows (undefined angle in the ReLU NTK)
 8. duplicate rows and constant columns (singular G: the rank is reported, kappa_d = inf
    with a note, no exception, no NaN, no division by zero)
 9. ridge <= 0
10. eps < 0
11. widths <= 0
12. unknown dataset names or class settings
13. a ``--data-dir`` that does not exist (library and CLI: exit 2, one line, no traceback)
14. IDX files: wrong magic number, truncated payload, label count != image count
15. CIFAR-10 batches: wrong shape, missing keys
16. a results directory that is not writable (library and CLI)
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from experiments.config import make_config
from linattn import (
    checks,
    data,
    influence,
    kernel,
    malleability,
    ntk,
    qkv,
    solvers,
    spectrum,
)
from linattn.data import cifar, idx
from pyverify import kernel as pk
from pyverify import sensitivity as psens
from pyverify import spectrum as pspec
from pyverify.errors import ConfigError, DataError, InputError, LinAttnError

BAD_INPUT_CLASSES = (
    "NaN/Inf entries", "empty arrays", "1-D or 3-D where 2-D is needed",
    "non-numeric dtypes", "mismatched row counts", "labels outside the class set",
    "zero rows (ReLU NTK angle)", "duplicate rows / constant columns (singular G)",
    "ridge <= 0", "eps < 0", "widths <= 0", "unknown dataset names / class settings",
    "--data-dir that does not exist", "IDX wrong magic / truncated / label count",
    "CIFAR wrong shape / missing keys", "results directory not writable",
)
REPO = Path(__file__).resolve().parents[2]
T = torch.tensor
EYE2 = np.eye(2)


def assert_clear(exc: BaseException, cls: type[LinAttnError], argument: str,
                 *condition: str) -> None:
    """``exc`` is a ``cls`` whose message starts with ``argument:`` and contains every
    word of ``condition`` (case-insensitive)."""
    assert isinstance(exc, cls), f"expected {cls.__name__}, got {type(exc).__name__}: {exc}"
    msg = str(exc)
    assert msg.startswith(f"{argument}:"), f"message does not name {argument!r}: {msg}"
    for word in condition:
        assert word.lower() in msg.lower(), f"message lacks {word!r}: {msg}"


def _ids(v) -> str:
    """Test id: the called function's name (from the lambda's source) or the argument."""
    if isinstance(v, str):
        return v
    import inspect

    src = inspect.getsource(v).strip()
    m = re.search(r"lambda[^:]*:\s*([\w.]+)\(", src)
    return m.group(1) if m else "call"


def check(fn, cls, argument, *condition):
    with pytest.raises(LinAttnError) as info:
        fn()
    assert_clear(info.value, cls, argument, *condition)


def test_catalogue_lists_sixteen_classes():
    assert len(BAD_INPUT_CLASSES) == 16 == len(set(BAD_INPUT_CLASSES))


# 1 --------------------------------------------------------------------------- NaN / Inf
NAN = np.array([[1.0, np.nan], [0.0, 1.0]])
INF = np.array([[1.0, np.inf], [0.0, 1.0]])
NEG_INF = np.array([[1.0, -np.inf], [0.0, 1.0]])


@pytest.mark.parametrize(("fn", "argument"), [
    (lambda: kernel.linattn_kernel(NAN), "X"),
    (lambda: kernel.linattn_kernel(EYE2, INF), "Y"),
    (lambda: kernel.linattn_kernel(EYE2, keys=NEG_INF), "keys"),
    (lambda: spectrum.spectral_stats(NAN), "X"),
    (lambda: ntk.relu_ntk(INF), "X"),
    (lambda: influence.kernel_ridge(EYE2, [1.0, np.nan], 1.0), "y"),
    (lambda: influence.influence_matrix(EYE2, INF, 1.0), "K_test_train"),
    (lambda: checks.check_kernel(NAN), "K"),
    (lambda: solvers.solve_spd(T(NAN), T([1.0, 1.0])), "A"),
    (lambda: qkv.qkv_kernel(T(INF), Q=T(EYE2), K=T(EYE2), V=T(EYE2)), "X"),
    (lambda: pk.gram(NAN), "X"),
    (lambda: pspec.eigenvalues(INF), "S"),
    (lambda: psens.sensitivity_bound(EYE2, [1, 2], math.nan), "eps"),
], ids=_ids)
def test_nan_inf_entries(fn, argument):
    with pytest.raises(InputError) as info:
        fn()
    msg = str(info.value)
    assert msg.startswith(f"{argument}:"), msg
    assert re.search(r"finite|nan", msg, re.I), msg


# 2 --------------------------------------------------------------------------- empty
@pytest.mark.parametrize(("fn", "argument"), [
    (lambda: kernel.linattn_kernel(np.zeros((0, 3))), "X"),
    (lambda: ntk.relu_ntk(np.zeros((2, 0))), "X"),
    (lambda: influence.kernel_ridge(np.zeros((0, 0)), np.zeros(0), 1.0), "K_train"),
    (lambda: spectrum.spectral_stats(torch.zeros(0, 4)), "X"),
    (lambda: solvers.solve_spd(torch.zeros(0, 0), torch.zeros(0)), "A"),
    (lambda: pk.gram(np.zeros((2, 0))), "X"),
    (lambda: pspec.cond([]), "eigs"),
], ids=_ids)
def test_empty_arrays(fn, argument):
    with pytest.raises(InputError) as info:
        fn()
    msg = str(info.value)
    assert msg.startswith(f"{argument}:"), msg
    assert re.search(r"empty|non-empty", msg, re.I), msg


# 3 --------------------------------------------------------------------------- ndim
@pytest.mark.parametrize(("fn", "argument"), [
    (lambda: kernel.linattn_kernel(np.ones(3)), "X"),
    (lambda: ntk.relu_ntk(np.ones((2, 2, 2))), "X"),
    (lambda: spectrum.spectral_stats(np.ones((2, 2, 2))), "X"),
    (lambda: influence.influence_matrix(np.ones(3), np.ones((1, 3)), 1.0), "K_train"),
    (lambda: qkv.qkv_kernel(T([1.0, 2.0]), Q=T(EYE2), K=T(EYE2), V=T(EYE2)), "X"),
    (lambda: pk.kernel_gram_cube(np.ones(3)), "X"),
    (lambda: pk.gram(np.ones((2, 2, 2))), "X"),
], ids=_ids)
def test_wrong_number_of_dimensions(fn, argument):
    check(fn, InputError, argument, "must be 2-D")


# 4 --------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("bad", [
    np.array([["a", "b"]]), np.array([[None, 1]], dtype=object), np.ones((2, 2), bool),
    np.ones((2, 2), complex), torch.ones(2, 2, dtype=torch.bool),
    torch.ones(2, 2, dtype=torch.complex128),
], ids=["str", "object", "bool", "complex", "torch-bool", "torch-complex"])
@pytest.mark.parametrize("fn", [kernel.linattn_kernel, ntk.relu_ntk, spectrum.spectral_stats,
                                pk.gram], ids=["linattn_kernel", "relu_ntk", "spectral_stats",
                                               "pyverify.gram"])
def test_non_numeric_dtypes(fn, bad):
    if fn is pk.gram and isinstance(bad, torch.Tensor):
        bad = bad.numpy()
    with pytest.raises(InputError) as info:
        fn(bad)
    msg = str(info.value)
    assert msg.startswith("X:"), msg
    assert re.search(r"numeric|real|bool|complex|number", msg, re.I), msg


# 5 --------------------------------------------------------------------------- rows
@pytest.mark.parametrize(("fn", "argument", "condition"), [
    (lambda: influence.kernel_ridge(np.eye(4), np.ones(3), 1.0), "y", "n = 4 rows"),
    (lambda: influence.loo_residuals(np.eye(4), np.ones((3, 2)), 1.0), "y", "n = 4 rows"),
    (lambda: influence.influence_matrix(np.eye(4), np.ones((2, 3)), 1.0), "K_test_train",
     "n = 4 columns"),
    (lambda: solvers.solve_spd(T(np.eye(3)), T([1.0, 1.0])), "B", "shape (3,)"),
    (lambda: data.Dataset("digits", "train", np.zeros((3, 2)), np.zeros(2, dtype=np.int64),
                          (0, 1), ("0", "1"), data.Preprocess(), "s", {}), "y", "shape (3,)"),
    (lambda: kernel.linattn_kernel(np.ones((3, 2)), np.ones((2, 3))), "Y", "d = 2 columns"),
], ids=["kernel_ridge", "loo_residuals", "influence_matrix", "solve_spd", "Dataset",
        "linattn_kernel-cols"])
def test_mismatched_row_counts(fn, argument, condition):
    check(fn, InputError, argument, condition)


# 6 --------------------------------------------------------------------------- labels
def test_labels_outside_class_set(tmp_path):
    check(lambda: data.remap_labels(np.array([0, 1, 5]), (0, 1)), InputError, "y",
          "must lie in classes (0, 1)", "[5]")
    check(lambda: data.pm1_labels(np.array([0, 3]), (0, 1)), InputError, "y",
          "must lie in classes")
    check(lambda: data.pm1_labels(np.array([0, 1]), (0, 1, 2)), InputError, "classes",
          "exactly two classes")
    # labels outside 0..9 inside the files
    lab = tmp_path / "train-labels-idx1-ubyte"
    idx.write_idx(lab, np.array([0, 1, 12], dtype=np.uint8))
    with pytest.raises(DataError) as info:
        idx.read_labels(lab)
    assert_clear(info.value, DataError, str(lab), "labels must lie in 0..9")
    batch = tmp_path / "data_batch_1"
    cifar.write_batch(batch, np.zeros((2, 3072), np.uint8), [0, 10])
    with pytest.raises(DataError) as info:
        cifar.read_batch(batch)
    assert_clear(info.value, DataError, str(batch), "labels must lie in 0..9")


# 7 --------------------------------------------------------------------------- zero rows
@pytest.mark.parametrize(("fn", "argument"), [
    (lambda: ntk.relu_ntk(np.array([[1.0, 2.0], [0.0, 0.0]])), "X"),
    (lambda: ntk.relu_ntk(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])), "Y"),
    (lambda: ntk.mlp_attn_ntk(np.array([[1.0, 0.0], [0.0, 0.0]])), "X @ C"),
], ids=["relu_ntk-X", "relu_ntk-Y", "mlp_attn_ntk"])
def test_zero_rows_relu_ntk(fn, argument):
    check(fn, InputError, argument, "zero row", "angle undefined")


# 8 --------------------------------------------------------------------------- singular G
SINGULAR = {
    # n < d, rows 0 and 1 equal: rank 2 < r = min(n, d) = 3
    "duplicate-rows": (np.array([[1.0, 2, 0, 1], [1, 2, 0, 1], [0, 1, 3, 1]]), 2),
    # n > d, a constant (zero) column: rank 2 < r = 3
    "zero-column": (np.array([[1.0, 0, 2], [3, 0, 1], [0, 0, 1], [2, 0, 2]]), 2),
    # n > d, a constant (nonzero) column equal to a multiple of another column
    "constant-columns": (np.array([[5.0, 5, 1], [5, 5, 2], [5, 5, 0], [5, 5, 3]]), 2),
}


@pytest.mark.parametrize("case", sorted(SINGULAR))
@pytest.mark.parametrize("method", ["auto", "gram-dual", "svd", "qr-svd"])
def test_singular_gram_reports_rank_torch(case, method):
    X, rank = SINGULAR[case]
    s = spectrum.spectral_stats(X, method=method)
    assert s.rank == rank == np.linalg.matrix_rank(X)
    assert s.r == 3
    assert math.isinf(s.cond_d) and f"rank {rank}" in s.cond_d_note
    assert math.isfinite(s.cond) and s.cond >= 1
    assert math.isfinite(s.cond_cube)
    assert s.log10_width is None
    assert bool(torch.isfinite(s.eigenvalues).all()) and s.eigenvalues.numel() == rank


@pytest.mark.parametrize("case", sorted(SINGULAR))
def test_singular_gram_reports_rank_exact(case):
    X, rank = SINGULAR[case]
    rep = pspec.spectral_stats(X, dps=30)
    assert rep.rank == rank
    assert rep.cond_d == pspec.mpmath.inf and "rank" in rep.cond_d_note
    assert pspec.mpmath.isfinite(rep.cond) and rep.cond >= 1
    with pytest.raises(LinAttnError) as info:  # kappa_d itself is undefined: a clear error
        pspec.cond_d(rep.eigenvalues, 3, dps=30)
    assert str(info.value).startswith(("eigs:", "r:"))


@pytest.mark.parametrize("case", sorted(SINGULAR))
def test_singular_gram_downstream_has_no_nan(case):
    X, _ = SINGULAR[case]
    for out in (ntk.relu_ntk(X), ntk.relu_ntk(X, X), kernel.linattn_kernel(X),
                influence.linattn_influence(X, X, 1e-3 * float(np.abs(X).max()) ** 6)):
        assert bool(torch.isfinite(out).all())


# 9 --------------------------------------------------------------------------- ridge
@pytest.mark.parametrize("ridge", [0.0, -1.0, math.nan, -math.inf])
@pytest.mark.parametrize("fn", [
    lambda r: influence.kernel_ridge(EYE2, [1.0, 2.0], r),
    lambda r: influence.influence_matrix(EYE2, EYE2, r),
    lambda r: influence.loo_residuals(EYE2, [1.0, 2.0], r),
    lambda r: influence.linattn_influence(EYE2, EYE2, r),
    lambda r: malleability.estimate_malleability(EYE2, EYE2, eps=0.1, ridge=r, steps=1, restarts=1),
    lambda r: solvers.approx_influence(T(EYE2), T(EYE2), r, 1),
], ids=["kernel_ridge", "influence_matrix", "loo_residuals", "linattn_influence",
        "malleability", "approx_influence"])
def test_ridge_not_positive(fn, ridge):
    with pytest.raises(InputError) as info:
        fn(ridge)
    msg = str(info.value)
    assert msg.startswith("ridge:") and re.search(r">=? 0", msg), msg


@pytest.mark.parametrize("fn", [
    lambda: checks.check_kernel(EYE2, ridge=-1.0),
    lambda: solvers.solve_spd(T(EYE2), T([1.0, 1.0]), ridge=-1.0),
], ids=["check_kernel", "solve_spd"])
def test_ridge_negative_where_zero_is_allowed(fn):
    check(fn, InputError, "ridge", ">= 0")


# 10 -------------------------------------------------------------------------- eps
@pytest.mark.parametrize("eps", [-0.1, -math.inf, math.nan])
def test_eps_negative(eps):
    check(lambda: malleability.estimate_malleability(EYE2, EYE2, eps=eps, ridge=1e-3), InputError,
          "eps", ">= 0")
    if not math.isnan(eps):
        check(lambda: psens.sensitivity_bound(EYE2, [1, 2], eps), InputError, "eps")


# 11 -------------------------------------------------------------------------- widths
@pytest.mark.parametrize("width", [0, -4])
def test_widths_not_positive(width):
    check(lambda: ntk.TwoLayerReLU(3, width), ConfigError, "width", "positive integer")
    check(lambda: ntk.MLPAttn(EYE2, width), ConfigError, "width", "positive integer")
    from experiments import ntk_convergence

    with pytest.raises(ConfigError) as info:
        make_config(ntk_convergence, "smoke", widths=(width, 64))
    assert "widths" in str(info.value)


# 12 -------------------------------------------------------------------------- names
def test_unknown_dataset_and_class_setting():
    check(lambda: data.load_dataset("imagenet"), ConfigError, "name", "unknown dataset",
          "imagenet")
    check(lambda: data.load_dataset("digits", classes="7class"), ConfigError, "classes",
          "unknown class setting", "7class")
    check(lambda: data.resolve_classes("mnist", (0, 11)), ConfigError, "classes",
          "distinct class ids in 0..9")
    check(lambda: data.load_dataset("digits", split="valid"), ConfigError, "split",
          "must be one of")


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "experiments.spectral_table", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def _one_clear_line(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    err = proc.stderr.strip()
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, err


def test_unknown_dataset_cli():
    _one_clear_line(_cli("--smoke", "--datasets", "imagenet", "--no-progress"),
                    "--datasets", "unknown dataset", "imagenet")


# 13 -------------------------------------------------------------------------- data dir
def test_data_dir_does_not_exist(tmp_path):
    missing = tmp_path / "nonexistent"
    check(lambda: data.load_dataset("mnist", data_dir=missing), DataError, "data_dir",
          "does not exist", str(missing))
    _one_clear_line(_cli("--data-dir", str(missing), "--smoke", "--no-progress"),
                    "--data-dir", str(missing))


# 14 -------------------------------------------------------------------------- IDX
def _mnist_dir(tmp_path: Path, *, images=None, labels=None, img_magic=None) -> Path:
    folder = tmp_path / "mnist"
    folder.mkdir()
    imgs = np.zeros((3, 28, 28), np.uint8) if images is None else images
    labs = np.array([0, 1, 2], np.uint8) if labels is None else labels
    idx.write_idx(folder / "train-images-idx3-ubyte.gz", imgs, magic=img_magic)
    idx.write_idx(folder / "train-labels-idx1-ubyte.gz", labs)
    return folder


def test_idx_wrong_magic(tmp_path):
    folder = _mnist_dir(tmp_path, img_magic=2049)
    with pytest.raises(DataError) as info:
        data.load_dataset("mnist", data_dir=tmp_path)
    assert_clear(info.value, DataError, str(folder / "train-images-idx3-ubyte.gz"),
                 "wrong IDX magic number", "2051", "label file")


def test_idx_truncated_payload(tmp_path):
    folder = _mnist_dir(tmp_path)
    path = folder / "train-labels-idx1-ubyte"
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    idx.write_idx(path, np.array([0, 1, 2], np.uint8))
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(DataError) as info:
        data.load_dataset("mnist", data_dir=tmp_path)
    assert_clear(info.value, DataError, str(path), "truncated payload", "expected 3 bytes")


def test_idx_label_count_mismatch(tmp_path):
    folder = _mnist_dir(tmp_path, labels=np.array([0, 1], np.uint8))
    with pytest.raises(DataError) as info:
        data.load_dataset("mnist", data_dir=tmp_path)
    assert_clear(info.value, DataError, str(folder / "train-labels-idx1-ubyte.gz"),
                 "label count must equal the image count", "(3)")


# 15 -------------------------------------------------------------------------- CIFAR
def _cifar_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    import pickle

    (folder / "batches.meta").write_bytes(pickle.dumps(
        {b"label_names": [f"c{i}".encode() for i in range(10)]}, protocol=2))
    return folder


def test_cifar_wrong_shape(tmp_path):
    folder = _cifar_dir(tmp_path)
    cifar.write_batch(folder / "data_batch_1", np.zeros((2, 3071), np.uint8), [0, 1])
    with pytest.raises(DataError) as info:
        data.load_dataset("cifar10", data_dir=tmp_path)
    assert_clear(info.value, DataError, str(folder / "data_batch_1"),
                 "b'data' must be a uint8 array of shape (N >= 1, 3072)", "3071")


def test_cifar_missing_keys(tmp_path):
    import pickle

    folder = _cifar_dir(tmp_path)
    (folder / "data_batch_1").write_bytes(pickle.dumps(
        {b"data": np.zeros((2, 3072), np.uint8)}, protocol=2))
    with pytest.raises(DataError) as info:
        data.load_dataset("cifar10", data_dir=tmp_path)
    assert_clear(info.value, DataError, str(folder / "data_batch_1"), "missing key",
                 "labels")


# 16 -------------------------------------------------------------------------- results dir
def test_results_dir_not_writable(tmp_path):
    from experiments.runner import Unit, run_units

    blocker = tmp_path / "file.txt"
    blocker.write_text("a regular file, so nothing can be created below it")
    target = blocker / "sub"
    unit = Unit("fuzz", "digits", "binary", 0, 4)
    with pytest.raises(DataError) as info:
        run_units(target, [unit], lambda u: {"x": 1}, progress=False)
    assert_clear(info.value, DataError, "run_dir", "results directory must be writable",
                 str(target))
    _one_clear_line(_cli("--smoke", "--results", str(target), "--no-progress"),
                    "results directory must be writable", str(target))
