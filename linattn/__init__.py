"""linattn: the torch library of linattn (``import linattn as la``).

Parameter-free linearized attention maps data ``X: (n, d)`` to ``X Xᵀ X``; its kernel is
``K = G³`` with ``G = X Xᵀ`` (Theorem 4.1 of arXiv 2603.13085).  The modules, one per
mathematical object, each implementing the claims named in ``pyverify/manifest.toml``:

* :mod:`linattn.kernel` -- G, C = XᵀX, K = G³ = X C² Xᵀ and its feature map
  (claim ``kernel-correspondence``);
* :mod:`linattn.spectrum` -- spectra of G through the d×d dual, 2-norm κ, κ_d, κ(G³) and the
  width threshold κ_d⁶ n ln n (``cond-amplification``, ``width-bound``);
* :mod:`linattn.ntk` -- infinite- and finite-width NTKs of the two-layer ReLU network and
  MLP-Attn, the networks, the empirical NTK; :mod:`linattn.finite_width` (H_m from exact
  float32 co-activation counts), :mod:`linattn.opnorm` (Lanczos ‖·‖₂) and
  :mod:`linattn.widthlaw` (m_½ and its law in n, the width bounds) (``ntk-width``);
* :mod:`linattn.influence` -- kernel ridge regression, influence matrices, leave-one-out
  residuals, the one gated SPD solve (dense, PCG, or the float32 cache with float64
  refinement for the full datasets);
* :mod:`linattn.malleability` -- influence malleability M (``malleability-ratio``), with
  its threat models (:mod:`linattn.threats`), attacks (:mod:`linattn.attack`), attribution
  metrics (:mod:`linattn.attribution`) and the ascent's adjoints (:mod:`linattn.adjoint`);
* :mod:`linattn.dynamics` -- gradient-descent training, the loss landscape and the
  empirical-NTK influence along training (``learning-dynamics``); :mod:`linattn.sensitivity`;
* :mod:`linattn.function_class` -- Theorem B.8's function class (``fourth-order-class``);
* :mod:`linattn.qkv` -- random trainable-QKV linear attention (``qkv-extension``);
  :mod:`linattn.qkv_ntk` -- the NTK of trainable-QKV attention and its limit (``qkv-ntk``);
* :mod:`linattn.softmax_attention`, :mod:`linattn.multihead`, :mod:`linattn.feature_maps`,
  :mod:`linattn.kernel_regime` -- beyond the paper: softmax attention, several heads and
  LayerNorm (``softmax-attention``, ``multihead-layernorm``);
* :mod:`linattn.checks` -- the numerical gates of the paper's Appendix A.8;
* :mod:`linattn.solvers` -- kernel operators, preconditioned CG, Nyström, the float32 kernel
  cache with iterative refinement, memory routing, checkpoints, KeOps;
* :mod:`linattn.reduce` -- exact dimension reduction for rotation-invariant computations;
* :mod:`linattn.data` -- digits, MNIST, CIFAR-10 and user arrays (npz, npy, IDX folders);
* :mod:`linattn.validate` -- input validation shared by the modules;
* :mod:`linattn.threads` -- the OpenMP wait policy set at import.

The project's exceptions live in :mod:`pyverify.errors` (their only import path); the exact
reference that every function here is tested against is :mod:`pyverify`.

Threads.  Importing ``linattn`` before torch sets ``GOMP_SPINCOUNT=1000`` for this process
when neither ``GOMP_SPINCOUNT`` nor ``OMP_WAIT_POLICY`` is set (see :mod:`linattn.threads`):
measured on a 2-core machine, an idle OpenMP thread that spins for libgomp's default
(300,000 spins) made ``spectral_stats`` at n = 60,000 11× slower, and a 784×784
``eigvalsh`` 145× slower, whenever a second torch process competed for the cores, while a
bound of 1,000 spins keeps the uncontended speed.  If torch was imported first with neither
variable set, a one-time :class:`RuntimeWarning` says what to set.
"""

from linattn import threads

threads.configure()

from linattn.checks import KernelHealth, check_inverse, check_kernel  # noqa: E402
from linattn.data import Dataset, Preprocess, load_dataset, load_split  # noqa: E402
from linattn.influence import (  # noqa: E402
    influence_matrix,
    kernel_ridge,
    linattn_influence,
    loo_residuals,
)
from linattn.kernel import (  # noqa: E402
    attention_map,
    gram,
    kernel_double_sum,
    linattn_features,
    linattn_kernel,
)
from linattn.malleability import MalleabilityResult, estimate_malleability  # noqa: E402
from linattn.ntk import (  # noqa: E402
    MLPAttn,
    TwoLayerReLU,
    empirical_ntk,
    mlp_attn_ntk,
    relu_ntk,
    relu_ntk_closed_form,
)
from linattn.spectrum import SpectralStats, accumulate_gram_dual, spectral_stats  # noqa: E402

__all__ = [
    "Dataset",
    "KernelHealth",
    "MLPAttn",
    "MalleabilityResult",
    "Preprocess",
    "SpectralStats",
    "TwoLayerReLU",
    "accumulate_gram_dual",
    "attention_map",
    "check_inverse",
    "check_kernel",
    "empirical_ntk",
    "estimate_malleability",
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
