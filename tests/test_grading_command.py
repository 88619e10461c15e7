"""`gillab grade`: help, and clear errors for what cannot be done."""

from __future__ import annotations

import subprocess
import sys

import support.grading_corpus as corpus
from support.skips import import_server_side

# `gillab grade` runs nbgrader from .venv; the free-threaded venv has none (`make test` runs these)
import_server_side("nbgrader")


def gillab(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gillab", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_grade_without_a_step_lists_the_steps():
    result = gillab("grade")
    assert result.returncode == 2
    for step in ("release", "collect", "autograde", "feedback", "export", "report"):
        assert step in result.stdout


def test_bad_numbers_are_refused_by_name():
    result = gillab("grade", "autograde", "ps1", "--jobs", "0")
    assert result.returncode == 2 and "--jobs: must be a positive whole number, got 0" in result.stderr


def test_a_folder_that_is_no_course_is_explained(tmp_path):
    result = gillab("grade", "export", "--csv", "-", "--course", str(tmp_path))
    assert result.returncode == 2
    assert "no course found" in result.stderr and "grader/nbgrader_config.py" in result.stderr


def test_unknown_assignments_are_named_with_what_there_is(tmp_path):
    course = corpus.make_course(tmp_path / "course", corpus.DEMO)
    released = gillab("grade", "release", "ps9", "--course", str(course))
    assert released.returncode == 2 and "no notebooks in" in released.stderr and "demo_sum" in released.stderr
    result = gillab("grade", "autograde", "ps9", "--course", str(course))
    assert result.returncode == 2
    assert "assignment 'ps9' is not in the gradebook" in result.stderr and "gillab grade release ps9" in result.stderr


def test_a_bad_due_date_is_explained(tmp_path):
    course = corpus.make_course(tmp_path / "course", corpus.DEMO)
    result = gillab("grade", "release", "demo_sum", "--due", "next friday", "--course", str(course))
    assert result.returncode == 2 and "is not a date and time" in result.stderr
