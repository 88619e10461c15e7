"""Workers grade against private snapshots; only the parent's commit writes the course's gradebook."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
import support.grading_corpus as corpus
from support.skips import import_server_side

from gillab.grading.course import Course
from gillab.grading.gradebook import commit_grades, integrity_check, snapshot
from gillab.grading.worker import grade_job

# `gillab grade` runs nbgrader from .venv; the free-threaded venv has none (`make test` runs these)
import_server_side("nbgrader")

pytestmark = pytest.mark.slow


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_worker_leaves_the_gradebook_alone_and_the_parent_writes_it(tmp_path):
    course_dir = corpus.released_course(tmp_path / "course", corpus.DEMO)
    corpus.write_fixtures(course_dir, corpus.DEMO, [corpus.FIXTURES[0]], port=9, marker="unused")
    course = Course.load(course_dir)
    before = _digest(course.gradebook_file)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    job = {
        "student": "correct-1",
        "assignment": "demo_sum",
        "notebooks": ["demo_sum"],
        "course_config": str(course.config_file),
        "source_dir": str(course.folder("source", ".", "demo_sum")),
        "release_dir": str(course.folder("release", ".", "demo_sum")),
        "submitted_dir": str(course.folder("submitted", "correct-1", "demo_sum")),
        "gradebook_snapshot": str(snapshot(course.gradebook_file, run_dir / "gradebook.db")),
        "run_dir": str(run_dir),
        "cell_timeout": 60,
        "notebook_timeout": 300,
        "sandbox": None,
    }
    result = grade_job(job)
    assert result["status"] == "graded", result
    assert _digest(course.gradebook_file) == before  # the worker wrote only its private copy
    with course.gradebook() as gradebook:
        assert [s.student.id for s in gradebook.find_assignment("demo_sum").submissions] == []
    score = commit_grades(course, "demo_sum", "correct-1", result["autograded_dir"])
    assert score["score"] == score["max_score"] == 5
    assert _digest(course.gradebook_file) != before


def test_a_write_cut_off_by_a_crash_is_rolled_back_and_the_gradebook_stays_usable(tmp_path):
    """kill -9 in the middle of a gradebook transaction leaves sqlite's journal behind; the next
    connection rolls the transaction back, and the check and the workers' snapshot still work."""
    import sqlite3

    course_dir = corpus.released_course(tmp_path / "course", corpus.DEMO)
    gradebook = Course.load(course_dir).gradebook_file
    with sqlite3.connect(gradebook) as connection:
        before = connection.execute("SELECT id, source FROM source_cell ORDER BY id").fetchall()
    crash = (
        "import os, sqlite3\n"
        f"connection = sqlite3.connect({str(gradebook)!r}, isolation_level=None)\n"
        "connection.execute('PRAGMA cache_size=1')\n"  # spill the change into the file before commit
        "connection.execute('BEGIN')\n"
        "connection.execute(\"UPDATE source_cell SET source = 'half-written'\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash], check=True, timeout=60)
    assert gradebook.with_name(gradebook.name + "-journal").exists()  # the crash left a hot journal
    assert integrity_check(gradebook) == "ok"
    with sqlite3.connect(gradebook) as connection:
        assert connection.execute("SELECT id, source FROM source_cell ORDER BY id").fetchall() == before
    copy = snapshot(gradebook, tmp_path / "snapshot.db")
    assert integrity_check(copy) == "ok"
