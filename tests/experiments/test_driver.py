"""Tests of experiments.driver and experiments.config: shared options, errors as one line,
the module contract (a typing.Protocol the driver checks), presets as overrides."""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
import types
from pathlib import Path

import pytest

from experiments import config, driver
from experiments.registry import ORDER, load_module
from experiments.runner import Unit
from pyverify.errors import ConfigError, DataError, InputError


def _args(*argv):
    return driver.base_parser("p", "d").parse_args(list(argv))


def test_presets_and_defaults():
    assert _args().preset == "quick" and _args("--smoke").preset == "smoke"
    with pytest.raises(SystemExit):
        _args("--smoke", "--full")
    c = driver.common_from_args(_args("--seeds", "3,4"))
    assert c == config.Common(preset="quick", datasets=("digits",), seeds=(3, 4))


@pytest.mark.parametrize(("argv", "err", "match"), [
    (["--datasets", "imagenet"], ConfigError, "unknown dataset"),
    (["--data-dir", "/nonexistent/linattn"], DataError, "must be an existing folder"),
    (["--seeds", "1,x"], ConfigError, "comma-separated integers"),
    (["--device", "tpu"], ConfigError, "device"),
])
def test_common_from_args_errors(argv, err, match):
    with pytest.raises(err, match=match):
        driver.common_from_args(_args(*argv))


def test_cli_main_turns_project_errors_into_one_line(capsys):
    def body(args):
        raise InputError.for_arg("X", "must be 2-D", 3)

    parser = driver.base_parser("prog", "d")
    assert driver.cli_main(body, parser, []) == 2
    err = capsys.readouterr().err
    assert err == "prog: error: X: must be 2-D (got 3)\n"
    assert driver.cli_main(body, parser, ["--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.endswith("prog: error: X: must be 2-D (got 3)\n")


def _toy_module():
    mod = types.ModuleType("toy_exp")
    mod.NAME, mod.TITLE, mod.CLAIM = "toy", "A toy experiment", "toy-claim"

    @dataclasses.dataclass(frozen=True)
    class Config(config.Common):
        k: int = 2

    mod.Config = Config
    mod.PRESETS = {"smoke": {"k": 1}}
    mod.plan = lambda cfg: [Unit("toy", d, "s", s, cfg.k) for d in cfg.datasets
                            for s in cfg.seeds]
    mod.run_unit = lambda cfg, u: {"v": (u.seed + 1) / 3}
    mod.summarize = lambda cfg, recs: {
        "vals": tuple(r["result"]["v"] for r in recs), "inf": float("inf"),
        "findings": ["a finding"], "disagreements": [],
        "verdict": config.verdict("no comparison", "A toy.")}
    mod.figures = lambda summary, fig_dir: []
    mod.section = lambda summary: f"{summary['vals']!r} {summary['inf']!r}\n"
    return mod


def test_the_contract_is_a_protocol_the_driver_checks():
    mod = _toy_module()
    assert isinstance(config.check_module(mod), config.Experiment)
    for name in ORDER:  # every runnable experiment satisfies it
        module = load_module(name)[0]
        assert isinstance(config.check_module(module), config.Experiment), name
    broken = _toy_module()
    del broken.section
    with pytest.raises(ConfigError, match="section"):
        config.check_module(broken)
    bad_preset = _toy_module()
    bad_preset.PRESETS = {"quick": {"k": 3}}
    with pytest.raises(ConfigError, match="only 'smoke' and 'full'"):
        config.check_module(bad_preset)
    bad_field = _toy_module()
    bad_field.PRESETS = {"full": {"nope": 3}}
    with pytest.raises(ConfigError, match="nope"):
        config.check_module(bad_field)


def test_presets_are_overrides_of_the_quick_defaults():
    mod = _toy_module()
    assert config.make_config(mod).k == 2 and config.make_config(mod, "smoke").k == 1
    assert config.make_config(mod, "full").k == 2 and config.make_config(mod, "smoke", k=5).k == 5
    with pytest.raises(ConfigError, match="preset"):
        config.make_config(mod, "huge")
    for name in ORDER:  # a preset lists only what differs from the defaults
        module = load_module(name)[0]
        defaults = module.Config()
        for preset, over in module.PRESETS.items():
            same = [k for k, v in over.items() if getattr(defaults, k) == v]
            assert over and not same, (name, preset, same)


def test_summary_without_verdict_is_refused(tmp_path):
    mod = _toy_module()
    mod.summarize = lambda cfg, recs: {"findings": [], "disagreements": []}
    with pytest.raises(ConfigError, match="verdict"):
        driver.run_experiment(mod, config.make_config(mod, "smoke"), tmp_path, progress=False)


def test_driver_main_runs_the_contract_and_round_trips_the_summary(tmp_path, capsys):
    mod = _toy_module()
    rc = driver.main(mod, ["--smoke", "--seeds", "0,1", "--results", str(tmp_path),
                           "--run-id", "r", "--no-progress"])
    assert rc == 0
    run = tmp_path / "r"
    stored = json.loads((run / "toy" / "summary.json").read_text())
    assert stored["summary"]["vals"] == [1 / 3, 2 / 3] and stored["summary"]["inf"] == "inf"
    # the section is rendered from the stored (JSON) summary: lists and "inf", not tuples;
    # the driver adds the Findings bullets
    assert (run / "toy" / "section.md").read_text() == "[0.3333333333333333, " \
        "0.6666666666666666] 'inf'\n\n**Findings**\n\n- a finding\n"
    assert "toy: wrote" in capsys.readouterr().out


def test_driver_main_default_run_dir_is_config_hash(tmp_path):
    mod = _toy_module()
    assert driver.main(mod, ["--smoke", "--results", str(tmp_path), "--no-progress"]) == 0
    (run,) = list(tmp_path.iterdir())
    assert run.name.startswith("smoke-") and len(run.name) == len("smoke-") + 10


def test_driver_main_unwritable_results_is_one_line(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    rc = driver.main(_toy_module(), ["--results", str(f / "sub"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "must be writable" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", ORDER)
def test_help_works_for_every_runnable_module(name, capsys):
    mod = importlib.import_module(f"experiments.{name}")
    with pytest.raises(SystemExit) as info:
        driver.main(mod, ["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"python -m experiments.{name}" in out and "--smoke" in out


def test_help_of_the_main_job_in_a_subprocess():
    import subprocess

    root = Path(__file__).resolve().parents[2]
    p = subprocess.run([sys.executable, "-m", "experiments", "--help"], cwd=root,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "--only" in p.stdout and "--run-id" in p.stdout
