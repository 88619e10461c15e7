"""The labs in a real kernel, pressed and interrupted the way JupyterLab does it.

A press is the frontend's ``comm_msg`` to the Run button; an interrupt is jupyter_client's
interrupt (SIGINT to the kernel's process group, as the interrupt button sends). After an
interrupt no worker thread or process may survive, the button must work again, and the learner's
switch interval must be back.
"""

import socket
import time
import urllib.request

import pytest
from support.kernels import LiveKernel, loky_workers, status_says, wait_until, widget_updates

from gillab.machine.procfs import is_running

pytestmark = pytest.mark.slow


@pytest.fixture
def kernel(tmp_path):
    live = LiveKernel(cwd=tmp_path)
    try:
        yield live
    finally:
        live.shutdown()


def test_a_press_from_the_frontend_disables_the_button_shows_progress_and_records(kernel):
    ids = kernel.run(
        "from gillab.labs import speedup_lab\n"
        "lab = speedup_lab(n=50_000, repeats=2, modes=('threads',), effective_cpus=2)\n"
        "lab.workers.value = 3\n"
        "print(lab.run.model_id, lab.status.model_id, lab.progress.model_id)"
    )
    run_id, status_id, progress_id = ids.split()
    messages = kernel.wait_idle(kernel.click(run_id))
    disabled = [state["disabled"] for state in widget_updates(messages, run_id) if "disabled" in state]
    assert disabled == [True, False]
    statuses = [state["value"] for state in widget_updates(messages, status_id) if "value" in state]
    assert any("Running threads x3" in status for status in statuses) and statuses[-1].startswith("Done")
    progress = [state["value"] for state in widget_updates(messages, progress_id) if "value" in state]
    assert progress == sorted(progress) and len(set(progress)) > 2
    assert (
        kernel.run("r = lab.results[-1]; print(r['workers'], r['record'].distinct_threads, len(lab.results))")
        == "3 3 1"
    )


def start_long_speedup_run(kernel, mode):
    run_id, status_id = kernel.run(
        "from gillab.labs import speedup_lab\n"
        f"lab = speedup_lab(repeats=5, modes=('{mode}',), effective_cpus=2)\n"
        "lab.workers.value = 2\n"
        "lab.size.value = max(lab.sizes)  # a press of about 10 s\n"
        "print(lab.run.model_id, lab.status.model_id)"
    ).split()
    parent = kernel.click(run_id)
    kernel.wait_idle(parent, until=status_says(status_id, f"Running {mode} x2"))
    return parent


def test_interrupting_a_process_run_leaves_no_worker_process(kernel):
    parent = start_long_speedup_run(kernel, "processes")
    workers = wait_until(lambda: loky_workers(kernel.pid), 60, "joblib's worker processes")
    time.sleep(0.5)
    kernel.interrupt()
    kernel.wait_idle(parent, timeout_s=60)
    wait_until(lambda: not loky_workers(kernel.pid), 20, "every joblib worker process to end")
    assert not any(is_running(pid) for pid in workers)
    state = kernel.run(
        "print(lab.interrupted, lab.running, lab.run.disabled, len(lab.results), 'Interrupted' in lab.message.value)"
    )
    assert state == "1 False False 0 True"
    assert "worker processes were stopped" in kernel.run("print(lab.message.value)")
    # the lab works again, on fresh workers
    after = kernel.run(
        "lab.size.value = 20_000; lab.repeats = 1; lab.run.click()\n"
        "print(repr(lab.message.value), len(lab.results), lab.results[-1]['ran_in_caller_process'])"
    )
    assert after == "'' 1 False"


def test_interrupting_a_thread_run_leaves_no_worker_thread(kernel):
    parent = start_long_speedup_run(kernel, "threads")
    kernel.interrupt()
    kernel.wait_idle(parent, timeout_s=60)
    state = kernel.run(
        "import threading\n"
        "print(lab.interrupted, lab.run.disabled, len(lab.results),"
        " [t.name for t in threading.enumerate() if t.name.startswith('gillab-worker')])"
    )
    assert state == "1 False 0 []"


def test_interrupting_the_switch_interval_lab_restores_the_learners_interval(kernel):
    run_id, status_id = kernel.run(
        "import sys, threading\n"
        "sys.setswitchinterval(0.0123)\n"
        "from gillab.labs import switch_interval_lab\n"
        "lab = switch_interval_lab(duration_s=4, effective_cpus=2)\n"
        "lab.interval.value = 1.0\n"
        "print(lab.run.model_id, lab.status.model_id)"
    ).split()
    parent = kernel.click(run_id)
    kernel.wait_idle(parent, until=status_says(status_id, "beside 1 busy thread"))
    time.sleep(0.3)
    kernel.interrupt()
    kernel.wait_idle(parent, timeout_s=60)
    state = kernel.run(
        "print(sys.getswitchinterval(), lab.interrupted, len(lab.results),"
        " [t.name for t in threading.enumerate() if t.name.startswith(('busy-', 'responder'))])"
    )
    assert state == "0.0123 1 0 []"


def test_interrupting_the_io_lab_ends_its_requests_and_it_works_again(kernel):
    run_id, status_id = kernel.run(
        "import threading\n"
        "from gillab.labs import io_lab\n"
        "lab = io_lab(requests=20, latency_ms=300, threads=10, effective_cpus=2)\n"
        "print(lab.run.model_id, lab.status.model_id)"
    ).split()
    parent = kernel.click(run_id)
    kernel.wait_idle(parent, until=status_says(status_id, "Serial"))
    time.sleep(0.5)
    kernel.interrupt()
    kernel.wait_idle(parent, timeout_s=60)
    state = kernel.run(
        "print(lab.interrupted, len(lab.results), lab.server.running,"
        " [t.name for t in threading.enumerate() if t.name.startswith(('fetch', 'loader'))])"
    )
    assert state == "1 0 True []"
    assert kernel.run("lab.requests.value = 2; lab.run.click(); print(lab.results[-1]['failed'])") == "0"


def test_the_io_labs_server_is_local_and_stops_with_the_kernel(tmp_path):
    kernel = LiveKernel(cwd=tmp_path)
    try:
        port = int(
            kernel.run(
                "from gillab.labs import io_lab\n"
                "lab = io_lab(requests=2, latency_ms=10, threads=2, effective_cpus=2)\n"
                "lab.run.click()\n"
                "print(lab.server.port if lab.results[-1]['failed'] == 0 else 'failed')"
            )
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/items/7", timeout=10) as response:
            assert response.status == 200
    finally:
        kernel.shutdown(now=False)  # as JupyterLab's "Shut Down Kernel" does
    wait_until(lambda: not is_running(kernel.pid), 30, "the kernel process to end")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
