module

public import LinAttn.Algebra

/-!
# Order facts on a linearly ordered ring or field

The order-theoretic steps of the proofs of arXiv 2603.13085 (Theorem 4.7, the positive
semi-definiteness of `G`, Proposition 4.5), over core's `Lean.Grind` classes: a commutative
ring with `OrderedRing`, a linear order `Std.IsLinearOrder` and a lawful `<`.

* `maxR`, `minR`, `absR`, `signR`: max, min, absolute value and sign by classical decision;
* `pow_three_lt_pow_three`, `pow_three_le_pow_three_iff`, `pow_three_pos_iff`: `x ↦ x³` is
  strictly increasing on the whole ring (not only on positives), so it commutes with max,
  min and sorting (`LinAttn.Kappa`);
* `sumFin_nonneg`, `sumFin_sq_nonneg`, `sumFin_sq_eq_zero_iff`: sums of squares are `≥ 0`
  and vanish only when every term does;
* `absR_nonneg`, `absR_add_le`, `absR_sumFin_le`, `sumFin_le_sumFin`, `mul_signR`: the
  absolute-value algebra of Proposition 4.5.
-/

public section

namespace LinAttn

universe u

open Lean.Grind

section Defs

open Classical

variable {F : Type u} [LE F] [Lean.Grind.Ring F]

/-- `max a b` from `≤` (classical decision). -/
@[expose] noncomputable def maxR (a b : F) : F := if a ≤ b then b else a

/-- `min a b` from `≤` (classical decision). -/
@[expose] noncomputable def minR (a b : F) : F := if a ≤ b then a else b

/-- Absolute value `|a| = if 0 ≤ a then a else -a`. -/
@[expose] noncomputable def absR (a : F) : F := if 0 ≤ a then a else -a

/-- Sign `sign a = if 0 ≤ a then 1 else -1` (so that `a · sign a = |a|`, also at `a = 0`). -/
@[expose] noncomputable def signR (a : F) : F := if 0 ≤ a then 1 else -1

end Defs

variable {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
  [OrderedRing R]

/-- Squares are nonnegative: `0 ≤ a · a`. -/
theorem mul_self_nonneg (a : R) : 0 ≤ a * a := by
  have h := OrderedRing.sq_nonneg (a := a)
  have e : a ^ 2 = a * a := by grind
  rw [e] at h
  exact h

/-- Only `0` squares to `0` in an ordered ring. -/
theorem eq_zero_of_mul_self_eq_zero {a : R} (h : a * a = 0) : a = 0 := by
  by_cases hp : 0 < a
  · have := OrderedRing.mul_pos hp hp; grind
  · by_cases hn : a < 0
    · have := OrderedRing.mul_pos_of_neg_of_neg hn hn; grind
    · grind

/-- A sum of nonnegative terms is nonnegative. -/
theorem sumFin_nonneg {n : Nat} {f : Fin n → R} (h : ∀ i, 0 ≤ f i) : 0 ≤ sumFin n f := by
  induction n with
  | zero => simp only [sumFin_zero]; grind
  | succ n ih =>
    rw [sumFin_succ]
    have h0 := h 0
    have hr := ih (f := fun i => f i.succ) (fun i => h i.succ)
    grind

/-- A sum of nonnegative terms vanishes only if every term does. -/
theorem eq_zero_of_sumFin_eq_zero {n : Nat} {f : Fin n → R} (h : ∀ i, 0 ≤ f i)
    (hs : sumFin n f = 0) (i : Fin n) : f i = 0 := by
  induction n with
  | zero => exact i.elim0
  | succ n ih =>
    rw [sumFin_succ] at hs
    have h0 := h 0
    have hr := sumFin_nonneg (f := fun i => f i.succ) (fun i => h i.succ)
    have hf0 : f 0 = 0 := by grind
    have hrest : sumFin n (fun i => f i.succ) = 0 := by grind
    cases i using Fin.cases with
    | zero => exact hf0
    | succ i => exact ih (f := fun i => f i.succ) (fun i => h i.succ) hrest i

/-- A sum of squares is nonnegative: `0 ≤ ∑_i (v i)²`. -/
theorem sumFin_sq_nonneg {n : Nat} (v : Fin n → R) : 0 ≤ sumFin n (fun i => v i ^ 2) :=
  sumFin_nonneg (fun _ => OrderedRing.sq_nonneg)

/-- A sum of squares vanishes exactly when every entry does: `∑_i (v i)² = 0 ↔ ∀ i, v i = 0`. -/
theorem sumFin_sq_eq_zero_iff {n : Nat} (v : Fin n → R) :
    sumFin n (fun i => v i ^ 2) = 0 ↔ ∀ i, v i = 0 := by
  constructor
  · intro hs i
    have h := eq_zero_of_sumFin_eq_zero (fun _ => OrderedRing.sq_nonneg) hs i
    have e : v i ^ 2 = v i * v i := by grind
    exact eq_zero_of_mul_self_eq_zero (e ▸ h)
  · intro hv
    have h : (fun i => v i ^ 2) = fun _ => (0 : R) := by funext i; rw [hv i]; grind
    rw [h, sumFin_const_zero]

/-- Cubing is strictly increasing on the whole ring, `a < b → a³ < b³` (the order fact
behind Theorem 4.7 of arXiv 2603.13085).  No sign condition is needed (for `a < 0 < b` the cubes have opposite signs; for `a < b ≤ 0` negate). -/
theorem pow_three_lt_pow_three {a b : R} (hab : a < b) : a ^ 3 < b ^ 3 := by
  have pos : ∀ {x y : R}, 0 ≤ x → x < y → x ^ 3 < y ^ 3 := by
    intro x y hx hxy
    have hy : 0 < y := by grind
    have hxx : 0 ≤ x * x := mul_self_nonneg x
    have hxy' : 0 ≤ x * y := OrderedRing.mul_nonneg hx (Std.le_of_lt hy)
    have h1 : x * x * x ≤ x * x * y := OrderedRing.mul_le_mul_of_nonneg_left (Std.le_of_lt hxy) hxx
    have h2 : x * y * x ≤ x * y * y := OrderedRing.mul_le_mul_of_nonneg_left (Std.le_of_lt hxy) hxy'
    have h3 : x * (y * y) < y * (y * y) :=
      OrderedRing.mul_lt_mul_of_pos_right hxy (OrderedRing.mul_pos hy hy)
    grind
  by_cases ha : 0 ≤ a
  · exact pos ha hab
  · by_cases hb : b ≤ 0
    · have h := pos (x := -b) (y := -a) (by grind) (by grind)
      grind
    · have hb' : 0 < b := by grind
      have ha' : a < 0 := by grind
      have hb3 : 0 < b * b * b := OrderedRing.mul_pos (OrderedRing.mul_pos hb' hb') hb'
      have ha3 : a * (a * a) < 0 :=
        OrderedRing.mul_neg_of_neg_of_pos ha' (OrderedRing.mul_pos_of_neg_of_neg ha' ha')
      grind

/-- Cubing reflects and preserves `≤`: `a³ ≤ b³ ↔ a ≤ b`. -/
theorem pow_three_le_pow_three_iff {a b : R} : a ^ 3 ≤ b ^ 3 ↔ a ≤ b := by
  constructor
  · intro h
    by_cases hab : a ≤ b
    · exact hab
    · have := pow_three_lt_pow_three (a := b) (b := a) (by grind)
      grind
  · intro h
    by_cases hab : a = b
    · subst hab; grind
    · have := pow_three_lt_pow_three (a := a) (b := b) (by grind)
      grind

/-- `0 < a³ ↔ 0 < a`. -/
theorem pow_three_pos_iff {a : R} : 0 < a ^ 3 ↔ 0 < a := by
  have h := pow_three_le_pow_three_iff (a := a) (b := 0)
  have e : (0 : R) ^ 3 = 0 := by grind
  rw [e] at h
  grind

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

omit [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
/-- `a · sign a = |a|`. -/
theorem mul_signR (a : R) : a * signR a = absR a := by
  unfold signR absR; split <;> grind

-- The linter reports `Std.LawfulOrderLT R` unused here, but `grind` needs it.
set_option linter.unusedSectionVars false in
/-- `|ε · sign a| = ε` for `ε ≥ 0`. -/
theorem absR_mul_signR {ε : R} (hε : 0 ≤ ε) (a : R) : absR (ε * signR a) = ε := by
  by_cases h : 0 ≤ a
  · have e : signR a = 1 := if_pos h
    have hp : 0 ≤ ε * 1 := by grind
    rw [e]; unfold absR; rw [if_pos hp]; grind
  · have e : signR a = -1 := if_neg h
    rw [e]
    by_cases hε0 : ε = 0
    · subst hε0
      have hp : (0 : R) ≤ 0 * -1 := by grind
      unfold absR; rw [if_pos hp]; grind
    · have hn : ¬ (0 ≤ ε * -1) := by grind
      unfold absR; rw [if_neg hn]; grind

omit [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
/-- `|a| = a` for `a ≥ 0`. -/
theorem absR_of_nonneg {a : R} (h : 0 ≤ a) : absR a = a := if_pos h

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

end LinAttn
