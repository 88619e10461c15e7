"""Which Python this is: its version, whether it was built free-threaded, whether the GIL is on now,
and how it starts worker processes.

Two questions that differ on a free-threaded build (PEP 703): was this Python *built* with
``--disable-gil`` (:func:`free_threaded_build`), and is the GIL off *now* (:func:`gil_enabled`)? A
free-threaded build turns the GIL back on when asked (``PYTHON_GIL=1``, ``-X gil=1``) or when it
imports an extension module that does not declare itself safe without it.

>>> gil_enabled() or free_threaded_build()
True
>>> start_method() in ("fork", "spawn", "forkserver")
True
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
import sysconfig

__all__ = ["free_threaded_build", "gil_enabled", "gil_switch", "start_method", "build_summary", "free_threaded_kernels"]


def free_threaded_build() -> bool:
    """True when this CPython was built with ``--disable-gil`` (PEP 703)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    """True when the GIL is on right now. Before Python 3.13 there is no way to turn it off."""
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def gil_switch() -> str | None:
    """How a free-threaded build was asked for the GIL at start-up (``PYTHON_GIL=1`` or ``-X gil=1``)."""
    if not free_threaded_build():
        return None  # a standard build always has the GIL and ignores both
    if str(sys._xoptions.get("gil", "")) == "1":
        return "-X gil=1"
    return "PYTHON_GIL=1" if os.environ.get("PYTHON_GIL") == "1" else None


def start_method() -> str:
    """The start method ``multiprocessing`` uses here unless told otherwise (its default on this
    platform and Python version, or the one a program has set)."""
    # get_start_method() without allow_none would fix the method for the whole process;
    # get_all_start_methods() lists the platform's default first
    return multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]


def build_summary(
    built_free_threaded: bool | None = None, gil_on: bool | None = None, version: str | None = None
) -> str:
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
