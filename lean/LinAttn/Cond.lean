module

public import LinAttn.Defs

/-!
# Theorem 4.7: the condition number is cubed

The eigenvalues of the kernel `K = G³` are the cubes of those of `G` (`LinAttn.Spectral`).
Theorem 4.7 of arXiv 2603.13085 states `κ(K) = κ(G)³`, where `κ = λ_max / λ_min` is the
2-norm condition number, and the same for `κ_d`, the ratio over the top `r = min(n, d)`
eigenvalues.

Main statements, over any linearly ordered field in the sense of core's `Lean.Grind`
classes, and instantiated for `Rat`:

* `LinAttn.cube_lt_cube`: cubing is strictly monotone on positives;
* `LinAttn.cond_pow_three`: `κ(λ³) = κ(λ)³` for a nonempty list of positive values;
* `LinAttn.sortDesc_map_cube`, `LinAttn.topR_map_cube`: cubing commutes with sorting and
  with taking the top `r` values;
* `LinAttn.cond_top_pow_three`: `κ_r(λ³) = κ_r(λ)³` (the truncated version, `κ_d`);
* `LinAttn.cond_pow_three_rat`, `LinAttn.cond_top_pow_three_rat`: the same over `Rat`.
-/

public section

namespace LinAttn

universe u

open Lean.Grind

section Lists

variable {F : Type u} [LE F]

theorem lmaxAux_mem (a : F) (l : List F) : lmaxAux a l ∈ a :: l := by
  induction l generalizing a with
  | nil => simp [lmaxAux]
  | cons b l ih =>
    simp only [lmaxAux, maxR]
    split
    · have := ih b; simp_all
    · simp

theorem lminAux_mem (a : F) (l : List F) : lminAux a l ∈ a :: l := by
  induction l generalizing a with
  | nil => simp [lminAux]
  | cons b l ih =>
    simp only [lminAux, minR]
    split
    · simp
    · have := ih b; simp_all

theorem lmin_mem [Semiring F] {l : List F} (hl : l ≠ []) : lmin l ∈ l := by
  cases l with
  | nil => exact absurd rfl hl
  | cons a l => exact lminAux_mem a l

theorem mem_insDesc {x y : F} {l : List F} (hy : y ∈ insDesc x l) : y = x ∨ y ∈ l := by
  induction l with
  | nil => simp_all [insDesc]
  | cons z l ih =>
    simp only [insDesc] at hy
    split at hy
    · simp_all
    · simp only [List.mem_cons] at hy
      rcases hy with hy | hy
      · simp [hy]
      · rcases ih hy with h | h <;> simp [h]

theorem mem_sortDesc {y : F} {l : List F} (hy : y ∈ sortDesc l) : y ∈ l := by
  induction l with
  | nil => simp_all [sortDesc]
  | cons x l ih =>
    simp only [sortDesc] at hy
    rcases mem_insDesc hy with h | h
    · simp [h]
    · simp [ih h]

theorem length_insDesc (x : F) (l : List F) : (insDesc x l).length = l.length + 1 := by
  induction l with
  | nil => rfl
  | cons y l ih =>
    simp only [insDesc]
    split
    · simp
    · simp [ih]

theorem length_sortDesc (l : List F) : (sortDesc l).length = l.length := by
  induction l with
  | nil => rfl
  | cons x l ih => simp [sortDesc, length_insDesc, ih]

theorem map_take' {α β : Type u} (f : α → β) (r : Nat) (l : List α) :
    (l.take r).map f = (l.map f).take r := by
  induction l generalizing r with
  | nil => cases r <;> rfl
  | cons a l ih =>
    cases r with
    | zero => rfl
    | succ r => simp [ih]

theorem mem_of_mem_take' {α : Type u} {x : α} {r : Nat} {l : List α} (hx : x ∈ l.take r) :
    x ∈ l := by
  induction l generalizing r with
  | nil => cases r <;> simp_all
  | cons a l ih =>
    cases r with
    | zero => simp_all
    | succ r =>
      simp only [List.take_succ_cons, List.mem_cons] at hx
      rcases hx with hx | hx
      · simp [hx]
      · simp [ih hx]

theorem topR_ne_nil {r : Nat} {l : List F} (hr : 0 < r) (hl : l ≠ []) : topR r l ≠ [] := by
  unfold topR
  have hlen : (sortDesc l).length ≠ 0 := by
    rw [length_sortDesc]; intro h; exact hl (List.eq_nil_of_length_eq_zero h)
  cases hs : sortDesc l with
  | nil => rw [hs] at hlen; exact absurd rfl hlen
  | cons a t =>
    cases r with
    | zero => exact absurd hr (Nat.lt_irrefl 0)
    | succ r => simp

end Lists

variable {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
  [OrderedRing F]

/-- Cubing is strictly monotone on positives: `0 < a < b → a³ < b³` (the order fact behind
Theorem 4.7 of arXiv 2603.13085). -/
theorem cube_lt_cube {a b : F} (ha : 0 < a) (hab : a < b) : a ^ 3 < b ^ 3 := by
  have hb : 0 < b := by grind
  have haa : 0 < a * a := OrderedRing.mul_pos ha ha
  have h1 : a * a * a < a * a * b := OrderedRing.mul_lt_mul_of_pos_left hab haa
  have h2 : a * a * b < a * b * b :=
    OrderedRing.mul_lt_mul_of_pos_right (OrderedRing.mul_lt_mul_of_pos_left hab ha) hb
  have h3 : a * b * b < b * b * b :=
    OrderedRing.mul_lt_mul_of_pos_right (OrderedRing.mul_lt_mul_of_pos_right hab hb) hb
  grind

/-- On positives, `a³ ≤ b³ ↔ a ≤ b`. -/
theorem cube_le_cube_iff {a b : F} (ha : 0 < a) (hb : 0 < b) : a ^ 3 ≤ b ^ 3 ↔ a ≤ b := by
  constructor
  · intro h
    by_cases hab : a ≤ b
    · exact hab
    · have hba : b < a := by grind
      have := cube_lt_cube hb hba
      grind
  · intro h
    by_cases hab : a = b
    · subst hab; grind
    · have hlt : a < b := by grind
      have := cube_lt_cube ha hlt
      grind

theorem maxR_cube {a b : F} (ha : 0 < a) (hb : 0 < b) :
    maxR (a ^ 3) (b ^ 3) = (maxR a b) ^ 3 := by
  unfold maxR
  by_cases h : a ≤ b
  · rw [if_pos h, if_pos ((cube_le_cube_iff ha hb).2 h)]
  · rw [if_neg h, if_neg (fun h' => h ((cube_le_cube_iff ha hb).1 h'))]

theorem minR_cube {a b : F} (ha : 0 < a) (hb : 0 < b) :
    minR (a ^ 3) (b ^ 3) = (minR a b) ^ 3 := by
  unfold minR
  by_cases h : a ≤ b
  · rw [if_pos h, if_pos ((cube_le_cube_iff ha hb).2 h)]
  · rw [if_neg h, if_neg (fun h' => h ((cube_le_cube_iff ha hb).1 h'))]

theorem lmaxAux_map_cube (a : F) (l : List F) (h : ∀ x ∈ a :: l, 0 < x) :
    lmaxAux (a ^ 3) (l.map (· ^ 3)) = (lmaxAux a l) ^ 3 := by
  induction l generalizing a with
  | nil => rfl
  | cons b l ih =>
    simp only [List.map_cons, lmaxAux]
    rw [ih b (fun x hx => h x (List.mem_cons_of_mem a hx))]
    exact maxR_cube (h a (List.mem_cons_self ..))
      (h _ (List.mem_cons_of_mem a (lmaxAux_mem b l)))

theorem lminAux_map_cube (a : F) (l : List F) (h : ∀ x ∈ a :: l, 0 < x) :
    lminAux (a ^ 3) (l.map (· ^ 3)) = (lminAux a l) ^ 3 := by
  induction l generalizing a with
  | nil => rfl
  | cons b l ih =>
    simp only [List.map_cons, lminAux]
    rw [ih b (fun x hx => h x (List.mem_cons_of_mem a hx))]
    exact minR_cube (h a (List.mem_cons_self ..))
      (h _ (List.mem_cons_of_mem a (lminAux_mem b l)))

/-- The largest cubed value is the cube of the largest value (positive entries). -/
theorem lmax_map_cube (l : List F) (h : ∀ x ∈ l, 0 < x) :
    lmax (l.map (· ^ 3)) = (lmax l) ^ 3 := by
  cases l with
  | nil => simp only [List.map_nil, lmax]; grind
  | cons a l => exact lmaxAux_map_cube a l h

/-- The smallest cubed value is the cube of the smallest value (positive entries). -/
theorem lmin_map_cube (l : List F) (h : ∀ x ∈ l, 0 < x) :
    lmin (l.map (· ^ 3)) = (lmin l) ^ 3 := by
  cases l with
  | nil => simp only [List.map_nil, lmin]; grind
  | cons a l => exact lminAux_map_cube a l h

/-- **Theorem 4.7 (condition-number amplification)** of arXiv 2603.13085: for a nonempty
list of positive eigenvalues `λ`, `κ(λ³) = κ(λ)³` with `κ = max / min` (the 2-norm
condition number of a positive definite matrix; the eigenvalues of `G³` are the `λ³` by
`LinAttn.spectral_cube`).  Mirrors `pyverify.spectrum.cond` and
`pyverify.spectrum.check_cond_cubed`. -/
theorem cond_pow_three (l : List F) (hl : l ≠ []) (h : ∀ x ∈ l, 0 < x) :
    kappa (l.map (· ^ 3)) = (kappa l) ^ 3 := by
  unfold kappa
  rw [lmax_map_cube l h, lmin_map_cube l h]
  have hmin : 0 < lmin l := h _ (lmin_mem hl)
  have hne : lmin l ≠ 0 := by grind
  grind

/-- Inserting commutes with cubing (positive entries). -/
theorem insDesc_map_cube (x : F) (l : List F) (hx : 0 < x) (h : ∀ y ∈ l, 0 < y) :
    (insDesc x l).map (· ^ 3) = insDesc (x ^ 3) (l.map (· ^ 3)) := by
  induction l with
  | nil => rfl
  | cons y l ih =>
    have hy : 0 < y := h y (List.mem_cons_self ..)
    simp only [insDesc, List.map_cons]
    by_cases hyx : y ≤ x
    · rw [if_pos hyx, if_pos ((cube_le_cube_iff hy hx).2 hyx)]
      rfl
    · rw [if_neg hyx, if_neg (fun h' => hyx ((cube_le_cube_iff hy hx).1 h'))]
      rw [List.map_cons, ih (fun z hz => h z (List.mem_cons_of_mem y hz))]

/-- Sorting commutes with cubing, since cubing is strictly monotone on positives (so the
ordering of the eigenvalues of `G³` is that of `G`; Theorem 4.7 of arXiv 2603.13085). -/
theorem sortDesc_map_cube (l : List F) (h : ∀ y ∈ l, 0 < y) :
    (sortDesc l).map (· ^ 3) = sortDesc (l.map (· ^ 3)) := by
  induction l with
  | nil => rfl
  | cons x l ih =>
    simp only [sortDesc, List.map_cons]
    rw [insDesc_map_cube x (sortDesc l) (h x (List.mem_cons_self ..))
      (fun y hy => h y (List.mem_cons_of_mem x (mem_sortDesc hy)))]
    rw [ih (fun y hy => h y (List.mem_cons_of_mem x hy))]

/-- Taking the top `r` values commutes with cubing (positive entries): the top `r`
eigenvalues of `G³` are the cubes of those of `G` (`κ_d` in Theorem 4.7 of arXiv 2603.13085). -/
theorem topR_map_cube (r : Nat) (l : List F) (h : ∀ y ∈ l, 0 < y) :
    (topR r l).map (· ^ 3) = topR r (l.map (· ^ 3)) := by
  unfold topR
  rw [map_take', sortDesc_map_cube l h]

/-- **Theorem 4.7, truncated form (`κ_d`)** of arXiv 2603.13085: for `r ≥ 1` and a
nonempty list of positive eigenvalues, the condition number of the top `r` cubed values is
the cube of that of the top `r` values, `κ_r(λ³) = κ_r(λ)³`.  With `r = min(n, d)` this is
`κ_d(G³) = κ_d(G)³`.  Mirrors `pyverify.spectrum.cond_d` and
`pyverify.spectrum.check_cond_cubed`. -/
theorem cond_top_pow_three (r : Nat) (l : List F) (hr : 0 < r) (hl : l ≠ [])
    (h : ∀ x ∈ l, 0 < x) : kappaTop r (l.map (· ^ 3)) = (kappaTop r l) ^ 3 := by
  unfold kappaTop
  rw [← topR_map_cube r l h]
  exact cond_pow_three (topR r l) (topR_ne_nil hr hl)
    (fun x hx => h x (mem_sortDesc (mem_of_mem_take' hx)))

/-- **Theorem 4.7 (condition-number amplification)** of arXiv 2603.13085 over `Rat`. -/
theorem cond_pow_three_rat (l : List Rat) (hl : l ≠ []) (h : ∀ x ∈ l, 0 < x) :
    kappa (l.map (· ^ 3)) = (kappa l) ^ 3 :=
  cond_pow_three l hl h

/-- **Theorem 4.7, truncated form (`κ_d`)** of arXiv 2603.13085 over `Rat`. -/
theorem cond_top_pow_three_rat (r : Nat) (l : List Rat) (hr : 0 < r) (hl : l ≠ [])
    (h : ∀ x ∈ l, 0 < x) : kappaTop r (l.map (· ^ 3)) = (kappaTop r l) ^ 3 :=
  cond_top_pow_three r l hr hl h

end LinAttn
