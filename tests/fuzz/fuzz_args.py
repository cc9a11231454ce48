"""Hypothesis strategies that build a call of any public function from its signature
(used by ``test_fuzz.py``; see its docstring for the modes and caps)."""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st

from pyverify.errors import LinAttnError

# ----------------------------------------------------------------------------- arrays

SPECIAL = [math.nan, math.inf, -math.inf, 1e300, -1e300, 1e-300, -1e-300, 5e-324, 1e308,
           0.0, -0.0, 1e200, 1e-200]
SCALES = [0, 0, 0, 0, 0, -300, -150, -100, -60, -8, 8, 60, 100, 150, 200, 300]


@st.composite
def _dims(draw) -> dict[str, int]:
    n = draw(st.integers(1, 6))
    return {"n": n, "d": draw(st.integers(1, 6)), "m": draw(st.integers(1, 5)),
            "k": draw(st.integers(1, 3)), "h": draw(st.integers(1, 4)),
            "e": draw(st.integers(1, 6))}


def _shape(role: str, dims: dict[str, int]) -> tuple[int, ...]:
    n, d, m, k, h, e = (dims[c] for c in "ndmkhe")
    return {"nd": (n, d), "md": (m, d), "kd": (dims.get("nk", n), d), "nn": (n, n),
            "mn": (m, n), "vn": (n,), "vd": (d,), "ve": (e,), "nk": (n, k), "dh": (d, h),
            "yn": (n,)}[role]


@st.composite
def _clean_values(draw, shape: tuple[int, ...], psd: bool) -> np.ndarray:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["int", "int", "gauss", "tiny-range", "zeros", "ones"]))
    if psd and len(shape) == 2 and shape[0] == shape[1]:
        p = draw(st.integers(1, 6))
        Z = rng.integers(-3, 4, size=(shape[0], p)).astype(np.float64) if kind != "gauss" \
            else rng.standard_normal((shape[0], p))
        a = Z @ Z.T
    elif kind == "int":
        a = rng.integers(-3, 4, size=shape).astype(np.float64)
    elif kind == "gauss":
        a = rng.standard_normal(shape)
    elif kind == "tiny-range":
        a = 1.0 + 1e-12 * rng.standard_normal(shape)
    elif kind == "zeros":
        a = np.zeros(shape)
    else:
        a = np.ones(shape)
    if a.ndim == 2 and a.shape[0] >= 2 and draw(st.booleans()):
        tweak = draw(st.sampled_from(["zero-row", "dup-row", "const-col"]))
        if tweak == "zero-row":
            a[draw(st.integers(0, a.shape[0] - 1))] = 0.0
        elif tweak == "dup-row":
            a[1] = a[0]
        else:
            a[:, 0] = 1.0
    s = draw(st.sampled_from(SCALES))
    with np.errstate(all="ignore"):
        return a * 10.0**s if s else a


def _to_container(a: np.ndarray, how: str) -> Any:
    if how == "torch":
        return torch.from_numpy(np.ascontiguousarray(a))
    if how == "torch32":
        with np.errstate(all="ignore"):
            return torch.from_numpy(np.ascontiguousarray(a.astype(np.float32)))
    if how == "list":
        return a.tolist()
    return a


@st.composite
def _wild_array(draw) -> Any:
    form = draw(st.sampled_from(["array"] * 6 + ["ragged", "scalar", "none", "str", "dict"]))
    if form == "ragged":
        return [[1.0, 2.0], [3.0]]
    if form == "scalar":
        return draw(st.sampled_from([1.0, math.nan, 0, True, 2 + 1j]))
    if form == "none":
        return None
    if form == "str":
        return "X"
    if form == "dict":
        return {"a": 1}
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=3)))
    size = int(np.prod(shape)) if shape else 1
    dtype = draw(st.sampled_from(["float64", "float32", "float16", "int64", "int8", "uint8",
                                  "bool", "complex128", "object", "str"]))
    if dtype in ("float64", "float32", "float16", "complex128"):
        vals = draw(st.lists(st.sampled_from(SPECIAL) | st.floats(-10, 10), min_size=size,
                             max_size=size))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = np.array(vals, dtype=np.float64).astype(dtype).reshape(shape)
    elif dtype in ("int64", "int8", "uint8"):
        info = np.iinfo(dtype)
        vals = draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=size,
                             max_size=size))
        a = np.array(vals, dtype=dtype).reshape(shape)
    elif dtype == "bool":
        a = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)),
                     dtype=bool).reshape(shape)
    elif dtype == "object":
        vals = draw(st.lists(st.sampled_from([None, "a", 1, 1.5, b"x", (1, 2)]),
                             min_size=size, max_size=size))
        a = np.empty(size, dtype=object)
        a[:] = vals
        a = a.reshape(shape)
    else:
        a = np.array(draw(st.lists(st.sampled_from(["a", "1", ""]), min_size=size,
                                   max_size=size)), dtype=str).reshape(shape)
    how = draw(st.sampled_from(["numpy", "torch", "list"]))
    if how == "torch" and a.dtype.kind in "fiubc" and a.dtype != np.uint16:
        return torch.from_numpy(np.ascontiguousarray(a))
    if how == "list":
        return a.tolist()
    return a


@st.composite
def _array(draw, role: str, dims: dict[str, int], mode: str, torch_only: bool) -> Any:
    if mode == "wild" or (mode != "valid" and draw(st.integers(0, 9)) == 0):
        return draw(_wild_array())
    shape = _shape(role, dims)
    a = draw(_clean_values(shape, psd=role == "nn" and (mode == "valid" or draw(st.booleans()))))
    if mode == "poisoned":
        flat = a.reshape(-1)
        flat[draw(st.integers(0, flat.size - 1))] = draw(st.sampled_from(
            [math.nan, math.inf, -math.inf, 1e308]))
    if mode == "valid":  # one float64 dtype for every argument
        choices = ["torch"] if torch_only else ["numpy", "numpy", "torch", "list"]
    else:
        choices = ["torch", "torch", "torch32"] if torch_only else \
            ["numpy", "numpy", "torch", "torch32", "list"]
    return _to_container(a, draw(st.sampled_from(choices)))


# ----------------------------------------------------------------------------- scalars

BAD_SCALARS = (0, -1, -0.5, math.nan, math.inf, -math.inf, 1e300, 1e-300, True, None, "x",
               2 + 0j)
BAD_INTS = (0, -1, -7, 1.5, math.nan, math.inf, True, None, "3")


class _S:
    """A parameter's strategy: ``good`` values, and ``bad`` ones mixed in outside
    the ``valid`` mode."""

    def __init__(self, good: st.SearchStrategy, bad: tuple = ()) -> None:
        self.good, self.bad = good, bad

    def strategy(self, mode: str) -> st.SearchStrategy:
        if mode == "valid" or not self.bad:
            return self.good
        return st.one_of(self.good, self.good, self.good, st.sampled_from(self.bad))


def _num(good: st.SearchStrategy) -> _S:
    return _S(good, BAD_SCALARS)


def _int(lo: int, hi: int, *, huge: bool = False) -> _S:
    return _S(st.integers(lo, hi), BAD_INTS + ((10**30,) if huge else ()))


def _enum(good: list, bad: list) -> _S:
    return _S(st.sampled_from(good), tuple(bad))


POS_FLOAT = _num(st.sampled_from([1e-6, 1e-3, 0.1, 1.0, 10.0]) | st.floats(1e-8, 1e3))
DTYPES = _enum([None, None, torch.float64, torch.float32, "float64", "float32"],
               ["float16", np.float64, torch.int64, "complex128", "int32", "nope",
                torch.bfloat16, 3])
DEVICES = _enum([None, None, "cpu", torch.device("cpu")], ["nonsense", 7])
CHECKS = _enum([True, False, ("symmetry",), ("symmetry", "psd"),
                ("symmetry", "psd", "conditioning")], [None, ("bogus",), "psd", 1])
BOOLS = _enum([True, False], [None, 0, "yes"])


def _kernel_fn() -> st.SearchStrategy:
    def good(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (a @ b.T) ** 2

    def nan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.full((a.shape[0], b.shape[0]), math.nan, dtype=a.dtype)

    def wrong_shape(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.zeros(1, dtype=a.dtype)

    return st.sampled_from([good, good, nan, wrong_shape, None, "kernel"])


@st.composite
def _operator(draw, dims: dict[str, int], mode: str) -> Any:
    """A KernelOperator on clean rows (the ReLU NTK, MLP-Attn or a drawn kernel_fn), or junk
    outside the valid mode."""
    from linattn.solvers import KernelOperator

    if mode != "valid" and draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from([None, "op", torch.eye(dims["n"], dtype=torch.float64)]))
    X = torch.from_numpy(draw(_clean_values((dims["n"], dims["d"]), psd=False)))
    kind = draw(st.sampled_from(["relu", "attn", "fn"]))
    try:
        if kind == "relu":
            return KernelOperator.relu_ntk(X)
        if kind == "attn":
            return KernelOperator.mlp_attn_ntk(X)
        return KernelOperator(draw(_kernel_fn()), X)
    except LinAttnError:  # e.g. non-finite rows: the constructor's own validation
        return None


@st.composite
def _model(draw, dims: dict[str, int], mode: str) -> Any:
    from linattn.ntk import MLPAttn, TwoLayerReLU

    kinds = ["relu", "attn"] + ([] if mode == "valid" else ["linear", "none", "string"])
    kind = draw(st.sampled_from(kinds))
    d = dims["d"]
    if kind == "relu":
        return TwoLayerReLU(d, draw(st.integers(1, 8)), seed=0)
    if kind == "attn":
        keys = np.random.default_rng(0).standard_normal((dims["n"], d))
        return MLPAttn(keys, draw(st.integers(1, 8)), seed=0)
    if kind == "linear":
        return torch.nn.Linear(d, 1).double()
    return None if kind == "none" else "model"


@st.composite
def _qkv_net(draw, dims: dict[str, int], mode: str) -> Any:
    from linattn.qkv_ntk import QKVAttentionMLP

    kind = draw(st.sampled_from(["net", "net"] + ([] if mode == "valid" else
                                                  ["relu", "none", "string"])))
    if kind == "net":
        keys = np.random.default_rng(draw(st.integers(0, 9))).standard_normal(
            (dims["n"], dims["d"]))
        return QKVAttentionMLP(keys, draw(st.integers(1, 4)), draw(st.integers(1, 4)),
                               attention=draw(st.sampled_from(["linear", "softmax"])),
                               seed=draw(st.integers(0, 9)))
    if kind == "relu":
        from linattn.ntk import TwoLayerReLU

        return TwoLayerReLU(dims["d"], 2, seed=0)
    return None if kind == "none" else "net"


@st.composite
def _ntk_at(draw, dims: dict[str, int], mode: str) -> Any:
    """Finite-width NTK callables for kernel_regime: one that converges (H_inf's shape when
    H_inf is (n, n)), and bad ones (wrong shape, not a tensor, NaN, not callable)."""
    n = dims["n"]

    def good(m: int, k: int) -> torch.Tensor:
        return torch.eye(n, dtype=torch.float64) * (1 + 1 / m)

    def wrong_shape(m: int, k: int) -> torch.Tensor:
        return torch.eye(n + 1, dtype=torch.float64)

    def nan(m: int, k: int) -> torch.Tensor:
        return torch.full((n, n), math.nan, dtype=torch.float64)

    bad = [wrong_shape, nan, lambda m, k: None, lambda m, k: "H", None, "ntk_at"]
    return draw(st.sampled_from([good] if mode == "valid" else [good, good, *bad]))


# parameter name -> role ("nd", "nn", ... for arrays) or a strategy; overrides per module
ARRAY_ROLES = {
    "X": "nd", "X_train": "nd", "keys": "kd", "blocks": "nd", "Y": "md", "X_test": "md",
    "K": "nn", "K_train": "nn", "A": "nn", "A_inv": "nn", "S": "nn", "S_or_eigs": "nn",
    "K_test_train": "mn", "y": "yn", "B": "nk", "Z": "nk", "eigs": "ve", "x": "vd",
    "delta": "vd", "Q": "dh", "V": "dh", "indices": "vn", "center_mean": "vd",
    "W": "md", "radii": "vn", "X_first": "nd", "Phi": "nd", "Psi": "md", "Kt": "mn",
    "I": "mn", "I0": "mn", "I_before": "mn", "I_after": "mn",
}
MODULE_ROLES = {
    ("pyverify.sensitivity", "y"): "vd",
    ("linattn.kernel_regime", "F"): "nd", ("linattn.kernel_regime", "H_inf"): "nn",
    ("linattn.multihead", "P"): "dh", ("linattn.multihead", "F"): "nd",
    ("linattn.solvers", "V"): "nk",
    ("linattn.ntk", "A"): "nd", ("linattn.ntk", "B"): "md",
    ("linattn.dynamics", "T"): "md", ("linattn.dynamics", "W"): "md",
    ("linattn.function_class", "alpha"): "nn", ("pyverify.function_class", "alpha"): "nn",
    ("linattn.function_class", "Z"): "md",
    ("linattn.finite_width", "A"): "nd",
    ("linattn.widthlaw", "widths"): "yn", ("linattn.widthlaw", "ratios"): "yn",
    ("linattn.widthlaw", "x"): "yn", ("linattn.widthlaw", "log10_y"): "yn",
    ("linattn.qkv", "K"): "dh", ("linattn.threats", "rows"): "vn",
    ("linattn.adjoint", "G"): "nn", ("linattn.adjoint", "a"): "vn",
    ("linattn.influence", "L"): "nn",
    ("linattn.adjoint", "b"): "vn", ("linattn.adjoint", "T"): "md",
    ("pyverify.spectrum", "eigs"): "ve",
}

SCALARS: dict[str, _S] = {
    "ridge": POS_FLOAT, "eps": POS_FLOAT, "tau": _num(st.sampled_from([1e-12, 1e-6, 0.5])),
    "std": _num(st.sampled_from([0.1, 1.0]) | st.none()),
    "init_scale": POS_FLOAT, "step_size": _num(st.none() | st.sampled_from([0.1, 1.0])),
    "tol": _num(st.sampled_from([1e-10, 1e-6, 1e-3])), "cond": _num(st.floats(1, 1e20)),
    "cond_d": _num(st.floats(1, 1e30) | st.sampled_from([1, 10**40])),
    "max_cond": _num(st.sampled_from([1e12, 1e6, 10.0])),
    "rtol": _num(st.none() | st.sampled_from([0.0, 1e-12, 1e-6, 0.1, 0.99])),
    "n": _int(1, 6, huge=True), "d": _int(1, 6), "h": _int(1, 4), "r": _int(1, 6),
    "rank": _int(1, 6), "dps": _int(15, 60), "digits": _int(1, 14),
    "steps": _int(1, 3), "restarts": _int(1, 2), "power_iters": _int(1, 3),
    "init_samples": _int(1, 3), "width": _int(1, 8), "seed": _int(0, 2**31, huge=True),
    "products": _int(1, 4, huge=True), "block_rows": _int(1, 8),
    "chunk_size": _S(st.none() | st.integers(1, 4), BAD_INTS),
    "cholesky_max_n": _int(1, 10), "max_iter": _S(st.none() | st.integers(1, 50), BAD_INTS),
    "precision": _enum(["float64", "float32", "float16", "bfloat16", "mp50", 2.0**-52],
                       ["mp0", "mpx", "int8", 0.0, -1.0, math.nan, None, 3]),
    "dtype": DTYPES, "device": DEVICES, "check": CHECKS,
    "gates": _enum([("symmetry",), ("psd", "conditioning"), ("symmetry", "psd")],
                   [(), ("bogus",), "psd", None]),
    "cross_check": _enum([None, True, False], [0, "yes"]),
    "first_order": BOOLS, "relative_ridge": BOOLS, "exact": _enum([None, True, False], [0]),
    "arch": _enum(["relu", "mlp_attn", "linear", "softmax"], ["transformer", None, 3,
                                                            "multihead"]),
    "precond": _enum(["nystrom", "pivoted-cholesky", None], ["jacobi", 1]),
    "classes": _enum(["binary", "5class", "10class", (0, 1), (3,), (2, 7, 9)],
                     [(0, 0), (10,), (), (-1, 2), "7class", None, 5, (1.5,), (True, 2)]),
    "split": _enum(["train", "test"], ["valid", None]),
    "scale": BOOLS, "center": BOOLS, "row_normalize": BOOLS,
    "class_names": _enum([("0", "1")], [(), None]),
    "source": _enum(["fuzz"], [None]),
    "checksums": _enum([{}], [None]),
    "kernel_fn": _S(_kernel_fn(), (None, "kernel")), "diag_fn": _enum([None], ["diag"]),
    "lam_min": _num(st.floats(-1.0, 1e6)), "lam_max": _num(st.floats(0.0, 1e12)),
    "nx": _enum(["X"], [None]), "ny": _enum(["Y"], [None]),
    "F": _enum([lambda d: (d * d).sum(), lambda d: d.abs().sum()], [None, "F"]),
    "gen": _S(st.builds(lambda s: torch.Generator().manual_seed(s), st.integers(0, 9)),
              (None, 3, "g")),
    "alpha": POS_FLOAT,
    "lr_scale": POS_FLOAT, "radius": POS_FLOAT, "s": POS_FLOAT,
    "grid": _int(3, 5), "d_extra": _int(0, 3),
    "checkpoints": _enum([(), (0, 1)], [None, 3]),
    "on_checkpoint": _enum([None, lambda t: None], ["f"]),
    "mode": _enum(["spectral", "n", "none"], ["max", None]),
    # beyond-the-paper variants (softmax_attention, kernel_regime, multihead, qkv_ntk)
    "draws": _int(1, 3), "draw": _int(0, 3),
    "slope": _num(st.floats(-2, 2) | st.sampled_from([-5e-324, -1e-300])),
    "intercept": _num(st.floats(-300, 300)),
    "attention": _enum(["linear", "softmax"], ["relu", None, 1]),
    "layernorm": BOOLS, "parts": BOOLS,
    "variant": _enum(["linear", "softmax", "multihead", "layernorm", "qkv-linear",
                      "qkv-softmax"], ["transformer", None, 3]),
    "target": POS_FLOAT, "x0": POS_FLOAT, "lam0": POS_FLOAT,
    "rate": _num(st.sampled_from([-0.5, -1.0, -2.0])),
    "rate_from": _num(st.sampled_from([0.0, 1.0, 4.0])),
    "level": _num(st.sampled_from([0.9, 0.95, 0.99])),
    "delta": _num(st.sampled_from([0.1, 0.5])),
    "prediction": BOOLS, "rows": _int(1, 6), "count_width": _int(1, 8),
    "fit": _S(st.just(None).map(lambda _: _fitted()), (None, {}, "fit", {"exponent": None})),
    # both the nested-width curve (increasing) and kernel_regime (>= 2 distinct) accept these
    "widths": _S(st.lists(st.integers(1, 8), min_size=2, max_size=3, unique=True).map(sorted),
                 ((), (0, 2), (1.5, 2), "ab", None, 5, (4,))),
    "ridge_mode": _enum(["relative", "absolute"], ["both", None, 1]),
    "poison_k": _S(st.none() | st.integers(1, 4), BAD_INTS),
    "k": _S(st.none() | st.integers(1, 4), BAD_INTS),
    "box": _enum([(0.0, 1.0), None, (-1.0, 2.0)], [(1.0, 0.0), "box", (0.0,), (0.0, math.nan)]),
    "spec": _enum(["1", "1%", "10%", "all", 2], ["0", "x%", "200%", None, 1.5]),
    "topk": _S(st.none() | st.integers(1, 3), BAD_INTS),
    "n_targets": _int(0, 2),
    "t": _int(0, 3), "j": _int(0, 3),
    "direction": _enum(["in", "out"], ["up", None]),
    "sigma": _num(st.none() | st.sampled_from([0.0, 1.0])),
    "phi": _enum([lambda k, Z: Z, lambda k, Z: Z @ (k.T @ k)],
                 [None, "phi", lambda k, Z: Z[:1]]),
    "kernels": _S(st.sampled_from(["relu", "mlp_attn"]).map(lambda a: _kernels(a)),
                  (None, "kernels", 3)),
    "influence": _enum([lambda X: (X @ X.T)[:1], lambda X: X.T @ X],
                       [None, "influence", lambda X: 3.0]),
    "threat": _S(st.builds(lambda e: _threat("linf", e), st.sampled_from([0.0, 0.01, 0.1]))
                 | st.builds(lambda e: _threat("l2-row", e), st.sampled_from([0.0, 0.1])),
                 (None, "linf", 3)),
    "threats": _S(st.lists(st.builds(lambda e: _threat("linf", e),
                                     st.sampled_from([0.0, 0.01, 0.1])), max_size=2),
                  (None, "linf", [None])),
    "targeted": _S(st.lists(st.builds(lambda e: _threat("l2-row", e),
                                      st.sampled_from([0.1])), max_size=1), (None, "x")),
    "residual": _num(st.sampled_from([0.0, 1e-10, 1e-6, 0.5])),
    "block": _int(1, 8), "rhs_block": _int(1, 3), "max_refine": _int(1, 3),
    "progress": _enum([False, None], ["yes", 1]),
    "memory_bytes": _S(st.sampled_from([None, 10**12, "8G", "1K", 4096]),
                       ("lots", -1, 0, "", 1.5e300, True)),
}
MODULE_SCALARS: dict[tuple[str, str], _S] = {
    ("linattn.malleability", "threat"): _enum(["l2-row", "linf", "poison"],
                                              ["l1", None, 3]),
    ("linattn.solvers", "k"): _int(1, 4),
}


def _kernels(arch: str) -> Any:
    from linattn.adjoint import attention_gram_kernels, feature_kernels

    return feature_kernels(lambda k, Z: Z) if arch == "relu" else attention_gram_kernels


def _threat(name: str, eps: float) -> Any:
    from linattn.threats import Threat

    return Threat(name, eps, box=None)


@st.composite
def _fset(draw, dims: dict[str, int], mode: str) -> Any:
    from linattn.threats import Threat, feasible_set

    if mode != "valid" and draw(st.booleans()):
        return draw(st.sampled_from([None, 3, "fset"]))
    X = np.random.default_rng(0).uniform(0, 1, (dims["n"], dims["d"]))
    name = draw(st.sampled_from(["linf", "l2-row", "poison"]))
    th = Threat(name, 0.1, 1 if name == "poison" else None)
    return feasible_set(th, X, rows=[0] if name == "poison" else None)


def _fitted() -> dict:
    from linattn.widthlaw import power_law_fit

    return power_law_fit([1, 2, 4, 8], [0.0, 0.3, 0.61, 0.9], x0=16)
METHODS = {  # module -> (good, bad) values of ``method``
    "linattn.opnorm": (["auto", "dense", "lanczos"], ["eigh", None, 1]),
    "linattn.finite_width": (["auto", "dense", "lanczos"], ["eigh", None, 1]),
    "linattn.spectrum": (["auto", "gram-dual", "svd", "qr-svd"], ["eigh", None, 1]),
    "linattn.kernel": (["auto", "gram-dual", "svd", "qr-svd"], ["eigh", None, 1]),
    "linattn.solvers": (["auto", "cholesky", "pcg", "nystrom", "pivoted-cholesky"],
                            ["lu", None, 1]),
}
NAMES = {  # the ``name`` parameter: a dataset name in data, an error label elsewhere
    "linattn.data": (["digits", "mnist", "cifar10", "MNIST"], ["imagenet", "", None, 3]),
    "linattn.threats": (["l2-row", "linf", "poison"], ["l1", "", None, 3]),
    "linattn.checks": (["K"], [None]),
}


def _param_strategy(module: str, fname: str, p: inspect.Parameter, dims, mode,
                    torch_only: bool) -> st.SearchStrategy | None:
    name = p.name
    role = MODULE_ROLES.get((module, name)) or ARRAY_ROLES.get(name)
    if fname in ("width_threshold", "log10_width_threshold") and name == "cond_d":
        return SCALARS["cond_d"].strategy(mode)
    if fname == "symbolic_kernel_identity":
        return _int(1, 2).strategy(mode)
    if fname == "TwoLayerReLU" and name == "d":
        return st.just(dims["d"])
    if name == "model":
        return _model(dims, mode)
    if name == "net":
        return _qkv_net(dims, mode)
    if name == "ntk_at":
        return _ntk_at(dims, mode)
    if name == "fset":
        return _fset(dims, mode)
    if (module, name) in MODULE_SCALARS:
        return MODULE_SCALARS[(module, name)].strategy(mode)
    if name == "op":
        return _operator(dims, mode)
    if name == "preprocess":
        from linattn.data import Preprocess

        return _enum([Preprocess(), Preprocess(center=True)], [None, "scale"]).strategy(mode)
    if name == "name":
        return _enum(*NAMES[module]).strategy(mode) if module in NAMES else None
    if name == "method":
        return _enum(*METHODS[module]).strategy(mode) if module in METHODS else None
    if role is not None:
        return _array(role, dims, mode, torch_only)
    return SCALARS[name].strategy(mode) if name in SCALARS else None


@st.composite
def call_args(draw, module: str, fname: str, fn: Callable) -> tuple[list, dict]:
    sig = inspect.signature(fn)
    dims = draw(_dims())
    dims["nk"] = draw(st.integers(1, 6))
    mode = draw(st.sampled_from(["valid", "valid", "clean", "clean", "poisoned", "wild"]))
    torch_only = module in ("linattn.solvers", "linattn.qkv")
    args, kwargs = [], {}
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        strat = _param_strategy(module, fname, p, dims, mode, torch_only)
        required = p.default is inspect.Parameter.empty
        if strat is None:
            if required:
                raise AssertionError(f"fuzz harness: no strategy for required parameter "
                                     f"{p.name!r} of {module}.{fname}; add it to ROLES/SCALARS")
            continue
        if not required and draw(st.integers(0, 2)) == 0:
            continue  # keep the default
        value = draw(strat)
        if p.kind == p.KEYWORD_ONLY:
            kwargs[p.name] = value
        else:
            args.append(value)
    return args, kwargs


