"""The one writer of the course's gradebook during autograding.

Workers grade against private snapshots (:func:`snapshot`); the parent alone writes the real
gradebook, one submission at a time, with nbgrader's own code: ``Gradebook`` to register the
student and the submission (with its timestamp), then nbgrader's ``SaveAutoGrades`` and
``AssignLatePenalties`` preprocessors run on the autograded notebook the worker returned, exactly
as they run inside ``nbgrader autograde``. A notebook with no autograded copy (missing, not a
notebook, grading failed) scores zero on every test, as nbgrader does for a missing notebook.

sqlite keeps each write atomic; :func:`integrity_check` runs ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import sqlite3
import warnings
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "snapshot", "commit_grades", "integrity_check", "assignment_notebooks", "SubmissionScore", "shared_engines",
    "quiet_nbgrader_warnings",
]


@contextmanager
def shared_engines():
    """While active, nbgrader's ``Gradebook`` objects reuse one SQLAlchemy engine per database.

    nbgrader opens a new ``Gradebook``, and with it a new engine whose cache of compiled SQL
    starts empty, for every step (registering the submission, saving grades, the late penalty).
    Sharing the engine keeps the compiled queries: committing one submission went from 0.28 s
    to 0.08 s here. Each ``Gradebook`` still has its own session, and closing it only empties
    the engine's connection pool, so nothing else changes.
    """
    import nbgrader.api

    original = nbgrader.api.create_engine
    engines: dict = {}

    def create_engine(url, **options):
        key = (str(url), tuple(sorted(options.items())))
        if key not in engines:
            engines[key] = original(url, **options)
        return engines[key]

    nbgrader.api.create_engine = create_engine
    try:
        yield
    finally:
        nbgrader.api.create_engine = original
        for engine in engines.values():
            engine.dispose()


def snapshot(gradebook_file: Path, destination: Path) -> Path:
    """A consistent copy of the gradebook (sqlite's online backup), for workers to read and scribble on."""
    destination = Path(destination)
    # read-write, not read-only: after a crash in the middle of a write, sqlite must first roll
    # back the interrupted transaction from its journal, which a read-only connection cannot
    source = sqlite3.connect(f"file:{gradebook_file}?mode=rw", uri=True)
    target = sqlite3.connect(destination)
    try:
        with target:
            source.backup(target)
    finally:
        source.close()
        target.close()
    return destination


def integrity_check(gradebook_file: Path) -> str:
    """sqlite's ``PRAGMA integrity_check`` of the gradebook: ``"ok"`` when it is intact.

    Opened read-write like any later use would: a transaction cut off by a crash is rolled back
    from sqlite's journal first (that is how sqlite keeps the file intact), then checked.
    """
    connection = sqlite3.connect(f"file:{gradebook_file}?mode=rw", uri=True)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    return "; ".join(str(row[0]) for row in rows)


def assignment_notebooks(course, assignment: str) -> list[str]:
    """The notebook names of ``assignment`` in the gradebook; a clear error if it was never released."""
    from nbgrader.api import MissingEntry

    with course.gradebook() as gradebook:
        try:
            found = gradebook.find_assignment(assignment)
        except MissingEntry:
            known = ", ".join(a.name for a in gradebook.assignments) or "none"
            raise LookupError(
                f"assignment {assignment!r} is not in the gradebook (known: {known}). "
                f"Release it first: gillab grade release {assignment}"
            ) from None
        return sorted(notebook.name for notebook in found.notebooks)


@contextmanager
def quiet_nbgrader_warnings():
    """Silence the SQLAlchemy 2.x "not in session" warnings nbgrader's models raise on every new
    submission: they are about nbgrader's internals and change nothing that is stored."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session")
        yield


class SubmissionScore(dict):
    """``raw_score``, ``late_penalty``, ``score``, ``max_score``, ``seconds_late``, ``timestamp``, ``duedate``."""


def commit_grades(
    course, assignment: str, student: str, autograded_dir: Path | None, timestamp=None
) -> SubmissionScore:
    """Write one student's autograde results into the course's gradebook; return the new score.

    ``autograded_dir`` holds the autograded notebooks (``None``: nothing could be graded).
    ``timestamp`` is the submission time (``None``: nbgrader counts it as on time).
    """
    with quiet_nbgrader_warnings():
        return _commit_grades(course, assignment, student, autograded_dir, timestamp)


def _commit_grades(course, assignment, student, autograded_dir, timestamp) -> SubmissionScore:
    import nbformat
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

    with course.gradebook() as gradebook:
        gradebook.update_or_create_student(student)
        if timestamp is not None:
            gradebook.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gradebook.update_or_create_submission(assignment, student)
        names = [notebook.name for notebook in gradebook.find_assignment(assignment).notebooks]
    for name in names:
        path = Path(autograded_dir) / f"{name}.ipynb" if autograded_dir else None
        if path is not None and path.exists():
            notebook = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
            resources = {
                "nbgrader": {"notebook": name, "assignment": assignment, "student": student, "db_url": course.db_url}
            }
            SaveAutoGrades(config=course.config).preprocess(notebook, resources)
            AssignLatePenalties(config=course.config).preprocess(notebook, resources)
        else:
            _zero(course, assignment, student, name)
    with course.gradebook() as gradebook:
        submission = gradebook.find_submission(assignment, student)
        penalty = submission.late_submission_penalty or 0.0
        return SubmissionScore(
            raw_score=submission.score,
            late_penalty=penalty,
            score=max(0.0, submission.score - penalty),
            max_score=submission.max_score,
            seconds_late=submission.total_seconds_late,
            timestamp=submission.timestamp.isoformat() if submission.timestamp else None,
            duedate=submission.duedate.isoformat() if submission.duedate else None,
        )


def _zero(course, assignment: str, student: str, notebook: str) -> None:
    """Every test of the notebook scores zero: what nbgrader does for a notebook not submitted."""
    with course.gradebook() as gradebook:
        submitted = gradebook.find_submission_notebook(notebook, assignment, student)
        for grade in submitted.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        submitted.late_submission_penalty = None
        gradebook.db.commit()
