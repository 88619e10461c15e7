"""How big and how often: the full benchmark's sizes and the quick run's.

The full run is what the issue asks for and what a reference is made of. The quick run keeps every
section and every field (still at least 5 repeats per ratio) at sizes that finish in well under a
minute, for tests and for a first look; its numbers are noisier and its goals are only indicative.

>>> FULL.target_s, QUICK.target_s
(2.0, 0.1)
>>> settings_for(quick=True) is QUICK
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["BenchSettings", "FULL", "QUICK", "settings_for"]


@dataclass(frozen=True)
class BenchSettings:
    """Every size the benchmark uses.

    ``target_s``: serial seconds the CPU-bound sizes are calibrated to; ``repeats``: timed pairs per
    ratio; ``io_*``: requests, server latency and threads of the I/O section; ``break_even_max_s``:
    the serial seconds at which the break-even search gives up; ``autograde_quick``: passed to
    the grading benchmark.
    """

    name: str
    target_s: float
    repeats: int
    io_requests: int
    io_latency_s: float
    io_threads: int
    break_even_max_s: float
    autograde_quick: bool

    def as_dict(self) -> dict:
        """The settings as JSON-ready data, stored with every result."""
        return asdict(self)


FULL = BenchSettings(
    name="full",
    target_s=2.0,
    repeats=5,
    io_requests=32,
    io_latency_s=0.2,
    io_threads=32,
    break_even_max_s=0.5,
    autograde_quick=False,
)
QUICK = BenchSettings(
    name="quick",
    target_s=0.1,
    repeats=5,
    io_requests=32,
    io_latency_s=0.02,
    io_threads=32,
    break_even_max_s=0.05,
    autograde_quick=True,
)


def settings_for(quick: bool) -> BenchSettings:
    """:data:`QUICK` or :data:`FULL`."""
    return QUICK if quick else FULL
