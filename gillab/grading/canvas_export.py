"""``gillab grade export --format canvas --roster FILE``: grades as a CSV that Canvas's gradebook
import accepts.

The format, from Canvas's own documentation and its importer:

- Instructure's guide "How do I import grades in the Gradebook?"
  (https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807):
  the file is the gradebook's export layout; a column whose header is a new title creates a new
  assignment; uploaded scores replace the ones in Canvas.
- Ohio State's CarmenCanvas guide
  (https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades):
  the required columns are Student, ID, SIS User ID, SIS Login ID and Section, then one column per assignment.
- Canvas's parser, ``GradebookImporter`` in ``app/models/gradebook_importer.rb`` of
  instructure/canvas-lms: the header's first cell contains "Student" and its second "ID", then
  "SIS User ID" and "SIS Login ID", and the last student column is "Section"; a row whose first
  cell contains "Points Possible" gives new assignments their points; students are matched by
  ``ID`` (Canvas's own number), then SIS User ID, then SIS Login ID, then name; a blank score
  changes nothing; an assignment header ``Title (number)`` matches Canvas's assignment of that id.

Here ``ID`` and ``SIS User ID`` are left blank (the roster has neither) and ``SIS Login ID`` is the
roster id, so each student's Canvas login must be their id in the roster. The score is nbgrader's
after the late penalty; blank where there is no submission, it is not graded yet, or it needs
review (its withheld points wait for ``gillab grade review``). Students in
the gradebook but not in the roster get a row too (Canvas lists them as unknown), and both kinds
of mismatch are reported.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .export import export_rows

__all__ = ["CANVAS_STUDENT_COLUMNS", "POINTS_POSSIBLE", "canvas_table", "write_canvas_csv", "CanvasExport"]

#: The student columns Canvas expects, in order; the assignments follow.
CANVAS_STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
#: The first cell of the row of points (Canvas's own export indents it with spaces).
POINTS_POSSIBLE = "    Points Possible"
#: A held submission's score is not final until the instructor's review: Canvas gets nothing yet
_NO_SCORE = {"not submitted", "not graded yet", "needs review"}


@dataclass
class CanvasExport:
    """The table, and who did not match: ``not_in_roster`` (in the gradebook only) and
    ``no_submission`` ({assignment: roster ids without a submission})."""

    rows: list
    not_in_roster: list = field(default_factory=list)
    no_submission: dict = field(default_factory=dict)

    def summary(self) -> str:
        """The mismatches, for people."""
        lines = []
        if self.not_in_roster:
            lines.append(f"in the gradebook but not in the roster (rows added; Canvas will not match them): "
                         f"{', '.join(self.not_in_roster)}")
        for assignment, students in self.no_submission.items():
            if students:
                lines.append(f"{assignment}: no graded submission from {len(students)} roster student(s) "
                             f"(score left blank): {', '.join(students)}")
        return "\n".join(lines)


def _sortable(last: str, first: str, fallback: str) -> str:
    if last and first:
        return f"{last}, {first}"
    return last or first or fallback


def canvas_table(course, gradebook, roster, assignments=None) -> CanvasExport:
    """The Canvas import table for ``roster`` (:class:`gillab.classroom.roster.Student` rows)."""
    rows = export_rows(course, gradebook, assignments)
    names = list(dict.fromkeys(row["assignment"] for row in rows))
    if not names:
        raise LookupError("the gradebook has no assignment yet: release one first (gillab grade release)")
    points = {row["assignment"]: row["max_score"] for row in rows}
    scores, people = {}, {}
    for row in rows:
        people.setdefault(row["student_id"], _sortable(row["last_name"], row["first_name"], row["student_id"]))
        if row["status"] not in _NO_SCORE and row["score"] != "":
            scores[row["student_id"], row["assignment"]] = row["score"]
    table = [[*CANVAS_STUDENT_COLUMNS, *names], [POINTS_POSSIBLE, "", "", "", "", *(points[n] for n in names)]]
    listed = [student.id for student in roster]
    for student in roster:
        table.append([student.sortable_name, "", "", student.id, "",
                      *(scores.get((student.id, name), "") for name in names)])
    extra = sorted(set(people) - set(listed))
    for student_id in extra:
        table.append([people[student_id], "", "", student_id, "", *(scores.get((student_id, n), "") for n in names)])
    missing = {name: [s for s in listed if (s, name) not in scores] for name in names}
    return CanvasExport(rows=table, not_in_roster=extra, no_submission=missing)


def write_canvas_csv(course, destination: str, roster_file: str, assignments=None) -> CanvasExport:
    """Write the Canvas CSV for the roster in ``roster_file`` to ``destination`` (``-``: standard output)."""
    from ..classroom.roster import read_roster

    roster = read_roster(roster_file)
    with course.gradebook() as gradebook:
        export = canvas_table(course, gradebook, roster, assignments)
    if destination == "-":
        csv.writer(sys.stdout, lineterminator="\n").writerows(export.rows)
    else:
        path = Path(destination)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as stream:
            csv.writer(stream).writerows(export.rows)
    return export
