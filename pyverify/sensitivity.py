"""Sensitivity of the linearized-attention kernel to the query point (paper Prop. 4.5).

With keys fixed by the training data X: (n, d) and C = X^T X: (d, d), the kernel is

    K(x, y) = (C x)^T (C y) = x^T C^2 y,          x, y: (d,).

It is linear in x, so for a perturbation delta: (d,) of the QUERY point only (X, hence C,
fixed; the keys are not perturbed):

    K(x + delta, y) - K(x, y) = delta^T v,         v = C^2 y,
    |K(x + delta, y) - K(x, y)| <= eps * ||v||_1   whenever max_a |delta_a| <= eps

(Hoelder: |delta^T v| <= ||delta||_inf ||v||_1; the 1-norm of v, the inf-norm of delta).

The paper states the bound with ||G x_j||_1.  That does not type-check: G = X X^T is
(n, n) while x_j is a d-vector.  We assume the intended vector is the one that makes the
identity exact, v = C^2 y (for a training point y = x_j: v = C^2 x_j = X^T G X x_j, a
d-vector); the bound is then Hoelder's inequality, proved here rather than assumed.  All
arithmetic is exact (sympy Rationals; floats taken at their exact binary value).
"""

from __future__ import annotations

from typing import Any

import sympy

from pyverify.errors import InputError, NumericalError
from pyverify.matrix import ScaledInt, as_exact_scalar, as_exact_vector, coerce

__all__ = [
    "check_sensitivity",
    "kernel_difference",
    "kernel_value",
    "sensitivity_bound",
    "sensitivity_vector",
]


def _C(X: Any) -> sympy.Matrix:
    x = coerce(X, "X")
    c = x.T @ x if isinstance(x, ScaledInt) else x.T * x
    return c.to_sympy() if isinstance(c, ScaledInt) else c.applyfunc(sympy.expand)


def _vec(v: Any, name: str, C: sympy.Matrix) -> sympy.Matrix:
    return as_exact_vector(v, name, length=C.rows)


def sensitivity_vector(X: Any, y: Any) -> sympy.Matrix:
    """v = C^2 y with C = X^T X.  X: (n, d), y: (d,) -> v: (d, 1) sympy column, exact."""
    C = _C(X)
    return (C * (C * _vec(y, "y", C))).applyfunc(sympy.expand)


def _kernel(C: sympy.Matrix, x: sympy.Matrix, y: sympy.Matrix) -> sympy.Expr:
    return sympy.expand(((C * x).T * (C * y))[0, 0])


def kernel_value(X: Any, x: Any, y: Any) -> sympy.Expr:
    """K(x, y) = (C x)^T (C y), C = X^T X.  X: (n, d); x, y: (d,).  Exact scalar."""
    C = _C(X)
    return _kernel(C, _vec(x, "x", C), _vec(y, "y", C))


def kernel_difference(X: Any, x: Any, delta: Any, y: Any) -> sympy.Expr:
    """K(x + delta, y) - K(x, y) with C = X^T X FIXED (only the query x is perturbed,
    the keys X are not).  X: (n, d); x, delta, y: (d,).  Exact scalar."""
    C = _C(X)
    xv, dv, yv = _vec(x, "x", C), _vec(delta, "delta", C), _vec(y, "y", C)
    return sympy.expand(_kernel(C, xv + dv, yv) - _kernel(C, xv, yv))


def sensitivity_bound(X: Any, y: Any, eps: Any) -> sympy.Expr:
    """eps * ||C^2 y||_1: the bound on |K(x + delta, y) - K(x, y)| for max|delta_a| <= eps.

    X: (n, d), y: (d,), eps >= 0 (InputError otherwise; numeric, exact).
    """
    e = as_exact_scalar(eps, "eps")
    if e < 0:
        raise InputError.for_arg("eps", "must be >= 0 (a bound on max_a |delta_a|)", eps)
    v = sensitivity_vector(X, y)
    return sympy.Rational(e.numerator, e.denominator) * sum((abs(a) for a in v),
                                                           sympy.Integer(0))


def check_sensitivity(X: Any, x: Any, delta: Any, y: Any) -> bool:
    """Check Prop. 4.5 (typed form) exactly on one instance; numeric input only.

    Asserts K(x + delta, y) - K(x, y) == delta^T v (v = C^2 y, C = X^T X fixed) and
    |K(x + delta, y) - K(x, y)| <= max_a |delta_a| * ||v||_1.  Returns True, else raises
    NumericalError naming the failed relation and both sides.
    """
    c = coerce(X, "X", allow_symbols=False)
    d = c.shape[1]
    for name, vec in (("x", x), ("delta", delta), ("y", y)):
        as_exact_vector(vec, name, length=d, allow_symbols=False)
    diff = kernel_difference(X, x, delta, y)
    v = sensitivity_vector(X, y)
    dv = as_exact_vector(delta, "delta", length=d)
    lin = sympy.expand((dv.T * v)[0, 0])
    if diff != lin:
        raise NumericalError.for_arg(
            "delta", "sensitivity identity K(x+delta,y) - K(x,y) == delta^T C^2 y fails",
            (diff, lin))
    eps = max(abs(a) for a in dv)
    bound = eps * sum((abs(a) for a in v), sympy.Integer(0))
    if abs(diff) > bound:
        raise NumericalError.for_arg(
            "delta", "sensitivity bound |K(x+delta,y) - K(x,y)| <= max|delta_a| * ||C^2 y||_1 "
            "fails", (abs(diff), bound))
    return True
