"""The parent's pool of grading workers: hand out jobs, collect results, survive dead workers.

Each worker (:mod:`gillab.grading.worker`) is its own process, started in a session of its own
so that Ctrl-C in the terminal reaches only the parent, which then stops the workers in order.
A worker that dies or overruns its job's deadline is killed (its sandbox dies with it) and its
job gets a ``grading error`` result; a fresh worker takes its place.

A job is a dict; the keys the worker reads are ``student``, ``assignment``, ``notebooks``,
``course_config``, ``source_dir``, ``release_dir``, ``submitted_dir``, ``gradebook_snapshot``, ``run_dir``,
``cell_timeout``, ``notebook_timeout``, ``max_output_bytes`` and ``sandbox`` (a
:class:`gillab.grading.sandbox.bwrap.SandboxSettings` as JSON, or ``None``).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["WorkerPool", "Worker"]


@dataclass
class Worker:
    """One worker process and the job it is grading, if any."""

    slot: int
    process: subprocess.Popen
    results: object  # the read end of its result pipe
    buffer: bytes = b""
    ready: bool = False
    job: dict | None = None
    deadline: float | None = None
    budget: float = 0.0
    started: float = field(default_factory=time.monotonic)


class WorkerPool:
    """``size`` grading workers; use as a context manager so they always stop.

    ``environment`` is the workers' environment; ``log_dir`` receives each worker's own log
    (``worker-<slot>.log``: nbgrader's messages and anything unexpected).
    """

    def __init__(self, size: int, log_dir: Path, environment: dict | None = None):
        self.size = size
        self.log_dir = Path(log_dir)
        self.environment = dict(os.environ if environment is None else environment)
        self.workers: dict[int, Worker] = {}
        self.selector = selectors.DefaultSelector()

    def __enter__(self) -> WorkerPool:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for slot in range(self.size):
            self._start(slot)
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _start(self, slot: int) -> Worker:
        read_end, write_end = os.pipe()
        log = open(self.log_dir / f"worker-{slot}.log", "ab")
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "gillab.grading.worker", "--result-fd", str(write_end), "--slot", str(slot),
                 "--parent-pid", str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(write_end,),
                env=self.environment,
                start_new_session=True,
            )
        finally:
            os.close(write_end)
            log.close()
        results = os.fdopen(read_end, "rb", buffering=0)
        worker = Worker(slot=slot, process=process, results=results)
        self.workers[slot] = worker
        self.selector.register(results, selectors.EVENT_READ, worker)
        return worker

    @property
    def busy(self) -> int:
        """How many workers are grading now."""
        return sum(worker.job is not None for worker in self.workers.values())

    def idle(self) -> list[Worker]:
        """Workers that are ready and have no job."""
        return [worker for worker in self.workers.values() if worker.ready and worker.job is None]

    def submit(self, worker: Worker, job: dict, seconds: float) -> None:
        """Give ``job`` to an idle ``worker``; it must answer within ``seconds``."""
        job = dict(job, sandbox=self._sandbox_for(job.get("sandbox"), worker.slot))
        worker.job, worker.deadline, worker.budget = job, time.monotonic() + seconds, seconds
        worker.process.stdin.write((json.dumps(job) + "\n").encode())
        worker.process.stdin.flush()

    @staticmethod
    def _sandbox_for(sandbox_json: str | None, slot: int) -> str | None:
        """The sandbox settings with this slot's own user (so process limits do not add up)."""
        if not sandbox_json:
            return None
        from .sandbox.bwrap import SANDBOX_UID_BASE, SandboxSettings

        settings = SandboxSettings.from_json(sandbox_json)
        if os.geteuid() == 0:
            settings = settings.with_(uid=SANDBOX_UID_BASE + slot)
        return settings.to_json()

    def _fail(self, worker: Worker, reason: str) -> tuple[dict, dict] | None:
        """Kill ``worker``, start a new one in its slot, and turn its job into a failed result."""
        job = worker.job
        self._kill(worker)
        self._start(worker.slot)
        if job is None:
            return None
        result = {
            "student": job["student"],
            "status": "grading error",
            "reason": reason,
            "notes": [],
            "autograded_dir": None,
            "log": "",
        }
        return job, result

    def _kill(self, worker: Worker) -> None:
        try:
            self.selector.unregister(worker.results)
        except (KeyError, ValueError):
            pass
        if worker.process.poll() is None:
            # SIGTERM first: the worker then kills its kernel (an unsandboxed kernel would not
            # die with it), then SIGKILL for a worker that does not answer
            try:
                worker.process.terminate()
                worker.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
        if worker.process.poll() is None:
            try:
                os.killpg(worker.process.pid, signal.SIGKILL)
            except OSError:
                worker.process.kill()
        worker.process.wait()
        worker.results.close()
        if worker.process.stdin:
            try:
                worker.process.stdin.close()
            except OSError:
                pass

    def wait(self, timeout: float) -> list[tuple[dict, dict]]:
        """Results that arrived within ``timeout`` seconds, as ``(job, result)`` pairs."""
        finished = []
        for key, _ in self.selector.select(timeout):
            worker: Worker = key.data
            chunk = worker.results.read(1 << 16)
            if not chunk:
                code = worker.process.wait()
                failed = self._fail(worker, f"the grading worker died (exit status {code}) while grading")
                if failed:
                    finished.append(failed)
                continue
            worker.buffer += chunk
            while b"\n" in worker.buffer:
                line, worker.buffer = worker.buffer.split(b"\n", 1)
                message = json.loads(line)
                if message.get("ready"):
                    worker.ready = True
                elif worker.job is not None:
                    finished.append((worker.job, message))
                    worker.job, worker.deadline = None, None
        now = time.monotonic()
        for worker in list(self.workers.values()):
            if worker.job is not None and worker.deadline is not None and now > worker.deadline:
                failed = self._fail(
                    worker,
                    f"the grading worker did not finish within its deadline ({worker.budget:.0f} s) and was stopped",
                )
                if failed:
                    finished.append(failed)
        return finished

    def stop(self) -> None:
        """Stop every worker: idle ones get end-of-input, busy ones are killed (with their sandbox)."""
        for worker in list(self.workers.values()):
            if worker.job is None and worker.process.poll() is None:
                try:
                    worker.process.stdin.close()
                except OSError:
                    pass
        deadline = time.monotonic() + 5
        for worker in list(self.workers.values()):
            if worker.job is None:
                try:
                    worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            self._kill(worker)
        self.workers.clear()
        self.selector.close()
