"""What the chunk challenges share (chapters 02, 05 and 06): reading a probed run's record of which
process and thread summed each chunk, and saying what went wrong in the learner's terms.

:func:`probe_answer` runs the learner's function under :func:`gillab.probes.chunk_probe.probe_chunks`
(the course's recording stand-in for the work function, with its rendezvous) and under a
:func:`gillab.probes.tripwire.forbid_calls` tripwire on the course helpers that would do the whole
job; :func:`placement_problem` turns the record into a NOT YET verdict, or None when the chunks ran
on ``workers`` workers of the right kind, all in progress at the same moment.

>>> from gillab.measure.workloads import count_sum
>>> def serial_sum():
...     return count_sum(1, 11) + count_sum(11, 21)
>>> run, total, helpers = probe_answer(globals(), serial_sum, "serial_sum()", "threads", 2, count_sum, ())
>>> total, len(run.calls), helpers
(210, 2, [])
>>> print(placement_problem(run, "threads", 2, "serial_sum()", "count_sum").happened)
serial_sum() summed all 2 chunks on the notebook's own thread, one after the other
"""

from __future__ import annotations

import os
import threading

from ..chunk_probe import probe_chunks
from ..tripwire import forbid_calls
from .judging import Verdict, call_answer, not_yet

__all__ = ["probe_answer", "placement_problem", "chunks_text", "START_TOGETHER"]

#: What to change when the workers ran one after another.
START_TOGETHER = "start every thread before you join any"
_SPELLED = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


def probe_answer(namespace, function, call, kind, workers, work, helpers, wait_s=None, args=()):
    """Call the learner's ``function(*args)`` with ``work`` probed (``kind``, ``workers``) and the
    course functions in ``helpers`` watched. Returns ``(run, result, helpers used)``, the last a
    list of "module.function" labels; the learner's exception comes out as
    :class:`~gillab.probes.challenges.judging.AnswerRaised`."""
    options = {} if wait_s is None else {"wait_s": wait_s}
    used: list[str] = []
    if helpers:
        with forbid_calls(namespace, *helpers) as tripwire:
            with probe_chunks(namespace, kind, workers, function=work, **options) as run:
                result = call_answer(call, function, *args)
        used = [label for label, count in tripwire.counts.items() if count]
    else:
        with probe_chunks(namespace, kind, workers, function=work, **options) as run:
            result = call_answer(call, function, *args)
    return run, result, used


def chunks_text(chunks) -> str:
    """``(1, 6), (6, 11)`` for a list of (lo, hi) pairs."""
    return ", ".join(f"({lo}, {hi})" for lo, hi in chunks) or "none"


def placement_problem(run, kind: str, workers: int, call: str, work_name: str) -> Verdict | None:
    """Why the chunks in ``run`` did not run on ``workers`` workers of ``kind`` ("threads" of this
    process, or other "processes") all at once, as a NOT YET verdict; None when they did."""
    pid, thread = os.getpid(), threading.get_native_id()
    calls = list(run.calls)
    if not calls:
        return not_yet(
            f"{call} never called {work_name}",
            f"give each chunk to {work_name}(lo, hi), the course's function: the check can only see work done by it",
        )
    own_thread = [c for c in calls if (c.pid, c.thread_id) == (pid, thread)]
    own_process = [c for c in calls if c.pid == pid]
    if kind == "threads":
        if own_thread:
            summed = (f"all {len(calls)} chunks" if len(own_thread) == len(calls)
                      else f"{len(own_thread)} of its {len(calls)} chunks")
            return not_yet(
                f"{call} summed {summed} on the notebook's own thread, one after the other",
                "give each chunk to a thread of its own (threading.Thread(target=...)), start them all, then "
                f"join them; {call.split('(')[0]} itself only adds up what the threads found",
            )
        if len(own_process) != len(calls):
            return not_yet(
                f"{call} summed {len(calls) - len(own_process)} of its chunks in other processes",
                "this challenge is about threads of the notebook's own process: threading.Thread or ThreadPoolExecutor",
            )
        workers_seen = len({c.thread_id for c in calls})
        where = "thread"
    else:
        if len(own_process) == len(calls):
            if own_thread and len(own_thread) == len(calls):
                return not_yet(
                    f"{call} summed all {len(calls)} chunks in the notebook's own process, one after the other",
                    "hand the chunks to joblib: "
                    f"Parallel(n_jobs=...)(delayed({work_name})(lo, hi) for lo, hi in chunks)",
                )
            return not_yet(
                f"{call} summed every chunk in the notebook's own process, on threads (joblib's threading backend, "
                "prefer=\"threads\", or a thread pool): they share this process and its GIL",
                "let joblib.Parallel use worker processes: its default backend, loky (no backend= or prefer=)",
            )
        if own_process:
            return not_yet(
                f"{call} summed {len(own_process)} of its {len(calls)} chunks in the notebook's own process",
                "send every chunk to the worker processes, and only add up what they return",
            )
        workers_seen = len({c.pid for c in calls})
        where = "worker process"
    if workers_seen < workers:
        plural = "processes" if where == "worker process" else "threads"
        named = where if workers_seen == 1 else plural
        return not_yet(
            f"only {workers_seen} {named} summed the {len(calls)} chunks, so they ran one after another",
            f"use {workers} {plural}, one chunk each"
            + (" (a pool with max_workers=1 never runs two tasks at once)" if where == "thread" else ""),
        )
    if not run.met:
        spelled = _SPELLED.get(workers, str(workers))
        most = run.most_at_once()
        were = "was" if most == 1 else "were"
        if kind == "threads":
            return not_yet(
                f"your {spelled} threads ran one after another: at most {most} of the {len(calls)} chunks "
                f"{were} in progress at the same moment",
                START_TOGETHER,
            )
        return not_yet(
            f"your chunks went to the worker processes one after another: at most {most} of the {len(calls)} "
            f"{were} in progress at the same moment",
            "give Parallel every chunk in ONE call (a generator of delayed(...) calls), "
            "not one Parallel call per chunk",
        )
    return None
