"""What processes cost: joblib's start-up and per-call overhead (``joblib_overhead``), and the
smallest sum worth sending to processes (``break_even_n``).

Both use at least 2 workers: the process count a learner meets first.

``joblib_overhead``::

    {"workers": 2, "cold_start_s": {...}, "warm_call_s": {...}}

``cold_start_s`` is the first call of a fresh Python (each repeat a new interpreter: starting the
workers, which import the course's code); ``warm_call_s`` a later call with the workers running.
Both hand one tiny chunk per worker to joblib, so they time the overhead, not the work (a worker
that is ready first may take both chunks: what is timed is the call, as a learner makes it).

``break_even_n``::

    {"workers": 2, "n": 262144, "bracket": [131072, 262144],
     "points": [{"n": 4096, "serial_s": {...}, "processes_s": {...}, "speedup": {...}}, ...]}

Sizes double from ``START_N``; the search stops after two sizes in a row where the median paired
speedup of processes over serial is above 1, or when the serial run would pass ``max_serial_s``.
``n`` is the smallest measured size from which on processes won at every measured size (``None``
when they never did); ``bracket`` the measured sizes it lies between.
"""

from __future__ import annotations

import json
import subprocess
import sys

from ..chunks import split_range
from ..measure import Timing, time_call
from ..runners import run_processes
from ..speedup import measure_speedups
from ..workloads import count_sum

__all__ = ["process_workers", "measure_joblib_overhead", "find_break_even", "START_N"]

START_N = 4096
_COLD_START = """
import json
from gillab.chunks import split_range
from gillab.runners import run_processes
from gillab.workloads import count_sum
record = run_processes(count_sum, split_range(1, {workers} + 1, {workers}), {workers})
assert not record.ran_in_caller_process, "joblib ran the chunks in the calling process"
print(json.dumps({{"wall_s": record.wall_s}}))
"""


def process_workers(effective_cpus: int) -> int:
    """The worker count for process overheads: the effective CPUs, but at least 2.

    >>> process_workers(1), process_workers(8)
    (2, 8)
    """
    return max(2, effective_cpus)


def _cold_start(workers: int) -> float:
    result = subprocess.run(
        [sys.executable, "-c", _COLD_START.format(workers=workers)], capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(f"the cold-start run failed: {result.stderr.strip().splitlines()[-1:]}")
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    return measured["wall_s"]


def measure_joblib_overhead(workers: int, repeats: int, on_progress=None) -> dict:
    """Seconds of joblib's first call in a fresh Python and of a call with warm workers."""
    cold = []
    for repeat in range(repeats):
        if on_progress is not None:
            on_progress(repeat, repeats, f"cold start of {workers} workers in a fresh Python")
        cold.append(_cold_start(workers))
    chunks = split_range(1, workers + 1, workers)
    warm = time_call(run_processes, count_sum, chunks, workers, repeats=repeats, warmup=1)
    if warm.result.ran_in_caller_process:
        raise RuntimeError("the warm call ran in this process, not in joblib's workers")
    return {"workers": workers, "cold_start_s": Timing(tuple(cold)).summary(), "warm_call_s": warm.summary()}


def find_break_even(workers: int, max_serial_s: float, repeats: int, on_progress=None) -> dict:
    """The smallest ``n`` at which summing ``1..n`` on ``workers`` processes beats one serial run."""
    points, n = [], START_N
    while True:
        if on_progress is not None:
            on_progress(len(points), None, f"n = {n}")
        serial, parallel = measure_speedups(count_sum, n=n, configs=[("processes", workers)], repeats=repeats, warmup=1)
        points.append({"n": n, "serial_s": serial["seconds"], "processes_s": parallel["seconds"], "speedup": parallel["speedup"]})
        wins = [point["speedup"]["median"] > 1 for point in points]
        if wins[-2:] == [True, True] or serial["seconds"]["median"] * 2 > max_serial_s:
            break
        n *= 2
    first = len(wins)
    while first > 0 and wins[first - 1]:
        first -= 1
    found = points[first]["n"] if first < len(points) else None
    bracket = [points[first - 1]["n"] if first > 0 else None, found] if found is not None else None
    return {"workers": workers, "n": found, "bracket": bracket, "max_serial_s": max_serial_s, "points": points}
