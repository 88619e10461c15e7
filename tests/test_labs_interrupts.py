"""Interrupting runs (Ctrl-C, the kernel's interrupt button) stops their workers, at any moment.

The labs rely on this; the kernel-level tests in test_labs_kernel.py interrupt real labs.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from support.kernels import loky_workers, wait_until

from gillab.machine.procfs import is_running
from gillab.measure.chunks import split_range
from gillab.measure.runners import run_processes, run_threads, stop_worker_processes
from gillab.measure.workloads import count_sum, wait_units


def gillab_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith("gillab-worker")]


def test_an_interrupt_while_threads_start_stops_the_ones_already_running(monkeypatch):
    real_start = threading.Thread.start
    started = []

    def start_then_interrupt(thread):
        if thread.name.startswith("gillab-worker") and started:
            raise KeyboardInterrupt  # as if Ctrl-C came while the second thread started
        started.append(thread.name)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start_then_interrupt)
    begun = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_threads(wait_units, split_range(0, 4000, 2), n_workers=2)  # 2 s a chunk if they ran
    assert started == ["gillab-worker-0"]
    assert not gillab_threads()
    assert time.monotonic() - begun < 1.5  # the first thread gave up waiting for the second


def test_stop_worker_processes_ends_joblibs_idle_workers():
    run_processes(count_sum, split_range(0, 1000, 2), n_workers=2)
    workers = loky_workers(os.getpid())
    assert workers, "joblib kept no worker processes: nothing to stop"
    stop_worker_processes()
    wait_until(lambda: not loky_workers(os.getpid()), 20, "joblib's workers to end")
    assert not any(is_running(pid) for pid in workers)
    assert run_processes(count_sum, split_range(0, 1000, 2), n_workers=2).result == sum(range(1000))


INTERRUPTED_PROCESS_RUN = """
import os, sys, time
from gillab.measure.chunks import split_range
from gillab.measure.runners import run_processes
from gillab.measure.workloads import wait_units
try:
    run_processes(wait_units, split_range(0, 60_000, 2), n_workers=2)  # a minute a chunk if not stopped
except KeyboardInterrupt:
    print("interrupted", flush=True)
time.sleep(30)  # stay alive so that the test can look at this process's children
"""


def test_ctrl_c_during_a_process_run_kills_its_workers(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(INTERRUPTED_PROCESS_RUN)
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        workers = wait_until(lambda: len(loky_workers(process.pid)) == 2 and loky_workers(process.pid), 60,
                             "two worker processes")
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        assert process.stdout.readline().strip() == "interrupted"
        wait_until(lambda: not loky_workers(process.pid), 20, "the worker processes to end")
        assert not any(is_running(pid) for pid in workers)
    finally:
        process.kill()
        process.wait(10)
