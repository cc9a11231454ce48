module

public import LinAttn.Sum

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

Also the matrix algebra used elsewhere: `Matrix.mul_assoc`, `Matrix.transpose_mul`,
`Matrix.mul_diag`, `Matrix.diag_mul`, `Matrix.one_mul`, `Matrix.mul_one`.
-/

public section

namespace LinAttn

universe u

namespace Matrix

variable {R : Type u} [Lean.Grind.CommSemiring R] {n m p q : Nat}

theorem mul_apply (A : Matrix n m R) (B : Matrix m p R) (i : Fin n) (j : Fin p) :
    mul A B i j = sumFin m (fun k => A i k * B k j) := rfl

/-- Associativity of the matrix product. -/
theorem mul_assoc (A : Matrix n m R) (B : Matrix m p R) (C : Matrix p q R) :
    mul (mul A B) C = mul A (mul B C) := by
  funext i j
  simp only [mul, sumFin_mul, mul_sumFin]
  rw [sumFin_comm]
  apply sumFin_congr; intro k
  apply sumFin_congr; intro l
  grind

omit [Lean.Grind.CommSemiring R] in
@[simp] theorem transpose_transpose (A : Matrix n m R) : transpose (transpose A) = A := rfl

/-- `(A B)ᵀ = Bᵀ Aᵀ`. -/
theorem transpose_mul (A : Matrix n m R) (B : Matrix m p R) :
    transpose (mul A B) = mul (transpose B) (transpose A) := by
  funext i j
  simp only [transpose, mul]
  apply sumFin_congr; intro k
  grind

/-- Right multiplication by a diagonal matrix scales the columns. -/
theorem mul_diag (A : Matrix n m R) (e : Fin m → R) (i : Fin n) (j : Fin m) :
    mul A (diag e) i j = A i j * e j := by
  simp only [mul, diag]
  rw [← sumFin_ite_eq j (fun k => A i k * e k)]
  apply sumFin_congr; intro k
  by_cases h : k = j <;> simp [h] <;> grind

/-- Left multiplication by a diagonal matrix scales the rows. -/
theorem diag_mul (e : Fin n → R) (A : Matrix n m R) (i : Fin n) (j : Fin m) :
    mul (diag e) A i j = e i * A i j := by
  simp only [mul, diag]
  rw [← sumFin_ite_eq' i (fun k => e k * A k j)]
  apply sumFin_congr; intro k
  by_cases h : i = k
  · subst h; simp
  · simp [h]; grind

@[simp] theorem one_mul (A : Matrix n m R) : mul (one n) A = A := by
  funext i j; simp only [one, diag_mul]; grind

@[simp] theorem mul_one (A : Matrix n m R) : mul A (one m) = A := by
  funext i j; simp only [one, mul_diag]; grind

/-- `diag(a) · diag(b) = diag(a b)`. -/
theorem diag_mul_diag (a b : Fin n → R) :
    mul (diag a) (diag b) = diag (fun i => a i * b i) := by
  funext i j
  rw [diag_mul]
  simp only [diag]
  by_cases h : i = j
  · subst h; simp
  · simp [h]; grind

end Matrix

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
