"""The ``subinterpreters`` section: the course's pure-Python sum in k subinterpreters of one process.

Like ``cpu_sum`` (:mod:`gillab.bench.scaling`): calibrated to the target serial time, every worker
count from 1 to twice the effective CPUs (at most
:data:`~gillab.measure.subinterpreters.MAX_INTERPRETERS`), each run paired with a serial run made
just before it. Beside it, what starting one worker costs in each way (threads, subinterpreters,
processes, measured in this run), and the own-GIL probe's timing-free answers. On a Python without
subinterpreters the section is "not available", with the reason::

    {"status": "not available", "reason": "Python 3.11.7 has no per-interpreter GIL ..."}
    {"workload": "count_sum", "n": 56000000, "calibration": {...}, "serial_s": {...},
     "subinterpreters": [{"workers": 1, "seconds": {...}, "speedup": {...}, "distinct_interpreters": 1, ...}, ...],
     "subinterpreters_speedup": {"1": {...}, ...}, "results_agree": true, "source": "backport",
     "start_s": {"threads": {...}, "subinterpreters": {...}, "processes": {...}, "start_method": "fork"},
     "own_gil": {"threads": {"other_ran": false, "reads": 10000000}, "subinterpreters": {...}}}
"""

from __future__ import annotations

from ..experiments.three_ways import own_gil_answers, start_seconds
from ..machine.interpreter import default_start_method, subinterpreter_support
from ..measure.subinterpreters import MAX_INTERPRETERS
from ..measure.timing import Timing
from .scaling import measure_scaling

__all__ = ["measure_subinterpreters"]


def measure_subinterpreters(effective_cpus: int, target_s: float, repeats: int, on_progress=None) -> dict:
    """The section (see the module's description), or "not available" with the reason."""
    support = subinterpreter_support()
    if not support.available:
        return {"status": "not available", "reason": support.detail}
    # the same worker counts as cpu_sum, within the bound on interpreters
    cpus = min(effective_cpus, MAX_INTERPRETERS // 2)
    section = measure_scaling("count_sum", ("subinterpreters",), cpus, target_s, repeats, on_progress)
    if on_progress is not None:
        on_progress(None, None, "start-up of a worker: threads, subinterpreters, processes")
    section["start_s"] = {way: Timing(tuple(start_seconds(way, repeats))).summary()
                          for way in ("threads", "subinterpreters", "processes")}
    section["start_s"]["start_method"] = default_start_method()
    if on_progress is not None:
        on_progress(None, None, "the own-GIL probe (no timing)")
    section["own_gil"] = own_gil_answers()
    section["source"] = support.source
    return section
