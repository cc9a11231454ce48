module

public import LinAttn.Algebra

/-!
# Theorem 4.1: the kernel of linearized attention is `G³`

For `X : n × d` with rows `x_i` and Gram matrix `G = X Xᵀ`, linearized attention maps
`X ↦ X Xᵀ X = G X`.  Theorem 4.1 of arXiv 2603.13085 states that its kernel is
`K_ij = ∑_k ∑_l (x_iᵀ x_k)(x_kᵀ x_l)(x_lᵀ x_j) = (G³)_ij = ((G X)(G X)ᵀ)_ij`.

Main statements (over any commutative semiring):

* `LinAttn.kernel_double_sum`: the double sum written with inner products is
  `doubleSumKernel (gram X)`;
* `LinAttn.kernel_eq_gram_cube`: `doubleSumKernel G i j = (G · G · G) i j`;
* `LinAttn.feature_map_gram_eq_gram_cube`: `(G X)(G X)ᵀ = G · G · G`;
* `LinAttn.feature_map_covariance`: the features `C x_i` (rows of `X C`) give the same
  kernel, `(X C)(X C)ᵀ = G · G · G` with `C = Xᵀ X`.
-/

public section

namespace LinAttn

universe u

open Matrix

variable {R : Type u} [Lean.Grind.CommSemiring R] {n d : Nat}

/-- The Gram matrix is symmetric: `Gᵀ = G`. -/
theorem gram_transpose (X : Matrix n d R) : transpose (gram X) = gram X := by
  simp only [gram, transpose_mul, transpose_transpose]

/-- The covariance matrix is symmetric: `Cᵀ = C`. -/
theorem covariance_transpose (X : Matrix n d R) :
    transpose (covariance X) = covariance X := by
  simp only [covariance, transpose_mul, transpose_transpose]

/-- **Theorem 4.1 (kernel correspondence)** of arXiv 2603.13085, inner-product form: the
kernel written with `x_iᵀ x_k = ∑_a X i a · X k a` is the double-sum kernel of the Gram
matrix (by the definition `G_ik = x_iᵀ x_k`).
Mirrors `pyverify.kernel.kernel_double_sum`. -/
theorem kernel_double_sum (X : Matrix n d R) (i j : Fin n) :
    sumFin n (fun k => sumFin n (fun l =>
      sumFin d (fun a => X i a * X k a) * sumFin d (fun a => X k a * X l a) *
        sumFin d (fun a => X l a * X j a))) = doubleSumKernel (gram X) i j := rfl

/-- **Theorem 4.1 (kernel correspondence)** of arXiv 2603.13085, double-sum form:
`∑_k ∑_l G_ik G_kl G_lj = (G · G · G)_ij` for any square matrix over a commutative semiring.
Mirrors `pyverify.kernel.kernel_gram_cube`. -/
theorem doubleSumKernel_eq_cube (G : Matrix n n R) (i j : Fin n) :
    doubleSumKernel G i j = mul (mul G G) G i j := by
  simp only [doubleSumKernel, mul, sumFin_mul]
  rw [sumFin_comm]

/-- **Theorem 4.1 (kernel correspondence)** of arXiv 2603.13085: for `G = X Xᵀ`, the
linearized-attention kernel `K_ij = ∑_k ∑_l (x_iᵀx_k)(x_kᵀx_l)(x_lᵀx_j)` equals `(G³)_ij`.
Mirrors `pyverify.kernel.kernel_gram_cube` and `pyverify.kernel.check_kernel_correspondence`. -/
theorem kernel_eq_gram_cube (X : Matrix n d R) (i j : Fin n) :
    doubleSumKernel (gram X) i j = mul (mul (gram X) (gram X)) (gram X) i j :=
  doubleSumKernel_eq_cube (gram X) i j

/-- **Theorem 4.1 (kernel correspondence)** of arXiv 2603.13085, feature-map form: the
features `G X` of linearized attention have Gram matrix `(G X)(G X)ᵀ = G · G · G`.
Mirrors `pyverify.kernel.kernel_feature_map`. -/
theorem feature_map_gram_eq_gram_cube (X : Matrix n d R) :
    mul (mul (gram X) X) (transpose (mul (gram X) X)) =
      mul (mul (gram X) (gram X)) (gram X) := by
  rw [transpose_mul, gram_transpose, mul_assoc, ← mul_assoc X, ← mul_assoc (gram X)]
  rfl

/-- The feature map of linearized attention is `x ↦ C x` (`C = Xᵀ X`): its feature matrix
`X C` equals `G X`. -/
theorem mul_covariance_eq (X : Matrix n d R) : mul X (covariance X) = mul (gram X) X := by
  simp only [covariance, gram, mul_assoc]

/-- **Theorem 4.1 (kernel correspondence)** of arXiv 2603.13085 with features `C x_i`:
`(X C)(X C)ᵀ = G · G · G`. -/
theorem feature_map_covariance (X : Matrix n d R) :
    mul (mul X (covariance X)) (transpose (mul X (covariance X))) =
      mul (mul (gram X) (gram X)) (gram X) := by
  rw [mul_covariance_eq, feature_map_gram_eq_gram_cube]

end LinAttn
