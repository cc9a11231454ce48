module

public import LinAttn.Cond

/-!
# Width-bound algebra

The width needed to enter the kernel regime grows like `m ≳ κ(K)² · n · log n` for the
kernel `K = G³`.  With Theorem 4.7 (`κ(K) = κ(G)³`) this is `κ(G)⁶ · n · log n`
(arXiv 2603.13085, width bound following Theorem 4.7).  The factor `log n` is kept
abstract (`L ≥ 0`, or a function `lg` that turns products into sums): no real analysis is
postulated.

Main statements (linearly ordered field, core `Lean.Grind` classes):

* `LinAttn.kappa_map_pow_three_sq`: `κ(λ³)² = κ(λ)⁶`;
* `LinAttn.widthBound_kappa_map_pow_three`, `LinAttn.widthBound_kappaTop_map_pow_three`,
  `LinAttn.widthBound_gram_cube`: the bound `κ(K)² · n · L` equals `κ(G)⁶ · n · L` (list
  level, `κ_d`, and matrix level);
* `LinAttn.widthBound_mono`: `κ(K)² · n · L` with `κ(K) = κ(G)³` is monotone in `κ(G) ≥ 0`
  when `n, L ≥ 0`;
* `LinAttn.lg_widthBound`: for any `lg` with `lg (x y) = lg x + lg y` on positives,
  `lg (κ⁶ n L) = 6 lg κ + lg n + lg L` (the `log10` form used by the Python side).
-/

public section

namespace LinAttn

universe u

open Lean.Grind

variable {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
  [OrderedRing F]

/-- The width bound `m = κ² · n · L` for a kernel of condition number `κ` (`L` stands for
`log n`). -/
@[expose] def widthBound (κ n L : F) : F := κ ^ 2 * n * L

/-- **Width bound (after Theorem 4.7)** of arXiv 2603.13085: the squared condition number of
the kernel `K = G³` is `κ(G)⁶`, `κ(λ³)² = κ(λ)⁶` (as options; no hypothesis needed).
Mirrors `pyverify.width.log10_width_threshold`. -/
theorem kappa_map_pow_three_sq (l : List F) :
    (kappa (l.map (· ^ 3))).map (· ^ 2) = (kappa l).map (· ^ 6) := by
  rw [kappa_map_pow_three]
  cases kappa l with
  | none => rfl
  | some κ => simp only [Option.map_some]; congr 1; grind

/-- **Width bound (after Theorem 4.7)** of arXiv 2603.13085: `κ(K)² · n · L = κ(G)⁶ · n · L`
for the eigenvalues `λ³` of `K = G³` (as options: both `none` when `κ(G)` is infinite).
Mirrors `pyverify.width.log10_width_threshold`. -/
theorem widthBound_kappa_map_pow_three (l : List F) (n L : F) :
    (kappa (l.map (· ^ 3))).map (fun κ => widthBound κ n L) =
      (kappa l).map (fun κ => κ ^ 6 * n * L) := by
  rw [kappa_map_pow_three]
  cases kappa l with
  | none => rfl
  | some κ => simp only [Option.map_some, widthBound]; congr 1; grind

/-- **Width bound (after Theorem 4.7)** of arXiv 2603.13085 for the truncated condition
number `κ_d` (top `r = min(n, d)` eigenvalues): `κ_d(K)² · n · L = κ_d(G)⁶ · n · L`, zeros of
the spectrum included. -/
theorem widthBound_kappaTop_map_pow_three (r : Nat) (l : List F) (n L : F) :
    (kappaTop r (l.map (· ^ 3))).map (fun κ => widthBound κ n L) =
      (kappaTop r l).map (fun κ => κ ^ 6 * n * L) := by
  rw [kappaTop_map_pow_three]
  cases kappaTop r l with
  | none => rfl
  | some κ => simp only [Option.map_some, widthBound]; congr 1; grind

/-- **Width bound (after Theorem 4.7) at matrix level** of arXiv 2603.13085: for
`G = X Xᵀ` and any square orthogonal decompositions of `G` (eigenvalues `λ`) and of `G³`
(eigenvalues `μ`), the width bound of the kernel is `κ(G³)² · n · L = κ(G)⁶ · n · L`. -/
theorem widthBound_gram_cube {N d : Nat} (X : Matrix N d F) {Q Q' : Matrix N N F}
    {ev ev' : Fin N → F} (hG : IsOrthDecomp (gram X) Q ev)
    (hK : IsOrthDecomp (Matrix.mul (Matrix.mul (gram X) (gram X)) (gram X)) Q' ev') (n L : F) :
    (kappa (List.ofFn ev')).map (fun κ => widthBound κ n L) =
      (kappa (List.ofFn ev)).map (fun κ => κ ^ 6 * n * L) := by
  rw [kappa_cube_eq_pow_three hG hK]
  cases kappa (List.ofFn ev) with
  | none => rfl
  | some κ => simp only [Option.map_some, widthBound]; congr 1; grind

theorem pow_nonneg' {a : F} (ha : 0 ≤ a) (k : Nat) : 0 ≤ a ^ k := by
  induction k with
  | zero => rw [Semiring.pow_zero]; exact OrderedRing.zero_le_one
  | succ k ih => rw [Semiring.pow_succ]; exact OrderedRing.mul_nonneg ih ha

/-- `x ↦ x^k` is monotone on nonnegatives. -/
theorem pow_le_pow_left' {a b : F} (ha : 0 ≤ a) (hab : a ≤ b) (k : Nat) : a ^ k ≤ b ^ k := by
  induction k with
  | zero => grind
  | succ k ih =>
    rw [Semiring.pow_succ, Semiring.pow_succ]
    have hb : 0 ≤ b := by grind
    have h1 : a ^ k * a ≤ b ^ k * a := OrderedRing.mul_le_mul_of_nonneg_right ih ha
    have h2 : b ^ k * a ≤ b ^ k * b :=
      OrderedRing.mul_le_mul_of_nonneg_left hab (pow_nonneg' hb k)
    grind

/-- **Width bound monotonicity** (arXiv 2603.13085, width bound after Theorem 4.7): the
threshold `κ(K)² · n · L` with `κ(K) = κ(G)³` is monotone in `κ(G) ≥ 0`, for `n ≥ 0` and
`L ≥ 0` (`L = log n`).  Mirrors `pyverify.width.log10_width_threshold`. -/
theorem widthBound_mono {κ₁ κ₂ n L : F} (h0 : 0 ≤ κ₁) (h : κ₁ ≤ κ₂) (hn : 0 ≤ n)
    (hL : 0 ≤ L) : widthBound (κ₁ ^ 3) n L ≤ widthBound (κ₂ ^ 3) n L := by
  have e : ∀ κ : F, widthBound (κ ^ 3) n L = κ ^ 6 * n * L := by
    intro κ; unfold widthBound; grind
  rw [e, e]
  exact OrderedRing.mul_le_mul_of_nonneg_right
    (OrderedRing.mul_le_mul_of_nonneg_right (pow_le_pow_left' h0 h 6) hn) hL

omit [Std.LawfulOrderLT F] in
/-- The `log` form of the width bound after Theorem 4.7 of arXiv 2603.13085 (what
`pyverify.width.log10_width_threshold` computes): for any `lg` turning products of
positives into sums,
`lg (κ⁶ · n · L) = 6 · lg κ + lg n + lg L`. -/
theorem lg_widthBound (lg : F → F) (hlg : ∀ x y : F, 0 < x → 0 < y → lg (x * y) = lg x + lg y)
    {κ n L : F} (hκ : 0 < κ) (hn : 0 < n) (hL : 0 < L) :
    lg (κ ^ 6 * n * L) = 6 * lg κ + lg n + lg L := by
  have p2 : 0 < κ * κ := OrderedRing.mul_pos hκ hκ
  have p3 : 0 < κ * κ * κ := OrderedRing.mul_pos p2 hκ
  have p4 : 0 < κ * κ * κ * κ := OrderedRing.mul_pos p3 hκ
  have p5 : 0 < κ * κ * κ * κ * κ := OrderedRing.mul_pos p4 hκ
  have p6 : 0 < κ * κ * κ * κ * κ * κ := OrderedRing.mul_pos p5 hκ
  have pn : 0 < κ * κ * κ * κ * κ * κ * n := OrderedRing.mul_pos p6 hn
  have e : κ ^ 6 * n * L = κ * κ * κ * κ * κ * κ * n * L := by grind
  rw [e, hlg _ _ pn hL, hlg _ _ p6 hn, hlg _ _ p5 hκ, hlg _ _ p4 hκ, hlg _ _ p3 hκ,
    hlg _ _ p2 hκ, hlg _ _ hκ hκ]
  grind

end LinAttn
