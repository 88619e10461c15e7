"""Run a list of chunks serially, on threads, on joblib worker processes, in subinterpreters or on a
Dask cluster, and
record what ran where.

Each runner returns a :class:`RunRecord`: the total, wall and CPU seconds, and one :class:`Span` per
chunk saying which process and thread ran it and when. Times come from ``time.perf_counter()``,
which on Linux, macOS and Windows reads a clock shared by every process of the machine, so spans
from worker processes line up with the caller's. With ``n_ticks > 1`` a chunk is cut into that many
slices and the end of each slice is recorded as a progress tick, for timelines of who made progress
when, together with the CPU seconds the thread had spent on the chunk by then (``tick_cpu_s``): a
slice whose CPU seconds add up with another thread's to more than the wall time both took is proof
that the two threads computed at the same instant.

The subinterpreter runner (:func:`gillab.measure.subinterpreters.run_subinterpreters`, mode
``"subinterpreters"``) runs each worker's chunks in an interpreter of its own inside this process;
its spans also say which interpreter (``Span.interpreter``).

A Dask worker may run on another machine, whose ``perf_counter`` is another clock: its spans say
which machine (``Span.machine``) and are moved onto this machine's clock by the difference of the
two wall clocks (see :func:`run_dask`).

>>> from gillab.measure.chunks import split_range
>>> from gillab.measure.workloads import count_sum
>>> record = run_threads(count_sum, split_range(1, 21, 4), n_workers=4)
>>> record.result, record.distinct_threads
(210, 4)
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field

from .._validate import require_int
from ..machine.procfs import machine_id
from .chunks import split_range

__all__ = [
    "Span", "RunRecord", "StreamTask", "run_serial", "run_threads", "run_processes", "run_dask", "run_chunks",
    "stop_worker_processes", "MODES", "MAX_WORKERS",
]

#: The ways a list of chunks can be run ("subinterpreters": Python 3.13+, see
#: :func:`gillab.machine.interpreter.subinterpreter_support`; "dask": on the cluster of
#: :mod:`gillab.measure.cluster`).
MODES = ("serial", "threads", "processes", "subinterpreters", "dask")
#: More workers than this is a typo, not an experiment; it would only exhaust the machine.
MAX_WORKERS = 256
#: A chunk is cut into at most this many slices to record progress.
MAX_TICKS = 1000

_cancelled = threading.Event()


@dataclass(frozen=True)
class Span:
    """One chunk's run: who ran it (process id, thread id, worker kind and index) and when.

    ``thread_id`` is the operating system's id (``threading.get_native_id()``), which, unlike
    ``threading.get_ident()``, is not handed straight to the next thread when one ends.

    ``start``/``end`` are ``perf_counter`` seconds; ``ticks`` the end time of each slice when the
    chunk was cut for progress, and ``tick_cpu_s`` the CPU seconds the running thread had spent on
    the chunk at each of those ticks; ``cpu_s`` the CPU seconds the running thread spent on it.
    ``interpreter`` is the id of the interpreter that ran it: 0, the main one, except in
    subinterpreter runs.

    Dask runs only: ``address`` is the worker's (``tcp://host:port``); ``machine`` is empty when
    the worker runs on the caller's machine, else that machine's host name (its process and thread
    ids are then its own, and its times were moved onto the caller's clock).
    """

    kind: str
    worker: int
    pid: int
    thread_id: int
    chunk: tuple[int, int]
    start: float
    end: float
    cpu_s: float
    ticks: tuple[float, ...] = ()
    tick_cpu_s: tuple[float, ...] = ()
    interpreter: int = 0
    address: str = ""
    machine: str = ""

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def process(self) -> tuple[str, int]:
        """Which process ran the chunk, across machines: ``(machine, pid)``."""
        return self.machine, self.pid

    @property
    def thread(self) -> tuple[str, int, int]:
        """Which thread ran the chunk, across machines: ``(machine, pid, thread_id)``."""
        return self.machine, self.pid, self.thread_id


@dataclass(frozen=True)
class StreamTask:
    """One task as Dask's own task stream saw it: the worker's ``address``, the task's ``key``, and
    ``start``/``end`` of its computation moved onto this machine's ``perf_counter`` clock. Dask
    reads them from the worker's wall clock and adds its estimate of that clock's offset from the
    scheduler's (renewed at every heartbeat), so they can be off by milliseconds; the spans recorded
    inside each task are exact on one machine."""

    address: str
    key: str
    start: float
    end: float


@dataclass
class RunRecord:
    """What a run produced and how: the additive total of every chunk, and the spans."""

    mode: str
    workers: int
    workload: str
    chunks: list[tuple[int, int]]
    result: int
    wall_s: float
    cpu_s: float
    spans: list[Span] = field(repr=False)
    caller_pid: int = 0
    caller_thread_id: int = 0
    task_stream: list[StreamTask] = field(default_factory=list, repr=False)

    @property
    def distinct_threads(self) -> int:
        """How many different (process, thread) pairs ran chunks."""
        return len({span.thread for span in self.spans})

    @property
    def distinct_processes(self) -> int:
        return len({span.process for span in self.spans})

    @property
    def distinct_interpreters(self) -> int:
        """How many different (process, interpreter) pairs ran chunks."""
        return len({(span.pid, span.interpreter) for span in self.spans})

    @property
    def ran_in_caller_process(self) -> bool:
        return any(span.process == ("", self.caller_pid) for span in self.spans)

    @property
    def ran_in_caller_thread(self) -> bool:
        return any(span.thread == ("", self.caller_pid, self.caller_thread_id) for span in self.spans)


def traced_chunk(function, lo: int, hi: int, n_ticks: int = 1, kind: str = "serial", worker: int = 0):
    """Run ``function(lo, hi)`` (in slices when ``n_ticks > 1``) and return ``(value, Span)``.

    Module-level so that joblib can send it to worker processes. Between slices it stops early
    with ``KeyboardInterrupt`` if a thread or subinterpreter run was cancelled (an interrupted kernel).
    """
    start, cpu_start = time.perf_counter(), time.thread_time()
    ticks, tick_cpu = [], []
    value = 0
    for slice_lo, slice_hi in split_range(lo, hi, n_ticks) if n_ticks > 1 else [(lo, hi)]:
        if kind in ("thread", "interpreter") and _cancelled.is_set():
            raise KeyboardInterrupt("run cancelled")
        value += function(slice_lo, slice_hi)
        ticks.append(time.perf_counter())
        tick_cpu.append(time.thread_time() - cpu_start)
    end = time.perf_counter()
    span = Span(
        kind=kind,
        worker=worker,
        pid=os.getpid(),
        thread_id=threading.get_native_id(),
        chunk=(lo, hi),
        start=start,
        end=end,
        cpu_s=time.thread_time() - cpu_start,
        ticks=tuple(ticks) if n_ticks > 1 else (),
        tick_cpu_s=tuple(tick_cpu) if n_ticks > 1 else (),
    )
    return value, span


def _check(function, chunks, n_workers, n_ticks):
    if not callable(function):
        raise TypeError(f"function must be callable, got {function!r}")
    if not isinstance(chunks, (list, tuple)) or not chunks:
        raise ValueError(f"chunks must be a non-empty list of (lo, hi) pairs, got {chunks!r}")
    for chunk in chunks:
        if (
            not isinstance(chunk, (list, tuple))
            or len(chunk) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in chunk)
            or chunk[1] < chunk[0]
        ):
            raise ValueError(f"each chunk must be a pair of ints (lo, hi) with lo <= hi, got {chunk!r}")
    n_workers = require_int("n_workers", n_workers, minimum=1, maximum=MAX_WORKERS)
    n_ticks = require_int("n_ticks", n_ticks, minimum=1, maximum=MAX_TICKS)
    return [tuple(chunk) for chunk in chunks], n_workers, n_ticks


def _record(mode, n_workers, function, chunks, results, wall_s, caller, task_stream=()):
    spans = [span for _, span in results]
    return RunRecord(
        mode=mode,
        workers=n_workers,
        workload=getattr(function, "__name__", repr(function)),
        chunks=chunks,
        result=sum(value for value, _ in results),
        wall_s=wall_s,
        cpu_s=sum(span.cpu_s for span in spans),
        spans=spans,
        caller_pid=caller[0],
        caller_thread_id=caller[1],
        task_stream=list(task_stream),
    )


def run_serial(function, chunks, n_ticks: int = 1) -> RunRecord:
    """Run every chunk one after the other in the calling thread."""
    chunks, _, n_ticks = _check(function, chunks, 1, n_ticks)
    caller = (os.getpid(), threading.get_native_id())
    start = time.perf_counter()
    results = [traced_chunk(function, lo, hi, n_ticks, "serial", 0) for lo, hi in chunks]
    return _record("serial", 1, function, chunks, results, time.perf_counter() - start, caller)


def run_threads(function, chunks, n_workers: int, n_ticks: int = 1) -> RunRecord:
    """Run the chunks on ``n_workers`` new threads, chunk ``i`` on thread ``i % n_workers``.

    Chunks are dealt out in advance (not pulled from a queue) so that every one of the
    ``n_workers`` threads gets work even when chunks are tiny. Interrupting (Ctrl-C, or the
    kernel's interrupt button) cancels the remaining slices, waits for the threads, and re-raises.
    """
    chunks, n_workers, n_ticks = _check(function, chunks, n_workers, n_ticks)
    caller = (os.getpid(), threading.get_native_id())
    results: list = [None] * len(chunks)
    errors: list[BaseException] = []

    # all workers wait here so that they exist at the same time: a thread that finished early
    # could otherwise hand its id to the next one, and the timeline starts them together
    started = threading.Barrier(min(n_workers, len(chunks)))

    def work(worker: int) -> None:
        try:
            started.wait(timeout=30)
            for index in range(worker, len(chunks), n_workers):
                lo, hi = chunks[index]
                results[index] = traced_chunk(function, lo, hi, n_ticks, "thread", worker)
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            errors.append(error)

    threads = [
        threading.Thread(target=work, args=(worker,), name=f"gillab-worker-{worker}", daemon=True)
        for worker in range(min(n_workers, len(chunks)))
    ]
    _cancelled.clear()
    start = time.perf_counter()
    try:
        # starting is inside the try: an interrupt can land while a thread starts up
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():  # a timed join keeps the caller responsive to interrupts
                thread.join(0.05)
    except KeyboardInterrupt:
        _cancelled.set()
        started.abort()  # threads still waiting for the others give up at once instead of working
        for thread in threads:
            if thread.is_alive():
                thread.join()
        raise
    wall_s = time.perf_counter() - start
    if errors:
        raise errors[0]
    return _record("threads", n_workers, function, chunks, results, wall_s, caller)


def run_processes(function, chunks, n_workers: int, n_ticks: int = 1) -> RunRecord:
    """Run the chunks on ``n_workers`` joblib (loky) worker processes, one chunk per task.

    joblib keeps its workers alive between calls, so the first call pays their start-up and later
    calls with the same or fewer workers do not. ``function`` must be picklable: a module-level
    function is; loky also pickles functions defined in a notebook. Interrupting (Ctrl-C, or the
    kernel's interrupt button) stops every worker process before re-raising.
    """
    from joblib import Parallel, delayed  # imported here: joblib is only needed for this runner

    chunks, n_workers, n_ticks = _check(function, chunks, n_workers, n_ticks)
    caller = (os.getpid(), threading.get_native_id())
    start = time.perf_counter()
    if n_workers == 1:
        # joblib runs n_jobs=1 in the calling process; one task holding every chunk, sent to a
        # pool, keeps the work in ONE worker process, which is what "1 process" must mean here
        tasks, n_jobs = [delayed(_traced_chunks)(function, chunks, n_ticks)], 2
    else:
        tasks = [
            delayed(traced_chunk)(function, lo, hi, n_ticks, "process", index % n_workers)
            for index, (lo, hi) in enumerate(chunks)
        ]
        n_jobs = n_workers
    try:
        results = Parallel(n_jobs=n_jobs, backend="loky", batch_size=1)(tasks)
        if n_workers == 1:
            results = results[0]
    except KeyboardInterrupt:
        # joblib kills the workers of a call it was waiting on, but not ones still starting up
        stop_worker_processes()
        raise
    wall_s = time.perf_counter() - start
    # a chunk's worker index is only its slot in the dispatch order; number the processes instead
    order = {pid: number for number, pid in enumerate(dict.fromkeys(span.pid for _, span in results))}
    results = [(value, _renumbered(span, order[span.pid])) for value, span in results]
    return _record("processes", n_workers, function, chunks, results, wall_s, caller)


def _traced_chunks(function, chunks, n_ticks):
    """Every chunk in turn in this (worker) process: :func:`run_processes` with one worker."""
    return [traced_chunk(function, lo, hi, n_ticks, "process", 0) for lo, hi in chunks]


def stop_worker_processes() -> None:
    """Stop joblib's worker processes now, killing any chunk they are still running.

    joblib keeps idle workers for reuse (for minutes); after an interrupted experiment nothing
    should keep running or waiting, so the labs call this. The next :func:`run_processes` starts
    fresh workers.
    """
    from joblib.externals.loky import get_reusable_executor

    # asking for the executor with kill_workers=True replaces joblib's own one (whose settings
    # differ) by killing its workers; the replacement has started none yet and is shut at once
    get_reusable_executor(kill_workers=True).shutdown(wait=True, kill_workers=True)


def _renumbered(span: Span, worker: int, **changes) -> Span:
    return Span(**{**span.__dict__, "worker": worker, **changes})


def traced_dask_chunk(function, lo: int, hi: int, n_ticks: int = 1):
    """:func:`traced_chunk` in a Dask worker: ``(value, Span, where)`` with ``where`` saying which
    worker and machine ran it and that machine's ``time.time() - perf_counter()``.

    Module-level so that workers import it by name (the workers need the course's package)."""
    import socket

    from distributed import get_worker

    value, span = traced_chunk(function, lo, hi, n_ticks, "dask", 0)
    where = {
        "address": get_worker().address,
        "machine": machine_id(),
        "host": socket.gethostname(),
        "wall_minus_perf": time.time() - time.perf_counter(),
    }
    return value, span, where


def _on_this_clock(results):
    """Spans of workers on another machine moved onto this machine's clock; all renumbered by worker."""
    here, offset = machine_id(), time.time() - time.perf_counter()
    order = {address: n for n, address in enumerate(dict.fromkeys(where["address"] for _, _, where in results))}
    spans = []
    for value, span, where in results:
        shift, machine = 0.0, ""
        if where["machine"] != here:
            # perf_counter clocks of two machines share nothing: go through the wall clocks
            shift, machine = where["wall_minus_perf"] - offset, where["host"]
        changes = {"address": where["address"], "machine": machine}
        if shift:
            changes.update(
                start=span.start + shift, end=span.end + shift, ticks=tuple(tick + shift for tick in span.ticks)
            )
        spans.append((value, _renumbered(span, order[where["address"]], **changes)))
    return spans


def _stream_tasks(client, entries) -> list[StreamTask]:
    """Dask's task stream ``entries`` moved onto this machine's ``perf_counter``: minus each worker's
    estimated offset from the scheduler's clock, minus this machine's wall-minus-perf offset."""
    delays = client.run(lambda dask_worker: dask_worker.scheduler_delay)
    offset = time.time() - time.perf_counter()
    tasks = []
    for entry in entries:
        for step in entry.get("startstops", ()):
            if step.get("action") == "compute":
                delay = delays.get(entry["worker"], 0.0)
                tasks.append(
                    StreamTask(entry["worker"], str(entry["key"]), step["start"] - delay - offset,
                               step["stop"] - delay - offset)
                )
    return sorted(tasks, key=lambda task: task.start)


def run_dask(function, chunks, n_workers: int | None = None, n_ticks: int = 1, client=None,
             record_stream: bool = False) -> RunRecord:
    """Run the chunks as tasks on a Dask cluster, one task per chunk, and record what ran where.

    ``client`` defaults to the one of :func:`gillab.measure.cluster.current` (``connect()`` first).
    ``n_workers`` (default: all) of the cluster's workers run the chunks. With all of them, each of
    one thread, Dask's scheduler places the tasks, and reruns a lost worker's chunks on the others.
    With fewer, or with workers of several threads, chunk ``i`` is pinned to worker ``i % n_workers``
    (in address order), as :func:`run_threads` deals chunks to threads, so that exactly ``n_workers``
    worker processes run them; losing a worker chunks are pinned to then stops the run with a
    message. Every task is new (``pure=False``): Dask would otherwise hand back the result of an
    identical earlier task without running it.

    Each span says which worker (``address``), process and thread ran the chunk, timed inside the
    task; ``record_stream=True`` also keeps Dask's own task stream (:class:`StreamTask`). With no
    worker left for :data:`gillab.measure.cluster.NO_WORKERS_S` seconds the run stops with a
    message; an interrupt cancels the tasks.
    """
    from distributed import get_task_stream

    from .cluster import gather, require_current, worker_threads

    client = client if client is not None else require_current().client
    threads = worker_threads(client)
    workers = sorted(threads)
    if not workers:
        raise RuntimeError(f"the Dask cluster at {client.scheduler.address} has no workers: start some first")
    n_workers = len(workers) if n_workers is None else n_workers
    chunks, n_workers, n_ticks = _check(function, chunks, n_workers, n_ticks)
    if n_workers > len(workers):
        raise ValueError(
            f"n_workers={n_workers}, but the Dask cluster has {len(workers)} worker(s): use at most {len(workers)}, or "
            "start a cluster with more (connect(n_workers=...))"
        )
    pin = n_workers < len(workers) or any(count > 1 for count in threads.values())
    caller = (os.getpid(), threading.get_native_id())
    stream = get_task_stream(client) if record_stream else contextlib.nullcontext()
    with stream as entries:
        start = time.perf_counter()
        futures = [
            client.submit(traced_dask_chunk, function, lo, hi, n_ticks, pure=False,
                          workers=[workers[index % n_workers]] if pin else None)
            for index, (lo, hi) in enumerate(chunks)
        ]
        results = gather(client, futures, pinned=workers[:n_workers] if pin else ())
        wall_s = time.perf_counter() - start
    task_stream = _stream_tasks(client, entries.data) if record_stream else ()
    return _record("dask", n_workers, function, chunks, _on_this_clock(results), wall_s, caller, task_stream)


def run_chunks(mode: str, function, chunks, n_workers: int = 1, n_ticks: int = 1) -> RunRecord:
    """Run ``chunks`` with the runner named by ``mode`` (one of :data:`MODES`)."""
    if mode == "subinterpreters":
        from .subinterpreters import run_subinterpreters  # it builds on this module

        return run_subinterpreters(function, chunks, n_workers, n_ticks)
    if mode == "serial":
        return run_serial(function, chunks, n_ticks)
    if mode == "threads":
        return run_threads(function, chunks, n_workers, n_ticks)
    if mode == "processes":
        return run_processes(function, chunks, n_workers, n_ticks)
    if mode == "dask":
        return run_dask(function, chunks, n_workers, n_ticks)
    raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
