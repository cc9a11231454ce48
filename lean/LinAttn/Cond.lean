module

public import LinAttn.Kappa
public import LinAttn.Spectral
public import LinAttn.PSD

/-!
# Theorem 4.7 at matrix level: `κ(G³) = κ(G)³`

Theorem 4.7 of arXiv 2603.13085 states that the kernel `K = G³` of linearized attention has
condition number `κ(K) = κ(G)³`, and the same for `κ_d`, the ratio over the top
`r = min(n, d)` eigenvalues.  Here κ is computed on the spectrum of the matrix as given by a
square orthogonal decomposition `A = Q · diagonal λ · Qᵀ` (`IsOrthDecomp`, `Qᵀ Q = Q Qᵀ = I`):
`kappa (List.ofFn λ)`.

Main statements (linearly ordered field, core `Lean.Grind` classes):

* `gram_eigenvalue_eq_sum_sq`, `gram_eigenvalue_nonneg` (item (a)): for `G = X Xᵀ`,
  `λ_i = ‖Xᵀ q_i‖² ≥ 0`, derived, not assumed;
* `kappa_ofFn_congr`: κ does not depend on the decomposition chosen (it is a function of the
  matrix: its entries are the eigenvalues, `mem_ofFn_iff_hasEigenvalue`);
* `kappa_cube_eq_pow_three`, `kappa_gram_cube_eq_pow_three` (item (d), the manifest's
  Theorem 4.7): for any decompositions of `G` and of `G³`, `κ(G³) = κ(G)³`;
* `kappa_gram_eq_none_iff`: for `G = X Xᵀ`, `κ(G)` is `none` (infinite) exactly when some
  eigenvalue is `0` (never because of a negative one);
* `kappaTop_gram_cube_eq_pow_three`: `κ_r(G³) = κ_r(G)³` on the cubed decomposition of
  `G³` (item (b)), zeros of the spectrum included.
-/

public section

namespace LinAttn

universe u

open Lean.Grind Matrix

/-- `(List.ofFn g).map f = List.ofFn (f ∘ g)`. -/
theorem map_ofFn {α β : Type u} {n : Nat} (f : α → β) (g : Fin n → α) :
    (List.ofFn g).map f = List.ofFn (fun i => f (g i)) := by
  induction n with
  | zero => rfl
  | succ n ih => rw [List.ofFn_succ, List.ofFn_succ, List.map_cons, ih]

section Semiring

variable {R : Type u} [CommSemiring R] {n d : Nat}

/-- **Theorem 4.7 at matrix level, item (a)**, identity (arXiv 2603.13085): for
`G = X Xᵀ = Q · diagonal λ · Qᵀ` with `Qᵀ Q = I`, the eigenvalue is the squared norm
`λ_i = ‖Xᵀ q_i‖² = ∑_a (Xᵀ q_i)_a²` (`λ_i = q_iᵀ G q_i`).  `Q Qᵀ = I` is not needed. -/
theorem gram_eigenvalue_eq_sum_sq (X : Matrix n d R) {Q : Matrix n n R} {ev : Fin n → R}
    (hQ : mul (transpose Q) Q = one n) (hG : gram X = mul (mul Q (diagonal ev)) (transpose Q))
    (i : Fin n) : ev i = sumFin d (fun a => mulVec (transpose X) (col Q i) a ^ 2) := by
  have h1 : dot (col Q i) (col Q i) = 1 := by
    rw [dot_col_col, hQ]; simp [one, diagonal]
  have h2 : mulVec (gram X) (col Q i) = fun k => ev i * col Q i k := mulVec_col_eq hQ hG i
  calc ev i = ev i * dot (col Q i) (col Q i) := by rw [h1]; grind
    _ = dot (col Q i) (fun k => ev i * col Q i k) := by rw [dot_smul_right]
    _ = dot (col Q i) (mulVec (gram X) (col Q i)) := by rw [h2]
    _ = sumFin d (fun a => mulVec (transpose X) (col Q i) a ^ 2) := dot_gram_eq_sum_sq X _

end Semiring

section Field

variable {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
  [OrderedRing F] {n d : Nat}

/-- **Theorem 4.7 at matrix level, item (a)** (arXiv 2603.13085): the eigenvalues of
`G = X Xᵀ = Q · diagonal λ · Qᵀ` (`Qᵀ Q = I`) are nonnegative, `λ_i = ‖Xᵀ q_i‖² ≥ 0`. -/
theorem gram_eigenvalue_nonneg (X : Matrix n d F) {Q : Matrix n n F} {ev : Fin n → F}
    (hQ : mul (transpose Q) Q = one n) (hG : gram X = mul (mul Q (diagonal ev)) (transpose Q))
    (i : Fin n) : 0 ≤ ev i := by
  rw [gram_eigenvalue_eq_sum_sq X hQ hG i]; exact sumFin_sq_nonneg _

/-- κ is a function of the matrix (Theorem 4.7 of arXiv 2603.13085): two square orthogonal
decompositions of the same `A` have the same eigenvalue set, hence the same `κ`. -/
theorem kappa_ofFn_congr {A Q Q' : Matrix n n F} {ev ev' : Fin n → F} (h : IsOrthDecomp A Q ev)
    (h' : IsOrthDecomp A Q' ev') : kappa (List.ofFn ev') = kappa (List.ofFn ev) :=
  kappa_congr (fun μ => by rw [mem_ofFn_iff_hasEigenvalue h', mem_ofFn_iff_hasEigenvalue h])

/-- **Theorem 4.7 at matrix level, item (d)**, for any orthogonally diagonalised matrix
(arXiv 2603.13085): if `A = Q · diagonal λ · Qᵀ` and `A · A · A = Q' · diagonal μ · Q'ᵀ`
(square orthogonal `Q`, `Q'`, any decompositions), then `κ(μ) = κ(λ)³`.  The spectrum of
`A³` is exactly the set of cubes `λ_i³` (`hasEigenvalue_cube_iff`), and κ depends only on
that set. -/
theorem kappa_cube_eq_pow_three {A Q Q' : Matrix n n F} {ev ev' : Fin n → F}
    (hA : IsOrthDecomp A Q ev) (hK : IsOrthDecomp (mul (mul A A) A) Q' ev') :
    kappa (List.ofFn ev') = (kappa (List.ofFn ev)).map (· ^ 3) := by
  rw [← kappa_map_pow_three]
  apply kappa_congr
  intro μ
  rw [mem_ofFn_iff_hasEigenvalue hK, hasEigenvalue_cube_iff hA, List.mem_map]
  constructor
  · rintro ⟨i, rfl⟩; exact ⟨ev i, List.mem_ofFn.2 ⟨i, rfl⟩, rfl⟩
  · rintro ⟨x, hx, rfl⟩
    obtain ⟨i, rfl⟩ := List.mem_ofFn.1 hx
    exact ⟨i, rfl⟩

/-- **Theorem 4.7 (condition-number amplification) at matrix level** of arXiv 2603.13085:
for `G = X Xᵀ` with a square orthogonal decomposition `G = Q · diagonal λ · Qᵀ` and any
square orthogonal decomposition `G³ = G · G · G = Q' · diagonal μ · Q'ᵀ`,
`κ(G³) = κ(G)³`, where `κ` of a matrix is `kappa` of its eigenvalues (`some (λ_max / λ_min)`
when `λ_min > 0`, `none` otherwise).  The Gram structure is not used by this identity (see
`kappa_cube_eq_pow_three`); it makes the eigenvalues `≥ 0` (`gram_eigenvalue_nonneg`), so
`none` means a singular `G` (κ = ∞, `kappa_gram_eq_none_iff`).  Mirrors
`pyverify.spectrum.check_cond_cubed`. -/
theorem kappa_gram_cube_eq_pow_three (X : Matrix n d F) {Q Q' : Matrix n n F}
    {ev ev' : Fin n → F} (hG : IsOrthDecomp (gram X) Q ev)
    (hK : IsOrthDecomp (mul (mul (gram X) (gram X)) (gram X)) Q' ev') :
    kappa (List.ofFn ev') = (kappa (List.ofFn ev)).map (· ^ 3) :=
  kappa_cube_eq_pow_three hG hK

/-- Theorem 4.7 of arXiv 2603.13085, what `none` means: for
`G = X Xᵀ = Q · diagonal λ · Qᵀ` (`Qᵀ Q = I`, `n ≥ 1`), `κ(G)` is `none` exactly when
`G` has a zero eigenvalue (is singular): the eigenvalues are `≥ 0`, so no negative one can
make it undefined. -/
theorem kappa_gram_eq_none_iff (X : Matrix n d F) {Q : Matrix n n F} {ev : Fin n → F}
    (hn : 0 < n) (hQ : mul (transpose Q) Q = one n)
    (hG : gram X = mul (mul Q (diagonal ev)) (transpose Q)) :
    kappa (List.ofFn ev) = none ↔ ∃ i, ev i = 0 := by
  have hne : List.ofFn ev ≠ [] := by
    intro h
    have : ev ⟨0, hn⟩ ∈ List.ofFn ev := List.mem_ofFn.2 ⟨⟨0, hn⟩, rfl⟩
    rw [h] at this
    simp at this
  rw [kappa_eq_none_iff_exists hne]
  constructor
  · rintro ⟨x, hx, hle⟩
    obtain ⟨i, rfl⟩ := List.mem_ofFn.1 hx
    have := gram_eigenvalue_nonneg X hQ hG i
    exact ⟨i, by grind⟩
  · rintro ⟨i, hi⟩
    exact ⟨ev i, List.mem_ofFn.2 ⟨i, rfl⟩, by grind⟩

/-- **Theorem 4.7, truncated form (`κ_d`), at matrix level** (arXiv 2603.13085): for
`G = X Xᵀ = Q · diagonal λ · Qᵀ` (`Qᵀ Q = I`), the kernel has the decomposition
`G³ = Q · diagonal λ³ · Qᵀ` and, on it, `κ_r(G³) = κ_r(G)³` for every `r`, zeros of the
spectrum (`n > d`) included.  Only `Qᵀ Q = I` is used.  That `κ_r` of `G³` does not depend on
which decomposition of `G³` is chosen is not proved here (it needs multiplicities of
eigenvalues, not only the eigenvalue set used by `kappa_ofFn_congr`). -/
theorem kappaTop_gram_cube_eq_pow_three (X : Matrix n d F) {Q : Matrix n n F}
    {ev : Fin n → F} (hQ : mul (transpose Q) Q = one n)
    (hG : gram X = mul (mul Q (diagonal ev)) (transpose Q)) (r : Nat) :
    mul (mul (gram X) (gram X)) (gram X) =
        mul (mul Q (diagonal (fun i => ev i ^ 3))) (transpose Q) ∧
      kappaTop r (List.ofFn (fun i => ev i ^ 3)) = (kappaTop r (List.ofFn ev)).map (· ^ 3) := by
  refine ⟨gram_cube_eq_conj_diagonal_pow_three X Q ev hQ hG, ?_⟩
  rw [← map_ofFn (· ^ 3) ev, kappaTop_map_pow_three]

end Field

end LinAttn
