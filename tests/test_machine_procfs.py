"""The one /proc reader: processes, threads, CPU time, namespace ids and TCP sockets, as Linux shows them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from gillab.machine import procfs

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads /proc (Linux)")


def test_children_descendants_and_their_end_are_seen():
    script = "import subprocess, time; subprocess.Popen(['sleep', '30']); time.sleep(30)"
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 20
        while len(procfs.descendants(parent.pid)) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        [grandchild] = procfs.descendants(parent.pid)
        children = procfs.child_processes(os.getpid())
        assert parent.pid in children and grandchild not in children
        assert procfs.process_info(grandchild).command[0] == "sleep"
        assert procfs.processes_of_user(os.getuid())
    finally:
        parent.kill()
        parent.wait()
    assert not procfs.is_running(parent.pid)


def test_a_busy_thread_shows_cpu_time_and_an_idle_one_almost_none():
    stop = threading.Event()
    ids = {}

    def busy():
        ids["busy"] = threading.get_native_id()
        while not stop.is_set():
            pass

    def idle():
        ids["idle"] = threading.get_native_id()
        stop.wait()

    workers = [threading.Thread(target=busy), threading.Thread(target=idle)]
    for worker in workers:
        worker.start()
    time.sleep(0.3)
    seconds = {name: procfs.thread_cpu_ns(os.getpid(), tid) for name, tid in ids.items()}
    alive = procfs.thread_ids(os.getpid())
    stop.set()
    for worker in workers:
        worker.join()
    assert set(ids.values()) <= set(alive)
    assert seconds["busy"] > 20_000_000 > seconds["idle"]  # 20 ms of CPU in 300 ms of spinning, a GIL or not
    assert procfs.thread_cpu_ns(os.getpid(), 10**9) is None  # no such thread: None, not an error


def test_the_tcp_table_shows_a_listening_socket_and_its_connections_with_their_owner():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        sockets = [s for s in procfs.tcp_sockets(os.getpid()) if s.local_port == port]
        states = sorted(s.state for s in sockets)
        assert states == ["ESTABLISHED", "LISTEN"]
        listening = next(s for s in sockets if s.state == "LISTEN")
        assert listening.inode in procfs.socket_inodes(os.getpid())
        client.close()
        accepted.close()


def test_namespace_ids_map_a_sandboxed_process_to_the_host(bubblewrap):
    command = [bubblewrap, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--unshare-pid",
               "--die-with-parent", "--", "sleep", "30"]
    sandboxed = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            inside = [pid for pid in procfs.descendants(sandboxed.pid)
                      if procfs.process_info(pid) and procfs.process_info(pid).command[:1] == ("sleep",)]
            if inside:
                break
            time.sleep(0.05)
        ids = procfs.namespace_ids(inside[0])
        # the host's id first, the sandbox's own (small) id last: what code inside would report
        assert ids[0] == inside[0] and len(ids) == 2 and ids[-1] < 10
        assert procfs.namespace_ids(os.getpid())[-1] == os.getpid()  # this test runs in no sandbox
    finally:
        sandboxed.kill()
        sandboxed.wait()
