module

public import LinAttn.Kernel

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

theorem mulVec_add (C : Matrix d d R) (x δ : Fin d → R) :
    mulVec C (fun a => x a + δ a) = fun a => mulVec C x a + mulVec C δ a := by
  funext i
  simp only [mulVec]
  rw [← sumFin_add]
  apply sumFin_congr; intro k
  grind

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

end Identity

section Bound

variable {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
  [OrderedRing R]

theorem absR_nonneg (a : R) : 0 ≤ absR a := by
  unfold absR; split <;> grind

theorem absR_add_le (a b : R) : absR (a + b) ≤ absR a + absR b := by
  unfold absR; split <;> split <;> split <;> grind

omit [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
theorem absR_le_of {a c : R} (h1 : a ≤ c) (h2 : -a ≤ c) : absR a ≤ c := by
  unfold absR; split <;> grind

theorem le_of_absR_le {a c : R} (h : absR a ≤ c) : a ≤ c ∧ -c ≤ a := by
  unfold absR at h; split at h <;> grind

/-- `|δ| ≤ ε → |δ v| ≤ ε |v|`. -/
theorem absR_mul_le {δ ε : R} (v : R) (hδ : absR δ ≤ ε) : absR (δ * v) ≤ ε * absR v := by
  obtain ⟨h1, h2⟩ := le_of_absR_le hδ
  have hv := absR_nonneg v
  have k1 : δ * absR v ≤ ε * absR v := OrderedRing.mul_le_mul_of_nonneg_right h1 hv
  have k2 : (-ε) * absR v ≤ δ * absR v := OrderedRing.mul_le_mul_of_nonneg_right h2 hv
  by_cases hv0 : 0 ≤ v
  · have e : absR v = v := if_pos hv0
    rw [e] at k1 k2 ⊢
    apply absR_le_of <;> grind
  · have e : absR v = -v := if_neg hv0
    rw [e] at k1 k2 ⊢
    apply absR_le_of <;> grind

/-- Sums are monotone. -/
theorem sumFin_le_sumFin {n : Nat} {f g : Fin n → R} (h : ∀ i, f i ≤ g i) :
    sumFin n f ≤ sumFin n g := by
  induction n with
  | zero => simp only [sumFin_zero]; grind
  | succ n ih =>
    rw [sumFin_succ, sumFin_succ]
    have h0 := h 0
    have hr := ih (f := fun i => f i.succ) (g := fun i => g i.succ) (fun i => h i.succ)
    grind

/-- Triangle inequality for finite sums: `|∑ f| ≤ ∑ |f|`. -/
theorem absR_sumFin_le {n : Nat} (f : Fin n → R) :
    absR (sumFin n f) ≤ sumFin n (fun i => absR (f i)) := by
  induction n with
  | zero => simp only [sumFin_zero]; unfold absR; split <;> grind
  | succ n ih =>
    rw [sumFin_succ, sumFin_succ]
    have h1 := absR_add_le (f 0) (sumFin n (fun i => f i.succ))
    have h2 := ih (fun i => f i.succ)
    grind

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

/-- **Proposition 4.5 (sensitivity, corrected form)** of arXiv 2603.13085 over `Rat`. -/
theorem sensitivity_bound_rat {n d : Nat} (X : Matrix n d Rat) (x δ y : Fin d → Rat) {ε : Rat}
    (hδ : ∀ a, absR (δ a) ≤ ε) :
    absR (bilinKernel (covariance X) (fun a => x a + δ a) y - bilinKernel (covariance X) x y)
      ≤ ε * sumFin d (fun a => absR (mulVec (covariance X) (mulVec (covariance X) y) a)) :=
  sensitivity_bound X x δ y hδ

end Bound

end LinAttn
