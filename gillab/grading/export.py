"""``gillab grade export --csv FILE``: one row per student and assignment, with a status column.

Scores come from nbgrader's gradebook (so manual grades entered later in the Formgrader count);
status, reason and notes from the autograder's outcome files. Besides the outcome statuses
(:mod:`gillab.grading.outcome`) a row can say ``not submitted`` (the student is in the gradebook
but has no submission of that assignment) or ``not graded yet`` (collected, not autograded).

The columns extend nbgrader's own CSV export (same names for the shared columns).
:class:`StatusCsvExportPlugin` offers the same file to ``nbgrader export``::

    nbgrader export --exporter=gillab.grading.export.StatusCsvExportPlugin --to grades.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from nbgrader.plugins import ExportPlugin

from .autograde import find_submissions
from .outcome import load_outcomes

__all__ = ["COLUMNS", "export_rows", "export_csv", "StatusCsvExportPlugin"]

COLUMNS = [
    "assignment", "duedate", "student_id", "last_name", "first_name", "email",
    "status", "reason", "notes", "timestamp", "raw_score", "late_submission_penalty", "score", "max_score",
    "needs_manual_grade", "graded_at", "sandbox",
]


def _number(value) -> str:
    return "" if value is None else f"{float(value):g}"


def export_rows(course, gradebook, assignments=None) -> list[dict]:
    """The export's rows, for every (assignment, student) pair in ``gradebook`` (optionally filtered)."""
    rows = []
    chosen = [a for a in gradebook.assignments if not assignments or a.name in assignments]
    if assignments:
        unknown = set(assignments) - {a.name for a in chosen}
        if unknown:
            raise LookupError(f"no assignment {', '.join(sorted(unknown))} in the gradebook (known: "
                              f"{', '.join(a.name for a in gradebook.assignments) or 'none'})")
    students = sorted(gradebook.students, key=lambda s: s.id)
    for assignment in sorted(chosen, key=lambda a: (a.duedate is None, a.duedate, a.name)):
        outcomes = load_outcomes(course.outcomes_dir, assignment.name)
        collected = find_submissions(course, assignment.name)
        for student in students:
            row = {
                "assignment": assignment.name,
                "duedate": assignment.duedate.isoformat() if assignment.duedate else "",
                "student_id": student.id,
                "last_name": student.last_name or "",
                "first_name": student.first_name or "",
                "email": student.email or "",
                "max_score": _number(assignment.max_score),
            }
            outcome = outcomes.get(student.id)
            try:
                submission = gradebook.find_submission(assignment.name, student.id)
            except Exception:  # noqa: BLE001 - nbgrader raises MissingEntry
                submission = None
            if outcome is not None:
                row.update(status=outcome.status, reason=outcome.reason,
                           notes="; ".join([*outcome.findings, *outcome.disagreements, *outcome.notes]),
                           graded_at=outcome.graded_at, sandbox=outcome.sandbox)
            elif student.id in collected:
                # scores may be there from plain nbgrader or a run cut short: the outcome is the record
                row.update(
                    status="not graded yet", reason="collected; no outcome recorded (run gillab grade autograde)"
                )
            elif submission is not None:
                row.update(status="graded", reason="graded outside gillab grade: no outcome recorded")
            else:
                row.update(status="not submitted", reason="")
            if submission is not None:
                penalty = submission.late_submission_penalty or 0.0
                row.update(
                    timestamp=submission.timestamp.isoformat() if submission.timestamp else "",
                    raw_score=_number(submission.score),
                    late_submission_penalty=_number(penalty),
                    score=_number(max(0.0, submission.score - penalty)),
                    needs_manual_grade=str(bool(submission.needs_manual_grade)).lower(),
                )
            elif row["status"] == "not submitted":
                row.update(raw_score="0", late_submission_penalty="0", score="0")
            rows.append({column: row.get(column, "") for column in COLUMNS})
    return rows


def export_csv(course, destination: str, assignments=None) -> int:
    """Write the CSV to ``destination`` (``-``: standard output); returns the number of rows."""
    with course.gradebook() as gradebook:
        rows = export_rows(course, gradebook, assignments)
    if destination == "-":
        _write(sys.stdout, rows)
    else:
        path = Path(destination)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="") as stream:
            _write(stream, rows)
    return len(rows)


def _write(stream, rows: list[dict]) -> None:
    writer = csv.DictWriter(stream, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)


class StatusCsvExportPlugin(ExportPlugin):
    """nbgrader export plugin writing the same CSV as ``gillab grade export``."""

    def export(self, gradebook) -> None:
        """Write the CSV for ``gradebook`` to ``self.to`` (default ``grades.csv``)."""
        from .course import Course

        course = Course.load()
        rows = export_rows(course, gradebook, self.assignment or None)
        if self.student:
            rows = [row for row in rows if row["student_id"] in self.student]
        with open(self.to or "grades.csv", "w", newline="") as stream:
            _write(stream, rows)
