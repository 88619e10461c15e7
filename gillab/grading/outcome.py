"""What happened to one submission: a status, a reason, notes, and where that is recorded.

Every submission the autograder sees ends with an :class:`Outcome`, saved as
``grader/outcomes/<assignment>/<student>.json`` (written atomically, and only after its grades
are in the gradebook, so an outcome file is also the sign that the submission is finished).
Scores live in nbgrader's gradebook; the outcome says why a score is what it is.

Statuses (``STATUSES``), most serious first when several apply (a submission that crashed AND
reaches for the instruments shows what happened; its findings and withheld points are still kept
and ``gillab grade review`` still decides on them):

- ``graded``: the notebook ran; the score is nbgrader's.
- ``needs review``: the notebook reaches for the grader's instruments (the tamper scan found it,
  or a test passed in the kernel that the grader's witness did not see pass); the points of the
  tests the witness judges are withheld until the instructor decides (``gillab grade review``).
- ``timeout``: a cell ran past the per-cell timeout (interrupted; later cells still ran) or the
  notebook past the whole-notebook timeout (stopped; cells not run score zero).
- ``kernel died``: the kernel process ended during grading (``exit code 1``, ``signal SIGSEGV``...).
- ``memory limit``: a cell hit the sandbox's memory limit (``MemoryError``).
- ``process limit``: a cell could not start a process or thread under the sandbox's limit.
- ``cpu limit``: the kernel used up its CPU seconds and was stopped.
- ``not a notebook``: the submitted file is not a readable notebook (not JSON, not nbformat).
- ``missing notebook``: the submission has no file of the expected name.
- ``grading error``: the grader itself failed (a bug or a broken sandbox): look at the log.

>>> Outcome("graded", score=3.0, max_score=5.0).summary()
'graded: 3/5'
>>> Outcome("timeout", reason='timeout in cell "threaded_sum"').summary()
'timeout in cell "threaded_sum"'
>>> Outcome("kernel died", reason="the sandbox ran out of time").summary()
'kernel died: the sandbox ran out of time'
>>> worst(["graded", "memory limit", "timeout"])
'timeout'
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Outcome", "STATUSES", "worst", "save_outcome", "load_outcome", "load_outcomes", "outcome_path"]

STATUSES = (
    "grading error",
    "kernel died",
    "timeout",
    "cpu limit",
    "memory limit",
    "process limit",
    "not a notebook",
    "missing notebook",
    "needs review",
    "graded",
)


def worst(statuses) -> str:
    """The most serious of ``statuses`` (``graded`` when there are none)."""
    statuses = list(statuses) or ["graded"]
    return min(statuses, key=STATUSES.index)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


@dataclass
class Outcome:
    """The recorded result of grading one student's submission of one assignment.

    ``score``/``max_score``/``late_penalty`` are copied from the gradebook when the outcome is
    saved, for the progress display; the gradebook stays the authority (manual grades change it).
    ``notes`` are secondary facts: restored test cells, truncated output, a late submission.
    ``worker_pid``, ``started_at`` and ``finished_at`` (seconds since the epoch) say which
    grading process worked on it and when. ``findings`` (tamper scan) and ``disagreements``
    (witness against kernel) say why a submission ``needs review``; ``withheld`` holds the points
    per test that a clearing review would give; ``review`` the instructor's decision.
    """

    status: str
    reason: str = ""
    notes: list = field(default_factory=list)
    student: str = ""
    assignment: str = ""
    score: float | None = None
    max_score: float | None = None
    late_penalty: float | None = None
    seconds_late: float | None = None
    timestamp: str | None = None
    fingerprint: str = ""
    sandbox: str = "bwrap"
    seconds: float | None = None
    graded_at: str = ""
    worker_pid: int | None = None
    started_at: float | None = None
    finished_at: float | None = None
    findings: list = field(default_factory=list)
    disagreements: list = field(default_factory=list)
    withheld: dict = field(default_factory=dict)
    review: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}; got {self.status!r}")

    @property
    def failed(self) -> bool:
        """True for every status but ``graded``."""
        return self.status != "graded"

    def summary(self) -> str:
        """One line for people: the status and the reason, or the score."""
        if self.status == "graded":
            text = f"graded: {_number(self.score)}/{_number(self.max_score)}"
            return text + (f" ({'; '.join(self.notes)})" if self.notes else "")
        if not self.reason:
            return self.status
        return self.reason if self.reason.startswith(self.status) else f"{self.status}: {self.reason}"

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Outcome:
        """The inverse of :meth:`to_dict`; unknown keys (from newer versions) are ignored."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


def outcome_path(outcomes_dir: Path, assignment: str, student: str) -> Path:
    """Where the outcome of ``student``'s ``assignment`` is saved."""
    return Path(outcomes_dir) / assignment / f"{student}.json"


def save_outcome(outcomes_dir: Path, outcome: Outcome) -> Path:
    """Write ``outcome`` atomically (a temporary file renamed over the old one)."""
    path = outcome_path(outcomes_dir, outcome.assignment, outcome.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{outcome.student}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(outcome.to_dict(), stream, indent=1, sort_keys=True)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def load_outcome(outcomes_dir: Path, assignment: str, student: str) -> Outcome | None:
    """The saved outcome, or ``None`` when there is none (or it cannot be read)."""
    path = outcome_path(outcomes_dir, assignment, student)
    try:
        return Outcome.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def load_outcomes(outcomes_dir: Path, assignment: str) -> dict:
    """Every saved outcome of ``assignment``, by student id."""
    folder = Path(outcomes_dir) / assignment
    found = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        outcome = load_outcome(outcomes_dir, assignment, path.stem)
        if outcome is not None:
            found[path.stem] = outcome
    return found
