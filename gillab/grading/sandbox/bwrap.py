"""The bubblewrap sandbox each submission's kernel runs in, and the limits it enforces.

:func:`bwrap_command` turns a kernel command line into one that runs it inside ``bwrap``
(Debian package ``bubblewrap``). What the student's code then sees and may do:

- **Files**: ``/usr``, ``/etc``, ``/sys`` (CPU and cgroup facts joblib reads), the Python
  installation, the virtual environment and the ``gillab`` package, all read-only. Nothing else
  of the host: not the course folder, not the solutions, the gradebook or other students'
  submissions (they are simply absent). Writable:
  only its own working copy (``/home/student/work``, a copy of the submission's files) and
  ``/tmp`` and ``/dev/shm``, each a fresh tmpfs of at most ``Limits.scratch_bytes``, all
  discarded when grading ends.
- **Network**: none (a new network namespace: no interface but a loopback of its own).
- **Processes**: a new PID namespace. When the kernel exits or is killed, the kernel ends every
  process left in it, daemonised or started in a new session or not; ``--die-with-parent``
  does the same when the grading worker dies.
- **Limits** (``setrlimit``, set by :mod:`gillab.grading.sandbox.entry` before the kernel
  starts, inherited by every child): address space per process (``memory_bytes``), CPU seconds
  per process (``cpu_seconds``), processes and threads of the sandbox user (``processes``),
  size of any one written file, open files, no core dumps. As root the kernel runs as an
  otherwise unused uid (``SANDBOX_UID_BASE`` + the worker's slot), which is what makes the
  process limit count only that sandbox's processes. The per-cell and whole-notebook timeouts
  are enforced by the grader (:mod:`gillab.grading.execute`), outside the sandbox.

>>> limits = Limits(memory_bytes=2 << 30, processes=64)
>>> command = bwrap_command(["python", "-m", "ipykernel_launcher"], SandboxSettings(limits=limits))
>>> command[0], "--unshare-net" in command, "--unshare-pid" in command
('bwrap', True, True)
>>> command[-3:]
['python', '-m', 'ipykernel_launcher']
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ...machine.procfs import task_count

__all__ = [
    "Limits",
    "SandboxSettings",
    "SandboxUnavailable",
    "SANDBOX_HOME",
    "SANDBOX_WORK",
    "SANDBOX_UID_BASE",
    "bwrap_command",
    "check_bwrap",
    "python_paths",
    "interpreter_paths",
]

SANDBOX_HOME = "/home/student"
SANDBOX_WORK = "/home/student/work"
#: Where the read-only copy of the submission's files is mounted before it is copied to the work folder.
SANDBOX_INPUT = "/grading/input"
#: The kernel of grading worker ``k`` runs as uid ``SANDBOX_UID_BASE + k`` when grading runs as root.
SANDBOX_UID_BASE = 2_000_000_000

_SYSTEM_READ_ONLY = ("/usr", "/etc")
_MERGED_USR_LINKS = ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
_MiB = 1 << 20


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create a sandbox here; the message says why and what to do."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's kernel and everything it starts.

    ``memory_bytes``: address space of each process (``RLIMIT_AS``); 2 GiB, mybinder.org's
    memory limit, by default. ``processes``: processes and threads of the sandbox user
    (``RLIMIT_NPROC``). ``cpu_seconds``: CPU time of each process (``RLIMIT_CPU``; the kernel
    is killed with SIGXCPU when it uses more). ``file_size_bytes``: largest file it may write.
    ``open_files``: open file descriptors. ``scratch_bytes``: size of each tmpfs (home with the
    working copy, ``/tmp``, ``/dev/shm``).
    """

    memory_bytes: int = 2 << 30
    processes: int = 128
    cpu_seconds: int = 600
    file_size_bytes: int = 64 * _MiB
    open_files: int = 1024
    scratch_bytes: int = 256 * _MiB

    def as_rlimits(self, extra_processes: int = 0) -> dict:
        """The ``setrlimit`` values the sandbox entry applies (names of :mod:`gillab.grading.sandbox.entry`)."""
        return {
            "address_space": self.memory_bytes,
            "processes": self.processes + extra_processes,
            # soft limit: SIGXCPU; the hard limit a few seconds later: SIGKILL
            "cpu_seconds": [self.cpu_seconds, self.cpu_seconds + 5],
            "file_size": self.file_size_bytes,
            "open_files": self.open_files,
            "core_file": 0,
        }


@dataclass(frozen=True)
class SandboxSettings:
    """Everything that varies between sandboxes: limits, the user, the folders to share.

    ``uid``: the sandbox user (``None``: keep the caller's, as when not running as root).
    ``input_dir``: host folder copied into the working copy. ``shared_dirs``: host folders
    mounted read-write at the same path (the kernel's connection sockets). ``read_only``: extra
    host paths mounted read-only at the same path (default: :func:`python_paths`).
    ``environment``: the kernel's whole environment besides the sandbox's own variables.
    """

    limits: Limits = field(default_factory=Limits)
    uid: int | None = None
    input_dir: str | None = None
    shared_dirs: tuple = ()
    read_only: tuple | None = None
    environment: dict = field(default_factory=dict)

    def to_json(self) -> str:
        """These settings as JSON (to hand them to a grading worker)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SandboxSettings:
        """The inverse of :meth:`to_json`."""
        data = json.loads(text)
        data["limits"] = Limits(**data["limits"])
        data["shared_dirs"] = tuple(data["shared_dirs"])
        data["read_only"] = None if data["read_only"] is None else tuple(data["read_only"])
        return cls(**data)

    def with_(self, **changes) -> SandboxSettings:
        """A copy with some fields changed."""
        return replace(self, **changes)


def python_paths() -> tuple:
    """The host paths the kernel needs to read: this Python, its virtual environment, ``gillab``.

    The package folder matters for an editable install, where ``gillab`` lives in the
    repository rather than in the environment; only that folder is shared, not the repository.
    """
    import gillab

    paths = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    paths.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
    paths.add(str(Path(gillab.__file__).resolve().parent))
    return tuple(sorted(paths))


def interpreter_paths(executable: str) -> tuple:
    """The host paths a kernel started as ``executable`` needs to read: its virtual environment and
    the Python installation that environment was made from (a kernel of another interpreter, such
    as the free-threaded one of ``make ft-kernel``, lives outside this Python's paths)."""
    executable = Path(executable)
    if not executable.is_absolute():
        return ()
    paths = {str(executable.parent.parent), str(Path(os.path.realpath(executable)).parent.parent)}
    return tuple(sorted(paths))


def _covered(path: str, mounted: list[str]) -> bool:
    return any(path == top or path.startswith(top.rstrip("/") + "/") for top in mounted)


def _make_parents(path: str, made: set, mounted: list[str]) -> list[str]:
    """``--dir`` options for each missing parent folder, readable by everyone (bwrap's own are 0700)."""
    args = []
    parents = list(Path(path).parents)[::-1][1:]  # from the top, without "/"
    for parent in map(str, parents):
        if parent in made or _covered(parent, mounted):
            continue
        made.add(parent)
        args += ["--perms", "0755", "--dir", parent]
    return args


def _namespaces(bwrap: str) -> list[str]:
    # Processes and Network (module docstring): a PID namespace of its own, so that the kernel,
    # started as its init, takes every process it leaves with it; a network namespace with only its
    # own loopback, so that not even the host's 127.0.0.1 answers; IPC and UTS so that shared
    # memory and the host name are its own too. --die-with-parent ends the sandbox with its
    # grading worker (a worker that dies before bwrap can ask is handled by the worker itself).
    return [bwrap, "--die-with-parent", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "grading"]


def _system_files(mounted: list[str]) -> list[str]:
    # Files, first the system: /usr and /etc read-only; on a merged-/usr system /bin, /lib ... are
    # links into /usr and must be links here too, or the dynamic loader finds nothing
    args = []
    for path in _SYSTEM_READ_ONLY:
        args += ["--ro-bind", path, path]
        mounted.append(path)
    for path in _MERGED_USR_LINKS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
            mounted.append(path)
    # /sys read-only: joblib reads the CPU count and cgroup quota there; a /proc of the new PID
    # namespace (it shows only the sandbox's processes); a minimal /dev
    return args + ["--ro-bind-try", "/sys", "/sys", "--proc", "/proc", "--dev", "/dev"]


def _scratch_space(size: str) -> list[str]:
    # Files, what is writable: each a fresh tmpfs with a size limit, so that a student's code can
    # neither fill the host's disk nor leave anything behind; /tmp and /dev/shm are sticky and
    # shared (joblib's workers pass data through /dev/shm), home is the student's alone
    return [
        "--perms", "1777", "--size", size, "--tmpfs", "/tmp",
        "--perms", "1777", "--size", size, "--tmpfs", "/dev/shm",
        "--perms", "0755", "--dir", "/home", "--perms", "0700", "--size", size, "--tmpfs", SANDBOX_HOME,
    ]


def _host_folders(settings: SandboxSettings, mounted: list[str]) -> tuple[list[str], list[str]]:
    """``(args, chown)``: Python and the course's package read-only, the kernel's connection
    folder read-write, the submission's files read-only (the entry copies them)."""
    args, chown, made = [], [], set()
    read_only = python_paths() if settings.read_only is None else settings.read_only
    for path in sorted(set(read_only)):
        # a path inside /usr is already there; one that does not exist would stop bwrap
        if _covered(path, mounted) or not os.path.exists(path):
            continue
        args += _make_parents(path, made, mounted)
        args += ["--ro-bind", path, path]
        mounted.append(path)
    for path in settings.shared_dirs:
        # the kernel's Unix sockets: the only way in or out, since there is no network; handed to
        # the sandbox user by the entry, with the files already in it
        args += _make_parents(path, made, mounted)
        args += ["--bind", path, path]
        chown.append(path)
        chown += [str(p) for p in Path(path).iterdir()]
    if settings.input_dir:
        # mounted read-only and COPIED inside by the entry: the instructor's copy cannot change
        args += _make_parents(SANDBOX_INPUT, made, mounted)
        args += ["--ro-bind", settings.input_dir, SANDBOX_INPUT]
    return args, chown


def _environment(settings: SandboxSettings) -> list[str]:
    # --clearenv first: nothing of the grader's environment (tokens, paths) reaches student code;
    # then only what a kernel needs, plus what the caller adds (NBGRADER_EXECUTION)
    environment = {
        "HOME": SANDBOX_HOME,
        "USER": "student",
        "LOGNAME": "student",
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        "IPYTHONDIR": f"{SANDBOX_HOME}/.ipython",
        "MPLCONFIGDIR": f"{SANDBOX_HOME}/.config/matplotlib",
        # 1 is "no parent to watch": the kernel's real parent is the sandbox's own init
        "JPY_PARENT_PID": "1",
        **settings.environment,
    }
    args = ["--clearenv"]
    for name, value in environment.items():
        args += ["--setenv", name, str(value)]
    return args + ["--chdir", "/"]


def bwrap_command(kernel_argv: list[str], settings: SandboxSettings, bwrap: str = "bwrap") -> list[str]:
    """The command that runs ``kernel_argv`` inside a sandbox described by ``settings``.

    Built in the order of this module's docstring: namespaces (processes, network), files (the
    system read-only, scratch space, the host folders grading needs), the environment, then the
    entry program, which sets the limits and drops to the sandbox user before it becomes the kernel.
    bwrap applies mount options in order, so the system comes before anything mounted inside it.
    """
    mounted: list[str] = []
    args = _namespaces(bwrap) + _system_files(mounted) + _scratch_space(str(settings.limits.scratch_bytes))
    folders, chown = _host_folders(settings, mounted)
    args += folders + _environment(settings)
    extra_processes = 0
    if settings.uid is None and os.geteuid() != 0:
        # Limits: without root the process limit counts every process of this user, the
        # grader's own included; leave room for those
        extra_processes = task_count(os.getuid())
    entry_settings = {
        "uid": settings.uid,
        "gid": settings.uid,
        "home": SANDBOX_HOME,
        "work": SANDBOX_WORK,
        "copy_from": SANDBOX_INPUT if settings.input_dir else None,
        "chown": chown,
        "limits": settings.limits.as_rlimits(extra_processes),
    }
    # -I -S: the entry runs on the standard library alone; nothing from the submission or the
    # environment can change what it does before it drops privileges
    entry = str(Path(__file__).with_name("entry.py"))
    return args + ["--", sys.executable, "-I", "-S", entry, json.dumps(entry_settings), "--", *kernel_argv]


def check_bwrap() -> str:
    """The path of a ``bwrap`` that can create this module's sandbox here, else :class:`SandboxUnavailable`.

    Runs a tiny sandbox once (about 10 ms): an installed bwrap may still be refused namespaces,
    for example inside an unprivileged container.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so submissions cannot be graded in isolation: "
            "student code would run with your rights, could read the solutions and the gradebook, "
            "change any of your files, use the network and leave processes running. "
            "Install it (Debian/Ubuntu: sudo apt install bubblewrap) or, to grade anyway without "
            "a sandbox (for example on macOS, where bubblewrap does not exist), pass --no-sandbox."
        )
    probe = bwrap_command(["/bin/true"], SandboxSettings(read_only=()), bwrap=bwrap)
    # the probe needs no Python: drop the entry script and run /bin/true directly
    probe = probe[: probe.index("--", probe.index("--chdir")) + 1] + ["/bin/true"]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SandboxUnavailable(
            f"bwrap ({bwrap}) could not be run: {error}. Pass --no-sandbox to grade without isolation."
        ) from error
    if result.returncode != 0:
        raise SandboxUnavailable(
            f"bwrap ({bwrap}) is installed but cannot create a sandbox here: "
            f"{result.stderr.strip() or result.returncode}. "
            "It needs user namespaces (or root). Pass --no-sandbox to grade without isolation."
        )
    return bwrap
