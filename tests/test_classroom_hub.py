"""`gillab classroom start` (what `make classroom` runs) on a real JupyterHub: Ctrl-C stops the hub,
the proxy, every user's server and kernel, and what a kernel left behind; a second start, a port
in use, a bad roster and a wrong exchange each get one clear message and lose nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from support.classroom import classroom_for_test, home, require_classroom
from support.paths import REPO, free_port
from support.skips import import_server_side

from gillab.classroom import accounts
from gillab.machine import procfs

# the command reads the course's nbgrader configuration, which imports nbgrader: the classroom runs
# from the course's .venv (make classroom), never from the free-threaded venv that has no nbgrader
import_server_side("nbgrader")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prepared():
    """Accounts, exchange and files of a classroom (no hub): the command line starts the hub."""
    require_classroom()
    with classroom_for_test(students=2, start_hub=False) as classroom:
        yield classroom


def _command(classroom, *step, port=None, state=None):
    settings = classroom.settings
    argv = [sys.executable, "-m", "gillab", "classroom", *step, "--course", str(REPO),
            "--state", str(state or settings.state_dir)]
    if step[0] == "start":
        argv += ["--instructor", settings.instructor, "--port", str(port or settings.port), "--share",
                 str(settings.share_dir), "--groups", settings.group_prefix]
    return argv


def _wait_for(process, text, timeout=180):
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"{text!r} not seen within {timeout} s:\n{''.join(seen)}")


def _kernel_with_escaped_child(classroom, student):
    """Start ``student``'s server and a kernel in it; the kernel starts a process in a session of its own."""
    from jupyter_client import BlockingKernelClient

    classroom.api(f"/users/{student}/server", method="POST")
    deadline = time.monotonic() + 120
    while not classroom.api(f"/users/{student}")["servers"].get("", {}).get("ready"):
        assert time.monotonic() < deadline, "the student's server did not start"
        time.sleep(0.5)
    token = classroom.api(f"/users/{student}/tokens", method="POST", body={"note": "test"})["token"]
    request = urllib.request.Request(f"{classroom.settings.url}user/{student}/api/kernels", data=b"{}", method="POST",
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        kernel = json.loads(response.read())
    connection = home(student) / ".local/share/jupyter/runtime" / f"kernel-{kernel['id']}.json"
    deadline = time.monotonic() + 60
    while not connection.exists():
        assert time.monotonic() < deadline, f"no connection file {connection}"
        time.sleep(0.2)
    client = BlockingKernelClient(connection_file=str(connection))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        client.execute_interactive(
            "import subprocess; escaped = subprocess.Popen(['sleep', '600'], start_new_session=True)", timeout=60)
    finally:
        client.stop_channels()


def test_ctrl_c_stops_hub_proxy_servers_kernels_and_escaped_processes(prepared):
    classroom = prepared
    student = classroom.students()[0].id
    process = subprocess.Popen(_command(classroom, "start"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        _wait_for(process, "The classroom is ready at")
        hub_pid = classroom.running_pid()
        proxy_pid = int((classroom.settings.hub_dir / "proxy.pid").read_text())
        _kernel_with_escaped_child(classroom, student)
        running = {procfs.process_info(pid).command[0].rsplit("/", 1)[-1] for pid in accounts.processes_of(student)}
        assert "sleep" in running and any("python" in name for name in running), running

        second = subprocess.run(_command(classroom, "start"), capture_output=True, text=True, timeout=120)
        assert second.returncode == 2 and "a classroom is already running" in second.stderr, second
        assert "make classroom-stop" in second.stderr
        taken = subprocess.run(_command(classroom, "start", state=classroom.settings.state_dir.parent / "other"),
                               capture_output=True, text=True, timeout=120)
        assert taken.returncode == 2, taken
        assert f"port {classroom.settings.port} on 127.0.0.1 is already in use" in taken.stderr
        assert "--port" in taken.stderr

        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal of make classroom sends
        output = process.communicate(timeout=120)[0]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "Nothing of the classroom is left running." in output
    assert not procfs.is_running(hub_pid) and not procfs.is_running(proxy_pid)
    for name in classroom.accounts():
        assert accounts.processes_of(name) == [], name
    with socket.socket() as sock:  # nothing listens on the port any more (connections may linger in TIME_WAIT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", classroom.settings.port))


def test_a_bad_roster_is_refused_as_a_whole_and_creates_no_account(prepared, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nzzgood1,Good,\nAnn Lee,Bad id,\nzzgood1,Again,\n")
    result = subprocess.run(_command(prepared, "add-students", str(roster)), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert "line 3: id 'Ann Lee' cannot be a Unix user name" in result.stderr
    assert "line 4: id 'zzgood1' is already on line 2" in result.stderr
    assert not accounts.user_exists("zzgood1")


def test_an_exchange_with_wrong_permissions_is_reported_with_the_fix_and_keeps_its_submissions(prepared):
    settings = prepared.settings
    inbound = settings.exchange_root / settings.course_id / "inbound"
    kept = inbound / "someone+ps1+2026-01-01 00:00:00.000000 UTC+abc"
    kept.mkdir()
    os.chmod(inbound, 0o777)
    try:
        result = subprocess.run(_command(prepared, "start", port=free_port()), capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 2, result
        assert f"{inbound} has mode 0777, nbgrader's exchange needs 3733" in result.stderr
        assert f"chmod 3733 {inbound}" in result.stderr
        assert kept.is_dir() and prepared.running_pid() is None
    finally:
        os.chmod(inbound, 0o3733)
        kept.rmdir()


def test_without_root_the_classroom_says_what_it_needs(prepared):
    student = prepared.students()[1].id
    python = Path(prepared._runtime()["venv"]) / "bin" / "python"  # the classroom's: students can run it
    result = subprocess.run(
        accounts.as_user(student, [str(python), "-m", "gillab", "classroom", "start", "--course", str(REPO),
                                   "--state", "/tmp/nowhere"]),
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2, result
    assert "make classroom needs root" in result.stderr and "sudo make classroom" in result.stderr
