module

public import LinAttn.Order

/-!
# Condition numbers of eigenvalue lists, with their specification

The 2-norm condition number of a symmetric matrix with eigenvalues `λ` is
`κ = λ_max / λ_min`; the paper's `κ_d` (arXiv 2603.13085, Theorem 4.7) is the same ratio over
the top `r = min(n, d)` eigenvalues.  Definitions and their specification lemmas:

* `lmax`, `lmin`: the largest / smallest entry (`lmax_mem`, `le_lmax`, `lmin_mem`,
  `lmin_le`; hence they depend only on the set of entries, `lmax_congr`, `lmin_congr`);
* `sortDesc`: core's `List.mergeSort` in decreasing order (`pairwise_sortDesc`: sorted
  descending; `sortDesc_perm`: a permutation of its input), `topR r l`: its first `r` entries;
* `kappa l : Option F`: `some (lmax l / lmin l)` when `lmin l > 0`, else `none` (an empty
  list, a singular or an indefinite spectrum: κ = ∞ or undefined, never a fake `0`);
  `kappaTop r l = kappa (topR r l)` (κ_r, the paper's κ_d for `r = min(n, d)`).

Main statements (no positivity hypothesis: `x ↦ x³` is strictly increasing on the whole
field, and `lmin > 0 ↔ lmin³ > 0`):

* `kappa_map_pow_three`: `κ(λ³) = κ(λ)³` (as options);
* `sortDesc_map_pow_three`, `topR_map_pow_three`: cubing commutes with sorting and top-`r`;
* `kappaTop_map_pow_three`: `κ_r(λ³) = κ_r(λ)³` for every list, zeros included;
* `kappaTop_eq_some`, `kappaTop_map_pow_three_of_pos`: when the top `r` values are positive
  (zeros below them allowed), `κ_r(λ) = λ_max / λ_r` is finite and `κ_r(λ³)` is its cube.
-/

public section

namespace LinAttn

universe u

open Lean.Grind

section Defs

open Classical

variable {F : Type u} [LE F] [Lean.Grind.Ring F]

/-- Maximum of `a :: l`. -/
@[expose] noncomputable def lmaxAux (a : F) : List F → F
  | [] => a
  | b :: l => maxR a (lmaxAux b l)

/-- Minimum of `a :: l`. -/
@[expose] noncomputable def lminAux (a : F) : List F → F
  | [] => a
  | b :: l => minR a (lminAux b l)

/-- Largest entry of a list (`0` for the empty list; see `lmax_mem`, `le_lmax`). -/
@[expose] noncomputable def lmax : List F → F
  | [] => 0
  | a :: l => lmaxAux a l

/-- Smallest entry of a list (`0` for the empty list; see `lmin_mem`, `lmin_le`). -/
@[expose] noncomputable def lmin : List F → F
  | [] => 0
  | a :: l => lminAux a l

/-- The list sorted in decreasing order: core's stable `List.mergeSort` with `a` before `b`
when `b ≤ a` (see `pairwise_sortDesc`, `sortDesc_perm`). -/
@[expose] noncomputable def sortDesc (l : List F) : List F :=
  l.mergeSort (fun a b => decide (b ≤ a))

/-- The `r` largest values, with multiplicity: the first `r` entries of `sortDesc l`. -/
@[expose] noncomputable def topR (r : Nat) (l : List F) : List F := (sortDesc l).take r

end Defs

section KappaDefs

open Classical

variable {F : Type u} [LE F] [LT F] [Field F]

/-- The 2-norm condition number `κ = λ_max / λ_min` of a list of eigenvalues, as an option:
`some (lmax l / lmin l)` when `lmin l > 0`, and `none` otherwise (empty list, a zero
eigenvalue: κ = ∞; a negative one: not positive definite). -/
@[expose] noncomputable def kappa (l : List F) : Option F :=
  if 0 < lmin l then some (lmax l / lmin l) else none

/-- `κ_r`: the condition number of the `r` largest values (the paper's `κ_d` with
`r = min(n, d)`). -/
@[expose] noncomputable def kappaTop (r : Nat) (l : List F) : Option F := kappa (topR r l)

end KappaDefs

section Spec

variable {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
  [OrderedRing R]

omit [CommRing R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
theorem lmaxAux_mem [Lean.Grind.Ring R] (a : R) (l : List R) : lmaxAux a l ∈ a :: l := by
  induction l generalizing a with
  | nil => simp [lmaxAux]
  | cons b l ih =>
    simp only [lmaxAux, maxR]
    split
    · have := ih b; simp_all
    · simp

omit [CommRing R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
theorem lminAux_mem [Lean.Grind.Ring R] (a : R) (l : List R) : lminAux a l ∈ a :: l := by
  induction l generalizing a with
  | nil => simp [lminAux]
  | cons b l ih =>
    simp only [lminAux, minR]
    split
    · simp
    · have := ih b; simp_all

theorem le_lmaxAux (a : R) (l : List R) : ∀ x ∈ a :: l, x ≤ lmaxAux a l := by
  induction l generalizing a with
  | nil => intro x hx; simp at hx; subst hx; simp only [lmaxAux]; grind
  | cons b l ih =>
    intro x hx
    simp only [lmaxAux, maxR]
    have hb := ih b
    rcases List.mem_cons.1 hx with h | h
    · subst h; split <;> grind
    · have := hb x h; split <;> grind

theorem lminAux_le (a : R) (l : List R) : ∀ x ∈ a :: l, lminAux a l ≤ x := by
  induction l generalizing a with
  | nil => intro x hx; simp at hx; subst hx; simp only [lminAux]; grind
  | cons b l ih =>
    intro x hx
    simp only [lminAux, minR]
    have hb := ih b
    rcases List.mem_cons.1 hx with h | h
    · subst h; split <;> grind
    · have := hb x h; split <;> grind

omit [CommRing R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
/-- **Specification of `lmax`** (the `λ_max` of Theorem 4.7 of arXiv 2603.13085), membership:
the maximum of a nonempty list is an entry. -/
theorem lmax_mem [Lean.Grind.Ring R] {l : List R} (hl : l ≠ []) : lmax l ∈ l := by
  cases l with
  | nil => exact absurd rfl hl
  | cons a l => exact lmaxAux_mem a l

/-- **Specification of `lmax`** (Theorem 4.7 of arXiv 2603.13085), upper bound: every entry is
`≤ lmax l`. -/
theorem le_lmax {l : List R} {x : R} (hx : x ∈ l) : x ≤ lmax l := by
  cases l with
  | nil => simp at hx
  | cons a l => exact le_lmaxAux a l x hx

omit [CommRing R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
/-- **Specification of `lmin`** (the `λ_min` of Theorem 4.7 of arXiv 2603.13085), membership:
the minimum of a nonempty list is an entry. -/
theorem lmin_mem [Lean.Grind.Ring R] {l : List R} (hl : l ≠ []) : lmin l ∈ l := by
  cases l with
  | nil => exact absurd rfl hl
  | cons a l => exact lminAux_mem a l

/-- **Specification of `lmin`** (Theorem 4.7 of arXiv 2603.13085), lower bound: every entry is
`≥ lmin l`. -/
theorem lmin_le {l : List R} {x : R} (hx : x ∈ l) : lmin l ≤ x := by
  cases l with
  | nil => simp at hx
  | cons a l => exact lminAux_le a l x hx

/-- The specification determines `lmax`: an entry that bounds every entry is `lmax l`. -/
theorem lmax_eq_of_mem {l : List R} {m : R} (hm : m ∈ l) (h : ∀ x ∈ l, x ≤ m) :
    lmax l = m := by
  have h1 := le_lmax hm
  have h2 := h _ (lmax_mem (List.ne_nil_of_mem hm))
  grind

/-- The specification determines `lmin`. -/
theorem lmin_eq_of_mem {l : List R} {m : R} (hm : m ∈ l) (h : ∀ x ∈ l, m ≤ x) :
    lmin l = m := by
  have h1 := lmin_le hm
  have h2 := h _ (lmin_mem (List.ne_nil_of_mem hm))
  grind

omit [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
theorem eq_nil_of_mem_iff {l₁ l₂ : List R} (h : ∀ x, x ∈ l₁ ↔ x ∈ l₂) (h₁ : l₁ = []) :
    l₂ = [] := by
  cases l₂ with
  | nil => rfl
  | cons a t => have := (h a).2 (List.mem_cons_self ..); simp [h₁] at this

/-- `lmax` depends only on the set of entries. -/
theorem lmax_congr {l₁ l₂ : List R} (h : ∀ x, x ∈ l₁ ↔ x ∈ l₂) : lmax l₁ = lmax l₂ := by
  by_cases h₁ : l₁ = []
  · rw [h₁, eq_nil_of_mem_iff h h₁]
  · exact (lmax_eq_of_mem ((h _).1 (lmax_mem h₁)) (fun x hx => le_lmax ((h x).2 hx))).symm

/-- `lmin` depends only on the set of entries. -/
theorem lmin_congr {l₁ l₂ : List R} (h : ∀ x, x ∈ l₁ ↔ x ∈ l₂) : lmin l₁ = lmin l₂ := by
  by_cases h₁ : l₁ = []
  · rw [h₁, eq_nil_of_mem_iff h h₁]
  · exact (lmin_eq_of_mem ((h _).1 (lmin_mem h₁)) (fun x hx => lmin_le ((h x).2 hx))).symm

/-- The largest cube is the cube of the largest entry (every list; `lmax [] = 0 = 0³`). -/
theorem lmax_map_pow_three (l : List R) : lmax (l.map (· ^ 3)) = lmax l ^ 3 := by
  by_cases hl : l = []
  · subst hl; simp only [List.map_nil, lmax]; grind
  · apply lmax_eq_of_mem (List.mem_map.2 ⟨_, lmax_mem hl, rfl⟩)
    intro y hy
    obtain ⟨x, hx, rfl⟩ := List.mem_map.1 hy
    exact pow_three_le_pow_three_iff.2 (le_lmax hx)

/-- The smallest cube is the cube of the smallest entry (every list). -/
theorem lmin_map_pow_three (l : List R) : lmin (l.map (· ^ 3)) = lmin l ^ 3 := by
  by_cases hl : l = []
  · subst hl; simp only [List.map_nil, lmin]; grind
  · apply lmin_eq_of_mem (List.mem_map.2 ⟨_, lmin_mem hl, rfl⟩)
    intro y hy
    obtain ⟨x, hx, rfl⟩ := List.mem_map.1 hy
    exact pow_three_le_pow_three_iff.2 (lmin_le hx)

omit [CommRing R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
/-- `sortDesc l` has the same entries as `l`. -/
theorem mem_sortDesc [Lean.Grind.Ring R] {l : List R} {x : R} : x ∈ sortDesc l ↔ x ∈ l :=
  List.mem_mergeSort

omit [CommRing R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
theorem length_sortDesc [Lean.Grind.Ring R] (l : List R) : (sortDesc l).length = l.length :=
  List.length_mergeSort l

omit [CommRing R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
/-- **Specification of `sortDesc`** (the ordering behind `κ_d`, Theorem 4.7 of arXiv
2603.13085), permutation: `sortDesc l` is a permutation of `l`. -/
theorem sortDesc_perm [Lean.Grind.Ring R] (l : List R) : (sortDesc l).Perm l :=
  List.mergeSort_perm l _

open Classical in
omit [CommRing R] [LT R] [Std.LawfulOrderLT R] [OrderedRing R] in
/-- **Specification of `sortDesc`** (the ordering behind `κ_d`, Theorem 4.7 of arXiv
2603.13085), order: `sortDesc l` is sorted in decreasing order (each entry is `≥` every later
one). -/
theorem pairwise_sortDesc [Lean.Grind.Ring R] (l : List R) :
    (sortDesc l).Pairwise (fun a b => b ≤ a) := by
  have trans : ∀ a b c : R, decide (b ≤ a) = true → decide (c ≤ b) = true →
      decide (c ≤ a) = true := by
    intro a b c h1 h2
    have := _root_.of_decide_eq_true h1; have := _root_.of_decide_eq_true h2
    exact _root_.decide_eq_true (by grind)
  have total : ∀ a b : R, (decide (b ≤ a) || decide (a ≤ b)) = true := by
    intro a b
    rcases Std.le_total (a := a) (b := b) with h | h <;> simp [h]
  exact (List.pairwise_mergeSort trans total l).imp (fun h => _root_.of_decide_eq_true h)

/-- Sorting commutes with cubing (cubing is strictly increasing, so it keeps the order and
the ties of a stable sort). -/
theorem sortDesc_map_pow_three (l : List R) :
    sortDesc (l.map (· ^ 3)) = (sortDesc l).map (· ^ 3) := by
  unfold sortDesc
  refine (List.map_mergeSort ?_).symm
  intro a _ b _
  exact decide_eq_decide.2 pow_three_le_pow_three_iff.symm

/-- Taking the top `r` values commutes with cubing. -/
theorem topR_map_pow_three (r : Nat) (l : List R) :
    topR r (l.map (· ^ 3)) = (topR r l).map (· ^ 3) := by
  unfold topR
  rw [sortDesc_map_pow_three, List.map_take]

omit [CommRing R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R] [OrderedRing R] in
theorem mem_of_mem_topR [Lean.Grind.Ring R] {r : Nat} {l : List R} {x : R}
    (hx : x ∈ topR r l) : x ∈ l :=
  mem_sortDesc.1 (List.mem_of_mem_take hx)

/-- The top `r ≥ 1` values of a nonempty list contain its maximum: `lmax (topR r l) = lmax l`
(the head of `sortDesc l` is the maximum). -/
theorem lmax_topR {r : Nat} {l : List R} (hr : 0 < r) (hl : l ≠ []) :
    lmax (topR r l) = lmax l := by
  have hne : sortDesc l ≠ [] := by
    intro h; apply hl; apply List.eq_nil_of_length_eq_zero
    rw [← length_sortDesc, h]; rfl
  obtain ⟨a, t, hs⟩ := List.exists_cons_of_ne_nil hne
  have hp := pairwise_sortDesc l
  rw [hs] at hp
  have hbound : ∀ x ∈ t, x ≤ a := (List.pairwise_cons.1 hp).1
  obtain ⟨r', rfl⟩ : ∃ r', r = r' + 1 := ⟨r - 1, by omega⟩
  have htop : topR (r' + 1) l = a :: t.take r' := by
    unfold topR; rw [hs, List.take_succ_cons]
  have ha : lmax l = a := by
    apply lmax_eq_of_mem (mem_sortDesc.1 (by rw [hs]; exact List.mem_cons_self ..))
    intro x hx
    have hx' : x ∈ a :: t := by rw [← hs]; exact mem_sortDesc.2 hx
    rcases List.mem_cons.1 hx' with h | h
    · subst h; grind
    · exact hbound x h
  rw [ha, htop]
  apply lmax_eq_of_mem (List.mem_cons_self ..)
  intro x hx
  rcases List.mem_cons.1 hx with h | h
  · subst h; grind
  · exact hbound x (List.mem_of_mem_take h)

end Spec

section Kappa

variable {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
  [OrderedRing F]

omit [Std.LawfulOrderLT F] [Std.IsLinearOrder F] [OrderedRing F] in
/-- **Specification of `kappa`** (the κ of Theorem 4.7 of arXiv 2603.13085): finite when the
smallest entry is positive, and then `κ = lmax / lmin`. -/
theorem kappa_of_pos {l : List F} (h : 0 < lmin l) : kappa l = some (lmax l / lmin l) :=
  if_pos h

/-- **Specification of `kappa`** (Theorem 4.7 of arXiv 2603.13085): `κ(l) = none ↔ lmin l ≤ 0`. -/
theorem kappa_eq_none_iff {l : List F} : kappa l = none ↔ lmin l ≤ 0 := by
  unfold kappa
  by_cases h : 0 < lmin l
  · rw [if_pos h]; simp only [reduceCtorEq, false_iff]; grind
  · rw [if_neg h]; simp only [true_iff]; grind

/-- For a nonempty list, `κ = none` exactly when some entry is `≤ 0` (a zero eigenvalue: the
matrix is singular and κ = ∞). -/
theorem kappa_eq_none_iff_exists {l : List F} (hl : l ≠ []) :
    kappa l = none ↔ ∃ x ∈ l, x ≤ 0 := by
  rw [kappa_eq_none_iff]
  constructor
  · intro h; exact ⟨_, lmin_mem hl, h⟩
  · rintro ⟨x, hx, h⟩; have := lmin_le hx; grind

/-- `κ` depends only on the set of entries. -/
theorem kappa_congr {l₁ l₂ : List F} (h : ∀ x, x ∈ l₁ ↔ x ∈ l₂) : kappa l₁ = kappa l₂ := by
  unfold kappa; rw [lmax_congr h, lmin_congr h]

/-- **Theorem 4.7 (condition-number amplification)** of arXiv 2603.13085, list form: the
condition number of the cubed eigenvalues is the cube of the condition number,
`κ(λ³) = κ(λ)³`, for every list of values in a linearly ordered field, as options (`none`
stays `none`).  No hypothesis is needed: cubing is strictly increasing on the whole field, so
`max(λ³) = max(λ)³`, `min(λ³) = min(λ)³` and `min(λ)³ > 0 ↔ min(λ) > 0`.  Mirrors
`pyverify.spectrum.cond` and `pyverify.spectrum.check_cond_cubed`. -/
theorem kappa_map_pow_three (l : List F) :
    kappa (l.map (· ^ 3)) = (kappa l).map (· ^ 3) := by
  unfold kappa
  rw [lmax_map_pow_three, lmin_map_pow_three]
  by_cases h : 0 < lmin l
  · rw [if_pos (pow_three_pos_iff.2 h), if_pos h, Option.map_some]
    have hne : lmin l ≠ 0 := by grind
    congr 1
    grind
  · rw [if_neg (fun h' => h (pow_three_pos_iff.1 h')), if_neg h, Option.map_none]

/-- **Theorem 4.7, truncated form (`κ_d`)** of arXiv 2603.13085: `κ_r(λ³) = κ_r(λ)³` for
every `r` and every list, zeros included (the top `r` values of `λ³` are the cubes of the top
`r` values of `λ`).  Mirrors `pyverify.spectrum.cond_d` and
`pyverify.spectrum.check_cond_cubed`. -/
theorem kappaTop_map_pow_three (r : Nat) (l : List F) :
    kappaTop r (l.map (· ^ 3)) = (kappaTop r l).map (· ^ 3) := by
  unfold kappaTop
  rw [topR_map_pow_three, kappa_map_pow_three]

/-- Theorem 4.7, truncated form (`κ_d`), of arXiv 2603.13085: `κ_r` is finite when the top
`r ≥ 1` values of a nonempty list are positive (entries
below them may be zero, as the `n − d` zero eigenvalues of `G = X Xᵀ` for `n > d`):
`κ_r(λ) = λ_max / λ_r` with `λ_r = lmin (topR r λ)` the `r`-th largest value.  Nothing is
assumed about the entries below the top `r`. -/
theorem kappaTop_eq_some {r : Nat} {l : List F} (hr : 0 < r) (hl : l ≠ [])
    (hpos : ∀ x ∈ topR r l, 0 < x) : kappaTop r l = some (lmax l / lmin (topR r l)) := by
  have hne : topR r l ≠ [] := by
    intro h
    have := lmax_topR hr hl
    rw [h] at this
    have hm := lmax_mem hl
    rw [← this] at hm
    have hsort : sortDesc l ≠ [] := by
      intro hs; apply hl; apply List.eq_nil_of_length_eq_zero
      rw [← length_sortDesc, hs]; rfl
    obtain ⟨a, t, hs⟩ := List.exists_cons_of_ne_nil hsort
    obtain ⟨r', rfl⟩ : ∃ r', r = r' + 1 := ⟨r - 1, by omega⟩
    unfold topR at h; rw [hs, List.take_succ_cons] at h
    exact List.cons_ne_nil _ _ h
  unfold kappaTop
  rw [kappa_of_pos (hpos _ (lmin_mem hne)), lmax_topR hr hl]

/-- **Theorem 4.7, truncated form (`κ_d`), for a spectrum with zeros** (arXiv 2603.13085):
if the top `r ≥ 1` values of a nonempty list are positive, then `κ_r(λ³)` is finite and
equals `(λ_max / λ_r)³ = κ_r(λ)³`.  This applies to `G = X Xᵀ` with `n > d` (`n − d` zero
eigenvalues, `r = d = rank G`).  The hypothesis "all entries ≥ 0" is not needed and not
assumed. -/
theorem kappaTop_map_pow_three_of_pos {r : Nat} {l : List F} (hr : 0 < r) (hl : l ≠ [])
    (hpos : ∀ x ∈ topR r l, 0 < x) :
    kappaTop r (l.map (· ^ 3)) = some ((lmax l / lmin (topR r l)) ^ 3) := by
  rw [kappaTop_map_pow_three, kappaTop_eq_some hr hl hpos, Option.map_some]

/-- **Theorem 4.7 (condition-number amplification)** of arXiv 2603.13085 over `Rat` (core's
`Rat` satisfies the linearly-ordered-field classes, so the hypotheses are not vacuous). -/
theorem kappa_map_pow_three_rat (l : List Rat) :
    kappa (l.map (· ^ 3)) = (kappa l).map (· ^ 3) :=
  kappa_map_pow_three l

/-- **Theorem 4.7, truncated form (`κ_d`)** of arXiv 2603.13085 over `Rat`. -/
theorem kappaTop_map_pow_three_rat (r : Nat) (l : List Rat) :
    kappaTop r (l.map (· ^ 3)) = (kappaTop r l).map (· ^ 3) :=
  kappaTop_map_pow_three r l

end Kappa

end LinAttn
