"""OpenMP wait policy of the torch thread pool, set before torch starts it.

torch's CPU wheels use GNU libgomp.  An idle libgomp worker spins ``GOMP_SPINCOUNT`` times
(default 300,000 when ``OMP_WAIT_POLICY`` is unset) before it sleeps.  On a machine whose
cores are shared with another process that spins too (typically a second torch process)
the spinning threads steal each other's cores.  Measured on the project's 2-core machine
(``python -m benchmarks --only omp_wait_policy``; figures in the README): with a spinning
torch process competing, ``spectral_stats`` at n = 60,000, d = 784 took 13.1 s with the
default policy against 1.2 s with ``OMP_WAIT_POLICY=PASSIVE`` and 1.3 s with
``GOMP_SPINCOUNT=1000``; uncontended, PASSIVE made small LAPACK calls (a 784×784
``eigvalsh``) 2.7× slower while ``GOMP_SPINCOUNT=1000`` kept the default's speed.

So :func:`configure` (called by ``import linattn``) sets ``GOMP_SPINCOUNT=1000`` when neither
variable is set and torch has not been imported yet; libgomp reads the variable once, when
torch loads it.  If torch is already imported with neither variable set, the policy can no
longer change in this process, and :func:`configure` warns once what to set.  A user's own
``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` is never overridden.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["SPINCOUNT", "configure", "policy"]

SPINCOUNT = "1000"
"""``GOMP_SPINCOUNT`` set by :func:`configure`: bounded spinning (see the module docstring)."""

_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
_warned = False


def policy() -> dict[str, str | None]:
    """The OpenMP wait settings of this process's environment (None where unset)."""
    return {name: os.environ.get(name) for name in _VARS}


def configure() -> str:
    """Apply the policy of the module docstring; return what happened: ``"user"`` (the user
    set a variable), ``"set"`` (GOMP_SPINCOUNT set before torch loads) or ``"warned"``
    (torch was imported first; a RuntimeWarning, once per process)."""
    global _warned
    if any(os.environ.get(name) for name in _VARS):
        return "user"
    if "torch" not in sys.modules:
        os.environ["GOMP_SPINCOUNT"] = SPINCOUNT
        return "set"
    if not _warned:
        _warned = True
        warnings.warn(
            "linattn: torch was imported before linattn with neither OMP_WAIT_POLICY nor "
            "GOMP_SPINCOUNT set; idle OpenMP threads will spin, which made linattn's spectra "
            "10-150x slower when another process shares the cores. Set GOMP_SPINCOUNT=1000 "
            "(or OMP_WAIT_POLICY=PASSIVE) in the environment, or import linattn before torch.",
            RuntimeWarning, stacklevel=3)
    return "warned"
