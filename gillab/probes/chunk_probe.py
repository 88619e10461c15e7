"""Instruments for the problem sets' tests: prove from what ran where that a student's code ran in
parallel, without timing anything.

A grading test stands a probe in for a course function while the student's function runs, then
reads what the probe saw:

- :func:`probe_chunks` replaces ``count_sum`` (in the notebook's namespace and in
  :mod:`gillab.measure.workloads`) with a :class:`ChunkProbe`. Each call records its process id, native
  thread id, chunk and start/end in a folder, so the record survives being pickled into joblib's
  worker processes (loky pickles a notebook's function together with the globals it uses). Before
  summing, each call waits at a *rendezvous* until the requested number of workers are inside at
  the same moment, or gives up after a bounded wait. A pool that truly runs ``k`` chunks at once
  meets it whatever the machine's speed; a serial loop never can, and pays the wait only once.
:mod:`gillab.probes.chat_requests` does the same for requests to the chat server,
:mod:`gillab.probes.tripwire` catches work handed to the course's own helpers.

Each ``check`` raises :class:`GradingFailure` (an ``AssertionError``, so nbgrader counts it as a
failed test) with a message that says what happened and what to change.

>>> from gillab.measure.workloads import count_sum
>>> def serial_sum(n):
...     return sum(count_sum(lo, hi) for lo, hi in [(1, n // 2 + 1), (n // 2 + 1, n + 1)])
>>> with probe_chunks(globals(), "threads", workers=2) as run:
...     total = serial_sum(1000)
>>> total, len(run.calls), run.met
(500500, 2, False)
>>> run.check("serial_sum", start=1, stop=1001)
Traceback (most recent call last):
...
gillab.probes.verdicts.GradingFailure: serial_sum summed 2 of its 2 chunks on the notebook's own thread...
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .._validate import require_int, require_positive_number
from ..measure import workloads
from ._binding import replaced
from .verdicts import GradingFailure

__all__ = ["Call", "ChunkProbe", "ChunkRun", "probe_chunks", "KINDS", "WAIT_S"]

#: What a probed run must show: chunks on threads of the caller's process, or in other processes.
KINDS = ("threads", "processes")
#: How long a call waits at the rendezvous for the other workers. Only a run that cannot meet it
#: (a serial one) waits this long, once; a parallel run passes as soon as its workers are in.
#: Processes get longer: a pool's first call starts its workers (seconds on a loaded 1-CPU machine).
WAIT_S = {"threads": 5.0, "processes": 20.0}
_POLL_S = 0.005
# the course's real functions, taken before any probe replaces them (a forked worker inherits this)
_originals: dict[tuple[str, str], object] = {}


@dataclass(frozen=True)
class Call:
    """One call of a probed function: who made it (process, native thread), on what, and when."""

    pid: int
    thread_id: int
    lo: int
    hi: int
    start: float
    end: float


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):  # the folder is gone: the grader has stopped listening
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))


class ChunkProbe:
    """Stands in for a work function ``f(lo, hi)``: records each call and waits at a rendezvous.

    Picklable (a module-level class whose state is plain data) so that joblib's workers can run it;
    there it records into the same folder. ``kind`` says which calls count as workers: calls on
    threads of ``caller_pid`` other than ``caller_thread`` ("threads"), or calls in processes other
    than ``caller_pid`` ("processes"). Calls that do not count never wait.
    """

    def __init__(
        self,
        folder,
        module: str,
        name: str,
        kind: str,
        workers: int,
        caller_pid: int,
        caller_thread: int,
        wait_s: float,
    ):
        self.folder, self.module, self.name = str(folder), module, name
        self.kind, self.workers, self.wait_s = kind, workers, wait_s
        self.caller_pid, self.caller_thread = caller_pid, caller_thread
        self.__name__ = name  # joblib.delayed and reprs read it

    def __repr__(self) -> str:
        return f"<grading probe standing in for {self.module}.{self.name}>"

    def _real_function(self):
        function = _originals.get((self.module, self.name))
        if function is None:
            __import__(self.module)
            function = getattr(sys.modules[self.module], self.name)
        if isinstance(function, ChunkProbe):
            raise RuntimeError(f"{self.module}.{self.name} is still replaced by a grading probe")
        return function

    def _identity(self, pid: int, thread: int) -> str | None:
        if self.kind == "threads" and pid == self.caller_pid and thread != self.caller_thread:
            return f"{pid}-{thread}"
        if self.kind == "processes" and pid != self.caller_pid:
            return str(pid)
        return None

    def _rendezvous(self, identity: str) -> None:
        folder = Path(self.folder)
        _touch(folder / f"arrive-{identity}")
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                names = os.listdir(folder)
            except OSError:
                return  # the grader has finished: do not hold a straggler
            if "met" in names or "gave-up" in names:
                return
            if sum(name.startswith("arrive-") for name in names) >= self.workers:
                _touch(folder / "met")
                return
            if time.monotonic() > deadline:
                _touch(folder / "gave-up")
                return
            time.sleep(_POLL_S)

    def __call__(self, lo, hi):
        pid, thread = os.getpid(), threading.get_native_id()
        start = time.perf_counter()
        identity = self._identity(pid, thread)
        if identity is not None:
            self._rendezvous(identity)
        result = self._real_function()(lo, hi)
        record = {"pid": pid, "thread_id": thread, "lo": lo, "hi": hi, "start": start, "end": time.perf_counter()}
        name = uuid.uuid4().hex
        with contextlib.suppress(OSError, TypeError, ValueError):
            temporary = Path(self.folder) / f".{name}"
            temporary.write_text(json.dumps(record))
            os.replace(temporary, Path(self.folder) / f"call-{name}.json")  # readers never see half a record
        return result


class ChunkRun:
    """What a probed run did: ``calls`` (after the ``with`` block), ``met`` (the rendezvous), and
    :meth:`check`, which turns them into a verdict."""

    def __init__(self, kind: str, workers: int, name: str, caller_pid: int, caller_thread: int):
        self.kind, self.workers, self.name = kind, workers, name
        self.caller_pid, self.caller_thread = caller_pid, caller_thread
        self.calls: list[Call] = []
        self.met = False

    # --- facts ------------------------------------------------------------------------------
    def _in_caller_thread(self) -> list[Call]:
        return [call for call in self.calls if (call.pid, call.thread_id) == (self.caller_pid, self.caller_thread)]

    def _in_caller_process(self) -> list[Call]:
        return [call for call in self.calls if call.pid == self.caller_pid]

    def most_at_once(self) -> int:
        """The most calls in progress at the same moment (their start..end intervals overlapping)."""
        events = sorted([(call.start, 1) for call in self.calls] + [(call.end, -1) for call in self.calls])
        peak = current = 0
        for _, change in events:
            current += change
            peak = max(peak, current)
        return peak

    def coverage_problem(self, start: int, stop: int) -> str | None:
        """Why the chunks given to the function do not cover ``[start, stop)`` exactly once, or None."""
        chunks = sorted((call.lo, call.hi) for call in self.calls if call.hi != call.lo)
        position = start
        for lo, hi in chunks:
            if lo != position or hi < lo:
                break
            position = hi
        else:
            if position == stop:
                return None
        shown = ", ".join(f"({lo}, {hi})" for lo, hi in chunks[:8]) + (", ..." if len(chunks) > 8 else "")
        return (
            f"the chunks it gave {self.name} do not cover {start}..{stop - 1} exactly once: they were {shown or 'none'}"
        )

    # --- verdict ----------------------------------------------------------------------------
    def check(self, function_name: str, start: int, stop: int) -> None:
        """Raise :class:`GradingFailure` unless ``function_name`` summed ``[start, stop)`` with the
        probed function in ``workers`` workers of the right kind, all of them at the same moment."""
        name, workers = self.name, self.workers
        if not self.calls:
            raise GradingFailure(
                f"{function_name} never called {name}: sum each chunk with {name}(lo, hi), the function "
                f"imported at the top of the notebook. (A formula or a fixed answer gives the right "
                f"number, but cannot show that the work ran in parallel.)"
            )
        if self.kind == "threads":
            self._check_threads(function_name)
        else:
            self._check_processes(function_name)
        problem = self.coverage_problem(start, stop)
        if problem:
            raise GradingFailure(f"{function_name}: {problem}. Give each number to exactly one chunk.")
        if not self.met:
            where = "threads" if self.kind == "threads" else "worker processes"
            raise GradingFailure(
                f"{function_name} never had {workers} chunks in progress at the same time on {workers} "
                f"{where}: at most {self.most_at_once()} of its {len(self.calls)} calls of {name} overlapped. "
                f"Start every worker before you wait for any (submit every chunk before asking for a "
                f"result, or start all threads before joining one)."
            )

    def _check_threads(self, function_name: str) -> None:
        own = self._in_caller_thread()
        if own:
            raise GradingFailure(
                f"{function_name} summed {len(own)} of its {len(self.calls)} chunks on the notebook's own "
                f"thread: each chunk must be summed by {self.name} on a thread you start (threading.Thread "
                f"or ThreadPoolExecutor), and {function_name} only adds up what the threads found."
            )
        elsewhere = [call for call in self.calls if call.pid != self.caller_pid]
        if elsewhere:
            raise GradingFailure(
                f"{function_name} ran {len(elsewhere)} of its {len(self.calls)} chunks in other processes: "
                f"this part is about threads in the notebook's own process (threading.Thread or "
                f"concurrent.futures.ThreadPoolExecutor); processes are the next part."
            )

    def _check_processes(self, function_name: str) -> None:
        own = self._in_caller_process()
        if len(own) == len(self.calls):
            threads = {call.thread_id for call in own} - {self.caller_thread}
            if threads:
                raise GradingFailure(
                    f"{function_name} ran every chunk in the notebook's own process, on threads: threads "
                    f'(joblib\'s threading backend too, backend="threading" or prefer="threads") share this '
                    f"process, where the GIL lets one thread run Python at a time. Let joblib.Parallel use "
                    f"worker processes (its default backend, loky)."
                )
            raise GradingFailure(
                f"{function_name} ran every chunk in the notebook's own process: did you hand the work "
                f"to joblib.Parallel? Give it one delayed({self.name})(lo, hi) per chunk."
            )
        if own:
            raise GradingFailure(
                f"{function_name} ran {len(own)} of its {len(self.calls)} chunks in the notebook's own "
                f"process: every chunk must go to joblib's worker processes, and {function_name} only "
                f"adds up what they return."
            )


@contextlib.contextmanager
def probe_chunks(namespace: dict, kind: str, workers: int, function=workloads.count_sum, wait_s: float | None = None):
    """Replace ``function`` by a :class:`ChunkProbe` in ``namespace`` (a notebook's ``globals()``)
    and in its module for the length of the ``with`` block; yield a :class:`ChunkRun`, whose
    ``calls`` are filled in when the block ends.

    ``kind`` is "threads" (the calls must come from ``workers`` threads of this process other than
    the calling one) or "processes" (from ``workers`` other processes). ``wait_s`` bounds the
    rendezvous (default :data:`WAIT_S` for the kind).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not isinstance(namespace, dict):
        raise TypeError(f"namespace must be a dict such as globals(), got {type(namespace).__name__}")
    workers = require_int("workers", workers, minimum=1, maximum=64)
    wait_s = require_positive_number("wait_s", WAIT_S[kind] if wait_s is None else wait_s, maximum=60)
    if not callable(function) or isinstance(function, ChunkProbe):
        raise TypeError(f"function must be a course function such as count_sum, got {function!r}")
    _originals[(function.__module__, function.__name__)] = function
    folder = Path(tempfile.mkdtemp(prefix="gillab-probe-"))
    caller_pid, caller_thread = os.getpid(), threading.get_native_id()
    probe = ChunkProbe(folder, function.__module__, function.__name__, kind, workers, caller_pid, caller_thread, wait_s)
    run = ChunkRun(kind, workers, function.__name__, caller_pid, caller_thread)
    try:
        with replaced(namespace, function, probe):
            yield run
    finally:
        names = os.listdir(folder)
        run.met = "met" in names
        calls = []
        for record in sorted(folder.glob("call-*.json")):
            with contextlib.suppress(OSError, ValueError):
                calls.append(Call(**json.loads(record.read_text())))
        run.calls = sorted(calls, key=lambda call: call.start)
        shutil.rmtree(folder, ignore_errors=True)
