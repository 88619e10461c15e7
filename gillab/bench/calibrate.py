"""Find the problem size at which a work function takes a given time on this machine.

A fixed size would take 0.5 s on a fast laptop and 5 s on Binder; calibrating makes every machine
run for about the same time, so the benchmark's length and its noise are alike everywhere.

>>> from gillab.workloads import count_sum
>>> size = size_for_seconds(count_sum, 0.01)
>>> size["n"] > 0 and size["target_s"] == 0.01
True
"""

from __future__ import annotations

from ..checks import require_positive_number
from ..measure import time_call
from ..speedup import MAX_N

__all__ = ["size_for_seconds", "round_size"]


def round_size(n: float) -> int:
    """``n`` rounded to two significant digits (at least 1), so sizes read well in a table.

    >>> round_size(123456), round_size(0.3), round_size(87)
    (120000, 1, 87)
    """
    n = max(1, int(round(n)))
    digits = len(str(n)) - 2
    return n if digits <= 0 else round(n, -digits)


def size_for_seconds(function, target_s: float, start: int = 1000, maximum: int = MAX_N) -> dict:
    """The ``n`` at which ``function(1, n + 1)`` takes about ``target_s`` seconds, run serially.

    Grows ``n`` tenfold until a run takes a tenth of the target, scales it to the target, then
    times it again (median of 3). Returns ``{"n", "target_s", "measured_s"}``.
    """
    target_s = require_positive_number("target_s", target_s, maximum=600)
    n = start
    while True:
        seconds = time_call(function, 1, n + 1, repeats=1, warmup=0).median
        if seconds >= target_s / 10 or n >= maximum:
            break
        n = min(maximum, n * 10)
    n = min(maximum, round_size(n * target_s / max(seconds, 1e-9)))
    measured = time_call(function, 1, n + 1, repeats=3, warmup=0).median
    return {"n": n, "target_s": target_s, "measured_s": measured}
