"""Units on Dask (experiments.executors): a 2-worker LocalCluster reproduces the serial run
byte for byte, a killed worker's unit is recomputed, resume works across executors."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import dask_toy
import pytest
from main_job import run_main_job

from experiments import driver
from experiments.config import make_config
from experiments.runner import Unit, run_units

pytest.importorskip("distributed", reason="Dask (distributed) is in the test extra")
from experiments.executors import DaskRun


def test_a_two_worker_cluster_run_equals_the_serial_run_byte_for_byte(smoke_run, tmp_path):
    run_main_job(tmp_path, "--workers", "2")
    for name in ("results.json", "report.md"):
        assert (tmp_path / "X" / name).read_bytes() == (smoke_run / name).read_bytes(), name


def test_a_killed_worker_does_not_lose_the_run(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    cfg = make_config(dask_toy, "smoke", seconds=1.5, marker_dir=str(markers))
    killed: list[int] = []

    def kill_first_busy_worker() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            started = sorted(markers.iterdir())
            if started:
                pid = int(started[0].name.rsplit("-", 1)[1])
                os.kill(pid, signal.SIGKILL)  # mid-unit: it is sleeping inside run_unit
                killed.append(pid)
            time.sleep(0.05)

    with DaskRun(workers=2) as dask:
        t = threading.Thread(target=kill_first_busy_worker)
        t.start()
        out = driver.run_experiment(dask_toy, cfg, tmp_path / "run", progress=False,
                                    dask=dask)
        t.join()
    assert killed, "no worker was killed"
    assert out["summary"]["values"] == [(i + 1) / 7 for i in range(cfg.units)]
    pids = {int(p.name.rsplit("-", 1)[1]) for p in markers.iterdir()}
    assert killed[0] in pids and len(pids) >= 2  # the lost unit ran again elsewhere


def test_resume_works_across_executors(tmp_path):
    cfg = make_config(dask_toy, "smoke", seconds=0.0)
    units = dask_toy.plan(cfg)
    first = run_units(tmp_path, units[:2], lambda u: dask_toy.run_unit(cfg, u), config=cfg,
                      progress=False)
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "units").rglob("*.json")}
    with DaskRun(workers=1) as dask:
        recs = run_units(tmp_path, units, None, config=cfg, progress=False,
                         executor=dask.executor("dask_toy", cfg))
    assert recs[:2] == first
    for p in (tmp_path / "units").rglob("*.json"):
        if p.name in stamps:
            assert p.stat().st_mtime_ns == stamps[p.name], "a finished unit was recomputed"
    assert [r["result"]["value"] for r in recs] == [(i + 1) / 7 for i in range(len(units))]
    timings = (tmp_path / "timings.jsonl").read_text().splitlines()
    assert len({json.loads(t)["unit"] for t in timings}) == len(units) == len(timings)


def test_the_callers_environment_is_restored():
    before = dict(os.environ)
    with DaskRun(workers=1):
        pass
    assert dict(os.environ) == before


def test_options_are_checked():
    from pyverify.errors import ConfigError

    with pytest.raises(ConfigError, match="exactly one"):
        DaskRun()
    with pytest.raises(ConfigError, match="--workers"):
        DaskRun(workers=0)


def test_the_default_never_imports_dask():
    import subprocess

    code = ("import sys, experiments.__main__ as m\n"
            "m.main(['--smoke', '--no-progress', '--only', 'correspondence', '--seeds', '0', "
            f"'--results', {str(Path('/tmp') / 'linattn-nodask')!r}])\n"
            "print('distributed' in sys.modules, 'dask' in sys.modules)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parents[2], timeout=300)
    assert p.stdout.strip().splitlines()[-1] == "False False", p.stderr[-2000:]


def test_unit_key_is_the_dask_key_prefix():
    u = Unit("dask_toy", "none", "toy", 0, 1)
    assert u.key().startswith("none_toy_s0_n1")
