module

public import LinAttn.Kernel
public import LinAttn.Order

/-!
# `G` and `G³` are positive semi-definite; the rank facts behind the `d × d` dual

For `X : n × d`, `G = X Xᵀ` and `C = Xᵀ X` (arXiv 2603.13085):

* `dot_gram_eq_sum_sq`, `dot_gram_nonneg`: `vᵀ G v = ∑_a (Xᵀ v)_a² ≥ 0`;
* `dot_gram_cube_eq_sum_sq`, `dot_gram_cube_nonneg`: `vᵀ G³ v = ‖(G X)ᵀ v‖² ≥ 0` (the kernel
  of Theorem 4.1 is a Gram matrix, of the features `G X`);
* `covariance_mulVec_transpose`, `mulVec_transpose_ne_zero`, `dual_eigenvector`: if
  `G v = λ v` with `λ ≠ 0` and `v ≠ 0`, then `C (Xᵀ v) = λ (Xᵀ v)` and `Xᵀ v ≠ 0`, so every
  nonzero eigenvalue of the `n × n` matrix `G` is one of the `d × d` matrix `C`;
* `gram_mulVec_eq_zero_iff`: `G v = 0 ↔ Xᵀ v = 0` (the kernel of `G` is that of `Xᵀ`).

This is what justifies computing the spectrum of `G` (and so `κ_d`) through the `d × d`
dual `C` (`pyverify.spectrum`, `experiments.spectrum`).
-/

public section

namespace LinAttn

universe u

open Lean.Grind Matrix

section Semiring

variable {R : Type u} [CommSemiring R] {n m d : Nat}

/-- `vᵀ (M Mᵀ) v = ∑_a (Mᵀ v)_a²`. -/
theorem dot_mulVec_mul_transpose (M : Matrix n m R) (v : Fin n → R) :
    dot v (mulVec (mul M (transpose M)) v) = sumFin m (fun a => mulVec (transpose M) v a ^ 2) := by
  rw [mulVec_mul, dot_mulVec]
  unfold dot
  apply sumFin_congr; intro a
  grind

/-- **PSD of `G`** (arXiv 2603.13085; the eigenvalues of Theorem 4.7 are `≥ 0`), identity
part: `vᵀ G v = ∑_a (Xᵀ v)_a²`. -/
theorem dot_gram_eq_sum_sq (X : Matrix n d R) (v : Fin n → R) :
    dot v (mulVec (gram X) v) = sumFin d (fun a => mulVec (transpose X) v a ^ 2) :=
  dot_mulVec_mul_transpose X v

/-- **PSD of the kernel `G³`** (Theorem 4.1 of arXiv 2603.13085), identity part:
`vᵀ G³ v = ∑_a ((G X)ᵀ v)_a²`, since `G³ = (G X)(G X)ᵀ`. -/
theorem dot_gram_cube_eq_sum_sq (X : Matrix n d R) (v : Fin n → R) :
    dot v (mulVec (mul (mul (gram X) (gram X)) (gram X)) v) =
      sumFin d (fun a => mulVec (transpose (mul (gram X) X)) v a ^ 2) := by
  rw [← feature_map_gram_eq_gram_cube]
  exact dot_mulVec_mul_transpose _ v

/-- The dual eigenvector equation: `G v = λ v` implies `C (Xᵀ v) = λ (Xᵀ v)` (for every `λ`,
over any commutative semiring: `C Xᵀ v = Xᵀ X Xᵀ v = Xᵀ G v`). -/
theorem covariance_mulVec_transpose (X : Matrix n d R) {v : Fin n → R} {μ : R}
    (hv : mulVec (gram X) v = fun i => μ * v i) :
    mulVec (covariance X) (mulVec (transpose X) v) = fun a => μ * mulVec (transpose X) v a := by
  have e : mulVec X (mulVec (transpose X) v) = fun i => μ * v i := by
    rw [← mulVec_mul]; exact hv
  show mulVec (mul (transpose X) X) (mulVec (transpose X) v) = _
  rw [mulVec_mul, e, mulVec_smul]

end Semiring

section Ordered

variable {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
  [OrderedRing R] {n d : Nat}

/-- **`G = X Xᵀ` is positive semi-definite** (arXiv 2603.13085; the eigenvalues of Theorem 4.7
are `≥ 0`): `0 ≤ vᵀ G v`. -/
theorem dot_gram_nonneg (X : Matrix n d R) (v : Fin n → R) : 0 ≤ dot v (mulVec (gram X) v) := by
  rw [dot_gram_eq_sum_sq]; exact sumFin_sq_nonneg _

/-- **The kernel `K = G³` is positive semi-definite** (Theorem 4.1 of arXiv 2603.13085):
`0 ≤ vᵀ G³ v`. -/
theorem dot_gram_cube_nonneg (X : Matrix n d R) (v : Fin n → R) :
    0 ≤ dot v (mulVec (mul (mul (gram X) (gram X)) (gram X)) v) := by
  rw [dot_gram_cube_eq_sum_sq]; exact sumFin_sq_nonneg _

/-- **Rank fact for the `d × d` dual** (`κ_d` of Theorem 4.7 of arXiv 2603.13085):
`G v = 0 ↔ Xᵀ v = 0` (`vᵀ G v = ‖Xᵀ v‖²`). -/
theorem gram_mulVec_eq_zero_iff (X : Matrix n d R) (v : Fin n → R) :
    mulVec (gram X) v = (fun _ => 0) ↔ mulVec (transpose X) v = fun _ => 0 := by
  constructor
  · intro h
    have h1 := dot_gram_eq_sum_sq X v
    rw [h, dot_zero_right] at h1
    funext a
    exact (sumFin_sq_eq_zero_iff _).1 h1.symm a
  · intro h
    show mulVec (mul X (transpose X)) v = _
    rw [mulVec_mul, h, mulVec_zero]

end Ordered

section Field

variable {F : Type u} [Field F] {n d : Nat}

/-- If `G v = λ v` with `λ ≠ 0` and `v ≠ 0`, then `Xᵀ v ≠ 0`. -/
theorem mulVec_transpose_ne_zero (X : Matrix n d F) {v : Fin n → F} {μ : F} (hμ : μ ≠ 0)
    (hv0 : v ≠ fun _ => 0) (hv : mulVec (gram X) v = fun i => μ * v i) :
    mulVec (transpose X) v ≠ fun _ => 0 := by
  intro h
  apply hv0
  have e : mulVec (gram X) v = fun _ => 0 := by
    show mulVec (mul X (transpose X)) v = _
    rw [mulVec_mul, h, mulVec_zero]
  funext i
  have hi : μ * v i = 0 := (congrFun (hv.symm.trans e) i)
  have hinv := Field.mul_inv_cancel hμ
  have : μ⁻¹ * (μ * v i) = 0 := by rw [hi]; grind
  grind

/-- **Rank fact for the `d × d` dual** (`κ_d` of Theorem 4.7 of arXiv 2603.13085): an
eigenvector `v ≠ 0` of `G`
with eigenvalue `λ ≠ 0` maps to the eigenvector `Xᵀ v ≠ 0` of `C` with the same
eigenvalue: `C (Xᵀ v) = λ (Xᵀ v)`.  So the nonzero spectrum of `G` is contained in that of
`C` (`pyverify.spectrum` and `experiments.spectrum` compute it from `C`). -/
theorem dual_eigenvector (X : Matrix n d F) {v : Fin n → F} {μ : F} (hμ : μ ≠ 0)
    (hv0 : v ≠ fun _ => 0) (hv : mulVec (gram X) v = fun i => μ * v i) :
    mulVec (covariance X) (mulVec (transpose X) v) = (fun a => μ * mulVec (transpose X) v a) ∧
      mulVec (transpose X) v ≠ fun _ => 0 :=
  ⟨covariance_mulVec_transpose X hv, mulVec_transpose_ne_zero X hμ hv0 hv⟩

end Field

end LinAttn
