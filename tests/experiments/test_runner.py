"""Tests of experiments.runner: JSON conversion, atomic writes, units, resume."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from experiments.runner import (
    Unit,
    atomic_write_json,
    config_hash,
    dumps,
    ensure_writable_dir,
    jsonable,
    run_units,
)
from pyverify.errors import ConfigError, DataError


def test_jsonable_converts_library_types():
    out = jsonable({"a": (1, 2), "b": np.float64(0.5), "c": np.arange(3),
                    "t": torch.tensor([1.5, 2.5]), "m": mpmath.mpf("0.25"),
                    "i": math.inf, "j": -math.inf, "p": Path("x/y")})
    assert out == {"a": [1, 2], "b": 0.5, "c": [0, 1, 2], "t": [1.5, 2.5], "m": 0.25,
                   "i": "inf", "j": "-inf", "p": "x/y"}


def test_jsonable_keeps_out_of_range_mpf_as_string():
    with mpmath.workdps(30):
        big = mpmath.mpf(10) ** 400
    s = jsonable(big)
    assert isinstance(s, str) and s.startswith("1.0") and s.endswith("e+400")


def test_jsonable_refuses_nan_and_unknown_objects():
    with pytest.raises(ValueError, match="NaN"):
        jsonable({"x": [1.0, float("nan")]})
    with pytest.raises(ValueError, match="NaN"):
        jsonable(np.array([np.nan]))
    with pytest.raises(TypeError, match="cannot store"):
        jsonable(object())


@given(st.dictionaries(st.text(max_size=5), st.floats(allow_nan=False) | st.integers()))
def test_dumps_is_deterministic_and_round_trips(d):
    text = dumps(d)
    assert text == dumps(dict(reversed(list(d.items()))))
    assert text.endswith("\n")
    back = json.loads(text)
    assert dumps(back) == text


def test_config_hash_depends_on_content_only():
    assert config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_atomic_write_leaves_only_the_file(tmp_path):
    p = atomic_write_json(tmp_path / "sub" / "r.json", {"x": 1})
    assert json.loads(p.read_text()) == {"x": 1}
    assert [f.name for f in p.parent.iterdir()] == ["r.json"]


def test_ensure_writable_dir_under_a_regular_file_is_a_data_error(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(DataError, match="must be writable"):
        ensure_writable_dir(f / "sub", name="--results")
    assert ensure_writable_dir(tmp_path / "ok" / "deep").is_dir()


def test_unit_key_is_stable_distinct_and_params_sorted():
    a = Unit("exp", "digits", "binary", 0, 10, (("b", 2), ("a", 1)))
    b = Unit("exp", "digits", "binary", 0, 10, (("a", 1), ("b", 2)))
    c = Unit("exp", "digits", "binary", 0, 10, (("a", 1), ("b", 3)))
    assert a == b and a.key() == b.key() and a.key() != c.key()
    assert a.params == (("a", 1), ("b", 2)) and a.param("b") == 2
    assert a.key().startswith("digits_binary_s0_n10_")
    with pytest.raises(ConfigError):
        Unit("bad name/", "d", "s", 0, 1)


def _units(k=4):
    return [Unit("toy", "digits", "s", i, 3) for i in range(k)]


def test_run_units_resumes_without_recomputing(tmp_path):
    calls = []

    def fn(u):
        calls.append(u.seed)
        return {"value": u.seed * 0.5, "arr": np.arange(2) * u.seed}

    recs = run_units(tmp_path, _units(), fn, config={"c": 1}, progress=False)
    assert calls == [0, 1, 2, 3]
    assert [r["result"]["value"] for r in recs] == [0.0, 0.5, 1.0, 1.5]
    again = run_units(tmp_path, _units(), fn, config={"c": 1}, progress=False)
    assert calls == [0, 1, 2, 3] and again == recs
    lines = (tmp_path / "timings.jsonl").read_text().splitlines()
    assert len(lines) == 4
    # a changed configuration recomputes
    run_units(tmp_path, _units(), fn, config={"c": 2}, progress=False)
    assert calls == [0, 1, 2, 3] * 2


def test_run_units_interrupted_then_resumed(tmp_path):
    calls = []

    def fn(u):
        calls.append(u.seed)
        return {"v": u.seed}

    def stop(u):
        if u.seed == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_units(tmp_path, _units(), fn, progress=False, on_computed=stop)
    assert calls == [0, 1]
    recs = run_units(tmp_path, _units(), fn, progress=False)
    assert calls == [0, 1, 2, 3]
    assert [r["result"]["v"] for r in recs] == [0, 1, 2, 3]


def test_run_units_recomputes_corrupt_records_and_rejects_duplicates(tmp_path):
    fn = lambda u: {"v": u.seed}  # noqa: E731
    run_units(tmp_path, _units(2), fn, progress=False)
    files = sorted((tmp_path / "units" / "toy").glob("*.json"))
    files[0].write_text("{ truncated")
    before = os.stat(files[1]).st_mtime_ns
    recs = run_units(tmp_path, _units(2), fn, progress=False)
    assert [r["result"]["v"] for r in recs] == [0, 1]
    assert json.loads(files[0].read_text())["result"] == {"v": 0}
    assert os.stat(files[1]).st_mtime_ns == before
    with pytest.raises(ConfigError, match="distinct"):
        run_units(tmp_path, _units(2) * 2, fn, progress=False)
