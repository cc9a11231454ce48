"""Tests of experiments.tables: one formatting function, traceable tables."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from experiments.runner import dumps
from experiments.tables import fmt, table, table_cells_not_in


@pytest.mark.parametrize(("value", "text"), [
    (3, "3"), (0.0123456, "0.01235"), (1.23456e24, "1.235e+24"), (math.inf, "inf"),
    ("inf", "inf"), (True, "yes"), (False, "no"), (None, "—"), ("a|b", "a\\|b"),
    (np.float64(2.5), "2.5"), (np.int64(7), "7"), (torch.tensor(0.5), "0.5"),
    ("1.2345678901234567e+400", "1.235e+400"), ([1, 2.5], "1, 2.5"),
])
def test_fmt_rules(value, text):
    assert fmt(value) == text


@given(st.floats(allow_nan=False))
def test_fmt_is_the_same_before_and_after_the_json_round_trip(x):
    stored = json.loads(dumps({"x": x}))["x"]
    assert fmt(x) == fmt(stored) == fmt(np.float64(x))


def test_table_formats_every_cell_and_checks_width():
    md = table(["a", "b"], [[1, 0.5], ["x", math.inf]])
    assert md.splitlines() == ["| a | b |", "|---|---|", "| 1 | 0.5 |", "| x | inf |"]
    with pytest.raises(ValueError, match="cells"):
        table(["a"], [[1, 2]])


def test_table_cells_not_in_finds_untraceable_numbers():
    results = {"s": {"x": 0.123456, "n": 10, "lst": [1, 2]}}
    md = table(["log10 m", "n", "list"], [[0.123456, 10, [1, 2]]])
    assert table_cells_not_in(md, results) == []
    assert table_cells_not_in(md.replace("0.1235", "0.1234"), results) == ["0.1234"]
    # text cells with digits (labels, dtypes) are not numbers; headers are skipped
    md2 = table(["float32 x"], [["float32"], ["log10 κ(G)"], [11]])
    assert table_cells_not_in(md2, results) == ["11"]
