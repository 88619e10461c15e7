"""``gillab grade review``: the instructor's decision on submissions that ``needs review``.

A submission needs review when the tamper scan found code that reaches for the grader's
instruments, or when a test passed in the kernel that the grader's witness did not see pass
(:mod:`gillab.grading.worker`). Its witnessed tests (the parallelism tests) then score zero in the
gradebook, and the outcome keeps, per test, the points the test would score (``withheld``: a test
the witness failed would score zero anyway).

- ``review ASSIGNMENT`` lists every submission that needs review, with the cells and lines.
- ``review ASSIGNMENT --student ID --clear "why"``: the findings were innocent; the withheld points
  go into the gradebook, the status becomes ``graded`` and the decision is kept in the outcome.
- ``review ASSIGNMENT --student ID --uphold "why"``: the tampering is confirmed; the tests keep
  zero, the status becomes ``graded`` with the decision noted.

Run ``gillab grade feedback`` afterwards so that the student's feedback says the same. Grading the
submission again (``autograde --force``) starts the review over.
"""

from __future__ import annotations

from datetime import datetime, timezone

from .outcome import load_outcome, load_outcomes, save_outcome

__all__ = ["pending_reviews", "decide", "DECISIONS"]

#: What an instructor can decide, and the note each leaves in the outcome.
DECISIONS = {"clear": "cleared by the instructor", "uphold": "tampering confirmed by the instructor"}


def _undecided(outcome) -> bool:
    # a submission that also crashed shows that status first, but its findings still wait
    return not outcome.review and (outcome.status == "needs review" or bool(outcome.findings or outcome.disagreements))


def pending_reviews(course, assignment: str) -> dict:
    """``{student: outcome}`` of every submission of ``assignment`` whose review is undecided."""
    return {student: outcome for student, outcome in load_outcomes(course.outcomes_dir, assignment).items()
            if _undecided(outcome)}


def _write_points(course, assignment: str, student: str, points: dict) -> float:
    """Put ``points`` (by test) into the gradebook; return the new score, late penalty applied."""
    with course.gradebook() as gradebook:
        submission = gradebook.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in points:
                    grade.auto_score = points[grade.name]
        gradebook.db.commit()
        return max(0.0, submission.score - (submission.late_submission_penalty or 0.0))


def decide(course, assignment: str, student: str, decision: str, why: str):
    """Record the instructor's ``decision`` ("clear" or "uphold") on ``student``'s submission and
    return the updated outcome; a LookupError says when there is nothing to decide."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    if not why or not why.strip():
        raise ValueError("say why (the reason is kept with the grade and shown to the student)")
    outcome = load_outcome(course.outcomes_dir, assignment, student)
    if outcome is None:
        raise LookupError(f"no graded submission of {assignment} from {student}")
    if not _undecided(outcome):
        decided = f"decided on {outcome.review['at'][:10]}" if outcome.review else f"its status is {outcome.status!r}"
        raise LookupError(f"{student}'s {assignment} does not need review ({decided})")
    points = outcome.withheld if decision == "clear" else {name: 0.0 for name in outcome.withheld}
    score = _write_points(course, assignment, student, points)
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    outcome.review = {"decision": decision, "why": why.strip(), "at": when, "points": points}
    if outcome.status == "needs review":
        outcome.status, outcome.reason = "graded", ""
    outcome.notes = [*outcome.notes, f"{DECISIONS[decision]} on {when[:10]}: {why.strip()}"]
    outcome.score = score
    _rewrite_autograded(course, assignment, student, outcome)
    save_outcome(course.outcomes_dir, outcome)
    return outcome


def _rewrite_autograded(course, assignment: str, student: str, outcome) -> None:
    """The autograded notebooks say what was decided: withheld tests no longer say they wait, and
    the grading note at the top tells the decision (nbgrader's feedback shows both)."""
    import os
    import stat

    import nbformat

    from .execute import WITHHELD
    from .feedback import add_grading_note

    decided = "points given after review" if outcome.review["decision"] == "clear" else "tampering confirmed"
    for path in sorted(course.folder("autograded", student, assignment).glob("*.ipynb")):
        notebook = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                if output.get("ename") == WITHHELD:
                    output["evalue"] = f"{decided}: {outcome.review['why']}"
                    output["traceback"] = [f"{WITHHELD}: {output['evalue']}"]
        mode = os.stat(path).st_mode
        os.chmod(path, mode | stat.S_IWUSR)  # nbgrader leaves autograded files read-only
        nbformat.write(notebook, str(path))
        os.chmod(path, mode)
        add_grading_note(path, outcome)
