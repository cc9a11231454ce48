"""pyverify: the exact (sympy) and high-precision (mpmath) reference layer of linattn.

Never imports torch or ``experiments``: a reference must stay independent of what it
checks.  The public API is listed in ``__all__``.

Modules: ``kernel`` (G, C, K = G^3 and its forms, Theorem 4.1; claim
``kernel-correspondence``), ``spectrum`` (eigenvalues, 2-norm kappa, kappa_d,
kappa(G^3) = kappa(G)^3, Theorem 4.7; claims ``spectral-form``, ``cond-amplification``),
``width`` (width threshold kappa_d^6 n ln n in log10; claim ``width-bound``),
``sensitivity`` (Prop. 4.5, typed form; claim ``sensitivity``), ``matrix`` (input
coercion/validation), ``tolerance`` (the one tolerance table) and ``errors`` (the project's
one error vocabulary; its only import path).  ``lean`` checks the Lean proofs.  The
manifest ``manifest.toml`` ties every claim id to its Lean theorems, these functions, the
torch functions of ``linattn``, the experiment and the tests.
"""

from pyverify.errors import (
    ConfigError,
    DataError,
    InputError,
    KernelHealthError,
    LinAttnError,
    NumericalError,
)
from pyverify.kernel import (
    attention_map,
    check_kernel_correspondence,
    gram,
    kernel_attention_form,
    kernel_double_sum,
    kernel_gram_cube,
    linattn_features,
    linattn_kernel,
    symbolic_kernel_identity,
)
from pyverify.matrix import as_exact_matrix, as_exact_vector, as_mp_matrix
from pyverify.sensitivity import (
    check_sensitivity,
    kernel_difference,
    kernel_value,
    sensitivity_bound,
    sensitivity_vector,
)
from pyverify.spectrum import (
    SpectralStats,
    check_cond_cubed,
    cond,
    cond_d,
    eigenvalues,
    numerical_rank,
    spectral_stats,
)
from pyverify.width import log10_width_threshold, width_threshold

__all__ = [
    "ConfigError",
    "DataError",
    "InputError",
    "KernelHealthError",
    "LinAttnError",
    "NumericalError",
    "SpectralStats",
    "as_exact_matrix",
    "as_exact_vector",
    "as_mp_matrix",
    "attention_map",
    "check_cond_cubed",
    "check_kernel_correspondence",
    "check_sensitivity",
    "cond",
    "cond_d",
    "eigenvalues",
    "gram",
    "kernel_attention_form",
    "kernel_difference",
    "kernel_double_sum",
    "kernel_gram_cube",
    "kernel_value",
    "linattn_features",
    "linattn_kernel",
    "log10_width_threshold",
    "numerical_rank",
    "sensitivity_bound",
    "sensitivity_vector",
    "spectral_stats",
    "symbolic_kernel_identity",
    "width_threshold",
]
