"""The malleability attack's hot path: one projected-gradient-ascent step.

``pga_step`` times one step of the attack of :mod:`linattn.malleability` -- the objective
F(δ) = ‖I(X + δ) − I(X)‖_F / ‖I(X)‖_F forward (features, ReLU NTK K(X, X) and K(T, X),
the ridge solve) and its gradient by the hand-written adjoints of :mod:`linattn.adjoint` --
against its floor in the same run: one Cholesky factorisation plus solve of the same
n × n system (K + λI) Z = K(T, X)ᵀ through :func:`linattn.influence.ridge_solve`.  Ratio =
step / (Cholesky + solve) for MLP-Attn (the costlier architecture; ReLU in ``extra``), at
n = 1024 and d = 64 (the digits' dimension; the l2-row attack's span coordinates have
d ≤ 2n + n_test).  ``extra`` also holds both ratios at d = 784 (MNIST pixel coordinates, the
ℓ∞ attack), where the feature and kernel GEMMs (~9 n² d flops against n³/3) dominate.

Accuracy: a relative gradient check of the step along a random direction v,
|∇F · v − dF(v)| / |dF(v)|, with dF(v) the forward-mode derivative (``torch.func.jvp``)
of the autograd route (``linattn.malleability.plain_influence``): an independent
differentiation of the same F.
"""

from __future__ import annotations

from benchmarks import common
from benchmarks.common import synthetic
from benchmarks.harness import CaseResult, measure

__all__ = ["CASES", "SIZES", "TINY", "case_pga_step"]

SIZES = {"pga_step": {"quick": {"n": 1024, "d": 64, "n_test": 64, "d_pixel": 784},
                      "full": {"n": 1024, "d": 64, "n_test": 64, "d_pixel": 784}}}
TINY = {"pga_step": {"n": 48, "d": 8, "n_test": 6, "d_pixel": 20}}
TARGET = 4.0
RIDGE = 1e-3
"""Relative ridge: λ = RIDGE · tr K / n."""


def _step_and_floor(n: int, d: int, n_test: int, arch: str, device: str, seed: int):
    import torch

    from linattn.adjoint import influence_fn
    from linattn.influence import add_ridge, ridge_solve
    from linattn.malleability import arch_kernels, feature_map

    X = synthetic(n, d, seed, device)
    T = synthetic(n_test, d, seed + 1, device)
    _, phi = feature_map(arch)
    kernels = arch_kernels(arch, n, d)
    with torch.no_grad():
        K, Kt = kernels(X, T)
    lam = RIDGE * float(K.diagonal().mean())
    influence = influence_fn(kernels, T, lam)
    with torch.no_grad():
        I0 = influence(X)
    base = float(torch.linalg.norm(I0))
    g = torch.Generator().manual_seed(seed)
    D = (1e-2 * torch.randn(X.shape, generator=g, dtype=X.dtype)).to(device) * X.abs().mean()

    def F(delta):
        return torch.linalg.norm(influence(X + delta) - I0) / base

    def step():
        delta = D.clone().requires_grad_(True)
        val = F(delta)
        (grad,) = torch.autograd.grad(val, delta)
        return val.detach(), grad

    A, B = add_ridge(K, lam), Kt.T.contiguous()
    measure(step)  # warm-up
    (val, grad), t_step, pk = measure(step, device=device, repeat=3)
    _, t_chol, pk_c = measure(lambda: ridge_solve(A, B, check=False), device=device, repeat=3)
    return {"X": X, "T": T, "lam": lam, "phi": phi, "I0": I0, "base": base, "D": D,
            "val": val, "grad": grad, "t_step": t_step, "t_chol": t_chol, "peak": pk,
            "peak_c": pk_c}


def _gradient_check(r: dict) -> float:
    import torch
    from torch.func import jvp

    from linattn.malleability import plain_influence

    slow = plain_influence(r["phi"], r["T"], r["lam"])
    g = torch.Generator().manual_seed(7)
    v = torch.randn(r["X"].shape, generator=g, dtype=r["X"].dtype).to(r["X"].device)

    def F(delta):
        return torch.linalg.norm(slow(r["X"] + delta) - r["I0"]) / r["base"]

    _, dF = jvp(F, (r["D"],), (v,))
    want = float(dF)
    return abs(float((r["grad"] * v).sum()) - want) / abs(want)


def case_pga_step(mode: str, device: str, override=None) -> CaseResult:
    s, label = common.sizes("pga_step", mode, SIZES, TINY, override)
    runs = {arch: _step_and_floor(s["n"], s["d"], s["n_test"], arch, device, 11)
            for arch in ("mlp_attn", "relu")}
    att = runs["mlp_attn"]
    ratio = att["t_step"] / att["t_chol"]
    acc = max(_gradient_check(r) for r in runs.values())
    r = CaseResult("pga_step", label, att["t_step"], "Cholesky + solve of (K+λI)Z = K(T,X)ᵀ",
                   att["t_chol"], ratio, "step/(Cholesky+solve)", att["peak"], att["peak_c"],
                   acc, "max rel err ∇F·v vs jvp of the autograd route (both archs)",
                   f"ratio ≤ {TARGET:g} (MLP-Attn, d={s['d']})", ratio <= TARGET)
    r.extra = {"ratio_relu": runs["relu"]["t_step"] / runs["relu"]["t_chol"],
               "step_s_relu": runs["relu"]["t_step"], "ridge_rel": RIDGE}
    dp = s["d_pixel"]
    pix = {}
    for arch in ("mlp_attn", "relu"):
        p = _step_and_floor(s["n"], dp, s["n_test"], arch, device, 13)
        pix[arch] = p["t_step"] / p["t_chol"]
        r.extra[f"ratio_{arch}_d{dp}"] = pix[arch]
        r.extra[f"step_s_{arch}_d{dp}"] = p["t_step"]
    r.note = (f"MLP-Attn step {att['t_step']:.3g} s vs Cholesky+solve {att['t_chol']:.3g} s; "
              f"ReLU ratio {r.extra['ratio_relu']:.3g}; at d={dp} (pixel coordinates): "
              f"MLP-Attn {pix['mlp_attn']:.3g}, ReLU {pix['relu']:.3g} (GEMMs ~9n²d dominate)")
    return r


CASES = {"pga_step": case_pga_step}
