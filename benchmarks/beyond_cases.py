"""Benchmark cases of the beyond-the-paper variants: the trainable-QKV infinite-width NTK
(:func:`linattn.qkv_ntk.qkv_ntk_limit`) against neural-tangents'
``GlobalSelfAttention(linear_scaling=True)`` followed by ``Relu`` (IDENTITY and SOFTMAX),
the one peer that defines the same kernel (self-attention over one sequence = our network on
the training set with keys = the training set; see ``tests/linattn/test_qkv_ntk.py``).

Without neural-tangents (optional extra ``bench-nt``) the row times ours, checks it against
the independent library route ``(σ² + κ²)/τ² · mlp_attn_ntk`` (linear) and
``(σ² + κ²) · softmax_attn_ntk`` (softmax), and says "baseline unavailable".  Speed is the
ratio of our time to neural-tangents' jitted ``kernel_fn`` in the same run.
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks import common
from benchmarks.common import NT_MISSING, relerr, synthetic
from benchmarks.harness import CaseResult, measure

SIZES: dict[str, dict[str, dict[str, int]]] = {
    "qkv_ntk_nt": {"quick": {"n": 1000, "d": 784}, "full": {"n": 4000, "d": 784}},
}
TINY: dict[str, dict[str, int]] = {"qkv_ntk_nt": {"n": 40, "d": 10}}


def case_qkv_ntk_nt(mode: str, device: str, override=None) -> CaseResult:
    import torch

    from linattn.ntk import mlp_attn_ntk
    from linattn.qkv_ntk import qkv_ntk_limit
    from linattn.softmax_attention import softmax_attn_ntk

    s, label = common.sizes("qkv_ntk_nt", mode, SIZES, TINY, override)
    n, d = s["n"], s["d"]
    X = synthetic(n, d, 6, device, unit_rows=True)
    tau, kappa, s2 = math.sqrt(d), 1.0, 1.0 / d
    measure(lambda: qkv_ntk_limit(X[:50], attention="softmax"), device=device)
    out, t_ours, pk = measure(lambda: {a: qkv_ntk_limit(X, attention=a, parts=True)
                                       for a in ("linear", "softmax")}, device=device)
    ref = {"linear": (s2 + kappa**2) / tau**2 * mlp_attn_ntk(X, check=False),
           "softmax": (s2 + kappa**2) * softmax_attn_ntk(X, tau=tau, check=False)}
    r = CaseResult("qkv_ntk_nt", label, t_ours, peak_mb=pk,
                   target="ours ≤ neural-tangents jitted kernel_fn (GSA + Relu, both variants)")
    r.accuracy = max(relerr(out[a]["total"], ref[a]) for a in ref)
    r.accuracy_what = "rel Frobenius vs (σ²+κ²) relu_ntk of the parameter-free features"
    nt = common.nt()
    if nt is None:
        r.note, r.met = NT_MISSING, None
        return r
    jax, stax = nt
    import warnings

    import jax.numpy as jnp

    xj = jnp.asarray(X.cpu().numpy()[None])
    kfns = {}
    for att, mech in (("linear", "IDENTITY"), ("softmax", "SOFTMAX")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = stax.GlobalSelfAttention(
                8, 8, 8, 1, linear_scaling=True, W_key_std=d / tau, W_query_std=1.0,
                W_value_std=1.0, W_out_std=kappa, attention_mechanism=mech)
        kfns[att] = jax.jit(stax.serial(layer, stax.Relu())[2], static_argnames="get")
        kfns[att](xj, None, "ntk").block_until_ready()  # compile (untimed)
    nt_out, t_nt, pk_nt = measure(lambda: {a: kfns[a](xj, None, "ntk").block_until_ready()
                                           for a in kfns}, device="cpu")
    errs = {}
    for a in kfns:
        ours = (kappa**2 * out[a]["U"] + s2 * out[a]["V"]).cpu()
        errs[a] = relerr(torch.as_tensor(np.array(nt_out[a]).reshape(n, n)), ours)
    r.baseline, r.baseline_s, r.baseline_peak_mb = "NT GSA(linear_scaling) + Relu", t_nt, pk_nt
    r.ratio, r.met = t_ours / t_nt, t_ours <= t_nt
    r.accuracy = max(r.accuracy, *errs.values())
    r.extra["rel_err_vs_nt"] = errs
    r.note = (f"NT (NTK parameterisation: κ² Θ_U + σ² Θ_V) vs ours: rel Frobenius "
              f"{max(errs.values()):.3g}; jax {jax.__version__} on CPU")
    return r


CASES = {"qkv_ntk_nt": case_qkv_ntk_nt}
