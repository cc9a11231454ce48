"""Input coercion and validation for the exact reference layer.

Every public ``pyverify`` function that takes a matrix or vector passes it through this
module first.  Accepted containers: nested lists/tuples, numpy arrays (and anything with
``__array__``), ``sympy`` matrices and ``mpmath`` matrices.  Accepted entries: ``int``,
``fractions.Fraction``, ``decimal.Decimal``, ``float`` (any numpy float width),
``mpmath.mpf``, sympy ``Rational``/``Float``, and - only where symbolic input makes sense -
other sympy expressions (symbols, ``sqrt(2)``, ...).

Floats are converted EXACTLY: ``0.1`` becomes 3602879701896397/36028797018963968, the
binary value the float really holds (``float.as_integer_ratio``), never a "nice" rational
guessed by ``nsimplify``.  So the exact layer checks the very numbers a float64 code sees.

Rejected, with :class:`~pyverify.errors.InputError` naming the argument: not 2-D (0-D,
1-D, 3-D), empty (0 rows or 0 columns), ragged nested lists, NaN or +-Inf entries,
non-numeric entries (``str``, ``None``, ``bool``, arbitrary objects), complex entries.

Internally numeric matrices are held as :class:`ScaledInt`: an integer
:class:`~sympy.polys.matrices.DomainMatrix` ``num`` and one positive integer ``den`` with
``X = num / den``.  Integer matrix products are ~40x faster than products over ``QQ``
(no gcd per operation), which makes exact Gram matrices of real image subsets
(100 x 784) take a fraction of a second.
"""

from __future__ import annotations

import decimal
import math
import numbers
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy
from sympy import ZZ
from sympy.polys.matrices import DomainMatrix

from pyverify.errors import InputError

__all__ = [
    "ScaledInt",
    "as_exact_matrix",
    "as_exact_scalar",
    "as_exact_vector",
    "as_mp_matrix",
    "as_scaled_int",
    "check_dps",
    "check_real_dtype",
]

_Entry = Fraction | sympy.Expr


@dataclass(frozen=True)
class ScaledInt:
    """An exact rational matrix ``num / den``: ``num`` an integer DomainMatrix, ``den > 0``."""

    num: DomainMatrix
    den: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.num.shape

    def __matmul__(self, other: ScaledInt) -> ScaledInt:
        return ScaledInt(self.num * other.num, self.den * other.den)

    @property
    def T(self) -> ScaledInt:
        return ScaledInt(self.num.transpose(), self.den)

    def fractions(self) -> list[list[Fraction]]:
        """Entries as reduced :class:`fractions.Fraction` (row-major nested lists)."""
        return [[Fraction(int(v), self.den) for v in row] for row in self.num.to_list()]

    def to_sympy(self) -> sympy.Matrix:
        rows = self.num.to_list()
        den = self.den
        return sympy.Matrix([[sympy.Rational(int(v), den) for v in row] for row in rows])

    def to_mp(self, dps: int) -> mpmath.matrix:
        """Round each entry to an mpf at ``dps`` decimal digits (one rounding per entry)."""
        with mpmath.workdps(dps):
            den = mpmath.mpf(self.den)
            return mpmath.matrix([[mpmath.mpf(int(v)) / den for v in row]
                                  for row in self.num.to_list()])


def _is_seq(obj: Any) -> bool:
    return isinstance(obj, list | tuple | np.ndarray | sympy.MatrixBase)


def _raw_rows(X: Any, name: str) -> list[list[Any]]:
    """Nested row lists of raw entries, after the shape checks (2-D, non-empty, not ragged)."""
    if isinstance(X, sympy.MatrixBase):
        if X.rows == 0 or X.cols == 0:
            raise InputError.for_arg(name, "must be non-empty (no zero-size dimension)", X.shape)
        return X.tolist()
    if isinstance(X, mpmath.matrix):
        if X.rows == 0 or X.cols == 0:
            raise InputError.for_arg(name, "must be non-empty (no zero-size dimension)",
                                     (X.rows, X.cols))
        return [[X[i, j] for j in range(X.cols)] for i in range(X.rows)]
    if isinstance(X, str | bytes) or X is None or isinstance(X, dict | set):
        raise InputError.for_arg(name, "must be a 2-D numeric array-like", type(X).__name__)
    if not isinstance(X, list | tuple):
        if not (isinstance(X, np.ndarray) or hasattr(X, "__array__")):
            raise InputError.for_arg(name, "must be 2-D", 0,
                                     hint=f"a scalar of type {type(X).__name__} was given")
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise InputError.for_arg(name, "must be 2-D", arr.ndim)
        if arr.size == 0:
            raise InputError.for_arg(name, "must be non-empty (no zero-size dimension)",
                                     arr.shape)
        check_real_dtype(arr.dtype, name, allow_object=True)
        return [list(row) for row in arr]  # keeps numpy scalars (float32/longdouble exact)
    if len(X) == 0:
        raise InputError.for_arg(name, "must be non-empty (no zero-size dimension)", "0 rows")
    rows: list[list[Any]] = []
    for i, row in enumerate(X):
        if not _is_seq(row):
            if all(not _is_seq(r) for r in X):
                raise InputError.for_arg(name, "must be 2-D", 1,
                                         hint=f"a flat sequence of length {len(X)} was given")
            raise InputError.for_arg(name, "must not be ragged: every row a sequence",
                                     f"row {i} is {type(row).__name__}")
        if isinstance(row, np.ndarray) and row.ndim != 1:
            raise InputError.for_arg(name, "must be 2-D", row.ndim + 1)
        entries = list(row)
        for entry in entries:
            if _is_seq(entry):
                raise InputError.for_arg(name, "must be 2-D", 3,
                                         hint=f"row {i} holds a nested sequence")
        rows.append(entries)
    lengths = [len(r) for r in rows]
    if len(set(lengths)) != 1:
        raise InputError.for_arg(name, "must not be ragged: rows of equal length", lengths)
    if lengths[0] == 0:
        raise InputError.for_arg(name, "must be non-empty (no zero-size dimension)",
                                 f"{len(rows)} rows of 0 columns")
    return rows


def _non_finite(name: str, where: str, value: Any) -> InputError:
    kind = "NaN" if value != value else "Inf"
    return InputError.for_arg(name, f"{where} must be finite, not NaN/Inf", kind)


def as_exact_scalar(v: Any, name: str = "value", *, where: str = "value",
                    allow_symbols: bool = False) -> _Entry:
    """One entry as an exact :class:`Fraction` (numbers) or sympy expression (symbolic).

    ``where`` names the position in messages (``"entry [1, 2]"``).  Floats convert to their
    exact binary value.  Raises InputError for bool, str, None, complex, NaN/Inf, other
    objects, and (unless ``allow_symbols``) for non-rational sympy expressions.
    """
    if isinstance(v, bool | np.bool_):
        raise InputError.for_arg(name, f"{where} must be a real number, not bool", v)
    if isinstance(v, numbers.Integral):
        return Fraction(int(v))
    if isinstance(v, Fraction):
        return v
    if isinstance(v, float | np.floating):
        if not math.isfinite(float(v)) and not (isinstance(v, np.floating) and np.isfinite(v)):
            raise _non_finite(name, where, float(v))
        return Fraction(*v.as_integer_ratio())
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            raise _non_finite(name, where, float(v))
        return Fraction(v)
    if isinstance(v, mpmath.mpf):
        if not mpmath.isfinite(v):
            raise _non_finite(name, where, float(v))
        man, exp = v.man_exp
        return Fraction(man) * Fraction(2) ** exp
    if isinstance(v, sympy.Expr):
        if v.has(sympy.nan):
            raise _non_finite(name, where, float("nan"))
        if v.has(sympy.oo, -sympy.oo, sympy.zoo):
            raise _non_finite(name, where, float("inf"))
        if v.is_Rational:
            return Fraction(int(v.p), int(v.q))
        if v.is_Float:
            r = sympy.Rational(v)
            return Fraction(int(r.p), int(r.q))
        if v.is_real is False:
            raise InputError.for_arg(name, f"{where} must be real, not complex", v)
        if not allow_symbols:
            raise InputError.for_arg(name, f"{where} must be a rational or float number, "
                                     "not a symbolic/irrational expression", v)
        return v
    if isinstance(v, complex | np.complexfloating | mpmath.mpc):
        raise InputError.for_arg(name, f"{where} must be real, not complex", v)
    raise InputError.for_arg(name, f"{where} must be a real number, not {type(v).__name__}", v)


def _exact_rows(X: Any, name: str, allow_symbols: bool) -> list[list[_Entry]]:
    rows = _raw_rows(X, name)
    return [[as_exact_scalar(v, name, where=f"entry [{i}, {j}]", allow_symbols=allow_symbols)
             for j, v in enumerate(row)] for i, row in enumerate(rows)]


def _scaled_from_fractions(rows: list[list[Fraction]]) -> ScaledInt:
    den = math.lcm(*(f.denominator for row in rows for f in row))
    num = [[f.numerator * (den // f.denominator) for f in row] for row in rows]
    return ScaledInt(DomainMatrix([[ZZ(v) for v in row] for row in num],
                                  (len(num), len(num[0])), ZZ), den)


def coerce(X: Any, name: str = "X", *, allow_symbols: bool = True) -> ScaledInt | sympy.Matrix:
    """Validated exact form: :class:`ScaledInt` when every entry is a number, else (symbolic
    input, ``allow_symbols``) a sympy Matrix."""
    if isinstance(X, ScaledInt):
        return X
    rows = _exact_rows(X, name, allow_symbols)
    if all(isinstance(v, Fraction) for row in rows for v in row):
        return _scaled_from_fractions(rows)  # type: ignore[arg-type]
    return sympy.Matrix([[sympy.Rational(v.numerator, v.denominator)
                          if isinstance(v, Fraction) else v for v in row] for row in rows])


def as_exact_matrix(X: Any, name: str = "X", *, allow_symbols: bool = True) -> sympy.Matrix:
    """``X`` as an exact ``sympy.Matrix`` (entries Rational, or expressions if symbolic).

    X: (n, d) array-like.  Floats convert exactly (``sympy.Rational`` of the binary value).
    Raises InputError naming ``name`` for any invalid input (see module docstring).
    """
    c = coerce(X, name, allow_symbols=allow_symbols)
    return c.to_sympy() if isinstance(c, ScaledInt) else c


def as_scaled_int(X: Any, name: str = "X") -> ScaledInt:
    """``X`` as an exact :class:`ScaledInt` ``num / den``; symbolic entries are rejected."""
    c = coerce(X, name, allow_symbols=False)
    assert isinstance(c, ScaledInt)
    return c


def as_mp_matrix(X: Any, name: str = "X", dps: int = 50) -> mpmath.matrix:
    """``X`` as an ``mpmath.matrix`` whose entries are the exact input values rounded once to
    ``dps`` decimal digits.  Symbolic entries are rejected (InputError)."""
    return as_scaled_int(X, name).to_mp(check_dps(dps))


def as_exact_vector(v: Any, name: str = "y", *, length: int | None = None,
                    allow_symbols: bool = True) -> sympy.Matrix:
    """A vector as an exact sympy column matrix (length, 1).

    Accepts a 1-D sequence/array, or a 2-D (k, 1) / (1, k) matrix.  ``length`` (the data
    dimension d) is checked when given.
    """
    if isinstance(v, sympy.MatrixBase | mpmath.matrix) or (
        isinstance(v, np.ndarray) and v.ndim == 2
    ):
        rows = _raw_rows(v, name)
        if len(rows) != 1 and len(rows[0]) != 1:
            raise InputError.for_arg(name, "must be a vector (1-D, or 2-D with one row or "
                                     "column)", (len(rows), len(rows[0])))
        flat = [e for row in rows for e in row]
    else:
        if isinstance(v, str | bytes) or not (_is_seq(v) or hasattr(v, "__array__")):
            raise InputError.for_arg(name, "must be 1-D", 0,
                                     hint=f"a scalar of type {type(v).__name__} was given")
        if not isinstance(v, list | tuple):
            v = np.asarray(v)
            if v.ndim != 1:
                raise InputError.for_arg(name, "must be 1-D", v.ndim)
            if v.dtype.kind == "b":
                raise InputError.for_arg(name, "must be numeric, not boolean", str(v.dtype))
        flat = list(v)
        if any(_is_seq(e) for e in flat):
            raise InputError.for_arg(name, "must be 1-D", 2)
        if not flat:
            raise InputError.for_arg(name, "must be non-empty", "length 0")
    if length is not None and len(flat) != length:
        raise InputError.for_arg(name, f"must have length d = {length} to match X", len(flat))
    out = []
    for i, e in enumerate(flat):
        x = as_exact_scalar(e, name, where=f"entry [{i}]", allow_symbols=allow_symbols)
        out.append(sympy.Rational(x.numerator, x.denominator) if isinstance(x, Fraction) else x)
    return sympy.Matrix(out)


def check_real_dtype(dtype: Any, name: str, *, allow_object: bool = False) -> None:
    """InputError naming ``name`` unless the numpy ``dtype`` is real numeric (integer or
    float; object arrays of exact numbers too when ``allow_object``): bool, complex,
    strings and bytes are refused.  Shared by the exact layer and :mod:`linattn.validate`."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        raise InputError.for_arg(name, "must be numeric, not boolean", str(dtype))
    if kind == "c":
        raise InputError.for_arg(name, "must be real, not complex", str(dtype))
    if kind not in ("iufO" if allow_object else "iuf"):
        raise InputError.for_arg(name, "must be numeric (a real numeric dtype)", str(dtype))


def check_dps(dps: Any) -> int:
    """An mpmath working precision in decimal digits, an integer in [15, 300]; InputError
    naming ``dps`` otherwise."""
    if isinstance(dps, bool) or not isinstance(dps, numbers.Integral) or not 15 <= dps <= 300:
        raise InputError.for_arg("dps", "must be an integer in [15, 300] (decimal digits)",
                                 dps)
    return int(dps)
