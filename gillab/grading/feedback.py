"""``gillab grade feedback``: what each student gets back, in ``grader/feedback/<student>/<assignment>/``.

For every autograded submission nbgrader's own ``generate_feedback`` writes ``<notebook>.html``
(the notebook with scores, test results, and the autograder's "Grading note" at the top when
something went wrong). A submission with nothing to render (``not a notebook``, ``missing
notebook``, a grading error) gets ``grading-status.html`` instead, saying what happened. Release
the folder to students with ``nbgrader release_feedback`` or your learning platform.
"""

from __future__ import annotations

import html
from pathlib import Path

from .outcome import load_outcomes

__all__ = ["feedback", "status_page", "add_grading_note", "NOTE_MARKER"]

#: Metadata flag of the "Grading note" cell the autograder puts at the top of a notebook.
NOTE_MARKER = "gillab_grading_note"


def add_grading_note(path: Path, outcome) -> bool:
    """Put a "Grading note" cell at the top of the autograded notebook ``path`` when the outcome
    has a status other than ``graded`` or any notes; replaces an earlier note. Returns whether
    the notebook now has one. nbgrader's feedback shows the cell like any other markdown.
    """
    import os
    import stat

    import nbformat
    from nbformat.v4 import new_markdown_cell

    wanted = outcome.status != "graded" or bool(outcome.notes) or bool(outcome.findings)
    notebook = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
    earlier = [cell for cell in notebook.cells if cell.get("metadata", {}).get(NOTE_MARKER)]
    if not wanted and not earlier:
        return False
    notebook.cells = [cell for cell in notebook.cells if not cell.get("metadata", {}).get(NOTE_MARKER)]
    lines = ["**Grading note** (added by the autograder, not part of your work)", ""]
    if outcome.status != "graded":
        lines.append(f"- **{outcome.status}**: {outcome.reason}")
    lines += [f"- {finding}" for finding in outcome.findings + outcome.disagreements]
    if outcome.withheld and outcome.status == "needs review":
        lines.append(f"- points withheld until then: {', '.join(outcome.withheld)}")
    lines += [f"- {note}" for note in outcome.notes]
    if wanted:
        notebook.cells.insert(0, new_markdown_cell("\n".join(lines), metadata={NOTE_MARKER: True}))
    mode = os.stat(path).st_mode
    os.chmod(path, mode | stat.S_IWUSR)  # nbgrader leaves autograded files read-only
    nbformat.write(notebook, str(path))
    os.chmod(path, mode)
    return wanted


def status_page(outcome) -> str:
    """A small HTML page telling the student what happened to a submission that could not be run.

    >>> from gillab.grading.outcome import Outcome
    >>> page = status_page(Outcome("not a notebook", reason="not a notebook: ps1.ipynb is not JSON",
    ...                            student="ann", assignment="ps1", score=0, max_score=5))
    >>> "ps1.ipynb is not JSON" in page and "0 / 5" in page
    True
    """
    score = "-" if outcome.score is None else f"{outcome.score:g}"
    maximum = "-" if outcome.max_score is None else f"{outcome.max_score:g}"
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in outcome.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(outcome.assignment)}: grading status</title></head>
<body style="font-family: sans-serif; max-width: 45em; margin: 2em auto">
<h1>{html.escape(outcome.assignment)}</h1>
<p><strong>Status: {html.escape(outcome.status)}</strong></p>
<p>{html.escape(outcome.reason)}</p>
{f"<ul>{notes}</ul>" if notes else ""}
<p>Score: {score} / {maximum}</p>
<p>Your submission could not be run, so there is no marked-up notebook. If you think this is a
mistake, contact your instructor with this page.</p>
</body></html>
"""


def feedback(course, assignment: str, students=None, exchange: bool = False) -> dict:
    """Write feedback for every graded student (or only ``students``), and release it into the
    exchange if asked; returns ``{student: paths}``."""
    outcomes = load_outcomes(course.outcomes_dir, assignment)
    if students:
        unknown = [student for student in students if student not in outcomes]
        if unknown:
            raise LookupError(f"no graded submission of {assignment} from {', '.join(unknown)}: autograde it first")
        outcomes = {student: outcomes[student] for student in students}
    if not outcomes:
        raise LookupError(f"nothing graded for {assignment} yet: run gillab grade autograde {assignment} first")
    api = course.api()
    rendered = [student for student in outcomes if course.folder("autograded", student, assignment).is_dir()]
    # one nbgrader run for everybody is much faster than one per student
    batches = [[None]] if rendered and not students else [[student] for student in rendered]
    for batch in batches:
        result = api.generate_feedback(assignment, batch[0], force=True)
        if not result.get("success"):
            detail = (result.get("error") or "").strip().splitlines()
            raise RuntimeError(
                f"nbgrader could not write feedback for {batch[0] or assignment}: "
                f"{detail[-1] if detail else 'no message'}"
            )
    written = {}
    for student, outcome in outcomes.items():
        folder = course.folder("feedback", student, assignment)
        page = folder / "grading-status.html"
        if student in rendered:
            page.unlink(missing_ok=True)
            written[student] = sorted(str(p) for p in Path(folder).glob("*.html"))
        else:
            folder.mkdir(parents=True, exist_ok=True)
            for stale in folder.glob("*.html"):  # feedback from an earlier grading of this student
                stale.unlink()
            page.write_text(status_page(outcome))
            written[student] = [str(page)]
    if exchange:
        for student in students or [None]:
            result = api.release_feedback(assignment, student)
            if not result.get("success"):
                detail = (result.get("error") or result.get("log") or "").strip().splitlines()[-3:]
                raise RuntimeError(f"nbgrader could not release the feedback of {assignment} into the exchange:\n"
                                   + "\n".join(detail))
    return written
