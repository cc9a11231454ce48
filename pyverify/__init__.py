"""pyverify: the exact (sympy) and high-precision (mpmath) reference layer of linattn.

Never imports torch or ``experiments``: a reference must stay independent of what it
checks.  The public API is listed in ``__all__``.
"""

from pyverify.errors import (
    ConfigError,
    DataError,
    InputError,
    KernelHealthError,
    LinAttnError,
    NumericalError,
)

__all__ = [
    "ConfigError",
    "DataError",
    "InputError",
    "KernelHealthError",
    "LinAttnError",
    "NumericalError",
]
