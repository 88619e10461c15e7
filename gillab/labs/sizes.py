"""The stops of a lab's size slider: the largest size whose runs fit one press's time budget, at the
rate :func:`gillab.measure.calibrate.units_per_second` measured here, and readable sizes below it.

>>> largest_size(rate=1_000_000, runs=10, budget_s=10.0) < 1_000_000
True
>>> nice_sizes(1234)
[1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 1200]
"""

from __future__ import annotations

import math

from .._validate import require_int, require_positive_number

__all__ = ["largest_size", "nice_sizes", "SAFETY", "FIXED_COSTS_S"]

#: Runs can be slower than calibrated: threads fight for the GIL, the machine gets busier. (The budget
#: already counts every run of a press as a whole serial run, though parallel runs are shorter.)
SAFETY = 1.1
#: Seconds of a press's budget kept for fixed costs (starting worker processes), by default.
FIXED_COSTS_S = 1.5


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
