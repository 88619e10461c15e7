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

The verdict itself is :func:`gillab.probes.chunk_rules.chunk_verdict`. While ``gillab grade``
grades, the records go to the grader's witness folder (:mod:`gillab.probes.evidence`): the witness
outside the kernel decides the rendezvous after checking ``/proc``, reads each thread's CPU time
when its call ends, and applies the same rules itself. A patched :meth:`ChunkRun.check` can change
only the message in the kernel, not the grade.

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
import threading
import time
import uuid
from pathlib import Path

from ..measure import workloads
from . import evidence
from ._binding import checked_arguments, replaced
from .chunk_rules import KINDS, Call, chunk_verdict, coverage_problem, most_at_once
from .verdicts import GradingFailure

__all__ = ["Call", "ChunkProbe", "ChunkRun", "probe_chunks", "KINDS", "WAIT_S"]

#: How long a call waits at the rendezvous for the other workers. Only a run that cannot meet it
#: (a serial one) waits this long, once; a parallel run passes as soon as its workers are in.
#: Processes get longer: a pool's first call starts its workers (seconds on a loaded 1-CPU machine).
WAIT_S = {"threads": 5.0, "processes": 20.0}
# the course's real functions, taken before any probe replaces them (a forked worker inherits this)
_originals: dict[tuple[str, str], object] = {}


class ChunkProbe:
    """Stands in for a work function ``f(lo, hi)``: records each call and waits at a rendezvous.

    Picklable (a module-level class whose state is plain data) so that joblib's workers can run it;
    there it records into the same folder. ``kind`` says which calls count as workers: calls on
    threads of ``caller_pid`` other than ``caller_thread`` ("threads"), or calls in processes other
    than ``caller_pid`` ("processes"). Calls that do not count never wait. ``witnessed``: a grader's
    witness decides the rendezvous and acknowledges each call (:mod:`gillab.probes.evidence`).
    """

    def __init__(self, folder, module: str, name: str, kind: str, workers: int, caller_pid: int,
                 caller_thread: int, wait_s: float, witnessed: bool = False):
        self.folder, self.module, self.name = str(folder), module, name
        self.kind, self.workers, self.wait_s = kind, workers, wait_s
        self.caller_pid, self.caller_thread = caller_pid, caller_thread
        self.witnessed = witnessed
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
        evidence.touch(folder / f"arrive-{identity}")
        if self.witnessed:
            # the witness writes "met" once /proc shows that many distinct workers alive; this
            # side only gives up, so that a serial program waits once, not forever
            if evidence.wait_for(folder, ("met", "gave-up"), self.wait_s) is None:
                evidence.touch(folder / "gave-up")
            return
        evidence.meet(folder, self.workers, self.wait_s)

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
        if self.witnessed:
            # the witness reads this thread's CPU time before the thread may end
            evidence.wait_for(Path(self.folder), (f"ack-{name}",), evidence.ACK_WAIT_S)
        return result


class ChunkRun:
    """What a probed run did: ``calls`` (after the ``with`` block), ``met`` (the rendezvous), and
    :meth:`check`, which turns them into a verdict (:func:`gillab.probes.chunk_rules.chunk_verdict`)."""

    def __init__(self, kind: str, workers: int, name: str, caller_pid: int, caller_thread: int):
        self.kind, self.workers, self.name = kind, workers, name
        self.caller_pid, self.caller_thread = caller_pid, caller_thread
        self.calls: list[Call] = []
        self.met = False

    def most_at_once(self) -> int:
        """The most calls in progress at the same moment (their start..end intervals overlapping)."""
        return most_at_once(self.calls)

    def coverage_problem(self, start: int, stop: int) -> str | None:
        """Why the chunks given to the function do not cover ``[start, stop)`` exactly once, or None."""
        return coverage_problem(self.calls, self.name, start, stop)

    def check(self, function_name: str, start: int, stop: int) -> None:
        """Raise :class:`GradingFailure` unless ``function_name`` summed ``[start, stop)`` with the
        probed function in ``workers`` workers of the right kind, all of them at the same moment."""
        problem = chunk_verdict(
            self.calls, kind=self.kind, workers=self.workers, met=self.met, caller_pid=self.caller_pid,
            caller_thread=self.caller_thread, name=self.name, function_name=function_name, start=start, stop=stop,
        )
        if problem:
            raise GradingFailure(problem)


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
    workers, wait_s = checked_arguments(namespace, "workers", workers, WAIT_S[kind] if wait_s is None else wait_s,
                                        function, ChunkProbe)
    _originals[(function.__module__, function.__name__)] = function
    witness = evidence.witness_folder()
    folder = evidence.new_probe_folder("chunks", witness)
    caller_pid, caller_thread = os.getpid(), threading.get_native_id()
    probe = ChunkProbe(folder, function.__module__, function.__name__, kind, workers, caller_pid, caller_thread,
                       wait_s, witnessed=witness is not None)
    run = ChunkRun(kind, workers, function.__name__, caller_pid, caller_thread)
    try:
        with replaced(namespace, function, probe):
            yield run
    finally:
        run.met, run.calls = evidence.read_calls(folder, Call)
        if witness is None:
            shutil.rmtree(folder, ignore_errors=True)  # a witness's folder is the witness's to remove
