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
from experiments.options import add_config_options, options_of
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
    "dask_run",
    "default_run_dir",
    "experiment_parser",
    "main",
    "run_experiment",
]

class _DataAction(argparse.Action):
    """``--data PATH`` appends ``[PATH, None]``; ``--labels PATH`` fills the last one's labels."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        pairs = list(getattr(namespace, "data", None) or [])
        if option_string == "--labels":
            if not pairs or pairs[-1][1] is not None:
                parser.error(f"--labels: must follow the --data file it labels (got {values})")
            pairs[-1] = [pairs[-1][0], values]
        else:
            pairs.append([values, None])
        namespace.data = pairs


def base_parser(prog: str, description: str, *, add_help: bool = True
                ) -> argparse.ArgumentParser:
    """Parser with the options every experiment and the main job share (a simple-parsing
    parser, so that :func:`experiments.options.add_config_options` can add Config fields)."""
    from simple_parsing import ArgumentParser, DashVariant

    p = ArgumentParser(prog=prog, description=description, add_help=add_help,
                       add_option_string_dash_variants=DashVariant.DASH,
                       add_config_path_arg=False)
    g = p.add_mutually_exclusive_group()
    for name in PRESETS:
        g.add_argument(f"--{name}", dest="preset", action="store_const", const=name,
                       help=f"use the '{name}' preset")
    p.set_defaults(preset="quick")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder with MNIST IDX files and/or cifar-10-batches-py (adds those "
                        "datasets to the run)")
    p.add_argument("--datasets", default=None, metavar="NAMES",
                   help="comma-separated datasets (digits,mnist,cifar10); default: digits, plus "
                        "those found in --data-dir")
    p.add_argument("--data", action=_DataAction, default=None, metavar="PATH",
                   help="your own dataset (repeatable): a .npz with X (and y, X_test, y_test), "
                        "a .npy of X, or a folder of IDX files in MNIST's layout; its name is "
                        "the file's stem")
    p.add_argument("--labels", action=_DataAction, dest="data", metavar="PATH.npy",
                   help="labels (n,) for the .npy given by the preceding --data")
    p.add_argument("--seeds", default=None, metavar="SEEDS",
                   help="comma-separated integer seeds")
    p.add_argument("--device", default="cpu", metavar="DEVICE",
                   help="cpu or cuda (where available)")
    p.add_argument("--run-id", default=None, metavar="ID",
                   help="name of the run folder under --results; the same id resumes a run "
                        "(default: preset plus a hash of the configuration)")
    p.add_argument("--results", default="results", metavar="DIR",
                   help="parent folder of run folders")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="compute the units on a Dask LocalCluster of N worker processes on "
                        "this machine (default: in this process)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="compute the units on an existing Dask cluster")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    return p


def _int_list(text: str, name: str) -> tuple[int, ...]:
    try:
        return tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise ConfigError.for_arg(name, "must be comma-separated integers", text) from None


def common_from_args(args: argparse.Namespace) -> Common:
    """Build :class:`Common` from parsed arguments (datasets default: digits, the datasets
    found in ``--data-dir`` and every ``--data`` file; those are registered here)."""
    from linattn import data
    from linattn.data import arrays

    sources = [arrays.array_source(p, lab) for p, lab in (getattr(args, "data", None) or [])]
    user = [arrays.register(s) for s in sources]
    if len(set(user)) != len(user):
        raise ConfigError.for_arg("--data", "two datasets have the same stem", user)
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
        datasets += tuple(user)
    for name in datasets:
        if name not in data.DATASETS and name not in user:
            raise ConfigError.for_arg("--datasets", f"unknown dataset; valid: {data.DATASETS} "
                                      "or a --data file's stem", name)
    kw: dict[str, Any] = {"preset": args.preset, "datasets": datasets,
                          "data_dir": args.data_dir, "device": args.device,
                          "data_files": tuple((s.path, s.labels) for s in sources)}
    if args.seeds:
        kw["seeds"] = _int_list(args.seeds, "--seeds")
    return Common(**kw)


def default_run_dir(args: argparse.Namespace, cfg: Any) -> Path:
    """``<results>/<run-id>``; the default id is ``<preset>-<hash of config>`` so that the
    same command resumes the same run."""
    run_id = args.run_id or f"{args.preset}-{config_hash(cfg)[:10]}"
    return Path(args.results) / run_id


def dask_run(args: argparse.Namespace) -> Any:
    """The :class:`experiments.executors.DaskRun` that ``--workers``/``--scheduler`` ask for,
    or None (units computed in this process; Dask is then never imported)."""
    if args.workers is None and args.scheduler is None:
        return None
    from experiments.executors import DaskRun

    return DaskRun(workers=args.workers, scheduler=args.scheduler)


def run_experiment(module: ModuleType, cfg: Any, run_dir: Path, *,
                   progress: bool = True, dask: Any = None) -> dict[str, Any]:
    """plan -> run_units -> summarize -> figures -> section, for one experiment module.

    Writes ``<run_dir>/<NAME>/summary.json``, its figures under ``<run_dir>/figures/`` and
    ``<run_dir>/<NAME>/section.md``; returns ``{"summary", "figures", "section"}``.  The
    section is rendered from the summary as stored (after a JSON round trip), by the same
    function that renders report.md from results.json.  ``dask``: a
    :class:`experiments.executors.DaskRun` computing the units (default: this process).
    """
    check_module(module)
    cfg.register_data()
    units = module.plan(cfg)
    spec = getattr(module, "__spec__", None)
    import_name = spec.name if spec is not None and spec.name != "__main__" else \
        f"experiments.{module.NAME}"
    executor = None if dask is None else dask.executor(import_name, cfg)
    records = run_units(run_dir, units, lambda u: module.run_unit(cfg, u), config=cfg,
                        desc=module.NAME, progress=progress, executor=executor)
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


def experiment_parser(module: ModuleType, argv: Sequence[str] | None
                      ) -> argparse.ArgumentParser:
    """The parser of ``python -m experiments.<name>``: the shared options plus one option
    per Config field (:mod:`experiments.options`), defaulting to the chosen preset."""
    spec = getattr(module, "__spec__", None)
    name = spec.name if spec is not None else module.__name__  # "__main__" under python -m
    pre, _ = base_parser("", "", add_help=False).parse_known_args(argv)
    parser = base_parser(f"python -m {name}", module.TITLE)
    add_config_options(parser, module, make_config(module, pre.preset))
    return parser


def main(module: ModuleType, argv: Sequence[str] | None = None) -> int:
    """The command line of one runnable experiment module: ``python -m experiments.<name>``."""
    check_module(module)
    parser = experiment_parser(module, argv)

    def body(args: argparse.Namespace) -> int:
        common = dataclasses.asdict(common_from_args(args))
        cfg = make_config(module, **common, **options_of(args))
        run_dir = default_run_dir(args, cfg)
        dask = dask_run(args)
        try:
            out = run_experiment(module, cfg, run_dir, progress=not args.no_progress,
                                 dask=dask)
        finally:
            if dask is not None:
                dask.close()
        digest = hashlib.sha256(out["section"].encode()).hexdigest()[:12]
        print(f"{module.NAME}: wrote {run_dir / module.NAME / 'section.md'} (sha256 {digest})")
        return 0

    return cli_main(body, parser, argv)
