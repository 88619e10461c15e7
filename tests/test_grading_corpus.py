"""The whole hostile corpus graded by `gillab grade autograde --jobs 2` in a temporary course.

One grading run per assignment (module-scoped: 50 to 85 s for the demo on 2 busy cores); every test below
reads what that run left: outcomes, gradebook, processes, files, the network listener, and the
export, feedback and report made from it. The corpus is in tests/support/grading_corpus.py.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import support.grading_corpus as corpus
from support.grading_corpus import processes_left
from support.skips import import_server_side

from gillab.grading.course import Course
from gillab.grading.gradebook import integrity_check
from gillab.grading.outcome import load_outcomes

# `gillab grade` runs nbgrader from .venv; the free-threaded venv has none (`make test` runs these)
import_server_side("nbgrader")

# The real problem set; corpus.DEMO (a small assignment of the tests' own) grades the same way.
ASSIGNMENTS = [corpus.PS1]
CELL_TIMEOUT = 20
NOTEBOOK_TIMEOUT = 120
# what grading may change in a course; everything else must stay byte for byte the same
GRADING_OUTPUTS = (
    "grader/gradebook.db",
    "grader/autograded",
    "grader/outcomes",
    "grader/logs",
    "grader/feedback",
    "grader/reports",
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("bubblewrap")]


def gillab(*args, env=None, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", "gillab", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def tree_hashes(root: Path) -> dict:
    hashes = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if any(
            relative == out or relative.startswith(out + "/") or relative.startswith(out + "-")
            for out in GRADING_OUTPUTS
        ):
            continue
        if path.is_file():
            hashes[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


class Listener:
    """A TCP server on the host's 127.0.0.1 that records every connection (there must be none)."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                connection, address = self.server.accept()
            except OSError:
                continue
            connection.settimeout(1)
            try:
                data = connection.recv(1024)
            except OSError:
                data = b""
            self.connections.append((address, data))
            connection.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.server.close()


@pytest.fixture(scope="module", params=ASSIGNMENTS, ids=lambda a: a.name)
def graded(request, tmp_path_factory):
    """Grade the corpus once; hand every test the run's traces."""
    assignment = request.param
    course_dir = corpus.released_course(tmp_path_factory.mktemp("course"), assignment, due=corpus.DUE)
    listener = Listener()
    marker = f"gillab-corpus-{uuid.uuid4().hex[:10]}"
    run_variable = f"GILLAB_TEST_RUN={marker}"
    try:
        corpus.write_fixtures(course_dir, assignment, corpus.FIXTURES, listener.port, marker)
        before = tree_hashes(course_dir)
        environment = {**os.environ, "GILLAB_TEST_RUN": marker}
        started = time.monotonic()
        run = gillab(
            "grade",
            "autograde",
            assignment.name,
            "--jobs",
            "2",
            "--course",
            str(course_dir),
            "--cell-timeout",
            str(CELL_TIMEOUT),
            "--notebook-timeout",
            str(NOTEBOOK_TIMEOUT),
            env=environment,
        )
        seconds = time.monotonic() - started
        left = processes_left(marker, run_variable)
        after = tree_hashes(course_dir)
    finally:
        listener.stop()
    course = Course.load(course_dir)
    print(f"\ngraded {len(corpus.FIXTURES)} submissions of {assignment.name} in {seconds:.1f} s\n{run.stdout}")
    return {
        "assignment": assignment,
        "course": course,
        "run": run,
        "seconds": seconds,
        "outcomes": load_outcomes(course.outcomes_dir, assignment.name),
        "left": left,
        "before": before,
        "after": after,
        "listener": listener,
        "marker": marker,
        "environment": environment,
    }


def test_the_run_finishes_and_says_what_it_did(graded):
    run = graded["run"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(corpus.FIXTURES)} submission(s) recorded" in run.stdout
    # the progress bar counted every submission and the failures
    assert f"{len(corpus.FIXTURES)}/{len(corpus.FIXTURES)} done, 0 running" in run.stderr


def test_every_submission_has_an_outcome(graded):
    assert sorted(graded["outcomes"]) == sorted(f.student for f in corpus.FIXTURES)


@pytest.mark.parametrize("fixture", corpus.FIXTURES, ids=lambda f: f.student)
def test_fixture_gets_its_expected_outcome(graded, fixture):
    assignment, course = graded["assignment"], graded["course"]
    outcome = graded["outcomes"][fixture.student]
    assert outcome.status == fixture.status, outcome.summary()
    if fixture.reason:
        assert corpus.expected_text(fixture.reason, assignment) in outcome.reason
    if fixture.note:
        assert any(corpus.expected_text(fixture.note, assignment) in note for note in outcome.notes), outcome.notes
    with course.gradebook() as gradebook:
        scored, possible = corpus.autograded_points(gradebook, assignment.name, fixture.student)
        submission = gradebook.find_submission(assignment.name, fixture.student)
        raw, penalty = submission.score, submission.late_submission_penalty or 0.0
    assert possible > 0
    if fixture.score == "full":
        assert scored == possible
    elif fixture.score == "partial":
        assert 0 < scored < possible
    elif fixture.score == "zero":
        assert scored == 0
    elif fixture.score == "half":
        assert scored == possible and penalty == pytest.approx(raw / 2) and penalty > 0
    assert outcome.score == pytest.approx(max(0.0, raw - penalty))


def test_correct_submissions_keep_full_marks_with_no_notes(graded):
    for student in ("correct-1", "correct-2", "correct-3"):
        outcome = graded["outcomes"][student]
        assert outcome.status == "graded" and not outcome.notes, outcome.summary()


def test_no_process_started_by_grading_is_alive(graded):
    assert graded["left"] == []


def test_gradebook_is_intact(graded):
    assert integrity_check(graded["course"].gradebook_file) == "ok"


def test_no_file_outside_the_sandboxed_copies_changed(graded):
    before, after = graded["before"], graded["after"]
    assert set(after) == set(before), f"added {set(after) - set(before)}, removed {set(before) - set(after)}"
    assert {name for name in before if before[name] != after[name]} == set()
    # the sandbox's /tmp and home were its own
    marker = graded["marker"]
    assert not Path("/tmp", f"{marker}.txt").exists()
    assert not Path.home().joinpath(f"{marker}.txt").exists()
    assert not any(graded["course"].root.rglob(f"{marker}.txt"))


def test_no_connection_reached_the_host(graded):
    assert graded["listener"].connections == []


def test_export_has_one_row_and_a_status_per_submission(graded, tmp_path):
    target = tmp_path / "grades.csv"
    result = gillab("grade", "export", "--csv", str(target), "--course", str(graded["course"].root))
    assert result.returncode == 0, result.stderr
    rows = {row["student_id"]: row for row in csv.DictReader(target.open())}
    assert sorted(rows) == sorted(f.student for f in corpus.FIXTURES)
    for fixture in corpus.FIXTURES:
        row, outcome = rows[fixture.student], graded["outcomes"][fixture.student]
        assert (row["status"], row["reason"]) == (fixture.status, outcome.reason)
        assert float(row["score"]) == pytest.approx(outcome.score)


def test_feedback_tells_each_student_what_happened(graded):
    course = graded["course"]
    result = gillab("grade", "feedback", graded["assignment"].name, "--course", str(course.root), timeout=600)
    assert result.returncode == 0, result.stderr
    for fixture in corpus.FIXTURES:
        folder = course.folder("feedback", fixture.student, graded["assignment"].name)
        pages = sorted(folder.glob("*.html"))
        assert pages, f"no feedback for {fixture.student}"
        text = html.unescape(" ".join(page.read_text() for page in pages))
        outcome = graded["outcomes"][fixture.student]
        if outcome.status != "graded":
            assert outcome.reason in text
        for note in outcome.notes:
            assert note in text


def test_report_draws_scores_and_lists_the_problems(graded):
    course = graded["course"]
    result = gillab("grade", "report", graded["assignment"].name, "--course", str(course.root))
    assert result.returncode == 0, result.stderr
    folder = course.reports_dir / graded["assignment"].name
    assert (folder / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = html.unescape((folder / "report.html").read_text())
    for student, outcome in graded["outcomes"].items():
        assert (student in page) == (outcome.status != "graded"), student


def test_running_again_grades_nothing_new(graded):
    course = graded["course"]
    stamps = {student: outcome.graded_at for student, outcome in graded["outcomes"].items()}
    result = gillab(
        "grade", "autograde", graded["assignment"].name, "--course", str(course.root), env=graded["environment"]
    )
    assert result.returncode == 0, result.stderr
    assert f"{len(corpus.FIXTURES)} already graded and unchanged" in result.stdout
    again = load_outcomes(course.outcomes_dir, graded["assignment"].name)
    assert {student: outcome.graded_at for student, outcome in again.items()} == stamps


def test_a_grading_error_is_tried_again_on_the_next_run(graded):
    """A grading error is the grader's fault, not the student's: the next run grades it again."""
    course, name = graded["course"], graded["assignment"].name
    path = course.outcomes_dir / name / "correct-2.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "status": "grading error", "reason": "simulated", "graded_at": "before"}))
    result = gillab("grade", "autograde", name, "--course", str(course.root), env=graded["environment"])
    assert result.returncode == 0, result.stderr
    assert "1 submission(s) recorded" in result.stdout
    again = load_outcomes(course.outcomes_dir, name)
    assert again["correct-2"].status == "graded" and again["correct-2"].graded_at != "before"
    assert again["correct-1"].graded_at == graded["outcomes"]["correct-1"].graded_at


def test_a_notebook_past_its_whole_notebook_timeout_is_stopped(graded):
    assignment, course = graded["assignment"], graded["course"]
    corpus.write_fixtures(course.root, assignment, [corpus.SLOW], graded["listener"].port, graded["marker"])
    result = gillab(
        "grade",
        "autograde",
        assignment.name,
        "--student",
        corpus.SLOW.student,
        "--course",
        str(course.root),
        "--cell-timeout",
        "120",
        "--notebook-timeout",
        str(corpus.SLOW_NOTEBOOK_TIMEOUT),
        env=graded["environment"],
    )
    assert result.returncode == 0, result.stderr
    outcome = load_outcomes(course.outcomes_dir, assignment.name)[corpus.SLOW.student]
    assert outcome.status == "timeout"
    assert corpus.expected_text(corpus.SLOW.reason, assignment) in outcome.reason
    with course.gradebook() as gradebook:
        scored, possible = corpus.autograded_points(gradebook, assignment.name, corpus.SLOW.student)
    assert 0 < scored < possible
    assert processes_left(graded["marker"], f"GILLAB_TEST_RUN={graded['marker']}") == []


def test_outcome_files_are_json_with_the_fingerprint(graded):
    course = graded["course"]
    path = course.outcomes_dir / graded["assignment"].name / "correct-1.json"
    data = json.loads(path.read_text())
    assert data["status"] == "graded" and len(data["fingerprint"]) == 64 and data["sandbox"] == "bwrap"


def test_two_workers_graded_at_the_same_time(graded):
    """--jobs 2: two worker processes, and submissions whose grading intervals overlap."""
    outcomes = [o for o in graded["outcomes"].values() if o.started_at is not None]
    workers = {outcome.worker_pid for outcome in outcomes}
    assert len(workers) == 2, workers
    overlapping = [
        (a.student, b.student)
        for a in outcomes
        for b in outcomes
        if a.worker_pid != b.worker_pid and a.started_at < b.finished_at and b.started_at < a.finished_at
    ]
    assert overlapping
    assert os.getpid() not in workers
