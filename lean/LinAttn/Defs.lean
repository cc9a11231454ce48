module

/-!
# Definitions: finite sums, matrices, Gram matrices, kernels, condition numbers

Core-Lean definitions used by the proofs of the claims of arXiv 2603.13085
("Linearized Attention Cannot Enter the Kernel Regime at Any Practical Width").

* `LinAttn.sumFin`: the finite sum `∑_{i : Fin n} f i`;
* `LinAttn.Matrix n m R := Fin n → Fin m → R`, with `mul`, `transpose`, `diag`, `one`,
  `mulVec`;
* `LinAttn.gram X = X · Xᵀ` (the paper's `G`), `LinAttn.covariance X = Xᵀ · X` (`C`);
* `LinAttn.doubleSumKernel G i j = ∑_k ∑_l G i k · G k l · G l j` (Theorem 4.1);
* `LinAttn.bilinKernel C x y = ∑_a (C x)_a (C y)_a` (Proposition 4.5);
* `LinAttn.lmax`, `LinAttn.lmin`, `LinAttn.kappa = lmax / lmin` over a list of eigenvalues,
  `LinAttn.sortDesc`, `LinAttn.topR` (the top `r` values) and `LinAttn.kappaTop`
  (Theorem 4.7);
* `LinAttn.absR` (absolute value on an ordered ring).
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

/-- Diagonal matrix `diag(d)`. -/
@[expose] noncomputable def diag (d : Fin n → R) : Matrix n n R :=
  fun i j => if i = j then d i else 0

/-- Identity matrix. -/
@[expose] noncomputable def one (n : Nat) : Matrix n n R := diag (fun _ => 1)

/-- Matrix-vector product `(A x) i = ∑_k A i k · x k`. -/
@[expose] noncomputable def mulVec (A : Matrix n m R) (x : Fin m → R) : Fin n → R :=
  fun i => sumFin m (fun k => A i k * x k)

end Matrix

open Matrix

variable {R : Type u} [Lean.Grind.Semiring R] {n d : Nat}

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

section Order

open Classical

variable {F : Type u} [LE F] [Lean.Grind.Semiring F]

/-- `max` from `≤` (classical decision). -/
@[expose] noncomputable def maxR (a b : F) : F := if a ≤ b then b else a

/-- `min` from `≤` (classical decision). -/
@[expose] noncomputable def minR (a b : F) : F := if a ≤ b then a else b

/-- Maximum of `a :: l`. -/
@[expose] noncomputable def lmaxAux (a : F) : List F → F
  | [] => a
  | b :: l => maxR a (lmaxAux b l)

/-- Minimum of `a :: l`. -/
@[expose] noncomputable def lminAux (a : F) : List F → F
  | [] => a
  | b :: l => minR a (lminAux b l)

/-- Largest entry of a list (`0` for the empty list). -/
@[expose] noncomputable def lmax : List F → F
  | [] => 0
  | a :: l => lmaxAux a l

/-- Smallest entry of a list (`0` for the empty list). -/
@[expose] noncomputable def lmin : List F → F
  | [] => 0
  | a :: l => lminAux a l

/-- Insert into a list sorted in decreasing order. -/
@[expose] noncomputable def insDesc (x : F) : List F → List F
  | [] => [x]
  | y :: l => if y ≤ x then x :: y :: l else y :: insDesc x l

/-- Insertion sort, decreasing order. -/
@[expose] noncomputable def sortDesc : List F → List F
  | [] => []
  | x :: l => insDesc x (sortDesc l)

/-- The `r` largest values (with multiplicity). -/
@[expose] noncomputable def topR (r : Nat) (l : List F) : List F := (sortDesc l).take r

end Order

section Field

variable {F : Type u} [LE F] [Lean.Grind.Field F]

/-- The 2-norm condition number `κ = λ_max / λ_min` of a list of (positive) eigenvalues. -/
@[expose] noncomputable def kappa (l : List F) : F := lmax l / lmin l

/-- `κ_r`: the condition number of the `r` largest values (the paper's `κ_d` with
`r = min(n, d)`). -/
@[expose] noncomputable def kappaTop (r : Nat) (l : List F) : F := kappa (topR r l)

end Field

section Abs

open Classical

variable {F : Type u} [LE F] [Lean.Grind.Ring F]

/-- Absolute value `|a|` on an ordered ring. -/
@[expose] noncomputable def absR (a : F) : F := if 0 ≤ a then a else -a

end Abs

end LinAttn
