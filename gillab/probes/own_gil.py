"""Does another worker run Python while this one holds its GIL? A yes or no that needs no timing.

This thread makes ONE call into C code that never lets go of its interpreter's GIL: in that one
call it announces itself in shared memory, then reads a shared byte over and over until another
worker changes it (or gives up after :data:`SPIN_READS` reads), and notes what it saw last, all
without running a single bytecode, so it never offers its GIL to anyone. The other worker, a thread
of this interpreter (``"threads"``) or a thread running in a subinterpreter
(``"subinterpreters"``), runs a Python loop that waits for the announcement and then writes the
byte.

- If both share one GIL (threads on a standard build), the other worker cannot run a bytecode until
  the C call returns: the answer is **no**, however fast or busy the machine is.
- If each has its own GIL (subinterpreters, Python 3.12+) or there is none (threads on a
  free-threaded build), the other worker writes the byte at once, or as soon as the operating system
  gives it a CPU: the answer is **yes**.

It is the course's timing-free proof that "one GIL per interpreter" is real, and why
subinterpreters compute in parallel where threads cannot.

>>> from gillab.machine.interpreter import gil_enabled
>>> answer = other_worker_ran("threads")
>>> answer.other_ran == (not gil_enabled())
True
"""

from __future__ import annotations

import operator
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import partial
from itertools import chain, islice

from .._validate import require_positive_number
from ..machine.interpreter import subinterpreter_support

__all__ = ["OwnGilAnswer", "other_worker_ran", "KINDS", "SPIN_READS"]

#: The ways the other worker can run.
KINDS = ("threads", "subinterpreters")
#: How many times the C call reads the shared byte before it gives up: about a second of reading on
#: the 2-core machine the course was written on (Python 3.11 and 3.13, loaded), long enough for any
#: operating system to give the other worker a CPU; a shared GIL always costs the whole of it.
SPIN_READS = 10_000_000
# the shared bytes: the other worker's answer, the announcement, "the other worker is ready", and
# what the C call saw last
_ANSWER, _ANNOUNCED, _READY, _SEEN = range(4)


@dataclass(frozen=True)
class OwnGilAnswer:
    """``other_ran``: whether the other worker ran Python while this thread held its GIL inside
    one C call; ``reads``: how many times that call read the byte before it changed (or
    :data:`SPIN_READS` when it never did); ``kind``: where the other worker ran."""

    kind: str
    other_ran: bool
    reads: int

    def describe(self) -> str:
        """One sentence on what happened."""
        where = "a thread of this interpreter" if self.kind == "threads" else "a thread in another interpreter"
        if self.other_ran:
            return (
                f"Yes: {where} ran Python while the probing thread held its GIL inside one C call (the call read the "
                f"shared byte {self.reads:,} times before the other worker changed it): they do not share a GIL."
            )
        return (
            f"No: {where} could not run a single bytecode while the probing thread held its GIL inside one C call "
            f"(the call read the shared byte {self.reads:,} times, and it never changed): they share one GIL."
        )


def _hold_and_watch(flags: memoryview, reads: int) -> int:
    """The ONE C call: announce, read ``flags[_ANSWER]`` until it is 1 (at most ``reads`` times),
    store what was seen last in ``flags[_SEEN]``. Returns how many reads it made. No bytecode
    runs between its first step and its last, so this thread keeps its GIL throughout."""
    watched = enumerate(islice(iter(partial(operator.getitem, flags, _ANSWER), 1), reads), 1)
    last = deque(
        chain(
            map(operator.setitem, [flags], [_ANNOUNCED], [1]),
            watched,
            # evaluated lazily, after the reading ends, still inside the same C call
            map(operator.setitem, [flags], [_SEEN], map(operator.getitem, [flags], [_ANSWER])),
        ),
        maxlen=2,
    )
    counted = last[0] if isinstance(last[0], tuple) else (0, None)
    return counted[0] + (1 if flags[_SEEN] == 1 else 0)


def _answer(flags: memoryview, wait_s: float) -> None:
    """The other worker: say it is ready, wait (in Python, a bounded time) for the announcement,
    then write the answer byte."""
    flags[_READY] = 1
    deadline = time.monotonic() + wait_s
    while flags[_ANNOUNCED] == 0:
        if time.monotonic() > deadline:
            return
    flags[_ANSWER] = 1


def _start_other(kind: str, flags: memoryview, wait_s: float):
    """Start the other worker; returns its thread and, for subinterpreters, the interpreter."""
    if kind == "threads":
        thread = threading.Thread(target=_answer, args=(flags, wait_s), name="gillab-other-worker", daemon=True)
        thread.start()
        return thread, None
    from ..measure.subinterpreters import interpreters_module

    interpreter = interpreters_module().create()
    # a memoryview can be handed to an interpreter only once it has imported the low-level module
    interpreter.exec("import _interpreters")
    interpreter.prepare_main(FLAGS=flags, WAIT_S=wait_s)
    source = "from gillab.probes.own_gil import _answer\n_answer(FLAGS, WAIT_S)"
    thread = threading.Thread(target=interpreter.exec, args=(source,), name="gillab-other-interpreter", daemon=True)
    thread.start()
    return thread, interpreter


def other_worker_ran(kind: str = "subinterpreters", wait_s: float = 30.0, reads: int = SPIN_READS) -> OwnGilAnswer:
    """Ask whether a worker of ``kind`` (one of :data:`KINDS`) runs Python while this thread holds
    its GIL inside one C call. ``wait_s`` bounds the wait for the other worker to start. For
    subinterpreters on a Python without them this raises
    :class:`gillab.measure.subinterpreters.SubinterpretersUnavailable` with the reason."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    wait_s = require_positive_number("wait_s", wait_s, maximum=600)
    if kind == "subinterpreters" and not subinterpreter_support().available:
        from ..measure.subinterpreters import SubinterpretersUnavailable

        raise SubinterpretersUnavailable(subinterpreter_support().detail)
    flags = memoryview(bytearray(4))
    thread, interpreter = _start_other(kind, flags, wait_s)
    try:
        deadline = time.monotonic() + wait_s
        while flags[_READY] == 0:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"the other worker ({kind}) did not start within {wait_s:g} s")
            time.sleep(0.001)  # sleeping lets a worker that shares this GIL get going
        count = _hold_and_watch(flags, reads)
        return OwnGilAnswer(kind, flags[_SEEN] == 1, count)
    finally:
        flags[_ANNOUNCED] = 1  # a worker still waiting stops now
        thread.join(wait_s)
        if interpreter is not None and not thread.is_alive():
            interpreter.close()
