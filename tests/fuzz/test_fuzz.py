"""Fuzz test of every public function.

Every name in ``__all__`` of the modules in :data:`MODULES` is called with arguments built
from its signature by Hypothesis:

* array parameters (``X``, ``Y``, ``K_train``, ``y``, ``keys``, ``eigs``, ...; see
  :data:`ROLES`) get arrays in one of three modes per example:
  ``clean``: the shapes the function expects (shared n, d, m, ...), float64 (sometimes
  float32), small integers or Gaussians scaled by 10^k for k up to +-300, with zero rows,
  duplicated rows and constant columns, PSD kernels built as Z Z^T;
  ``poisoned``: the same with one NaN/+-Inf/1e308 entry;
  ``wild``: any shape (0-d to 3-d, empty dims), any dtype (float16/32/64, int, uint8,
  bool, complex, object, str), any container (numpy, torch, nested list, ragged list,
  scalar, None, str);
* scalar parameters get sensible values or 0, negatives, NaN, +-Inf, 1e300, 1e-300, bools,
  None and strings; enumerations (``method``, ``arch``, ``dtype``, ``check``, ...) get their
  valid values or junk.

Sizes are capped so that nothing legitimately takes long (arrays <= 6 x 6, dps <= 60,
steps/restarts/power iterations <= 3, network width <= 8, n, d <= 2 for the symbolic
identity); each call runs under a 10 s ``SIGALRM`` limit, so a hang is a failure.

Allowed outcomes (:func:`_judge`): a return value whose numbers (tensors, arrays, floats,
mpmath and sympy values, dataclass fields, recursively) contain no NaN/Inf, except the
fields of :data:`INF_ALLOWED`, each with the documented reason; or a raised
:class:`pyverify.errors.LinAttnError`; or a ``TypeError`` with a non-empty message.
Anything else -- an internal ``IndexError``, a torch ``RuntimeError``, a
``ZeroDivisionError``, a message-free ``TypeError``, a silent NaN, a hang -- is recorded
with the function and the input, and the function's test fails listing every distinct
problem (grouped by exception type and message), so one run reports all of them.

The IDX and CIFAR-10 readers are fuzzed on the bytes they parse in
``test_fuzz_parsers.py``; argument strategies live in ``fuzz_args.py``, the judging in
``fuzz_judge.py``.

Examples per function: the profile's ``max_examples`` (``fast`` = 25) for cheap functions,
a third of it for the slow exact/symbolic ones; ``thorough`` runs 20x more.  The total is
printed at the end of the session (``tests/fuzz/conftest.py``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest
from fuzz.fuzz_args import call_args
from fuzz.fuzz_judge import judge, report, short
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# ----------------------------------------------------------------------------- what to fuzz

MODULES = (
    "pyverify.kernel",
    "pyverify.spectrum",
    "pyverify.width",
    "pyverify.sensitivity",
    "pyverify.tolerance",
    "linattn.kernel",
    "linattn.spectrum",
    "linattn.ntk",
    "linattn.finite_width",
    "linattn.opnorm",
    "linattn.widthlaw",
    "linattn.influence",
    "linattn.malleability",
    "linattn.threats",
    "linattn.attribution",
    "linattn.attack",
    "linattn.adjoint",
    "linattn.checks",
    "linattn.solvers",
    "linattn.qkv",
    "linattn.data",
    "linattn.sensitivity",
    "linattn.function_class",
    "pyverify.function_class",
    "linattn.dynamics",
    "linattn.softmax_attention",
    "linattn.kernel_regime",
    "linattn.multihead",
    "linattn.qkv_ntk",
    "linattn.feature_maps",
)

SKIP = {
    # result containers: plain frozen dataclasses filled by the functions that are fuzzed
    "SpectralStats": "result container of spectral_stats (both layers' classes)",
    "GramDual": "result NamedTuple of accumulate_gram_dual",
    "KernelHealth": "result container of check_kernel",
    "InverseHealth": "result container of check_inverse",
    "MalleabilityResult": "result container of estimate_malleability",
    "Sweep": "result container of malleability_sweep",
    "Attack": "result container of run_attacks",
    "Targeted": "result container of run_attacks",
    "FeasibleSet": "built (validated) by feasible_set; its constructor takes its tensors as is",
    "SolveResult": "result container of solve_spd",
    "SymNorm": "result NamedTuple of sym_spectral_norm",
    "SolveInfo": "result container of influence_matrix(return_info=True)",
    "CachedSolve": "result container of solve_cached",
    "RoutePlan": "result container of plan_operator_route",
    "NystromApprox": "result container of nystrom_approx",
    "ApproxInfluence": "result container of approx_influence",
    "QKV": "result container of random_qkv",
    "Landscape": "result container of loss_landscape",
    "TrainResult": "result container of train_gd",
    "Objective": "result container of malleability_objective",
    "KernelRegimeCurve": "result container of kernel_regime",
    # file loaders: their parsers are fuzzed on bytes below (test_fuzz_idx_bytes, ...)
    "load_dataset": "reads files; the IDX/CIFAR parsers are fuzzed on bytes instead",
    "load_split": "reads files; the IDX/CIFAR parsers are fuzzed on bytes instead",
    "dataset_available": "looks at the file system only",
    "available_rows": "reads the dataset's files (tested in tests/linattn/data)",
    "load_arrays": "reads a user's files; good and corrupt files in test_arrays.py",
    "default_data_dir": "no arguments (environment only)",
}

# (qualified function, field path) -> why an infinite value there is documented behaviour
INF_ALLOWED = {
    ("linattn.spectrum.spectral_stats", ".cond_d"):
        "kappa_d = inf when rank < min(n, d), with cond_d_note (module docstring)",
    ("linattn.spectrum.spectral_stats", ".cond"):
        "kappa = inf when X is numerically zero (rank 0)",
    ("linattn.spectrum.spectral_stats", ".cond_cube"):
        "kappa^3 = inf when kappa is inf (rank 0)",
    ("pyverify.spectrum.spectral_stats", ".cond"): "inf with cond_note when X is zero",
    ("pyverify.spectrum.spectral_stats", ".cond_d"): "inf with cond_d_note when rank < r",
    ("pyverify.spectrum.spectral_stats", ".cond_cube"):
        "inf with cond_cube_note when lambda_min(G^3) is below what dps resolves",
    ("linattn.checks.check_inverse", ".cond"):
        "kappa(A) = inf for a singular A, reported in the result",
    ("linattn.checks.check_inverse", ".threshold"):
        "threshold = inf when kappa(A) = inf (no accuracy is promised then)",
    ("linattn.checks.check_kernel", ".max_cond"): "echo of the max_cond argument",
    ("linattn.checks.shifted_cond", "<float>"):
        "kappa = inf when lambda_min + ridge <= 0 (singular or indefinite K + ridge I)",
    ("linattn.checks.check_kernel", ".tau"): "echo of the tau argument",
    **{("linattn.widthlaw.width_bounds", f"[{k!r}]"): why for k, why in (
        ("cond_H", "kappa(H_inf) = inf when lambda_min(H_inf) <= 0 (its bound is then None)"),
        ("cond_H_unit", "kappa = inf when lambda_0 <= 0 (the Du bound is then None)"),
        ("cond_G", "kappa(G) = inf when X is numerically zero (spectral_stats)"),
        ("cond_d_G", "kappa_d = inf when rank(G) < min(n, d), with cond_d_note"))},
}

EXPENSIVE = {  # exact / symbolic / iterative: fewer examples
    "pyverify.kernel", "pyverify.spectrum", "pyverify.sensitivity",
}
EXPENSIVE_FUNCS = {"estimate_malleability", "malleability_sweep", "empirical_ntk",
                   "approx_influence", "solve_spd", "nystrom_approx", "kernel_double_sum",
                   "kernel_regime_curve", "route_check", "solve_cached"}



def _public(module: str) -> list[tuple[str, str, Callable]]:
    mod = importlib.import_module(module)
    out = []
    for name in getattr(mod, "__all__", ()):
        obj = getattr(mod, name)
        if not callable(obj) or name in SKIP:
            continue
        out.append((module, name, obj))
    return out


def _targets() -> list[tuple[str, str, Callable]]:
    seen, out = set(), []
    for m in MODULES:
        for module, name, obj in _public(m):
            key = (getattr(obj, "__module__", module), getattr(obj, "__qualname__", name))
            if key in seen:  # re-exports (kernel.spectral_stats = spectrum.spectral_stats)
                continue
            seen.add(key)
            out.append((module, name, obj))
    return out


TARGETS = _targets()


def _max_examples(module: str, name: str) -> int:
    base = settings.default.max_examples
    if module in EXPENSIVE or name in EXPENSIVE_FUNCS:
        return max(4, base // 3)
    return base


# ----------------------------------------------------------------------------- the tests

@pytest.mark.parametrize(("module", "name", "fn"), TARGETS,
                         ids=[f"{m}.{n}" for m, n, _ in TARGETS])
def test_fuzz_public_function(module, name, fn, fuzz_stats):
    problems: dict[str, tuple[int, str]] = {}
    fuzz_stats["functions"].add(f"{module}.{name}")

    @settings(max_examples=_max_examples(module, name), deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        args, kwargs = data.draw(call_args(module, name, fn), label="args")
        kind, problem = judge(fn, args, kwargs, INF_ALLOWED)
        fuzz_stats["examples"] += 1
        fuzz_stats["outcomes"][kind] = fuzz_stats["outcomes"].get(kind, 0) + 1
        if problem is not None:
            call = ", ".join([*map(short, args), *(f"{k}={short(v)}" for k, v in
                                                    kwargs.items())])
            count, example = problems.get(problem, (0, f"{name}({call})"))
            problems[problem] = (count + 1, example)

    run()
    assert not problems, report(f"{module}.{name}", problems)


def test_every_module_is_fuzzed():
    """The harness covers every public callable of every listed module (or says why not)."""
    names = {n for _, n, _ in TARGETS}
    for m in MODULES:
        mod = importlib.import_module(m)
        for n in mod.__all__:
            obj = getattr(mod, n)
            if callable(obj):
                assert n in names or n in SKIP, f"{m}.{n} is neither fuzzed nor skipped"
    assert len(TARGETS) >= 40
