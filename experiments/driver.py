"""The command line of one runnable experiment and the run of an experiment's units.

``python -m experiments.<name> [--smoke|--quick|--full] [--data-dir D] ...`` builds the
module's Config (:func:`experiments.config.make_config`), runs its units
(:func:`run_experiment`) and writes ``<results>/<run-id>/<NAME>/{summary.json, section.md}``
and its figures.  The module contract is :class:`experiments.config.Experiment`.

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
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from experiments.config import PRESETS, Common, check_module, check_summary, make_config
from experiments.render import render_section
from experiments.runner import (
    atomic_write_bytes,
    atomic_write_json,
    config_hash,
    dumps,
    run_units,
)
from pyverify.errors import ConfigError, DataError, LinAttnError

__all__ = [
    "base_parser",
    "cli_main",
    "common_from_args",
    "default_run_dir",
    "main",
    "run_experiment",
]

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
    from linattn import data

    if args.datasets:
        datasets = tuple(s.strip() for s in args.datasets.split(",") if s.strip())
    else:
        datasets = ("digits",)
        if args.data_dir is not None:
            if not Path(args.data_dir).is_dir():
                raise DataError.for_arg("--data-dir", "must be an existing folder",
                                        args.data_dir)
            datasets += tuple(n for n in ("mnist", "cifar10")
                              if data.dataset_available(n, args.data_dir))
    for name in datasets:
        if name not in data.DATASETS:
            raise ConfigError.for_arg("--datasets", f"unknown dataset; valid: {data.DATASETS}",
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
    ``<run_dir>/<NAME>/section.md``; returns ``{"summary", "figures", "section"}``.  The
    section is rendered from the summary as stored (after a JSON round trip), by the same
    function that renders report.md from results.json.
    """
    check_module(module)
    units = module.plan(cfg)
    records = run_units(run_dir, units, lambda u: module.run_unit(cfg, u), config=cfg,
                        desc=module.NAME, progress=progress)
    summary = json.loads(dumps(module.summarize(cfg, records)))
    check_summary(module, summary)
    fig_dir = run_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    figs = [f"figures/{f}" for f in module.figures(summary, fig_dir)]
    section = render_section(module, summary, figs)
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


def main(module: ModuleType, argv: Sequence[str] | None = None) -> int:
    """The command line of one runnable experiment module: ``python -m experiments.<name>``."""
    spec = getattr(module, "__spec__", None)
    name = spec.name if spec is not None else module.__name__  # "__main__" under python -m
    parser = base_parser(f"python -m {name}", module.TITLE)

    def body(args: argparse.Namespace) -> int:
        check_module(module)
        cfg = make_config(module, **dataclasses.asdict(common_from_args(args)))
        run_dir = default_run_dir(args, cfg)
        out = run_experiment(module, cfg, run_dir, progress=not args.no_progress)
        digest = hashlib.sha256(out["section"].encode()).hexdigest()[:12]
        print(f"{module.NAME}: wrote {run_dir / module.NAME / 'section.md'} (sha256 {digest})")
        return 0

    return cli_main(body, parser, argv)
