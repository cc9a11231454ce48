"""Tests of the main job ``python -m experiments``: CLI errors, determinism, kill-and-resume,
report numbers = results.json, missing modules reported visibly.

The smoke preset of the whole job runs in subprocesses (the real entry point); one
uninterrupted run is shared by the tests of this module.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from main_job import ROOT, SMOKE, TIMEOUT
from main_job import run_main_job as _run

import experiments.__main__ as main_mod
from experiments import registry, report
from experiments.tables import table_cells_not_in


def test_smoke_run_writes_every_file(smoke_run):
    for name in ("report.md", "results.json", "manifest.json", "timings.jsonl"):
        assert (smoke_run / name).is_file(), name
    res = json.loads((smoke_run / "results.json").read_text())
    assert res["report"]["order"] == list(registry.ORDER)
    man = json.loads((smoke_run / "manifest.json").read_text())
    assert man["seeds"] == [0, 1, 2] and man["device"] == "cpu"
    assert set(man["configs"]) == set(res["experiments"])
    for fig in (f for e in res["experiments"].values() for f in e["figures"]):
        assert (smoke_run / fig).is_file(), fig


def test_results_json_has_no_timings_dates_or_paths(smoke_run):
    text = (smoke_run / "results.json").read_text()
    assert str(smoke_run) not in text and str(smoke_run.parent) not in text
    assert "seconds" not in text and "_utc" not in text


def test_report_numbers_equal_results_json(smoke_run):
    """report.md is a function of results.json: re-rendered by the report's own command
    (in a subprocess) and in process, byte for byte; every numeric table cell is fmt() of
    a stored value."""
    res = json.loads((smoke_run / "results.json").read_text())
    md = (smoke_run / "report.md").read_text()
    assert report.render_run(smoke_run, write=False) == md
    assert table_cells_not_in(md, res) == []
    p = subprocess.run([sys.executable, "-m", "experiments.report", str(smoke_run), "--check"],
                       cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0 and "identical" in p.stdout, p.stdout + p.stderr


def test_report_check_detects_an_edited_report(smoke_run, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(smoke_run, run)
    (run / "report.md").write_text((run / "report.md").read_text().replace("Verdicts", "V"))
    assert report.main([str(run), "--check"]) == 1
    assert report.main([str(run)]) == 0  # re-render restores it
    assert (run / "report.md").read_bytes() == (smoke_run / "report.md").read_bytes()


def test_every_section_carries_its_claim_id_and_one_verdict(smoke_run):
    res = json.loads((smoke_run / "results.json").read_text())
    md = (smoke_run / "report.md").read_text()
    for exp in res["experiments"].values():
        assert f"## {exp['title']} (claim `{exp['claim']}`)" in md
        assert md.count(exp["summary"]["verdict"]["sentence"]) >= 1
        for sentence in exp["summary"]["disagreements"]:
            assert md.count(sentence) == 1, sentence  # shown once, in its section


def test_missing_modules_are_reported_visibly(smoke_run):
    res = json.loads((smoke_run / "results.json").read_text())
    md = (smoke_run / "report.md").read_text()
    for name, status in res["report"]["status"].items():
        assert status in ("ok", "missing", "failed")
        if status != "ok":
            assert f"`{name}` ({status})" in md
    assert "## Where we disagree with the paper" in md


def test_determinism_same_command_same_bytes(smoke_run, tmp_path):
    _run(tmp_path)
    for name in ("results.json", "report.md"):
        assert (tmp_path / "X" / name).read_bytes() == (smoke_run / name).read_bytes(), name


def _unit_files(run: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(run)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in (run / "units").glob("*/*.json")}


def test_kill_and_resume_loses_nothing(smoke_run, tmp_path):
    cmd = [sys.executable, "-m", "experiments", *SMOKE, "--results", str(tmp_path)]
    run = tmp_path / "X"
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + TIMEOUT
    try:
        while not (run.exists() and _unit_files(run)):
            assert proc.poll() is None, "the run ended before any unit was written"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not (run / "report.md").exists(), "killed too late to test resuming"
    done = _unit_files(run)
    assert done
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode in (0, 1), p.stderr[-3000:]
    after = _unit_files(run)
    for f, stamp in done.items():
        assert after[f] == stamp, f"{f} was recomputed"
    keys = [json.loads(line)["unit"] for line in (run / "timings.jsonl").read_text()
            .splitlines()]
    assert len(keys) == len(set(keys)), "a unit was computed twice"
    assert set(after) == set(_unit_files(smoke_run))
    for name in ("results.json", "report.md"):
        assert (run / name).read_bytes() == (smoke_run / name).read_bytes(), name


# --------------------------------------------------------------------- CLI errors


@pytest.mark.parametrize(("argv", "match"), [
    (["--datasets", "imagenet"], "unknown dataset"),
    (["--data-dir", "/nonexistent/linattn-data"], "must be an existing folder"),
    (["--only", "correspondence,nosuch"], "--only"),
    (["--seeds", "a"], "integers"),
])
def test_bad_options_are_one_line_exit_2(argv, match, capsys, tmp_path):
    rc = main_mod.main(["--smoke", "--no-progress", "--results", str(tmp_path), *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and match in err and "Traceback" not in err
    rc = main_mod.main(["--smoke", "--no-progress", "--results", str(tmp_path), "--debug",
                        *argv])
    assert rc == 2 and "Traceback" in capsys.readouterr().err


def test_unwritable_results_dir_in_a_subprocess(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    p = subprocess.run([sys.executable, "-m", "experiments", "--smoke", "--no-progress",
                        "--results", str(f / "sub")], cwd=ROOT, capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "must be writable" in p.stderr
    assert "Traceback" not in p.stderr


def test_missing_module_is_listed_and_exit_1(monkeypatch, tmp_path, capsys):
    # The report is still written (the other experiments ran), but a missing experiment
    # makes the job's exit status 1.
    monkeypatch.setattr(main_mod, "ORDER", ("correspondence", "not_written_yet"))
    rc = main_mod.main(["--smoke", "--no-progress", "--results", str(tmp_path),
                        "--run-id", "m", "--seeds", "0"])
    assert rc == 1
    res = json.loads((tmp_path / "m" / "results.json").read_text())
    assert res["report"]["status"] == {"correspondence": "ok", "not_written_yet": "missing"}
    md = (tmp_path / "m" / "report.md").read_text()
    assert "`not_written_yet` (missing)" in md
    assert "not_written_yet: missing" in capsys.readouterr().err


def test_load_module_tells_missing_from_failed(monkeypatch):
    assert registry.load_module("correspondence")[1:] == ("ok", "")
    mod, state, reason = registry.load_module("not_written_yet")
    assert mod is None and state == "missing" and "does not exist" in reason

    def broken(name):
        raise ModuleNotFoundError("No module named 'experiments.helper_x'",
                                  name="experiments.helper_x")

    monkeypatch.setattr(registry.importlib, "import_module", broken)
    mod, state, reason = registry.load_module("correspondence")
    assert mod is None and state == "failed" and "helper_x" in reason


def test_failing_experiment_is_reported_and_exit_1(monkeypatch, tmp_path, capsys):
    import experiments.correspondence as corr

    def boom(cfg, unit):
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(corr, "run_unit", boom)
    rc = main_mod.main(["--smoke", "--no-progress", "--results", str(tmp_path),
                        "--run-id", "f", "--only", "correspondence", "--seeds", "0"])
    assert rc == 1
    res = json.loads((tmp_path / "f" / "results.json").read_text())
    assert res["report"]["status"] == {"correspondence": "failed"}
    assert "synthetic failure" in res["report"]["problems"]["correspondence"]
    assert "Traceback" in (tmp_path / "f" / "correspondence" / "error.txt").read_text()
    assert "synthetic failure" in capsys.readouterr().err


def test_reproduce_command_leaves_out_the_run_folder():
    args = main_mod._parser().parse_args(["--smoke", "--run-id", "r", "--results", "/x",
                                          "--data-dir", "d d", "--only", "correspondence"])
    assert main_mod.reproduce_command(args) == (
        "python -m experiments --smoke --data-dir 'd d' --only correspondence")
