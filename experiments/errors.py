"""The project's error vocabulary, re-exported from :mod:`pyverify.errors`.

``pyverify`` owns the classes so that the reference layer never imports ``experiments``.
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
