"""The prepared GPU script benchmarks/gpu_check.sh, tested where no GPU is lent: its syntax,
its argument handling, its refusal without CUDA, and a CPU dry run of every stage."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "gpu_check.sh"
BASH = shutil.which("bash")

pytestmark = pytest.mark.skipif(BASH is None, reason="bash not found")


def _run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([BASH, str(SCRIPT), "--python", sys.executable, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def test_syntax_and_help():
    assert subprocess.run([BASH, "-n", str(SCRIPT)], capture_output=True).returncode == 0
    p = _run("--help")
    assert p.returncode == 0 and "--dry-run" in p.stdout and "pytest -m" in p.stdout


@pytest.mark.parametrize("args", [["--bogus"], ["--out"], ["--timeout-tests", "x"],
                                  ["--python"]])
def test_bad_arguments_exit_2(args):
    p = subprocess.run([BASH, str(SCRIPT), *args], cwd=REPO, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2 and "gpu_check:" in p.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_refuses_without_cuda(tmp_path):
    p = _run("--out", str(tmp_path))
    assert p.returncode == 3 and "no CUDA device" in p.stderr
    assert (tmp_path / "summary.txt").read_text().splitlines() == ["env: ok",
                                                                   "cuda: none available"]
    assert "available False" in (tmp_path / "env.txt").read_text()


@pytest.mark.slow
def test_dry_run_runs_every_stage_on_cpu(tmp_path):
    out = tmp_path / "out"
    p = _run("--dry-run", "--out", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    assert (out / "summary.txt").read_text().splitlines() == ["env: ok", "tests: ok",
                                                              "bench-large: ok"]
    log = (out / "pytest-cuda.log").read_text()
    assert "collected" in log and (out / "pytest-cuda.xml").exists()
    data = json.loads((out / "bench-tiny-cpu.json").read_text())
    assert data["meta"]["mode"] == "tiny" and data["meta"]["device"] == "cpu"
    rows = {c["case"]: c for c in data["cases"]}
    assert set(rows) == {"relu_ntk_influence_60k", "spectral_memmap_1m"}
    for row in rows.values():
        assert row["ours_s"] is not None and row["accuracy"] <= 1e-6
        assert row["peak_mb"] is not None and row["ratio"] > 0
