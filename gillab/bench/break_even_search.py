"""The ``break_even_n`` section: the smallest sum worth sending to worker processes.

::

    {"workers": 2, "n": 262144, "bracket": [131072, 262144],
     "points": [{"n": 4096, "serial_s": {...}, "processes_s": {...}, "speedup": {...}}, ...]}

Sizes double from ``START_N``; the search stops after two sizes in a row where the median paired
speedup of processes over serial is above 1, or when the serial run would pass ``max_serial_s``.
``n`` is :func:`gillab.measure.speedup.break_even_size` of the medians (the rule chapter 05 uses
too): the smallest measured size from which on processes won at every measured size (``None`` when
they never did); ``bracket`` the measured sizes it lies between.
"""

from __future__ import annotations

from ..measure.speedup import break_even_size, measure_speedups
from ..measure.workloads import count_sum

__all__ = ["find_break_even", "START_N"]

START_N = 4096


def find_break_even(workers: int, max_serial_s: float, repeats: int, on_progress=None) -> dict:
    """The smallest ``n`` at which summing ``1..n`` on ``workers`` processes beats one serial run."""
    points, n = [], START_N
    while True:
        if on_progress is not None:
            on_progress(len(points), None, f"n = {n}")
        serial, parallel = measure_speedups(count_sum, n=n, configs=[("processes", workers)], repeats=repeats, warmup=1)
        points.append(
            {"n": n, "serial_s": serial["seconds"], "processes_s": parallel["seconds"], "speedup": parallel["speedup"]}
        )
        wins = [point["speedup"]["median"] > 1 for point in points]
        if wins[-2:] == [True, True] or serial["seconds"]["median"] * 2 > max_serial_s:
            break
        n *= 2
    found, below = break_even_size([(point["n"], point["speedup"]["median"]) for point in points])
    bracket = [below, found] if found is not None else None
    return {"workers": workers, "n": found, "bracket": bracket, "max_serial_s": max_serial_s, "points": points}
