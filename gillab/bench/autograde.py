"""The ``autograde`` section: the grading pipeline's own benchmark, when it is installed.

The grading pipeline (``gillab.grading``) provides
``gillab.grading.benchmark.autograde_benchmark(assignment, submissions, quick) -> dict``. When it
cannot be imported the section says so, with the reason, instead of a number::

    {"status": "not available", "reason": "gillab.grading.benchmark cannot be imported: ..."}
    {"status": "ok", "assignment": "ps1_parallel_sum", "submissions": 40, "quick": false,
     "result": {...what autograde_benchmark returned...}}

The goals table reads two keys of ``result`` when present (numbers, or summaries with a
``median``): ``speedup_vs_nbgrader`` (``gillab grade autograde --jobs 2`` over serial ``nbgrader autograde``;
goal at least 1.6) and ``sandbox_overhead`` (the sandbox's extra time as a fraction of the same
grading unsandboxed; goal at most 0.10).
"""

from __future__ import annotations

import importlib

__all__ = ["measure_autograde", "ASSIGNMENT", "SUBMISSIONS"]

MODULE = "gillab.grading.benchmark"
ASSIGNMENT = "ps1_parallel_sum"
SUBMISSIONS = 40


def measure_autograde(quick: bool, assignment: str = ASSIGNMENT, submissions: int = SUBMISSIONS) -> dict:
    """Call the grading benchmark, or report why it is not available."""
    try:
        module = importlib.import_module(MODULE)
    except ModuleNotFoundError as error:
        if error.name not in ("gillab.grading", MODULE):
            raise  # the grading code is there but broken: a failure, not an absence
        return {"status": "not available", "reason": f"{MODULE} is not installed ({error}); the grading pipeline provides it"}
    benchmark = getattr(module, "autograde_benchmark", None)
    if benchmark is None:
        return {"status": "not available", "reason": f"{MODULE} has no autograde_benchmark function yet"}
    result = benchmark(assignment=assignment, submissions=submissions, quick=quick)
    if not isinstance(result, dict):
        raise TypeError(f"autograde_benchmark returned {type(result).__name__}, expected a dict")
    return {"status": "ok", "assignment": assignment, "submissions": submissions, "quick": quick, "result": result}
