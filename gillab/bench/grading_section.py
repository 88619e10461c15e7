"""The ``autograde`` section: the grading pipeline's own benchmark, when it is installed.

The grading pipeline (``gillab.grading``) provides
``gillab.grading.benchmark.autograde_benchmark(assignment, submissions, quick) -> dict``. When it
cannot be imported, or this Python has no nbgrader for it (the free-threaded venv of
``make ft-kernel`` on Python 3.13 cannot install it), the section says so, with the reason, instead
of a number::

    {"status": "not available", "reason": "gillab.grading.benchmark cannot be imported: ..."}
    {"status": "ok", "assignment": "ps1_parallel_sum", "submissions": 40, "quick": false,
     "result": {...what autograde_benchmark returned...}}

The goals table reads two keys of ``result`` when present (numbers, or summaries with a
``median``): ``speedup_vs_nbgrader`` (``gillab grade autograde --jobs 2`` over serial ``nbgrader autograde``;
goal at least 1.6) and ``sandbox_overhead`` (the extra time of the sandbox, the witness and the tamper
scan together, as a fraction of the same grading with neither; goal at most 0.10).
"""

from __future__ import annotations

import importlib
import sys

from ..machine.interpreter import free_threaded_build

__all__ = ["measure_autograde", "ASSIGNMENT", "SUBMISSIONS"]

MODULE = "gillab.grading.benchmark"
ASSIGNMENT = "ps1_parallel_sum"
SUBMISSIONS = 40


def _missing_on_free_threaded(error: ModuleNotFoundError) -> dict | None:
    """The section's "not available" when nbgrader is missing from a free-threaded venv, else None."""
    if error.name != "nbgrader" or not free_threaded_build():
        return None  # a pinned dependency missing from a standard venv is a broken install: a failure
    # CFFI does not support free-threaded 3.13, so that venv leaves nbgrader out. Grading runs nbgrader
    # from the course's .venv whatever kernel the notebooks run on: calling out to it from here would
    # only repeat the number `gillab bench` measures in that venv.
    reason = (f"nbgrader is not installed in this free-threaded Python ({sys.executable}); grading runs it from "
              "the course's .venv whatever the kernel, so run `gillab bench` there for this section")
    return {"status": "not available", "reason": reason}


def measure_autograde(
    quick: bool, assignment: str = ASSIGNMENT, submissions: int = SUBMISSIONS, on_progress=None
) -> dict:
    """Call the grading benchmark, or report why it is not available. ``on_progress(done, total,
    label)`` is passed on: a full run grades for about 20 minutes on 2 cores."""
    try:
        module = importlib.import_module(MODULE)
    except ModuleNotFoundError as error:
        if (absent := _missing_on_free_threaded(error)) is not None:
            return absent
        if error.name not in ("gillab.grading", MODULE):
            raise  # the grading code is there but broken: a failure, not an absence
        return {
            "status": "not available",
            "reason": f"{MODULE} is not installed ({error}); the grading pipeline provides it",
        }
    benchmark = getattr(module, "autograde_benchmark", None)
    if benchmark is None:
        return {"status": "not available", "reason": f"{MODULE} has no autograde_benchmark function yet"}
    try:
        result = benchmark(assignment=assignment, submissions=submissions, quick=quick, on_progress=on_progress)
    except ModuleNotFoundError as error:
        if (absent := _missing_on_free_threaded(error)) is None:
            raise
        return absent
    if not isinstance(result, dict):
        raise TypeError(f"autograde_benchmark returned {type(result).__name__}, expected a dict")
    # the benchmark may grade fewer than asked (a quick run grades at most 6): report what it graded
    graded = result.get("submissions", submissions)
    return {"status": "ok", "assignment": assignment, "submissions": graded, "quick": quick, "result": result}
