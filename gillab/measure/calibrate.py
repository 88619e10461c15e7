"""How fast this machine does a workload, and the problem size at which it takes a given time.

One calibration loop serves the labs (a size slider that stops where one press would take too long)
and the benchmark (sizes at which every machine runs for about the same time, so its length and its
noise are alike on a fast laptop and on Binder). :func:`units_per_second` times the work function
on growing sizes until one call takes long enough to time well, then takes the median of three
calls with :func:`gillab.measure.timing.time_call`. Measured while the machine is busy, the rate
comes out low and the sizes smaller: the safe direction.

>>> from gillab.measure.workloads import count_sum
>>> units_per_second(count_sum) > 1000
True
>>> size = size_for_seconds(count_sum, 0.01)
>>> size["n"] > 0 and size["target_s"] == 0.01
True
"""

from __future__ import annotations

from .._validate import require_int, require_positive_number
from .speedup import MAX_N
from .timing import time_call

__all__ = ["units_per_second", "size_for_seconds", "round_size", "CALIBRATION_S"]

#: A probe call should take at least this long to be timed well.
CALIBRATION_S = 0.02
#: The longest a probe call may be asked to take: a longer target is reached by scaling the rate.
_LONGEST_PROBE_S = 1.0
_MAX_PROBE = 10**10


def round_size(n: float) -> int:
    """``n`` rounded to two significant digits (at least 1), so sizes read well in a table.

    >>> round_size(123456), round_size(0.3), round_size(87)
    (120000, 1, 87)
    """
    n = max(1, int(round(n)))
    digits = len(str(n)) - 2
    return n if digits <= 0 else round(n, -digits)


def units_per_second(function, start: int = 1, target_s: float = CALIBRATION_S) -> float:
    """Units of work (``function(0, size)`` does ``size`` units) this machine does per second."""
    size = require_int("start", start, minimum=1)
    target_s = require_positive_number("target_s", target_s, maximum=_LONGEST_PROBE_S)
    while True:
        seconds = time_call(function, 0, size, repeats=1, warmup=0).median
        if seconds >= target_s or size >= _MAX_PROBE:
            break
        # jump close to the target when the probe is far too small, else double
        size = min(_MAX_PROBE, size * max(2, min(64, int(target_s / max(seconds, 1e-6)))))
    median = time_call(function, 0, size, repeats=3, warmup=0).median
    return size / max(median, 1e-9)


def size_for_seconds(function, target_s: float, maximum: int = MAX_N) -> dict:
    """The ``n`` at which ``function(1, n + 1)`` takes about ``target_s`` seconds, run serially.

    The rate comes from :func:`units_per_second`, probed with calls of a tenth of the target (at
    most a second); the size is then timed again (median of 3). Returns ``{"n", "target_s",
    "measured_s"}``.
    """
    target_s = require_positive_number("target_s", target_s, maximum=600)
    rate = units_per_second(function, target_s=min(_LONGEST_PROBE_S, max(CALIBRATION_S, target_s / 10)))
    n = min(maximum, round_size(rate * target_s))
    measured = time_call(function, 1, n + 1, repeats=3, warmup=0).median
    return {"n": n, "target_s": target_s, "measured_s": measured}
