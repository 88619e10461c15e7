"""Which Python this is: its version, whether it was built free-threaded, whether the GIL is on now,
how it starts worker processes, how many CPUs it says it may use, and whether it offers
subinterpreters. Every fact is read from the running interpreter, never assumed from a version
number the course was written for.

Two questions that differ on a free-threaded build (PEP 703): was this Python *built* with
``--disable-gil`` (:func:`free_threaded_build`), and is the GIL off *now* (:func:`gil_enabled`)? A
free-threaded build turns the GIL back on when asked (``PYTHON_GIL=1``, ``-X gil=1``) or when it
imports an extension module that does not declare itself safe without it.

>>> gil_enabled() or free_threaded_build()
True
>>> start_method() in ("fork", "spawn", "forkserver")
True
>>> subinterpreter_support().source in ("stdlib", "backport", "none")
True
"""

from __future__ import annotations

import importlib
import importlib.util
import multiprocessing
import os
import platform
import sys
import sysconfig
from dataclasses import dataclass

__all__ = [
    "free_threaded_build", "gil_enabled", "gil_switch", "start_method", "default_start_method", "process_cpu_count",
    "SubinterpreterSupport", "subinterpreter_support", "current_interpreter_id", "build_summary",
    "free_threaded_kernels", "BACKPORT_PACKAGE",
]

#: The PyPI package that brings PEP 734's interpreters to Python 3.13 (pinned in pyproject.toml).
BACKPORT_PACKAGE = "interpreters-pep-734"


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


def default_start_method() -> str:
    """The start method this Python uses on this platform when a program sets none: ``fork`` on Linux
    up to Python 3.13, ``forkserver`` from 3.14, ``spawn`` on macOS and Windows. Read from the
    running ``multiprocessing``, which lists its default first (whatever a program has set)."""
    return multiprocessing.get_all_start_methods()[0]


def process_cpu_count() -> int | None:
    """``os.process_cpu_count()`` (new in Python 3.13): the CPUs this process may run on, by its
    affinity; None before 3.13. Like ``os.cpu_count()`` it does not count a cgroup CPU quota (a
    Binder session's 1 CPU): :func:`gillab.machine.cpus.effective_cpu_count` does."""
    count = getattr(os, "process_cpu_count", None)
    return None if count is None else count()


@dataclass(frozen=True)
class SubinterpreterSupport:
    """Whether the course can run work in subinterpreters on this Python, and through what.

    ``source`` is ``"stdlib"`` (``concurrent.interpreters``, Python 3.14+), ``"backport"`` (PyPI
    ``interpreters-pep-734``, Python 3.13) or ``"none"``; ``module`` the module to import (empty for
    none); ``detail`` one sentence saying which, or why not; ``own_gil`` whether this version gives
    each subinterpreter its own GIL at all (PEP 684, Python 3.12+).
    """

    source: str
    module: str
    detail: str
    own_gil: bool

    @property
    def available(self) -> bool:
        return self.source != "none"


def subinterpreter_support() -> SubinterpreterSupport:
    """What this Python offers for running Python code in several interpreters of one process."""
    version = platform.python_version()
    own_gil = sys.version_info >= (3, 12)
    if sys.version_info >= (3, 14):
        try:
            importlib.import_module("concurrent.interpreters")
        except ImportError as error:
            return SubinterpreterSupport(
                "none", "", f"Python {version} should have concurrent.interpreters, but importing it failed: {error}",
                own_gil,
            )
        return SubinterpreterSupport(
            "stdlib", "concurrent.interpreters",
            f"Python {version}: the standard library's concurrent.interpreters (PEP 734), each interpreter with "
            "its own GIL", own_gil,
        )
    if sys.version_info >= (3, 13):
        if importlib.util.find_spec("interpreters_backport") is None:
            return SubinterpreterSupport(
                "none", "",
                f"Python {version} gives each subinterpreter its own GIL, but Python code reaches them through the "
                f"PEP 734 backport ({BACKPORT_PACKAGE} on PyPI), which is not installed here: "
                f"pip install '{BACKPORT_PACKAGE}==0.5.0' (the course's pins include it on 3.13)", own_gil,
            )
        return SubinterpreterSupport(
            "backport", "interpreters_backport.interpreters",
            f"Python {version}: the PEP 734 backport ({BACKPORT_PACKAGE}, import interpreters_backport) over "
            "the interpreter's own _interpreters module, each interpreter with its own GIL", own_gil,
        )
    if own_gil:
        return SubinterpreterSupport(
            "none", "",
            f"Python {version} gives each subinterpreter its own GIL (PEP 684), but offers no supported way to "
            f"use them from Python code: the PEP 734 backport ({BACKPORT_PACKAGE}) does not import on 3.12, and "
            "its 3.12 companion package crashed Python 3.12.1 when tried for this course. Use Python 3.13 or newer",
            own_gil,
        )
    return SubinterpreterSupport(
        "none", "",
        f"Python {version} has no per-interpreter GIL (PEP 684 arrived in Python 3.12): its subinterpreters, "
        "reachable only through a private test module, all share one GIL and could not compute in parallel. "
        "Use Python 3.13 or newer (the course's standard 3.13+ kernel: make gil-kernel)", own_gil,
    )


def current_interpreter_id() -> int:
    """The id of the interpreter running this code: 0 for the main interpreter, which every Python
    program starts in; another number in a subinterpreter."""
    try:
        import _interpreters  # Python 3.13+: get_current() returns (id, how it was created)

        return int(_interpreters.get_current()[0])
    except ImportError:
        pass
    try:
        import _xxsubinterpreters  # Python 3.11 and 3.12: an InterpreterID, an int subclass

        return int(_xxsubinterpreters.get_current())
    except ImportError:
        return 0  # a Python without subinterpreters runs everything in its one (main) interpreter


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
