module

public import LinAttn.Kernel

/-!
# Spectral form of the kernel `G³`

If `G = Q · diag(λ) · Qᵀ` with orthonormal columns (`Qᵀ · Q = I`), then
`G · G · G = Q · diag(λ³) · Qᵀ`: the kernel of linearized attention (Theorem 4.1 of
arXiv 2603.13085) has the eigenvectors of `G` and the cubed eigenvalues.  This is the
spectral step behind Theorem 4.7 (`κ(G³) = κ(G)³`, see `LinAttn.Cond`).

Main statements (over any commutative semiring; `Q : n × r`, so thin decompositions are
covered):

* `LinAttn.conj_mul_conj`: `(Q D₁ Qᵀ)(Q D₂ Qᵀ) = Q (D₁ D₂) Qᵀ`;
* `LinAttn.spectral_cube`: `G · G · G = Q · diag(λ³) · Qᵀ`;
* `LinAttn.gram_cube_spectral`: the same for `G = X Xᵀ` (the kernel `K = G³`).
-/

public section

namespace LinAttn

universe u

open Matrix

variable {R : Type u} [Lean.Grind.CommSemiring R] {n r : Nat}

/-- Cancelling `Qᵀ Q = I` inside a product. -/
theorem transpose_mul_cancel {p : Nat} (Q : Matrix n r R)
    (hQ : mul (transpose Q) Q = one r) (A : Matrix r p R) :
    mul (transpose Q) (mul Q A) = A := by
  rw [← mul_assoc, hQ, one_mul]

/-- Products of matrices diagonalised by the same orthonormal `Q`:
`(Q D₁ Qᵀ)(Q D₂ Qᵀ) = Q (D₁ D₂) Qᵀ` (the step behind the spectral form of Theorem 4.1 /
Theorem 4.7 of arXiv 2603.13085). -/
theorem conj_mul_conj (Q : Matrix n r R) (hQ : mul (transpose Q) Q = one r)
    (D₁ D₂ : Matrix r r R) :
    mul (mul (mul Q D₁) (transpose Q)) (mul (mul Q D₂) (transpose Q)) =
      mul (mul Q (mul D₁ D₂)) (transpose Q) := by
  simp only [mul_assoc, transpose_mul_cancel Q hQ]

/-- **Spectral form of the kernel** (Theorem 4.1 with the eigendecomposition used in
Theorem 4.7 of arXiv 2603.13085): if `G = Q diag(λ) Qᵀ` and `Qᵀ Q = I`, then
`G · G · G = Q diag(λ³) Qᵀ`.  Mirrors `pyverify.spectrum.eigenvalues` and
`pyverify.spectrum.check_cond_cubed` (eigenvalues of `G³` are the cubes). -/
theorem spectral_cube (G : Matrix n n R) (Q : Matrix n r R) (ev : Fin r → R)
    (hQ : mul (transpose Q) Q = one r) (hG : G = mul (mul Q (diag ev)) (transpose Q)) :
    mul (mul G G) G = mul (mul Q (diag (fun i => ev i ^ 3))) (transpose Q) := by
  subst hG
  rw [conj_mul_conj Q hQ, conj_mul_conj Q hQ, diag_mul_diag, diag_mul_diag]
  congr
  funext i
  grind

/-- **Spectral form of the kernel `K = G³`** for a Gram matrix `G = X Xᵀ = Q diag(λ) Qᵀ`
(Theorem 4.1 and the spectral step of Theorem 4.7 of arXiv 2603.13085):
`K = Q diag(λ³) Qᵀ`. -/
theorem gram_cube_spectral {d : Nat} (X : Matrix n d R) (Q : Matrix n r R) (ev : Fin r → R)
    (hQ : mul (transpose Q) Q = one r) (hG : gram X = mul (mul Q (diag ev)) (transpose Q)) :
    mul (mul (gram X) (gram X)) (gram X) =
      mul (mul Q (diag (fun i => ev i ^ 3))) (transpose Q) :=
  spectral_cube (gram X) Q ev hQ hG

end LinAttn
