"""Cores, hardware threads and software threads: what the machine has and what this process runs.

A *core* executes instructions. With simultaneous multithreading (Intel's Hyper-Threading, AMD's
SMT) one core presents two or more *hardware threads* (logical CPUs) to the operating system, which
share that core's execution units. ``os.cpu_count()`` counts hardware threads. *Software threads*
are what programs create (``threading.Thread``); the operating system schedules them onto hardware
threads, and a process may have far more software threads than the machine has hardware threads.

On Linux the layout is read from ``/sys/devices/system/cpu``; elsewhere what cannot be read is
``None``. Every reader takes a ``root`` folder so that tests can hand it a fake one.

>>> layout = cpu_layout()
>>> layout.hardware_threads >= 1
True
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuLayout", "cpu_layout", "os_thread_count"]


@dataclass(frozen=True)
class CpuLayout:
    """``hardware_threads`` (logical CPUs, what ``os.cpu_count()`` reports), ``cores`` (physical
    cores) and ``sockets`` (processor packages); ``None`` where the system does not say."""

    hardware_threads: int
    cores: int | None
    sockets: int | None

    @property
    def threads_per_core(self) -> float | None:
        return self.hardware_threads / self.cores if self.cores else None

    def __str__(self) -> str:
        if self.cores is None:
            return f"{self.hardware_threads} hardware threads (cores and sockets not reported here)"
        return (
            f"{self.sockets} socket(s), {self.cores} core(s), {self.hardware_threads} hardware threads "
            f"({self.threads_per_core:g} per core)"
        )


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def cpu_layout(root: str | os.PathLike = "/") -> CpuLayout:
    """Hardware threads, cores and sockets of the whole machine (not only those this process may use)."""
    folder = Path(root) / "sys/devices/system/cpu"
    cpus = [entry for entry in folder.glob("cpu*") if re.fullmatch(r"cpu\d+", entry.name)] if folder.is_dir() else []
    cores, sockets = set(), set()
    for cpu in cpus:
        core = _read(cpu / "topology/core_id")
        socket = _read(cpu / "topology/physical_package_id")
        if core is None or socket is None:
            cores = sockets = set()
            break
        cores.add((socket, core))
        sockets.add(socket)
    hardware_threads = len(cpus) or os.cpu_count() or 1
    return CpuLayout(hardware_threads, len(cores) or None, len(sockets) or None)


def os_thread_count(root: str | os.PathLike = "/") -> int | None:
    """How many threads the operating system runs for this process (Linux), else ``None``.

    This counts threads that Python's ``threading`` module does not know about, such as those a
    Jupyter kernel or a C library starts for itself.
    """
    status = _read(Path(root) / "proc/self/status")
    if status is None:
        return None
    match = re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE)
    return int(match.group(1)) if match else None
