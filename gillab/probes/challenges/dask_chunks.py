"""Chapter 07's challenge: hand the chunks to the Dask cluster, so that they run on two workers at once.

The learner writes ``sum_on_cluster(client, chunks)``: give each chunk ``(lo, hi)`` to the cluster as a
task of ``count_sum`` (``client.map`` or one ``client.submit`` per chunk), then gather the results and
return their sum.

The check runs it on the chapter's cluster (:func:`gillab.measure.cluster.current`) with ``count_sum``
replaced by :func:`gillab.probes.dask_tasks.probe_dask_chunks`' recording stand-in, which Dask carries
into the workers. From what the stand-in recorded inside each task, and from the scheduler's own
record of when each task was submitted and finished, it says whether the chunks were tasks of their
own, on at least two workers (two worker processes), with two of them inside ``count_sum`` at the
same moment (a rendezvous only simultaneous tasks can meet), each number summed once, and the total
right. Nothing is timed. The course's own :func:`gillab.measure.runners.run_dask` does not count.

Without a cluster, or with the answer cell untouched, the check says so and raises nothing.

>>> def sum_on_cluster(client, chunks):
...     '''Your answer.'''
...     raise NotImplementedError("write your answer here")
>>> CHALLENGE.verdict(globals()).status
'not attempted yet'
"""

from __future__ import annotations

from ...measure import cluster, runners, speedup
from ...measure.chunks import split_range
from ...measure.workloads import count_sum
from ..dask_tasks import probe_dask_chunks
from ..tripwire import forbid_calls
from .judging import Challenge, Verdict, call_answer, not_attempted, not_yet, passed

__all__ = ["CHALLENGE", "check", "N", "N_CHUNKS", "WORKERS", "WAIT_S"]

#: The check sums 1..N in N_CHUNKS chunks; WORKERS of the cluster's workers must be summing at once.
N = 400_000
N_CHUNKS = 4
WORKERS = 2
#: How long the first task waits for a task on another worker (only a wrong answer waits it out).
WAIT_S = 5.0
_CALL = f"sum_on_cluster(client, chunks)  # {N_CHUNKS} chunks of 1..{N:,}"
_NAME = "sum_on_cluster"
_HAND_OVER = "futures = client.map(count_sum, [lo for lo, hi in chunks], [hi for lo, hi in chunks])"


def _where(run) -> str:
    lines = []
    for address in run.addresses():
        calls = [call for call in run.on_cluster() if call.address == address]
        chunks = ", ".join(f"({call.lo:,}, {call.hi:,})" for call in sorted(calls, key=lambda call: call.lo))
        lines.append(f"worker {address} (process {calls[0].pid}): {chunks}")
    return "; ".join(lines)


def _outside(run, pid: int):
    outside = [call for call in run.calls if not call.address]
    if not outside:
        return None
    here = [call for call in outside if call.pid == pid]
    if len(outside) == len(run.calls):
        if len(here) == len(outside):
            return not_yet(
                f"{_NAME} summed all {len(outside)} chunks in the notebook's own process: the cluster never saw them",
                f"hand each chunk to the cluster as a task, {_HAND_OVER}, then return sum(client.gather(futures))",
            )
        return not_yet(
            f"{_NAME} summed the chunks in processes of this machine that are not the cluster's workers (joblib's own "
            "pool, or a process pool of your own)",
            f"use the chapter's Dask client: {_HAND_OVER} (or joblib inside parallel_config(backend=\"dask\"))",
        )
    return not_yet(
        f"{_NAME} summed {len(outside)} of its {len(run.calls)} chunks outside the cluster",
        "send every chunk to the cluster, and only add up what client.gather returns",
    )


def _placement(run) -> Verdict | None:
    keys, addresses = run.keys(), run.addresses()
    tasks = len(run.on_cluster())
    if len(keys) == 1 and tasks > 1:
        return not_yet(
            f"one task summed all {tasks} chunks, one after the other, on the worker {addresses[0]}: the other "
            "workers had nothing to do",
            f"give each chunk a task of its own: {_HAND_OVER}",
        )
    if len(keys) > 1 and run.most_in_flight() == 1:
        return not_yet(
            f"your chunks went to the cluster one after another: the scheduler's record shows each of the {len(keys)} "
            "tasks submitted only after the one before had finished (result() right after each submit waits for it)",
            f"submit every chunk first, then wait for all of them: {_HAND_OVER}; total = sum(client.gather(futures))",
        )
    if len(addresses) == 1:
        return not_yet(
            f"all {tasks} tasks ran on one worker, {addresses[0]}, one after another, although the cluster has "
            f"{len(run.cluster_workers)}: with one thread per worker, one worker runs one task at a time",
            "let the scheduler spread the tasks: leave out workers=... (it pins tasks to the workers named)",
        )
    if not run.met:
        return not_yet(
            f"your tasks ran on {len(addresses)} workers, but never {WORKERS} of them at the same moment",
            f"submit every chunk before you wait for any result: {_HAND_OVER}",
        )
    return None


def _judge(namespace: dict) -> Verdict:
    import os

    from distributed import get_task_stream

    connection = cluster.current()
    if connection is None:
        return not_attempted(
            "no Dask cluster is connected in this notebook: run the cell with `cluster = connect(...)` near the top, "
            "then your answer cell and this one"
        )
    client = connection.client
    have = len(connection.workers())
    if have < WORKERS:
        return not_yet(
            f"the cluster at {connection.address} has {have} worker(s); this check needs {WORKERS}",
            f"connect to a cluster with at least {WORKERS} workers (connect(n_workers={WORKERS}) starts one here)",
        )
    chunks = split_range(1, N + 1, N_CHUNKS)
    helpers = (runners.run_dask, runners.run_chunks, speedup.measure_speedups)
    with forbid_calls(namespace, *helpers) as tripwire, get_task_stream(client) as stream:
        with probe_dask_chunks(namespace, client, WORKERS, count_sum, WAIT_S) as run:
            total = call_answer(_CALL, namespace[_NAME], client, chunks)
    used = [label for label, count in tripwire.counts.items() if count]
    if used:
        return not_yet(
            f"{_NAME} handed its work to {' and '.join(used)}, the course's own runner",
            f"call the cluster yourself: {_HAND_OVER}",
        )
    if not run.calls:
        return not_yet(
            f"{_NAME} never called count_sum, in this notebook or on the cluster at {connection.address}",
            "give each chunk to count_sum(lo, hi), the course's function (the check can only see work done by it), "
            "on the `client` the check passes you",
        )
    problem = _outside(run, os.getpid()) or _placement(run)
    if problem is not None:
        return problem
    coverage = run.coverage_problem(1, N + 1)
    if coverage:
        return not_yet(f"{coverage}", "give the cluster exactly the chunks you are given, each once")
    if total != N * (N + 1) // 2:
        return not_yet(
            f"{_NAME} returned {total!r}, but 1 + 2 + ... + {N:,} is {N * (N + 1) // 2}",
            "client.gather(futures) returns the chunks' sums: return sum() of that list",
        )
    seen = {entry["worker"] for entry in stream.data if str(entry["key"]) in set(run.keys())}
    return passed(
        f"{len(run.addresses())} workers of the cluster were summing chunks at the same moment, each chunk was a task "
        "of its own, and the total is right",
        f"Where the {len(run.calls)} tasks ran (recorded inside each): {_where(run)}.",
        f"Dask's own task stream saw them on {len(seen)} worker(s) too.",
        "Each worker is a process with its own interpreter and its own GIL, so their bytecode ran in parallel"
        + (" wherever there are CPUs for it: this Python may use only one, so here they took turns on it."
           if _one_cpu_here(run) else "."),
    )


def _one_cpu_here(run) -> bool:
    """Whether every worker that ran a chunk is on this machine, which gives this Python one CPU."""
    from ...machine.cpus import effective_cpu_count
    from ...machine.procfs import machine_id

    here = machine_id()
    return all(call.machine == here for call in run.on_cluster()) and effective_cpu_count() < 2


CHALLENGE = Challenge("07", "hand the chunks to the cluster", (_NAME,), _judge)


def check(namespace: dict) -> None:
    """The check cell: ``dask_chunks.check(globals())`` prints the verdict on ``sum_on_cluster``."""
    CHALLENGE.check(namespace)
