module

public import LinAttn.Kernel

/-!
# Perturbing a training row: the exact change of the kernel

Proposition 4.5 of arXiv 2603.13085 (`LinAttn.Sensitivity`) perturbs a *query* `x` with
`C = Xᵀ X` fixed.  Perturbing a *training row* `x_i ↦ x_i + t δ` also changes `C`:
`C' = C − x_i x_iᵀ + (x_i + t δ)(x_i + t δ)ᵀ` (`covariance_updateRow`).  The kernel between
the moved row and a fixed point `w` (e.g. another training row `x_j`, `j ≠ i`) then changes
by an explicit polynomial of degree 5 in `t`:

`K'(x_i + t δ, w) − K(x_i, w) = t c₁ + t² c₂ + t³ c₃ + t⁴ c₄ + t⁵ c₅`
(`bilinKernel_updateRow_sub`, coefficients `rowPerturbCoeff`), whose first-order term is

`c₁ = δᵀ g`, `g = C² w + (uᵀ C u) w + (uᵀ w) C u + (uᵀ C w) u + (uᵀ u) C w`, `u = x_i`
(`rowPerturbCoeff_one`).  The first summand `δᵀ C² w` is Proposition 4.5's term; the other
four come from the change of `C` and are missing from the fixed-`C` bound.
-/

public section

namespace LinAttn

universe u

open Lean.Grind Matrix

variable {R : Type u} [CommRing R] {n d : Nat}

/-- The coefficients `c_k` (`k = 1 … 5`, `0` otherwise) of
`K'(u + t δ, w) − K(u, w) = ∑_k t^k c_k` for the row `u` moved to `u + t δ`, with
`A₁ = C δ + (δᵀu) u + (uᵀu) δ`, `A₂ = (δᵀδ) u + 2 (uᵀδ) δ`, `A₃ = (δᵀδ) δ`,
`B₁ = (δᵀw) u + (uᵀw) δ`, `B₂ = (δᵀw) δ` (so `C' (u + t δ) = C u + t A₁ + t² A₂ + t³ A₃` and
`C' w = C w + t B₁ + t² B₂`):
`c₁ = (Cu)ᵀB₁ + A₁ᵀ(Cw)`, `c₂ = (Cu)ᵀB₂ + A₁ᵀB₁ + A₂ᵀ(Cw)`, `c₃ = A₁ᵀB₂ + A₂ᵀB₁ + A₃ᵀ(Cw)`,
`c₄ = A₂ᵀB₂ + A₃ᵀB₁`, `c₅ = A₃ᵀB₂`. -/
@[expose] noncomputable def rowPerturbCoeff (C : Matrix d d R) (u δ w : Fin d → R) (k : Nat) :
    R :=
  let cu := mulVec C u
  let cw := mulVec C w
  let a₁ := fun a => mulVec C δ a + dot δ u * u a + dot u u * δ a
  let a₂ := fun a => dot δ δ * u a + 2 * dot u δ * δ a
  let a₃ := fun a => dot δ δ * δ a
  let b₁ := fun a => dot δ w * u a + dot u w * δ a
  let b₂ := fun a => dot δ w * δ a
  match k with
  | 1 => sumFin d (fun a => cu a * b₁ a + a₁ a * cw a)
  | 2 => sumFin d (fun a => cu a * b₂ a + a₁ a * b₁ a + a₂ a * cw a)
  | 3 => sumFin d (fun a => a₁ a * b₂ a + a₂ a * b₁ a + a₃ a * cw a)
  | 4 => sumFin d (fun a => a₂ a * b₂ a + a₃ a * b₁ a)
  | 5 => sumFin d (fun a => a₃ a * b₂ a)
  | _ => 0

/-- Replacing row `i` by `p` changes the covariance by `− x_i x_iᵀ + p pᵀ` (the `C` of
Proposition 4.5 of arXiv 2603.13085 after a training row is perturbed). -/
theorem covariance_updateRow (X : Matrix n d R) (i : Fin n) (p : Fin d → R) :
    covariance (updateRow X i p) = fun a b => covariance X a b - X i a * X i b + p a * p b := by
  funext a b
  simp only [covariance, mul, transpose, updateRow]
  have h : (fun k => (if k = i then p a else X k a) * (if k = i then p b else X k b)) =
      fun k => X k a * X k b + (if k = i then p a * p b - X i a * X i b else 0) := by
    funext k
    by_cases hk : k = i
    · subst hk; simp; grind
    · simp [hk]; grind
  rw [h, sumFin_add, sumFin_ite_eq']
  grind

/-- `C' x = C x − (x_iᵀ x) x_i + (pᵀ x) p` for the covariance `C'` after replacing row `i`
by `p`. -/
theorem mulVec_covariance_updateRow (X : Matrix n d R) (i : Fin n) (p x : Fin d → R) :
    mulVec (covariance (updateRow X i p)) x =
      fun a => mulVec (covariance X) x a - dot (X i) x * X i a + dot p x * p a := by
  funext a
  rw [covariance_updateRow]
  simp only [mulVec, dot]
  have h : (fun b => (covariance X a b - X i a * X i b + p a * p b) * x b) =
      fun b => (covariance X a b * x b - X i a * (X i b * x b)) + p a * (p b * x b) := by
    funext b; grind
  rw [h, sumFin_add, sumFin_sub, ← mul_sumFin, ← mul_sumFin]
  grind

/-- **Perturbing a training row** (arXiv 2603.13085, Proposition 4.5 with `C` rebuilt): for
`u = x_i` moved to `u + t δ`, and any fixed second argument `w`,
`K'(u + t δ, w) − K(u, w) = t c₁ + t² c₂ + t³ c₃ + t⁴ c₄ + t⁵ c₅`, exactly, where `K` uses
`C = Xᵀ X`, `K'` uses the covariance of the perturbed training set, and `c_k` are
`rowPerturbCoeff (Xᵀ X) x_i δ w k`.  The first-order term is `rowPerturbCoeff_one`. -/
theorem bilinKernel_updateRow_sub (X : Matrix n d R) (i : Fin n) (δ w : Fin d → R) (t : R) :
    bilinKernel (covariance (updateRow X i (fun a => X i a + t * δ a)))
        (fun a => X i a + t * δ a) w - bilinKernel (covariance X) (X i) w =
      t * rowPerturbCoeff (covariance X) (X i) δ w 1 +
        t ^ 2 * rowPerturbCoeff (covariance X) (X i) δ w 2 +
        t ^ 3 * rowPerturbCoeff (covariance X) (X i) δ w 3 +
        t ^ 4 * rowPerturbCoeff (covariance X) (X i) δ w 4 +
        t ^ 5 * rowPerturbCoeff (covariance X) (X i) δ w 5 := by
  simp only [bilinKernel, mulVec_covariance_updateRow]
  rw [mulVec_add, mulVec_smul, dot_add_right, dot_add_left, dot_add_left, dot_add_right,
    dot_add_right, dot_smul_right, dot_smul_left, dot_smul_left, dot_smul_right,
    dot_smul_left, dot_comm δ (X i)]
  simp only [rowPerturbCoeff, mul_sumFin]
  rw [dot_comm δ (X i), ← sumFin_sub, ← sumFin_add, ← sumFin_add, ← sumFin_add, ← sumFin_add]
  apply sumFin_congr; intro a
  generalize mulVec (covariance X) (X i) a = cu
  generalize mulVec (covariance X) δ a = cd
  generalize mulVec (covariance X) w a = cw
  generalize X i a = ua
  generalize δ a = da
  generalize dot (X i) (X i) = uu
  generalize dot (X i) δ = ud
  generalize dot δ δ = dd
  generalize dot (X i) w = uw
  generalize dot δ w = dw
  grind

/-- **First-order term of a training-row perturbation** (arXiv 2603.13085): with
`C = Xᵀ X`, `u = x_i`, `c₁ = δᵀ g` where
`g = C² w + (uᵀ C u) w + (uᵀ w) C u + (uᵀ C w) u + (uᵀ u) C w`; with `C` held fixed only
`C² w` (Proposition 4.5's `v`) would remain. -/
theorem rowPerturbCoeff_one (X : Matrix n d R) (i : Fin n) (δ w : Fin d → R) :
    rowPerturbCoeff (covariance X) (X i) δ w 1 =
      dot δ (fun a => mulVec (covariance X) (mulVec (covariance X) w) a +
        dot (X i) (mulVec (covariance X) (X i)) * w a +
        dot (X i) w * mulVec (covariance X) (X i) a +
        dot (X i) (mulVec (covariance X) w) * X i a +
        dot (X i) (X i) * mulVec (covariance X) w a) := by
  have hsym : ∀ v z : Fin d → R, dot (mulVec (covariance X) v) z = dot v (mulVec (covariance X) z) := by
    intro v z
    rw [dot_comm, dot_mulVec, covariance_transpose, dot_comm]
  simp only [rowPerturbCoeff]
  rw [dot_add_right, dot_add_right, dot_add_right, dot_add_right, dot_smul_right,
    dot_smul_right, dot_smul_right, dot_smul_right]
  have e1 : sumFin d (fun a => mulVec (covariance X) (X i) a *
        (dot δ w * X i a + dot (X i) w * δ a) +
      (mulVec (covariance X) δ a + dot δ (X i) * X i a + dot (X i) (X i) * δ a) *
        mulVec (covariance X) w a) =
      dot δ w * dot (mulVec (covariance X) (X i)) (X i) +
        dot (X i) w * dot (mulVec (covariance X) (X i)) δ +
        dot (mulVec (covariance X) δ) (mulVec (covariance X) w) +
        dot δ (X i) * dot (X i) (mulVec (covariance X) w) +
        dot (X i) (X i) * dot δ (mulVec (covariance X) w) := by
    simp only [dot, mul_sumFin]
    rw [← sumFin_add, ← sumFin_add, ← sumFin_add, ← sumFin_add]
    apply sumFin_congr; intro a
    grind
  rw [e1, hsym δ, hsym (X i) (X i), dot_comm (mulVec (covariance X) (X i)) δ,
    dot_comm δ (X i), dot_comm (X i) (mulVec (covariance X) (X i))]
  grind

/-- **Perturbing a training row, kernel between training rows** (Proposition 4.5 of arXiv
2603.13085 with `C` rebuilt): for
`j ≠ i`, moving `x_i` to `x_i + t δ` (which changes `C`) changes `K(x_i, x_j)` by the
polynomial of `bilinKernel_updateRow_sub` with `w = x_j`; every argument is taken from the
perturbed training set. -/
theorem bilinKernel_updateRow_rows_sub (X : Matrix n d R) {i j : Fin n} (hij : j ≠ i)
    (δ : Fin d → R) (t : R) :
    let X' := updateRow X i (fun a => X i a + t * δ a)
    bilinKernel (covariance X') (X' i) (X' j) - bilinKernel (covariance X) (X i) (X j) =
      t * rowPerturbCoeff (covariance X) (X i) δ (X j) 1 +
        t ^ 2 * rowPerturbCoeff (covariance X) (X i) δ (X j) 2 +
        t ^ 3 * rowPerturbCoeff (covariance X) (X i) δ (X j) 3 +
        t ^ 4 * rowPerturbCoeff (covariance X) (X i) δ (X j) 4 +
        t ^ 5 * rowPerturbCoeff (covariance X) (X i) δ (X j) 5 := by
  intro X'
  have hi : X' i = fun a => X i a + t * δ a := by funext a; simp [X', updateRow]
  have hj : X' j = X j := by funext a; simp [X', updateRow, hij]
  rw [hi, hj]
  exact bilinKernel_updateRow_sub X i δ (X j) t

end LinAttn
