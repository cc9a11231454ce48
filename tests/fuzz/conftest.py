"""Fuzz-suite plumbing: count the Hypothesis examples run and print the total at the end.

The count is kept on ``config`` (fixture :func:`fuzz_stats`) and written by
``pytest_terminal_summary``, so it shows with or without ``-s`` and with ``-q``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

_KEY = pytest.StashKey[dict]()


def _stats(config: pytest.Config) -> dict:
    if _KEY not in config.stash:
        config.stash[_KEY] = {"examples": 0, "functions": set(), "outcomes": {}}
    return config.stash[_KEY]


@pytest.fixture(scope="session")
def fuzz_stats(request: pytest.FixtureRequest) -> dict:
    """Shared counters: ``examples`` (int), ``functions`` (set), ``outcomes`` (kind -> int)."""
    return _stats(request.config)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _KEY not in config.stash:
        return
    s = config.stash[_KEY]
    if not s["examples"]:
        return
    profile = os.environ.get("LINATTN_HYPOTHESIS_PROFILE", "fast")
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(s["outcomes"].items()))
    terminalreporter.write_sep("-", "fuzz summary")
    terminalreporter.write_line(
        f"fuzz: {s['examples']} examples run over {len(s['functions'])} public functions "
        f"(profile {profile!r}, base max_examples {settings.default.max_examples}); "
        f"outcomes: {outcomes}")
