"""The one reader of Linux's ``/proc``: which processes and threads run, whose children they are,
whose user they run as, the CPU time the kernel has accounted to each, their ids inside a PID
namespace (a grading sandbox), and the TCP sockets of their network namespace.

Grading reads it from outside the sandbox (the kernels' children, the sandbox user's leftovers,
the threads of a student's kernel and their CPU time), and so do the tests. What ``/proc`` says
is what the operating system saw: no code inside a student's kernel can write it.

Every reader answers for the moment it reads: a process may end between two calls, so a process
that is gone reads as ``None`` or is left out, never as an error. Without ``/proc`` (macOS)
every list is empty.

>>> import os, subprocess, threading
>>> child = subprocess.Popen(["sleep", "5"])
>>> child.pid in child_processes(os.getpid()) and is_running(child.pid)
True
>>> process_info(child.pid).command[0]
'sleep'
>>> namespace_ids(child.pid)[-1] == child.pid or len(namespace_ids(child.pid)) > 1
True
>>> child.kill(); _ = child.wait()
>>> is_running(child.pid)
False
>>> thread_cpu_ns(os.getpid(), threading.get_native_id()) > 0
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ProcessInfo",
    "process_ids",
    "process_info",
    "processes",
    "child_processes",
    "descendants",
    "is_running",
    "processes_of_user",
    "task_count",
    "thread_ids",
    "thread_cpu_seconds",
    "environment",
    "memory_kb",
    "namespace_ids",
    "thread_cpu_ns",
    "process_cpu_ns",
    "socket_inodes",
    "TcpSocket",
    "tcp_sockets",
    "machine_id",
    "busy_cpu_seconds",
    "tree_cpu_seconds",
]

_PROC = Path("/proc")
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class ProcessInfo:
    """One process as ``/proc/<pid>`` describes it.

    ``state`` is the kernel's one-letter state (``R`` running, ``S`` sleeping, ``Z`` zombie...);
    ``uid`` the real user id; ``threads`` how many threads it runs; ``cpu_s`` the user and system
    CPU seconds of all its threads so far; ``command`` its arguments (empty for a kernel thread
    or a zombie).
    """

    pid: int
    ppid: int
    pgrp: int
    state: str
    uid: int
    threads: int
    cpu_s: float
    command: tuple[str, ...]

    @property
    def alive(self) -> bool:
        """Running or able to run: not a zombie waiting for its parent to collect it."""
        return self.state not in ("Z", "X")


def _stat_fields(text: str) -> list[str]:
    # the command name in parentheses may hold spaces and parentheses itself: the fields that
    # follow start after the LAST ")"
    return text.rsplit(")", 1)[-1].split()


def _cpu_seconds(fields: list[str]) -> float:
    # utime and stime are fields 14 and 15 of stat(5), in clock ticks
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND


def process_ids() -> list[int]:
    """Every process id ``/proc`` lists now."""
    try:
        return sorted(int(name) for name in os.listdir(_PROC) if name.isdigit())
    except OSError:
        return []


def process_info(pid: int) -> ProcessInfo | None:
    """What ``/proc/<pid>`` says about ``pid``, or ``None`` when it is gone (or unreadable)."""
    folder = _PROC / str(pid)
    try:
        fields = _stat_fields((folder / "stat").read_text())
        status = (folder / "status").read_text()
        command = (folder / "cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    uid = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("Uid:")), -1)
    return ProcessInfo(
        pid=pid,
        ppid=int(fields[1]),
        pgrp=int(fields[2]),
        state=fields[0],
        uid=uid,
        threads=int(fields[17]),
        cpu_s=_cpu_seconds(fields),
        command=tuple(part.decode("utf-8", "replace") for part in command.split(b"\0") if part),
    )


def processes() -> list[ProcessInfo]:
    """Every process that can be read now."""
    return [info for info in map(process_info, process_ids()) if info is not None]


def child_processes(parent: int) -> list[int]:
    """The ids of the live processes whose parent is ``parent``."""
    return [info.pid for info in processes() if info.ppid == parent and info.alive]


def descendants(ancestor: int) -> list[int]:
    """The ids of ``ancestor``'s live children, their children, and so on."""
    children: dict[int, list[int]] = {}
    for info in processes():
        if info.alive:
            children.setdefault(info.ppid, []).append(info.pid)
    found, waiting = [], list(children.get(ancestor, []))
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting += children.get(pid, [])
    return sorted(found)


def is_running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    info = process_info(pid)
    return info is not None and info.alive


def processes_of_user(uid: int) -> list[int]:
    """The ids of the live processes whose real user id is ``uid``."""
    return [info.pid for info in processes() if info.uid == uid and info.alive]


def task_count(uid: int) -> int:
    """How many processes and threads ``uid`` runs now: what ``RLIMIT_NPROC`` counts."""
    return sum(info.threads for info in processes() if info.uid == uid and info.alive)


def thread_ids(pid: int) -> list[int]:
    """The native ids of ``pid``'s threads (what ``threading.get_native_id()`` returns in them)."""
    try:
        return sorted(int(name) for name in os.listdir(_PROC / str(pid) / "task") if name.isdigit())
    except OSError:
        return []


def thread_cpu_seconds(pid: int) -> dict[int, float]:
    """The CPU seconds (user and system) each thread of ``pid`` has used so far, by native id.

    A thread that ended is no longer listed: its time is in the process's total
    (:attr:`ProcessInfo.cpu_s`) but no longer its own.
    """
    seconds = {}
    for thread in thread_ids(pid):
        try:
            fields = _stat_fields((_PROC / str(pid) / "task" / str(thread) / "stat").read_text())
        except (OSError, ValueError):
            continue
        seconds[thread] = _cpu_seconds(fields)
    return seconds


def environment(pid: int) -> dict[str, str]:
    """The environment ``pid`` was started with (empty when it is gone or not readable)."""
    try:
        raw = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return {}
    pairs = (entry.decode("utf-8", "replace").partition("=") for entry in raw.split(b"\0") if entry)
    return {name: value for name, _, value in pairs}


def _status_field(path: Path, name: str) -> str | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def memory_kb(pid: int, kind: str = "rss") -> int | None:
    """Kilobytes of memory process ``pid`` holds, or ``None`` when it is gone (or the kernel does
    not say): ``"rss"``, what is resident in RAM (``status``'s VmRSS), or ``"pss"``, the same with
    each page shared with other processes counted as its share (``smaps_rollup``'s Pss): what a
    forked worker adds to the machine, where RSS would count the parent's pages again."""
    if kind not in ("rss", "pss"):
        raise ValueError(f"kind must be 'rss' or 'pss', got {kind!r}")
    if kind == "rss":
        field = _status_field(_PROC / str(pid) / "status", "VmRSS")
    else:
        field = _status_field(_PROC / str(pid) / "smaps_rollup", "Pss")
    try:
        return int(field.split()[0]) if field else None
    except ValueError:
        return None


def namespace_ids(pid: int, thread: int | None = None) -> tuple[int, ...]:
    """The ids of process ``pid`` (or of its thread ``thread``) in each PID namespace it is in, the
    host's first and its own innermost last (``NSpid``); empty when it is gone.

    Code in a grading sandbox sees only the last id (``os.getpid()``, ``threading.get_native_id()``
    there); this is how the host side maps what that code reports to the process it really is.
    """
    folder = _PROC / str(pid) if thread is None else _PROC / str(pid) / "task" / str(thread)
    field = _status_field(folder / "status", "NSpid")
    return tuple(int(part) for part in field.split()) if field else ()


def thread_cpu_ns(pid: int, thread: int) -> int | None:
    """Nanoseconds of CPU thread ``thread`` of ``pid`` has run so far (``schedstat``, which is exact
    where ``stat``'s clock ticks are 10 ms), or ``None`` when it is gone."""
    try:
        return int((_PROC / str(pid) / "task" / str(thread) / "schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def process_cpu_ns(pid: int) -> int | None:
    """Nanoseconds of CPU all of ``pid``'s live threads have run so far, or ``None`` when it is gone."""
    times = [thread_cpu_ns(pid, thread) for thread in thread_ids(pid)]
    times = [time for time in times if time is not None]
    return sum(times) if times else None


def socket_inodes(pid: int) -> set[int]:
    """The inodes of the sockets ``pid`` holds open (its ``fd`` links ``socket:[inode]``)."""
    inodes = set()
    try:
        names = os.listdir(_PROC / str(pid) / "fd")
    except OSError:
        return inodes
    for name in names:
        try:
            target = os.readlink(_PROC / str(pid) / "fd" / name)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


@dataclass(frozen=True)
class TcpSocket:
    """One TCP socket of a network namespace: local and remote port, state and inode.

    ``state`` is the kernel's name: ``LISTEN``, ``ESTABLISHED``, ``TIME_WAIT``...
    """

    local_port: int
    remote_port: int
    state: str
    inode: int


_TCP_STATES = {
    "01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
    "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING",
}


def tcp_sockets(pid: int) -> list[TcpSocket]:
    """Every TCP socket (IPv4 and IPv6) of the network namespace ``pid`` is in, as the kernel lists
    them in ``/proc/<pid>/net/tcp``; empty when it is gone."""
    sockets = []
    for table in ("tcp", "tcp6"):
        try:
            lines = (_PROC / str(pid) / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            local, remote = int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)
            sockets.append(TcpSocket(local, remote, _TCP_STATES.get(fields[3], fields[3]), int(fields[9])))
    return sockets


def machine_id() -> str:
    """This machine's identity: Linux's boot id (``/proc/sys/kernel/random/boot_id``, the same for
    every process until the next boot, different on every other machine), else the host name.
    Process ids and ``perf_counter`` readings of two processes compare only when it is equal."""
    try:
        return (_PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
    except OSError:
        import socket

        return socket.gethostname()


def busy_cpu_seconds() -> float | None:
    """CPU seconds every CPU of the machine has spent busy since boot (``/proc/stat``: all time but
    idle and waiting for I/O), or ``None`` without ``/proc``. Of two readings, the difference minus
    :func:`tree_cpu_seconds`' difference is what other programs used meanwhile."""
    try:
        fields = (_PROC / "stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    values = [int(value) for value in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(values) - values[3] - values[4]) / _TICKS_PER_SECOND


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) ``pid`` and its descendants have used so far: the live ones, and
    the children it has already waited for (their time moves into its ``cutime``/``cstime``), so that
    worker processes that came and went count too."""
    infos = [process_info(found) for found in [pid, *descendants(pid)]]
    try:
        fields = _stat_fields((_PROC / str(pid) / "stat").read_text())
        reaped = (int(fields[13]) + int(fields[14])) / _TICKS_PER_SECOND
    except (OSError, ValueError, IndexError):
        reaped = 0.0
    return reaped + sum(info.cpu_s for info in infos if info is not None)
