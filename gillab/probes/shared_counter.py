"""Instruments for chapter 01's race: a shared counter and a lock that record who touched them, in
what order, and whether the lock was held at that moment.

- :class:`WatchedLock` is a ``threading.Lock`` (``with lock:``, ``acquire``, ``release``, ``locked``)
  that remembers which thread holds it and records every acquire and release. Each thread's FIRST
  attempt to acquire it (except the thread that made the lock: the check's own) waits at a
  *rendezvous* until ``gather`` threads have tried, or a bounded wait passes (then nobody waits
  again), as :mod:`gillab.probes.chunk_probe` does for chunks:
  threads started together meet at once, however slow the machine; threads started one at a time
  never can, and pay the wait once. The wait happens before the lock is taken, so it cannot
  deadlock an answer that holds the lock correctly.
- :class:`SharedCounter` has a ``value`` whose every read and write is recorded with the thread,
  whether that thread held the watched lock, and which threads started since the counter was made
  were alive. Reading it takes ``read_pause_s`` (a value kept somewhere slow, such as a database
  row): the gap between a read and its write is then wide enough that an unprotected update is
  overwritten on every machine, with or without the GIL.

The evidence is the ORDER of the records (one sequence for the counter and the lock), never how long
anything took. :meth:`SharedCounter.updates` pairs each thread's read with its next write and says
whether another thread touched the counter in between and whether the lock was held throughout.

>>> lock = WatchedLock(gather=1)
>>> counter = SharedCounter(lock, read_pause_s=0)
>>> with lock:
...     counter.value += 1
>>> counter.value, [(update.held_throughout, update.interleaved) for update in counter.updates()]
(1, [(True, False)])
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from .._validate import require_int, require_positive_number

__all__ = ["WatchedLock", "SharedCounter", "Event", "Update", "READ_PAUSE_S", "GATHER_WAIT_S"]

#: How long a read of :class:`SharedCounter` takes: long enough that another thread always runs
#: between an unprotected read and its write (with the GIL the sleep hands it over; without it the
#: threads run side by side).
READ_PAUSE_S = 0.0005
#: How long a thread's first acquire waits for the others at the rendezvous (paid once, and only by
#: threads that were not started together).
GATHER_WAIT_S = 5.0


@dataclass(frozen=True)
class Event:
    """One recorded touch: ``kind`` ("read", "write", "acquire", "release"), the native ``thread``
    id, its place in the one sequence (``order``), whether the thread held the watched lock, the
    value read or written (None for the lock), and the new threads alive at that moment."""

    kind: str
    thread: int
    order: int
    holding: bool
    value: int | None
    alive: frozenset


@dataclass(frozen=True)
class Update:
    """A thread's read of the counter and its next write: whether another thread touched the
    counter in between (``interleaved``), whether the thread held the lock at the read, at the
    write, and without letting go in between (``held_throughout``)."""

    thread: int
    read: Event
    write: Event
    interleaved: bool
    held_at_read: bool
    held_at_write: bool
    held_throughout: bool


class _Recorder:
    """The one sequence both instruments write into, and the threads that existed before it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events: list[Event] = []
        self.before = {thread.ident for thread in threading.enumerate()}

    def record(self, kind: str, holding: bool, value: int | None = None, touch=None):
        """Append an event; ``touch()`` (a read or a write of the value) runs in the same step, so
        the recorded order is the order in which the value was really read and written."""
        alive = frozenset(
            thread.native_id
            for thread in threading.enumerate()
            if thread.ident not in self.before and thread.is_alive()
        )
        with self.lock:
            if touch is not None:
                value = touch()
            self.events.append(Event(kind, threading.get_native_id(), len(self.events), holding, value, alive))
        return value


class WatchedLock:
    """A ``threading.Lock`` that records its acquires and releases and gathers the threads' first
    attempts at a rendezvous of ``gather`` threads (bounded by ``wait_s``)."""

    def __init__(self, gather: int = 1, wait_s: float = GATHER_WAIT_S):
        self.gather = require_int("gather", gather, minimum=1, maximum=64)
        self.wait_s = require_positive_number("wait_s", wait_s, maximum=60)
        self._lock = threading.Lock()
        self._holder: int | None = None
        self._recorder = _Recorder()
        self._arrived: set[int] = set()
        self._maker = threading.get_native_id()  # the check's own thread never waits for others
        self._gate = threading.Condition()
        self._gate_open = self.gather == 1
        self.met = self.gather == 1

    # --- the lock ------------------------------------------------------------------------------
    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Acquire as ``threading.Lock.acquire`` does (after the rendezvous, on a thread's first try)."""
        self._meet()
        got = self._lock.acquire(blocking, timeout)
        if got:
            self._holder = threading.get_native_id()
            self._recorder.record("acquire", True)
        return got

    def release(self) -> None:
        """Release as ``threading.Lock.release`` does (RuntimeError when not held)."""
        if not self._lock.locked():
            raise RuntimeError("release unlocked lock")
        self._recorder.record("release", self._holder == threading.get_native_id())
        self._holder = None
        self._lock.release()

    def locked(self) -> bool:
        """Whether some thread holds the lock."""
        return self._lock.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<lock given by the check, {'held' if self.locked() else 'free'}>"

    # --- what it saw ---------------------------------------------------------------------------
    def held_by_me(self) -> bool:
        """Whether the calling thread holds the lock right now."""
        return self._holder == threading.get_native_id()

    @property
    def events(self) -> list[Event]:
        """Every acquire and release, and the reads and writes of counters sharing this lock's record."""
        return list(self._recorder.events)

    @property
    def acquires(self) -> int:
        """How many times the lock was taken."""
        return sum(event.kind == "acquire" for event in self._recorder.events)

    def _meet(self) -> None:
        me = threading.get_native_id()
        with self._gate:
            if self._gate_open or me in self._arrived or me == self._maker:
                return
            self._arrived.add(me)
            if len(self._arrived) >= self.gather:
                self._gate_open = self.met = True
                self._gate.notify_all()
            elif not self._gate.wait_for(lambda: self._gate_open, timeout=self.wait_s):
                self._gate_open = True  # threads that arrive one at a time: wait once, not once each
                self._gate.notify_all()


class SharedCounter:
    """A number in ``value`` that threads share; every read and write is recorded (see the module)."""

    def __init__(self, lock: WatchedLock, read_pause_s: float = READ_PAUSE_S):
        if not isinstance(lock, WatchedLock):
            raise TypeError(f"lock must be a WatchedLock, got {lock!r}")
        self.lock = lock
        self.read_pause_s = require_positive_number("read_pause_s", read_pause_s, allow_zero=True, maximum=0.1)
        self._value = 0

    @property
    def value(self) -> int:
        """Read the number (recorded; takes ``read_pause_s``)."""
        value = self.lock._recorder.record("read", self.lock.held_by_me(), touch=lambda: self._value)
        if self.read_pause_s:
            time.sleep(self.read_pause_s)
        return value

    @value.setter
    def value(self, new) -> None:
        def store():
            self._value = new
            return new

        self.lock._recorder.record("write", self.lock.held_by_me(), touch=store)

    def __repr__(self) -> str:
        return f"<counter given by the check, value {self._value}>"

    # --- what it saw ---------------------------------------------------------------------------
    @property
    def final(self) -> int:
        """The value now, read without recording."""
        return self._value

    def touches(self) -> list[Event]:
        """The reads and writes, in order."""
        return [event for event in self.lock._recorder.events if event.kind in ("read", "write")]

    def threads(self) -> list[int]:
        """The native ids of the threads that read or wrote the counter, in order of first touch."""
        return list(dict.fromkeys(event.thread for event in self.touches()))

    def most_alive_at_once(self) -> int:
        """The most threads that touched the counter and were alive at the same recorded moment
        (threads that already existed when the counter was made are not counted)."""
        workers = set(self.threads())
        return max((len(event.alive & workers) for event in self.lock._recorder.events), default=0)

    def updates(self) -> list[Update]:
        """Each thread's reads paired with its next write, in the order the writes happened."""
        events = self.lock._recorder.events
        pending: dict[int, Event] = {}
        updates = []
        for event in events:
            if event.kind == "read":
                pending[event.thread] = event
            elif event.kind == "write" and event.thread in pending:
                read = pending.pop(event.thread)
                between = events[read.order + 1 : event.order]
                interleaved = any(e.thread != event.thread and e.kind in ("read", "write") for e in between)
                let_go = any(e.thread == event.thread and e.kind == "release" for e in between)
                updates.append(
                    Update(
                        thread=event.thread,
                        read=read,
                        write=event,
                        interleaved=interleaved,
                        held_at_read=read.holding,
                        held_at_write=event.holding,
                        held_throughout=read.holding and event.holding and not let_go,
                    )
                )
        return updates
