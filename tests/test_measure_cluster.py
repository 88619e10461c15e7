"""Chapter 07's cluster code against a Dask cluster started as on real machines: ``dask scheduler`` and two
``dask worker`` programs (tests/support/dask_processes.py, the ``dask_cluster`` fixture), and against a
local cluster in a real kernel. Results, what ran where (from /proc and from inside the tasks), Dask's
task stream, a worker killed mid-sum, addresses where no scheduler answers, and no process left behind.

Nothing is timed to decide: parallelism is proven from which processes ran the chunks.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from support.dask_processes import CommandLineCluster, left_running
from support.kernels import LiveKernel, wait_until
from support.paths import REPO, free_port

from gillab.machine.procfs import descendants, process_info
from gillab.measure import cluster as cluster_module
from gillab.measure.chunks import split_range
from gillab.measure.cluster import NoWorkers, SchedulerUnreachable, check_scheduler, connect, current
from gillab.measure.runners import run_dask
from gillab.measure.workloads import count_sum

pytestmark = pytest.mark.slow


def total(n: int) -> int:
    return n * (n + 1) // 2


def cpu_seconds(pid: int) -> float:
    """The CPU time the operating system has accounted to ``pid`` so far (0 when it is gone)."""
    info = process_info(pid)
    return info.cpu_s if info is not None else 0.0


def test_the_sum_runs_on_the_scheduler_s_worker_processes_and_the_task_stream_agrees(dask_cluster):
    with connect(dask_cluster.address) as connection:
        assert current() is connection and not connection.local
        assert f"scheduler {dask_cluster.address}, 2 worker processes (1 thread each)" in connection.describe()
        assert sorted(connection.worker_processes().values()) == dask_cluster.worker_pids()
        record = run_dask(count_sum, split_range(1, 2_000_001, 4), record_stream=True)
    assert current() is None
    assert record.result == total(2_000_000) and record.mode == "dask"
    # every chunk ran in one of the two `dask worker` programs' processes, none in this one
    assert {span.pid for span in record.spans} == set(dask_cluster.worker_pids())
    assert not record.ran_in_caller_process and record.distinct_processes == 2
    assert all(span.machine == "" and span.address.startswith("tcp://127.0.0.1:") for span in record.spans)
    # Dask's own record names the same worker for each of the 4 tasks
    assert len(record.task_stream) == 4
    assert sorted(task.address for task in record.task_stream) == sorted(span.address for span in record.spans)


def test_fewer_workers_than_the_cluster_has_means_exactly_that_many_processes(dask_cluster):
    with connect(dask_cluster.address):
        one = run_dask(count_sum, split_range(1, 100_001, 4), n_workers=1)
        with pytest.raises(ValueError, match="n_workers=3, but the Dask cluster has 2 worker"):
            run_dask(count_sum, split_range(1, 101, 4), n_workers=3)
    assert one.result == total(100_000) and one.distinct_processes == 1


def test_a_worker_killed_in_the_middle_of_the_sum_still_gives_the_exact_total(dask_cluster):
    n = 20_000_000  # about a second of work per worker: long enough to be killed in the middle
    outcome = {}
    with connect(dask_cluster.address) as connection:
        victim = dask_cluster.worker_pids()[0]

        def sum_it():
            try:
                outcome["record"] = run_dask(count_sum, split_range(1, n + 1, 8), client=connection.client)
            except BaseException as error:  # noqa: BLE001 - handed to the test below
                outcome["error"] = error

        runner = threading.Thread(target=sum_it)
        runner.start()
        # kill it once it is computing: its CPU time grows
        start = cpu_seconds(victim)
        wait_until(lambda: cpu_seconds(victim) > start + 0.2, 30, "the worker to compute")
        os.kill(victim, signal.SIGKILL)
        runner.join(120)
        assert not runner.is_alive(), "the sum did not finish after a worker was killed"
        # the nanny starts a new worker process: the cluster is whole again for the next tests
        wait_until(lambda: len(connection.workers()) == 2, 60, "the nanny to restart the killed worker")
    assert "error" not in outcome, outcome.get("error")
    assert outcome["record"].result == total(n)
    assert victim not in dask_cluster.worker_pids()


def test_a_cluster_with_no_worker_left_stops_the_run_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster_module, "NO_WORKERS_S", 2.0)
    with CommandLineCluster(tmp_path / "lonely", workers=1, nanny=False) as lonely:
        address = lonely.address
        with connect(address) as connection:
            failure = {}

            def sum_it():
                try:
                    run_dask(count_sum, split_range(1, 40_000_001, 2), client=connection.client)
                except NoWorkers as error:
                    failure["error"] = error

            runner = threading.Thread(target=sum_it)
            runner.start()
            worker = lonely.worker_pids()[0]
            start = cpu_seconds(worker)
            wait_until(lambda: cpu_seconds(worker) > start + 0.1, 30, "the worker to compute")
            lonely.workers[0].kill()
            runner.join(60)
            assert not runner.is_alive(), "run_dask kept waiting after its only worker died"
    message = str(failure["error"])
    assert f"every worker of the cluster at {address} is gone" in message and "restart the workers" in message


def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, accepted


def assert_quick_failure(address, *words):
    start = time.monotonic()
    with pytest.raises(SchedulerUnreachable) as raised:
        connect(address)
    assert time.monotonic() - start < 10, "the message must come within 10 s"
    message = str(raised.value)
    for word in words:
        assert word in message, message
    assert current() is None


def test_a_closed_port_is_reported_at_once_with_the_address_and_what_to_check():
    port = free_port()
    assert_quick_failure(f"tcp://127.0.0.1:{port}", f"No Dask scheduler at tcp://127.0.0.1:{port}", "refused",
                         "Is the scheduler running")


def test_a_port_that_answers_but_is_no_scheduler_is_reported_within_10_s():
    server, accepted = silent_server()
    port = server.getsockname()[1]
    try:
        assert_quick_failure(f"127.0.0.1:{port}", f"tcp://127.0.0.1:{port}", "did not answer as a Dask scheduler",
                             "dashboard")
        assert accepted, "the check never reached the server"
    finally:
        server.close()
        for connection in accepted:
            connection.close()


def test_the_dashboard_s_port_and_a_worker_s_address_are_named_for_what_they_are(dask_cluster):
    dashboard = f"tcp://127.0.0.1:{dask_cluster.dashboard_port}"
    assert_quick_failure(dashboard, dashboard, "did not answer as a Dask scheduler")
    with connect(dask_cluster.address) as connection:
        worker = next(iter(connection.workers()))
    with pytest.raises(SchedulerUnreachable, match="is a Dask worker, not the scheduler"):
        check_scheduler(worker)
    assert check_scheduler(dask_cluster.address.replace("tcp://", "")) == dask_cluster.address


@pytest.mark.parametrize(
    "address, words",
    [
        ("http://127.0.0.1:8787/status", "is a web address"),
        ("tcp://127.0.0.1:99999", "is not a scheduler address"),
        ("tls://127.0.0.1:8786", "only tcp://"),
        ("tcp://no-such-host.invalid:8786", "is not known here"),
    ],
)
def test_addresses_that_cannot_be_a_scheduler_are_refused_with_what_is_allowed(address, words):
    assert_quick_failure(address, words)


def test_a_remote_cluster_takes_no_local_settings(dask_cluster):
    with pytest.raises(ValueError, match="has its own workers"):
        connect(dask_cluster.address, n_workers=2)


def test_a_local_cluster_s_workers_are_gone_after_close(tmp_path):
    with connect(n_workers=2) as connection:
        workers = sorted(connection.worker_processes().values())
        assert set(workers) <= set(descendants(os.getpid()))
        record = run_dask(count_sum, split_range(1, 1001, 2))
    assert record.result == total(1000) and {span.pid for span in record.spans} == set(workers)
    wait_until(lambda: not left_running(workers), 20, "the local workers to stop")


def test_a_local_cluster_samples_its_workers_only_where_the_gil_keeps_the_profiler_safe():
    import dask

    from gillab.machine.interpreter import free_threaded_build

    with connect(n_workers=1) as connection:
        profiling = connection.client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
    assert list(profiling.values()) == [not free_threaded_build()]


@pytest.mark.parametrize("how", ["the chapter's last cell", "a kernel shutdown"])
def test_no_worker_outlives_the_notebook_that_started_a_local_cluster(tmp_path, how):
    kernel = LiveKernel(cwd=tmp_path)
    try:
        kernel.run("from gillab.measure.cluster import connect\ncluster = connect()")
        workers = [int(pid) for pid in kernel.run("print(*cluster.worker_processes().values())").split()]
        scratch = Path(kernel.run("print(cluster.local_directory)"))
        assert scratch.is_dir()
        assert len(workers) == 2 and set(workers) <= set(descendants(kernel.pid))
        if how == "the chapter's last cell":
            kernel.run("cluster.close()")
    finally:
        kernel.shutdown(now=False)
    wait_until(lambda: not left_running(workers), 30, f"the workers to stop after {how}")
    assert not left_running([kernel.pid, *workers]) and not scratch.exists()


def test_the_chapter_runs_unchanged_against_the_scheduler_s_address(dask_cluster, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(REPO / "course/07-beyond-one-machine.ipynb", as_version=4)
    setting = next(cell for cell in notebook.cells if cell.source.startswith("SCHEDULER_ADDRESS = None"))
    setting.source = setting.source.replace("SCHEDULER_ADDRESS = None", f"SCHEDULER_ADDRESS = {dask_cluster.address!r}")
    workers = dask_cluster.worker_pids()
    resources = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources=resources).execute()
    printed = "\n".join(
        output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []) if "text" in output
    )
    assert f"the cluster: scheduler {dask_cluster.address}, 2 worker processes" in printed
    assert all(str(pid) in printed for pid in workers), "the chapter did not run on the command-line workers"
    assert f"the connection to {dask_cluster.address} is closed" in printed
    # closing a cluster given by its address closes the connection only: the cluster runs on
    assert not set(workers) - set(left_running(workers))
