"""Neural tangent kernels of the two-layer ReLU network and of MLP-Attn, in torch.

Network (Du et al. 2019, the paper's setting): f(x) = m^{-1/2} sum_r a_r relu(w_r^T x),
x in R^d, width m, w_r ~ N(0, kappa^2 I) trained, a_r uniform in {-1, +1} fixed.  Only W is
trained, so the NTK is Theta(x, y) = (1/m) sum_r x^T y 1[w_r^T x >= 0] 1[w_r^T y >= 0]
(:func:`relu_ntk_closed_form` for given weights), and as m -> inf

    H(x, y) = x^T y (pi - arccos u) / (2 pi),    u = x^T y / (||x|| ||y||) in [-1, 1]

(:func:`relu_ntk`; independent of kappa).  MLP-Attn applies linearized attention first,
x -> C x with C = keys^T keys (keys = the training set), so its NTK is
H(C x, C y) (:func:`mlp_attn_ntk`).  :func:`empirical_ntk` computes
sum_params J_X J_Y^T for any scalar-output ``nn.Module`` with ``torch.func``.

Autograd: H is differentiable except where u = +-1 (arccos' is infinite there).  The
diagonal of H(X, X) is computed as ||x_i||^2 / 2 exactly (u_ii := 1, no arccos in the
graph); elsewhere |u| >= 1 gets the zero subgradient.  Zero rows make u undefined and
raise InputError naming the row.

Accuracy: u carries a relative rounding error delta ~ d eps; arccos amplifies it near
|u| = 1 to sqrt(2 delta), so |dH(x, y)| <~ ||x|| ||y|| (delta + sqrt(2 delta)) -- about
1e-8 relative for (nearly) collinear pairs in float64 (the test tolerance).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from linattn.checks import CheckArg, run_gates
from linattn.kernel import keys_attention_map
from linattn.validate import (
    as_matrix,
    as_pair,
    check_same_cols,
    finite_result,
    ldexp,
    needs_grad,
    own_dtype,
    pow2_scale,
    resolve_device,
    resolve_dtype,
)
from pyverify.errors import ConfigError, InputError, NumericalError

__all__ = [
    "MLPAttn",
    "TwoLayerReLU",
    "empirical_ntk",
    "finite_width_ntk",
    "mlp_attn_ntk",
    "relu_ntk",
    "relu_ntk_closed_form",
    "relu_ntk_core",
]


def _safe_arccos(u: torch.Tensor) -> torch.Tensor:
    inside = u.abs() < 1
    theta = torch.arccos(torch.where(inside, u, torch.zeros_like(u)))
    return torch.where(inside, theta, torch.arccos(u.clamp(-1, 1)).detach())


def _zero_rows(X: torch.Tensor, name: str) -> None:
    zero = (X.detach().abs().amax(dim=1) == 0).nonzero()
    if zero.numel():
        i = int(zero[0, 0])
        raise InputError.for_arg(name, "zero row: angle undefined", i,
                                 hint=f"row {i} has norm 0")




def relu_ntk_core(X: torch.Tensor, Y: torch.Tensor | None, nx: str = "X",
                  ny: str = "Y") -> torch.Tensor:
    """The ReLU NTK H(X, Y) (Y None: H(X, X)) of already validated tensors ``X: (n, d)``,
    ``Y: (m, d)``; ``nx``/``ny`` name them in errors.  Used by every NTK of the library.

    H(x, y) with every row first scaled by an exact power of two (max |x| in [1/2, 1)),
    so that u neither underflows (rows ~ 1e-300) nor overflows; H = 2^(k_x + k_y) H(x~, y~)
    by 2-homogeneity.  Non-finite H raises NumericalError.

    Two paths with the same formula: :func:`_relu_ntk_fast` (in place, no autograd graph)
    when no input requires grad, else the differentiable one below."""
    X = as_matrix(X, nx, dtype=own_dtype(X))
    if Y is not None:
        Y = as_matrix(Y, ny, dtype=X.dtype, device=X.device)
        check_same_cols(X, Y, nx, ny)
    sym = Y is None
    Yt = X if sym else Y
    _zero_rows(X, nx)
    if not sym:
        _zero_rows(Yt, ny)
    kx = pow2_scale(X, dim=1)
    ky = kx if sym else pow2_scale(Yt, dim=1)
    Xs = ldexp(X, -kx[:, None])
    Ys = Xs if sym else ldexp(Yt, -ky[:, None])
    if not needs_grad(X, Y):
        return _finish(_relu_ntk_fast(Xs, None if sym else Ys, kx, ky), sym, X, nx)
    G = Xs @ Ys.T
    a = torch.linalg.vector_norm(Xs, dim=1)
    b = a if sym else torch.linalg.vector_norm(Ys, dim=1)
    if sym:
        # (G + G^T)/2 is exactly symmetric in floating point (a + b == b + a), so H is too;
        # without it the O(eps) asymmetry of a GEMM becomes O(sqrt(eps)) through arccos for
        # (nearly) collinear pairs (found by the thorough Hypothesis profile).
        G = 0.5 * (G + G.T)
        u = G / (a[:, None] * b[None, :])
        eye = torch.eye(X.shape[0], dtype=torch.bool, device=X.device)
        u = torch.where(eye, torch.ones_like(u), u)
        G = torch.where(eye, (a * a).diag_embed(), G)
    else:
        u = G / (a[:, None] * b[None, :])
    H = ldexp(ldexp(G * (math.pi - _safe_arccos(u)) / (2 * math.pi), kx[:, None]),
              ky[None, :])
    return _finish(H, sym, X, nx)


def _finish(H: torch.Tensor, sym: bool, X: torch.Tensor, nx: str) -> torch.Tensor:
    lo, hi = (float(v) for v in torch.aminmax(H.detach()))  # NaN propagates: one pass
    if not (math.isfinite(lo) and math.isfinite(hi)):
        finite_result(H, "NTK H", nx)
    if sym and bool((H.detach().diagonal() == 0).any()):
        raise NumericalError.for_arg(nx, "NTK diagonal ||x||^2/2 underflows "
                                     f"{str(X.dtype).removeprefix('torch.')}",
                                     float(X.detach().abs().max()), hint="rescale X")
    return H


_SYM_BLOCK = 512
"""Side of the square blocks in which :func:`_mirror_upper` copies H's upper triangle."""


def _mirror_upper(H: torch.Tensor) -> None:
    """H[j, i] := H[i, j] for i < j, in place, block by block (no n x n temporary)."""
    n = H.shape[0]
    for i in range(0, n, _SYM_BLOCK):
        ie = min(n, i + _SYM_BLOCK)
        D = H[i:ie, i:ie]
        D.copy_(torch.triu(D) + torch.triu(D, 1).T)
        for j in range(ie, n, _SYM_BLOCK):
            je = min(n, j + _SYM_BLOCK)
            H[j:je, i:ie].copy_(H[i:ie, j:je].T)


def _relu_ntk_fast(Xs: torch.Tensor, Ys: torch.Tensor | None, kx: torch.Tensor,
                   ky: torch.Tensor) -> torch.Tensor:
    """The same H on pow2-scaled rows Xs, Ys, without autograd: two n x m buffers (G and
    U) updated in place instead of ~15 full passes (measured by the benchmark suite:
    n = 10,000 in ~2/3 of neural-tangents' time).  u = (G_ij / ||x_i||) / ||y_j|| (vs
    G_ij / (||x_i|| ||y_j||) in the autograd path: O(eps) apart).  Symmetric case:
    G_ii := ||x_i||^2 and u_ii := 1 exactly (H_ii = ||x_i||^2 / 2 as in the autograd path),
    and the upper triangle of H is mirrored, so H == H^T bit for bit."""
    sym = Ys is None
    with torch.no_grad():
        G = Xs @ (Xs if sym else Ys).T
        ra = torch.linalg.vector_norm(Xs, dim=1)
        rb = ra if sym else torch.linalg.vector_norm(Ys, dim=1)
        if sym:
            G.diagonal().copy_(ra * ra)
        U = G / ra[:, None]
        U.div_(rb[None, :]).clamp_(-1.0, 1.0)
        if sym:
            U.diagonal().fill_(1.0)
        H = U.arccos_().neg_().add_(math.pi).mul_(G).div_(2 * math.pi)
        del G
        if bool(kx.any()):
            H.mul_(torch.pow(torch.tensor(2.0, dtype=H.dtype, device=H.device),
                             kx.to(H.dtype))[:, None])
        if bool(ky.any()):
            H.mul_(torch.pow(torch.tensor(2.0, dtype=H.dtype, device=H.device),
                             ky.to(H.dtype))[None, :])
        if sym:
            _mirror_upper(H)
    return H


def relu_ntk(X: Any, Y: Any = None, *, dtype: Any = None, device: Any = None,
             check: CheckArg = True) -> torch.Tensor:
    """Infinite-width NTK H(x, y) = x^T y (pi - arccos u)/(2 pi), u = x^T y/(||x|| ||y||).

    X: (n, d), Y: (m, d) (default X) -> (n, m).  u is clamped to [-1, 1]; zero rows raise
    InputError.  H(X, X) runs the symmetry gate unless ``check=False``.  When no input
    requires grad (and no torch.func transform is active) H is built in place without an
    autograd graph (2 n x m buffers; same values to O(eps) in u), else differentiably.
    """
    Xt, Yt = as_pair(X, Y, dtype, device)
    H = relu_ntk_core(Xt, Yt, "X", "Y")
    return run_gates(H, check, "relu_ntk(X)") if Yt is None else H


def mlp_attn_ntk(X: Any, Y: Any = None, *, keys: Any = None, dtype: Any = None,
                 device: Any = None, check: CheckArg = True) -> torch.Tensor:
    """NTK of MLP-Attn: H(C x, C y) with C = keys^T keys (default keys = X).

    X: (n, d), Y: (m, d) -> (n, m).  = ``relu_ntk(X @ C, Y @ C)``.
    """
    Xt, Yt = as_pair(X, Y, dtype, device)
    C = keys_attention_map(keys, Xt)
    H = relu_ntk_core(Xt @ C, None if Yt is None else Yt @ C, "X @ C", "Y @ C")
    return run_gates(H, check, "mlp_attn_ntk(X)") if Yt is None else H


def _generator(generator: torch.Generator | None, seed: int | None) -> torch.Generator | None:
    if generator is not None:
        return generator
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ConfigError.for_arg("seed", "must be an integer in [0, 2**63)", seed)
    return torch.Generator().manual_seed(seed)


class TwoLayerReLU(nn.Module):
    """f(x) = m^{-1/2} sum_r a_r relu(w_r^T x); W: (m, d) trained, a: (m,) fixed buffer.

    Init: w_r ~ N(0, init_scale^2 I), a_r uniform in {-1, +1} (the paper's kappa = 0.01,
    m = 1024).  Input (n, d) -> output (n,); a single point (d,) -> scalar.
    """

    def __init__(self, d: int, width: int = 1024, *, init_scale: float = 0.01,
                 generator: torch.Generator | None = None, seed: int | None = None,
                 dtype: Any = None, device: Any = None) -> None:
        super().__init__()
        for name, v in (("d", d), ("width", width)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ConfigError.for_arg(name, "must be a positive integer", v)
        if not (init_scale > 0 and math.isfinite(init_scale)):
            raise ConfigError.for_arg("init_scale", "must be a positive finite number",
                                      init_scale)
        dt, g = resolve_dtype(dtype), _generator(generator, seed)
        W = torch.randn(width, d, generator=g, dtype=dt) * init_scale
        a = torch.randint(0, 2, (width,), generator=g).to(dt) * 2 - 1
        self.width, self.d, self.init_scale = width, d, float(init_scale)
        dev = resolve_device(device)
        self.W = nn.Parameter(W.to(dev))
        self.register_buffer("a", a.to(dev))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x @ self.W.T) @ self.a / math.sqrt(self.width)


class MLPAttn(nn.Module):
    """x -> TwoLayerReLU(C x), C = keys^T keys (d, d) a fixed buffer (keys: (n, d))."""

    def __init__(self, keys: Any, width: int = 1024, *, init_scale: float = 0.01,
                 generator: torch.Generator | None = None, seed: int | None = None,
                 dtype: Any = None, device: Any = None) -> None:
        super().__init__()
        K = as_matrix(keys, "keys", dtype=dtype, device=device).detach()
        self.mlp = TwoLayerReLU(K.shape[1], width, init_scale=init_scale,
                                generator=generator, seed=seed, dtype=K.dtype,
                                device=K.device)
        self.register_buffer("C", finite_result(K.T @ K, "C = keys^T keys", "keys"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(x @ self.C)


def _model_dtype_device(model: nn.Module) -> tuple[torch.dtype, torch.device]:
    for t in list(model.parameters()) + list(model.buffers()):
        if t.is_floating_point():
            return t.dtype, t.device
    return torch.float64, torch.device("cpu")


def empirical_ntk(model: nn.Module, X: Any, Y: Any = None, *,
                  chunk_size: int | None = None,
                  max_elements: int = 2**26) -> torch.Tensor:
    """Empirical NTK Theta(X, Y) = sum over trainable params p of J_p(X) J_p(Y)^T.

    model: any ``nn.Module`` mapping a batch (n, d) to scalar outputs (n,) (or (n, 1));
    X: (n, d), Y: (m, d) (default X) -> (n, m), in the model's dtype/device.  Jacobians by
    ``torch.func.jacrev`` vmapped over rows; ``chunk_size`` rows per vmap call.  When the
    full Jacobian (n x #params) would exceed ``max_elements`` entries (default 2^26, 512 MB
    in float64) K is built block by block with O(max_elements) memory.
    """
    from torch.func import functional_call, jacrev, vmap

    if not isinstance(model, nn.Module):
        raise InputError.for_arg("model", "must be a torch.nn.Module", type(model).__name__)
    for name, v in (("chunk_size", chunk_size), ("max_elements", max_elements)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v <= 0):
            raise InputError.for_arg(name, "must be a positive integer", v)
    dt, dev = _model_dtype_device(model)
    Xt, Yt = as_pair(X, Y, dt, dev)
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
    if not params:
        raise InputError.for_arg("model", "must have trainable parameters", 0)
    buffers = dict(model.named_buffers())

    def f(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        out = functional_call(model, (p, buffers), (x.unsqueeze(0),))
        if out.numel() != 1:
            raise InputError.for_arg("model", "must return one scalar per input row",
                                     tuple(out.shape))
        return out.reshape(())

    jac = vmap(jacrev(f), in_dims=(None, 0), chunk_size=chunk_size)

    def flat(Z: torch.Tensor) -> torch.Tensor:
        J = jac(params, Z)
        return torch.cat([J[k].reshape(Z.shape[0], -1) for k in params], dim=1)

    P = sum(p.numel() for p in params.values())
    Ys = Xt if Yt is None else Yt
    if max(Xt.shape[0], Ys.shape[0]) * P <= max_elements:
        JX = flat(Xt)
        return finite_result(JX @ (JX if Yt is None else flat(Yt)).T, "empirical NTK")
    # Blocked: Jacobians of at most `b` rows at a time (memory O(b P)); the Y blocks are
    # recomputed per X block, which costs O(n_X/b) extra Jacobians, small next to J J^T.
    b = max(1, max_elements // (2 * P))
    K = torch.empty(Xt.shape[0], Ys.shape[0], dtype=dt, device=dev)
    for i in range(0, Xt.shape[0], b):
        JXi = flat(Xt[i:i + b])
        for j in range(i if Yt is None else 0, Ys.shape[0], b):
            JYj = JXi if (Yt is None and j == i) else flat(Ys[j:j + b])
            K[i:i + b, j:j + b] = JXi @ JYj.T
            if Yt is None and j != i:
                K[j:j + b, i:i + b] = K[i:i + b, j:j + b].T
    return finite_result(K, "empirical NTK")


def finite_width_ntk(A: torch.Tensor, B: torch.Tensor | None, W: torch.Tensor) -> torch.Tensor:
    """Theta(a, b) = (1/m) a^T b * #{r : w_r^T a >= 0, w_r^T b >= 0}, the NTK of the two-layer
    ReLU network with first-layer weights ``W: (m, d)`` (only W trained), on the rows of
    ``A: (n, d)`` and ``B: (k, d)`` (None: B = A) -> (n, k).

    = (1/m) (A B^T) ⊙ (S_A S_B^T) with S = 1[A W^T >= 0]: one GEMM of activation patterns.
    The indicators are held fixed (detached): Theta is differentiable in A and B with the
    pattern frozen, the gradient of a piecewise-constant count (claim ``ntk-width``)."""
    A = as_matrix(A, "A", dtype=own_dtype(A))
    W = as_matrix(W, "W", dtype=A.dtype, device=A.device)
    check_same_cols(A, W, "A", "W")
    if B is not None:
        B = as_matrix(B, "B", dtype=A.dtype, device=A.device)
        check_same_cols(A, B, "A", "B")
    with torch.no_grad():
        SA = (A @ W.T >= 0).to(A.dtype)
        SB = SA if B is None else (B @ W.T >= 0).to(A.dtype)
    Bt = A if B is None else B
    return (A @ Bt.T) * (SA @ SB.T) / W.shape[0]


def relu_ntk_closed_form(model: nn.Module, X: Any, Y: Any = None) -> torch.Tensor:
    """Theta(x, y) = (1/m) sum_r x'^T y' 1[w_r^T x' >= 0] 1[w_r^T y' >= 0] for the model's
    own weights, with x' = x (TwoLayerReLU) or x' = C x (MLPAttn).  X: (n, d) -> (n, m);
    :func:`finite_width_ntk` of the model's W.
    """
    if isinstance(model, MLPAttn):
        net, C = model.mlp, model.C
    elif isinstance(model, TwoLayerReLU):
        net, C = model, None
    else:
        raise InputError.for_arg("model", "must be a TwoLayerReLU or MLPAttn",
                                 type(model).__name__)
    W = net.W.detach()
    Xt, Yt = as_pair(X, Y, W.dtype, W.device)
    check_same_cols(W, Xt, "model.W", "X")
    if C is not None:
        Xt, Yt = Xt @ C, None if Yt is None else Yt @ C
    return finite_result(finite_width_ntk(Xt, Yt, W), "closed-form NTK")
