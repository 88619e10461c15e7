"""The grading benchmark runs end to end on the demo assignment (its speed is not tested)."""

from __future__ import annotations

import json

import pytest
import support.grading_corpus as corpus
from support.skips import import_server_side

from gillab.grading.benchmark import SANDBOX_OVERHEAD_GOAL, SPEEDUP_GOAL, autograde_benchmark

# `gillab grade` runs nbgrader from .venv; the free-threaded venv has none (`make test` runs these)
import_server_side("nbgrader")

pytestmark = pytest.mark.slow


def test_benchmark_returns_every_field_as_json(tmp_path, bubblewrap):
    progress = []
    result = autograde_benchmark("demo_sum", submissions=2, quick=True, source_dir=corpus.DEMO.source_dir,
                                 on_progress=lambda *step: progress.append(step))
    json.dumps(result)  # JSON-ready
    # one step before each of the three ways of grading, so a 20-minute run is never silent
    assert [(done, total) for done, total, _ in progress] == [(0, 3), (1, 3), (2, 3)]
    assert any("plain nbgrader" in label for _, _, label in progress)
    assert result["submissions"] == 2 and result["repeats"] == 1 and result["jobs"] == 2
    assert result["all_full_marks"] is True
    for mode in ("nbgrader", "sandboxed", "unsandboxed"):
        assert result["seconds"][mode]["repeats"] == 1 and result["seconds"][mode]["median"] > 0
        assert result["seconds_per_submission"][mode] == pytest.approx(result["seconds"][mode]["median"] / 2)
    speedup = result["seconds"]["nbgrader"]["median"] / result["seconds"]["sandboxed"]["median"]
    assert result["speedup_vs_nbgrader"]["median"] == pytest.approx(speedup)
    assert result["goals"]["speedup_at_least"] == SPEEDUP_GOAL
    assert result["goals"]["sandbox_overhead_at_most"] == SANDBOX_OVERHEAD_GOAL
    assert result["goals"]["speedup_met"] == (speedup >= SPEEDUP_GOAL)
    assert result["machine"]["effective_cpus"] >= 1
    # gillab bench's goals table reads this very result: both autograde goals get a measurement
    from gillab.bench.goals import evaluate_goals

    goals = {
        goal["name"]: goal
        for goal in evaluate_goals({"machine": {"effective_cpus": 2}, "autograde": {"status": "ok", "result": result}})
    }
    assert goals["autograde speedup"]["measured"] == pytest.approx(result["speedup_vs_nbgrader"]["median"])
    assert goals["autograde sandbox+checks"]["measured"] == pytest.approx(result["sandbox_overhead"]["median"])


def test_benchmark_says_what_is_missing():
    with pytest.raises(FileNotFoundError, match="no source notebooks for nothing_here"):
        autograde_benchmark("nothing_here", submissions=1, quick=True)
    with pytest.raises(ValueError, match="submissions must be a positive int, got 0"):
        autograde_benchmark("demo_sum", submissions=0, quick=True, source_dir=corpus.DEMO.source_dir)
