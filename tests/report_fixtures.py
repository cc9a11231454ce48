"""A results.json-shaped dict for the report tests (tests/experiments/test_render.py and
test_report.py)."""

from __future__ import annotations

from typing import Any


def results_fixture(status: dict[str, str] | None = None,
                    verdict_status: str = "not reproduced") -> dict[str, Any]:
    status = status or {"a": "ok", "b": "missing"}
    return {
        "report": {"preset": "smoke", "datasets": ["digits"], "seeds": [0], "device": "cpu",
                   "command": "python -m experiments --smoke", "order": list(status),
                   "status": status, "problems": {"b": "cannot import experiments.b"}},
        "data": {"digits": {"source": "sklearn", "n": 1437, "d": 64, "preprocess": "p",
                            "class_settings": {"binary": [0, 1]},
                            "checksums": {"digits.data": "ab12"}}},
        "experiments": {"a": {"title": "Experiment A", "claim": "claim-a", "config": {"k": 1},
                              "summary": {"x": 0.5, "findings": ["A finds."],
                                          "disagreements": ["A differs."],
                                          "verdict": {"status": verdict_status,
                                                      "sentence": "A in one sentence."}},
                              "figures": ["figures/a.png"]}},
    }
