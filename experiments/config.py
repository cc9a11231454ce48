"""The contract of a runnable experiment module and its configuration.

Every runnable module ``experiments.<name>`` satisfies :class:`Experiment` (checked by
:func:`check_module` before it runs) and holds only what is specific to it:

``NAME``, ``TITLE``, ``CLAIM``
    folder/``results.json`` key, report heading, and the manifest claim id it measures
    (optionally ``ALSO_CLAIMS``, further claim ids its section reports on);
``Config``, ``PRESETS``
    a frozen dataclass subclassing :class:`Common` whose defaults ARE the ``quick`` preset,
    and the overrides of the other presets (``{"smoke": {...}, "full": {...}}``, each key a
    Config field);
``plan(cfg)``, ``run_unit(cfg, unit)``
    its units and the computation of one unit (deterministic given the unit);
``summarize(cfg, records)``
    every number its section shows, JSON-able, with ``findings`` and ``disagreements``
    (lists of sentences) and ``verdict`` (``{"status": one of VERDICTS, "sentence": str}``,
    one sentence on the claim for the report's summary);
``figures(summary, fig_dir)``, ``section(summary)``
    its PNG files and the body of its markdown section (numbers only from ``summary``).

What every section shares (figure embeds, the Findings and Disagreements bullets) is added
by :func:`experiments.render.render_section`; the command line and the run by
:mod:`experiments.driver`.  A module ends with
``if __name__ == "__main__": raise SystemExit(driver.main(sys.modules[__name__]))`` (the
driver is imported there only, so that no experiment module depends on the driver or the
report, which depend on the modules).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

from experiments.runner import Unit
from pyverify.errors import ConfigError

__all__ = [
    "PRESETS",
    "VERDICTS",
    "Common",
    "Experiment",
    "check_module",
    "check_summary",
    "make_config",
    "opt",
    "verdict",
]

PRESETS = ("smoke", "quick", "full")
"""``smoke``: tests, seconds; ``quick``: the main job's default (the Config defaults);
``full``: the larger run (see the README for its wall time)."""

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "no comparison")
"""The statuses of an experiment's verdict on its claim."""


def opt(default: Any, help: str) -> Any:
    """A Config field with its command-line help: ``n: int = opt(96, "rows of the subset")``.
    Every field of every experiment's Config carries one (tested); the options of
    ``python -m experiments.<name>`` are generated from them."""
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass(frozen=True)
class Common:
    """Settings shared by every experiment (embedded in each ``Config``)."""

    preset: str = opt("quick", "preset of the sizes: smoke, quick or full")
    datasets: tuple[str, ...] = opt(("digits",), "datasets to run on (built-in names or the "
                                    "stems of --data files)")
    seeds: tuple[int, ...] = opt((0, 1, 2), "seeds (data subsample, weights, attack starts)")
    data_dir: str | None = opt(None, "folder with the MNIST IDX files and cifar-10-batches-py")
    device: str = opt("cpu", "torch device: cpu or cuda[:k]")
    data_files: tuple[tuple[str, str | None], ...] = opt(
        (), "user datasets as (path, labels path or None) pairs (--data, --labels)")

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError.for_arg("preset", f"must be one of {PRESETS}", self.preset)
        if not self.seeds:
            raise ConfigError.for_arg("seeds", "must name at least one seed", self.seeds)
        if not self.device.startswith(("cpu", "cuda")):
            raise ConfigError.for_arg("device", "must be 'cpu' or 'cuda[:k]'", self.device)
        ok = all(isinstance(p, list | tuple) and len(p) == 2 and isinstance(p[0], str)
                 and (p[1] is None or isinstance(p[1], str)) for p in self.data_files)
        if not ok:
            raise ConfigError.for_arg("data_files", "must be (path, labels or None) pairs",
                                      self.data_files)

    def register_data(self) -> list[str]:
        """Register the user datasets of ``data_files`` in this process (so that
        :func:`linattn.data.load_dataset` finds them by name); returns their names."""
        from linattn.data import arrays

        return [arrays.register(arrays.array_source(p, lab)) for p, lab in self.data_files]


@runtime_checkable
class Experiment(Protocol):
    """The contract of a runnable experiment module (see the module docstring)."""

    NAME: str
    TITLE: str
    CLAIM: str
    PRESETS: Mapping[str, Mapping[str, Any]]
    Config: type

    def plan(self, cfg: Any) -> list[Unit]: ...

    def run_unit(self, cfg: Any, unit: Unit) -> dict[str, Any]: ...

    def summarize(self, cfg: Any, records: list[dict[str, Any]]) -> dict[str, Any]: ...

    def figures(self, summary: dict[str, Any], fig_dir: Path) -> list[str]: ...

    def section(self, summary: dict[str, Any]) -> str: ...


def check_module(module: ModuleType) -> Experiment:
    """Return ``module`` if it satisfies :class:`Experiment`; ConfigError naming what is
    missing or wrong otherwise (a Config that is not a frozen Common dataclass, a preset
    that is not smoke/full or that overrides a field Config does not have)."""
    name = getattr(module, "__name__", repr(module))
    missing = [a for a in Experiment.__annotations__ if not hasattr(module, a)]
    missing += [f for f in ("plan", "run_unit", "summarize", "figures", "section")
                if not callable(getattr(module, f, None))]
    if missing:
        raise ConfigError.for_arg("module", f"{name} lacks the experiment contract's "
                                  f"{', '.join(missing)}")
    cfg = module.Config
    if not (dataclasses.is_dataclass(cfg) and isinstance(cfg, type) and issubclass(cfg, Common)):
        raise ConfigError.for_arg("module", f"{name}.Config must be a dataclass subclass of "
                                  "driver.Common", cfg)
    fields = {f.name for f in dataclasses.fields(cfg)}
    for preset, overrides in module.PRESETS.items():
        if preset not in ("smoke", "full"):
            raise ConfigError.for_arg("module", f"{name}.PRESETS may override only 'smoke' "
                                      "and 'full' (the defaults are 'quick')", preset)
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ConfigError.for_arg("module", f"{name}.PRESETS[{preset!r}] names fields "
                                      "Config does not have", unknown)
    return module


def make_config(module: ModuleType, preset: str = "quick", **overrides: Any) -> Any:
    """``Config(**PRESETS[preset], preset=preset, **overrides)`` (quick: the defaults);
    an unknown preset -> ConfigError."""
    if preset not in PRESETS:
        raise ConfigError.for_arg("preset", f"must be one of {PRESETS}", preset)
    return module.Config(**{**module.PRESETS.get(preset, {}), "preset": preset, **overrides})


def check_summary(module: ModuleType, summary: Mapping[str, Any]) -> None:
    """ConfigError unless ``summary`` has the keys every section relies on: ``findings``
    and ``disagreements`` (lists of str) and ``verdict`` (status in :data:`VERDICTS`)."""
    for key in ("findings", "disagreements"):
        val = summary.get(key)
        if not (isinstance(val, list | tuple) and all(isinstance(s, str) for s in val)):
            raise ConfigError.for_arg(f"{module.NAME}.summary[{key!r}]",
                                      "must be a list of sentences", type(val).__name__)
    verdict = summary.get("verdict")
    if not (isinstance(verdict, Mapping) and verdict.get("status") in VERDICTS
            and isinstance(verdict.get("sentence"), str) and verdict["sentence"]):
        raise ConfigError.for_arg(f"{module.NAME}.summary['verdict']",
                                  f"must be {{'status': one of {VERDICTS}, 'sentence': str}}",
                                  verdict)


def verdict(status: str, sentence: str) -> dict[str, str]:
    """``{"status": status, "sentence": sentence}``, the one-sentence outcome of an
    experiment on its claim; ConfigError unless ``status`` is one of :data:`VERDICTS`."""
    if status not in VERDICTS:
        raise ConfigError.for_arg("status", f"must be one of {VERDICTS}", status)
    return {"status": status, "sentence": sentence}
