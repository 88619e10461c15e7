"""The course's one timing helper, and the arithmetic of speedup and Amdahl's law.

Every timing in the course, the labs and the benchmarks goes through :func:`time_call`, so they all
warm up, repeat and summarise the same way: the median of the repeats, with min and max beside it.

>>> timing = time_call(sum, range(1000), repeats=3)
>>> timing.result, len(timing.samples), len(timing.cpu_samples)
(499500, 3, 3)
>>> import time
>>> time_call(time.sleep, 0.02, repeats=1).cpu_median < 0.01  # sleeping uses (almost) no CPU
True
>>> round(amdahl_speedup(0.1, 4), 3)
3.077
>>> round(fit_amdahl([1, 2, 4], [amdahl_speedup(0.25, k) for k in (1, 2, 4)]), 3)
0.25
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from .._validate import require_int, require_positive_number

__all__ = ["Timing", "time_call", "speedup", "efficiency", "amdahl_speedup", "fit_amdahl", "MAX_REPEATS"]

MAX_REPEATS = 1000


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of each repeat, summarised; ``result`` is what the last call returned;
    ``cpu_samples`` the CPU seconds the whole process (all its threads) used in each repeat, when
    :func:`time_call` measured them."""

    samples: tuple[float, ...]
    result: object = None
    cpu_samples: tuple[float, ...] = ()

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    @property
    def cpu_median(self) -> float | None:
        """The median CPU seconds of the process per repeat (None when not measured). Far below
        :attr:`median` means the process mostly waited; a multiple of it, that threads computed at once."""
        return statistics.median(self.cpu_samples) if self.cpu_samples else None

    def summary(self) -> dict:
        """``{"median": ..., "min": ..., "max": ..., "repeats": ...}`` for tables and JSON."""
        return {"median": self.median, "min": self.min, "max": self.max, "repeats": len(self.samples)}

    def __str__(self) -> str:
        from ..show.text import timing_text  # here: the formatter's module draws on this one

        return timing_text(self)


def time_call(function, *args, repeats: int = 5, warmup: int = 1, **kwargs) -> Timing:
    """Call ``function(*args, **kwargs)`` ``warmup`` times untimed, then ``repeats`` times timed.

    Warm-up calls absorb one-off costs (imports, caches, starting worker processes) so that the
    repeats measure the steady state; pass ``warmup=0`` to measure a cold start on purpose.
    """
    if not callable(function):
        raise TypeError(f"function must be callable, got {function!r}")
    repeats = require_int("repeats", repeats, minimum=1, maximum=MAX_REPEATS)
    warmup = require_int("warmup", warmup, minimum=0, maximum=MAX_REPEATS)
    result = None
    for _ in range(warmup):
        result = function(*args, **kwargs)
    samples, cpu_samples = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = function(*args, **kwargs)
        samples.append(time.perf_counter() - start)
        cpu_samples.append(time.process_time() - cpu_start)
    return Timing(samples=tuple(samples), result=result, cpu_samples=tuple(cpu_samples))


def speedup(serial_s: float, parallel_s: float) -> float:
    """How many times faster the parallel run was: ``serial_s / parallel_s``."""
    serial_s = require_positive_number("serial_s", serial_s)
    parallel_s = require_positive_number("parallel_s", parallel_s)
    return serial_s / parallel_s


def efficiency(speedup_value: float, workers: int) -> float:
    """The share of the ideal speedup reached: ``speedup / workers`` (1.0 is perfect)."""
    speedup_value = require_positive_number("speedup", speedup_value)
    workers = require_int("workers", workers, minimum=1)
    return speedup_value / workers


def amdahl_speedup(serial_fraction: float, workers: int) -> float:
    """Amdahl's law: the best speedup on ``workers`` when ``serial_fraction`` of the work cannot split.

    ``1 / (f + (1 - f) / k)``: with f = 0 it is k, the ideal; with f = 1 it is 1, no gain at all.
    """
    serial_fraction = require_positive_number("serial_fraction", serial_fraction, allow_zero=True, maximum=1.0)
    workers = require_int("workers", workers, minimum=1)
    return 1.0 / (serial_fraction + (1.0 - serial_fraction) / workers)


def fit_amdahl(workers, speedups) -> float:
    """The serial fraction f in [0, 1] that best explains measured ``speedups`` on ``workers``.

    Amdahl's law rearranges to ``1/S - 1/k = f * (1 - 1/k)``, a line through the origin, so f is a
    least-squares slope. Measurements with k = 1 carry no information and are ignored. The law never
    predicts a slowdown (its worst case, f = 1, is a speedup of 1), so a measured S < 1, as threads
    under the GIL often show, is outside the model; it is clamped to f = 1 here, and the course's
    charts do not fit such runs at all.
    """
    workers, speedups = list(workers), list(speedups)
    if len(workers) != len(speedups):
        raise ValueError(f"workers and speedups must have the same length, got {len(workers)} and {len(speedups)}")
    numerator = denominator = 0.0
    for k, s in zip(workers, speedups, strict=True):
        k = require_int("workers", k, minimum=1)
        s = require_positive_number("speedup", s)
        if k == 1:
            continue
        x = 1.0 - 1.0 / k
        numerator += (1.0 / s - 1.0 / k) * x
        denominator += x * x
    if denominator == 0:
        raise ValueError("fit_amdahl needs at least one measurement with more than 1 worker")
    return min(1.0, max(0.0, numerator / denominator))
