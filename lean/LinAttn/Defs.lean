module

/-!
# Definitions: finite sums, matrices, Gram matrices, kernels

Core-Lean definitions used by the proofs of the claims of arXiv 2603.13085
("Linearized Attention Cannot Enter the Kernel Regime at Any Practical Width").

* `LinAttn.sumFin`: the finite sum `∑_{i : Fin n} f i`;
* `LinAttn.Matrix n m R := Fin n → Fin m → R`, with `mul`, `transpose`, `diagonal`, `one`,
  `mulVec`, and the column `col Q j`;
* `LinAttn.dot v w = ∑_i v i · w i`;
* `LinAttn.gram X = X · Xᵀ` (the paper's `G`), `LinAttn.covariance X = Xᵀ · X` (`C`);
* `LinAttn.doubleSumKernel G i j = ∑_k ∑_l G i k · G k l · G l j` (Theorem 4.1);
* `LinAttn.bilinKernel C x y = ∑_a (C x)_a (C y)_a` (Proposition 4.5);
* `LinAttn.updateRow X i p`: `X` with its row `i` replaced by `p` (a perturbed training row).

The order-theoretic definitions (`maxR`, `lmax`, `sortDesc`, `kappa`, ...) are in
`LinAttn.Order` and `LinAttn.Kappa`.
-/

public section

namespace LinAttn

universe u

section Sums

variable {R : Type u} [Lean.Grind.Semiring R]

/-- The finite sum `∑_{i : Fin n} f i`, by recursion on `n` (first term, then the rest). -/
@[expose] noncomputable def sumFin : (n : Nat) → (Fin n → R) → R
  | 0, _ => 0
  | n + 1, f => f 0 + sumFin n (fun i => f i.succ)

end Sums

/-- Matrices with `n` rows and `m` columns as functions. -/
abbrev Matrix (n m : Nat) (R : Type u) := Fin n → Fin m → R

namespace Matrix

variable {R : Type u} [Lean.Grind.Semiring R] {n m p : Nat}

/-- Matrix product `(A · B) i j = ∑_k A i k · B k j`. -/
@[expose] noncomputable def mul (A : Matrix n m R) (B : Matrix m p R) : Matrix n p R :=
  fun i j => sumFin m (fun k => A i k * B k j)

/-- Transpose `Aᵀ i j = A j i`. -/
@[expose] def transpose (A : Matrix n m R) : Matrix m n R := fun i j => A j i

/-- The diagonal matrix with diagonal `d`: `diagonal d i j = if i = j then d i else 0`. -/
@[expose] noncomputable def diagonal (d : Fin n → R) : Matrix n n R :=
  fun i j => if i = j then d i else 0

/-- Identity matrix. -/
@[expose] noncomputable def one (n : Nat) : Matrix n n R := diagonal (fun _ => 1)

/-- Matrix-vector product `(A x) i = ∑_k A i k · x k`. -/
@[expose] noncomputable def mulVec (A : Matrix n m R) (x : Fin m → R) : Fin n → R :=
  fun i => sumFin m (fun k => A i k * x k)

/-- The column `j` of `Q`: `col Q j i = Q i j` (the eigenvector `q_j` of a decomposition). -/
@[expose] def col (Q : Matrix n m R) (j : Fin m) : Fin n → R := fun i => Q i j

end Matrix

open Matrix

variable {R : Type u} [Lean.Grind.Semiring R] {n d : Nat}

/-- The dot product `vᵀ w = ∑_i v i · w i`. -/
@[expose] noncomputable def dot (v w : Fin n → R) : R := sumFin n (fun i => v i * w i)

/-- The Gram matrix `G = X · Xᵀ` of the rows `x_i` of `X : n × d`: `G i j = x_iᵀ x_j`. -/
@[expose] noncomputable def gram (X : Matrix n d R) : Matrix n n R := mul X (transpose X)

/-- The (uncentred) covariance `C = Xᵀ · X : d × d`; linearized attention maps `x ↦ C x`. -/
@[expose] noncomputable def covariance (X : Matrix n d R) : Matrix d d R := mul (transpose X) X

/-- The double-sum kernel `K i j = ∑_k ∑_l G i k · G k l · G l j` of Theorem 4.1. -/
@[expose] noncomputable def doubleSumKernel (G : Matrix n n R) : Matrix n n R :=
  fun i j => sumFin n (fun k => sumFin n (fun l => G i k * G k l * G l j))

/-- The kernel of linearized attention on single inputs, `K(x, y) = ∑_a (C x)_a (C y)_a`. -/
@[expose] noncomputable def bilinKernel (C : Matrix d d R) (x y : Fin d → R) : R :=
  sumFin d (fun a => mulVec C x a * mulVec C y a)

/-- `X` with its row `i` replaced by `p`: the training set after perturbing `x_i` to `p`. -/
@[expose] def updateRow (X : Matrix n d R) (i : Fin n) (p : Fin d → R) : Matrix n d R :=
  fun k a => if k = i then p a else X k a

end LinAttn
