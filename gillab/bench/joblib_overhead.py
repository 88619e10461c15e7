"""The ``joblib_overhead`` section: joblib's start-up in a new Python, and a call with its workers running.

It uses at least 2 workers (:func:`process_workers`): the process count a learner meets first.

``joblib_overhead``::

    {"workers": 2, "cold_start_s": {...}, "warm_call_s": {...}}

``cold_start_s`` (a "cold start" always means a NEW Python, as a script run from a terminal pays
it) is the first call of a fresh Python (each repeat a new interpreter: starting the
workers, which import the course's code); ``warm_call_s`` a later call with the workers running.
Both hand one tiny chunk per worker to joblib, so they time the overhead, not the work (a worker
that is ready first may take both chunks: what is timed is the call, as a learner makes it).

"""

from __future__ import annotations

import json
import subprocess
import sys

from ..measure.chunks import split_range
from ..measure.runners import run_processes
from ..measure.timing import Timing, time_call
from ..measure.workloads import count_sum

__all__ = ["process_workers", "measure_joblib_overhead"]

_COLD_START = """
import json
from gillab.measure.chunks import split_range
from gillab.measure.runners import run_processes
from gillab.measure.workloads import count_sum
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
