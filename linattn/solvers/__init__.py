"""SPD solves at sizes where an n×n factorization is too big.

* :mod:`linattn.solvers.operator`: :class:`KernelOperator` (kernel blocks on the fly);
* :mod:`linattn.solvers.pcg`: :func:`solve_spd` (dense Cholesky with refinement, or block
  preconditioned CG), :func:`nystrom_approx`, :func:`approx_influence`;
* :mod:`linattn.solvers.precond`: randomized Nyström and pivoted-Cholesky approximations
  and the Nyström preconditioner;
* :mod:`linattn.solvers.keops`: the optional KeOps backend of the ReLU-NTK operator;
* :mod:`linattn.solvers.cache`: :class:`Float32KernelCache` (K once in float32, by
  symmetry) and :func:`symmetric_matmul` (the exact pass from upper-triangle tiles);
* :mod:`linattn.solvers.refine`: :func:`solve_cached` (float32 cache, RPCholesky-Nyström
  PCG with float64 vectors, float64 iterative refinement; resumable blocks of columns);
* :mod:`linattn.solvers.memory`: :func:`available_memory` and :func:`plan_operator_route`
  (the cached route when it fits, else on the fly);
* :mod:`linattn.solvers.checkpoint`: atomic per-block solution files.
"""

from linattn.solvers.cache import Float32KernelCache, symmetric_matmul
from linattn.solvers.memory import (
    RoutePlan,
    available_memory,
    cached_route_bytes,
    plan_operator_route,
)
from linattn.solvers.operator import KernelOperator, Matrix
from linattn.solvers.pcg import (
    ApproxInfluence,
    SolveResult,
    approx_influence,
    nystrom_approx,
    solve_spd,
)
from linattn.solvers.precond import NystromApprox
from linattn.solvers.refine import CachedSolve, solve_cached

__all__ = [
    "ApproxInfluence",
    "CachedSolve",
    "Float32KernelCache",
    "KernelOperator",
    "Matrix",
    "NystromApprox",
    "RoutePlan",
    "SolveResult",
    "approx_influence",
    "available_memory",
    "cached_route_bytes",
    "nystrom_approx",
    "plan_operator_route",
    "solve_cached",
    "solve_spd",
    "symmetric_matmul",
]
