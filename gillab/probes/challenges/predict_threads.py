"""Chapter 03's challenge: predict, then measure, threads against serial for work of your own.

The learner writes ``my_work(lo, hi)``, pure-Python work of their own on the numbers lo..hi-1 that
returns a number; predicts in ``my_prediction`` how many times faster two threads will run it than
one; and measures both with the course's timing helper: ``serial = time_call(my_work, 1, N + 1)``
and ``on_threads = time_call(run_threads, my_work, split_range(1, N + 1, 2), 2)``.

The check passes when those pieces are really there: a function of the learner's own (calling a
course workload such as ``count_sum`` does not count), a prediction, two timings from ``time_call``
of the same range, the second a run of ``my_work`` on two threads. It then reports, without
deciding anything from them, both numbers, the speedup beside the prediction, and what the GIL
explains, read from the CPU time the operating system accounted to the threads: CPU time adding up
to more than the wall time means they computed at the same moment; about the wall time, that they
took turns; far less, that they mostly waited.

>>> from gillab.measure.workloads import count_sum
>>> def my_work(lo, hi):
...     return count_sum(lo, hi)
>>> my_prediction, serial, on_threads = 2, None, None
>>> CHALLENGE.verdict(globals()).happened
'my_work(1, 1001) handed its work to gillab.measure.workloads.count_sum'
"""

from __future__ import annotations

import numbers

from ...machine.cpus import effective_cpu_count
from ...machine.interpreter import gil_enabled
from ...measure import workloads
from ...measure.runners import RunRecord
from ...measure.timing import Timing
from ..tripwire import forbid_calls
from .judging import Challenge, Verdict, call_answer, not_yet, passed

__all__ = ["CHALLENGE", "check", "explain_threads"]

_COURSE_WORK = tuple(workload.function for workload in workloads.WORKLOADS.values())
_THREADED = "time_call(run_threads, my_work, split_range(1, N + 1, 2), 2)"
_SERIAL = "time_call(my_work, 1, N + 1)"


def explain_threads(record: RunRecord, gil_on: bool, effective_cpus: int) -> str:
    """What the CPU time the threads of ``record`` were given says about how they ran, in words.

    >>> from gillab.measure.runners import run_threads
    >>> from gillab.measure.workloads import wait_units
    >>> record = run_threads(wait_units, [(0, 20), (20, 40)], 2)
    >>> explain_threads(record, True, 2).startswith("Your threads mostly waited")
    True
    """
    ratio = record.cpu_s / record.wall_s if record.wall_s > 0 else 0.0
    used = f"they were given {record.cpu_s:.3f} s of CPU time in {record.wall_s:.3f} s"
    if ratio < 0.5:
        return (
            f"Your threads mostly waited ({used}): a thread that sleeps or waits for I/O gives up the GIL, so waits "
            "overlap and can speed up even under the GIL (chapter 04)."
        )
    if ratio > 1.3:
        why = (
            "so your work runs outside the GIL much of the time (C code that releases it, such as hashlib or NumPy)"
            if gil_on
            else "which the free-threaded build allows: the GIL is off in this kernel (chapter 06)"
        )
        return f"Your threads computed at the same moment ({used}), {why}."
    if effective_cpus < 2:
        return (
            f"Your threads took turns ({used}): this Python can use only one CPU, so they could not run at the same "
            "moment, GIL or not."
        )
    if gil_on:
        return (
            f"Your threads took turns ({used}): the GIL lets one thread at a time run Python bytecode, so two "
            "threads doing pure-Python work cannot beat one."
        )
    return (
        f"Your threads took turns ({used}) although the GIL is off: other programs may have kept the CPUs busy, "
        "or your work waits for a lock. Run the cells again and compare."
    )


def _judge(namespace: dict) -> Verdict:
    my_work, prediction = namespace["my_work"], namespace["my_prediction"]
    serial, on_threads = namespace["serial"], namespace["on_threads"]
    if not callable(my_work):
        return not_yet(f"my_work is {my_work!r}, not a function", "define my_work(lo, hi) with def")
    if my_work in _COURSE_WORK:
        return not_yet(
            f"my_work is the course's own {getattr(my_work, '__name__', my_work)}",
            "write a function of your own: a loop over range(lo, hi) that computes something and returns a number",
        )
    with forbid_calls(namespace, *_COURSE_WORK) as tripwire:
        first = call_answer("my_work(1, 1001)", my_work, 1, 1001)
        again = call_answer("my_work(1, 1001)", my_work, 1, 1001)
    used = [label for label, count in tripwire.counts.items() if count]
    if used:
        return not_yet(
            f"my_work(1, 1001) handed its work to {' and '.join(used)}",
            "write the loop yourself: my_work must be work of your own, pure Python",
        )
    if not isinstance(first, numbers.Number) or isinstance(first, bool):
        return not_yet(f"my_work(1, 1001) returned {first!r}", "return a number (a sum, a count, ...)")
    if first != again:
        return not_yet(
            f"my_work(1, 1001) returned {first!r}, then {again!r}",
            "make my_work give the same answer for the same numbers (no randomness, no state kept between calls)",
        )
    if not isinstance(prediction, numbers.Real) or isinstance(prediction, bool) or not prediction > 0:
        return not_yet(
            f"my_prediction is {prediction!r}",
            "write your prediction as a number before you measure: 2 threads will be this many times faster (e.g. 1.5)",
        )
    for name, value, how in (("serial", serial, _SERIAL), ("on_threads", on_threads, _THREADED)):
        if not isinstance(value, Timing):
            return not_yet(f"{name} is {value!r}, not a measurement", f"measure it with the course's timing helper: "
                           f"{name} = {how}")
    record = on_threads.result
    if not isinstance(record, RunRecord):
        return not_yet(
            f"on_threads timed a call that returned {record!r}, not a run on threads",
            f"time my_work on two threads: on_threads = {_THREADED}",
        )
    if record.workload != getattr(my_work, "__name__", None) or record.mode != "threads":
        return not_yet(
            f"on_threads timed {record.workload} ({record.mode}), not my_work on threads",
            f"on_threads = {_THREADED}",
        )
    if record.distinct_threads < 2:
        return not_yet(
            f"on_threads ran my_work on {record.distinct_threads} thread", f"use two threads: on_threads = {_THREADED}"
        )
    if serial.result != record.result:
        return not_yet(
            f"the two measurements computed different totals (serial {serial.result!r}, threads {record.result!r})",
            "measure the same numbers both ways: 1 to N in both calls",
        )
    measured = serial.median / on_threads.median
    gap = "close to what" if abs(measured - prediction) <= 0.25 * measured else "not what"
    return passed(
        f"you predicted, then measured your own function both ways: serial {serial.median:.3f} s, "
        f"{record.distinct_threads} threads {on_threads.median:.3f} s (medians)",
        f"Measured speedup {measured:.2f}x; you predicted {prediction:g}x: {gap} you measured.",
        explain_threads(record, gil_enabled(), effective_cpu_count()),
    )


CHALLENGE = Challenge(
    "03", "predict, then measure your own work on threads", ("my_work", "my_prediction", "serial", "on_threads"), _judge
)


def check(namespace: dict) -> None:
    """The check cell: ``predict_threads.check(globals())`` prints the verdict and what the GIL explains."""
    CHALLENGE.check(namespace)
