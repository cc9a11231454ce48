"""A tiny experiment module for the executor tests: each unit records which process
computed it (a marker file) and then sleeps, so a test can kill that worker mid-unit."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

from experiments.config import Common, opt, verdict
from experiments.runner import Unit

NAME, TITLE, CLAIM = "dask_toy", "A toy experiment of the executor tests", "toy"
PRESETS: dict[str, dict[str, Any]] = {"smoke": {"units": 4}}


@dataclasses.dataclass(frozen=True)
class Config(Common):
    units: int = opt(6, "number of units")
    seconds: float = opt(1.0, "sleep per unit")
    marker_dir: str = opt("", "folder for the started-<unit> marker files")


def plan(cfg: Config) -> list[Unit]:
    return [Unit(NAME, "none", "toy", i, 1) for i in range(cfg.units)]


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    if cfg.marker_dir:
        (Path(cfg.marker_dir) / f"started-{unit.seed}-{os.getpid()}").write_text("")
    time.sleep(cfg.seconds)
    return {"value": (unit.seed + 1) / 7}


def summarize(cfg: Config, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"values": [r["result"]["value"] for r in records], "findings": [],
            "disagreements": [], "verdict": verdict("no comparison", "A toy.")}


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:
    return []


def section(summary: dict[str, Any]) -> str:
    return f"{summary['values']}\n"
