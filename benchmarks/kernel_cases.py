"""The kernel, spectrum, influence and NTK benchmark cases.  Each is
``case(mode, device, override=None) -> CaseResult``; sizes ``SIZES[case][mode]``.

``--full`` uses the target sizes; ``--quick`` keeps them where they fit the 10-minute budget
on 2 cores and scales them down (the row says so) where not.  The project's functions are
imported inside the cases, so a missing one costs one row ("not available"), not the
suite.  neural-tangents is optional (extra ``bench-nt``); without it the two cases that
compare with it time ours, check it against an independent numpy reference and say
"baseline unavailable".  Data: :func:`benchmarks.common.synthetic` (MNIST-like) and the
real MNIST subset.
"""

from __future__ import annotations

import numpy as np

from benchmarks import common
from benchmarks.common import NT_MISSING, data_dir, gemm_case, relerr, synthetic, top_rel
from benchmarks.harness import CaseResult, measure

SIZES: dict[str, dict[str, dict[str, int]]] = {
    "spectral_synthetic": {"quick": {"n": 60000, "d": 784}, "full": {"n": 60000, "d": 784}},
    "spectral_mnist": {"quick": {"n": 10000}, "full": {"n": 10000}},
    "dual_vs_eigh": {"quick": {"n": 4000, "d": 784}, "full": {"n": 4000, "d": 784}},
    "linattn_influence": {"quick": {"n": 60000, "d": 784, "n_test": 100, "n_eq": 3000},
                          "full": {"n": 60000, "d": 784, "n_test": 100, "n_eq": 3000}},
    "relu_ntk_nt": {"quick": {"n": 4000, "d": 784}, "full": {"n": 10000, "d": 784}},
    "linattn_nt": {"quick": {"n": 2000, "d": 784}, "full": {"n": 5000, "d": 784}},
    "relu_influence_pcg": {"quick": {"n": 8000, "d": 784, "n_test": 100, "n_chol": 3000},
                           "full": {"n": 20000, "d": 784, "n_test": 100, "n_chol": 5000}},
    "empirical_ntk": {"quick": {"n": 500, "d": 64, "width": 1024},
                      "full": {"n": 2000, "d": 64, "width": 1024}},
}
PCG_TOL = 1e-6
PCG_RANK = 1000
DENSE_MAX_BYTES = 4 * 2**30
"""The PCG case stores K when it takes at most this, else computes its blocks on the fly."""
RELU_RIDGE = 1e-3
"""Ridge of the ReLU-NTK influence case (diag(K) = 1/2 for unit-norm rows)."""


TINY: dict[str, dict[str, int]] = {
        "spectral_synthetic": {"n": 300, "d": 20},
        "spectral_mnist": {"n": 200},
        "dual_vs_eigh": {"n": 200, "d": 20},
        "linattn_influence": {"n": 400, "d": 20, "n_test": 5, "n_eq": 150},
        "relu_ntk_nt": {"n": 100, "d": 20},
        "linattn_nt": {"n": 80, "d": 10},
        "relu_influence_pcg": {"n": 300, "d": 20, "n_test": 4, "n_chol": 100},
        "empirical_ntk": {"n": 30, "d": 8, "width": 64},
    }
"""Sizes for the smoke test (correctness of the harness only)."""


def case_spectral_synthetic(mode: str, device: str, override=None) -> CaseResult:
    import torch

    from linattn.spectrum import spectral_stats

    s, label = common.sizes("spectral_synthetic", mode, SIZES, TINY, override)
    X = synthetic(s["n"], s["d"], 0, device)
    st, r = gemm_case("spectral_synthetic", mode, device, lambda: spectral_stats(X), X,
                       label, 1.5)
    ref = torch.linalg.svdvals(X) ** 2
    r.accuracy, r.accuracy_what = top_rel(st.eigenvalues, ref, 100), "max rel err top-100 vs svd"
    r.note = f"method {st.method}: {st.method_note}"
    return r


def case_spectral_mnist(mode: str, device: str, override=None) -> CaseResult:
    import torch

    from linattn.data import load_dataset
    from linattn.spectrum import spectral_stats
    from pyverify.errors import DataError

    s, label = common.sizes("spectral_mnist", mode, SIZES, TINY, override)
    root = data_dir()
    try:
        parts = [load_dataset("mnist", split=sp, data_dir=root).X for sp in ("train", "test")]
    except DataError as exc:
        return CaseResult("spectral_mnist", label, note=f"not available: no MNIST at {root}: "
                          f"{exc}", met=None)
    X = torch.as_tensor(np.concatenate(parts)[: s["n"]]).to(device)
    label = f"n={X.shape[0]}, d={X.shape[1]} (real MNIST subset, pixels/255)"
    st, r = gemm_case("spectral_mnist", mode, device, lambda: spectral_stats(X), X, label, 1.5)
    ref = torch.linalg.svdvals(X) ** 2
    r.accuracy, r.accuracy_what = top_rel(st.eigenvalues, ref, 100), "max rel err top-100 vs svd"
    r.note = (f"data {root}; method {st.method}: {st.method_note}; rank "
              f"{st.rank}, cond_d {st.cond_d:.3g}")
    return r


def case_dual_vs_eigh(mode: str, device: str, override=None) -> CaseResult:
    import torch

    from linattn.spectrum import spectral_stats

    s, label = common.sizes("dual_vs_eigh", mode, SIZES, TINY, override)
    X = synthetic(s["n"], s["d"], 1, device)
    w = X[:500]
    measure(lambda: (spectral_stats(w), torch.linalg.eigvalsh(w @ w.T)), device=device)
    dense, t_base, pk_base = measure(lambda: torch.linalg.eigvalsh(X @ X.T), device=device)
    st, t_ours, pk = measure(lambda: spectral_stats(X), device=device, repeat=3)
    ref = dense.flip(0)
    speedup = t_base / t_ours
    acc = top_rel(st.eigenvalues, ref, 10)
    return CaseResult("dual_vs_eigh", label, t_ours, "dense eigvalsh(XXᵀ) n×n", t_base,
                      speedup, "baseline/ours speed-up", pk, pk_base, acc,
                      "max rel diff top-10 eigenvalues", "speed-up ≥ 50 and top-10 ≤ 1e-10",
                      speedup >= 50 and acc <= 1e-10, f"method {st.method}")


def case_linattn_influence(mode: str, device: str, override=None) -> CaseResult:
    import torch

    from linattn.influence import linattn_influence

    s, label = common.sizes("linattn_influence", mode, SIZES, TINY, override)

    def ridge_for(X):  # 1e-4 · λ_max(K), λ_max(K) = λ_max(C)³
        return 1e-4 * float(torch.linalg.eigvalsh(X.T @ X)[-1]) ** 3

    X = synthetic(s["n"], s["d"], 2, device)
    T = synthetic(s["n_test"], s["d"], 3, device)
    lam = ridge_for(X)
    _, r = gemm_case("linattn_influence", mode, device,
                      lambda: linattn_influence(X, T, lam), X, label, 5.0)
    # equality with the dense n×n formula at n_eq
    Xe, Te = X[: s["n_eq"]], T
    lam_e = ridge_for(Xe)
    fast = linattn_influence(Xe, Te, lam_e)
    C = Xe.T @ Xe
    Phi, Phi_t = Xe @ C, Te @ C
    K = Phi @ Phi.T
    A = K + lam_e * torch.eye(K.shape[0], dtype=K.dtype, device=K.device)
    dense = torch.cholesky_solve((Phi_t @ Phi.T).T, torch.linalg.cholesky(A)).T
    r.accuracy = relerr(fast, dense)
    r.accuracy_what = f"rel Frobenius vs dense K=G³ formula at n={s['n_eq']}"
    ok_acc = r.accuracy <= 1e-8
    r.target += "; ≤ 1e-8 vs dense"
    r.met = bool(r.met and ok_acc)
    r.note = "ridge = 1e-4·λ_max(K); baseline GEMM on the same n"
    return r


def _relu_ref_numpy(Xn: np.ndarray) -> np.ndarray:
    g = Xn @ Xn.T
    nr = np.linalg.norm(Xn, axis=1)
    u = np.clip(g / np.outer(nr, nr), -1.0, 1.0)
    np.fill_diagonal(u, 1.0)
    return g * (np.pi - np.arccos(u)) / (2 * np.pi)


def case_relu_ntk_nt(mode: str, device: str, override=None) -> CaseResult:
    import torch

    from linattn.ntk import relu_ntk

    s, label = common.sizes("relu_ntk_nt", mode, SIZES, TINY, override)
    X = synthetic(s["n"], s["d"], 4, device, unit_rows=True)
    w = X[:300]
    measure(lambda: relu_ntk(w, check=False), device=device)
    H, t_ours, pk = measure(lambda: relu_ntk(X, check=False), device=device)
    ref = torch.as_tensor(_relu_ref_numpy(X.cpu().numpy()))
    r = CaseResult("relu_ntk_nt", label, t_ours, peak_mb=pk,
                   target="ours ≤ neural-tangents jitted kernel_fn(x, x, 'ntk')")
    r.accuracy = float((H.cpu() - ref).abs().max() / ref.abs().max())
    r.accuracy_what = "max abs err / max|H| vs numpy"
    del ref
    nt = common.nt()
    if nt is None:
        r.note, r.met = NT_MISSING, None
        return r
    jax, stax = nt
    import jax.numpy as jnp

    _, _, kfn = stax.serial(stax.Dense(1024, W_std=1.0, b_std=None), stax.Relu(),
                            stax.Dense(1, W_std=1.0))
    kfn = jax.jit(kfn, static_argnames="get")
    xj = jnp.asarray(X.cpu().numpy())
    both = kfn(xj, xj, ("nngp", "ntk"))  # compiles the pair variant, used for accuracy
    Hnt = torch.as_tensor(np.asarray(s["d"] * (both[1] - both[0])))
    del both
    kfn(xj, xj, "ntk").block_until_ready()  # compile (untimed)
    _, t_nt, pk_nt = measure(lambda: kfn(xj, xj, "ntk").block_until_ready(), device="cpu")
    r.baseline, r.baseline_s = "neural-tangents kernel_fn (jit, x64)", t_nt
    r.baseline_peak_mb = pk_nt
    r.ratio, r.met = t_ours / t_nt, t_ours <= t_nt
    err_nt = float((H.cpu() - Hnt).abs().max() / Hnt.abs().max())
    r.extra["rel_err_vs_nt"] = err_nt
    r.note = (f"H = d·(NTK − NNGP) of NT: max rel diff {err_nt:.3g}; relu_ntk(check=False); "
              f"jax {jax.__version__} on CPU")
    return r


def case_linattn_nt(mode: str, device: str, override=None) -> CaseResult:
    import torch

    from linattn.kernel import linattn_kernel

    s, label = common.sizes("linattn_nt", mode, SIZES, TINY, override)
    n, d = s["n"], s["d"]
    X = synthetic(n, d, 5, device)
    w = X[:300]
    measure(lambda: linattn_kernel(w, check=False), device=device)
    K, t_ours, pk = measure(lambda: linattn_kernel(X, check=False), device=device)
    G = X @ X.T  # independent reference: the matrix cube of G
    ref = G @ G @ G
    del G
    r = CaseResult("linattn_nt", label, t_ours, peak_mb=pk,
                   target="time at n (no target); equals NT GlobalSelfAttention NNGP·d³")
    r.accuracy = relerr(K, ref)
    r.accuracy_what = "rel Frobenius vs G·G·G"
    nt = common.nt()
    if nt is None:
        r.note = NT_MISSING
        return r
    jax, stax = nt
    import jax.numpy as jnp

    _, _, kfn = stax.GlobalSelfAttention(1, 1, 1, 1, linear_scaling=True,
                                         attention_mechanism="IDENTITY")
    kfn = jax.jit(kfn, static_argnames="get")
    xj = jnp.asarray(X.cpu().numpy()[None])
    kfn(xj, None, "nngp").block_until_ready()
    out, t_nt, pk_nt = measure(lambda: kfn(xj, None, "nngp").block_until_ready(), device="cpu")
    Knt = torch.as_tensor(np.asarray(out).reshape(n, n)) * float(d) ** 3
    r.baseline, r.baseline_s, r.baseline_peak_mb = "NT GlobalSelfAttention IDENTITY", t_nt, pk_nt
    r.ratio = t_ours / t_nt
    err = relerr(K.cpu(), Knt)
    r.extra["rel_err_vs_nt"] = err
    r.note = (f"NT NNGP·d³ vs ours: rel Frobenius {err:.3g}; NT packs the data into one "
              "sequence (1, n, d), so it cannot attend across a train/test split")
    return r


def case_relu_influence_pcg(mode: str, device: str, override=None) -> CaseResult:
    import torch

    from linattn.ntk import relu_ntk
    from linattn.solvers import KernelOperator, solve_spd

    s, label = common.sizes("relu_influence_pcg", mode, SIZES, TINY, override)
    n, nc = s["n"], s["n_chol"]
    X = synthetic(n, s["d"], 6, device, unit_rows=True)
    T = synthetic(s["n_test"], s["d"], 7, device, unit_rows=True)

    def kern(a, b):
        return relu_ntk(a, b, check=False)

    dense = n * n * X.element_size() <= DENSE_MAX_BYTES

    def ours():
        # exact diagonal ||x||^2/2; KeOps only where "auto" picks it (CUDA, large n)
        op = KernelOperator.relu_ntk(X, backend="auto")
        Kd = op.to_dense() if dense else op  # on the fly beyond DENSE_MAX_BYTES
        B = kern(X, T)  # (n, n_test) = K_train,test
        return solve_spd(Kd, B, ridge=RELU_RIDGE, method="pcg", tol=PCG_TOL,
                         rank=min(PCG_RANK, n))

    sol, t_ours, pk = measure(ours, device=device)
    Xc = X[:nc]
    Kc = kern(Xc, Xc) + RELU_RIDGE * torch.eye(nc, dtype=X.dtype, device=X.device)
    Bc = kern(Xc, T)

    def chol():
        return torch.cholesky_solve(Bc, torch.linalg.cholesky(Kc))

    _, t_c, pk_c = measure(chol, device=device)
    t_extra = t_c * (n / nc) ** 3
    r = CaseResult("relu_influence_pcg", label, t_ours, f"dense Cholesky n={nc} ×(n/{nc})³",
                   t_extra, t_ours / t_extra, "ours/extrapolated", pk, pk_c, sol.residual,
                   "max rel residual ‖(K+λI)x−b‖/‖b‖",
                   "residual ≤ 1e-6, peak ≤ 8 GB", None)
    r.met = bool(sol.residual <= PCG_TOL and (pk is None or pk <= 8 * 1024))
    r.extra = {"iterations": sol.iterations, "precond": sol.precond, "rank": sol.rank,
               "cholesky_s_at_n_chol": t_c, "ridge": RELU_RIDGE}
    r.note = (f"PCG {sol.iterations} it, Nyström rank {sol.rank}, ridge {RELU_RIDGE}, "
              f"n_test={s['n_test']} RHS; our time includes building K "
              f"({'materialised' if dense else 'on the fly'}); "
              f"Cholesky at n={nc}: {t_c:.3g} s (solve only)")
    return r


def case_empirical_ntk(mode: str, device: str, override=None) -> CaseResult:
    import torch

    from linattn.ntk import TwoLayerReLU, empirical_ntk, relu_ntk_closed_form

    s, label = common.sizes("empirical_ntk", mode, SIZES, TINY, override)
    model = TwoLayerReLU(s["d"], s["width"], seed=0, dtype=torch.float64, device=device)
    X = synthetic(s["n"], s["d"], 8, device)
    measure(lambda: (empirical_ntk(model, X[:20]), relu_ntk_closed_form(model, X[:20])),
            device=device)
    E, t_ours, pk = measure(lambda: empirical_ntk(model, X), device=device)
    Cf, t_base, pk_b = measure(lambda: relu_ntk_closed_form(model, X), device=device)
    return CaseResult("empirical_ntk", label + " (d=64: digits' dimension; J is n·m·d floats)",
                      t_ours, "closed form, same weights", t_base, t_ours / t_base,
                      "empirical/closed-form", pk, pk_b, relerr(E, Cf),
                      "rel Frobenius empirical vs closed form", "report only", None,
                      "torch.func vmap(jacrev) over rows; only W trained")


CASES = {
    "spectral_synthetic": case_spectral_synthetic,
    "spectral_mnist": case_spectral_mnist,
    "dual_vs_eigh": case_dual_vs_eigh,
    "linattn_influence": case_linattn_influence,
    "relu_ntk_nt": case_relu_ntk_nt,
    "linattn_nt": case_linattn_nt,
    "relu_influence_pcg": case_relu_influence_pcg,
    "empirical_ntk": case_empirical_ntk,
}
