"""What worker processes cost: starting them, sending them arguments, and the size where they pay off.

A thread shares its process's memory and starts in microseconds. A worker process is a separate
Python: it must start (and import what it needs), every argument is pickled, sent through a pipe
and unpickled on the other side, and so is every result. These functions measure those costs with
joblib (loky workers, as the course's runners use) and with the standard library's
``multiprocessing``, through :func:`gillab.measure.timing.time_call`.

>>> run = pool_sum(1_000, n_workers=2)
>>> run.result, run.caller_pid in run.worker_pids
(500500, False)
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from .._validate import require_int, require_positive_number
from ..measure.chunks import split_range
from ..measure.runners import MAX_WORKERS, stop_worker_processes, traced_chunk
from ..measure.speedup import break_even_size, measure_speedups
from ..measure.timing import Timing, time_call
from ..measure.workloads import count_sum

__all__ = [
    "StartCosts",
    "worker_start_costs",
    "payload_size",
    "ArgumentCost",
    "argument_costs",
    "BreakEven",
    "break_even",
    "PoolRun",
    "pool_sum",
    "FreshProcessOutcome",
    "run_in_fresh_process",
    "PORTABLE_START_METHOD",
    "MAX_PAYLOAD_BYTES",
    "default_start_method",
    "explain_start_method",
]

#: The start method Python 3.14 uses by default on Linux ("forkserver"), or "spawn" where there is
#: no forkserver (Windows). Both start a fresh interpreter that must import the worker function.
PORTABLE_START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
#: Larger payloads risk the memory limit of a Binder session (2 GB): each is held several times over.
MAX_PAYLOAD_BYTES = 256 * 2**20


def default_start_method(version: tuple[int, int], platform: str) -> str:
    """The start method ``multiprocessing`` uses by default for Python ``version`` (major, minor)
    on ``platform`` (a ``sys.platform`` value), from the Python documentation: spawn on Windows
    always and on macOS since 3.8; fork elsewhere up to 3.13; forkserver on Linux and other POSIX
    systems from 3.14.

    >>> default_start_method((3, 11), "linux"), default_start_method((3, 14), "linux")
    ('fork', 'forkserver')
    >>> default_start_method((3, 13), "darwin"), default_start_method((3, 7), "darwin")
    ('spawn', 'fork')
    """
    major, minor = version[0], version[1]
    if platform.startswith("win"):
        return "spawn"
    if platform == "darwin":
        return "spawn" if (major, minor) >= (3, 8) else "fork"
    return "forkserver" if (major, minor) >= (3, 14) else "fork"


def explain_start_method(method: str, version: tuple[int, int], platform: str) -> str:
    """Why this kernel starts worker processes with ``method`` (what
    :func:`gillab.machine.interpreter.start_method` says), from its Python ``version``
    (``sys.version_info[:2]``) and ``platform`` (``sys.platform``), and what changes in 3.14.

    >>> print(explain_start_method("fork", (3, 11), "linux"))  # doctest: +ELLIPSIS
    This kernel starts worker processes with fork: Python 3.11 on linux, where fork is the default up to ...
    """
    default = default_start_method(version, platform)
    where = f"Python {version[0]}.{version[1]} on {platform}"
    if method != default:
        return (
            f"This kernel starts worker processes with {method}, although the default for {where} is {default}: "
            "a program (or a library it imported) chose it with multiprocessing.set_start_method."
        )
    if default == "fork" and platform == "darwin":
        return f"This kernel starts worker processes with fork: {where}, before spawn became macOS's default in 3.8."
    if default == "fork":
        return (
            f"This kernel starts worker processes with fork: {where}, where fork is the default up to Python 3.13. "
            "The same code on Python 3.14 or newer starts them with forkserver: fresh interpreters that must "
            "import every function they run."
        )
    if default == "forkserver":
        return (
            f"This kernel starts worker processes with forkserver: {where}, where it replaced fork as the default "
            "in Python 3.14. Each worker is a fresh interpreter that imports every function it runs."
        )
    return (
        f"This kernel starts worker processes with spawn, the default for {where}: each worker is a fresh "
        "interpreter that imports every function it runs."
    )


def _noop(index: int) -> int:
    return index


def payload_size(payload) -> int:
    """``len(payload)``: the work a worker does with an argument, so only its delivery costs."""
    return len(payload)


def _joblib_call(n_workers: int) -> set[int]:
    from joblib import Parallel, delayed

    return set(Parallel(n_jobs=n_workers, backend="loky")(delayed(os.getpid)() for _ in range(n_workers)))


@dataclass(frozen=True)
class StartCosts:
    """Seconds for a tiny joblib call that first has to start ``n_workers`` new worker processes
    (``fresh_workers``: this kernel keeps running, only the workers are new) and for the same call
    when they are already running (``warm``).

    (``gillab bench`` also reports a *cold start*: the first call of a new Python, which pays for
    starting that interpreter and its imports too. The course uses "cold start" only for that.)
    """

    n_workers: int
    fresh_workers: Timing
    warm: Timing

    def __str__(self) -> str:
        return (
            f"{self.n_workers} joblib workers, a call that does no work:\n"
            f"  fresh workers (started for this call): {self.fresh_workers}\n"
            f"  warm (workers already running):        {self.warm}"
        )


def worker_start_costs(n_workers: int = 2, repeats: int = 3) -> StartCosts:
    """Time a joblib call that does nothing, ``repeats`` times with fresh workers and ``repeats``
    times warm.

    Before each fresh-workers call the running workers are shut down
    (:func:`gillab.measure.runners.stop_worker_processes`), so the call pays for starting
    ``n_workers`` new worker processes. The workers are left running.
    """
    n_workers = require_int("n_workers", n_workers, minimum=1, maximum=32)
    repeats = require_int("repeats", repeats, minimum=1, maximum=20)
    fresh_samples = []
    for _ in range(repeats):
        stop_worker_processes()
        fresh_samples.append(time_call(_joblib_call, n_workers, repeats=1, warmup=0).samples[0])
    warm = time_call(_joblib_call, n_workers, repeats=repeats, warmup=1)
    return StartCosts(n_workers, Timing(tuple(fresh_samples)), warm)


def _send(payload, mode: str, n_workers: int) -> int:
    if mode == "processes":
        from joblib import Parallel, delayed

        sizes = Parallel(n_jobs=n_workers, backend="loky")(delayed(payload_size)(payload) for _ in range(n_workers))
    else:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            sizes = list(pool.map(payload_size, [payload] * n_workers))
    return sum(sizes)


@dataclass(frozen=True)
class ArgumentCost:
    """For one payload size: seconds to pickle it once, and to hand it to every worker as threads
    and as processes (workers warm, nothing computed)."""

    size_bytes: int
    n_workers: int
    pickle: Timing
    threads: Timing
    processes: Timing


def argument_costs(sizes_bytes, n_workers: int = 2, repeats: int = 3) -> list[ArgumentCost]:
    """Measure, for each size, what it costs to give a ``bytes`` argument of that size to
    ``n_workers`` workers: pickling it, threads (which share it), joblib processes (which each get
    a pickled copy through a pipe). Every timing is a median of ``repeats`` after one warm-up.
    """
    n_workers = require_int("n_workers", n_workers, minimum=1, maximum=32)
    repeats = require_int("repeats", repeats, minimum=1, maximum=20)
    sizes = [require_int("size_bytes", size, minimum=0, maximum=MAX_PAYLOAD_BYTES) for size in sizes_bytes]
    if not sizes:
        raise ValueError("sizes_bytes must list at least one size, e.g. [1_000, 10_000_000]")
    costs = []
    for size in sizes:
        payload = bytes(size)
        costs.append(
            ArgumentCost(
                size_bytes=size,
                n_workers=n_workers,
                pickle=time_call(pickle.dumps, payload, repeats=repeats),
                threads=time_call(_send, payload, "threads", n_workers, repeats=repeats),
                processes=time_call(_send, payload, "processes", n_workers, repeats=repeats),
            )
        )
        del payload
    return costs


@dataclass(frozen=True)
class BreakEven:
    """Median speedup of ``n_workers`` processes over serial for each problem size ``n``, and the
    break-even size: by :func:`gillab.measure.speedup.break_even_size`, the smallest ``n`` measured
    from which on processes won at every larger measured size (``None`` if they did not win at the
    largest), the rule ``gillab bench`` uses too."""

    n_workers: int
    points: list  # of (n, median speedup, median serial seconds, median parallel seconds)

    @property
    def n(self) -> int | None:
        return break_even_size([(n, speedup) for n, speedup, _, _ in self.points])[0]


def break_even(sizes, n_workers: int = 2, repeats: int = 3) -> BreakEven:
    """Sum 1..n with ``count_sum`` serially and on ``n_workers`` warm joblib processes for each
    ``n`` in ``sizes`` (paired runs through :func:`gillab.measure.speedup.measure_speedups`)."""
    n_workers = require_int("n_workers", n_workers, minimum=1, maximum=MAX_WORKERS)
    repeats = require_int("repeats", repeats, minimum=1, maximum=20)
    sizes = sorted({require_int("n", n, minimum=1, maximum=10**9) for n in sizes})
    if not sizes:
        raise ValueError("sizes must list at least one problem size, e.g. [1_000, 100_000]")
    points = []
    for n in sizes:
        serial, parallel = measure_speedups(count_sum, n=n, configs=[("processes", n_workers)], repeats=repeats)
        points.append((n, parallel["speedup"]["median"], serial["seconds"]["median"], parallel["seconds"]["median"]))
    return BreakEven(n_workers, points)


@dataclass(frozen=True)
class PoolRun:
    """The sum a ``multiprocessing.Pool`` computed, which processes computed it, and how."""

    result: int
    worker_pids: frozenset
    caller_pid: int
    start_method: str
    wall_s: float


def pool_sum(n: int, n_workers: int = 2, start_method: str = PORTABLE_START_METHOD) -> PoolRun:
    """Sum 1..n with :func:`count_sum` on a plain ``multiprocessing.Pool``, one chunk per worker.

    ``count_sum`` lives in an importable module (``gillab.measure.workloads``), which is what every start
    method needs: "spawn" and "forkserver" start a fresh Python that finds the function by
    importing its module. The wall time includes starting and stopping the pool.
    """
    n = require_int("n", n, minimum=0, maximum=10**9)
    n_workers = require_int("n_workers", n_workers, minimum=1, maximum=32)
    if start_method not in multiprocessing.get_all_start_methods():
        allowed = ", ".join(multiprocessing.get_all_start_methods())
        raise ValueError(f"start_method must be one of {allowed} here, got {start_method!r}")
    context = multiprocessing.get_context(start_method)
    started = time.perf_counter()
    with context.Pool(n_workers) as pool:
        outcomes = pool.starmap(traced_chunk, [(count_sum, lo, hi) for lo, hi in split_range(1, n + 1, n_workers)])
    wall_s = time.perf_counter() - started
    return PoolRun(
        result=sum(value for value, _ in outcomes),
        worker_pids=frozenset(span.pid for _, span in outcomes),
        caller_pid=os.getpid(),
        start_method=start_method,
        wall_s=wall_s,
    )


@dataclass(frozen=True)
class FreshProcessOutcome:
    """Whether ``function`` could be run in a freshly started worker process, and what came back
    (``value``) or went wrong (``error``, a sentence)."""

    function_name: str
    start_method: str
    ok: bool
    value: object = None
    error: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"{self.function_name} ran in a {self.start_method} worker and returned {self.value!r}"
        return f"{self.function_name} could NOT run in a {self.start_method} worker: {self.error}"


def run_in_fresh_process(function, *args, start_method: str = PORTABLE_START_METHOD, timeout_s: float = 60.0):
    """Call ``function(*args)`` in one worker of a ``concurrent.futures.ProcessPoolExecutor`` with
    the given start method, and report what happened instead of raising.

    The standard library pickles a function *by name* (module and qualified name); the worker
    imports that module to find it. A function defined in a notebook lives in the kernel's
    ``__main__``, which a fresh worker process does not have, so it cannot be found there.
    """
    if not callable(function):
        raise TypeError(f"function must be callable, got {function!r}")
    if start_method not in multiprocessing.get_all_start_methods():
        allowed = ", ".join(multiprocessing.get_all_start_methods())
        raise ValueError(f"start_method must be one of {allowed} here, got {start_method!r}")
    timeout_s = require_positive_number("timeout_s", timeout_s, maximum=600)
    name = getattr(function, "__qualname__", repr(function))
    context = multiprocessing.get_context(start_method)
    with tempfile.TemporaryDirectory(prefix="gillab-worker-") as folder:
        # the worker's own error message goes to a file instead of the notebook, and into the outcome
        log = os.path.join(folder, "stderr.txt")
        try:
            with ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=_stderr_to, initargs=(log,)
            ) as pool:
                value = pool.submit(function, *args).result(timeout=timeout_s)
        except BrokenProcessPool:
            return FreshProcessOutcome(name, start_method, False, error=_worker_error(log, function, name))
        except (pickle.PicklingError, AttributeError, TypeError) as error:
            return FreshProcessOutcome(name, start_method, False, error=f"{type(error).__name__}: {error}")
    return FreshProcessOutcome(name, start_method, True, value=value)


def _stderr_to(path: str) -> None:
    sys.stderr = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as the worker


def _worker_error(log: str, function, name: str) -> str:
    try:
        with open(log) as file:
            lines = [line.strip() for line in file if line.strip()]
    except OSError:
        lines = []
    said = f" It said: {lines[-1]}" if lines else ""
    return (
        f"the worker process died while loading the task: it looked for {getattr(function, '__module__', '?')}.{name} "
        f"and a fresh process has no such thing.{said}"
    )
