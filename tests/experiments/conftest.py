"""The one uninterrupted smoke run of the main job, shared by the tests of this folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from main_job import run_main_job


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """One uninterrupted serial smoke run of the whole job; returns its run folder."""
    results = tmp_path_factory.mktemp("uninterrupted")
    p = run_main_job(results)
    run = results / "X"
    assert (run / "report.md").is_file(), p.stderr[-3000:]
    return run
