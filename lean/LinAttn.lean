module

public import LinAttn.Defs
public import LinAttn.Sum
public import LinAttn.Kernel
public import LinAttn.Spectral
public import LinAttn.Cond
public import LinAttn.Width
public import LinAttn.Sensitivity

/-!
# LinAttn: proofs of the matrix claims of arXiv 2603.13085

"Linearized Attention Cannot Enter the Kernel Regime at Any Practical Width".  Core Lean 4
only (no Mathlib, no Batteries).  The traceability manifest `pyverify/manifest.toml` maps
each paper statement to the theorems below, the Python checks and their tests.

* `LinAttn.Kernel`: Theorem 4.1, the kernel is `G³ = (G X)(G X)ᵀ`
  (`kernel_eq_gram_cube`, `feature_map_gram_eq_gram_cube`);
* `LinAttn.Spectral`: `G = Q diag(λ) Qᵀ`, `Qᵀ Q = I` ⟹ `G³ = Q diag(λ³) Qᵀ` (`spectral_cube`);
* `LinAttn.Cond`: Theorem 4.7, `κ(λ³) = κ(λ)³` and the truncated `κ_d` version
  (`cond_pow_three`, `cond_top_pow_three`, instantiated for `Rat`);
* `LinAttn.Width`: `κ(G³)² = κ(G)⁶` and monotonicity of `κ⁶ · n · log n`
  (`widthBound_kernel`, `widthBound_mono`);
* `LinAttn.Sensitivity`: Proposition 4.5 in corrected form (`kernel_difference`,
  `sensitivity_bound`).

Check with `python -m pyverify.lean check` (native `lake build` when `lake` is on `PATH`,
else Lean compiled to WebAssembly).
-/
