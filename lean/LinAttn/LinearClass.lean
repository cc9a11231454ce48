module

public import LinAttn.Kernel
public import LinAttn.Order

/-!
# Theorem B.8: the "fourth-order" function class is linear in `x`

Theorem B.8 of arXiv 2603.13085 describes the functions of the linearized-attention kernel
as a "fourth-order" class,
`f(x) = ∑_{k,ℓ} α_{kℓ} ∑_m (xᵀx_k)(x_kᵀx_m)(x_mᵀx_ℓ)`.
Every such `f` is a linear function of the input: `f(x) = wᵀx` with `w = ∑_k β_k x_k` in the
span of the training rows, `β_k = ∑_ℓ α_{kℓ} (G²)_{kℓ}` (`fourthOrder_eq_dot`,
`exists_span_eq_fourthOrder`).  Conversely, when no training row is zero, every `x ↦ wᵀx`
with `w` in the span of the rows is in the class (`exists_fourthOrder_eq`).  So the class is
exactly the linear functions on the row space of `X` (dimension `rank X ≤ min(n, d)`): it is
fourth order in the training data, first order in `x`.
-/

public section

namespace LinAttn

universe u

open Lean.Grind Matrix

section Semiring

variable {R : Type u} [CommSemiring R] {n d : Nat}

/-- The function `f(x) = ∑_{k,ℓ} α_{kℓ} ∑_m (xᵀx_k)(x_kᵀx_m)(x_mᵀx_ℓ)` of Theorem B.8 (rows
`x_k = X k`, coefficients `α : n × n`). -/
@[expose] noncomputable def fourthOrder (X : Matrix n d R) (α : Matrix n n R) (x : Fin d → R) :
    R :=
  sumFin n (fun k => sumFin n (fun l => α k l *
    sumFin n (fun m => dot x (X k) * dot (X k) (X m) * dot (X m) (X l))))

/-- The weights `β_k = ∑_ℓ α_{kℓ} (G · G)_{kℓ}` of the training rows in `fourthOrder`. -/
@[expose] noncomputable def fourthOrderWeight (X : Matrix n d R) (α : Matrix n n R)
    (k : Fin n) : R :=
  sumFin n (fun l => α k l * mul (gram X) (gram X) k l)

/-- **Theorem B.8, checked** (arXiv 2603.13085): the "fourth-order" function is linear in
`x`, `f(x) = wᵀx` with `w = ∑_k β_k x_k`, `β_k = ∑_ℓ α_{kℓ} (G²)_{kℓ}`. -/
theorem fourthOrder_eq_dot (X : Matrix n d R) (α : Matrix n n R) (x : Fin d → R) :
    fourthOrder X α x =
      dot (fun a => sumFin n (fun k => fourthOrderWeight X α k * X k a)) x := by
  have hl : ∀ k l, α k l * sumFin n (fun m => dot x (X k) * dot (X k) (X m) * dot (X m) (X l)) =
      dot (X k) x * (α k l * mul (gram X) (gram X) k l) := by
    intro k l
    simp only [mul, mul_sumFin]
    apply sumFin_congr; intro m
    rw [dot_comm x (X k)]
    show _ = _ * (_ * (dot (X k) (X m) * dot (X m) (X l)))
    grind
  have hr : dot (fun a => sumFin n (fun k => fourthOrderWeight X α k * X k a)) x =
      sumFin n (fun k => dot (X k) x * fourthOrderWeight X α k) := by
    simp only [dot, sumFin_mul]
    rw [sumFin_comm]
    apply sumFin_congr; intro k
    apply sumFin_congr; intro a
    grind
  rw [hr]
  unfold fourthOrder fourthOrderWeight
  apply sumFin_congr; intro k
  rw [sumFin_congr (hl k), ← mul_sumFin]

/-- **Theorem B.8, checked** (arXiv 2603.13085), span form: for every `α` there are weights
`β` (independent of `x`) with `f(x) = (∑_k β_k x_k)ᵀ x` for all `x`. -/
theorem exists_span_eq_fourthOrder (X : Matrix n d R) (α : Matrix n n R) :
    ∃ β : Fin n → R, ∀ x : Fin d → R,
      fourthOrder X α x = dot (fun a => sumFin n (fun k => β k * X k a)) x :=
  ⟨fourthOrderWeight X α, fourthOrder_eq_dot X α⟩

end Semiring

section Ordered

variable {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
  [OrderedRing R] {n d : Nat}

/-- One nonnegative term is at most the sum. -/
theorem le_sumFin {f : Fin n → R} (h : ∀ i, 0 ≤ f i) (j : Fin n) : f j ≤ sumFin n f := by
  induction n with
  | zero => exact j.elim0
  | succ n ih =>
    rw [sumFin_succ]
    have hr := sumFin_nonneg (f := fun i => f i.succ) (fun i => h i.succ)
    cases j using Fin.cases with
    | zero => grind
    | succ j =>
      have := ih (f := fun i => f i.succ) (fun i => h i.succ) j
      have h0 := h 0
      grind

/-- A nonzero row `x_k` has `(G · G)_{kk} = ∑_m (x_kᵀ x_m)² > 0` (the term `m = k` is
`‖x_k‖⁴`). -/
theorem gram_mul_gram_self_pos (X : Matrix n d R) {k : Fin n} (hk : X k ≠ fun _ => 0) :
    0 < mul (gram X) (gram X) k k := by
  have hsym : ∀ m, gram X m k = gram X k m := fun m => congrFun (congrFun (gram_transpose X) k) m
  have e : mul (gram X) (gram X) k k = sumFin n (fun m => gram X k m ^ 2) := by
    simp only [mul_apply]
    apply sumFin_congr; intro m
    rw [hsym m]; grind
  have hkk : gram X k k = sumFin d (fun a => X k a ^ 2) := by
    show sumFin d _ = _; apply sumFin_congr; intro a; simp [transpose]; grind
  have hpos : 0 < gram X k k := by
    have hne : sumFin d (fun a => X k a ^ 2) ≠ 0 := by
      intro h0; apply hk; funext a; exact (sumFin_sq_eq_zero_iff _).1 h0 a
    have := sumFin_sq_nonneg (X k)
    grind
  have hsq : 0 < gram X k k ^ 2 := by
    have := OrderedRing.mul_pos hpos hpos
    grind
  rw [e]
  have := le_sumFin (f := fun m => gram X k m ^ 2) (fun _ => OrderedRing.sq_nonneg) k
  grind

end Ordered

section Field

variable {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
  [OrderedRing F] {n d : Nat}

/-- **Theorem B.8, converse** (arXiv 2603.13085): if no training row is zero, every linear
function `x ↦ (∑_k β_k x_k)ᵀ x` on the span of the rows is a "fourth-order" function, with
`α_{kℓ} = β_k / (G²)_{kk}` for `ℓ = k` and `0` otherwise.  With `fourthOrder_eq_dot` the
class of Theorem B.8 is exactly the linear functions `x ↦ wᵀx`, `w` in the row space. -/
theorem exists_fourthOrder_eq (X : Matrix n d F) (hX : ∀ k, X k ≠ fun _ => 0)
    (β : Fin n → F) : ∃ α : Matrix n n F, ∀ x : Fin d → F,
      fourthOrder X α x = dot (fun a => sumFin n (fun k => β k * X k a)) x := by
  refine ⟨fun k l => if k = l then β k / mul (gram X) (gram X) k k else 0, fun x => ?_⟩
  rw [fourthOrder_eq_dot]
  have hw : ∀ k, fourthOrderWeight X (fun k l => if k = l then β k / mul (gram X) (gram X) k k
      else 0) k = β k := by
    intro k
    unfold fourthOrderWeight
    have h : (fun l => (if k = l then β k / mul (gram X) (gram X) k k else 0) *
        mul (gram X) (gram X) k l) = fun l => if k = l then
          β k / mul (gram X) (gram X) k k * mul (gram X) (gram X) k l else 0 := by
      funext l; by_cases hkl : k = l
      · simp [hkl]
      · simp [hkl]; grind
    rw [h, sumFin_ite_eq]
    have hpos := gram_mul_gram_self_pos X (hX k)
    have hne : mul (gram X) (gram X) k k ≠ 0 := by grind
    have hinv := Field.mul_inv_cancel hne
    rw [Field.div_eq_mul_inv]
    grind
  simp only [hw]

end Field

end LinAttn
