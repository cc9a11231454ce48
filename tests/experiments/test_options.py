"""Every Config field on the command line (experiments.options): generated options with help,
typed ``--set``/``--config`` overrides of the main job, one-line errors naming the field."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments import driver, options
from experiments.registry import ORDER, load_module
from pyverify.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
MODULES = {name: load_module(name)[0] for name in ORDER}


@pytest.mark.parametrize("name", ORDER)
def test_every_field_has_help_and_an_option(name, capsys):
    mod = MODULES[name]
    missing = [f.name for f in dataclasses.fields(mod.Config) if not f.metadata.get("help")]
    assert not missing, f"{name}: fields without help metadata: {missing}"
    with pytest.raises(SystemExit):
        driver.main(mod, ["--help"])
    out = capsys.readouterr().out
    for f in options.specific_fields(mod):
        assert f"--{f.name.replace('_', '-')}" in out, f.name
        assert f.metadata["help"].split()[0] in out


def test_an_option_sets_the_field_and_the_preset_gives_the_defaults():
    mod = MODULES["cubing_precision"]
    parser = driver.experiment_parser(mod, ["--smoke", "--n", "6"])
    args = parser.parse_args(["--smoke", "--n", "6"])
    assert options.options_of(args)["n"] == 6
    assert options.options_of(args)["d"] == mod.PRESETS["smoke"]["d"]  # the preset's value


def test_a_bad_value_is_one_line_naming_the_field(tmp_path):
    cmd = [sys.executable, "-m", "experiments.cubing_precision", "--smoke", "--no-progress",
           "--results", str(tmp_path)]
    for extra, field in ((["--n", "x"], "--n"), (["--n", "40"], "n")):
        p = subprocess.run(cmd + extra, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert p.returncode == 2, p.stderr
        lines = [ln for ln in p.stderr.splitlines() if "error" in ln]
        assert len(lines) == 1 and field in lines[0] and "Traceback" not in p.stderr


def test_set_and_config_are_typed_and_named():
    mods = {n: MODULES[n] for n in ("ntk_convergence", "cubing_precision")}
    out = options.parse_overrides(mods, ["cubing_precision.kappas=[10, 100]",
                                         "cubing_precision.n=6", "ntk_convergence.classes=binary"])
    assert out == {"cubing_precision": {"kappas": (10.0, 100.0), "n": 6},
                   "ntk_convergence": {"classes": "binary"}}
    for bad, match in ((["nosuch.n=1"], "unknown experiment"),
                       (["cubing_precision.nosuch=1"], "not a field"),
                       (["cubing_precision.n=1.5"], "cubing_precision.n: must be an integer"),
                       (["cubing_precision.seeds=[1]"], "shared settings"),
                       (["cubing_precision"], "experiment.field=value")):
        with pytest.raises(ConfigError, match=match):
            options.parse_overrides(mods, bad)


def test_coerce_rules():
    assert options.coerce("f", int | None, None) is None
    assert options.coerce("f", tuple[float, ...], 3) == (3.0,)
    assert options.coerce("f", tuple[int, str], [1, "a"]) == (1, "a")
    with pytest.raises(ConfigError, match="f: must be true or false"):
        options.coerce("f", bool, "yes")


def test_main_job_with_config_file_set_and_a_users_npz(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "toy.npz", X=rng.random((60, 6)), y=rng.integers(0, 2, 60))
    (tmp_path / "run.toml").write_text("[cubing_precision]\nn = 6\nkappas = [10.0, 1000.0]\n")
    cmd = [sys.executable, "-m", "experiments", "--smoke", "--no-progress", "--seeds", "0",
           "--only", "cubing_precision,spectral_table", "--data", str(tmp_path / "toy.npz"),
           "--config", str(tmp_path / "run.toml"), "--set", "cubing_precision.d=8",
           "--results", str(tmp_path / "r"), "--run-id", "u"]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    run = tmp_path / "r" / "u"
    res = json.loads((run / "results.json").read_text())
    cfg = res["experiments"]["cubing_precision"]["config"]
    assert (cfg["n"], cfg["d"], cfg["kappas"]) == (6, 8, [10.0, 1000.0])
    assert "toy" in res["report"]["datasets"] and "toy" in res["data"]
    assert "--set cubing_precision.d=8" in res["report"]["command"]
    man = json.loads((run / "manifest.json").read_text())
    assert man["configs"]["cubing_precision"]["n"] == 6
    md = (run / "report.md").read_text()
    assert "### toy" in md and "toy.npz" in md  # the data section names the file, sha256
    # the default run id follows the effective config
    args = driver.base_parser("p", "d").parse_args(["--smoke"])
    assert args.run_id is None
