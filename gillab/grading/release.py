"""``gillab grade release``: generate the student version of an assignment with nbgrader.

nbgrader's ``generate_assignment`` (through ``NbGraderAPI``) reads the source notebooks in
``solutions/<assignment>/``, writes the student version (solutions and hidden tests removed,
outputs cleared) to ``exercises/<assignment>/``, and records the assignment's cells in the
gradebook, which autograding needs. ``due`` sets the deadline that late penalties count from.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["release", "parse_due"]


def parse_due(text: str):
    """A due date from text such as ``2026-03-01 17:00 UTC`` or ``2026-03-01T17:00:00+01:00``.

    >>> parse_due("2026-03-01 17:00:00 UTC").isoformat()
    '2026-03-01T17:00:00'
    """
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(text)
    except (ValueError, OverflowError, TypeError) as error:
        raise ValueError(
            f"due date {text!r} is not a date and time (example: '2026-03-01 17:00 UTC'): {error}"
        ) from None


def release(course, assignment: str, due: str | None = None) -> dict:
    """Generate ``exercises/<assignment>`` from ``solutions/<assignment>``; returns what was made."""
    source = course.folder("source", ".", assignment)
    if not source.is_dir() or not any(source.glob("*.ipynb")):
        available = sorted(p.name for p in source.parent.iterdir() if p.is_dir()) if source.parent.is_dir() else []
        raise LookupError(
            f"no notebooks in {source}: the source of an assignment is a folder of nbgrader notebooks there "
            f"(assignments found: {', '.join(available) or 'none'})"
        )
    duedate = parse_due(due) if due else None
    result = course.api().generate_assignment(assignment, force=True, create=True)
    if not result.get("success"):
        detail = (result.get("error") or result.get("log") or "").strip().splitlines()[-5:]
        raise RuntimeError(f"nbgrader could not release {assignment}:\n" + "\n".join(detail))
    with course.gradebook() as gradebook:
        if duedate is not None:
            gradebook.update_or_create_assignment(assignment, duedate=duedate)
        found = gradebook.find_assignment(assignment)
        duedate_text = found.duedate.isoformat() if found.duedate else None
        notebooks = sorted(notebook.name for notebook in found.notebooks)
        max_score = found.max_score
    released = course.folder("release", ".", assignment)
    return {
        "assignment": assignment,
        "release_dir": str(released),
        "notebooks": notebooks,
        "max_score": max_score,
        "duedate": duedate_text,
        "files": sorted(str(Path(p).relative_to(released)) for p in released.rglob("*") if p.is_file()),
    }
