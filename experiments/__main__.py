"""The main job: run every experiment and write one report.

    python -m experiments [--smoke|--quick|--full] [--data-dir D] [--run-id ID]
                          [--device cpu|cuda] [--only name,name] [--debug]

Runs the experiments of :data:`ORDER` (each imported lazily; one that cannot be imported
is listed as *missing* or *failed* in the report and makes the exit status 1) on the
embedded digits, plus MNIST / CIFAR-10 when their files are in ``--data-dir``, and writes
``<results>/<run-id>/`` with ``report.md``, ``results.json``, ``manifest.json``,
``figures/*.png`` and the finished units (``units/``).  Re-running the same command with
the same ``--run-id`` resumes: finished units are loaded, not recomputed.

Exit status: 0 all experiments ran; 1 the report was written but an experiment failed or
was missing
(one line per failure on stderr, the traceback in ``<run>/<name>/error.txt``); 2 a bad
option or input (one line on stderr; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from experiments import report
from experiments.config import check_module, make_config
from experiments.driver import base_parser, cli_main, common_from_args, dask_run, run_experiment
from experiments.options import parse_overrides, specific_fields
from experiments.registry import ORDER, load_module
from experiments.runner import atomic_write_bytes, config_hash, ensure_writable_dir, jsonable
from pyverify.errors import ConfigError

__all__ = ["describe_data", "main", "reproduce_command"]

PROG = "python -m experiments"


def _fields_epilog() -> str:
    """Every experiment's Config fields, for --set (their help: python -m experiments.<name>
    --help)."""
    lines = ["Config fields settable with --set EXPERIMENT.FIELD=VALUE or --config:"]
    for name in ORDER:
        mod = load_module(name)[0]
        if mod is not None:
            lines.append(f"  {name}: " + ", ".join(f.name for f in specific_fields(mod)))
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = base_parser(PROG, "Run every experiment of linattn and write results/<run-id>/ "
                          "(report.md, results.json, manifest.json, figures).")
    p.epilog = _fields_epilog()
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--only", default=None,
                   help=f"comma-separated subset of the experiments: {','.join(ORDER)}")
    p.add_argument("--set", action="append", default=None, metavar="EXPERIMENT.FIELD=VALUE",
                   help="set one Config field of one experiment (repeatable; the value in TOML "
                        "syntax: 0.1, [64, 128], \"binary\", true); see "
                        "python -m experiments.<name> --help for the fields")
    p.add_argument("--config", default=None, metavar="FILE.toml",
                   help="Config fields per experiment: one [experiment] table each "
                        "(a --set wins over the file)")
    return p


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _only(text: str | None) -> tuple[str, ...]:
    if not text:
        return ORDER
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in names if s not in ORDER]
    if bad or not names:
        raise ConfigError.for_arg("--only", f"must name experiments among {ORDER}", text)
    return tuple(n for n in ORDER if n in names)


def reproduce_command(args: argparse.Namespace,
                      overrides: dict[str, dict[str, Any]] | None = None) -> str:
    """The command that reproduces results.json (run folder and executor options left out:
    they change where and how the results are computed, not what they are; a --config
    file's effect is written out as --set items)."""
    parts = ["python", "-m", "experiments", f"--{args.preset}"]
    for opt, val in (("--data-dir", args.data_dir), ("--datasets", args.datasets),
                     ("--seeds", args.seeds), ("--only", args.only)):
        if val:
            parts += [opt, str(val)]
    for path, labels in getattr(args, "data", None) or []:
        parts += ["--data", str(path)] + (["--labels", str(labels)] if labels else [])
    if args.device != "cpu":
        parts += ["--device", args.device]
    for name, fields in sorted((overrides or {}).items()):
        for field, value in sorted(fields.items()):
            if value is not None:
                parts += ["--set", f"{name}.{field}={_toml(value)}"]
    return shlex.join(parts)


def _sanitize(text: str, data_dir: str | None) -> str:
    if data_dir:
        for root in sorted({str(Path(data_dir).expanduser().resolve()), str(data_dir)},
                           key=len, reverse=True):
            text = text.replace(root, "<data-dir>")
    return text


def describe_data(datasets: Sequence[str], data_dir: str | None) -> dict[str, Any]:
    """Source, file checksums, size, default preprocessing and class settings of each
    dataset (the training split), with ``data_dir`` written as ``<data-dir>``.

    Loading errors (missing or corrupt files) propagate as :class:`DataError`, before any
    experiment runs."""
    from linattn import data
    from pyverify.errors import DataError

    out: dict[str, Any] = {}
    for name in datasets:
        ds = data.load_dataset(name, split="train", classes="10class", data_dir=data_dir)
        settings = {}
        for s in data.CLASS_SETTINGS:
            try:
                settings[s] = list(data.resolve_classes(name, s))
            except DataError:  # a user dataset without labels: only "10class" (all rows)
                settings[s] = "needs labels"
        binary = settings["binary"]
        names = dict(zip(ds.classes, ds.class_names, strict=True))
        out[name] = {
            "source": _sanitize(ds.source, data_dir),
            "n": ds.n, "d": ds.d,
            "preprocess": ds.preprocess.describe(name),
            "class_settings": settings,
            "binary_classes": [] if isinstance(binary, str) else
            [names.get(c, str(c)) for c in binary],
            "checksums": {_sanitize(k, data_dir): v for k, v in sorted(ds.checksums.items())},
        }
    return out


def _utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    start = _utc()
    git = report.git_revision()  # the code that runs: read before any experiment
    common = common_from_args(args)
    names = _only(args.only)
    modules: dict[str, ModuleType] = {}
    configs: dict[str, Any] = {}
    status: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name in names:
        mod, state, reason = load_module(name)
        if mod is None:
            status[name], problems[name] = state, reason
            continue
        try:
            modules[name] = check_module(mod)
        except ConfigError as exc:  # breaks the module contract: reported, not run
            status[name], problems[name] = "failed", str(exc)
            continue
    overrides = parse_overrides(modules, args.set or (), args.config)
    for name, mod in modules.items():
        configs[name] = make_config(mod, **dataclasses.asdict(common), **overrides.get(name, {}))
    run_id = args.run_id or f"{args.preset}-{config_hash(configs)[:10]}"
    run_dir = ensure_writable_dir(Path(args.results) / run_id, name="--results")
    data_info = describe_data(common.datasets, common.data_dir)

    experiments: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    failed: list[str] = []
    bar = None
    if not args.no_progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(modules), desc="experiments", unit="exp")
    dask = dask_run(args)
    for name, mod in modules.items():
        t0 = time.perf_counter()
        if bar is not None:
            bar.set_postfix_str(name)
        try:
            out = run_experiment(mod, configs[name], run_dir, progress=not args.no_progress,
                                 dask=dask)
        except Exception as exc:
            if args.debug:
                raise
            status[name] = "failed"
            problems[name] = f"{type(exc).__name__}: {exc}"
            atomic_write_bytes(run_dir / name / "error.txt", traceback.format_exc().encode())
            failed.append(name)
        else:
            status[name] = "ok"
            experiments[name] = {"title": mod.TITLE, "claim": mod.CLAIM,
                                 "config": configs[name], "summary": out["summary"],
                                 "figures": out["figures"]}
        seconds[name] = round(time.perf_counter() - t0, 3)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if dask is not None:
        dask.close()

    results = jsonable({
        "report": {"preset": common.preset, "datasets": list(common.datasets),
                   "seeds": list(common.seeds), "device": common.device,
                   "command": reproduce_command(args, overrides), "order": list(names),
                   "status": status, "problems": problems},
        "data": data_info,
        "experiments": experiments,
    })
    manifest = report.build_manifest(argv=list(argv), results=results, run_dir=run_dir,
                                     configs=jsonable(configs), start=start, end=_utc(),
                                     seconds=seconds, git=git)
    paths = report.write_run(run_dir, results, manifest)
    for name in names:
        if status[name] != "ok":
            print(f"{PROG}: {name}: {status[name]}: {problems[name]}", file=sys.stderr)
    print(f"wrote {paths['report']}")
    return 0 if all(state == "ok" for state in status.values()) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m experiments`` (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return cli_main(lambda args: _run(args, argv), _parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
