"""A Dask cluster started the way it is on real machines: ``dask scheduler`` and ``dask worker`` as
separate programs, here all on 127.0.0.1, each in a session of its own (as if on its own machine).

:class:`CommandLineCluster` starts them, waits (bounded) until the workers have registered, knows the
process ids of the workers' real worker processes (a ``dask worker`` with a nanny is the nanny; it
spawns the process that runs the tasks), and stops everything it started, checking with
:mod:`gillab.machine.procfs` that nothing is left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from gillab.machine.procfs import descendants, is_running, process_info

__all__ = ["CommandLineCluster", "dask_command", "left_running"]

#: Starting a scheduler and two workers takes 3-5 s on a quiet 2-core machine, 8-10 s at load 5.
READY_S = 60


def dask_command() -> str:
    """The ``dask`` command of the Python running the tests."""
    command = Path(sys.executable).with_name("dask")
    if not command.is_file():
        raise FileNotFoundError(f"{command} is missing: dask[distributed] is pinned in pyproject.toml (make setup)")
    return str(command)


def left_running(pids) -> list[int]:
    """Which of ``pids`` still run."""
    return [pid for pid in pids if is_running(pid)]


class CommandLineCluster:
    """``dask scheduler`` plus ``workers`` ``dask worker`` processes (``threads`` each; ``nanny`` as by
    default) on 127.0.0.1, with their scratch files in ``folder``. Use as a context manager."""

    def __init__(self, folder: Path, workers: int = 2, threads: int = 1, nanny: bool = True, env=None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.file = self.folder / "scheduler.json"
        self.n_workers, self.threads, self.nanny = workers, threads, nanny
        # the scheduler keeps a scratch folder in the temporary directory: ours, removed in stop()
        self.env = {**os.environ, "DASK_TEMPORARY_DIRECTORY": str(self.folder), **(env or {})}
        if sysconfig.get_config_var("Py_GIL_DISABLED"):
            # as gillab.measure.cluster does for its local clusters: distributed's profiler races
            # the threads it samples on a free-threaded build
            self.env.setdefault("DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED", "False")
        self.log = open(self.folder / "dask.log", "w")  # closed in stop()
        self.scheduler = None
        self.workers: list[subprocess.Popen] = []

    def _start(self, *arguments) -> subprocess.Popen:
        # a session of its own: stopped as a group, and never reached by a signal meant for pytest
        return subprocess.Popen(
            [dask_command(), *arguments], stdout=self.log, stderr=subprocess.STDOUT, env=self.env,
            start_new_session=True, cwd=self.folder,
        )

    def start(self) -> CommandLineCluster:
        # --idle-timeout: should this test process die without stopping it, the scheduler stops by
        # itself once no client has been connected for a while, and its workers follow it
        self.scheduler = self._start(
            "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0",
            "--scheduler-file", str(self.file), "--idle-timeout", "120s",
        )
        deadline = time.monotonic() + READY_S
        while not self.file.exists():
            if self.scheduler.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dask scheduler did not start; its log:\n{(self.folder / 'dask.log').read_text()}")
            time.sleep(0.05)
        for index in range(self.n_workers):
            self.add_worker(f"w{index}")
        self.wait_for_workers(self.n_workers)
        return self

    def add_worker(self, name: str) -> subprocess.Popen:
        worker = self._start(
            "worker", "--scheduler-file", str(self.file), "--nthreads", str(self.threads), "--host", "127.0.0.1",
            "--dashboard-address", "127.0.0.1:0", "--name", name, "--local-directory", str(self.folder / name),
            *([] if self.nanny else ["--no-nanny"]),
        )
        self.workers.append(worker)
        return worker

    @property
    def info(self) -> dict:
        """The scheduler file: ``address``, ``services`` (the dashboard's port), ..."""
        return json.loads(self.file.read_text())

    @property
    def address(self) -> str:
        return self.info["address"]

    @property
    def dashboard_port(self) -> int:
        return int(self.info["services"]["dashboard"])

    def worker_pids(self) -> list[int]:
        """The processes that run tasks: each ``dask worker`` itself without a nanny, else the
        Python process its nanny spawned (not the nanny's resource tracker)."""
        if not self.nanny:
            return [worker.pid for worker in self.workers if is_running(worker.pid)]
        found = []
        for worker in self.workers:
            for pid in descendants(worker.pid):
                command = " ".join(getattr(process_info(pid), "command", ()))
                if "spawn_main" in command and "resource_tracker" not in command:
                    found.append(pid)
        return sorted(found)

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(count, timeout=READY_S)

    def all_pids(self) -> list[int]:
        """Every process this cluster started, and their children, now."""
        roots = [process.pid for process in [self.scheduler, *self.workers] if process is not None]
        return sorted({pid for root in roots if is_running(root) for pid in [root, *descendants(root)]})

    def stop(self) -> list[int]:
        """Stop every process (SIGTERM to each session, SIGKILL after 15 s); return any still running."""
        pids = self.all_pids()
        processes = [process for process in [*self.workers, self.scheduler] if process is not None]
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        # a nanny's spawned worker watches its parent and exits with it: give it a moment
        deadline = time.monotonic() + 10
        while left_running(pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        return left_running(pids)

    def __enter__(self) -> CommandLineCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        left = self.stop()
        assert not left, f"processes of the dask cluster still running after it was stopped: {left}"
