"""Speedup against the number of workers: the ``cpu_sum`` and ``gil_release`` sections.

Both calibrate a size at which the serial run takes about the target time, then time every worker
count from 1 to twice the effective CPUs with :func:`gillab.measure.speedup.measure_speedups`, which pairs
each parallel run with a serial run made just before it. ``cpu_sum`` is the course's pure-Python
sum (holds the GIL) on threads and on processes; ``gil_release`` is work that releases the GIL
(``hash_blocks``) on threads.

A section looks like (each ``{...}`` a median/min/max/repeats summary)::

    {"workload": "count_sum", "n": 56000000, "calibration": {...}, "serial_s": {...},
     "threads":   [{"workers": 1, "seconds": {...}, "speedup": {...}, "distinct_threads": 1,
                    "distinct_processes": 1, "ran_in_caller_process": true}, ...],
     "processes": [...],
     "threads_speedup": {"1": {...}, "2": {...}, ...}, "processes_speedup": {...},
     "results_agree": true}

``threads`` / ``processes`` are the row lists :func:`gillab.show.references.speedup_points` reads;
``threads_speedup`` / ``processes_speedup`` are the same speedups keyed by worker count.
"""

from __future__ import annotations

from .._validate import require_int
from ..measure.calibrate import size_for_seconds
from ..measure.speedup import measure_speedups
from ..measure.workloads import WORKLOADS

__all__ = ["worker_counts", "measure_scaling"]


def worker_counts(effective_cpus: int) -> list[int]:
    """1 .. twice the effective CPUs: past the cores, to show what oversubscribing does.

    >>> worker_counts(2)
    [1, 2, 3, 4]
    """
    effective_cpus = require_int("effective_cpus", effective_cpus, minimum=1)
    return list(range(1, 2 * effective_cpus + 1))


def _row(row: dict) -> dict:
    record = row["record"]
    return {
        "workers": row["workers"],
        "seconds": row["seconds"],
        "speedup": row["speedup"],
        # what ran where: the evidence that a row measured what its mode says
        "distinct_threads": record.distinct_threads,
        "distinct_processes": record.distinct_processes,
        "distinct_interpreters": record.distinct_interpreters,
        "ran_in_caller_process": record.ran_in_caller_process,
    }


def measure_scaling(workload: str, modes, effective_cpus: int, target_s: float, repeats: int, on_progress=None) -> dict:
    """Calibrate ``workload`` (a :data:`gillab.measure.workloads.WORKLOADS` name) to ``target_s`` serial
    seconds and measure its speedup in each of ``modes`` for every :func:`worker_counts`."""
    if workload not in WORKLOADS:
        raise ValueError(f"workload must be one of {', '.join(WORKLOADS)}, got {workload!r}")
    function = WORKLOADS[workload].function
    calibration = size_for_seconds(function, target_s)
    configs = [(mode, workers) for mode in modes for workers in worker_counts(effective_cpus)]
    rows = measure_speedups(
        function, n=calibration["n"], configs=configs, repeats=repeats, warmup=1, on_progress=on_progress
    )
    serial, parallel = rows[0], rows[1:]
    section = {
        "workload": workload,
        "holds_gil": WORKLOADS[workload].holds_gil,
        "n": calibration["n"],
        "calibration": calibration,
        "serial_s": serial["seconds"],
        "results_agree": all(row["result"] == serial["result"] for row in parallel),
    }
    for mode in modes:
        mode_rows = [_row(row) for row in parallel if row["mode"] == mode]
        section[mode] = mode_rows
        section[f"{mode}_speedup"] = {str(row["workers"]): row["speedup"] for row in mode_rows}
    return section
