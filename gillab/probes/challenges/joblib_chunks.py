"""Chapter 05's first challenge: hand the chunks to ``joblib.Parallel``.

The learner writes ``sum_in_processes(chunks, n_jobs)``: give each chunk ``(lo, hi)`` to
``joblib.Parallel(n_jobs=n_jobs)`` as ``delayed(count_sum)(lo, hi)`` and return the sum of the
results.

The check runs it with ``count_sum`` replaced by the course's recording stand-in
(:func:`gillab.probes.chunk_probe.probe_chunks`), which joblib carries into its worker processes:
it says whether the chunks were summed in ``n_jobs`` processes other than the kernel's, all at the
same moment (each call waits, a bounded time, for the others), whether each number was summed once,
and whether the total is right. Joblib's threading backend, one ``Parallel`` call per chunk and the
course's :func:`gillab.measure.runners.run_processes` do not count.

>>> from gillab.measure.workloads import count_sum
>>> def forgot_joblib(chunks, n_jobs):
...     return sum(count_sum(lo, hi) for lo, hi in chunks)
>>> sum_in_processes = forgot_joblib
>>> CHALLENGE.verdict(globals()).change
'hand the chunks to joblib: Parallel(n_jobs=...)(delayed(count_sum)(lo, hi) for lo, hi in chunks)'
"""

from __future__ import annotations

from ...machine.cpus import effective_cpu_count
from ...measure import runners, speedup
from ...measure.chunks import split_range
from ...measure.workloads import count_sum
from .chunk_evidence import placement_problem, probe_answer
from .judging import Challenge, Verdict, not_yet, passed

__all__ = ["CHALLENGE", "check", "N", "N_JOBS", "WAIT_S"]

#: The check sums 1..N in N_JOBS chunks.
N = 200_000
N_JOBS = 2
#: How long a worker's call waits for the other workers. The chapter's workers are already running
#: when the check comes (the cells above used joblib); a cold start on a busy 1-CPU machine can
#: still take seconds.
WAIT_S = 10.0
_CALL = f"sum_in_processes(chunks, {N_JOBS})"


def _judge(namespace: dict) -> Verdict:
    chunks = split_range(1, N + 1, N_JOBS)
    run, total, helpers = probe_answer(
        namespace, namespace["sum_in_processes"], _CALL, "processes", N_JOBS, count_sum,
        (runners.run_processes, runners.run_chunks, speedup.measure_speedups), wait_s=WAIT_S, args=(chunks, N_JOBS),
    )
    if helpers:
        return not_yet(
            f"{_CALL} handed its work to {' and '.join(helpers)}, the course's own runner",
            "call joblib yourself: Parallel(n_jobs=n_jobs)(delayed(count_sum)(lo, hi) for lo, hi in chunks)",
        )
    problem = placement_problem(run, "processes", N_JOBS, _CALL, "count_sum")
    if problem is not None:
        return problem
    coverage = run.coverage_problem(1, N + 1)
    if coverage:
        return not_yet(f"{coverage}", "give Parallel exactly the chunks you are given, each once")
    if total != N * (N + 1) // 2:
        return not_yet(
            f"{_CALL} returned {total!r}, but 1 + 2 + ... + {N:,} is {N * (N + 1) // 2}",
            "Parallel returns the list of the chunks' sums: return sum() of that list",
        )
    pids = len({call.pid for call in run.calls})
    return passed(
        f"{pids} worker processes (not the kernel's) summed the {len(run.calls)} chunks at the same moment, and the "
        "total is right",
        "Each process has its own interpreter and its own GIL, so their bytecode ran in parallel"
        + (
            "." if effective_cpu_count() > 1
            else " wherever there are CPUs for it: this Python may use only one, so here they took turns on it."
        ),
    )


CHALLENGE = Challenge("05", "hand the chunks to joblib", ("sum_in_processes",), _judge)


def check(namespace: dict) -> None:
    """The check cell: ``joblib_chunks.check(globals())`` prints the verdict on ``sum_in_processes``."""
    CHALLENGE.check(namespace)
