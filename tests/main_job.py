"""Running the main job ``python -m experiments --smoke`` in a subprocess, for the tests of
tests/experiments (the real entry point; one uninterrupted run is shared per session)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ["--smoke", "--run-id", "X", "--no-progress"]
TIMEOUT = 300


def run_main_job(results: Path, *extra: str, check: bool = True,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m experiments --smoke --run-id X --results RESULTS [extra]``."""
    p = subprocess.run([sys.executable, "-m", "experiments", *SMOKE, "--results",
                        str(results), *extra], cwd=ROOT, capture_output=True, text=True,
                       timeout=TIMEOUT, env={**os.environ, **(env or {})})
    if check:
        assert p.returncode in (0, 1), p.stderr[-3000:]
    return p
