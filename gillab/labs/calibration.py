"""How fast this machine does a workload, so a lab's size slider stops where one run would take too long.

A quick calibration (a few tens of milliseconds) times the work function on growing sizes until one
call takes long enough to time well, then takes the median of three calls with
:func:`gillab.measure.time_call`. Measured while the machine is busy, the rate comes out low and
the lab's sizes smaller: the safe direction.

>>> from gillab.workloads import count_sum
>>> rate = units_per_second(count_sum)
>>> rate > 1000
True
>>> largest_size(rate=1_000_000, runs=10, budget_s=10.0) < 1_000_000
True
>>> nice_sizes(1234)
[1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 1200]
"""

from __future__ import annotations

import math

from ..checks import require_int, require_positive_number
from ..measure import time_call

__all__ = ["units_per_second", "largest_size", "nice_sizes", "CALIBRATION_S", "SAFETY"]

#: A probe call should take at least this long to be timed well.
CALIBRATION_S = 0.02
#: Runs can be slower than calibrated: threads fight for the GIL, the machine gets busier.
SAFETY = 1.5
#: Seconds of a press's budget kept for fixed costs (starting worker processes), by default.
FIXED_COSTS_S = 1.5
_MAX_PROBE = 10**9


def units_per_second(function, start: int = 1, target_s: float = CALIBRATION_S) -> float:
    """Units of work (``function(0, size)`` does ``size`` units) this machine does per second."""
    size = require_int("start", start, minimum=1)
    target_s = require_positive_number("target_s", target_s, maximum=1.0)
    while True:
        seconds = time_call(function, 0, size, repeats=1, warmup=0).median
        if seconds >= target_s or size >= _MAX_PROBE:
            break
        # jump close to the target when the probe is far too small, else double
        size = min(_MAX_PROBE, size * max(2, min(64, int(target_s / max(seconds, 1e-6)))))
    median = time_call(function, 0, size, repeats=3, warmup=0).median
    return size / max(median, 1e-9)


def largest_size(rate: float, runs: int, budget_s: float = 10.0, fixed_s: float = FIXED_COSTS_S) -> int:
    """The largest size at which ``runs`` runs of the work (at ``rate`` units per second) fit in
    ``budget_s`` seconds, after ``fixed_s`` seconds of fixed costs and with a safety margin.
    At least 1; at least a quarter of the budget is left for the work itself."""
    rate = require_positive_number("rate", rate)
    runs = require_int("runs", runs, minimum=1)
    budget_s = require_positive_number("budget_s", budget_s, maximum=3600)
    fixed_s = require_positive_number("fixed_s", fixed_s, allow_zero=True)
    usable = max(budget_s - fixed_s, budget_s / 4)
    return max(1, math.floor(usable * rate / (runs * SAFETY)))


def nice_sizes(largest: int) -> list[int]:
    """Sizes 1, 2, 5, 10, 20, 50, ... up to ``largest``, then ``largest`` itself rounded down to
    two significant digits: the stops of a logarithmic slider, with readable values."""
    largest = require_int("largest", largest, minimum=1)
    sizes = []
    decade = 1
    while decade <= largest:
        sizes += [decade * step for step in (1, 2, 5) if decade * step <= largest]
        decade *= 10
    digits = max(0, len(str(largest)) - 2)
    top = largest // 10**digits * 10**digits
    if top > sizes[-1]:
        sizes.append(top)
    return sizes
