"""Prove, without timing anything, that chunks ran in k interpreters at the same moment.

:func:`probe_interpreter_chunks` stands a recording stand-in, :class:`InterpreterChunkProbe`, in for
a course work function such as ``count_sum`` (in a notebook's namespace and in its module), as
:func:`gillab.probes.chunk_probe.probe_chunks` does for threads and processes. The stand-in is
picklable, so it crosses into worker interpreters (an ``InterpreterPoolExecutor``, the course's
runner). Each call records its process, interpreter id, native thread and chunk in a folder; and a
call running in another interpreter of this process waits at a *rendezvous*, a file per
interpreter in that folder, until ``interpreters`` different interpreters have arrived, or gives up
after a bounded wait (once: later calls see that it gave up). A pool of k interpreters that runs
k chunks together meets it whatever the machine's speed; a serial loop, threads of this one
interpreter, or a pool of one interpreter cannot.

>>> from gillab.measure.workloads import count_sum
>>> with probe_interpreter_chunks(globals(), interpreters=2) as run:
...     total = count_sum(1, 11) + count_sum(11, 21)
>>> total, len(run.calls), run.met, run.interpreters_used()
(210, 2, False, 0)
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
from dataclasses import dataclass
from pathlib import Path

from ..machine.interpreter import current_interpreter_id
from ..measure import workloads
from . import evidence
from ._binding import checked_arguments, replaced
from .chunk_rules import coverage_problem, most_at_once

__all__ = ["InterpreterCall", "InterpreterChunkProbe", "InterpreterChunkRun", "probe_interpreter_chunks", "WAIT_S"]

#: How long a call in a worker interpreter waits for the others. A pool starts its interpreters as
#: tasks arrive, each in tens of milliseconds, seconds on a loaded one-CPU machine.
WAIT_S = 10.0
# the course's real functions, taken before a probe replaces them
_originals: dict[tuple[str, str], object] = {}


@dataclass(frozen=True)
class InterpreterCall:
    """One call of a probed function: which process, interpreter and native thread made it, on
    what chunk, and when (``perf_counter`` seconds, one clock for every interpreter of a machine)."""

    pid: int
    interpreter: int
    thread_id: int
    lo: int
    hi: int
    start: float
    end: float


class InterpreterChunkProbe:
    """Stands in for a work function ``f(lo, hi)``: records each call, and makes a call from another
    interpreter of the caller's process wait until ``interpreters`` of them are inside at once."""

    def __init__(self, folder, module: str, name: str, interpreters: int, caller_pid: int, caller_interpreter: int,
                 wait_s: float):
        self.folder, self.module, self.name = str(folder), module, name
        self.interpreters, self.wait_s = interpreters, wait_s
        self.caller_pid, self.caller_interpreter = caller_pid, caller_interpreter
        self.__name__ = self.__qualname__ = name  # what reprs and error messages name

    def __repr__(self) -> str:
        return f"<probe standing in for {self.module}.{self.name}>"

    def _real_function(self):
        function = _originals.get((self.module, self.name))
        if function is None:  # in a worker interpreter: its own, untouched copy of the module
            __import__(self.module)
            function = getattr(sys.modules[self.module], self.name)
        if isinstance(function, InterpreterChunkProbe):
            raise RuntimeError(f"{self.module}.{self.name} is still replaced by a probe")
        return function

    def _rendezvous(self, interpreter: int) -> None:
        folder = Path(self.folder)
        evidence.touch(folder / f"arrive-{interpreter}")
        evidence.meet(folder, self.interpreters, self.wait_s)

    def __call__(self, lo, hi):
        pid, thread, interpreter = os.getpid(), threading.get_native_id(), current_interpreter_id()
        start = time.perf_counter()
        if pid == self.caller_pid and interpreter != self.caller_interpreter:
            self._rendezvous(interpreter)
        result = self._real_function()(lo, hi)
        record = {"pid": pid, "interpreter": interpreter, "thread_id": thread, "lo": lo, "hi": hi, "start": start,
                  "end": time.perf_counter()}
        name = uuid.uuid4().hex
        with contextlib.suppress(OSError, TypeError, ValueError):
            temporary = Path(self.folder) / f".{name}"
            temporary.write_text(json.dumps(record))
            os.replace(temporary, Path(self.folder) / f"call-{name}.json")  # readers never see half a record
        return result


class InterpreterChunkRun:
    """What a probed run did: ``calls`` (after the ``with`` block) and ``met`` (the rendezvous)."""

    def __init__(self, interpreters: int, name: str, caller_pid: int, caller_interpreter: int, caller_thread: int):
        self.interpreters, self.name = interpreters, name
        self.caller_pid, self.caller_interpreter, self.caller_thread = caller_pid, caller_interpreter, caller_thread
        self.calls: list[InterpreterCall] = []
        self.met = False

    def in_caller_interpreter(self) -> list[InterpreterCall]:
        """Calls made in the caller's own interpreter (on its thread or on other threads)."""
        return [c for c in self.calls if (c.pid, c.interpreter) == (self.caller_pid, self.caller_interpreter)]

    def in_other_processes(self) -> list[InterpreterCall]:
        return [c for c in self.calls if c.pid != self.caller_pid]

    def interpreters_used(self) -> int:
        """How many interpreters of the caller's process, other than the caller's, made calls."""
        return len({c.interpreter for c in self.calls if c.pid == self.caller_pid} - {self.caller_interpreter})

    def most_at_once(self) -> int:
        """The most calls in progress at the same moment (their start..end intervals overlapping)."""
        return most_at_once(self.calls)

    def coverage_problem(self, start: int, stop: int) -> str | None:
        """Why the chunks do not cover ``[start, stop)`` exactly once, or None."""
        return coverage_problem(self.calls, self.name, start, stop)


@contextlib.contextmanager
def probe_interpreter_chunks(namespace: dict, interpreters: int, function=workloads.count_sum,
                             wait_s: float = WAIT_S):
    """Replace ``function`` by an :class:`InterpreterChunkProbe` in ``namespace`` (a notebook's
    ``globals()``) and in its module for the length of the ``with`` block; yield an
    :class:`InterpreterChunkRun`, whose ``calls`` and ``met`` are filled in when the block ends.
    ``interpreters`` is how many interpreters must be inside at once; ``wait_s`` bounds the wait."""
    interpreters, wait_s = checked_arguments(namespace, "interpreters", interpreters, wait_s, function,
                                             InterpreterChunkProbe)
    _originals[(function.__module__, function.__name__)] = function
    folder = Path(evidence.new_probe_folder("chunks"))
    caller = (os.getpid(), current_interpreter_id(), threading.get_native_id())
    probe = InterpreterChunkProbe(folder, function.__module__, function.__name__, interpreters, caller[0], caller[1],
                                  wait_s)
    run = InterpreterChunkRun(interpreters, function.__name__, *caller)
    try:
        with replaced(namespace, function, probe):
            yield run
    finally:
        run.met, run.calls = evidence.read_calls(folder, InterpreterCall)
        shutil.rmtree(folder, ignore_errors=True)
