"""Ctrl-C and a crash in the middle of `gillab grade autograde`: the gradebook stays intact, no
grading process survives, and running the command again grades exactly what is left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import support.grading_corpus as corpus
from support.grading_corpus import processes_left
from support.skips import import_server_side

from gillab.grading.course import Course
from gillab.grading.gradebook import integrity_check
from gillab.grading.outcome import load_outcomes

# `gillab grade` runs nbgrader from .venv; the free-threaded venv has none (`make test` runs these)
import_server_side("nbgrader")

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("bubblewrap")]
STUDENTS = [f"slow-{index}" for index in range(6)]


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def _gone(marker: str, seconds: float = 15) -> list:
    deadline = time.monotonic() + seconds
    while True:
        left = processes_left(marker, f"GILLAB_TEST_RUN={marker}")
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.fixture
def slow_course(tmp_path):
    assignment = corpus.DEMO
    course_dir = corpus.released_course(tmp_path / "course", assignment)
    fixtures = [corpus.Fixture(s, lambda c: c.at_end("import time\ntime.sleep(5)"), "graded", "full") for s in STUDENTS]
    corpus.write_fixtures(course_dir, assignment, fixtures, port=9, marker="unused")
    return Course.load(course_dir)


def _start(course, marker):
    command = [
        sys.executable,
        "-m",
        "gillab",
        "grade",
        "autograde",
        corpus.DEMO.name,
        "--jobs",
        "2",
        "--course",
        str(course.root),
    ]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GILLAB_TEST_RUN": marker},
    )


def _outcomes(course):
    return load_outcomes(course.outcomes_dir, corpus.DEMO.name)


def _interrupt(course, marker, how, before) -> dict:
    """Start a run, stop it (``how``) once it recorded a submission more than ``before``; check
    that nothing survives and the gradebook is intact; return the outcomes recorded so far."""
    process = _start(course, marker)
    try:
        _wait_for(lambda: len(_outcomes(course)) > before, 300, "a newly recorded submission")
        process.send_signal(signal.SIGINT if how == "ctrl-c" else signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    if how == "ctrl-c":
        assert process.returncode == 130, stdout + stderr
        assert "Interrupted" in stdout and "the gradebook is intact" in stdout
    else:
        assert process.returncode == -signal.SIGKILL
    assert _gone(marker) == []
    assert integrity_check(course.gradebook_file) == "ok"
    recorded = _outcomes(course)
    # every recorded submission is in the gradebook with its full score
    with course.gradebook() as gradebook:
        for student, outcome in recorded.items():
            assert gradebook.find_submission(corpus.DEMO.name, student).score == outcome.score == outcome.max_score
    return recorded


def test_ctrl_c_then_a_crash_then_a_rerun_that_finishes_the_rest(slow_course):
    course, marker = slow_course, f"gillab-interrupt-{uuid.uuid4().hex[:8]}"
    after_ctrl_c = _interrupt(course, marker, "ctrl-c", before=0)
    after_crash = _interrupt(course, marker, "kill -9", before=len(after_ctrl_c))
    assert len(after_ctrl_c) < len(after_crash) < len(STUDENTS), "an interruption came too late to leave work undone"
    rerun = subprocess.run(
        [
            sys.executable,
            "-m",
            "gillab",
            "grade",
            "autograde",
            corpus.DEMO.name,
            "--jobs",
            "2",
            "--course",
            str(course.root),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "GILLAB_TEST_RUN": marker},
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    final = _outcomes(course)
    assert sorted(final) == STUDENTS
    assert all(outcome.status == "graded" and outcome.score == outcome.max_score for outcome in final.values())
    # what the interrupted runs recorded was not graded again
    assert {s: final[s].graded_at for s in after_crash} == {s: o.graded_at for s, o in after_crash.items()}
    assert f"{len(STUDENTS) - len(after_crash)} submission(s) recorded" in rerun.stdout
    assert integrity_check(course.gradebook_file) == "ok"
    assert _gone(marker) == []
