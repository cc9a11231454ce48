"""Tests of experiments._cli: shared options, errors as one line, the module contract."""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
import types
from pathlib import Path

import pytest

from experiments import _cli
from experiments.__main__ import ORDER
from experiments._runner import Unit
from pyverify.errors import ConfigError, DataError, InputError


def _args(*argv):
    return _cli.base_parser("p", "d").parse_args(list(argv))


def test_presets_and_defaults():
    assert _args().preset == "quick" and _args("--smoke").preset == "smoke"
    with pytest.raises(SystemExit):
        _args("--smoke", "--full")
    c = _cli.common_from_args(_args("--seeds", "3,4"))
    assert c == _cli.Common(preset="quick", datasets=("digits",), seeds=(3, 4))


@pytest.mark.parametrize(("argv", "err", "match"), [
    (["--datasets", "imagenet"], ConfigError, "unknown dataset"),
    (["--data-dir", "/nonexistent/linattn"], DataError, "must be an existing folder"),
    (["--seeds", "1,x"], ConfigError, "comma-separated integers"),
    (["--device", "tpu"], ConfigError, "device"),
])
def test_common_from_args_errors(argv, err, match):
    with pytest.raises(err, match=match):
        _cli.common_from_args(_args(*argv))


def test_cli_main_turns_project_errors_into_one_line(capsys):
    def body(args):
        raise InputError.for_arg("X", "must be 2-D", 3)

    parser = _cli.base_parser("prog", "d")
    assert _cli.cli_main(body, parser, []) == 2
    err = capsys.readouterr().err
    assert err == "prog: error: X: must be 2-D (got 3)\n"
    assert _cli.cli_main(body, parser, ["--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.endswith("prog: error: X: must be 2-D (got 3)\n")


def _toy_module():
    mod = types.ModuleType("toy_exp")
    mod.NAME, mod.TITLE = "toy", "A toy experiment"

    @dataclasses.dataclass(frozen=True)
    class Config(_cli.Common):
        k: int = 2

        @classmethod
        def preset(cls, preset="quick", **kw):
            return cls(preset=preset, **kw)

    mod.Config = Config
    mod.plan = lambda cfg: [Unit("toy", d, "s", s, cfg.k) for d in cfg.datasets
                            for s in cfg.seeds]
    mod.run_unit = lambda cfg, u: {"v": (u.seed + 1) / 3}
    mod.summarize = lambda cfg, recs: {"vals": tuple(r["result"]["v"] for r in recs),
                                       "inf": float("inf")}
    mod.figures = lambda summary, fig_dir: []
    mod.section = lambda summary, figs: f"{summary['vals']!r} {summary['inf']!r}\n"
    return mod


def test_experiment_main_runs_the_contract_and_round_trips_the_summary(tmp_path, capsys):
    mod = _toy_module()
    rc = _cli.experiment_main(mod, ["--smoke", "--seeds", "0,1", "--results", str(tmp_path),
                                    "--run-id", "r", "--no-progress"])
    assert rc == 0
    run = tmp_path / "r"
    stored = json.loads((run / "toy" / "summary.json").read_text())
    assert stored["summary"] == {"vals": [1 / 3, 2 / 3], "inf": "inf"}
    # the section is rendered from the stored (JSON) summary: lists and "inf", not tuples
    assert (run / "toy" / "section.md").read_text() == "[0.3333333333333333, " \
        "0.6666666666666666] 'inf'\n"
    assert "toy: wrote" in capsys.readouterr().out


def test_experiment_main_default_run_dir_is_config_hash(tmp_path):
    mod = _toy_module()
    assert _cli.experiment_main(mod, ["--smoke", "--results", str(tmp_path),
                                      "--no-progress"]) == 0
    (run,) = list(tmp_path.iterdir())
    assert run.name.startswith("smoke-") and len(run.name) == len("smoke-") + 10


def test_experiment_main_unwritable_results_is_one_line(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    rc = _cli.experiment_main(_toy_module(), ["--results", str(f / "sub"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "must be writable" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", ORDER)
def test_help_works_for_every_runnable_module(name, capsys):
    try:
        mod = importlib.import_module(f"experiments.{name}")
    except ImportError as exc:
        pytest.skip(f"experiments.{name} does not exist yet ({exc})")
    with pytest.raises(SystemExit) as info:
        mod.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"python -m experiments.{name}" in out and "--smoke" in out


def test_help_of_the_main_job_in_a_subprocess():
    import subprocess

    root = Path(__file__).resolve().parents[1]
    p = subprocess.run([sys.executable, "-m", "experiments", "--help"], cwd=root,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "--only" in p.stdout and "--run-id" in p.stdout
