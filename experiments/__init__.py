"""experiments: torch implementations and the runnable experiments of linattn.

Library modules (import these; they never import the runnable experiments or the report):

* :mod:`experiments.kernels` -- G = X Xᵀ, C = Xᵀ X, the linearized-attention kernel
  K = G³ = X C² Xᵀ (Theorem 4.1) and its feature map;
* :mod:`experiments.spectrum` -- spectra of G through the d x d dual, κ, κ_d, κ(G³), the
  width threshold (Theorem 4.7);
* :mod:`experiments.ntk` -- infinite-width ReLU / MLP-Attn NTKs, the two networks, the
  empirical NTK;
* :mod:`experiments.influence`, :mod:`experiments.malleability` -- kernel ridge
  regression, influence matrices, leave-one-out residuals, influence malleability;
* :mod:`experiments.checks` -- the numerical gates of the paper's Appendix A.8;
* :mod:`experiments.solvers` -- preconditioned CG, Nyström, on-the-fly kernel operators;
* :mod:`experiments.qkv` -- random trainable-QKV linear attention;
* :mod:`experiments.data` -- digits, MNIST and CIFAR-10 loaders;
* :mod:`experiments.errors` -- the project's exceptions.

``malleability`` is not re-exported at package level: the name is the submodule
(``experiments.malleability.malleability``, also ``experiments.influence.malleability``).

Runnable experiments: ``python -m experiments`` (the main job and report) and
``python -m experiments.<name> --help`` for ``correspondence``, ``spectral_table``,
``ntk_convergence``, ``influence_malleability``, ``qkv_extension``, ``cubing_precision``,
``learning_dynamics``.
"""

from experiments.checks import KernelHealth, check_inverse, check_kernel
from experiments.data import Dataset, Preprocess, load_dataset, load_split
from experiments.errors import (
    ConfigError,
    DataError,
    InputError,
    KernelHealthError,
    LinAttnError,
    NumericalError,
)
from experiments.influence import (
    influence_matrix,
    kernel_ridge,
    linattn_influence,
    loo_residuals,
)
from experiments.kernels import (
    attention_map,
    gram,
    kernel_double_sum,
    linattn_features,
    linattn_kernel,
)
from experiments.ntk import (
    MLPAttn,
    TwoLayerReLU,
    empirical_ntk,
    mlp_attn_ntk,
    relu_ntk,
    relu_ntk_closed_form,
)
from experiments.spectrum import SpectralStats, accumulate_gram_dual, spectral_stats

__all__ = [
    "ConfigError",
    "DataError",
    "Dataset",
    "InputError",
    "KernelHealth",
    "KernelHealthError",
    "LinAttnError",
    "MLPAttn",
    "NumericalError",
    "Preprocess",
    "SpectralStats",
    "TwoLayerReLU",
    "accumulate_gram_dual",
    "attention_map",
    "check_inverse",
    "check_kernel",
    "empirical_ntk",
    "gram",
    "influence_matrix",
    "kernel_double_sum",
    "kernel_ridge",
    "linattn_features",
    "linattn_influence",
    "linattn_kernel",
    "load_dataset",
    "load_split",
    "loo_residuals",
    "mlp_attn_ntk",
    "relu_ntk",
    "relu_ntk_closed_form",
    "spectral_stats",
]
