module

public import LinAttn.Defs

/-!
# Finite sums over `Fin n`

Algebra of `LinAttn.sumFin` used by every proof of the library (arXiv 2603.13085):
linearity (`sumFin_add`, `sumFin_sub`), pulling out scalars (`mul_sumFin`, `sumFin_mul`),
swapping a double sum (`sumFin_comm`) and picking one term (`sumFin_ite_eq`,
`sumFin_ite_eq'`, argument order as Mathlib's `Finset.sum_ite_eq`).
-/

public section

namespace LinAttn

universe u

section Semiring

variable {R : Type u} [Lean.Grind.CommSemiring R]

/-- Termwise equal summands give equal sums. -/
theorem sumFin_congr {n : Nat} {f g : Fin n → R} (h : ∀ i, f i = g i) :
    sumFin n f = sumFin n g := by
  rw [funext h]

theorem sumFin_zero (f : Fin 0 → R) : sumFin 0 f = 0 := rfl

theorem sumFin_succ {n : Nat} (f : Fin (n + 1) → R) :
    sumFin (n + 1) f = f 0 + sumFin n (fun i => f i.succ) := rfl

/-- The sum of zeros is zero. -/
theorem sumFin_const_zero (n : Nat) : sumFin n (fun _ => (0 : R)) = 0 := by
  induction n with
  | zero => rfl
  | succ n ih => rw [sumFin_succ, ih]; grind

/-- Linearity: `∑ (f + g) = ∑ f + ∑ g`. -/
theorem sumFin_add {n : Nat} (f g : Fin n → R) :
    sumFin n (fun i => f i + g i) = sumFin n f + sumFin n g := by
  induction n with
  | zero => simp only [sumFin_zero]; grind
  | succ n ih => rw [sumFin_succ, sumFin_succ, sumFin_succ, ih]; grind

/-- Pulling a scalar out on the left: `c · ∑ f = ∑ c · f`. -/
theorem mul_sumFin {n : Nat} (c : R) (f : Fin n → R) :
    c * sumFin n f = sumFin n (fun i => c * f i) := by
  induction n with
  | zero => simp only [sumFin_zero]; grind
  | succ n ih => rw [sumFin_succ, sumFin_succ, ← ih]; grind

/-- Pulling a scalar out on the right: `(∑ f) · c = ∑ f · c`. -/
theorem sumFin_mul {n : Nat} (c : R) (f : Fin n → R) :
    sumFin n f * c = sumFin n (fun i => f i * c) := by
  induction n with
  | zero => simp only [sumFin_zero]; grind
  | succ n ih => rw [sumFin_succ, sumFin_succ, ← ih]; grind

/-- Swapping a double sum: `∑_i ∑_j f i j = ∑_j ∑_i f i j`. -/
theorem sumFin_comm {n m : Nat} (f : Fin n → Fin m → R) :
    sumFin n (fun i => sumFin m (fun j => f i j)) =
      sumFin m (fun j => sumFin n (fun i => f i j)) := by
  induction n with
  | zero => simp only [sumFin_zero]; rw [sumFin_const_zero]
  | succ n ih =>
    rw [sumFin_succ, ih, ← sumFin_add]
    rfl

/-- Picking one term, as Mathlib's `Finset.sum_ite_eq'`:
`∑_k (if k = j then f k else 0) = f j`. -/
theorem sumFin_ite_eq' {n : Nat} (j : Fin n) (f : Fin n → R) :
    sumFin n (fun k => if k = j then f k else 0) = f j := by
  induction n with
  | zero => exact j.elim0
  | succ n ih =>
    rw [sumFin_succ]
    cases j using Fin.cases with
    | zero =>
      have h : ∀ i : Fin n, (if i.succ = (0 : Fin (n + 1)) then f i.succ else 0) = 0 := by
        intro i; simp [Fin.succ_ne_zero]
      simp only [h, sumFin_const_zero, if_pos]; grind
    | succ j =>
      have h : ∀ i : Fin n, (if i.succ = j.succ then f i.succ else 0) =
          (if i = j then (fun k => f k.succ) i else 0) := by
        intro i; simp [Fin.succ_inj]
      simp only [h, ih]
      simp [(Fin.succ_ne_zero j).symm]
      grind

/-- Picking one term, as Mathlib's `Finset.sum_ite_eq` (the fixed index on the left):
`∑_k (if j = k then f k else 0) = f j`. -/
theorem sumFin_ite_eq {n : Nat} (j : Fin n) (f : Fin n → R) :
    sumFin n (fun k => if j = k then f k else 0) = f j := by
  have h : (fun k => if j = k then f k else 0) = (fun k => if k = j then f k else 0) := by
    funext k
    by_cases hk : k = j
    · simp [hk]
    · have hk' : ¬j = k := fun h => hk h.symm
      simp [hk, hk']
  rw [h, sumFin_ite_eq']

end Semiring

section Ring

variable {R : Type u} [Lean.Grind.CommRing R]

/-- Linearity: `∑ (f - g) = ∑ f - ∑ g`. -/
theorem sumFin_sub {n : Nat} (f g : Fin n → R) :
    sumFin n (fun i => f i - g i) = sumFin n f - sumFin n g := by
  induction n with
  | zero => simp only [sumFin_zero]; grind
  | succ n ih => rw [sumFin_succ, sumFin_succ, sumFin_succ, ih]; grind

end Ring

end LinAttn
