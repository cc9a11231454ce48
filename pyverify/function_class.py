"""The "fourth-order" function class of the paper's Theorem B.8, exactly (claim
``fourth-order-class``).

With training rows x_1..x_n (X: (n, d)), G = X X^T and coefficients alpha: (n, n), the class
holds the functions

    f(x) = sum_{k,l} alpha_kl sum_m (x^T x_k)(x_k^T x_m)(x_m^T x_l).

Since sum_m (x_k^T x_m)(x_m^T x_l) = (G^2)_kl, f(x) = sum_k beta_k x_k^T x = w^T x with
beta_k = sum_l alpha_kl (G^2)_kl and w = sum_k beta_k x_k = X^T beta: the class is LINEAR in
x (the Lean theorem ``LinAttn.fourthOrder_eq_dot``), "fourth order" only in the training
data.  :func:`fourth_order_value` is the literal triple sum; :func:`fourth_order_weight`
the vector w; :func:`check_fourth_order_linear` checks f(x) == w^T x exactly, with x a
vector of sympy symbols (so for every x).  All arithmetic is exact (sympy).
"""

from __future__ import annotations

from typing import Any

import sympy

from pyverify.errors import InputError, NumericalError
from pyverify.matrix import as_exact_matrix, as_exact_vector

__all__ = ["check_fourth_order_linear", "fourth_order_value", "fourth_order_weight"]


def _inputs(X: Any, alpha: Any) -> tuple[sympy.Matrix, sympy.Matrix]:
    Xm = as_exact_matrix(X, "X")
    A = as_exact_matrix(alpha, "alpha")
    if A.shape != (Xm.rows, Xm.rows):
        raise InputError.for_arg("alpha", f"must be ({Xm.rows}, {Xm.rows})", A.shape)
    return Xm, A


def fourth_order_weight(X: Any, alpha: Any) -> sympy.Matrix:
    """w = X^T beta, beta_k = sum_l alpha_kl (G^2)_kl.  X: (n, d), alpha: (n, n) -> (d, 1)."""
    Xm, A = _inputs(X, alpha)
    G = Xm * Xm.T
    G2 = G * G
    beta = sympy.Matrix([sum((A[k, l] * G2[k, l] for l in range(Xm.rows)), sympy.Integer(0))
                         for k in range(Xm.rows)])
    return (Xm.T * beta).applyfunc(sympy.expand)


def fourth_order_value(X: Any, alpha: Any, x: Any) -> sympy.Expr:
    """The literal f(x) = sum_{k,l} alpha_kl sum_m (x^T x_k)(x_k^T x_m)(x_m^T x_l).
    X: (n, d), alpha: (n, n), x: (d,) (numbers or symbols) -> an exact scalar."""
    Xm, A = _inputs(X, alpha)
    xv = as_exact_vector(x, "x", length=Xm.cols)
    rows = [Xm.row(k).T for k in range(Xm.rows)]
    dot = [[(rows[a].T * rows[b])[0, 0] for b in range(Xm.rows)] for a in range(Xm.rows)]
    xk = [(xv.T * r)[0, 0] for r in rows]
    total = sympy.Integer(0)
    for k in range(Xm.rows):
        for l in range(Xm.rows):
            total += A[k, l] * xk[k] * sum((dot[k][m] * dot[m][l] for m in range(Xm.rows)),
                                           sympy.Integer(0))
    return sympy.expand(total)


def check_fourth_order_linear(X: Any, alpha: Any) -> bool:
    """Theorem B.8, checked: f(x) - w^T x expands to 0 for a symbolic x (every x).  Returns
    True, or raises NumericalError with the nonzero difference."""
    Xm, _ = _inputs(X, alpha)
    x = sympy.Matrix(sympy.symbols(f"x0:{Xm.cols}"))
    diff = sympy.expand(fourth_order_value(X, alpha, x) - (fourth_order_weight(X, alpha).T
                                                           * x)[0, 0])
    if diff != 0:
        raise NumericalError.for_arg("alpha", "f(x) = w^T x (Theorem B.8) fails", diff)
    return True
