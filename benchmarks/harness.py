"""Timing, peak memory, ratios, the table and the JSON file of the benchmark suite.

Each case runs in its own subprocess (``python -m benchmarks --worker CASE``), so one case's
allocations never count in another's peak and a crash costs one row, not the run.

Peak memory (what the table's ``peak MB`` means):

* CPU: the process's resident-set high-water mark ``VmHWM`` from ``/proc/self/status``,
  reset before each measured phase by writing ``5`` to ``/proc/self/clear_refs`` (Linux ≥
  4.0); the peak of a phase is ``VmHWM`` after it minus ``VmRSS`` before it, so the input
  data that already exists is not counted.  Where the reset is not allowed the first
  phase falls back to ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` deltas and later phases
  report ``None`` (a high-water mark cannot be lowered).  ``tracemalloc`` is not used: it
  does not see torch's allocations.
* CUDA: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats`` (tensors
  only, not the caching allocator's reserve), minus the allocation before the phase.

Times are wall-clock seconds of ``time.perf_counter`` around the call (``cuda.synchronize``
on both sides on GPU); the best of ``repeat`` runs, after one untimed warm-up on a small
input where the case provides one.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CaseResult", "Phase", "format_table", "measure", "run_in_subprocess"]

_MB = 1024.0 * 1024.0


@dataclass
class CaseResult:
    """One row of the table.  ``ratio`` = ours / baseline time (< 1: we are faster), except
    where ``ratio_kind`` says otherwise; ``met`` is None when there is no target to meet."""

    case: str
    sizes: str
    ours_s: float | None = None
    baseline: str = ""
    baseline_s: float | None = None
    ratio: float | None = None
    ratio_kind: str = "ours/baseline"
    peak_mb: float | None = None
    baseline_peak_mb: float | None = None
    accuracy: float | None = None
    accuracy_what: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _status_kb(key: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Phase:
    """Measures the time and peak memory of ``fn()``; see the module docstring."""

    _used_maxrss = False

    def __init__(self, device: str = "cpu") -> None:
        self.device = device

    def _sync(self) -> None:
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.synchronize()

    def run(self, fn: Callable[[], Any]) -> tuple[Any, float, float | None]:
        """Return ``(fn(), seconds, peak MB)``."""
        if self.device.startswith("cuda"):
            import torch

            self._sync()
            torch.cuda.reset_peak_memory_stats()
            before = torch.cuda.memory_allocated()
            t0 = time.perf_counter()
            out = fn()
            self._sync()
            dt = time.perf_counter() - t0
            return out, dt, (torch.cuda.max_memory_allocated() - before) / _MB
        reset = _reset_hwm()
        rss0 = _status_kb("VmRSS")
        maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        if reset and rss0 is not None:
            hwm = _status_kb("VmHWM")
            peak = None if hwm is None else max(0.0, hwm - rss0) / 1024.0
        elif not Phase._used_maxrss:
            Phase._used_maxrss = True
            peak = max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - maxrss0) / 1024.0
        else:
            peak = None
        return out, dt, peak


def measure(fn: Callable[[], Any], *, device: str = "cpu", repeat: int = 1,
            warmup: Callable[[], Any] | None = None) -> tuple[Any, float, float | None]:
    """Best-of-``repeat`` time and the peak memory of the first timed run."""
    if warmup is not None:
        warmup()
    phase = Phase(device)
    out, best, peak = phase.run(fn)
    for _ in range(repeat - 1):
        out, dt, _ = phase.run(fn)
        best = min(best, dt)
    return out, best, peak


def run_in_subprocess(case: str, mode: str, device: str, timeout_s: float,
                      threads: int | None = None) -> CaseResult:
    """Run one case in a fresh interpreter; its JSON line is the last stdout line."""
    cmd = [sys.executable, "-m", "benchmarks", "--worker", case, f"--{mode}",
           "--device", device] + ([] if threads is None else ["--threads", str(threads)])
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # The OpenMP wait policy is the library's own (linattn.threads, imported by
    # benchmarks/__init__ before torch); the omp_wait_policy case measures it.
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env,
                              cwd=Path(__file__).resolve().parents[1])
    except subprocess.TimeoutExpired:
        return CaseResult(case, "", note=f"timed out after {timeout_s:.0f} s", met=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return CaseResult(case, "", note=f"failed (exit {proc.returncode}): {tail[0][:200]}",
                          met=False)
    res = CaseResult(**json.loads(lines[-1]))
    res.extra["wall_s_with_setup"] = round(time.perf_counter() - t0, 2)
    return res


def _fmt(x: Any, spec: str = ".3g") -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "NO"
    if isinstance(x, float):
        return format(x, spec)
    return str(x)


def format_table(rows: list[CaseResult]) -> str:
    """A Markdown table, one row per case, notes below it."""
    head = ["case", "sizes", "ours s", "baseline", "base s", "ratio", "peak MB", "accuracy",
            "target", "met"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ratio = "-" if r.ratio is None else f"{_fmt(r.ratio)} ({r.ratio_kind})"
        acc = "-" if r.accuracy is None else f"{_fmt(r.accuracy)} {r.accuracy_what}".strip()
        met = "n/a" if r.met is None else _fmt(r.met)
        cells = [r.case, r.sizes, _fmt(r.ours_s), r.baseline or "-", _fmt(r.baseline_s), ratio,
                 _fmt(r.peak_mb, ".0f"), acc, r.target or "-", met]
        out.append("| " + " | ".join(cells) + " |")
    notes = [f"- {r.case}: {r.note}" for r in rows if r.note]
    return "\n".join(out + (["", *notes] if notes else []))


def to_json(rows: list[CaseResult], meta: dict[str, Any]) -> str:
    return json.dumps({"meta": meta, "cases": [asdict(r) for r in rows]}, indent=2,
                      default=str)
