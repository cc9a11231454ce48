module

public import LinAttn.Sum

/-!
# Matrix algebra

The matrix and vector algebra behind every proof of the library (arXiv 2603.13085), over a
commutative semiring unless stated:

* products: `Matrix.mul_assoc`, `Matrix.transpose_mul`, `Matrix.one_mul`, `Matrix.mul_one`;
* diagonal matrices: `Matrix.mul_diagonal`, `Matrix.diagonal_mul`,
  `Matrix.diagonal_mul_diagonal`;
* matrix-vector products: `Matrix.mulVec_mul` (`(A B) v = A (B v)`), `Matrix.mulVec_one`,
  `Matrix.mulVec_diagonal`, `Matrix.mulVec_col`, linearity (`Matrix.mulVec_add`,
  `Matrix.mulVec_smul`);
* dot products: `dot_comm`, `dot_mulVec` (`vᵀ (A w) = (Aᵀ v)ᵀ w`), `dot_col_col`
  (`q_iᵀ q_j = (Qᵀ Q) i j`), bilinearity (`dot_add_left`, `dot_smul_right`, ...).
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
theorem mul_diagonal (A : Matrix n m R) (e : Fin m → R) (i : Fin n) (j : Fin m) :
    mul A (diagonal e) i j = A i j * e j := by
  simp only [mul, diagonal]
  rw [← sumFin_ite_eq' j (fun k => A i k * e k)]
  apply sumFin_congr; intro k
  by_cases h : k = j <;> simp [h] <;> grind

/-- Left multiplication by a diagonal matrix scales the rows. -/
theorem diagonal_mul (e : Fin n → R) (A : Matrix n m R) (i : Fin n) (j : Fin m) :
    mul (diagonal e) A i j = e i * A i j := by
  simp only [mul, diagonal]
  rw [← sumFin_ite_eq i (fun k => e k * A k j)]
  apply sumFin_congr; intro k
  by_cases h : i = k
  · subst h; simp
  · simp [h]; grind

@[simp] theorem one_mul (A : Matrix n m R) : mul (one n) A = A := by
  funext i j; simp only [one, diagonal_mul]; grind

@[simp] theorem mul_one (A : Matrix n m R) : mul A (one m) = A := by
  funext i j; simp only [one, mul_diagonal]; grind

/-- `diagonal a · diagonal b = diagonal (a b)`. -/
theorem diagonal_mul_diagonal (a b : Fin n → R) :
    mul (diagonal a) (diagonal b) = diagonal (fun i => a i * b i) := by
  funext i j
  rw [diagonal_mul]
  simp only [diagonal]
  by_cases h : i = j
  · subst h; simp
  · simp [h]; grind


/-- `(A B) v = A (B v)`. -/
theorem mulVec_mul (A : Matrix n m R) (B : Matrix m p R) (v : Fin p → R) :
    mulVec (mul A B) v = mulVec A (mulVec B v) := by
  funext i
  simp only [mulVec, mul, sumFin_mul, mul_sumFin]
  rw [sumFin_comm]
  apply sumFin_congr; intro k
  apply sumFin_congr; intro l
  grind

/-- `diagonal e · v = (e i · v i)_i`. -/
theorem mulVec_diagonal (e : Fin n → R) (v : Fin n → R) :
    mulVec (diagonal e) v = fun i => e i * v i := by
  funext i
  simp only [mulVec, diagonal]
  rw [← sumFin_ite_eq i (fun k => e k * v k)]
  apply sumFin_congr; intro k
  by_cases h : i = k
  · subst h; simp
  · simp [h]; grind

@[simp] theorem mulVec_one (v : Fin n → R) : mulVec (one n) v = v := by
  funext i; simp only [one, mulVec_diagonal]; grind

/-- The columns of a product: `A · col B j = col (A B) j`. -/
theorem mulVec_col (A : Matrix n m R) (B : Matrix m p R) (j : Fin p) :
    mulVec A (col B j) = col (mul A B) j := rfl

/-- The columns of `Q · diagonal e` are the scaled columns `e j · q_j`. -/
theorem col_mul_diagonal (Q : Matrix n m R) (e : Fin m → R) (j : Fin m) :
    col (mul Q (diagonal e)) j = fun i => e j * col Q j i := by
  funext i; simp only [col, mul_diagonal]; grind

/-- Linearity: `A (x + y) = A x + A y`. -/
theorem mulVec_add (A : Matrix n m R) (x y : Fin m → R) :
    mulVec A (fun a => x a + y a) = fun i => mulVec A x i + mulVec A y i := by
  funext i
  simp only [mulVec]
  rw [← sumFin_add]
  apply sumFin_congr; intro k
  grind

/-- Linearity: `A (c x) = c (A x)`. -/
theorem mulVec_smul (A : Matrix n m R) (c : R) (x : Fin m → R) :
    mulVec A (fun a => c * x a) = fun i => c * mulVec A x i := by
  funext i
  simp only [mulVec, mul_sumFin]
  apply sumFin_congr; intro k
  grind

/-- The zero vector is mapped to zero. -/
theorem mulVec_zero (A : Matrix n m R) : mulVec A (fun _ => 0) = fun _ => 0 := by
  funext i
  simp only [mulVec]
  have h : (fun k => A i k * (0 : R)) = fun _ => 0 := by funext k; grind
  rw [h, sumFin_const_zero]

end Matrix

open Matrix

variable {R : Type u} [Lean.Grind.CommSemiring R] {n m : Nat}

theorem dot_comm (v w : Fin n → R) : dot v w = dot w v := by
  unfold dot; apply sumFin_congr; intro i; grind

/-- Moving a matrix across a dot product: `vᵀ (A w) = (Aᵀ v)ᵀ w`. -/
theorem dot_mulVec (v : Fin n → R) (A : Matrix n m R) (w : Fin m → R) :
    dot v (mulVec A w) = dot (mulVec (transpose A) v) w := by
  simp only [dot, mulVec, transpose, mul_sumFin, sumFin_mul]
  rw [sumFin_comm]
  apply sumFin_congr; intro k
  apply sumFin_congr; intro l
  grind

/-- The entries of `Qᵀ Q` are the dot products of the columns: `q_iᵀ q_j = (Qᵀ Q) i j`. -/
theorem dot_col_col (Q : Matrix n m R) (i j : Fin m) :
    dot (col Q i) (col Q j) = mul (transpose Q) Q i j := rfl

/-- `vᵀ (c w) = c (vᵀ w)`. -/
theorem dot_smul_right (v w : Fin n → R) (c : R) :
    dot v (fun i => c * w i) = c * dot v w := by
  unfold dot; rw [mul_sumFin]; apply sumFin_congr; intro i; grind

/-- `vᵀ (w + z) = vᵀ w + vᵀ z`. -/
theorem dot_add_right (v w z : Fin n → R) :
    dot v (fun i => w i + z i) = dot v w + dot v z := by
  unfold dot; rw [← sumFin_add]; apply sumFin_congr; intro i; grind

/-- `(c v)ᵀ w = c (vᵀ w)`. -/
theorem dot_smul_left (v w : Fin n → R) (c : R) :
    dot (fun i => c * v i) w = c * dot v w := by
  unfold dot; rw [mul_sumFin]; apply sumFin_congr; intro i; grind

/-- `(v + z)ᵀ w = vᵀ w + zᵀ w`. -/
theorem dot_add_left (v z w : Fin n → R) :
    dot (fun i => v i + z i) w = dot v w + dot z w := by
  unfold dot; rw [← sumFin_add]; apply sumFin_congr; intro i; grind

/-- `vᵀ 0 = 0`. -/
theorem dot_zero_right (v : Fin n → R) : dot v (fun _ => 0) = 0 := by
  unfold dot
  have e : (fun i => v i * (0 : R)) = fun _ => 0 := by funext i; grind
  rw [e, sumFin_const_zero]

end LinAttn
