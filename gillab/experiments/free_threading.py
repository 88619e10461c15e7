"""What a measured thread speedup means on this kernel: chapter 06's reading of chapter 03's
experiment, GIL on or off (the facts come from :mod:`gillab.machine.interpreter`).

>>> explain_thread_speedup(0.9, gil_enabled=True, effective_cpus=4, workers=2).startswith("The GIL is on")
True
"""

from __future__ import annotations

__all__ = ["explain_thread_speedup"]


def explain_thread_speedup(speedup: float, gil_enabled: bool, effective_cpus: int, workers: int) -> str:
    """What a measured speedup of ``workers`` threads on pure-Python work means here, in words."""
    if workers < 2:
        return "One worker cannot show parallel speedup: measure with 2 or more threads."
    ideal = min(workers, effective_cpus)
    measured = f"{workers} threads ran {speedup:.2f}x as fast as one"
    if effective_cpus < 2:
        return (
            f"{measured}. Only one CPU is available to this Python, so threads can only take turns, "
            "GIL or no GIL: this measurement cannot show parallel speedup here."
        )
    if gil_enabled:
        return (
            f"The GIL is on: {measured}, although {ideal} CPUs were available. They took turns holding "
            "the GIL, as in chapter 03."
        )
    if speedup >= 0.75 * ideal:
        return f"The GIL is off: {measured}, close to the {ideal}x that {ideal} CPUs allow. They ran in parallel."
    return (
        f"The GIL is off, but {measured}, well short of the {ideal}x that {ideal} CPUs allow. Other programs "
        "may be busy on this machine: run it again, and compare with the processes in chapter 05."
    )
