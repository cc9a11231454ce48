module

public import LinAttn.Kernel
public import LinAttn.Order

/-!
# Proposition 4.5 (corrected): sensitivity of the linearized-attention kernel

On single inputs the kernel of linearized attention is `K(x, y) = (C x)ᵀ (C y) = xᵀ C² y`
with `C = Xᵀ X`.  Proposition 4.5 of arXiv 2603.13085 bounds how much `K` moves when `x` is
perturbed.  Its printed form uses `‖G x_j‖₁`, which does not type-check (`G` is `n × n`,
`x_j` has length `d`); the corrected statement proved here is

* `LinAttn.kernel_difference`: `K(x + δ, y) − K(x, y) = ∑_a δ_a v_a` with `v = C² y`
  (exactly: linear in `δ`);
* `LinAttn.sensitivity_bound`: `|K(x + δ, y) − K(x, y)| ≤ ε · ∑_a |v_a|` whenever every
  `|δ_a| ≤ ε`.

Here `C` is fixed: `x` is a new query, not a training row (a perturbed training row changes
`C`; that case is `LinAttn.Perturb`).  Also proved:

* `bilinKernel_covariance_eq_gram_cube`: on training rows the kernel is Theorem 4.1's,
  `K(x_i, x_j) = (G · G · G) i j`;
* `sensitivity_bound_attained`: the bound is tight, with equality at `δ = ε · sign(v)`.

The identity holds over any commutative ring, the bound over any linearly ordered
commutative ring (core `Lean.Grind` classes).
-/

public section

namespace LinAttn

universe u

open Lean.Grind Matrix

section Identity

variable {R : Type u} [CommRing R] {n d : Nat}

/-- The sensitivity vector `v = Cᵀ (C y)`; for the symmetric `C = Xᵀ X` it is `C² y`. -/
@[expose] noncomputable def sensitivityVector (C : Matrix d d R) (y : Fin d → R) : Fin d → R :=
  mulVec (transpose C) (mulVec C y)

/-- Proposition 4.5 of arXiv 2603.13085 (corrected), for any matrix `C`: the kernel
difference is linear in the perturbation, `K(x + δ, y) − K(x, y) = ∑_a δ_a (Cᵀ C y)_a`. -/
theorem bilinKernel_sub (C : Matrix d d R) (x δ y : Fin d → R) :
    bilinKernel C (fun a => x a + δ a) y - bilinKernel C x y =
      sumFin d (fun a => δ a * sensitivityVector C y a) := by
  unfold bilinKernel sensitivityVector
  rw [mulVec_add, ← sumFin_sub]
  have e1 : ∀ a, (mulVec C x a + mulVec C δ a) * mulVec C y a - mulVec C x a * mulVec C y a =
      sumFin d (fun b => C a b * δ b * mulVec C y a) := by
    intro a
    have e : (mulVec C x a + mulVec C δ a) * mulVec C y a - mulVec C x a * mulVec C y a =
        mulVec C δ a * mulVec C y a := by
      generalize mulVec C x a = p
      generalize mulVec C δ a = q
      generalize mulVec C y a = r
      grind
    rw [e]
    simp only [mulVec]
    rw [sumFin_mul]
  rw [sumFin_congr e1, sumFin_comm]
  apply sumFin_congr; intro b
  simp only [mulVec, transpose, mul_sumFin]
  apply sumFin_congr; intro a
  grind

/-- For `C = Xᵀ X` the sensitivity vector is `v = C² y = C (C y)`. -/
theorem sensitivityVector_covariance (X : Matrix n d R) (y : Fin d → R) :
    sensitivityVector (covariance X) y = mulVec (covariance X) (mulVec (covariance X) y) := by
  unfold sensitivityVector
  rw [covariance_transpose]

/-- **Proposition 4.5 (sensitivity, corrected form)** of arXiv 2603.13085, identity part:
with `C = Xᵀ X` and `K(x, y) = (C x)ᵀ (C y)`,
`K(x + δ, y) − K(x, y) = ∑_a δ_a v_a` where `v = C² y`.
Mirrors `pyverify.sensitivity.kernel_difference` and
`pyverify.sensitivity.sensitivity_vector`. -/
theorem kernel_difference (X : Matrix n d R) (x δ y : Fin d → R) :
    bilinKernel (covariance X) (fun a => x a + δ a) y - bilinKernel (covariance X) x y =
      sumFin d (fun a => δ a * mulVec (covariance X) (mulVec (covariance X) y) a) := by
  rw [bilinKernel_sub, sensitivityVector_covariance]

/-- The sensitivity kernel is Theorem 4.1's kernel on training rows (arXiv 2603.13085,
Proposition 4.5 and Theorem 4.1): with `C = Xᵀ X` and the rows `x_i = X i`,
`K(x_i, x_j) = (C x_i)ᵀ (C x_j) = (G · G · G) i j`, since `C x_i` is row `i` of
`X C = G X`. -/
theorem bilinKernel_covariance_eq_gram_cube (X : Matrix n d R) (i j : Fin n) :
    bilinKernel (covariance X) (X i) (X j) = mul (mul (gram X) (gram X)) (gram X) i j := by
  have hrow : ∀ k, mulVec (covariance X) (X k) = mul X (covariance X) k := by
    intro k; funext a
    simp only [mulVec, mul, covariance, transpose]
    apply sumFin_congr; intro b
    grind
  rw [← feature_map_covariance]
  show sumFin d _ = sumFin d _
  apply sumFin_congr; intro a
  rw [hrow i, hrow j]
  rfl

end Identity

section Bound

variable {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
  [OrderedRing R]

/-- The bound of Proposition 4.5 of arXiv 2603.13085 (corrected):
`|∑_a δ_a v_a| ≤ ε ∑_a |v_a|` when every `|δ_a| ≤ ε`. -/
theorem absR_dot_le {d : Nat} {ε : R} (δ v : Fin d → R) (hδ : ∀ a, absR (δ a) ≤ ε) :
    absR (sumFin d (fun a => δ a * v a)) ≤ ε * sumFin d (fun a => absR (v a)) := by
  have h1 := absR_sumFin_le (fun a => δ a * v a)
  have h2 : sumFin d (fun a => absR (δ a * v a)) ≤ sumFin d (fun a => ε * absR (v a)) :=
    sumFin_le_sumFin (fun a => absR_mul_le (v a) (hδ a))
  rw [mul_sumFin]
  grind

/-- **Proposition 4.5 (sensitivity, corrected form)** of arXiv 2603.13085: with
`C = Xᵀ X`, `K(x, y) = (C x)ᵀ (C y)` and `v = C² y`, if every `|δ_a| ≤ ε` then
`|K(x + δ, y) − K(x, y)| ≤ ε · ‖v‖₁ = ε · ∑_a |v_a|`.
Mirrors `pyverify.sensitivity.sensitivity_bound` and `pyverify.sensitivity.check_sensitivity`. -/
theorem sensitivity_bound {n d : Nat} (X : Matrix n d R) (x δ y : Fin d → R) {ε : R}
    (hδ : ∀ a, absR (δ a) ≤ ε) :
    absR (bilinKernel (covariance X) (fun a => x a + δ a) y - bilinKernel (covariance X) x y)
      ≤ ε * sumFin d (fun a => absR (mulVec (covariance X) (mulVec (covariance X) y) a)) := by
  rw [kernel_difference]
  exact absR_dot_le δ _ hδ

/-- **Proposition 4.5 (sensitivity, corrected form), the bound is tight** (arXiv
2603.13085): for `ε ≥ 0` the perturbation `δ = ε · sign(v)`, `v = C² y`, is admissible
(`|δ_a| ≤ ε`, with equality) and attains the bound,
`|K(x + δ, y) − K(x, y)| = ε · ∑_a |v_a|`.  `C = Xᵀ X` is fixed: `x` is a new query, not a
perturbed training row (for that case see `bilinKernel_updateRow_sub`).  Mirrors
`pyverify.sensitivity.check_sensitivity` (the sign perturbation). -/
theorem sensitivity_bound_attained {n d : Nat} (X : Matrix n d R) (x y : Fin d → R) {ε : R}
    (hε : 0 ≤ ε) :
    let v := mulVec (covariance X) (mulVec (covariance X) y)
    (∀ a, absR (ε * signR (v a)) ≤ ε) ∧
      absR (bilinKernel (covariance X) (fun a => x a + ε * signR (v a)) y -
        bilinKernel (covariance X) x y) = ε * sumFin d (fun a => absR (v a)) := by
  intro v
  refine ⟨fun a => by rw [absR_mul_signR hε]; grind, ?_⟩
  rw [kernel_difference]
  have e : (fun a => ε * signR (v a) * v a) = fun a => ε * absR (v a) := by
    funext a; rw [← mul_signR]; grind
  show absR (sumFin d (fun a => ε * signR (v a) * v a)) = _
  rw [e, ← mul_sumFin]
  exact absR_of_nonneg (OrderedRing.mul_nonneg hε (sumFin_nonneg (fun a => absR_nonneg _)))

/-- **Proposition 4.5 (sensitivity, corrected form)** of arXiv 2603.13085 over `Rat`. -/
theorem sensitivity_bound_rat {n d : Nat} (X : Matrix n d Rat) (x δ y : Fin d → Rat) {ε : Rat}
    (hδ : ∀ a, absR (δ a) ≤ ε) :
    absR (bilinKernel (covariance X) (fun a => x a + δ a) y - bilinKernel (covariance X) x y)
      ≤ ε * sumFin d (fun a => absR (mulVec (covariance X) (mulVec (covariance X) y) a)) :=
  sensitivity_bound X x δ y hδ

end Bound

end LinAttn
