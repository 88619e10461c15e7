"""``gillab grade autograde``: grade every submission of an assignment, in parallel and in sandboxes.

The parent process finds the submissions, hands each to a worker (:mod:`gillab.grading.pool`),
and for each result, alone and one at a time: writes the grades into the gradebook
(:func:`gillab.grading.gradebook.commit_grades`), puts the autograded notebooks in nbgrader's
``autograded`` folder, writes the log, and last the outcome file. A Ctrl-C waits for the
submission being written, stops the workers and their sandboxes, and leaves every finished
submission recorded; a crash loses at most the submissions whose outcome was not yet written.
Either way, running the command again grades only what has no outcome, changed since (the
submission or the assignment's source), or ended in a ``grading error``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .feedback import add_grading_note
from .gradebook import assignment_notebooks, commit_grades, shared_engines, snapshot
from .outcome import STATUSES, Outcome, load_outcome, save_outcome
from .progress import ProgressBar
from .sandbox.bwrap import Limits, SandboxSettings, check_bwrap

__all__ = ["AutogradeSettings", "AutogradeRun", "autograde", "find_submissions", "fingerprint", "RUN_MARKER"]

#: Environment variable set in every process a grading run starts (its value is the run's id).
RUN_MARKER = "GILLAB_GRADING_RUN"
#: Seconds a worker gets beyond the notebook timeout (kernel start, nbgrader's own steps).
_DEADLINE_MARGIN = 120


@dataclass
class AutogradeSettings:
    """How to autograde. ``jobs``: parallel workers (default: the effective CPU count).
    ``students``: only these (default: all). ``force``: grade again what is already graded.
    ``sandbox``: run kernels in bubblewrap (refuses without it). ``cell_timeout``: seconds per
    cell (default: the course's ``Execute.timeout``, else 60). ``notebook_timeout``: seconds per
    notebook. ``limits``: the sandbox's resource limits. ``witness``: judge the parallelism tests
    from outside the kernel and scan for tampering (:mod:`gillab.grading.witness`,
    :mod:`gillab.grading.tamper_scan`); off only to measure what they cost.
    """

    jobs: int | None = None
    students: list | None = None
    force: bool = False
    sandbox: bool = True
    cell_timeout: int | None = None
    notebook_timeout: int = 600
    limits: Limits = field(default_factory=Limits)
    max_output_bytes: int = 1_000_000
    witness: bool = True


@dataclass
class AutogradeRun:
    """What one run did: the outcomes it recorded, what it skipped, whether it was interrupted."""

    assignment: str
    outcomes: dict = field(default_factory=dict)
    without_timestamp: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    remaining: list = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0
    jobs: int = 0

    def counts(self) -> dict:
        """How many recorded outcomes have each status (only statuses that occur)."""
        found = [outcome.status for outcome in self.outcomes.values()]
        return {status: found.count(status) for status in STATUSES if status in found}

    def summary(self) -> str:
        """The closing lines printed after a run."""
        counts = ", ".join(f"{count} {status}" for status, count in self.counts().items()) or "nothing graded"
        lines = [
            f"{self.assignment}: {len(self.outcomes)} submission(s) recorded in {self.seconds:.1f} s "
            f"with {self.jobs} worker(s): {counts}."
        ]
        if self.without_timestamp:
            lines.append(
                f"{len(self.without_timestamp)} submission(s) have no timestamp.txt and count as on time: "
                + ", ".join(self.without_timestamp[:10])
                + (" ..." if len(self.without_timestamp) > 10 else "")
            )
        if self.skipped:
            lines.append(f"{len(self.skipped)} already graded and unchanged (use --force to grade them again).")
        if self.interrupted:
            lines.append(
                f"Interrupted: {len(self.remaining)} submission(s) not graded yet; the gradebook is intact. "
                f"Run the same command again to grade the rest."
            )
        return "\n".join(lines)


def find_submissions(course, assignment: str) -> dict:
    """Every submitted folder of ``assignment``, by student id."""
    root = course.folder("submitted")
    if not root.is_dir():
        return {}
    return {
        folder.name: folder / assignment
        for folder in sorted(root.iterdir())
        if folder.is_dir() and not folder.name.startswith(".") and (folder / assignment).is_dir()
    }


def fingerprint(folder: Path) -> str:
    """A hash of every file's name and content under ``folder`` (what was submitted).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.ipynb").write_text("{}")
    >>> before = fingerprint(folder)
    >>> _ = (folder / "a.ipynb").write_text("{ }")
    >>> before == fingerprint(folder)
    False
    """
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@contextmanager
def _lock(course):
    course.outcomes_dir.mkdir(parents=True, exist_ok=True)
    with open(course.outcomes_dir / ".autograde.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(
                "another gillab grade autograde is running on this course; wait for it to finish "
                "(two runs would both write the gradebook)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _interrupts_deferred():
    """Let the gradebook write in progress finish before a Ctrl-C takes effect."""
    received = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    except ValueError:  # not the main thread: signals cannot arrive here anyway
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


def _install(source: Path | None, destination: Path) -> None:
    """Put the autograded folder in place with renames; ``None`` removes an outdated one."""
    parent = destination.parent
    incoming, old = parent / f".{destination.name}.incoming", parent / f".{destination.name}.old"
    for stale in (incoming, old):
        if stale.exists():
            shutil.rmtree(stale)
    if source is not None:
        parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, incoming, symlinks=True)
    if destination.exists():
        destination.rename(old)
    if source is not None:
        incoming.rename(destination)
    if old.exists():
        shutil.rmtree(old)


def _duration(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes and not days else "",
    ]
    return " ".join(filter(None, parts)) or f"{int(seconds)} s"


def _cell_timeout(course, settings: AutogradeSettings) -> int:
    if settings.cell_timeout is not None:
        return settings.cell_timeout
    configured = course.config.get("Execute", {}).get("timeout")
    return int(configured) if isinstance(configured, int) and configured > 0 else 60


def _plan(course, assignment: str, settings: AutogradeSettings, run: AutogradeRun) -> tuple[dict, dict]:
    """The submissions to grade now (``{student: fingerprint}``) and where each one is."""
    submitted = find_submissions(course, assignment)
    if settings.students:
        missing = [student for student in settings.students if student not in submitted]
        if missing:
            raise LookupError(
                f"no submission of {assignment} from {', '.join(missing)} in {course.folder('submitted')} "
                "(collect it first: gillab grade collect)"
            )
        submitted = {student: submitted[student] for student in settings.students}
    # a changed source (tests fixed and released again) makes every submission due again
    source_stamp = fingerprint(course.folder("source", ".", assignment))
    todo = {}
    for student, folder in submitted.items():
        stamp = hashlib.sha256((fingerprint(folder) + source_stamp).encode()).hexdigest()
        previous = load_outcome(course.outcomes_dir, assignment, student)
        finished = previous is not None and previous.fingerprint == stamp and previous.status != "grading error"
        if finished and not settings.force:
            run.skipped.append(student)
        else:
            todo[student] = stamp
    return todo, submitted


def autograde(course, assignment: str, settings: AutogradeSettings | None = None, stream=None) -> AutogradeRun:
    """Grade the submissions of ``assignment`` in ``course`` (a :class:`gillab.grading.course.Course`).

    Raises ``LookupError`` for an assignment that was never released or a student with no
    submission, and :class:`gillab.grading.sandbox.bwrap.SandboxUnavailable` when a sandbox is
    wanted and bubblewrap cannot provide it.
    """
    from ..machine.cpus import effective_cpu_count
    from .pool import WorkerPool

    settings = settings or AutogradeSettings()
    stream = sys.stderr if stream is None else stream
    started = time.monotonic()
    # a mistyped assignment is named before anything else is asked of the machine
    assignment_notebooks(course, assignment)
    sandbox_json = None
    if settings.sandbox:
        check_bwrap()
        sandbox_json = SandboxSettings(limits=settings.limits).to_json()
    jobs = settings.jobs or effective_cpu_count()
    run = AutogradeRun(assignment=assignment, jobs=jobs)
    run_id = uuid.uuid4().hex[:12]
    environment = {**os.environ, RUN_MARKER: run_id}
    # one autograde per course at a time: two would both think a submission was theirs to grade
    with _lock(course):
        work = Path(tempfile.mkdtemp(prefix=f"gillab-grade-{run_id}-"))
        progress, todo = None, {}
        try:
            # the workers import nbgrader (about 2 s each) while this process finds the work
            with WorkerPool(jobs, course.logs_dir, environment) as pool, shared_engines():
                if course.gradebook_file is None:
                    raise ValueError(f"gillab grade needs nbgrader's sqlite gradebook; the course uses {course.db_url}")
                notebooks = assignment_notebooks(course, assignment)
                with course.gradebook() as gradebook:
                    has_due_date = gradebook.find_assignment(assignment).duedate is not None
                todo, submitted = _plan(course, assignment, settings, run)
                if not todo:
                    run.jobs = 0
                    return run
                run.jobs = min(jobs, len(todo))
                progress = ProgressBar(total=len(todo), stream=stream)
                pending = deque(sorted(todo))
                base_job = {
                    "assignment": assignment,
                    "notebooks": notebooks,
                    "course_config": str(course.config_file),
                    "source_dir": str(course.folder("source", ".", assignment)),
                    "release_dir": str(course.folder("release", ".", assignment)),
                    # workers grade against a private copy; only this process writes the real one
                    "gradebook_snapshot": str(snapshot(course.gradebook_file, work / "gradebook.db")),
                    "cell_timeout": _cell_timeout(course, settings),
                    "notebook_timeout": settings.notebook_timeout,
                    "max_output_bytes": settings.max_output_bytes,
                    "sandbox": sandbox_json,
                    "run_dir": str(work),
                    "witness": settings.witness,
                }

                def hand_out() -> None:
                    for worker in pool.idle():
                        if not pending:
                            return
                        student = pending.popleft()
                        job = dict(base_job, student=student, submitted_dir=str(submitted[student]))
                        pool.submit(worker, job, settings.notebook_timeout + _DEADLINE_MARGIN)
                        progress.started(student)

                while pending or pool.busy:
                    hand_out()
                    # a bounded wait: Ctrl-C and a worker that died are noticed within half a second
                    finished = pool.wait(0.5)
                    hand_out()  # keep the workers busy while this process writes the results
                    for job, result in finished:
                        # a Ctrl-C while a submission's grades are being written would leave it
                        # half in the gradebook: it waits until the write is done
                        with _interrupts_deferred():
                            outcome = _record(course, assignment, job, result, todo[job["student"]], sandbox_json)
                        run.outcomes[outcome.student] = outcome
                        if has_due_date and outcome.timestamp is None:
                            run.without_timestamp.append(outcome.student)
                        progress.finished(outcome.student, outcome.summary(), outcome.failed)
                        if result.get("autograded_dir") and Path(result["autograded_dir"]).is_relative_to(work):
                            shutil.rmtree(result["autograded_dir"], ignore_errors=True)
        except KeyboardInterrupt:
            run.interrupted = True
        finally:
            if progress is not None:
                progress.close()
            shutil.rmtree(work, ignore_errors=True)
            # what has no outcome yet is graded by the next run (nothing was written for it)
            run.remaining = sorted(set(todo) - set(run.outcomes))
            run.seconds = time.monotonic() - started
    return run


def _record(course, assignment: str, job: dict, result: dict, stamp: str, sandbox_json) -> Outcome:
    """Write one submission's grades, autograded folder, log and outcome (in that order)."""
    student = job["student"]
    submitted_dir = Path(job["submitted_dir"])
    timestamp = course.coursedir().get_existing_timestamp(str(submitted_dir))
    autograded = Path(result["autograded_dir"]) if result.get("autograded_dir") else None
    score = commit_grades(course, assignment, student, autograded, timestamp)
    notes = list(result.get("notes", []))
    if score["seconds_late"] and score["seconds_late"] > 0:
        notes.append(f"late by {_duration(score['seconds_late'])}: penalty {score['late_penalty']:g}")
    outcome = Outcome(
        status=result.get("status", "grading error"),
        reason=result.get("reason", ""),
        notes=notes,
        student=student,
        assignment=assignment,
        score=score["score"],
        max_score=score["max_score"],
        late_penalty=score["late_penalty"],
        seconds_late=score["seconds_late"],
        timestamp=score["timestamp"],
        fingerprint=stamp,
        sandbox="bwrap" if sandbox_json else "none",
        seconds=result.get("seconds"),
        worker_pid=result.get("worker_pid"),
        started_at=result.get("started_at"),
        finished_at=result.get("finished_at"),
        graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        findings=result.get("findings", []),
        disagreements=result.get("disagreements", []),
        withheld=result.get("withheld", {}),
    )
    for notebook in sorted(autograded.glob("*.ipynb")) if autograded else []:
        add_grading_note(notebook, outcome)
    _install(autograded, course.folder("autograded", student, assignment))
    log = course.logs_dir / assignment / f"{student}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(result.get("log", ""))
    save_outcome(course.outcomes_dir, outcome)
    return outcome
