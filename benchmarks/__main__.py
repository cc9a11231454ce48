"""``python -m benchmarks --quick|--full [--device cpu|cuda] [--json PATH] [--only CASE,...]``.

Each case runs in its own subprocess (``--worker CASE``, internal) so peak memory is per
case.  The table goes to stdout, the JSON (rows + machine info) to ``--json`` (default
``results/benchmarks/<mode>-<device>.json``).  Exit 0 when every case ran (targets met or
not: the table says), 1 when a case failed or timed out, 2 on a bad option.

The cases run with the library's OpenMP wait policy (:mod:`linattn.threads`:
``GOMP_SPINCOUNT=1000`` unless the caller set a policy); the ``omp_wait_policy`` case
measures it against the alternatives.  ``--threads N`` pins torch's thread count.
The two neural-tangents cases need the optional extra ``bench-nt``; without it they say
"baseline unavailable" in the table.  ``--device cuda`` runs the same cases on the GPU
(times with ``cuda.synchronize``, memory from ``torch.cuda.max_memory_allocated``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

from benchmarks.cases import CASES, run_case
from benchmarks.harness import format_table, run_in_subprocess, to_json

CASE_TIMEOUT_S = {"tiny": 300.0, "quick": 420.0, "full": 1200.0}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_const", const="quick", dest="mode",
                   help="scaled-down sizes where the full ones exceed 10 min (default)")
    g.add_argument("--full", action="store_const", const="full", dest="mode",
                   help="the issue's sizes (< 30 min on 2 cores)")
    g.add_argument("--tiny", action="store_const", const="tiny", dest="mode",
                   help=argparse.SUPPRESS)  # smoke-test sizes (tests/test_benchmarks.py)
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--threads", type=int, default=None,
                   help="torch intra-op threads in every case (default: torch's own)")
    p.add_argument("--json", type=Path, default=None, help="where to write the JSON rows")
    p.add_argument("--only", default="", help=f"comma-separated subset of {', '.join(CASES)}")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    return p


def _meta(mode: str, device: str) -> dict:
    import torch

    info = {"mode": mode, "device": device, "torch": torch.__version__,
            "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "loadavg_start": os.getloadavg(), "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                        time.gmtime())}
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    mode = args.mode or "quick"
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            print("--device cuda: no CUDA device is available here", file=sys.stderr)
            return 2
    if args.threads is not None:
        if args.threads < 1:
            print(f"--threads: must be >= 1 (got {args.threads})", file=sys.stderr)
            return 2
        import torch

        torch.set_num_threads(args.threads)
    if args.worker is not None:
        if args.worker not in CASES:
            print(f"--worker: unknown case {args.worker!r}", file=sys.stderr)
            return 2
        print(json.dumps(asdict(run_case(args.worker, mode, args.device)), default=str))
        return 0
    names = [c for c in args.only.split(",") if c] or list(CASES)
    unknown = [c for c in names if c not in CASES]
    if unknown:
        print(f"--only: unknown case(s) {unknown}; choose from {list(CASES)}", file=sys.stderr)
        return 2
    meta = _meta(mode, args.device)
    meta["omp_wait_policy"] = {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY",
                                                               "GOMP_SPINCOUNT")}
    found = importlib.util.find_spec("neural_tangents") is not None
    meta["neural_tangents"] = "installed" if found else "not installed"
    rows, t0 = [], time.perf_counter()
    for name in names:
        print(f"[benchmarks] {name} ...", file=sys.stderr, flush=True)
        limit = getattr(CASES[name], "timeout_s", {}).get(mode, CASE_TIMEOUT_S[mode])
        rows.append(run_in_subprocess(name, mode, args.device, limit,
                                      args.threads))
    meta["total_s"] = round(time.perf_counter() - t0, 1)
    meta["loadavg_end"] = os.getloadavg()
    print(f"benchmarks --{mode} on {args.device} ({meta['total_s']} s, load average "
          f"{meta['loadavg_start'][0]:.1f} → {meta['loadavg_end'][0]:.1f})\n")
    print(format_table(rows))
    path = args.json or Path("results") / "benchmarks" / f"{mode}-{args.device}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(to_json(rows, meta))
    os.replace(tmp, path)
    print(f"\nJSON: {path}")
    failed = [r for r in rows if r.note.startswith(("failed", "timed out"))]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
