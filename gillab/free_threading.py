"""Free-threaded CPython (PEP 703, supported since Python 3.14 by PEP 779): which interpreter this
kernel runs, which free-threaded kernels are installed, and what a measured thread speedup means.

A free-threaded build is compiled with ``--disable-gil``; it can still turn the GIL back on at run
time (``PYTHON_GIL=1``, ``-X gil=1``, or importing an extension module not marked as safe without
it). So two questions: was this Python *built* free-threaded
(:func:`gillab.doctor.free_threaded_build`), and is the GIL off *now* (:func:`gillab.doctor.gil_enabled`)?

>>> explain_thread_speedup(0.9, gil_enabled=True, effective_cpus=4, workers=2).startswith("The GIL is on")
True
"""

from __future__ import annotations

import platform

from .doctor import free_threaded_build, gil_enabled

__all__ = ["build_summary", "free_threaded_kernels", "explain_thread_speedup"]


def build_summary(built_free_threaded: bool | None = None, gil_on: bool | None = None, version: str | None = None) -> str:
    """One sentence on this kernel's Python: its version, its build, and whether the GIL is on now.

    The arguments default to this interpreter's own facts (they are there for tests).
    """
    built_free_threaded = free_threaded_build() if built_free_threaded is None else built_free_threaded
    gil_on = gil_enabled() if gil_on is None else gil_on
    version = platform.python_version() if version is None else version
    if not built_free_threaded:
        return f"Python {version}, the standard build: the GIL is always on in this kernel."
    if gil_on:
        return (
            f"Python {version}, a free-threaded build, but the GIL is ON right now: PYTHON_GIL=1 or -X gil=1 "
            "was set, or an imported extension module asked for it (Python printed a warning when it did)."
        )
    return f"Python {version}, a free-threaded build, and the GIL is OFF: threads can run Python code in parallel."


def free_threaded_kernels() -> list[tuple[str, str]]:
    """``(name, display name)`` of every installed Jupyter kernel whose display name says
    "free-threaded" (as the one ``make ft-kernel`` registers does)."""
    from jupyter_client.kernelspec import KernelSpecManager

    found = []
    for name, entry in sorted(KernelSpecManager().get_all_specs().items()):
        display = entry.get("spec", {}).get("display_name", name)
        if "free-threaded" in display.lower() or "free-threaded" in name.lower():
            found.append((name, display))
    return found


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
