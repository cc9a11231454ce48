module

public import LinAttn.Kernel

/-!
# Spectral form of the kernel `G³` and the eigenvalues of `G³`

If `G = Q · diagonal λ · Qᵀ` with orthonormal columns (`Qᵀ · Q = I`), then
`G · G · G = Q · diagonal λ³ · Qᵀ`: the kernel of linearized attention (Theorem 4.1 of
arXiv 2603.13085) has the eigenvectors of `G` and the cubed eigenvalues.  With a square
orthogonal `Q` (`Qᵀ Q = Q Qᵀ = I`, `IsOrthDecomp`) the eigenvalues of a matrix are exactly
the diagonal `λ`; this is the spectral step of Theorem 4.7 (`κ(G³) = κ(G)³`, `LinAttn.Cond`).

Main statements:

* `conj_mul_conj`: `(Q D₁ Qᵀ)(Q D₂ Qᵀ) = Q (D₁ D₂) Qᵀ` when `Qᵀ Q = I`;
* `cube_eq_conj_diagonal_pow_three`, `gram_cube_eq_conj_diagonal_pow_three`:
  `G · G · G = Q · diagonal λ³ · Qᵀ` (any `Q : n × r` with `Qᵀ Q = I`, thin allowed);
* `isOrthDecomp_cube`: a square orthogonal decomposition of `A` gives one of `A · A · A`
  with the cubed diagonal (item (b) of Theorem 4.7 at matrix level);
* `mulVec_col_eq`, `hasEigenvalue_of_isOrthDecomp`: `A q_i = λ_i q_i`, `q_i ≠ 0`;
* `exists_eq_of_hasEigenvalue`, `hasEigenvalue_iff`: every eigenvalue of `A` is some `λ_i`;
* `hasEigenvalue_cube_iff`, `mulVec_cube_col`: the eigenvalues of `A · A · A` are exactly the
  `λ_i³`, with eigenvectors `q_i` (item (c)).

The algebra is over a commutative semiring; the eigenvalue statements over a field (core's
`Lean.Grind.Field`), where `0 ≠ 1` and cancellation hold.
-/

public section

namespace LinAttn

universe u

open Matrix

section Semiring

variable {R : Type u} [Lean.Grind.CommSemiring R] {n r : Nat}

/-- `G = Q · diagonal λ · Qᵀ` with a square orthogonal `Q` (`Qᵀ Q = Q Qᵀ = I`): the columns
`q_i` of `Q` are an orthonormal eigenbasis and `λ` the eigenvalues, with multiplicity. -/
structure IsOrthDecomp (A Q : Matrix n n R) (ev : Fin n → R) : Prop where
  /-- Orthonormal columns: `Qᵀ Q = I`. -/
  transpose_mul_self : mul (transpose Q) Q = one n
  /-- `Q` is square and invertible: `Q Qᵀ = I`. -/
  mul_transpose_self : mul Q (transpose Q) = one n
  /-- The decomposition: `A = Q · diagonal λ · Qᵀ`. -/
  eq_conj : A = mul (mul Q (diagonal ev)) (transpose Q)

/-- `μ` is an eigenvalue of `A`: `A v = μ v` for some `v ≠ 0`. -/
@[expose] def HasEigenvalue (A : Matrix n n R) (μ : R) : Prop :=
  ∃ v : Fin n → R, v ≠ (fun _ => 0) ∧ mulVec A v = fun i => μ * v i

/-- Cancelling `Qᵀ Q = I` inside a product. -/
theorem transpose_mul_cancel {p : Nat} {Q : Matrix n r R}
    (hQ : mul (transpose Q) Q = one r) (A : Matrix r p R) :
    mul (transpose Q) (mul Q A) = A := by
  rw [← mul_assoc, hQ, one_mul]

/-- Products of matrices diagonalised by the same orthonormal `Q`:
`(Q D₁ Qᵀ)(Q D₂ Qᵀ) = Q (D₁ D₂) Qᵀ` (the step behind the spectral form of Theorem 4.1 /
Theorem 4.7 of arXiv 2603.13085).  Only `Qᵀ Q = I` is used. -/
theorem conj_mul_conj (Q : Matrix n r R) (hQ : mul (transpose Q) Q = one r)
    (D₁ D₂ : Matrix r r R) :
    mul (mul (mul Q D₁) (transpose Q)) (mul (mul Q D₂) (transpose Q)) =
      mul (mul Q (mul D₁ D₂)) (transpose Q) := by
  simp only [mul_assoc, transpose_mul_cancel hQ]

/-- **Spectral form of the kernel** (Theorem 4.1 with the eigendecomposition used in
Theorem 4.7 of arXiv 2603.13085): if `G = Q · diagonal λ · Qᵀ` and `Qᵀ Q = I`, then
`G · G · G = Q · diagonal λ³ · Qᵀ`.  `Q : n × r` may be thin (`r < n`, zero eigenvalues
left out); only `Qᵀ Q = I` is used.  Mirrors `pyverify.spectrum.eigenvalues` and
`pyverify.spectrum.check_cond_cubed` (eigenvalues of `G³` are the cubes). -/
theorem cube_eq_conj_diagonal_pow_three (G : Matrix n n R) (Q : Matrix n r R)
    (ev : Fin r → R) (hQ : mul (transpose Q) Q = one r)
    (hG : G = mul (mul Q (diagonal ev)) (transpose Q)) :
    mul (mul G G) G = mul (mul Q (diagonal (fun i => ev i ^ 3))) (transpose Q) := by
  subst hG
  rw [conj_mul_conj Q hQ, conj_mul_conj Q hQ, diagonal_mul_diagonal, diagonal_mul_diagonal]
  congr
  funext i
  grind

/-- **Spectral form of the kernel `K = G³`** for a Gram matrix `G = X Xᵀ = Q diagonal(λ) Qᵀ`
(Theorem 4.1 and the spectral step of Theorem 4.7 of arXiv 2603.13085):
`K = Q · diagonal λ³ · Qᵀ`.  Only `Qᵀ Q = I` is used (thin `Q` allowed). -/
theorem gram_cube_eq_conj_diagonal_pow_three {d : Nat} (X : Matrix n d R) (Q : Matrix n r R)
    (ev : Fin r → R) (hQ : mul (transpose Q) Q = one r)
    (hG : gram X = mul (mul Q (diagonal ev)) (transpose Q)) :
    mul (mul (gram X) (gram X)) (gram X) =
      mul (mul Q (diagonal (fun i => ev i ^ 3))) (transpose Q) :=
  cube_eq_conj_diagonal_pow_three (gram X) Q ev hQ hG

/-- **Theorem 4.7 at matrix level, item (b)** (arXiv 2603.13085): a square orthogonal
decomposition `A = Q · diagonal λ · Qᵀ` gives the square orthogonal decomposition
`A · A · A = Q · diagonal λ³ · Qᵀ`, with the same `Q`. -/
theorem isOrthDecomp_cube {A Q : Matrix n n R} {ev : Fin n → R} (h : IsOrthDecomp A Q ev) :
    IsOrthDecomp (mul (mul A A) A) Q (fun i => ev i ^ 3) :=
  ⟨h.transpose_mul_self, h.mul_transpose_self,
    cube_eq_conj_diagonal_pow_three A Q ev h.transpose_mul_self h.eq_conj⟩

/-- The columns of `Q` are eigenvectors: `A q_i = λ_i q_i` when `A = Q · diagonal λ · Qᵀ`
and `Qᵀ Q = I` (`Q Qᵀ = I` is not needed). -/
theorem mulVec_col_eq {A : Matrix n n R} {Q : Matrix n r R} {ev : Fin r → R}
    (hQ : mul (transpose Q) Q = one r) (hA : A = mul (mul Q (diagonal ev)) (transpose Q))
    (i : Fin r) : mulVec A (col Q i) = fun k => ev i * col Q i k := by
  rw [mulVec_col, hA, mul_assoc, mul_assoc, hQ, mul_one, col_mul_diagonal]

end Semiring

section Field

variable {F : Type u} [Lean.Grind.Field F] {n : Nat}

/-- A column of a matrix with `Qᵀ Q = I` is nonzero (`q_iᵀ q_i = 1 ≠ 0`). -/
theorem col_ne_zero {r : Nat} {Q : Matrix n r F} (hQ : mul (transpose Q) Q = one r)
    (i : Fin r) : col Q i ≠ fun _ => 0 := by
  intro h
  have h1 : dot (col Q i) (col Q i) = 1 := by
    rw [dot_col_col, hQ]; simp [one, diagonal]
  rw [h] at h1
  have h0 : dot (fun _ : Fin n => (0 : F)) (fun _ => 0) = 0 := by
    unfold dot
    have e : (fun _ : Fin n => (0 : F) * 0) = fun _ => 0 := by funext; grind
    rw [e, sumFin_const_zero]
  rw [h0] at h1
  exact Lean.Grind.Field.zero_ne_one h1

/-- Each diagonal entry `λ_i` of `A = Q · diagonal λ · Qᵀ` (with `Qᵀ Q = I`) is an
eigenvalue of `A`, with eigenvector `q_i`. -/
theorem hasEigenvalue_of_isOrthDecomp {r : Nat} {A : Matrix n n F} {Q : Matrix n r F}
    {ev : Fin r → F} (hQ : mul (transpose Q) Q = one r)
    (hA : A = mul (mul Q (diagonal ev)) (transpose Q)) (i : Fin r) :
    HasEigenvalue A (ev i) :=
  ⟨col Q i, col_ne_zero hQ i, mulVec_col_eq hQ hA i⟩

/-- Every eigenvalue of `A = Q · diagonal λ · Qᵀ` (square orthogonal `Q`) is some `λ_i`:
with `w = Qᵀ v ≠ 0`, `A v = μ v` gives `λ_i w_i = μ w_i` for every `i`. -/
theorem exists_eq_of_hasEigenvalue {A Q : Matrix n n F} {ev : Fin n → F}
    (h : IsOrthDecomp A Q ev) {μ : F} (hμ : HasEigenvalue A μ) : ∃ i, μ = ev i := by
  obtain ⟨v, hv0, hv⟩ := hμ
  have hQA : mul (transpose Q) A = mul (diagonal ev) (transpose Q) := by
    rw [h.eq_conj, ← mul_assoc, ← mul_assoc, h.transpose_mul_self, one_mul]
  have key : ∀ i, ev i * mulVec (transpose Q) v i = μ * mulVec (transpose Q) v i := by
    intro i
    have e1 : mulVec (mul (transpose Q) A) v = fun i => μ * mulVec (transpose Q) v i := by
      rw [mulVec_mul, hv, mulVec_smul]
    rw [hQA, mulVec_mul, mulVec_diagonal] at e1
    exact congrFun e1 i
  have hw : mulVec (transpose Q) v ≠ fun _ => 0 := by
    intro hw
    apply hv0
    have : mulVec (mul Q (transpose Q)) v = v := by rw [h.mul_transpose_self, mulVec_one]
    rw [← this, mulVec_mul, hw, mulVec_zero]
  have hex : ∃ i, mulVec (transpose Q) v i ≠ 0 := by
    apply Classical.byContradiction
    intro hne
    apply hw
    funext i
    exact Classical.byContradiction (fun hi => hne ⟨i, hi⟩)
  obtain ⟨i, hi⟩ := hex
  refine ⟨i, ?_⟩
  have hinv := Lean.Grind.Field.mul_inv_cancel hi
  have k := key i
  have k' : ev i * mulVec (transpose Q) v i * (mulVec (transpose Q) v i)⁻¹ =
      μ * mulVec (transpose Q) v i * (mulVec (transpose Q) v i)⁻¹ := by rw [k]
  rw [Lean.Grind.Semiring.mul_assoc, Lean.Grind.Semiring.mul_assoc, hinv] at k'
  grind

/-- The eigenvalues of `A = Q · diagonal λ · Qᵀ` (square orthogonal `Q`) are exactly the
`λ_i` (the spectral step of Theorem 4.7 of arXiv 2603.13085: the spectrum given by a
decomposition is the matrix's spectrum). -/
theorem hasEigenvalue_iff {A Q : Matrix n n F} {ev : Fin n → F} (h : IsOrthDecomp A Q ev)
    (μ : F) : HasEigenvalue A μ ↔ ∃ i, μ = ev i := by
  constructor
  · exact exists_eq_of_hasEigenvalue h
  · rintro ⟨i, rfl⟩
    exact hasEigenvalue_of_isOrthDecomp h.transpose_mul_self h.eq_conj i

/-- **Theorem 4.7 at matrix level, item (c)** (arXiv 2603.13085): for
`A = Q · diagonal λ · Qᵀ` with square orthogonal `Q`, the eigenvalues of `A · A · A` are
exactly the cubes `λ_i³`: every `A³ v = μ v` with `v ≠ 0` has `μ = λ_i³` for some `i`, and
each `λ_i³` is an eigenvalue (eigenvector `q_i`, see `mulVec_cube_col`). -/
theorem hasEigenvalue_cube_iff {A Q : Matrix n n F} {ev : Fin n → F}
    (h : IsOrthDecomp A Q ev) (μ : F) :
    HasEigenvalue (mul (mul A A) A) μ ↔ ∃ i, μ = ev i ^ 3 :=
  hasEigenvalue_iff (isOrthDecomp_cube h) μ

/-- The eigenvectors of `A · A · A` (item (c) of Theorem 4.7 at matrix level, arXiv
2603.13085): `A³ q_i = λ_i³ q_i` with `q_i ≠ 0`, for `A = Q · diagonal λ · Qᵀ` and
`Qᵀ Q = I` (`Q Qᵀ = I` is not needed). -/
theorem mulVec_cube_col {r : Nat} {A : Matrix n n F} {Q : Matrix n r F} {ev : Fin r → F}
    (hQ : mul (transpose Q) Q = one r) (hA : A = mul (mul Q (diagonal ev)) (transpose Q))
    (i : Fin r) :
    mulVec (mul (mul A A) A) (col Q i) = (fun k => ev i ^ 3 * col Q i k) ∧
      col Q i ≠ fun _ => 0 :=
  ⟨mulVec_col_eq hQ (cube_eq_conj_diagonal_pow_three A Q ev hQ hA) i, col_ne_zero hQ i⟩

/-- The list `List.ofFn λ` of a square orthogonal decomposition is the spectrum of `A`: its
entries are exactly the eigenvalues. -/
theorem mem_ofFn_iff_hasEigenvalue {A Q : Matrix n n F} {ev : Fin n → F}
    (h : IsOrthDecomp A Q ev) (μ : F) : μ ∈ List.ofFn ev ↔ HasEigenvalue A μ := by
  rw [List.mem_ofFn, hasEigenvalue_iff h]
  constructor
  · rintro ⟨i, rfl⟩; exact ⟨i, rfl⟩
  · rintro ⟨i, rfl⟩; exact ⟨i, rfl⟩

end Field

end LinAttn
