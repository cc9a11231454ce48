"""The linearized-attention kernel, exactly (paper Theorem 4.1, kernel correspondence).

Notation: X is (n, d) with rows x_i; G = X X^T is (n, n); C = X^T X is (d, d).  The
parameter-free linearized attention maps X to X X^T X = G X, i.e. each point x to C x
(C built from the training set X).  Its kernel is K(x, y) = (C x)^T (C y) = x^T C^2 y and

    K_ij = sum_k sum_l (x_i^T x_k)(x_k^T x_l)(x_l^T x_j),

    K = G^3 = (G X)(G X)^T = X C^2 X^T.                            (Theorem 4.1)

Everything here is exact: rational input (ints, Fractions, floats taken at their exact
binary value) is computed in integer arithmetic (``X = num / den``), symbolic input
(sympy symbols) in sympy with every entry expanded.  No tolerance is involved: two forms
"agree" only if they are equal.  Results are ``sympy.Matrix``.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Any

import sympy

from pyverify.errors import InputError, NumericalError
from pyverify.matrix import ScaledInt, coerce

__all__ = [
    "attention_map",
    "check_kernel_correspondence",
    "gram",
    "kernel_attention_form",
    "kernel_double_sum",
    "kernel_gram_cube",
    "linattn_features",
    "linattn_kernel",
    "symbolic_kernel_identity",
]

_Exact = ScaledInt | sympy.Matrix


def _to_sympy(M: _Exact) -> sympy.Matrix:
    return M.to_sympy() if isinstance(M, ScaledInt) else M.applyfunc(sympy.expand)


def _gram(X: _Exact) -> _Exact:
    return X @ X.T if isinstance(X, ScaledInt) else X * X.T


def _attention_map(X: _Exact) -> _Exact:
    return X.T @ X if isinstance(X, ScaledInt) else X.T * X


def _mul(A: _Exact, B: _Exact) -> _Exact:
    return A @ B if isinstance(A, ScaledInt) else A * B


def _pair(X: Any, Y: Any) -> tuple[_Exact, _Exact]:
    """Coerce X and Y; if either is symbolic both become sympy matrices."""
    x, y = coerce(X, "X"), coerce(Y, "Y")
    if isinstance(x, ScaledInt) != isinstance(y, ScaledInt):
        x, y = _to_sympy(x), _to_sympy(y)
    if x.shape[1] != y.shape[1]:
        raise InputError.for_arg("Y", f"must have d = {x.shape[1]} columns to match X",
                                 y.shape)
    return x, y


def gram(X: Any) -> sympy.Matrix:
    """Exact Gram matrix G = X X^T, G_ij = x_i^T x_j.  X: (n, d) -> G: (n, n)."""
    return _to_sympy(_gram(coerce(X, "X")))


def attention_map(X: Any) -> sympy.Matrix:
    """Exact C = X^T X: (d, d).  Linearized attention maps a point x to C x (and X to X C
    = G X)."""
    return _to_sympy(_attention_map(coerce(X, "X")))


def _rows(M: _Exact) -> list[list[Any]]:
    if isinstance(M, ScaledInt):
        return M.fractions()
    return M.tolist()


def kernel_double_sum(X: Any, Y: Any = None) -> sympy.Matrix:
    """The slow literal reference: K_ij = sum_k sum_l (x_i^T x_k)(x_k^T x_l)(x_l^T y_j).

    X: (n, d) keys and queries' partners; Y: (m, d) queries (default Y = X) -> K: (n, m).
    Every inner product is recomputed inside the loops from the definition (no Gram
    matrix is reused), in Fraction (numeric) or sympy (symbolic) arithmetic, so this
    shares no code path with :func:`kernel_gram_cube`.  Cost O(n^3 m d).
    """
    x, y = (coerce(X, "X"), None) if Y is None else _pair(X, Y)
    xs = _rows(x)
    ys = xs if y is None else _rows(y)
    zero: Any = Fraction(0) if isinstance(x, ScaledInt) else sympy.Integer(0)

    def dot(u: list[Any], v: list[Any]) -> Any:
        s = zero
        for a, b in zip(u, v, strict=True):
            s += a * b
        return s

    n = len(xs)
    out = []
    for i in range(len(xs)):
        row = []
        for j in range(len(ys)):
            s = zero
            for k in range(n):
                for l in range(n):
                    s += dot(xs[i], xs[k]) * dot(xs[k], xs[l]) * dot(xs[l], ys[j])
            row.append(sympy.Rational(s.numerator, s.denominator)
                       if isinstance(s, Fraction) else sympy.expand(s))
        out.append(row)
    return sympy.Matrix(out)


def kernel_gram_cube(X: Any) -> sympy.Matrix:
    """K = G^3 = (X X^T)^3, exactly.  X: (n, d) -> (n, n)."""
    x = coerce(X, "X")
    g = _gram(x)
    return _to_sympy(_mul(_mul(g, g), g))


def linattn_features(X: Any) -> sympy.Matrix:
    """Phi = G X = X C, exactly: the attention features, row i = (C x_i)^T.
    X: (n, d) -> (n, d).  Mirrors ``linattn.kernel.linattn_features``."""
    x = coerce(X, "X")
    return _to_sympy(_mul(_gram(x), x))


def linattn_kernel(X: Any) -> sympy.Matrix:
    """K = (G X)(G X)^T, exactly: the Gram matrix of the attention features
    Phi = G X (rows C x_i).  X: (n, d) -> (n, n).  Mirrors ``linattn.kernel.linattn_kernel``
    (the same Phi Phi^T route)."""
    x = coerce(X, "X")
    f = _mul(_gram(x), x)
    return _to_sympy(_mul(f, f.T))


def kernel_attention_form(X: Any) -> sympy.Matrix:
    """K = X C^2 X^T with C = X^T X, exactly (the kernel x^T C^2 y on the data).
    X: (n, d) -> (n, n)."""
    x = coerce(X, "X")
    c = _attention_map(x)
    return _to_sympy(_mul(_mul(_mul(x, c), c), x.T))


_FORMS = ("kernel_double_sum", "kernel_gram_cube", "linattn_kernel",
          "kernel_attention_form")


def _compare(name_a: str, A: sympy.Matrix, name_b: str, B: sympy.Matrix) -> None:
    if A.shape != B.shape:
        raise NumericalError.for_arg("X", f"kernel forms {name_a} and {name_b} differ in shape",
                                     (A.shape, B.shape))
    for i in range(A.rows):
        for j in range(A.cols):
            a, b = A[i, j], B[i, j]
            if a != b and sympy.expand(a - b) != 0:
                raise NumericalError.for_arg(
                    "X", f"kernel correspondence (Theorem 4.1) fails: {name_a} != {name_b} "
                    f"at entry [{i}, {j}]", (a, b))


def check_kernel_correspondence(X: Any) -> bool:
    """Check Theorem 4.1 exactly: double sum == G^3 == (GX)(GX)^T == X C^2 X^T.

    X: (n, d), rational or symbolic.  Returns True, or raises NumericalError naming the
    first pair of forms that differ and the entry where they do (exact equality; for
    symbolic X the difference must expand to 0).
    """
    # Look the forms up in the module namespace at call time, so a planted (monkeypatched)
    # fault in any one of them is what gets checked.
    forms = {name: globals()[name](X) for name in _FORMS}
    ref = _FORMS[0]
    for other in _FORMS[1:]:
        _compare(ref, forms[ref], other, forms[other])
    return True


def _check_small(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= 3:
        raise InputError.for_arg(name, "must be an integer in 1..3 (symbolic check size)",
                                 value)
    return int(value)


def symbolic_kernel_identity(n: int, d: int) -> bool:
    """Prove Theorem 4.1 for all real (n, d) matrices of one size, 1 <= n, d <= 3.

    X has independent real symbols x_ij (1-based); the double sum, (GX)(GX)^T and
    X C^2 X^T each minus G^3 must expand to the zero polynomial entrywise.  Returns True
    or raises NumericalError naming the pair and entry; InputError if n or d is outside
    1..3 (the expansion grows as n^4 d^3 monomials per entry).
    """
    n, d = _check_small("n", n), _check_small("d", d)
    X = sympy.Matrix(n, d, lambda i, j: sympy.Symbol(f"x_{i + 1}{j + 1}", real=True))
    return check_kernel_correspondence(X)
