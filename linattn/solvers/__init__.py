"""SPD solves at sizes where an n×n factorization is too big.

* :mod:`linattn.solvers.operator`: :class:`KernelOperator` (kernel blocks on the fly);
* :mod:`linattn.solvers.pcg`: :func:`solve_spd` (dense Cholesky with refinement, or block
  preconditioned CG), :func:`nystrom_approx`, :func:`approx_influence`;
* :mod:`linattn.solvers.precond`: randomized Nyström and pivoted-Cholesky approximations
  and the Nyström preconditioner;
* :mod:`linattn.solvers.keops`: the optional KeOps backend of the ReLU-NTK operator.
"""

from linattn.solvers.operator import KernelOperator, Matrix
from linattn.solvers.pcg import (
    ApproxInfluence,
    SolveResult,
    approx_influence,
    nystrom_approx,
    solve_spd,
)
from linattn.solvers.precond import NystromApprox

__all__ = [
    "ApproxInfluence",
    "KernelOperator",
    "Matrix",
    "NystromApprox",
    "SolveResult",
    "approx_influence",
    "nystrom_approx",
    "solve_spd",
]
