"""The fixed cost of splitting work, against the cost of the work: how big must a job be to split?

Handing chunks to workers costs a fixed amount (starting threads, waiting for them) whatever the
size of the chunks. A job is worth splitting only when its work dwarfs that cost. These functions
measure both sides on this machine and do the arithmetic.

>>> size_for_overhead_share(overhead_s=0.001, per_item_s=1e-7, share=0.01)
1000000
"""

from __future__ import annotations

import math
import threading

from .._validate import require_int, require_positive_number
from ..measure.timing import Timing, time_call
from ..measure.workloads import count_sum

__all__ = ["start_and_join_threads", "thread_start_cost", "per_item_cost", "size_for_overhead_share"]


def _nothing() -> None:
    return None


def start_and_join_threads(n_threads: int = 1) -> None:
    """Start ``n_threads`` threads that do nothing and wait for all of them to finish."""
    n_threads = require_int("n_threads", n_threads, minimum=1, maximum=256)
    threads = [threading.Thread(target=_nothing) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def thread_start_cost(n_threads: int = 4, repeats: int = 20) -> Timing:
    """Time starting and joining ``n_threads`` idle threads (median of ``repeats``)."""
    return time_call(start_and_join_threads, n_threads, repeats=repeats, warmup=2)


def per_item_cost(function=count_sum, n: int = 200_000, repeats: int = 5) -> float:
    """Seconds ``function`` spends per number on ``[0, n)``: the median time divided by ``n``."""
    n = require_int("n", n, minimum=1, maximum=10**9)
    return time_call(function, 0, n, repeats=repeats).median / n


def size_for_overhead_share(overhead_s: float, per_item_s: float, share: float = 0.01) -> int:
    """The smallest number of items whose work takes ``1/share`` times the overhead, i.e. for which
    the fixed ``overhead_s`` is at most ``share`` of the work (``share=0.01``: 1 %)."""
    overhead_s = require_positive_number("overhead_s", overhead_s)
    per_item_s = require_positive_number("per_item_s", per_item_s)
    share = require_positive_number("share", share, maximum=1.0)
    # round before ceil so that float noise (1000000.0000001) does not add an item
    return math.ceil(round(overhead_s / (share * per_item_s), 6))
