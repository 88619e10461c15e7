"""How long a waiting thread takes to respond while CPU-bound threads hold the GIL.

A "responder" thread sleeps for a short period, again and again, as a thread waiting for the
network does, and records how late it woke up each time. Alone, it is late by microseconds. Beside
a thread running a pure-Python loop, it must also wait for the GIL, which the busy thread only
offers every switch interval (``sys.setswitchinterval``, 5 ms by default): the convoy effect.

>>> result = response_delays(switch_interval_s=0.005, duration_s=0.05, cpu_threads=0)
>>> result.cpu_threads, len(result.delays) > 0
(0, True)
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from dataclasses import dataclass

from .._validate import require_int, require_positive_number
from ..measure.workloads import count_sum

__all__ = ["ResponseDelays", "response_delays", "MIN_SWITCH_INTERVAL_S", "MAX_SWITCH_INTERVAL_S", "MAX_DURATION_S"]

MIN_SWITCH_INTERVAL_S = 0.0001
MAX_SWITCH_INTERVAL_S = 0.1
MAX_DURATION_S = 10.0
#: A slice of the busy loop: short, so the busy thread notices the end of the experiment quickly.
_SLICE = 20_000


@dataclass(frozen=True)
class ResponseDelays:
    """Lateness of each wake-up of the responder, in seconds, and the conditions it ran under."""

    switch_interval_s: float
    cpu_threads: int
    period_s: float
    delays: tuple[float, ...]
    busy_loops: int

    @property
    def median(self) -> float:
        return statistics.median(self.delays) if self.delays else 0.0

    @property
    def worst(self) -> float:
        return max(self.delays, default=0.0)


def response_delays(
    switch_interval_s: float = 0.005,
    duration_s: float = 0.5,
    cpu_threads: int = 1,
    period_s: float = 0.001,
) -> ResponseDelays:
    """Run the responder for ``duration_s`` beside ``cpu_threads`` busy threads, at the given
    switch interval, and return how late each of its wake-ups was.

    The interpreter's own switch interval is restored afterwards, even if interrupted.
    """
    switch_interval_s = require_positive_number(
        "switch_interval_s", switch_interval_s, maximum=MAX_SWITCH_INTERVAL_S
    )
    if switch_interval_s < MIN_SWITCH_INTERVAL_S:
        raise ValueError(f"switch_interval_s must be at least {MIN_SWITCH_INTERVAL_S}, got {switch_interval_s}")
    duration_s = require_positive_number("duration_s", duration_s, maximum=MAX_DURATION_S)
    cpu_threads = require_int("cpu_threads", cpu_threads, minimum=0, maximum=16)
    period_s = require_positive_number("period_s", period_s, maximum=0.1)

    stop = threading.Event()
    delays: list[float] = []
    loops = [0] * cpu_threads

    def busy(index: int) -> None:
        while not stop.is_set():
            count_sum(0, _SLICE)
            loops[index] += 1

    def respond() -> None:
        deadline = time.perf_counter() + duration_s
        while time.perf_counter() < deadline and not stop.is_set():
            wanted = time.perf_counter() + period_s
            time.sleep(period_s)
            delays.append(max(0.0, time.perf_counter() - wanted))

    previous = sys.getswitchinterval()
    workers = [threading.Thread(target=busy, args=(i,), name=f"busy-{i}", daemon=True) for i in range(cpu_threads)]
    responder = threading.Thread(target=respond, name="responder", daemon=True)
    sys.setswitchinterval(switch_interval_s)
    try:
        for worker in workers:
            worker.start()
        responder.start()
        while responder.is_alive():
            responder.join(0.05)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
        responder.join()
        sys.setswitchinterval(previous)
    return ResponseDelays(switch_interval_s, cpu_threads, period_s, tuple(delays), sum(loops))
