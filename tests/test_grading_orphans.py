"""No grading process outlives a worker that was told to stop, whatever moment the stop came."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from support.skips import import_server_side

from gillab.machine.procfs import is_running

# `gillab grade` runs nbgrader from .venv; the free-threaded venv has none (`make test` runs these)
import_server_side("nbgrader")


pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads children from /proc (Linux)")


def test_a_stopped_worker_kills_a_kernel_it_had_not_registered_yet():
    """A child started in a session of its own, as jupyter_client starts a kernel, but never
    registered as a running kernel (the stop came mid-launch), is killed with the worker."""
    script = (
        "import subprocess, sys\n"
        "from gillab.grading.execute import kill_running_kernels\n"
        "child = subprocess.Popen(['sleep', '60'], start_new_session=True)\n"
        "grandchild = subprocess.Popen(['sleep', '60'])\n"
        "print(child.pid, grandchild.pid, flush=True)\n"
        "print(kill_running_kernels(), flush=True)\n"
        "child.wait(); grandchild.wait()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    pids, killed = result.stdout.splitlines()
    assert int(killed) == 2
    assert not any(is_running(int(pid)) for pid in pids.split())


def test_a_worker_whose_parent_is_already_gone_stops_at_once():
    """The parent died before the worker could ask to die with it: the worker must not wait for jobs."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "gillab.grading.worker", "--result-fd", "1", "--parent-pid", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        stdout, _ = worker.communicate(timeout=60)
    finally:
        worker.kill()
    assert worker.returncode == 128 + 15
    assert b"ready" not in stdout


def test_a_worker_with_its_real_parent_starts():
    """The same check passes for the real parent: the worker reports ready."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "gillab.grading.worker", "--result-fd", "1", "--parent-pid", str(os.getpid())],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        first = worker.stdout.readline()
    finally:
        worker.stdin.close()
        worker.wait(timeout=60)
    assert b'"ready": true' in first
