"""An instrument for work handed to a Dask cluster: stands in for a course work function (``count_sum``)
and records, from inside each task, which worker, process and thread ran each call, and whether
several workers were inside it at the same moment, without timing anything.

:func:`probe_dask_chunks` replaces the function in the notebook's namespace and in its module (as
:func:`gillab.probes.chunk_probe.probe_chunks` does for threads and joblib) by a
:class:`DaskChunkProbe`. A learner's ``client.map(count_sum, ...)`` then sends the probe to the
workers (it pickles by value: plain data and a run id). In a worker, each call:

- meets the others at a *rendezvous* kept by the scheduler (a ``distributed.Variable`` under a
  ``distributed.Lock``, so it works with workers on other machines too): it waits, for a bounded
  time, until calls from ``workers`` distinct workers are inside at once. Tasks that really run
  at the same time meet it however slow or busy the machine; tasks run one after another never
  can, and the first waits only once;
- records its worker's address, process and native thread, its task's key and its chunk in the
  same place.

Calls made outside the cluster (the notebook itself, its threads, other local processes) record
into a folder instead, so the check can say where they ran. After the block, :class:`DaskChunkRun`
holds the calls, whether the rendezvous was met, and the scheduler's own story of each task (when
it was submitted and when it finished, on the scheduler's one clock): from it,
:meth:`DaskChunkRun.most_in_flight` says how many tasks were submitted and unfinished at once.

>>> from gillab.measure.workloads import count_sum
>>> def serial_sum():
...     return count_sum(1, 11) + count_sum(11, 21)
>>> with probe_dask_chunks(globals(), None, workers=2) as run:
...     total = serial_sum()
>>> total, [(call.lo, call.hi, call.address) for call in run.calls], run.met
(210, [(1, 11, ''), (11, 21, '')], False)
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

from ..machine.procfs import machine_id
from ..measure import workloads
from ..measure.cluster import worker_threads
from . import chunk_rules, evidence
from ._binding import checked_arguments, replaced

__all__ = ["DaskCall", "DaskChunkProbe", "DaskChunkRun", "probe_dask_chunks", "WAIT_S", "LOCK_WAIT_S"]

#: How long the first call in a worker waits for the others at the rendezvous. The chapter's
#: workers are running already, so a parallel run meets it in a few scheduler round trips.
WAIT_S = 5.0
#: How long a task waits for the lock around the check's record on the scheduler.
LOCK_WAIT_S = 30.0
_POLL_S = 0.02
_originals: dict[tuple[str, str], object] = {}


@dataclass(frozen=True)
class DaskCall:
    """One call of the probed function: where it ran (``address`` of the Dask worker, empty outside
    the cluster; ``machine``'s boot id or host name; process; native thread), its task's ``key``
    (empty outside the cluster) and its chunk."""

    address: str
    machine: str
    pid: int
    thread_id: int
    key: str
    lo: int
    hi: int


def _worker():
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


class DaskChunkProbe:
    """Stands in for a work function ``f(lo, hi)`` in a probed run (see :func:`probe_dask_chunks`).

    Picklable (a module-level class whose state is plain data), so that Dask sends it to its
    workers; there it reaches the rendezvous and the record through the worker's own connection to
    the scheduler, named by ``run_id``. Elsewhere it writes its record into ``folder``.
    """

    def __init__(self, run_id: str, folder: str, module: str, name: str, workers: int, wait_s: float):
        self.run_id, self.folder, self.module, self.name = run_id, str(folder), module, name
        self.workers, self.wait_s = workers, wait_s
        self.__name__ = name  # Dask names the tasks after it (keys "count_sum-..."), joblib reads it too

    def __repr__(self) -> str:
        return f"<check probe standing in for {self.module}.{self.name}>"

    def __dask_tokenize__(self):
        return (type(self).__name__, self.run_id)

    def _real_function(self):
        function = _originals.get((self.module, self.name))
        if function is None:
            __import__(self.module)
            function = getattr(sys.modules[self.module], self.name)
        if isinstance(function, DaskChunkProbe):
            raise RuntimeError(f"{self.module}.{self.name} is still replaced by a check probe")
        return function

    # --- in a worker: the rendezvous and the record go through the scheduler -------------------
    def _update(self, change):
        from distributed import Lock, Variable

        lock = Lock(f"{self.run_id}-lock")
        # bounded like every other wait here: a lock never released (its holder's worker lost) must
        # fail this task with a reason, not hold it, and with it the learner's gather, forever
        if not lock.acquire(timeout=LOCK_WAIT_S):
            raise RuntimeError(
                f"the check's record on the scheduler stayed locked for {LOCK_WAIT_S:g} s: run the check again "
                "(if it happens again, restart the cluster: cluster.close(), then connect())"
            )
        try:
            variable = Variable(self.run_id)
            state = _thawed(variable.get(timeout=10))
            state = change(state)
            variable.set(state)
        finally:
            lock.release()
        return state

    def _rendezvous(self, address: str) -> None:
        from distributed import Variable

        def arrive(state):
            if state["outcome"] is None:
                state["arrived"] = sorted(set(state["arrived"]) | {address})
                if len(state["arrived"]) >= self.workers:
                    state["outcome"] = "met"
            return state

        if self._update(arrive)["outcome"] is not None:
            return
        variable, deadline = Variable(self.run_id), time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            if _thawed(variable.get(timeout=10))["outcome"] is not None:
                return
            time.sleep(_POLL_S)

        def give_up(state):
            state["outcome"] = state["outcome"] or "gave-up"
            return state

        self._update(give_up)

    def __call__(self, lo, hi):
        worker = _worker()
        record = {"address": "", "machine": machine_id(), "pid": os.getpid(),
                  "thread_id": threading.get_native_id(), "key": "", "lo": lo, "hi": hi}
        if worker is not None:
            record["address"], record["key"] = worker.address, str(worker.get_current_task() or "")
            with contextlib.suppress(Exception):  # not the chapter's cluster: the check says so
                self._rendezvous(worker.address)
        value = self._real_function()(lo, hi)
        if worker is not None:
            def add(state):
                state["calls"] = [*state["calls"], record]
                return state

            with contextlib.suppress(Exception):
                self._update(add)
        else:
            name = uuid.uuid4().hex
            with contextlib.suppress(OSError):
                temporary = Path(self.folder) / f".{name}"
                temporary.write_text(json.dumps(record))
                os.replace(temporary, Path(self.folder) / f"call-{name}.json")
        return value


def _thawed(state) -> dict:
    # the scheduler keeps a Variable's value as msgpack, which gives lists back as tuples
    return {"arrived": list(state["arrived"]), "outcome": state["outcome"], "calls": [dict(c) for c in state["calls"]]}


class DaskChunkRun:
    """What a probed run did: ``calls`` (a list of :class:`DaskCall`), ``met`` (whether calls from
    the requested number of workers were inside at the same moment), ``stories`` (for each task key
    seen, ``(submitted, finished)`` on the scheduler's clock), and the helpers below."""

    def __init__(self, workers: int, name: str):
        self.workers, self.name = workers, name
        self.calls: list[DaskCall] = []
        self.met = False
        self.stories: dict[str, tuple[float, float | None]] = {}
        self.cluster_workers: list[str] = []

    def on_cluster(self) -> list[DaskCall]:
        """The calls made inside a Dask worker."""
        return [call for call in self.calls if call.address]

    def addresses(self) -> list[str]:
        """The workers that ran calls, in order of first appearance."""
        return list(dict.fromkeys(call.address for call in self.on_cluster()))

    def keys(self) -> list[str]:
        """The tasks that ran calls, in order of first appearance."""
        return list(dict.fromkeys(call.key for call in self.on_cluster()))

    def most_in_flight(self) -> int:
        """The most of this run's tasks that had been submitted and not yet finished at one moment,
        by the scheduler's record of their transitions (0 when it has none)."""
        events = []
        for submitted, finished in self.stories.values():
            events.append((submitted, 1))
            if finished is not None:
                events.append((finished, -1))
        peak = current = 0
        for _, change in sorted(events):  # a finish sorts before a submission at the same instant
            current += change
            peak = max(peak, current)
        return peak

    def coverage_problem(self, start: int, stop: int) -> str | None:
        """Why the chunks given to the function do not cover ``[start, stop)`` exactly once, or None."""
        return chunk_rules.coverage_problem(self.calls, self.name, start, stop)


def _stories(client, keys) -> dict[str, tuple[float, float | None]]:
    def story(dask_scheduler, keys=tuple(keys)):
        return [(t.key, t.start, t.finish, t.timestamp) for t in dask_scheduler.story(*keys)]

    found: dict[str, list] = {}
    for key, start, finish, stamp in client.run_on_scheduler(story):
        times = found.setdefault(str(key), [None, None])
        if start == "released" and times[0] is None:
            times[0] = stamp
        if finish in ("memory", "erred", "released", "forgotten") and start in ("processing", "memory", "erred"):
            times[1] = stamp if times[1] is None else times[1]
    return {key: (times[0], times[1]) for key, times in found.items() if times[0] is not None}


def _by_chunk(call) -> tuple[int, int]:
    return call.lo, call.hi


@contextlib.contextmanager
def probe_dask_chunks(namespace: dict, client, workers: int, function=workloads.count_sum, wait_s: float = WAIT_S):
    """Replace ``function`` by a :class:`DaskChunkProbe` in ``namespace`` (a notebook's ``globals()``)
    and in its module for the ``with`` block; yield a :class:`DaskChunkRun`, filled in when the block
    ends. ``client`` is the chapter's ``distributed.Client`` (None: only calls outside a cluster can
    be recorded); the rendezvous waits for ``workers`` distinct workers, at most ``wait_s`` seconds.
    """
    workers, wait_s = checked_arguments(namespace, "workers", workers, wait_s, function, DaskChunkProbe)
    _originals[(function.__module__, function.__name__)] = function
    run_id = f"gillab-check-{uuid.uuid4().hex}"
    folder = Path(tempfile.mkdtemp(prefix="gillab-dask-probe-"))
    probe = DaskChunkProbe(run_id, folder, function.__module__, function.__name__, workers, wait_s)
    run = DaskChunkRun(workers, function.__name__)
    variable = None
    if client is not None:
        from distributed import Variable

        variable = Variable(run_id, client=client)
        variable.set({"arrived": [], "outcome": None, "calls": []})
        run.cluster_workers = sorted(worker_threads(client))
    try:
        with replaced(namespace, function, probe):
            yield run
    finally:
        # calls made in this kernel, outside the cluster, kept their records in the folder; the
        # rendezvous is the scheduler's (below), not the folder's
        _, calls = evidence.read_calls(folder, DaskCall, order=_by_chunk)
        shutil.rmtree(folder, ignore_errors=True)
        if variable is not None:
            state = _thawed(variable.get(timeout=10))
            variable.delete()
            run.met = state["outcome"] == "met"
            calls += [DaskCall(**call) for call in state["calls"]]
        run.calls = sorted(calls, key=_by_chunk)
        if variable is not None:
            run.stories = _stories(client, run.keys())
