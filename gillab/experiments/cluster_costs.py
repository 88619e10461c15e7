"""What handing work to a Dask cluster costs (chapter 07): a task's round trip, the scheduler's share of
each task in a batch, moving data to the workers, and chunk sizes from too fine to too coarse.

Every function takes a ``distributed.Client`` (``connect().client``) and measures on its cluster as it
is; every task is new (``pure=False``), or Dask would hand back an earlier identical task's result
without running it.

>>> from gillab.measure.cluster import connect
>>> with connect(n_workers=2) as cluster:
...     sweep = chunk_sweep(cluster.client, n=200_000, chunk_counts=(1, 2), repeats=1)
>>> [(row.chunks, row.workers_used, row.result == 200_000 * 200_001 // 2) for row in sweep]
[(1, 1, True), (2, 2, True)]
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from .._validate import require_int
from ..measure.chunks import split_range
from ..measure.cluster import gather
from ..measure.timing import Timing, time_call
from ..measure.workloads import count_sum
from ..show.text import format_summary, timing_text

__all__ = [
    "round_trip", "per_task_cost", "DataCost", "data_costs", "data_costs_table", "SweepPoint", "chunk_sweep",
    "sweep_table", "Costs", "task_costs", "MAX_TASKS",
]

#: More tasks than this in one measurement would keep a laptop's scheduler busy for minutes.
MAX_TASKS = 100_000


def _where(value=None):
    return os.getpid()


def _submit_and_wait(client) -> int:
    return client.submit(_where, pure=False).result()


def round_trip(client, repeats: int = 20) -> Timing:
    """Seconds to submit one task that does nothing and get its answer back, ``repeats`` times."""
    repeats = require_int("repeats", repeats, minimum=1, maximum=10_000)
    return time_call(_submit_and_wait, client, repeats=repeats, warmup=1)


def _batch(client, tasks: int) -> list:
    return gather(client, client.map(_where, range(tasks), pure=False))


def per_task_cost(client, tasks: int = 200, repeats: int = 3) -> Timing:
    """Seconds per task when ``tasks`` tasks that do nothing are submitted at once and gathered
    (``client.map``): the scheduler's and the workers' own work for each task, with no work in it."""
    tasks = require_int("tasks", tasks, minimum=1, maximum=MAX_TASKS)
    repeats = require_int("repeats", repeats, minimum=1, maximum=100)
    batch = time_call(_batch, client, tasks, repeats=repeats, warmup=1)
    return Timing(tuple(seconds / tasks for seconds in batch.samples), result=len(set(batch.result)))


@dataclass(frozen=True)
class DataCost:
    """Moving ``size_bytes`` to a worker: as an argument of each task (``argument``), with
    ``client.scatter`` once (``scatter``), and a task on the scattered data afterwards (``reuse``)."""

    size_bytes: int
    argument: Timing
    scatter: Timing
    reuse: Timing


def _as_argument(client, data) -> int:
    return client.submit(len, data, pure=False).result()


def _scatter(client, data):
    return client.scatter(data, hash=False)


def _on_scattered(client, future) -> int:
    return client.submit(len, future, pure=False).result()


def data_costs(client, sizes_bytes=(1_000_000, 10_000_000), repeats: int = 3) -> list[DataCost]:
    """For each size, seconds to send ``bytes`` of that size to a task as its argument, to
    ``scatter`` it to a worker, and to run a task on the scattered copy (median of ``repeats``)."""
    import warnings

    repeats = require_int("repeats", repeats, minimum=1, maximum=100)
    costs = []
    for size in sizes_bytes:
        size = require_int("size_bytes", size, minimum=1, maximum=2 * 10**9)
        data = os.urandom(size)
        with warnings.catch_warnings():
            # "Sending large graph of size ...": exactly what this measures
            warnings.simplefilter("ignore", UserWarning)
            argument = time_call(_as_argument, client, data, repeats=repeats, warmup=0)
        scatter = time_call(_scatter, client, data, repeats=repeats, warmup=0)
        future = scatter.result
        reuse = time_call(_on_scattered, client, future, repeats=repeats, warmup=0)
        if reuse.result != size or argument.result != size:
            raise RuntimeError(f"a task saw {reuse.result} or {argument.result} bytes instead of {size}")
        client.cancel([future])
        costs.append(DataCost(size, argument, scatter, reuse))
    return costs


def data_costs_table(costs) -> str:
    """:func:`data_costs` as a table."""
    lines = [f"{'size':>8}  {'as an argument':<34} {'scatter once':<34} a task on the scattered data"]
    for cost in costs:
        size = f"{cost.size_bytes / 1e6:g} MB"
        lines.append(
            f"{size:>8}  {timing_text(cost.argument):<34} {timing_text(cost.scatter):<34} {timing_text(cost.reuse)}"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class SweepPoint:
    """The sum of ``1..n`` in ``chunks`` tasks on the cluster, against a serial loop run just before
    each: its ``speedup`` summary, the ``seconds`` the cluster took, ``workers_used`` (distinct
    workers that ran tasks in the last run) and the ``result``."""

    chunks: int
    speedup: dict
    seconds: dict
    workers_used: int
    result: int


def _sum_on_cluster(client, chunks) -> tuple[int, int]:
    futures = client.map(_located_sum, [lo for lo, _ in chunks], [hi for _, hi in chunks], pure=False)
    results = gather(client, futures)
    return sum(value for value, _ in results), len({pid for _, pid in results})


def _located_sum(lo: int, hi: int) -> tuple[int, int]:
    return count_sum(lo, hi), os.getpid()


def chunk_sweep(client, n: int = 2_000_000, chunk_counts=(1, 2, 3, 4, 16, 256), repeats: int = 3) -> list[SweepPoint]:
    """The sum of ``1..n`` cut into each number of chunks in ``chunk_counts``, handed to the cluster
    as ``client.map`` would (the scheduler places the tasks), each run paired with a serial run
    made just before it, ``repeats`` rounds."""
    n = require_int("n", n, minimum=1, maximum=10**10)
    repeats = require_int("repeats", repeats, minimum=1, maximum=100)
    counts = [require_int("chunk count", count, minimum=1, maximum=MAX_TASKS) for count in chunk_counts]
    if not counts:
        raise ValueError("chunk_counts must name at least one number of chunks, e.g. (1, 2, 4)")
    _sum_on_cluster(client, split_range(1, 3, 2))  # the workers import the course's code once, untimed
    samples = {count: ([], []) for count in counts}
    last = {}
    for _ in range(repeats):
        for count in counts:
            start = time.perf_counter()
            count_sum(1, n + 1)
            serial_s = time.perf_counter() - start
            start = time.perf_counter()
            last[count] = _sum_on_cluster(client, split_range(1, n + 1, count))
            cluster_s = time.perf_counter() - start
            samples[count][0].append(serial_s / cluster_s)
            samples[count][1].append(cluster_s)
    return [
        SweepPoint(count, Timing(tuple(ratios)).summary(), Timing(tuple(seconds)).summary(), last[count][1],
                   last[count][0])
        for count, (ratios, seconds) in samples.items()
    ]


def sweep_table(points, n: int) -> str:
    """:func:`chunk_sweep` as a table: numbers per task, workers used, speedup over serial."""
    lines = [f"{'chunks':>7} {'numbers each':>13} {'workers used':>13}  speedup over serial: median (min-max)"]
    for point in points:
        lines.append(
            f"{point.chunks:>7,} {n // point.chunks:>13,} {point.workers_used:>13}  "
            f"{format_summary(point.speedup, 'x', runs=False)}"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Costs:
    """A round trip (:func:`round_trip`) and the cost per task in a batch (:func:`per_task_cost`)."""

    round_trip: Timing
    per_task: Timing
    tasks: int

    def __str__(self) -> str:
        return (
            f"one task, submitted and waited for: {timing_text(self.round_trip)}\n"
            f"per task, {self.tasks} tasks submitted at once: {timing_text(self.per_task)}"
        )


def task_costs(client, round_trips: int = 20, tasks: int = 200, repeats: int = 3) -> Costs:
    """:func:`round_trip` and :func:`per_task_cost` together, for one table."""
    return Costs(round_trip(client, round_trips), per_task_cost(client, tasks, repeats), tasks)
