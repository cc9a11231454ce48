"""The shared command line and driver of the runnable experiment modules.

Every runnable module ``experiments.<name>`` follows one contract:

``NAME``, ``TITLE``
    identifiers used for folders, ``results.json`` keys and report headings;
``Config``
    a frozen dataclass holding every setting, with the :class:`Common` fields
    (``datasets``, ``seeds``, ``data_dir``, ``device``, ``preset``) and a classmethod
    ``preset(preset="quick", **overrides)`` that fills the remaining fields for
    ``"smoke"`` (tests, seconds), ``"quick"`` (the main job's default, minutes on 2 cores)
    and ``"full"``;
``plan(cfg) -> list[Unit]``, ``run_unit(cfg, unit) -> dict``
    the units and the computation of one unit (deterministic given the unit's seed);
``summarize(cfg, records) -> dict``
    every number the section shows (JSON-able);
``figures(summary, fig_dir) -> list[str]`` and ``section(summary, figs) -> str``
    PNG files written to ``fig_dir`` and the markdown section (numbers only from
    ``summary``; figure paths relative to the run directory);
``add_arguments(parser)`` (optional) and ``main(argv=None) -> int``
    module-specific options; ``main`` is ``experiment_main(sys.modules[__name__], argv)``.

Errors of the project (:class:`~pyverify.errors.LinAttnError`) become one clear line on
stderr and exit status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from experiments._runner import (
    atomic_write_bytes,
    atomic_write_json,
    config_hash,
    dumps,
    run_units,
)
from pyverify.errors import ConfigError, LinAttnError

__all__ = [
    "PRESETS",
    "Common",
    "base_parser",
    "cli_main",
    "common_from_args",
    "default_run_dir",
    "experiment_main",
    "preset_config",
    "run_experiment",
]

PRESETS = ("smoke", "quick", "full")


@dataclasses.dataclass(frozen=True)
class Common:
    """Settings shared by every experiment (embedded in each ``Config``)."""

    preset: str = "quick"
    datasets: tuple[str, ...] = ("digits",)
    seeds: tuple[int, ...] = (0, 1, 2)
    data_dir: str | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError.for_arg("preset", f"must be one of {PRESETS}", self.preset)
        if not self.seeds:
            raise ConfigError.for_arg("seeds", "must name at least one seed", self.seeds)
        if not self.device.startswith(("cpu", "cuda")):
            raise ConfigError.for_arg("device", "must be 'cpu' or 'cuda[:k]'", self.device)


def preset_config(cls: type, sizes: Mapping[str, Mapping[str, Any]], preset: str,
                  overrides: Mapping[str, Any]) -> Any:
    """``cls(**sizes[preset], preset=preset, **overrides)``: the body of every experiment's
    ``Config.preset``; an unknown preset -> ConfigError."""
    if preset not in sizes:
        raise ConfigError.for_arg("preset", f"must be one of {tuple(sizes)}", preset)
    return cls(**{**sizes[preset], "preset": preset, **overrides})


def base_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """Parser with the options every experiment and the main job share."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    g = p.add_mutually_exclusive_group()
    for name in PRESETS:
        g.add_argument(f"--{name}", dest="preset", action="store_const", const=name,
                       help=f"use the '{name}' preset")
    p.set_defaults(preset="quick")
    p.add_argument("--data-dir", default=None,
                   help="folder with MNIST IDX files and/or cifar-10-batches-py (adds those "
                        "datasets to the run)")
    p.add_argument("--datasets", default=None,
                   help="comma-separated datasets (digits,mnist,cifar10); default: digits, plus "
                        "those found in --data-dir")
    p.add_argument("--seeds", default=None, help="comma-separated integer seeds")
    p.add_argument("--device", default="cpu", help="cpu or cuda (where available)")
    p.add_argument("--run-id", default=None,
                   help="name of the run folder under --results; the same id resumes a run "
                        "(default: preset plus a hash of the configuration)")
    p.add_argument("--results", default="results", help="parent folder of run folders")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    return p


def _int_list(text: str, name: str) -> tuple[int, ...]:
    try:
        return tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise ConfigError.for_arg(name, "must be comma-separated integers", text) from None


def common_from_args(args: argparse.Namespace) -> Common:
    """Build :class:`Common` from parsed arguments (datasets default: digits + found data)."""
    from experiments import data as _data

    if args.datasets:
        datasets = tuple(s.strip() for s in args.datasets.split(",") if s.strip())
    else:
        datasets = ("digits",)
        if args.data_dir is not None:
            if not Path(args.data_dir).is_dir():
                from pyverify.errors import DataError

                raise DataError.for_arg("--data-dir", "must be an existing folder",
                                        args.data_dir)
            datasets += tuple(n for n in ("mnist", "cifar10")
                              if _data.dataset_available(n, args.data_dir))
    for name in datasets:
        if name not in _data.DATASETS:
            raise ConfigError.for_arg("--datasets", f"unknown dataset; valid: {_data.DATASETS}",
                                      name)
    kw: dict[str, Any] = {"preset": args.preset, "datasets": datasets,
                          "data_dir": args.data_dir, "device": args.device}
    if args.seeds:
        kw["seeds"] = _int_list(args.seeds, "--seeds")
    return Common(**kw)


def default_run_dir(args: argparse.Namespace, cfg: Any) -> Path:
    """``<results>/<run-id>``; the default id is ``<preset>-<hash of config>`` so that the
    same command resumes the same run."""
    run_id = args.run_id or f"{args.preset}-{config_hash(cfg)[:10]}"
    return Path(args.results) / run_id


def run_experiment(module: ModuleType, cfg: Any, run_dir: Path, *,
                   progress: bool = True) -> dict[str, Any]:
    """plan -> run_units -> summarize -> figures -> section, for one experiment module.

    Writes ``<run_dir>/<NAME>/summary.json``, its figures under ``<run_dir>/figures/`` and
    ``<run_dir>/<NAME>/section.md``; returns ``{"summary", "figures", "section"}``.
    """
    units = module.plan(cfg)
    records = run_units(run_dir, units, lambda u: module.run_unit(cfg, u), config=cfg,
                        desc=module.NAME, progress=progress)
    # Round-trip through JSON so the section and figures are rendered from exactly what
    # results.json stores (tuples -> lists, numpy scalars -> floats, inf -> "inf").
    summary = json.loads(dumps(module.summarize(cfg, records)))
    fig_dir = run_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    figs = [f"figures/{f}" for f in module.figures(summary, fig_dir)]
    section = module.section(summary, figs)
    atomic_write_json(run_dir / module.NAME / "summary.json",
                      {"config": cfg, "summary": summary, "figures": figs})
    atomic_write_bytes(run_dir / module.NAME / "section.md", section.encode())
    return {"summary": summary, "figures": figs, "section": section}


def cli_main(body: Callable[[argparse.Namespace], int], parser: argparse.ArgumentParser,
             argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run ``body``; project errors -> one line on stderr, exit 2."""
    args = parser.parse_args(argv)
    try:
        return body(args)
    except LinAttnError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


def experiment_main(module: ModuleType, argv: Sequence[str] | None = None) -> int:
    """The ``main`` of a runnable experiment module (see the module docstring)."""
    spec = getattr(module, "__spec__", None)
    name = spec.name if spec is not None else module.__name__  # "__main__" under python -m
    parser = base_parser(f"python -m {name}", module.TITLE)
    if hasattr(module, "add_arguments"):
        module.add_arguments(parser)

    def body(args: argparse.Namespace) -> int:
        common = common_from_args(args)
        extra = module.config_from_args(args) if hasattr(module, "config_from_args") else {}
        cfg = module.Config.preset(**dataclasses.asdict(common), **extra)
        run_dir = default_run_dir(args, cfg)
        out = run_experiment(module, cfg, run_dir, progress=not args.no_progress)
        digest = hashlib.sha256(out["section"].encode()).hexdigest()[:12]
        print(f"{module.NAME}: wrote {run_dir / module.NAME / 'section.md'} (sha256 {digest})")
        return 0

    return cli_main(body, parser, argv)
