module

public import LinAttn.Cond
public import LinAttn.Width
public import LinAttn.Sensitivity
public import LinAttn.Perturb
public import LinAttn.LinearClass

/-!
# Pinned statements of every manifest theorem

Each theorem that `pyverify/manifest.toml` lists for a claim of arXiv 2603.13085 is restated
here with its full statement written out, `example : <statement> := @LinAttn.name`.  The
statement is elaborated from this text, independently of the declaration, and must be
definitionally equal to the declared type: weakening a theorem (a conclusion replaced by
`True`, a dropped conjunct, an added hypothesis) makes this module fail to build, and with it
the check `python -m pyverify.lean check`.  A change to a statement must therefore change
this file too, where a reviewer sees it.  `tests/pyverify/lean/test_statements.py` checks that
every manifest theorem has its pin here and plants weakenings to show the build fails.

The definitions the statements rely on are pinned by their defining equations at the end
(`rfl`), so that a definition cannot be changed to make a statement vacuous either.
-/

public section

namespace LinAttn

universe u

open Lean.Grind Matrix

-- The hypothesis names in the `∀` binders document the statements; they are unused terms.
set_option linter.unusedVariables false

/-! ### Theorem 4.1 (manifest claim `kernel-correspondence`) -/
example : ∀ {R : Type u} [Lean.Grind.CommSemiring R] {n d : Nat} (X : Matrix n d R) (i j : Fin n),
    sumFin n (fun k => sumFin n (fun l => sumFin d (fun a => X i a * X k a) * sumFin d (fun a => X
    k a * X l a) * sumFin d (fun a => X l a * X j a))) = doubleSumKernel (gram X) i j :=
  @LinAttn.kernel_double_sum

example : ∀ {R : Type u} [Lean.Grind.CommSemiring R] {n : Nat} (G : Matrix n n R) (i j : Fin n),
    doubleSumKernel G i j = mul (mul G G) G i j :=
  @LinAttn.doubleSumKernel_eq_cube

example : ∀ {R : Type u} [Lean.Grind.CommSemiring R] {n d : Nat} (X : Matrix n d R) (i j : Fin n),
    doubleSumKernel (gram X) i j = mul (mul (gram X) (gram X)) (gram X) i j :=
  @LinAttn.kernel_eq_gram_cube

example : ∀ {R : Type u} [Lean.Grind.CommSemiring R] {n d : Nat} (X : Matrix n d R), mul (mul (gram
    X) X) (transpose (mul (gram X) X)) = mul (mul (gram X) (gram X)) (gram X) :=
  @LinAttn.feature_map_gram_eq_gram_cube

example : ∀ {R : Type u} [Lean.Grind.CommSemiring R] {n d : Nat} (X : Matrix n d R), mul (mul X
    (covariance X)) (transpose (mul X (covariance X))) = mul (mul (gram X) (gram X)) (gram X) :=
  @LinAttn.feature_map_covariance

example : ∀ {R : Type u} [CommSemiring R] {n d : Nat} (X : Matrix n d R) (v : Fin n → R), dot v
    (mulVec (mul (mul (gram X) (gram X)) (gram X)) v) = sumFin d (fun a => mulVec (transpose (mul
    (gram X) X)) v a ^ 2) :=
  @LinAttn.dot_gram_cube_eq_sum_sq

example : ∀ {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
    [OrderedRing R] {n d : Nat} (X : Matrix n d R) (v : Fin n → R), 0 ≤ dot v (mulVec (mul (mul
    (gram X) (gram X)) (gram X)) v) :=
  @LinAttn.dot_gram_cube_nonneg


/-! ### Theorem 4.1 with the eigendecomposition of Theorem 4.7 (spectral form) (manifest claim `spectral-form`) -/
example : ∀ {R : Type u} [Lean.Grind.CommSemiring R] {n r : Nat} (Q : Matrix n r R) (hQ : mul
    (transpose Q) Q = one r) (D₁ D₂ : Matrix r r R), mul (mul (mul Q D₁) (transpose Q)) (mul (mul Q
    D₂) (transpose Q)) = mul (mul Q (mul D₁ D₂)) (transpose Q) :=
  @LinAttn.conj_mul_conj

example : ∀ {R : Type u} [Lean.Grind.CommSemiring R] {n r : Nat} (G : Matrix n n R) (Q : Matrix n r
    R) (ev : Fin r → R) (hQ : mul (transpose Q) Q = one r) (hG : G = mul (mul Q (diagonal ev))
    (transpose Q)), mul (mul G G) G = mul (mul Q (diagonal (fun i => ev i ^ 3))) (transpose Q) :=
  @LinAttn.cube_eq_conj_diagonal_pow_three

example : ∀ {R : Type u} [Lean.Grind.CommSemiring R] {n r : Nat} {d : Nat} (X : Matrix n d R) (Q :
    Matrix n r R) (ev : Fin r → R) (hQ : mul (transpose Q) Q = one r) (hG : gram X = mul (mul Q
    (diagonal ev)) (transpose Q)), mul (mul (gram X) (gram X)) (gram X) = mul (mul Q (diagonal (fun
    i => ev i ^ 3))) (transpose Q) :=
  @LinAttn.gram_cube_eq_conj_diagonal_pow_three

example : ∀ {R : Type u} [Lean.Grind.CommSemiring R] {n : Nat} {A Q : Matrix n n R} {ev : Fin n →
    R} (h : IsOrthDecomp A Q ev), IsOrthDecomp (mul (mul A A) A) Q (fun i => ev i ^ 3) :=
  @LinAttn.isOrthDecomp_cube

example : ∀ {F : Type u} [Lean.Grind.Field F] {n : Nat} {r : Nat} {A : Matrix n n F} {Q : Matrix n
    r F} {ev : Fin r → F} (hQ : mul (transpose Q) Q = one r) (hA : A = mul (mul Q (diagonal ev))
    (transpose Q)) (i : Fin r), mulVec (mul (mul A A) A) (col Q i) = (fun k => ev i ^ 3 * col Q i
    k) ∧ col Q i ≠ fun _ => 0 :=
  @LinAttn.mulVec_cube_col

example : ∀ {F : Type u} [Lean.Grind.Field F] {n : Nat} {A Q : Matrix n n F} {ev : Fin n → F} (h :
    IsOrthDecomp A Q ev) (μ : F), HasEigenvalue A μ ↔ ∃ i, μ = ev i :=
  @LinAttn.hasEigenvalue_iff

example : ∀ {F : Type u} [Lean.Grind.Field F] {n : Nat} {A Q : Matrix n n F} {ev : Fin n → F} (h :
    IsOrthDecomp A Q ev) (μ : F), HasEigenvalue (mul (mul A A) A) μ ↔ ∃ i, μ = ev i ^ 3 :=
  @LinAttn.hasEigenvalue_cube_iff


/-! ### Theorem 4.7 (manifest claim `cond-amplification`) -/
example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {n d : Nat} (X : Matrix n d F) {Q Q' : Matrix n n F} {ev ev' : Fin n → F} (hG :
    IsOrthDecomp (gram X) Q ev) (hK : IsOrthDecomp (mul (mul (gram X) (gram X)) (gram X)) Q' ev'),
    kappa (List.ofFn ev') = (kappa (List.ofFn ev)).map (· ^ 3) :=
  @LinAttn.kappa_gram_cube_eq_pow_three

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {n : Nat} {A Q Q' : Matrix n n F} {ev ev' : Fin n → F} (hA : IsOrthDecomp A Q
    ev) (hK : IsOrthDecomp (mul (mul A A) A) Q' ev'), kappa (List.ofFn ev') = (kappa (List.ofFn
    ev)).map (· ^ 3) :=
  @LinAttn.kappa_cube_eq_pow_three

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {n : Nat} {A Q Q' : Matrix n n F} {ev ev' : Fin n → F} (h : IsOrthDecomp A Q
    ev) (h' : IsOrthDecomp A Q' ev'), kappa (List.ofFn ev') = kappa (List.ofFn ev) :=
  @LinAttn.kappa_ofFn_congr

example : ∀ {R : Type u} [CommSemiring R] {n d : Nat} (X : Matrix n d R) {Q : Matrix n n R} {ev :
    Fin n → R} (hQ : mul (transpose Q) Q = one n) (hG : gram X = mul (mul Q (diagonal ev))
    (transpose Q)) (i : Fin n), ev i = sumFin d (fun a => mulVec (transpose X) (col Q i) a ^ 2) :=
  @LinAttn.gram_eigenvalue_eq_sum_sq

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {n d : Nat} (X : Matrix n d F) {Q : Matrix n n F} {ev : Fin n → F} (hQ : mul
    (transpose Q) Q = one n) (hG : gram X = mul (mul Q (diagonal ev)) (transpose Q)) (i : Fin n), 0
    ≤ ev i :=
  @LinAttn.gram_eigenvalue_nonneg

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {n d : Nat} (X : Matrix n d F) {Q : Matrix n n F} {ev : Fin n → F} (hn : 0 < n)
    (hQ : mul (transpose Q) Q = one n) (hG : gram X = mul (mul Q (diagonal ev)) (transpose Q)),
    kappa (List.ofFn ev) = none ↔ ∃ i, ev i = 0 :=
  @LinAttn.kappa_gram_eq_none_iff

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {n d : Nat} (X : Matrix n d F) {Q : Matrix n n F} {ev : Fin n → F} (hQ : mul
    (transpose Q) Q = one n) (hG : gram X = mul (mul Q (diagonal ev)) (transpose Q)) (r : Nat), mul
    (mul (gram X) (gram X)) (gram X) = mul (mul Q (diagonal (fun i => ev i ^ 3))) (transpose Q) ∧
    kappaTop r (List.ofFn (fun i => ev i ^ 3)) = (kappaTop r (List.ofFn ev)).map (· ^ 3) :=
  @LinAttn.kappaTop_gram_cube_eq_pow_three

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] (l : List F), kappa (l.map (· ^ 3)) = (kappa l).map (· ^ 3) :=
  @LinAttn.kappa_map_pow_three

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] (r : Nat) (l : List F), kappaTop r (l.map (· ^ 3)) = (kappaTop r l).map (· ^ 3)
    :=
  @LinAttn.kappaTop_map_pow_three

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {r : Nat} {l : List F} (hr : 0 < r) (hl : l ≠ []) (hpos : ∀ x ∈ topR r l, 0 <
    x), kappaTop r l = some (lmax l / lmin (topR r l)) :=
  @LinAttn.kappaTop_eq_some

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {r : Nat} {l : List F} (hr : 0 < r) (hl : l ≠ []) (hpos : ∀ x ∈ topR r l, 0 <
    x), kappaTop r (l.map (· ^ 3)) = some ((lmax l / lmin (topR r l)) ^ 3) :=
  @LinAttn.kappaTop_map_pow_three_of_pos

example : ∀ (l : List Rat), kappa (l.map (· ^ 3)) = (kappa l).map (· ^ 3) :=
  @LinAttn.kappa_map_pow_three_rat

example : ∀ (r : Nat) (l : List Rat), kappaTop r (l.map (· ^ 3)) = (kappaTop r l).map (· ^ 3) :=
  @LinAttn.kappaTop_map_pow_three_rat

example : ∀ {R : Type u} [LE R] [Lean.Grind.Ring R] {l : List R} (hl : l ≠ []), lmax l ∈ l :=
  @LinAttn.lmax_mem

example : ∀ {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
    [OrderedRing R] {l : List R} {x : R} (hx : x ∈ l), x ≤ lmax l :=
  @LinAttn.le_lmax

example : ∀ {R : Type u} [LE R] [Lean.Grind.Ring R] {l : List R} (hl : l ≠ []), lmin l ∈ l :=
  @LinAttn.lmin_mem

example : ∀ {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
    [OrderedRing R] {l : List R} {x : R} (hx : x ∈ l), lmin l ≤ x :=
  @LinAttn.lmin_le

example : ∀ {R : Type u} [LE R] [Std.IsLinearOrder R] [Lean.Grind.Ring R] (l : List R), (sortDesc
    l).Pairwise (fun a b => b ≤ a) :=
  @LinAttn.pairwise_sortDesc

example : ∀ {R : Type u} [LE R] [Lean.Grind.Ring R] (l : List R), (sortDesc l).Perm l :=
  @LinAttn.sortDesc_perm

example : ∀ {F : Type u} [Field F] [LE F] [LT F] {l : List F} (h : 0 < lmin l), kappa l = some
    (lmax l / lmin l) :=
  @LinAttn.kappa_of_pos

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {l : List F}, kappa l = none ↔ lmin l ≤ 0 :=
  @LinAttn.kappa_eq_none_iff

example : ∀ {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
    [OrderedRing R] {a b : R} (hab : a < b), a ^ 3 < b ^ 3 :=
  @LinAttn.pow_three_lt_pow_three

example : ∀ {R : Type u} [CommSemiring R] {n d : Nat} (X : Matrix n d R) (v : Fin n → R), dot v
    (mulVec (gram X) v) = sumFin d (fun a => mulVec (transpose X) v a ^ 2) :=
  @LinAttn.dot_gram_eq_sum_sq

example : ∀ {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
    [OrderedRing R] {n d : Nat} (X : Matrix n d R) (v : Fin n → R), 0 ≤ dot v (mulVec (gram X) v)
    :=
  @LinAttn.dot_gram_nonneg

example : ∀ {F : Type u} [Field F] {n d : Nat} (X : Matrix n d F) {v : Fin n → F} {μ : F} (hμ : μ ≠
    0) (hv0 : v ≠ fun _ => 0) (hv : mulVec (gram X) v = fun i => μ * v i), mulVec (covariance X)
    (mulVec (transpose X) v) = (fun a => μ * mulVec (transpose X) v a) ∧ mulVec (transpose X) v ≠
    fun _ => 0 :=
  @LinAttn.dual_eigenvector

example : ∀ {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
    [OrderedRing R] {n d : Nat} (X : Matrix n d R) (v : Fin n → R), mulVec (gram X) v = (fun _ =>
    0) ↔ mulVec (transpose X) v = fun _ => 0 :=
  @LinAttn.gram_mulVec_eq_zero_iff


/-! ### Width bound following Theorem 4.7 (m >= kappa(K)^2 n log n = kappa_d(G)^6 n log n) (manifest claim `width-bound`) -/
example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] (l : List F), (kappa (l.map (· ^ 3))).map (· ^ 2) = (kappa l).map (· ^ 6) :=
  @LinAttn.kappa_map_pow_three_sq

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] (l : List F) (n L : F), (kappa (l.map (· ^ 3))).map (fun κ => widthBound κ n L)
    = (kappa l).map (fun κ => κ ^ 6 * n * L) :=
  @LinAttn.widthBound_kappa_map_pow_three

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] (r : Nat) (l : List F) (n L : F), (kappaTop r (l.map (· ^ 3))).map (fun κ =>
    widthBound κ n L) = (kappaTop r l).map (fun κ => κ ^ 6 * n * L) :=
  @LinAttn.widthBound_kappaTop_map_pow_three

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {N d : Nat} (X : Matrix N d F) {Q Q' : Matrix N N F} {ev ev' : Fin N → F} (hG :
    IsOrthDecomp (gram X) Q ev) (hK : IsOrthDecomp (Matrix.mul (Matrix.mul (gram X) (gram X)) (gram
    X)) Q' ev') (n L : F), (kappa (List.ofFn ev')).map (fun κ => widthBound κ n L) = (kappa
    (List.ofFn ev)).map (fun κ => κ ^ 6 * n * L) :=
  @LinAttn.widthBound_gram_cube

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {κ₁ κ₂ n L : F} (h0 : 0 ≤ κ₁) (h : κ₁ ≤ κ₂) (hn : 0 ≤ n) (hL : 0 ≤ L),
    widthBound (κ₁ ^ 3) n L ≤ widthBound (κ₂ ^ 3) n L :=
  @LinAttn.widthBound_mono

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.IsLinearOrder F] [OrderedRing F] (lg : F → F)
    (hlg : ∀ x y : F, 0 < x → 0 < y → lg (x * y) = lg x + lg y) {κ n L : F} (hκ : 0 < κ) (hn : 0 <
    n) (hL : 0 < L), lg (κ ^ 6 * n * L) = 6 * lg κ + lg n + lg L :=
  @LinAttn.lg_widthBound


/-! ### Proposition 4.5 (corrected: v = C^2 y; the printed ||G x_j||_1 does not type-check) (manifest claim `sensitivity`) -/
example : ∀ {R : Type u} [CommRing R] {d : Nat} (C : Matrix d d R) (x δ y : Fin d → R), bilinKernel
    C (fun a => x a + δ a) y - bilinKernel C x y = sumFin d (fun a => δ a * sensitivityVector C y
    a) :=
  @LinAttn.bilinKernel_sub

example : ∀ {R : Type u} [CommRing R] {n d : Nat} (X : Matrix n d R) (x δ y : Fin d → R),
    bilinKernel (covariance X) (fun a => x a + δ a) y - bilinKernel (covariance X) x y = sumFin d
    (fun a => δ a * mulVec (covariance X) (mulVec (covariance X) y) a) :=
  @LinAttn.kernel_difference

example : ∀ {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
    [OrderedRing R] {d : Nat} {ε : R} (δ v : Fin d → R) (hδ : ∀ a, absR (δ a) ≤ ε), absR (sumFin d
    (fun a => δ a * v a)) ≤ ε * sumFin d (fun a => absR (v a)) :=
  @LinAttn.absR_dot_le

example : ∀ {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
    [OrderedRing R] {n d : Nat} (X : Matrix n d R) (x δ y : Fin d → R) {ε : R} (hδ : ∀ a, absR (δ
    a) ≤ ε), absR (bilinKernel (covariance X) (fun a => x a + δ a) y - bilinKernel (covariance X) x
    y) ≤ ε * sumFin d (fun a => absR (mulVec (covariance X) (mulVec (covariance X) y) a)) :=
  @LinAttn.sensitivity_bound

example : ∀ {R : Type u} [CommRing R] [LE R] [LT R] [Std.LawfulOrderLT R] [Std.IsLinearOrder R]
    [OrderedRing R] {n d : Nat} (X : Matrix n d R) (x y : Fin d → R) {ε : R} (hε : 0 ≤ ε),
    let v := mulVec (covariance X) (mulVec (covariance X) y)
    (∀ a, absR (ε * signR (v a)) ≤ ε) ∧
      absR (bilinKernel (covariance X) (fun a => x a + ε * signR (v a)) y -
        bilinKernel (covariance X) x y) = ε * sumFin d (fun a => absR (v a)) :=
  @LinAttn.sensitivity_bound_attained

example : ∀ {n d : Nat} (X : Matrix n d Rat) (x δ y : Fin d → Rat) {ε : Rat} (hδ : ∀ a, absR (δ a)
    ≤ ε), absR (bilinKernel (covariance X) (fun a => x a + δ a) y - bilinKernel (covariance X) x y)
    ≤ ε * sumFin d (fun a => absR (mulVec (covariance X) (mulVec (covariance X) y) a)) :=
  @LinAttn.sensitivity_bound_rat

example : ∀ {R : Type u} [CommRing R] {n d : Nat} (X : Matrix n d R) (i j : Fin n), bilinKernel
    (covariance X) (X i) (X j) = mul (mul (gram X) (gram X)) (gram X) i j :=
  @LinAttn.bilinKernel_covariance_eq_gram_cube

example : ∀ {R : Type u} [CommRing R] {n d : Nat} (X : Matrix n d R) (i : Fin n) (p : Fin d → R),
    covariance (updateRow X i p) = fun a b => covariance X a b - X i a * X i b + p a * p b :=
  @LinAttn.covariance_updateRow

example : ∀ {R : Type u} [CommRing R] {n d : Nat} (X : Matrix n d R) (i : Fin n) (δ w : Fin d → R)
    (t : R), bilinKernel (covariance (updateRow X i (fun a => X i a + t * δ a))) (fun a => X i a +
    t * δ a) w - bilinKernel (covariance X) (X i) w = t * rowPerturbCoeff (covariance X) (X i) δ w
    1 + t ^ 2 * rowPerturbCoeff (covariance X) (X i) δ w 2 + t ^ 3 * rowPerturbCoeff (covariance X)
    (X i) δ w 3 + t ^ 4 * rowPerturbCoeff (covariance X) (X i) δ w 4 + t ^ 5 * rowPerturbCoeff
    (covariance X) (X i) δ w 5 :=
  @LinAttn.bilinKernel_updateRow_sub

example : ∀ {R : Type u} [CommRing R] {n d : Nat} (X : Matrix n d R) (i : Fin n) (δ w : Fin d → R),
    rowPerturbCoeff (covariance X) (X i) δ w 1 = dot δ (fun a => mulVec (covariance X) (mulVec
    (covariance X) w) a + dot (X i) (mulVec (covariance X) (X i)) * w a + dot (X i) w * mulVec
    (covariance X) (X i) a + dot (X i) (mulVec (covariance X) w) * X i a + dot (X i) (X i) * mulVec
    (covariance X) w a) :=
  @LinAttn.rowPerturbCoeff_one

example : ∀ {R : Type u} [CommRing R] {n d : Nat} (X : Matrix n d R) {i j : Fin n} (hij : j ≠ i)
    (δ : Fin d → R) (t : R),
    let X' := updateRow X i (fun a => X i a + t * δ a)
    bilinKernel (covariance X') (X' i) (X' j) - bilinKernel (covariance X) (X i) (X j) =
      t * rowPerturbCoeff (covariance X) (X i) δ (X j) 1 +
        t ^ 2 * rowPerturbCoeff (covariance X) (X i) δ (X j) 2 +
        t ^ 3 * rowPerturbCoeff (covariance X) (X i) δ (X j) 3 +
        t ^ 4 * rowPerturbCoeff (covariance X) (X i) δ (X j) 4 +
        t ^ 5 * rowPerturbCoeff (covariance X) (X i) δ (X j) 5 :=
  @LinAttn.bilinKernel_updateRow_rows_sub


/-! ### Theorem B.8 (the 'fourth-order' function class; checked: it is linear in x) (manifest claim
`fourth-order-class`) -/

example : ∀ {R : Type u} [CommSemiring R] {n d : Nat} (X : Matrix n d R) (α : Matrix n n R)
    (x : Fin d → R),
    fourthOrder X α x = dot (fun a => sumFin n (fun k => fourthOrderWeight X α k * X k a)) x :=
  @LinAttn.fourthOrder_eq_dot

example : ∀ {R : Type u} [CommSemiring R] {n d : Nat} (X : Matrix n d R) (α : Matrix n n R),
    ∃ β : Fin n → R, ∀ x : Fin d → R,
      fourthOrder X α x = dot (fun a => sumFin n (fun k => β k * X k a)) x :=
  @LinAttn.exists_span_eq_fourthOrder

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] {n d : Nat} (X : Matrix n d F) (hX : ∀ k, X k ≠ fun _ => 0) (β : Fin n → F),
    ∃ α : Matrix n n F, ∀ x : Fin d → F,
      fourthOrder X α x = dot (fun a => sumFin n (fun k => β k * X k a)) x :=
  @LinAttn.exists_fourthOrder_eq

/-! ### Definitions, pinned by their defining equations -/

example : ∀ {R : Type u} [Lean.Grind.Semiring R] {n m p : Nat} (A : Matrix n m R)
    (B : Matrix m p R) (i : Fin n) (j : Fin p), mul A B i j = sumFin m (fun k => A i k * B k j) :=
  fun _ _ _ _ => rfl

example : ∀ {R : Type u} [Lean.Grind.Semiring R] (n : Nat) (f : Fin (n + 1) → R),
    sumFin (n + 1) f = f 0 + sumFin n (fun i => f i.succ) :=
  fun _ _ => rfl

example : ∀ {R : Type u} [Lean.Grind.Semiring R] (f : Fin 0 → R), sumFin 0 f = 0 :=
  fun _ => rfl

example : ∀ {R : Type u} [Lean.Grind.Semiring R] {n m : Nat} (A : Matrix n m R) (i : Fin m)
    (j : Fin n), transpose A i j = A j i :=
  fun _ _ _ => rfl

example : ∀ {R : Type u} [Lean.Grind.Semiring R] {n : Nat} (e : Fin n → R) (i j : Fin n),
    diagonal e i j = if i = j then e i else 0 :=
  fun _ _ _ => rfl

example : ∀ {R : Type u} [Lean.Grind.Semiring R] (n : Nat), one n = diagonal (fun _ => (1 : R)) :=
  fun _ => rfl

example : ∀ {R : Type u} [Lean.Grind.Semiring R] {n m : Nat} (A : Matrix n m R) (x : Fin m → R)
    (i : Fin n), mulVec A x i = sumFin m (fun k => A i k * x k) :=
  fun _ _ _ => rfl

example : ∀ {R : Type u} [Lean.Grind.Semiring R] {n : Nat} (v w : Fin n → R),
    dot v w = sumFin n (fun i => v i * w i) :=
  fun _ _ => rfl

example : ∀ {R : Type u} [Lean.Grind.Semiring R] {n d : Nat} (X : Matrix n d R),
    gram X = mul X (transpose X) ∧ covariance X = mul (transpose X) X :=
  fun _ => ⟨rfl, rfl⟩

example : ∀ {R : Type u} [Lean.Grind.Semiring R] {n : Nat} (G : Matrix n n R) (i j : Fin n),
    doubleSumKernel G i j = sumFin n (fun k => sumFin n (fun l => G i k * G k l * G l j)) :=
  fun _ _ _ => rfl

example : ∀ {R : Type u} [Lean.Grind.Semiring R] {d : Nat} (C : Matrix d d R) (x y : Fin d → R),
    bilinKernel C x y = sumFin d (fun a => mulVec C x a * mulVec C y a) :=
  fun _ _ _ => rfl

example : ∀ {R : Type u} [Lean.Grind.Semiring R] {n d : Nat} (X : Matrix n d R) (i : Fin n)
    (p : Fin d → R) (k : Fin n) (a : Fin d), updateRow X i p k a = if k = i then p a else X k a :=
  fun _ _ _ _ _ => rfl

example : ∀ {R : Type u} [Lean.Grind.CommSemiring R] {n : Nat} (A : Matrix n n R) (μ : R),
    HasEigenvalue A μ ↔ ∃ v : Fin n → R, v ≠ (fun _ => 0) ∧ mulVec A v = fun i => μ * v i :=
  fun _ _ => Iff.rfl

example : ∀ {R : Type u} [Lean.Grind.CommSemiring R] {n : Nat} (A Q : Matrix n n R)
    (ev : Fin n → R), IsOrthDecomp A Q ev ↔ (mul (transpose Q) Q = one n ∧
      mul Q (transpose Q) = one n ∧ A = mul (mul Q (diagonal ev)) (transpose Q)) :=
  fun _ _ _ => ⟨fun h => ⟨h.1, h.2, h.3⟩, fun h => ⟨h.1, h.2.1, h.2.2⟩⟩

open Classical in
example : ∀ {F : Type u} [LE F] [LT F] [Field F] (l : List F),
    kappa l = if 0 < lmin l then some (lmax l / lmin l) else none :=
  fun _ => rfl

example : ∀ {F : Type u} [LE F] [LT F] [Field F] (r : Nat) (l : List F),
    kappaTop r l = kappa (topR r l) :=
  fun _ _ => rfl

example : ∀ {F : Type u} [LE F] [Lean.Grind.Ring F] (r : Nat) (l : List F),
    topR r l = (sortDesc l).take r :=
  fun _ _ => rfl

open Classical in
example : ∀ {F : Type u} [LE F] [Lean.Grind.Ring F] (a : F),
    absR a = (if 0 ≤ a then a else -a) ∧ signR a = (if 0 ≤ a then 1 else -1) :=
  fun _ => ⟨rfl, rfl⟩

example : ∀ {F : Type u} [Field F] [LE F] [LT F] [Std.LawfulOrderLT F] [Std.IsLinearOrder F]
    [OrderedRing F] (κ n L : F), widthBound κ n L = κ ^ 2 * n * L :=
  fun _ _ _ => rfl

example : ∀ {R : Type u} [CommSemiring R] {n d : Nat} (X : Matrix n d R) (α : Matrix n n R)
    (x : Fin d → R), fourthOrder X α x = sumFin n (fun k => sumFin n (fun l => α k l *
      sumFin n (fun m => dot x (X k) * dot (X k) (X m) * dot (X m) (X l)))) :=
  fun _ _ _ => rfl

example : ∀ {R : Type u} [CommSemiring R] {n d : Nat} (X : Matrix n d R) (α : Matrix n n R)
    (k : Fin n), fourthOrderWeight X α k = sumFin n (fun l => α k l * mul (gram X) (gram X) k l) :=
  fun _ _ _ => rfl

end LinAttn
