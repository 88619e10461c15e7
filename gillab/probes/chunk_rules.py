"""The rules a probed chunked run must satisfy, as pure functions of its calls.

One implementation serves both judges: :class:`gillab.probes.chunk_probe.ChunkRun` in the student's
kernel (for the message a learner reads at once) and the grader's witness outside it
(:mod:`gillab.grading.witness`), which applies the same rules to the raw records after checking
them against ``/proc``. Code in the kernel can change the kernel's copy; it cannot reach the
witness's.

>>> calls = [Call(7, 70, 1, 6, 0.0, 1.0), Call(7, 71, 6, 11, 0.1, 1.1)]
>>> chunk_verdict(calls, kind="threads", workers=2, met=True, caller_pid=7, caller_thread=7,
...               name="count_sum", function_name="threaded_sum", start=1, stop=11) is None
True
>>> most_at_once(calls)
2
>>> chunk_verdict(calls, kind="processes", workers=2, met=True, caller_pid=7, caller_thread=7,
...               name="count_sum", function_name="process_sum", start=1, stop=11).split(":")[0]
"process_sum ran every chunk in the notebook's own process, on threads"
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Call", "KINDS", "most_at_once", "coverage_problem", "chunk_verdict"]

#: What a probed run must show: chunks on threads of the caller's process, or in other processes.
KINDS = ("threads", "processes")


@dataclass(frozen=True)
class Call:
    """One call of a probed function: who made it (process, native thread), on what, and when."""

    pid: int
    thread_id: int
    lo: int
    hi: int
    start: float
    end: float


def most_at_once(calls) -> int:
    """The most calls in progress at the same moment (their start..end intervals overlapping)."""
    events = sorted([(call.start, 1) for call in calls] + [(call.end, -1) for call in calls])
    peak = current = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak


def coverage_problem(calls, name: str, start: int, stop: int) -> str | None:
    """Why the chunks given to ``name`` do not cover ``[start, stop)`` exactly once, or None."""
    chunks = sorted((call.lo, call.hi) for call in calls if call.hi != call.lo)
    position = start
    for lo, hi in chunks:
        if lo != position or hi < lo:
            break
        position = hi
    else:
        if position == stop:
            return None
    shown = ", ".join(f"({lo}, {hi})" for lo, hi in chunks[:8]) + (", ..." if len(chunks) > 8 else "")
    return f"the chunks it gave {name} do not cover {start}..{stop - 1} exactly once: they were {shown or 'none'}"


def _threads_problem(calls, name, function_name, caller_pid, caller_thread) -> str | None:
    own = [call for call in calls if (call.pid, call.thread_id) == (caller_pid, caller_thread)]
    if own:
        return (
            f"{function_name} summed {len(own)} of its {len(calls)} chunks on the notebook's own "
            f"thread: each chunk must be summed by {name} on a thread you start (threading.Thread "
            f"or ThreadPoolExecutor), and {function_name} only adds up what the threads found."
        )
    elsewhere = [call for call in calls if call.pid != caller_pid]
    if elsewhere:
        return (
            f"{function_name} ran {len(elsewhere)} of its {len(calls)} chunks in other processes: "
            f"this part is about threads in the notebook's own process (threading.Thread or "
            f"concurrent.futures.ThreadPoolExecutor); processes are the next part."
        )
    return None


def _processes_problem(calls, name, function_name, caller_pid, caller_thread) -> str | None:
    own = [call for call in calls if call.pid == caller_pid]
    if len(own) == len(calls):
        if {call.thread_id for call in own} - {caller_thread}:
            return (
                f"{function_name} ran every chunk in the notebook's own process, on threads: threads "
                f'(joblib\'s threading backend too, backend="threading" or prefer="threads") share this '
                f"process, where the GIL lets one thread run Python at a time. Let joblib.Parallel use "
                f"worker processes (its default backend, loky)."
            )
        return (
            f"{function_name} ran every chunk in the notebook's own process: did you hand the work "
            f"to joblib.Parallel? Give it one delayed({name})(lo, hi) per chunk."
        )
    if own:
        return (
            f"{function_name} ran {len(own)} of its {len(calls)} chunks in the notebook's own "
            f"process: every chunk must go to joblib's worker processes, and {function_name} only "
            f"adds up what they return."
        )
    return None


def chunk_verdict(calls, *, kind: str, workers: int, met: bool, caller_pid: int, caller_thread: int,
                  name: str, function_name: str, start: int, stop: int) -> str | None:
    """What is wrong with a probed run, in words that say what to change, or ``None`` when
    ``function_name`` summed ``[start, stop)`` with ``name`` in ``workers`` workers of ``kind``,
    all of them in progress at the same moment (``met``: the rendezvous said so)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    calls = list(calls)
    if not calls:
        return (
            f"{function_name} never called {name}: sum each chunk with {name}(lo, hi), the function "
            f"imported at the top of the notebook. (A formula or a fixed answer gives the right "
            f"number, but cannot show that the work ran in parallel.)"
        )
    rule = _threads_problem if kind == "threads" else _processes_problem
    problem = rule(calls, name, function_name, caller_pid, caller_thread)
    if problem:
        return problem
    problem = coverage_problem(calls, name, start, stop)
    if problem:
        return f"{function_name}: {problem}. Give each number to exactly one chunk."
    if not met:
        where = "threads" if kind == "threads" else "worker processes"
        return (
            f"{function_name} never had {workers} chunks in progress at the same time on {workers} "
            f"{where}: at most {most_at_once(calls)} of its {len(calls)} calls of {name} overlapped. "
            f"Start every worker before you wait for any (submit every chunk before asking for a "
            f"result, or start all threads before joining one)."
        )
    return None
