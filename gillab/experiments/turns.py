"""Who made progress when: the turns threads take under the GIL, read from a run's progress ticks.

Run chunks with ``n_ticks`` (see :mod:`gillab.measure.runners`) and every chunk records the moment each of
its slices finished. Put every worker's ticks on one time line: a *turn* is a stretch of ticks from
one worker with no tick from another in between. Under the GIL, CPU-bound threads hold it for
about one switch interval (``sys.getswitchinterval()``) before another gets it, so turns last about
that long. Workers that truly run at the same time (processes, or threads on a free-threaded
Python) interleave their ticks, and turns shrink to about one slice.

>>> from gillab.measure.runners import run_threads
>>> from gillab.measure.chunks import split_range
>>> from gillab.measure.workloads import count_sum
>>> with switch_interval(0.002):
...     record = run_threads(count_sum, split_range(0, 200_000, 2), 2, n_ticks=50)
>>> summary = summarise_turns(record)
>>> summary.workers, summary.count >= 1
(2, True)
"""

from __future__ import annotations

import contextlib
import statistics
import sys
from dataclasses import dataclass

from .._validate import require_positive_number

__all__ = ["Turn", "TurnSummary", "turns", "summarise_turns", "switch_interval"]


@dataclass(frozen=True)
class Turn:
    """One worker's uninterrupted stretch of progress: ``worker`` is its row in the timeline (0 for
    the first worker to start), ``start``/``end`` are ``perf_counter`` seconds, ``ticks`` how many
    slices it finished in the stretch."""

    worker: int
    start: float
    end: float
    ticks: int

    @property
    def seconds(self) -> float:
        return self.end - self.start


def turns(record) -> list[Turn]:
    """The turns of a :class:`~gillab.measure.runners.RunRecord` whose chunks were cut into ticks.

    A turn starts when the previous turn (of another worker) ended, or at the run's first start,
    and ends at its own last tick.
    """
    spans = list(record.spans)
    if not spans:
        raise ValueError("the record has no spans")
    if not any(span.ticks for span in spans):
        raise ValueError("the record has no progress ticks: run it with n_ticks > 1 (e.g. n_ticks=100)")
    first_start = {}
    for span in spans:
        key = (span.pid, span.thread_id)
        first_start[key] = min(first_start.get(key, span.start), span.start)
    row = {key: index for index, key in enumerate(sorted(first_start, key=first_start.get))}
    events = sorted((tick, row[(span.pid, span.thread_id)]) for span in spans for tick in span.ticks)
    result: list[Turn] = []
    turn_start = min(first_start.values())
    current, count, last_tick = events[0][1], 0, turn_start
    for tick, worker in events:
        if worker != current:
            result.append(Turn(current, turn_start, last_tick, count))
            turn_start, current, count = last_tick, worker, 0
        count += 1
        last_tick = tick
    result.append(Turn(current, turn_start, last_tick, count))
    return result


@dataclass(frozen=True)
class TurnSummary:
    """How many turns the workers took, the median and longest turn, and how many workers ran."""

    workers: int
    count: int
    median_s: float
    longest_s: float

    def __str__(self) -> str:
        return (
            f"{self.workers} workers took {self.count} turns: median {self.median_s * 1000:.2f} ms, "
            f"longest {self.longest_s * 1000:.2f} ms"
        )


def summarise_turns(record) -> TurnSummary:
    """Count and length of the turns in ``record`` (see :func:`turns`)."""
    found = turns(record)
    lengths = [turn.seconds for turn in found]
    return TurnSummary(
        workers=len({turn.worker for turn in found}),
        count=len(found),
        median_s=statistics.median(lengths),
        longest_s=max(lengths),
    )


@contextlib.contextmanager
def switch_interval(seconds: float):
    """Set ``sys.setswitchinterval(seconds)`` inside a ``with`` block and restore the old value
    afterwards, even when the block fails."""
    seconds = require_positive_number("seconds", seconds, maximum=1.0)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)
