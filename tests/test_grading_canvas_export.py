"""`gillab grade export --format canvas`: checked against Canvas's documented import format.

The rules below are Canvas's own, as its importer (``GradebookImporter``, app/models/
gradebook_importer.rb in instructure/canvas-lms) and Instructure's guide "How do I import grades in
the Gradebook?" state them (see gillab/grading/canvas_export.py for the sources). No Canvas is
reachable here: a real upload is not tested.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys

import pytest
import support.grading_corpus as corpus
from support.skips import import_server_side

import_server_side("nbgrader")

from gillab.grading.course import Course  # noqa: E402
from gillab.grading.gradebook import quiet_nbgrader_warnings  # noqa: E402

_SCORE = re.compile(r"^(|-|EX|\d+(\.\d+)?)$")


def canvas_problems(rows: list[list[str]]) -> list[str]:
    """Every way ``rows`` break Canvas's gradebook-import rules (empty: Canvas accepts the file)."""
    problems = []
    header = rows[0]
    if len(header) <= 3 or "Student" not in header[0] or "ID" not in header[1]:
        problems.append(f"invalid header row: first cells must be Student and ID, more than 3 columns: {header}")
    optional = {"Integration ID", "Root Account"}
    try:
        section = header.index("Section")
    except ValueError:
        return problems + ["invalid header row: no Section column ends the student columns"]
    middle = [cell for cell in header[2:section] if cell not in optional]
    if middle not in (["SIS Login ID"], ["SIS User ID", "SIS Login ID"]):
        problems.append(f"invalid header row: between ID and Section Canvas reads SIS User ID, SIS Login ID: {middle}")
    assignments = header[section + 1 :]
    if not assignments:
        problems.append("no assignment column")
    points = [row for row in rows[1:] if row and "Points Possible" in row[0]]
    if len(points) != 1 or any(not _SCORE.match(cell) or cell in ("", "-") for cell in points[0][section + 1 :]):
        problems.append(f"the Points Possible row must give every new assignment its points: {points}")
    for row in rows[1:]:
        if len(row) != len(header):
            problems.append(f"row of {len(row)} cells under a header of {len(header)}: {row}")
        elif not row[0] and not row[1] and not row[3]:
            problems.append(f"a student row Canvas cannot match (no name, ID or SIS Login ID): {row}")
        elif "Points Possible" not in row[0]:
            problems += [f"score {cell!r} of {row[3]} is not a number, blank, - or EX"
                         for cell in row[section + 1 :] if not _SCORE.match(cell)]
    return problems


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return corpus.released_course(tmp_path_factory.mktemp("template"), corpus.DEMO)


@pytest.fixture
def course(released, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(released, copy)
    course = Course.load(copy)
    with quiet_nbgrader_warnings(), course.gradebook() as gradebook:
        for student, first, last, points in (("ann", "Ann", "Lee", 3.0), ("zed", "Zed", "Ray", 1.0)):
            gradebook.update_or_create_student(student, first_name=first, last_name=last)
            gradebook.update_or_create_submission("demo_sum", student)
            for cell in gradebook.find_assignment("demo_sum").notebooks[0].grade_cells:
                grade = gradebook.find_grade(cell.name, "demo_sum", "demo_sum", student)
                grade.auto_score = min(points, cell.max_score)
                points -= grade.auto_score
        gradebook.db.commit()
    return course


def _export(course, tmp_path, roster_text):
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_text)
    out = tmp_path / "canvas.csv"
    result = subprocess.run(
        [sys.executable, "-m", "gillab", "grade", "export", "--format", "canvas", "--roster", str(roster),
         "--csv", str(out), "--course", str(course.root)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ),
    )
    return result, (list(csv.reader(io.StringIO(out.read_text()))) if out.exists() else None)


def test_the_canvas_export_follows_canvas_s_import_format_and_lists_every_mismatch(course, tmp_path):
    result, rows = _export(course, tmp_path, "id,name,email\nann,Ann Lee,ann@uni.example\nbob,Bob Roy,\n")
    assert result.returncode == 0, result.stderr
    assert canvas_problems(rows) == []
    with course.gradebook() as gradebook:
        maximum = gradebook.find_assignment("demo_sum").max_score
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "demo_sum"]
    assert rows[1][0].strip() == "Points Possible" and float(rows[1][5]) == maximum
    by_login = {row[3]: row for row in rows[2:]}
    assert by_login["ann"][0] == "Lee, Ann" and float(by_login["ann"][5]) == min(3.0, maximum)
    assert by_login["bob"][5] == ""  # on the roster, no submission: blank leaves Canvas unchanged
    assert by_login["zed"][0] == "Ray, Zed"  # graded, not on the roster: listed, never dropped
    assert "not in the roster" in result.stderr and "zed" in result.stderr
    assert "no graded submission from 1 roster student(s)" in result.stderr and "bob" in result.stderr


def test_the_format_check_catches_what_canvas_refuses():
    good = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ps1"],
            ["    Points Possible", "", "", "", "", "17"], ["Lee, Ann", "", "", "ann", "", "12.5"]]
    assert canvas_problems(good) == []
    assert canvas_problems([[c for c in row if c != "Section"] for row in good[:1]] + good[1:])
    assert canvas_problems([good[0], good[2]])  # no Points Possible row
    assert canvas_problems(good[:2] + [["Lee, Ann", "", "", "ann", "", "twelve"]])


def test_the_canvas_export_needs_a_good_roster(course, tmp_path):
    result, _ = _export(course, tmp_path, "id,name,email\nann,Ann,\nann,Ann again,\n")
    assert result.returncode == 2 and "id 'ann' is already on line 2" in result.stderr
    roster = tmp_path / "r.csv"
    roster.write_text("id,name,email\n")
    missing = subprocess.run([sys.executable, "-m", "gillab", "grade", "export", "--format", "canvas", "--csv", "-",
                              "--course", str(course.root)], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "--format canvas needs --roster FILE" in missing.stderr
