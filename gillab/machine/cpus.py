"""How many CPUs this process can really use, and what they are.

``os.cpu_count()`` counts the cores of the machine. A process may be allowed fewer: its CPU affinity
mask (``taskset``, cpusets) and its cgroup CPU quota (``docker --cpus``, Kubernetes limits and
mybinder.org, which gives each user one CPU) both cap it. :func:`effective_cpu_count` applies both,
reading the cgroup files itself (v1 and v2, nested groups included) rather than trusting one library.

Every reader takes a ``root`` folder so that tests can hand it a fake ``/proc`` and ``/sys``.

>>> effective_cpu_count() >= 1
True
"""

from __future__ import annotations

import math
import os
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuLimits", "cpu_limits", "effective_cpu_count", "cgroup_cpu_quota", "cpu_model", "one_cpu_note"]


@dataclass(frozen=True)
class CpuLimits:
    """What caps the CPUs of this process.

    ``logical`` is ``os.cpu_count()``; ``affinity`` the CPUs the scheduler may run it on;
    ``quota`` the cgroup CPU quota in CPUs (``None`` when there is none); ``effective`` the
    whole number of CPUs it can keep busy at once (at least 1).
    """

    logical: int
    affinity: int
    quota: float | None
    effective: int


def _unescape(field: str) -> str:
    # mountinfo writes spaces, tabs, newlines and backslashes in paths as octal escapes
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)


def _cgroup_mounts(root: Path) -> list[tuple[str, str, str, set[str]]]:
    """(version, mount root, mount point, controllers) for each cgroup mount, last one per point."""
    try:
        lines = (root / "proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    by_point: dict[str, tuple[str, str, str, set[str]]] = {}
    for line in lines:
        fields = line.split()
        if "-" not in fields:
            continue
        dash = fields.index("-")
        if dash < 5 or len(fields) < dash + 3:
            continue
        fstype, super_options = fields[dash + 1], fields[dash + 3] if len(fields) > dash + 3 else ""
        mount_root, mount_point = _unescape(fields[3]), _unescape(fields[4])
        if fstype == "cgroup2":
            by_point[mount_point] = ("2", mount_root, mount_point, set())
        elif fstype == "cgroup":
            by_point[mount_point] = ("1", mount_root, mount_point, set(super_options.split(",")))
    return list(by_point.values())


def _process_cgroups(root: Path) -> tuple[dict[str, str], str | None]:
    """The process's cgroup path per v1 controller, and its v2 path."""
    v1: dict[str, str] = {}
    v2: str | None = None
    try:
        lines = (root / "proc/self/cgroup").read_text().splitlines()
    except OSError:
        return v1, v2
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            v2 = path
        else:
            for controller in controllers.split(","):
                v1[controller] = path
    return v1, v2


def _group_folders(root: Path, mount_root: str, mount_point: str, group_path: str) -> list[Path]:
    """The process's own group folder under a mount, then each parent up to the mount point."""
    top = root / mount_point.lstrip("/")
    if group_path.startswith(mount_root):
        relative = group_path[len(mount_root):]
    else:
        relative = group_path  # a cgroup namespace we cannot map: try the full path, then the top
    own = top / relative.strip("/") if relative.strip("/") else top
    folders = []
    folder = own
    while True:
        folders.append(folder)
        if folder == top or top not in folder.parents:
            break
        folder = folder.parent
    if top not in folders:
        folders.append(top)
    return folders


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    try:
        return int(text)
    except ValueError:
        return None  # an empty or garbled file says nothing about a limit


def _v1_quota(folder: Path) -> float | None:
    quota = _read_int(folder / "cpu.cfs_quota_us")
    period = _read_int(folder / "cpu.cfs_period_us")
    if quota is None or period is None or quota <= 0 or period <= 0:
        return None  # -1 means unlimited
    return quota / period


def _v2_quota(folder: Path) -> float | None:
    try:
        fields = (folder / "cpu.max").read_text().split()
    except OSError:
        return None
    if len(fields) != 2 or fields[0] == "max":
        return None
    try:
        quota, period = int(fields[0]), int(fields[1])
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def cgroup_cpu_quota(root: str | os.PathLike = "/") -> float | None:
    """The tightest cgroup CPU quota over this process's group and its parents, in CPUs.

    Returns ``None`` when no quota applies or none can be read (no ``/sys/fs/cgroup``, as on
    macOS). A group nested inside a limited parent is held to the parent's limit too, so every
    level is read and the smallest quota wins.
    """
    root = Path(root)
    v1_paths, v2_path = _process_cgroups(root)
    quotas = []
    for version, mount_root, mount_point, controllers in _cgroup_mounts(root):
        if version == "1" and "cpu" in controllers and "cpu" in v1_paths:
            folders, reader = _group_folders(root, mount_root, mount_point, v1_paths["cpu"]), _v1_quota
        elif version == "2" and v2_path is not None:
            folders, reader = _group_folders(root, mount_root, mount_point, v2_path), _v2_quota
        else:
            continue
        quotas += [q for q in map(reader, folders) if q is not None]
    return min(quotas) if quotas else None


def _affinity_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cpu_limits(root: str | os.PathLike = "/", affinity: int | None = None) -> CpuLimits:
    """Logical CPUs, the affinity mask, the cgroup quota and the resulting effective count.

    ``affinity`` overrides the scheduler's mask (for tests with a fake ``root``).
    """
    logical = os.cpu_count() or 1
    if affinity is None:
        affinity = _affinity_count()
    quota = cgroup_cpu_quota(root)
    effective = affinity if quota is None else min(affinity, math.ceil(quota))
    return CpuLimits(logical=logical, affinity=affinity, quota=quota, effective=max(1, effective))


def effective_cpu_count(root: str | os.PathLike = "/", affinity: int | None = None) -> int:
    """How many CPUs this process can keep busy at once: affinity and cgroup quota applied.

    A fractional quota rounds up (1.5 CPUs can still run two workers, each part of the time), as
    joblib and loky do. Never less than 1.
    """
    return cpu_limits(root, affinity).effective


def cpu_model() -> str:
    """A human-readable name of the processor, or ``"unknown"``."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            return subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5
            ).stdout.strip() or "unknown"
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or "unknown"


def one_cpu_note(effective_cpus: int) -> str | None:
    """The sentence every chapter and lab shows when only one CPU can run at a time, else None."""
    if effective_cpus > 1:
        return None
    return (
        "Only one CPU is available to this Python (os.cpu_count() may report more: a CPU quota, as on "
        "mybinder.org, or an affinity mask limits it). Parallel speedup cannot show here: two workers "
        "just take turns on the one CPU. The reference results recorded on multi-core machines show "
        "what the same experiment does there."
    )
