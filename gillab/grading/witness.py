"""The witness: a grading worker's own judge of the parallelism tests, outside the student's reach.

A student's answer cells run in the same kernel as the test cells, before them, so they can change
anything a test cell computes in that kernel. The witness runs in the grading worker, on the host,
while each test cell that the assignment's SOURCE notebook declares as evidence
(``metadata.gillab.evidence``, the instructor's file; :func:`evidence_specs`) executes. It:

1. watches the folder shared with the kernel (:mod:`gillab.probes.evidence`) for the probes' raw
   records, never their verdicts;
2. takes over the probes' decisive moments: it writes a chunk probe's ``met`` only when ``/proc``
   shows that many distinct threads (of the kernel's own process, not its main thread) or
   processes (descendants of the kernel) alive, and releases a request gate only after counting the
   held connections in the kernel's own TCP table; it reads each worker's CPU time (``schedstat``:
   what the operating system accounted, not a clock) when it arrives and when each call ends;
3. after the cell, judges the records with the same rules as the kernel's check
   (:func:`gillab.probes.chunk_rules.chunk_verdict`) plus what only it can know: every thread or
   process a record names existed, and each one's CPU time grew by at least the work it claims.

Nothing is timed to decide a verdict. The records are untrusted input: a record that names a task
the system never showed, or work that never appeared as CPU time, fails the test.

IDs: inside a sandbox the kernel sees its own PID namespace (it is pid 2 there); the witness maps
each id a record names to the host's task through ``/proc/<pid>/status``'s ``NSpid``.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..machine import procfs
from ..probes import evidence
from ..probes.chunk_rules import Call, chunk_verdict

__all__ = ["Witness", "SpecResult", "evidence_specs", "check_specs", "MIN_CPU_NS_PER_NUMBER", "PROBES"]

#: The least CPU time summing one number can take on any CPython: count_sum measured 20-60 ns per
#: number on the machines this course was measured on; a loop step of the interpreter costs more
#: than 2 ns anywhere. A worker whose CPU time grew by less than this per number it claims to have
#: summed did not sum them.
MIN_CPU_NS_PER_NUMBER = 2
#: What a test cell's evidence can be, and the keys each needs.
PROBES = {"chunks": ("kind", "workers", "function", "start", "stop"), "requests": ("at_least",)}
_POLL_S = 0.002


def check_specs(specs, where: str = "evidence") -> list[dict]:
    """``specs`` if it is a list of valid evidence entries, else a ValueError naming the problem.

    >>> check_specs([{"probe": "requests", "at_least": 2}])
    [{'probe': 'requests', 'at_least': 2}]
    >>> check_specs([{"probe": "chunks", "kind": "threads"}])
    Traceback (most recent call last):
    ...
    ValueError: evidence[0]: a chunks entry needs workers, function, start, stop
    """
    if not isinstance(specs, list):
        raise ValueError(f"{where} must be a list of entries, got {type(specs).__name__}")
    for index, spec in enumerate(specs):
        probe = spec.get("probe") if isinstance(spec, dict) else None
        if probe not in PROBES:
            raise ValueError(f"{where}[{index}]: probe must be one of {', '.join(PROBES)}, got {probe!r}")
        missing = [key for key in PROBES[probe] if key not in spec]
        if missing:
            raise ValueError(f"{where}[{index}]: a {probe} entry needs {', '.join(missing)}")
    return specs


def evidence_specs(source_notebook) -> dict[str, list[dict]]:
    """``{grade_id: [evidence entries]}`` of the test cells of an instructor's source notebook."""
    found = {}
    for cell in source_notebook.cells:
        specs = cell.get("metadata", {}).get("gillab", {}).get("evidence")
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if specs is not None and grade_id:
            found[grade_id] = check_specs(specs, f"cell {grade_id!r} evidence")
    return found


@dataclass
class SpecResult:
    """The witness's verdict on one evidence entry: ``passed`` and, when not, ``reason``."""

    spec: dict
    passed: bool
    reason: str = ""
    observed: dict = field(default_factory=dict)


@dataclass
class _Worker:
    """What the witness saw of one thread or process a probe named."""

    identity: str
    host: tuple | None  # (host pid, host thread) for a thread, (host pid,) for a process
    first_cpu_ns: int | None
    last_cpu_ns: int | None = None
    numbers: int = 0


@dataclass
class _ChunkFolder:
    path: Path
    spec: dict | None
    workers: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)
    acked: set = field(default_factory=set)
    met: bool = False
    unknown_calls: list = field(default_factory=list)


@dataclass
class _RequestFolder:
    path: Path
    spec: dict | None
    port: int | None = None
    counted: int | None = None
    most_seen: int = 0
    owner_checked: bool = False


class Witness:
    """Watches one notebook's probes. ``kernel_pid()`` returns the kernel's host pid (or None while
    it is not known yet); ``folder`` is the folder shared with the kernel."""

    def __init__(self, folder: Path, kernel_pid):
        self.folder = Path(folder)
        self._kernel_pid = kernel_pid
        self._seen: set[str] = set()
        self._chunks: list[_ChunkFolder] = []
        self._requests: list[_RequestFolder] = []
        self._kernel_ids: tuple[int, int] | None = None
        self.errors: list[str] = []

    # --- one test cell ---------------------------------------------------------------------
    @contextlib.contextmanager
    def watching(self, specs: list[dict]):
        """Watch while the ``with`` block executes a test cell declaring ``specs``; the yielded
        list is filled with one :class:`SpecResult` per entry when the block ends."""
        self._chunks, self._requests = [], []
        self._kernel_ids = None  # found once per cell: a kernel does not change while a cell runs
        self._specs = {"chunks": [s for s in specs if s["probe"] == "chunks"],
                       "requests": [s for s in specs if s["probe"] == "requests"]}
        results: list[SpecResult] = []
        stop = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(stop,), name="gillab-witness", daemon=True)
        watcher.start()
        try:
            yield results
        finally:
            stop.set()
            watcher.join(timeout=30)
            self._poll(final=True)  # what arrived after the last look
            results += self._judge(specs)

    def _watch(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self._poll()
            except Exception as error:  # noqa: BLE001 - a witness bug must show as a grading error, not a pass
                self.errors.append(f"{type(error).__name__}: {error}")
                return
            stop.wait(_POLL_S)

    # --- what the operating system says ----------------------------------------------------
    def _kernel(self) -> tuple[int, int] | None:
        """(host pid, namespace pid) of the kernel process."""
        # found once per cell and kept: this runs at every arrival, call and poll, and finding a
        # sandboxed kernel means reading every process on the machine (milliseconds each time,
        # taken from the gradings running beside this one)
        if self._kernel_ids is None:
            pid = self._kernel_pid()
            ids = procfs.namespace_ids(pid) if pid is not None else ()
            self._kernel_ids = (pid, ids[-1]) if ids else None
        return self._kernel_ids

    def _locate(self, kind: str, identity: str) -> tuple | None:
        """The host task of a worker a record names (namespace ids), or None if the system has none."""
        kernel = self._kernel()
        if kernel is None:
            return None
        host_pid, ns_pid = kernel
        try:
            parts = [int(part) for part in identity.split("-")]
        except ValueError:
            return None
        if kind == "threads":
            if len(parts) != 2 or parts[0] != ns_pid or parts[1] == ns_pid:
                return None  # not a thread of the kernel's own process, or its main thread
            for thread in procfs.thread_ids(host_pid):
                ids = procfs.namespace_ids(host_pid, thread)
                if ids and ids[-1] == parts[1]:
                    return (host_pid, thread)
            return None
        if len(parts) != 1 or parts[0] == ns_pid:
            return None
        for pid in procfs.descendants(host_pid):
            ids = procfs.namespace_ids(pid)
            if ids and ids[-1] == parts[0]:
                return (pid,)
        return None

    @staticmethod
    def _cpu_ns(host: tuple) -> int | None:
        return procfs.thread_cpu_ns(*host) if len(host) == 2 else procfs.process_cpu_ns(host[0])

    # --- watching the folder ---------------------------------------------------------------
    def _poll(self, final: bool = False) -> None:
        try:
            # earlier cells' folders stay: stat only the new ones (this runs every _POLL_S)
            new = [entry for entry in os.scandir(self.folder) if entry.name not in self._seen]
            new.sort(key=lambda entry: entry.stat().st_ctime_ns)
        except OSError:
            return
        for entry in new:
            self._seen.add(entry.name)
            if not entry.is_dir(follow_symlinks=False):
                continue
            if entry.name.startswith("chunks-"):
                specs = self._specs["chunks"]
                spec = specs[len(self._chunks)] if len(self._chunks) < len(specs) else None
                self._chunks.append(_ChunkFolder(Path(entry.path), spec))
            elif entry.name.startswith("requests-"):
                specs = self._specs["requests"]
                spec = specs[len(self._requests)] if len(self._requests) < len(specs) else None
                self._requests.append(_RequestFolder(Path(entry.path), spec))
        for chunks in self._chunks:
            self._poll_chunks(chunks, final)
        for requests in self._requests:
            self._poll_requests(requests)

    def _poll_chunks(self, chunks: _ChunkFolder, final: bool = False) -> None:
        try:
            names = os.listdir(chunks.path)
        except OSError:
            return
        kind = (chunks.spec or {}).get("kind", "threads")
        for name in names:
            if name.startswith("arrive-") and name[7:] not in chunks.workers:
                identity = name[7:]
                host = self._locate(kind, identity)
                chunks.workers[identity] = _Worker(identity, host, self._cpu_ns(host) if host else None)
        if chunks.spec and not chunks.met and "gave-up" not in names:
            alive = [worker for worker in chunks.workers.values() if worker.host is not None]
            if len(alive) >= chunks.spec["workers"]:
                chunks.met = True
                evidence.touch(chunks.path / "met")
        for name in names:
            if name.startswith("call-") and name.endswith(".json") and name not in chunks.acked:
                self._take_call(chunks, kind, name, final)

    def _take_call(self, chunks: _ChunkFolder, kind: str, name: str, final: bool) -> None:
        try:
            record = json.loads((chunks.path / name).read_text())
            call = Call(**{key: record[key] for key in ("pid", "thread_id", "lo", "hi", "start", "end")})
        except (OSError, ValueError, TypeError, KeyError):
            # the probe renames a finished record into place; a file written some other way may
            # still be half written: look again, and judge it as it is only at the end
            if final:
                chunks.acked.add(name)
                chunks.unknown_calls.append(f"{name}: not a record the probe writes")
            return
        chunks.acked.add(name)
        chunks.calls.append(call)
        identity = f"{call.pid}-{call.thread_id}" if kind == "threads" else str(call.pid)
        worker = chunks.workers.get(identity)
        if worker is not None and worker.host is not None:
            # the task it arrived as, still there under the same id; not a search of the whole
            # process tree again, which costs milliseconds per call
            ids = procfs.namespace_ids(*worker.host)
            same = bool(ids) and str(ids[-1]) == identity.split("-")[-1]
            worker.last_cpu_ns = self._cpu_ns(worker.host) if same else None
            worker.numbers += max(0, call.hi - call.lo)
        evidence.touch(chunks.path / f"ack-{name[5:-5]}")

    def _poll_requests(self, requests: _RequestFolder) -> None:
        kernel = self._kernel()
        if kernel is None:
            return
        if requests.port is None:
            with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
                requests.port = int(json.loads((requests.path / "spec.json").read_text())["port"])
        if requests.port is None:
            return
        sockets = procfs.tcp_sockets(kernel[0])
        if not requests.owner_checked:
            # the port must be a listening socket the kernel itself holds, not one somebody named
            listening = {s.inode for s in sockets if s.local_port == requests.port and s.state == "LISTEN"}
            if not listening & procfs.socket_inodes(kernel[0]):
                return
            requests.owner_checked = True
        # the gate's file first, the table after: while the gate waits for "released", every
        # request it holds is a connection in the table, so a table read now misses none of them
        gathered = requests.counted is None and os.path.exists(requests.path / "gathered")
        if gathered:
            sockets = procfs.tcp_sockets(kernel[0])
        held = sum(1 for s in sockets if s.local_port == requests.port and s.state == "ESTABLISHED")
        requests.most_seen = max(requests.most_seen, held)
        if gathered:
            requests.counted = held
            evidence.touch(requests.path / "released")

    # --- the verdicts ----------------------------------------------------------------------
    def _judge(self, specs: list[dict]) -> list[SpecResult]:
        results = []
        if self.errors:
            return [SpecResult(spec, False, f"the grader's witness failed: {self.errors[0]}") for spec in specs]
        kernel = self._kernel()
        for index, spec in enumerate(self._specs["chunks"]):
            folder = self._chunks[index] if index < len(self._chunks) else None
            results.append(self._judge_chunks(spec, folder, kernel))
        for index, spec in enumerate(self._specs["requests"]):
            folder = self._requests[index] if index < len(self._requests) else None
            results.append(self._judge_requests(spec, folder))
        extra = len(self._chunks) - len(self._specs["chunks"]) + len(self._requests) - len(self._specs["requests"])
        if extra > 0:
            results = [SpecResult(result.spec, False, result.reason or (
                f"the test found {extra} probe record folder(s) it did not create: something else wrote them"))
                for result in results]
        return results

    @staticmethod
    def _judge_chunks(spec: dict, folder: _ChunkFolder | None, kernel) -> SpecResult:
        name, function = "count_sum", spec["function"]
        if folder is None or kernel is None:
            return SpecResult(spec, False, f"{function}: the test's probe left no records with the grader "
                                           f"(was the probe replaced, or the grader's folder changed?)")
        if folder.unknown_calls:
            return SpecResult(spec, False, f"{function}: the probe's folder held files the probe never writes: "
                                           f"{folder.unknown_calls[0]}")
        ns_pid = kernel[1]

        def verdict(met: bool) -> str | None:
            return chunk_verdict(folder.calls, kind=spec["kind"], workers=spec["workers"], met=met, caller_pid=ns_pid,
                                 caller_thread=ns_pid, name=name, function_name=function, start=spec["start"],
                                 stop=spec["stop"])

        observed = {"calls": len(folder.calls), "workers": len(folder.workers), "met": folder.met}
        # where the calls ran and what they covered first, then whether the system saw those
        # workers, and only then whether they were at work together: each message names the
        # first thing that is wrong
        problem = verdict(met=True)
        if problem:
            return SpecResult(spec, False, problem, observed)
        where = "thread" if spec["kind"] == "threads" else "process"
        for call in folder.calls:
            identity = f"{call.pid}-{call.thread_id}" if spec["kind"] == "threads" else str(call.pid)
            worker = folder.workers.get(identity)
            if worker is None or worker.host is None:
                return SpecResult(spec, False, f"{function}: a record names {where} {identity}, which the "
                                               f"operating system never showed running in this kernel", observed)
        problem = verdict(met=folder.met)
        if problem:
            return SpecResult(spec, False, problem, observed)
        for worker in folder.workers.values():
            if worker.numbers == 0:
                continue
            grown = None if worker.first_cpu_ns is None or worker.last_cpu_ns is None else (
                worker.last_cpu_ns - worker.first_cpu_ns)
            observed.setdefault("cpu_ns", {})[worker.identity] = grown
            if grown is None or grown < MIN_CPU_NS_PER_NUMBER * worker.numbers:
                return SpecResult(spec, False, (
                    f"{function}: {where} {worker.identity} claims to have summed {worker.numbers:,} numbers, "
                    f"but the operating system accounted {0 if grown is None else grown:,} ns of CPU to it "
                    f"while it did: the work never ran there"), observed)
        return SpecResult(spec, True, "", observed)

    @staticmethod
    def _judge_requests(spec: dict, folder: _RequestFolder | None) -> SpecResult:
        wanted = spec["at_least"]
        if folder is None:
            return SpecResult(spec, False, "the test's server left no records with the grader (was it replaced?)")
        observed = {"counted": folder.counted, "most_seen": folder.most_seen}
        if folder.counted is None or folder.counted < wanted:
            seen = folder.counted if folder.counted is not None else folder.most_seen
            return SpecResult(spec, False, (
                f"the operating system's table of this kernel's connections never showed {wanted} requests "
                f"in flight at once to the test's server (at most {seen})"), observed)
        return SpecResult(spec, True, "", observed)

