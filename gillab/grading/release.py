"""``gillab grade release``: generate the student version of an assignment with nbgrader.

nbgrader's ``generate_assignment`` (through ``NbGraderAPI``) reads the source notebooks in
``solutions/<assignment>/``, writes the student version (solutions and hidden tests removed,
outputs cleared) to ``exercises/<assignment>/``, and records the assignment's cells in the
gradebook, which autograding needs. ``due`` sets the deadline that late penalties count from.
With ``exchange``, nbgrader's ``release_assignment`` then puts that student version into the
course's exchange (``Exchange.root`` of the course's configuration), where students fetch it from
JupyterLab's Assignments tab; releasing again replaces it there (fetched copies are not touched).
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


def release(course, assignment: str, due: str | None = None, exchange: bool = False) -> dict:
    """Generate ``exercises/<assignment>`` from ``solutions/<assignment>`` (and put it into the
    exchange); returns what was made."""
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
    outbound = _to_exchange(course, assignment) if exchange else None
    return {
        "exchange": outbound,
        "assignment": assignment,
        "release_dir": str(released),
        "notebooks": notebooks,
        "max_score": max_score,
        "duedate": duedate_text,
        "files": sorted(str(Path(p).relative_to(released)) for p in released.rglob("*") if p.is_file()),
    }


def _to_exchange(course, assignment: str) -> str:
    import copy

    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = copy.deepcopy(course.config)
    config.ExchangeReleaseAssignment.force = True  # a second release replaces the first
    coursedir = CourseDirectory(config=config)
    root = config.get("Exchange", {}).get("root")
    if not root:
        raise ValueError(
            f"the course's configuration ({course.config_file}) names no exchange (c.Exchange.root): "
            "make classroom adds it to the classroom's copy of the course; elsewhere add the line yourself"
        )
    result = NbGraderAPI(coursedir=coursedir, config=config).release_assignment(assignment)
    if not result.get("success"):
        detail = (result.get("error") or result.get("log") or "").strip().splitlines()[-3:]
        raise RuntimeError(f"nbgrader could not put {assignment} into the exchange {root}:\n" + "\n".join(detail))
    return str(Path(root) / coursedir.course_id / "outbound" / assignment)
