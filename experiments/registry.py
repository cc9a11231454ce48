"""The experiments of the main job, in report order, and how they are loaded by name.

Experiment modules never import the driver, the report or this registry (see
:mod:`experiments.config`), so loading them here by name creates no import cycle.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["ORDER", "load_module", "load_modules"]

ORDER = ("correspondence", "spectral_table", "ntk_convergence", "influence_malleability",
         "malleability_gap", "qkv_extension", "cubing_precision", "learning_dynamics",
         "softmax_attention", "multihead_layernorm", "trainable_qkv")
"""The experiments of the main job, in report order."""


def load_module(name: str) -> tuple[ModuleType | None, str, str]:
    """Import ``experiments.<name>``: ``(module, "ok", "")``, or ``(None, status, reason)``
    with status ``"missing"`` (the module does not exist) or ``"failed"`` (it exists but
    its import raised, e.g. it needs a module that does not exist)."""
    full = f"experiments.{name}"
    try:
        return importlib.import_module(full), "ok", ""
    except ModuleNotFoundError as exc:
        if exc.name == full:
            return None, "missing", f"module {full} does not exist yet"
        return None, "failed", f"import of {full} failed: {type(exc).__name__}: {exc}"
    except Exception as exc:
        return None, "failed", f"import of {full} failed: {type(exc).__name__}: {exc}"


def load_modules(names: tuple[str, ...] | list[str]) -> dict[str, ModuleType]:
    """The modules of ``names`` that import (the others are left out)."""
    out = {}
    for name in names:
        mod, _, _ = load_module(name)
        if mod is not None:
            out[name] = mod
    return out
