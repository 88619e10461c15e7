"""A class of 20 submitting through nbgrader's exchange at the same moment, each as their own Unix
user, without a browser; and what one student can reach of others' work.

Real components: Unix accounts, nbgrader's exchange (fetch and submit in each student's own
process, after setuid to that student), ``gillab grade`` run as the instructor's Unix user,
bubblewrap sandboxes for autograding. Every user and group made here is removed afterwards.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest
import support.grading_corpus as corpus
from support.classroom import classroom_for_test, home, require_classroom, run_as
from support.skips import import_server_side

import_server_side("nbgrader")

from gillab.classroom.simulated_class import submit_at_once  # noqa: E402
from gillab.grading import submissions as sub  # noqa: E402

pytestmark = pytest.mark.slow
ASSIGNMENT, NOTEBOOK = "ps1_parallel_sum", "parallel_sum"


@pytest.fixture(scope="module")
def classroom(bubblewrap):
    require_classroom()
    with classroom_for_test(students=20, start_hub=False) as classroom:
        course = home(classroom.settings.instructor) / classroom.settings.course_id
        config = course / "grader" / "nbgrader_config.py"
        config.write_text(config.read_text() + corpus.LATE_CONFIG)  # 25 % per started day late
        released = run_as(classroom, classroom.settings.instructor,
                          f"gillab grade release {ASSIGNMENT} --exchange", cwd="course")
        assert released.returncode == 0, released.stderr
        yield classroom


def _answers(classroom, students, wrong=()):
    """Each student's notebook: the solution with a marker naming them (so no two are alike)."""
    course = home(classroom.settings.instructor) / classroom.settings.course_id
    released = nbformat.read(str(course / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), as_version=4)
    source = nbformat.read(str(course / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), as_version=4)
    answered = sub.fill_answers(released, source)
    texts = {}
    for student in students:
        notebook = sub.inject(answered, "split_range", f"# answer of {student}", where="start")
        if student in wrong:
            notebook = sub.replace_source(notebook, "threaded_sum", "def threaded_sum(n, n_threads):\n    return -1")
        texts[student] = nbformat.writes(notebook)
    return texts


def _submit(classroom, answers, **options):
    venv = Path(classroom._runtime()["venv"])
    return {r["student"]: r for r in submit_at_once(venv / "bin" / "python", classroom.settings.user_config_dir,
                                                   ASSIGNMENT, NOTEBOOK, answers, **options)}


def test_twenty_students_submit_at_once_and_every_submission_is_collected_graded_and_penalised_if_late(classroom):
    instructor = classroom.settings.instructor
    students = [s.id for s in classroom.students()]
    first, late, spoofer, victim, big = students[0], students[-1], students[2], students[3], students[4]
    wave = _submit(classroom, _answers(classroom, students, wrong={first}))
    assert [s for s, r in wave.items() if not r["ok"]] == [], wave
    # released together: no student started submitting before every student was ready
    assert min(r["start"] for r in wave.values()) >= max(r["ready"] for r in wave.values())
    # each has nbgrader's timestamp (two can share a microsecond: they really were submitted at once)
    assert all(r["timestamp"].endswith(" UTC") for r in wave.values())

    again = _submit(classroom, _answers(classroom, [first]))  # the resubmission, right this time
    spoof = _submit(classroom, _answers(classroom, [spoofer]), student_flag={spoofer: victim})
    too_big = _submit(classroom, _answers(classroom, [big]), extra_bytes={big: 25_000_000})
    assert again[first]["ok"] and spoof[spoofer]["ok"]
    assert not too_big[big]["ok"] and "over the limit of 20.0 MB" in too_big[big]["error"]
    assert "earlier submissions of ps1_parallel_sum are kept" in too_big[big]["error"]

    due = datetime.now(timezone.utc) + timedelta(seconds=2)
    dated = run_as(classroom, instructor, f"gillab grade release {ASSIGNMENT} --due '{due:%Y-%m-%d %H:%M:%S} UTC'",
                   cwd="course")
    assert dated.returncode == 0, dated.stderr
    while datetime.now(timezone.utc) < due + timedelta(seconds=1):
        time.sleep(0.2)
    late_wave = _submit(classroom, _answers(classroom, [late]))
    assert late_wave[late]["ok"]

    collected = run_as(classroom, instructor, f"gillab grade collect {ASSIGNMENT} exchange", cwd="course")
    assert collected.returncode == 0, collected.stderr
    assert f"{ASSIGNMENT}: 20 new" in collected.stdout
    assert f"REFUSED {victim}+{ASSIGNMENT}+{spoof[spoofer]['timestamp']}" in collected.stdout
    assert f"belongs to {spoofer}" in collected.stdout
    course = home(instructor) / classroom.settings.course_id
    newest = {**{s: r["timestamp"] for s, r in wave.items()}, first: again[first]["timestamp"],
              late: late_wave[late]["timestamp"]}
    for student in students:  # none lost, none mixed up, each with its own time
        folder = course / "grader" / "submitted" / student / ASSIGNMENT
        assert f"# answer of {student}" in (folder / f"{NOTEBOOK}.ipynb").read_text()
        assert (folder / "timestamp.txt").read_text().strip() == newest[student]
    log = (course / "grader" / "logs" / ASSIGNMENT / "exchange-collect.log").read_text()
    for student, times in ((first, [wave[first]["timestamp"], again[first]["timestamp"]]),
                           (late, [wave[late]["timestamp"], late_wave[late]["timestamp"]])):
        lines = [line for line in log.splitlines() if line.split("\t")[1] == student]
        assert sorted(line.split("\t")[2] for line in lines) == sorted(times), lines
    assert f"{first}: 2 submissions" in collected.stdout

    graded = run_as(classroom, instructor, f"gillab grade autograde {ASSIGNMENT} --jobs 2", cwd="course")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    exported = run_as(classroom, instructor, "gillab grade export --csv grades.csv && cat grades.csv", cwd="course")
    assert exported.returncode == 0, exported.stderr
    import csv
    import io

    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(exported.stdout.split("\n", 1)[1]))}
    assert sorted(rows) == sorted(students)
    assert all(rows[s]["status"] == "graded" for s in students), {s: rows[s]["status"] for s in students}
    assert float(rows[late]["late_submission_penalty"]) > 0
    assert [s for s in students if float(rows[s]["late_submission_penalty"] or 0) > 0] == [late]
    assert float(rows[first]["raw_score"]) == float(rows[students[1]]["raw_score"])  # the resubmission counted
    outcome = json.loads((course / "grader" / "outcomes" / ASSIGNMENT / f"{late}.json").read_text())
    assert any("late by" in note for note in outcome["notes"]), outcome


def test_a_student_cannot_read_another_s_submission_the_gradebook_or_the_solutions(classroom):
    students = [s.id for s in classroom.students()]
    me, other = students[5], students[6]
    _submit(classroom, _answers(classroom, [other]))
    inbound = classroom.settings.exchange_root / classroom.settings.course_id / "inbound"
    entry = sorted(p for p in inbound.iterdir() if p.name.startswith(f"{other}+"))[-1]
    course = home(classroom.settings.instructor) / classroom.settings.course_id
    attempts = {
        "list inbound": f"ls '{inbound}'",
        "read another's submission by name": f"cat '{entry}/{NOTEBOOK}.ipynb'",
        "remove another's submission": f"rm -rf '{entry}'",
        "read the gradebook": f"cat '{course}/grader/gradebook.db'",
        "list the solutions": f"ls '{course}/solutions'",
        "read the solution": f"cat '{course}/solutions/{ASSIGNMENT}/{NOTEBOOK}.ipynb'",
        "read another student's home": f"ls '{home(other)}'",
    }
    for what, command in attempts.items():
        result = run_as(classroom, me, command)
        refused = "Permission denied" in result.stderr or "Operation not permitted" in result.stderr
        assert result.returncode != 0 and refused, (what, result)
    assert (entry / f"{NOTEBOOK}.ipynb").exists()
    # the instructor can, which is what the permissions are for
    assert run_as(classroom, classroom.settings.instructor, f"cat '{entry}/{NOTEBOOK}.ipynb'").returncode == 0
