"""The files of a run -- ``results.json``, ``report.md``, ``manifest.json`` -- and
``python -m experiments.report RUN_DIR``, which re-renders report.md from results.json.

``results.json`` holds results only (byte-identical for the same command, seed, machine,
thread count and package versions: no timings, dates or run folders); ``manifest.json``
holds everything about the run (package versions, git revision, command line, device,
start/end time, timings).  report.md is :func:`experiments.render.render_report` of the
results.json *as stored* (read back from the file), so :func:`render_run` -- used by the
main job and by the command line -- reproduces it byte for byte.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from experiments.driver import cli_main
from experiments.registry import load_modules
from experiments.render import render_report
from experiments.runner import atomic_write_bytes, dumps
from pyverify.errors import DataError

__all__ = [
    "build_manifest",
    "git_revision",
    "main",
    "package_versions",
    "render_run",
    "write_run",
]


def package_versions() -> dict[str, str]:
    """Versions of python and the numerical packages the results depend on."""
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "torch", "sympy", "mpmath", "scikit-learn", "matplotlib"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def git_revision(repo: str | Path | None = None) -> dict[str, Any]:
    """``{"commit": <HEAD sha or "unknown">, "dirty": bool | None}``."""
    cwd = Path(repo) if repo else Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=cwd, capture_output=True, text=True, timeout=10,
                                check=True).stdout
        return {"commit": head, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}


def build_manifest(*, argv: Sequence[str], results: Mapping[str, Any], run_dir: Path,
                   configs: Mapping[str, Any], start: str, end: str,
                   seconds: Mapping[str, float],
                   git: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything needed to rerun and audit the run (this may vary between runs).  ``git``:
    the revision read when the run started (default: now), the code that ran."""
    import torch

    rep = results["report"]
    return {
        "command_line": [sys.executable, "-m", "experiments", *argv],
        "reproduce": rep["command"],
        "run_dir": str(Path(run_dir).resolve()),
        "start_utc": start,
        "end_utc": end,
        "seconds": dict(seconds),
        "versions": package_versions(),
        "git": dict(git) if git is not None else git_revision(),
        "platform": platform.platform(),
        "torch_threads": torch.get_num_threads(),
        "device": rep["device"],
        "seeds": list(rep["seeds"]),
        "configs": dict(configs),
        "data_checksums": {k: v.get("checksums", {}) for k, v in results.get("data", {}).items()},
        "status": dict(rep["status"]),
    }


def render_run(run_dir: str | Path, *, write: bool = True) -> str:
    """report.md of the run folder ``run_dir``, rendered from its ``results.json``; written
    to ``run_dir/report.md`` atomically unless ``write=False``.  DataError if results.json
    is missing or unreadable."""
    path = Path(run_dir) / "results.json"
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError.for_arg("RUN_DIR", "must hold a readable results.json", str(path),
                                hint=str(exc)) from None
    modules = load_modules(list(results["experiments"]))
    lost = sorted(set(results["experiments"]) - set(modules))
    if lost:
        raise DataError.for_arg("RUN_DIR", "results.json names experiments that do not "
                                "import here", lost)
    text = render_report(results, modules)
    if write:
        atomic_write_bytes(Path(run_dir) / "report.md", text.encode())
    return text


def write_run(run_dir: str | Path, results: Mapping[str, Any],
              manifest: Mapping[str, Any]) -> dict[str, Path]:
    """Write results.json and manifest.json atomically, then report.md by
    :func:`render_run` (from the file just written); returns the three paths."""
    run_dir = Path(run_dir)
    paths = {"results": atomic_write_bytes(run_dir / "results.json", dumps(results).encode()),
             "manifest": atomic_write_bytes(run_dir / "manifest.json",
                                            dumps(manifest).encode())}
    render_run(run_dir)
    paths["report"] = run_dir / "report.md"
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m experiments.report RUN_DIR [--check]``: re-render report.md from
    results.json (``--check``: do not write; exit 1 if it differs from the file there)."""
    p = argparse.ArgumentParser(prog="python -m experiments.report",
                                description="Re-render a run's report.md from its "
                                            "results.json.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (holds results.json)")
    p.add_argument("--check", action="store_true",
                   help="compare with the existing report.md instead of writing it")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")

    def body(args: argparse.Namespace) -> int:
        text = render_run(args.run_dir, write=not args.check)
        target = Path(args.run_dir) / "report.md"
        if args.check:
            same = target.is_file() and target.read_text(encoding="utf-8") == text
            print(f"{target}: {'identical' if same else 'DIFFERS'} to the rendering of "
                  "results.json")
            return 0 if same else 1
        print(f"wrote {target}")
        return 0

    return cli_main(body, p, argv)


if __name__ == "__main__":
    raise SystemExit(main())
