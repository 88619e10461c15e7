"""The bubblewrap sandbox on its own: what code inside can see and do, and its limits; and what
`gillab grade autograde` does without bubblewrap."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import support.grading_corpus as corpus
from support.paths import REPO
from support.skips import import_server_side

from gillab.grading.outcome import load_outcomes
from gillab.grading.sandbox.bwrap import (
    SANDBOX_UID_BASE,
    SANDBOX_WORK,
    Limits,
    SandboxSettings,
    bwrap_command,
)

# `gillab grade` runs nbgrader from .venv; the free-threaded venv has none (`make test` runs these)
import_server_side("nbgrader")

PROBE = r"""
import json, os, resource, socket, subprocess, sys
facts = {"uid": os.getuid(), "pid": os.getpid(), "cwd": os.getcwd(), "home": os.environ.get("HOME"),
         "environment": sorted(os.environ), "input": sorted(os.listdir("."))}
facts["host_files_seen"] = [path for path in json.loads(sys.argv[1]) if os.path.exists(path)]
def attempt(action):
    try:
        action()
        return "ok"
    except OSError as error:
        return type(error).__name__
facts["write_usr"] = attempt(lambda: open("/usr/gillab-probe", "w"))
facts["write_etc"] = attempt(lambda: open("/etc/gillab-probe", "w"))
facts["write_work"] = attempt(lambda: open("answer.txt", "w").write("x"))
facts["write_tmp"] = attempt(lambda: open("/tmp/probe", "w").write("x"))
facts["write_shm"] = attempt(lambda: open("/dev/shm/probe", "w").write("x"))
facts["edit_input"] = attempt(lambda: open("data.csv", "a").write("more"))
facts["host_loopback"] = attempt(lambda: socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=3))
facts["internet"] = attempt(lambda: socket.create_connection(("1.1.1.1", 53), timeout=3))
LIMITS = ("RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_CORE")
facts["limits"] = {name: resource.getrlimit(getattr(resource, name))[0] for name in LIMITS}
facts["processes_visible"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", sys.argv[3]], start_new_session=True)
print(json.dumps(facts))
"""


def test_the_sandbox_shows_only_what_grading_needs(bubblewrap, tmp_path):
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "data.csv").write_text("1,2\n")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    marker = f"gillab-probe-{uuid.uuid4().hex[:8]}"
    # files of the host the student's code must not see: the course's own (whatever folder the
    # checkout lives in: the sandbox mounts the gillab package, so the checkout's folder itself
    # exists inside, empty) and the instructor's home
    host_files = [str(REPO / "solutions"), str(REPO / "pyproject.toml"), str(REPO / "grader" / "nbgrader_config.py"),
                  str(Path.home() / ".bashrc"), "/root/.bashrc"]
    assert any(os.path.exists(path) for path in host_files)  # the probe must be able to find something
    limits = Limits(memory_bytes=1 << 30, processes=40, cpu_seconds=30, file_size_bytes=1 << 20)
    uid = SANDBOX_UID_BASE + 999 if os.geteuid() == 0 else None
    settings = SandboxSettings(limits=limits, uid=uid, input_dir=str(tmp_path / "input"))
    command = bwrap_command(
        [sys.executable, "-c", PROBE, json.dumps(host_files), str(listener.getsockname()[1]), marker], settings
    )
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env={**os.environ, "SECRET_TOKEN": "abc"}
    )
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    if uid is not None:
        assert facts["uid"] == uid
    assert facts["pid"] == 2 and facts["processes_visible"][:2] == [1, 2]  # its own PID namespace
    assert facts["cwd"] == SANDBOX_WORK and facts["input"] == ["data.csv"]
    assert facts["host_files_seen"] == []
    assert "SECRET_TOKEN" not in facts["environment"]
    assert facts["write_usr"] != "ok" and facts["write_etc"] != "ok"
    assert facts["write_work"] == facts["write_tmp"] == facts["write_shm"] == facts["edit_input"] == "ok"
    assert facts["host_loopback"] != "ok" and facts["internet"] != "ok"
    assert facts["limits"]["RLIMIT_AS"] == 1 << 30
    assert facts["limits"]["RLIMIT_CPU"] == 30
    assert facts["limits"]["RLIMIT_FSIZE"] == 1 << 20
    assert facts["limits"]["RLIMIT_CORE"] == 0
    if uid is not None:
        assert facts["limits"]["RLIMIT_NPROC"] == 40
    # the host's copy of the input is untouched, and nothing reached the host's loopback
    assert (tmp_path / "input" / "data.csv").read_text() == "1,2\n"
    with pytest.raises(socket.timeout):
        listener.accept()
    listener.close()
    # the child started in a new session died with the sandbox
    alive = [p for p in Path("/proc").iterdir() if p.name.isdigit() and marker.encode() in _read(p / "cmdline")]
    assert alive == []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_the_cpu_limit_stops_a_runaway_process(bubblewrap):
    settings = SandboxSettings(limits=Limits(cpu_seconds=1), uid=SANDBOX_UID_BASE + 998 if os.geteuid() == 0 else None)
    command = bwrap_command([sys.executable, "-c", "while True: pass"], settings)
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 128 + 24  # SIGXCPU, as bubblewrap reports a signal


def test_settings_survive_the_trip_to_a_worker():
    assert Limits().as_rlimits()["cpu_seconds"] == [600, 605]
    assert SandboxSettings.from_json(SandboxSettings(uid=5).to_json()).uid == 5


@pytest.fixture(scope="module")
def demo_course(tmp_path_factory):
    course_dir = corpus.released_course(tmp_path_factory.mktemp("course"), corpus.DEMO)
    corpus.write_fixtures(course_dir, corpus.DEMO, [corpus.FIXTURES[0]], port=9, marker="unused")
    return course_dir


def test_without_bubblewrap_autograde_refuses_and_says_why(demo_course, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    environment = {**os.environ, "PATH": str(empty)}  # no bwrap to be found
    result = subprocess.run(
        [sys.executable, "-m", "gillab", "grade", "autograde", "demo_sum", "--course", str(demo_course)],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert result.returncode == 2
    assert "bubblewrap (bwrap) is not installed" in result.stderr and "--no-sandbox" in result.stderr
    assert load_outcomes(Path(demo_course) / "grader" / "outcomes", "demo_sum") == {}


def test_no_sandbox_grades_with_a_warning(demo_course):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gillab",
            "grade",
            "autograde",
            "demo_sum",
            "--no-sandbox",
            "--course",
            str(demo_course),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING: --no-sandbox" in result.stderr
    outcome = load_outcomes(Path(demo_course) / "grader" / "outcomes", "demo_sum")["correct-1"]
    assert (outcome.status, outcome.sandbox, outcome.score) == ("graded", "none", outcome.max_score)
