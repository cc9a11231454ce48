module

public import LinAttn.Defs
public import LinAttn.Sum
public import LinAttn.Algebra
public import LinAttn.Order
public import LinAttn.Kernel
public import LinAttn.Spectral
public import LinAttn.PSD
public import LinAttn.Kappa
public import LinAttn.Cond
public import LinAttn.Width
public import LinAttn.Sensitivity
public import LinAttn.Perturb
public import LinAttn.LinearClass
public import LinAttn.Statements

/-!
# LinAttn: proofs of the matrix claims of arXiv 2603.13085

"Linearized Attention Cannot Enter the Kernel Regime at Any Practical Width".  Core Lean 4
only (no Mathlib, no Batteries).  The traceability manifest `pyverify/manifest.toml` maps
each paper statement to the theorems below, the Python checks and their tests;
`LinAttn.Statements` restates the full statement of every manifest theorem, so a changed
statement fails the build.

* `LinAttn.Kernel`: Theorem 4.1, the kernel is `G³ = (G X)(G X)ᵀ`
  (`kernel_eq_gram_cube`, `feature_map_gram_eq_gram_cube`);
* `LinAttn.Spectral`: `G = Q diagonal(λ) Qᵀ ⟹ G³ = Q diagonal(λ³) Qᵀ`, and for a square
  orthogonal `Q` the eigenvalues of `G³` are exactly the `λ_i³` (`hasEigenvalue_cube_iff`);
* `LinAttn.PSD`: `G` and `G³` are positive semi-definite; the rank facts behind the `d × d`
  dual (`dual_eigenvector`, `gram_mulVec_eq_zero_iff`);
* `LinAttn.Kappa`: `lmax`, `lmin`, `sortDesc`, `kappa` (option-valued) with their
  specification, `κ(λ³) = κ(λ)³` and `κ_r(λ³) = κ_r(λ)³` (`kappa_map_pow_three`,
  `kappaTop_map_pow_three`);
* `LinAttn.Cond`: Theorem 4.7 at matrix level, `κ(G³) = κ(G)³` for the spectra of `G` and
  `G³` (`kappa_gram_cube_eq_pow_three`), eigenvalues of `G` are `‖Xᵀ q_i‖² ≥ 0`;
* `LinAttn.Width`: `κ(G³)² = κ(G)⁶` and monotonicity of the width bound;
* `LinAttn.Sensitivity`: Proposition 4.5 in corrected form (`kernel_difference`,
  `sensitivity_bound`), tight (`sensitivity_bound_attained`);
* `LinAttn.Perturb`: the exact kernel change when a training row (and so `C`) is perturbed;
* `LinAttn.LinearClass`: Theorem B.8's "fourth-order" class is the linear functions on the
  row space (`fourthOrder_eq_dot`).

Check with `python -m pyverify.lean check` (native `lake build` when `lake` is on `PATH`,
else Lean compiled to WebAssembly).
-/
