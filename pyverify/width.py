"""The NTK width threshold of the paper, in log10 (no overflow).

The paper's threshold for a width-m linearized-attention network to be in the kernel
regime is

    m  >=  c * kappa_d(G)^6 * n * log n,

with kappa_d(G) the 2-norm condition number over the top r = min(n, d) eigenvalues of
G = X X^T (see :mod:`pyverify.spectrum`).  We take c = 1 and ``log`` the NATURAL
logarithm, and report

    log10 m = 6 log10 kappa_d + log10 n + log10(ln n).

All arithmetic is mpmath at 50 significant digits (``_DPS``), whose exponent range is
unbounded, so kappa_d = 1e30 (m = 1e180 * n ln n) neither overflows nor loses digits.
The paper states m >> 1e24 (MNIST) and >> 1e29 (CIFAR-10).
"""

from __future__ import annotations

import numbers
from typing import Any

import mpmath

from pyverify.errors import InputError, NumericalError
from pyverify.matrix import as_exact_scalar

__all__ = ["log10_width_threshold", "width_threshold"]

_DPS = 50
"""Working precision (decimal digits) of the width computations."""


def _kappa(cond_d: Any) -> mpmath.mpf:
    with mpmath.workdps(_DPS):
        if isinstance(cond_d, str):
            try:
                k = mpmath.mpf(cond_d.strip())
            except (ValueError, TypeError) as exc:
                raise InputError.for_arg("cond_d", "must be a number", cond_d) from exc
        elif isinstance(cond_d, mpmath.mpf):
            k = +cond_d
        else:
            if isinstance(cond_d, float) and cond_d == float("inf"):
                k = mpmath.inf
            else:
                f = as_exact_scalar(cond_d, "cond_d")
                k = mpmath.mpf(f.numerator) / f.denominator
        if mpmath.isnan(k):
            raise InputError.for_arg("cond_d", "must be a number, not NaN", cond_d)
        if mpmath.isinf(k) and k > 0:
            raise NumericalError.for_arg(
                "cond_d", "is infinite: rank-deficient data; the threshold is unbounded",
                cond_d)
        if not k >= 1:
            raise InputError.for_arg("cond_d", "must be a 2-norm condition number >= 1",
                                     cond_d)
        return k


def _n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise InputError.for_arg("n", "must be an integer >= 2", n,
                                 hint="ln 1 = 0, so log10(ln n) is undefined for n = 1")
    return int(n)


def log10_width_threshold(cond_d: Any, n: int) -> mpmath.mpf:
    """log10 m = 6 log10 kappa_d + log10 n + log10(ln n)   (c = 1, natural log).

    cond_d: kappa_d(G) >= 1 as mpf, float, int, Fraction or decimal string ("1e30").
    n: number of data points, an integer >= 2.  Returns an mpf with 50 digits.
    InputError: cond_d < 1 or NaN or non-numeric; n < 2 (ln 1 = 0 makes log10(ln n)
    undefined) or not an integer.  NumericalError: cond_d infinite (rank-deficient data:
    the threshold is unbounded).
    """
    k, nn = _kappa(cond_d), _n(n)
    with mpmath.workdps(_DPS):
        return 6 * mpmath.log10(k) + mpmath.log10(nn) + mpmath.log10(mpmath.log(nn))


def width_threshold(cond_d: Any, n: int) -> mpmath.mpf:
    """m = kappa_d^6 * n * ln n   (c = 1) as an mpf with 50 digits (never overflows).

    Same arguments and errors as :func:`log10_width_threshold`.
    """
    k, nn = _kappa(cond_d), _n(n)
    with mpmath.workdps(_DPS):
        return k**6 * nn * mpmath.log(nn)
