"""The GIL inside a Dask worker (chapter 07): one worker with 2 threads against 2 workers with 1 thread.

A Dask worker is one Python process that runs tasks on a pool of threads. Two chunks on one worker's
two threads share that process's GIL (chapter 03 again); two chunks on two workers each have their
own (chapter 05). :func:`threads_or_workers` measures both on this machine, on a small local cluster
of its own (2 workers of 2 threads each, so that the same processes serve both layouts): the two
chunks pinned to one worker, or one chunk on each. Each run is paired with a serial run in the
notebook made just before it, in rotating order.

>>> rows = threads_or_workers({"count_sum": 2_000_000}, repeats=1)
>>> [(row.workload, row.layout, row.record.distinct_processes, row.record.distinct_threads) for row in rows]
[('count_sum', '1 worker x 2 threads', 1, 2), ('count_sum', '2 workers x 1 thread', 2, 2)]
"""

from __future__ import annotations

from dataclasses import dataclass

from .._validate import require_int
from ..measure.chunks import split_range
from ..measure.cluster import connect
from ..measure.runners import RunRecord, run_dask, run_serial
from ..measure.timing import Timing
from ..measure.workloads import WORKLOADS
from ..show.text import format_summary

__all__ = ["LAYOUTS", "LayoutResult", "threads_or_workers", "layouts_table"]

#: The two ways of giving two chunks two threads, and how many workers each uses.
LAYOUTS = {"1 worker x 2 threads": 1, "2 workers x 1 thread": 2}


@dataclass(frozen=True)
class LayoutResult:
    """One workload in one layout: ``speedup`` over the serial run made just before each (a
    median/min/max summary), ``holds_gil`` (the workload's nature), and the last run's ``record``
    (which worker processes and threads ran the chunks)."""

    workload: str
    layout: str
    n: int
    speedup: dict
    holds_gil: bool
    record: RunRecord


def threads_or_workers(sizes: dict, repeats: int = 3) -> list[LayoutResult]:
    """For each ``{workload name: n}`` in ``sizes`` (names of :data:`gillab.measure.workloads.WORKLOADS`),
    the work over ``1..n`` in 2 chunks: serial, on 1 worker's 2 threads, and on 2 workers; ``repeats``
    rounds. Starts and stops its own local cluster."""
    repeats = require_int("repeats", repeats, minimum=1, maximum=50)
    if not sizes:
        raise ValueError("sizes must name at least one workload, e.g. {'count_sum': 2_000_000}")
    unknown = [name for name in sizes if name not in WORKLOADS]
    if unknown:
        raise ValueError(f"unknown workload(s) {unknown}; choose from {', '.join(WORKLOADS)}")
    results = []
    with connect(n_workers=2, threads_per_worker=2) as cluster:
        for name, n in sizes.items():
            n = require_int(f"sizes[{name!r}]", n, minimum=2, maximum=10**10)
            function = WORKLOADS[name].function
            chunks = split_range(1, n + 1, 2)
            for workers in LAYOUTS.values():  # untimed: each worker imports the workload once
                run_dask(function, split_range(1, 3, 2), workers, client=cluster.client)
            ratios = {layout: [] for layout in LAYOUTS}
            records = {}
            for round_number in range(repeats):
                order = list(LAYOUTS.items())
                order = order[round_number % 2:] + order[:round_number % 2]
                for layout, workers in order:
                    serial = run_serial(function, chunks)
                    record = run_dask(function, chunks, workers, client=cluster.client)
                    if record.result != serial.result:
                        raise RuntimeError(f"{layout} summed {record.result}, serially {serial.result}")
                    ratios[layout].append(serial.wall_s / record.wall_s)
                    records[layout] = record
            results += [
                LayoutResult(name, layout, n, Timing(tuple(ratios[layout])).summary(), WORKLOADS[name].holds_gil,
                             records[layout])
                for layout in LAYOUTS
            ]
    return results


def layouts_table(results) -> str:
    """:func:`threads_or_workers` as a table, with what ran where."""
    lines = [f"{'work':<12} {'layout':<22} {'ran on':<28} speedup over serial: median (min-max)"]
    for result in results:
        record = result.record
        where = f"{record.distinct_processes} process(es), {record.distinct_threads} thread(s)"
        lines.append(
            f"{result.workload:<12} {result.layout:<22} {where:<28} {format_summary(result.speedup, 'x', runs=False)}"
        )
    return "\n".join(lines)
