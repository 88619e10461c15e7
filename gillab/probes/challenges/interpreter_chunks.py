"""Chapter 06's subinterpreter challenge: hand the chunks to an ``InterpreterPoolExecutor``.

The learner writes ``sum_in_interpreters(chunks, n_interpreters)``: submit each chunk ``(lo, hi)``
as ``pool.submit(count_sum, lo, hi)`` to an ``InterpreterPoolExecutor(max_workers=n_interpreters)``
(the course's, :class:`gillab.measure.interpreter_pool.InterpreterPoolExecutor`, which wraps the
standard library's or the backport's), and return the sum of the results.

The check runs it with ``count_sum`` replaced by the course's recording stand-in
(:func:`gillab.probes.interpreter_probe.probe_interpreter_chunks`), which crosses into the worker
interpreters: it says whether ``n_interpreters`` interpreters of this process, other than the
notebook's own, summed the chunks at the same moment (each call waits, a bounded time, for the
others), whether each number was summed once, and whether the total is right. Threads of the
notebook's interpreter, other processes, one task at a time, a function defined in the notebook and
the course's own runner each get their own message. On a Python without subinterpreters (before
3.13) the check says so, and where to find a kernel that has them, without running the answer.

>>> from gillab.measure.workloads import count_sum
>>> def forgot_the_pool(chunks, n_interpreters):
...     return sum(count_sum(lo, hi) for lo, hi in chunks)
>>> sum_in_interpreters = forgot_the_pool
>>> verdict = CHALLENGE.verdict(globals())
>>> verdict.status == "not yet"
True
"""

from __future__ import annotations

import os
import threading

from ...machine.cpus import effective_cpu_count
from ...machine.interpreter import subinterpreter_support
from ...measure import interpreter_pool, runners, subinterpreters
from ...measure.chunks import split_range
from ...measure.workloads import count_sum
from .._binding import replaced
from ..interpreter_probe import probe_interpreter_chunks
from ..tripwire import forbid_calls
from .judging import AnswerRaised, Challenge, Verdict, call_answer, not_yet, passed

__all__ = ["CHALLENGE", "check", "N", "INTERPRETERS", "WAIT_S"]

#: The check sums 1..N in INTERPRETERS chunks, one per interpreter.
N = 200_000
INTERPRETERS = 2
#: How long a call in a worker interpreter waits for the others (a pool starts an interpreter per
#: task as tasks arrive, tens of milliseconds each; seconds on a busy one-CPU machine).
WAIT_S = 10.0
_CALL = f"sum_in_interpreters(chunks, {INTERPRETERS})"
_POOL = "InterpreterPoolExecutor(max_workers=n_interpreters)"


def _unavailable() -> Verdict | None:
    support = subinterpreter_support()
    if support.available:
        return None
    return not_yet(
        f"this kernel cannot run your answer: {support.detail}",
        "switch to a kernel of Python 3.13 or newer (Kernel > Change Kernel: \"Python 3.13 (standard build)\", made by "
        "make gil-kernel, or the free-threaded one), run the cells above again, then this one",
    )


def _how_many(some: int, every: int) -> str:
    return f"all {every} chunks" if some == every else f"{some} of its {every} chunks"


class _RecordedPools:
    """Stands in for the course's InterpreterPoolExecutor class during a check: the same pool, and
    the max_workers of every pool the answer makes."""

    def __init__(self):
        self.max_workers: list[int] = []
        recorded = self.max_workers

        class InterpreterPoolExecutor(interpreter_pool.InterpreterPoolExecutor):
            def __init__(self, max_workers: int = 2):
                super().__init__(max_workers)
                recorded.append(self.max_workers)

        InterpreterPoolExecutor.__module__ = interpreter_pool.__name__
        InterpreterPoolExecutor.__qualname__ = "InterpreterPoolExecutor"
        self.cls = InterpreterPoolExecutor


def _placement(run, pools: list[int]) -> Verdict | None:
    """Why the calls did not run in INTERPRETERS other interpreters of this process at once, or None
    (``pools``: the max_workers of each pool the answer created)."""
    calls = list(run.calls)
    if not calls:
        return not_yet(
            f"{_CALL} never called count_sum",
            "submit count_sum itself for each chunk: pool.submit(count_sum, lo, hi); the check can only see work "
            "done by the course's count_sum",
        )
    if run.in_other_processes():
        return not_yet(
            f"{_CALL} summed {len(run.in_other_processes())} of its chunks in other processes (a process pool or "
            "joblib)",
            f"this challenge is about interpreters inside the notebook's own process: use {_POOL}",
        )
    own = run.in_caller_interpreter()
    if own:
        on_own_thread = [call for call in own if call.thread_id == threading.get_native_id()]
        if len(on_own_thread) == len(own):
            return not_yet(
                f"{_CALL} summed {_how_many(len(own), len(calls))} in the notebook's own interpreter, on its own "
                "thread, one after the other",
                f"create a pool with {_POOL} and submit every chunk to it",
            )
        return not_yet(
            f"{_CALL} summed {_how_many(len(own), len(calls))} on threads of the notebook's own interpreter (a "
            "ThreadPoolExecutor?): they share its one GIL, so their Python code takes turns",
            f"use {_POOL} instead: each of its workers has an interpreter, and a GIL, of its own",
        )
    used = run.interpreters_used()
    if used < INTERPRETERS and pools and max(pools) < INTERPRETERS:
        return not_yet(
            f"your pool had max_workers={max(pools)}: one interpreter, which summed the {len(calls)} chunks one "
            "after another",
            f"give the pool {INTERPRETERS} workers, max_workers=n_interpreters, one chunk each",
        )
    if used < INTERPRETERS:
        return not_yet(
            f"only {used} of your pool's interpreters summed the {len(calls)} chunks, one after another: each chunk "
            "was submitted only after the previous one's result came back, so one worker was always enough",
            "submit every chunk first (a list of futures), then ask for the results",
        )
    if not run.met:
        most = run.most_at_once()
        return not_yet(
            f"your {used} interpreters ran one after another: at most {most} of the {len(calls)} chunks "
            f"{'was' if most == 1 else 'were'} in progress at the same moment",
            "submit every chunk before you ask for any result (future.result() waits for that one task)",
        )
    return None


def _judge(namespace: dict) -> Verdict:
    unavailable = _unavailable()
    if unavailable is not None:
        return unavailable
    chunks = split_range(1, N + 1, INTERPRETERS)
    helpers = (subinterpreters.run_subinterpreters, runners.run_chunks)
    pools = _RecordedPools()
    try:
        with forbid_calls(namespace, *helpers) as tripwire, replaced(
            namespace, interpreter_pool.InterpreterPoolExecutor, pools.cls
        ), probe_interpreter_chunks(namespace, INTERPRETERS, count_sum, wait_s=WAIT_S) as run:
            total = call_answer(_CALL, namespace["sum_in_interpreters"], chunks, INTERPRETERS)
    except AnswerRaised as raised:
        if isinstance(raised.error, subinterpreters.CannotCrossInterpreters):
            return not_yet(
                f"the pool refused what your code submitted: {raised.error}",
                "submit count_sum itself, the course's function imported at the top of the notebook: "
                "pool.submit(count_sum, lo, hi)",
            )
        raise
    used = [label for label, count in tripwire.counts.items() if count]
    if used:
        return not_yet(
            f"{_CALL} handed its work to {' and '.join(used)}, the course's own runner",
            f"use the pool yourself: {_POOL}, and pool.submit(count_sum, lo, hi) for each chunk",
        )
    problem = _placement(run, pools.max_workers)
    if problem is not None:
        return problem
    coverage = run.coverage_problem(1, N + 1)
    if coverage:
        return not_yet(f"{coverage}", "submit exactly the chunks you are given, each once")
    if total != N * (N + 1) // 2:
        return not_yet(
            f"{_CALL} returned {total!r}, but 1 + 2 + ... + {N:,} is {N * (N + 1) // 2}",
            "add up the results of the futures: sum(future.result() for future in futures)",
        )
    return passed(
        f"{run.interpreters_used()} interpreters of this process (not the notebook's) summed the "
        f"{len(run.calls)} chunks at the same moment, and the total is right",
        f"Each interpreter has its own GIL, so their bytecode ran in parallel inside ONE process (pid {os.getpid()})"
        + (
            "." if effective_cpu_count() > 1
            else " wherever there are CPUs for it: this Python may use only one, so here they took turns on it."
        ),
    )


CHALLENGE = Challenge("06", "hand the chunks to an InterpreterPoolExecutor", ("sum_in_interpreters",), _judge)


def check(namespace: dict) -> None:
    """The check cell: ``interpreter_chunks.check(globals())`` prints the verdict on ``sum_in_interpreters``."""
    CHALLENGE.check(namespace)
