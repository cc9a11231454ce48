"""The project's one error vocabulary.

Every public boundary of ``pyverify`` and ``experiments`` (library functions, loaders,
command-line entry points) raises one of these.  All are ``ValueError`` subclasses so that
callers who catch ``ValueError`` keep working.  Messages follow one pattern::

    <argument>: <condition violated> (got <measured value>)

built by :func:`LinAttnError.for_arg`, so a user sees which argument was wrong, what was
required and what was measured.

``pyverify`` owns this module because dependencies point one way: ``experiments`` imports
``pyverify``, never the reverse.  ``pyverify.errors`` re-exports the same classes.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigError",
    "DataError",
    "InputError",
    "KernelHealthError",
    "LinAttnError",
    "NumericalError",
]


def _fmt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


class LinAttnError(ValueError):
    """Base class of every error this project raises on purpose.

    Attributes ``argument``, ``condition`` and ``value`` are set when the error was built
    with :meth:`for_arg` (``None`` otherwise), so tests and the CLI can inspect them.
    """

    argument: str | None = None
    condition: str | None = None
    value: Any = None

    @classmethod
    def for_arg(cls, argument: str, condition: str, value: Any = None, *, hint: str = ""):
        """Build ``"<argument>: <condition> (got <value>)[; hint]"``."""
        msg = f"{argument}: {condition}"
        if value is not None:
            msg += f" (got {_fmt(value)})"
        if hint:
            msg += f"; {hint}"
        err = cls(msg)
        err.argument, err.condition, err.value = argument, condition, value
        return err


class InputError(LinAttnError):
    """An argument has the wrong shape, dtype, range or contents (NaN/Inf, empty, ...)."""


class NumericalError(LinAttnError):
    """A quantity is undefined or cannot be computed reliably for this input.

    Examples: a condition number with lambda_min <= 0, an eigenvalue residual above its
    tolerance, a float64 result that disagrees with the high-precision cross-check.
    """


class KernelHealthError(NumericalError):
    """A kernel matrix failed one of the numerical gates of the paper's Appendix A.8.

    ``check`` names the gate (``"symmetry"``, ``"psd"``, ``"conditioning"``,
    ``"inversion"``), ``value`` the measured quantity and ``threshold`` the bound.
    """

    check: str | None = None
    threshold: float | None = None

    @classmethod
    def gate(cls, check: str, argument: str, condition: str, value: float, threshold: float):
        err = cls.for_arg(argument, f"kernel gate '{check}' failed: {condition}", value)
        err.check, err.threshold = check, threshold
        return err


class DataError(LinAttnError):
    """A dataset file or directory is missing, truncated, corrupt or inconsistent."""


class ConfigError(LinAttnError):
    """An experiment or CLI option is invalid (unknown dataset, class setting, width <= 0...)."""
