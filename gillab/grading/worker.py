"""A grading worker: a long-lived process that grades one submission at a time for the parent.

The parent (:mod:`gillab.grading.pool`) starts ``python -m gillab.grading.worker --result-fd N
--slot K``, writes one job per line (JSON) to its stdin and reads one result per line from fd N.
Importing nbgrader costs about 2 s of CPU; a worker pays it once, not once per submission.

Before anything runs, the worker reads the submission with the tamper scan
(:mod:`gillab.grading.tamper_scan`) and the instructor's source notebooks for the evidence each
test cell must show (:mod:`gillab.grading.witness`); a finding, or a disagreement between a test in
the kernel and the witness, gives the status ``needs review``.

For each job the worker builds a private copy of what nbgrader needs (the submission, a link to
the assignment's source folder, a snapshot of the gradebook) in a fresh folder, runs nbgrader's
own ``Autograde`` converter there with :class:`gillab.grading.execute.SandboxedExecute` in place
of ``Execute``, and reports the autograded folder and the outcome. It never opens the course's
real gradebook: the parent alone writes that (:mod:`gillab.grading.gradebook`).

The kernel's own stdout and stderr go to a file, never to the worker's streams, and results go
to a dedicated pipe, so nothing the student's code prints can pose as a result. The worker dies
with its parent (``PR_SET_PDEATHSIG``) and then kills its running kernel first.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from ..machine.procfs import processes_of_user
from .tamper_scan import REVIEW_MESSAGE

__all__ = ["grade_job", "prepare_private_course", "check_notebook", "main"]

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int | None) -> None:
    """Ask Linux to send SIGTERM to this worker when the parent process ends (a crash included).

    A parent that died before the request was made sends nothing: then this worker is already
    somebody else's child and stops at once.
    """
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the parent's cleanup has to do
        pass
    if parent is not None and os.getppid() != parent:
        os._exit(128 + signal.SIGTERM)


def _on_terminate(signum, frame) -> None:
    from .execute import kill_running_kernels

    kill_running_kernels()
    os._exit(128 + signum)


def _copy_regular_files(source: Path, destination: Path) -> list[str]:
    """Copy ``source`` into ``destination`` without following or copying symbolic links.

    A symlink in a submission could make this process (the instructor's) read any file of the
    host into the student's sandbox; they are skipped and reported.
    """
    skipped = []
    destination.mkdir(parents=True, exist_ok=True)
    for folder, subfolders, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        for name in list(subfolders):
            if (Path(folder) / name).is_symlink():
                subfolders.remove(name)
                skipped.append(str(relative / name))
            else:
                (destination / relative / name).mkdir(exist_ok=True)
        for name in files:
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                skipped.append(str(relative / name))
                continue
            shutil.copyfile(path, destination / relative / name)
    return skipped


def check_notebook(path: Path) -> str | None:
    """Why ``path`` is not a gradable notebook (``"not a notebook: ..."``), or ``None`` if it is.

    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "x.ipynb"
    >>> _ = bad.write_text("print('hello')")
    >>> check_notebook(bad)
    'not a notebook: x.ipynb is not JSON (line 1, column 1)'
    """
    import nbformat

    try:
        text = path.read_bytes()
    except OSError as error:
        return f"not a notebook: {path.name} cannot be read ({error.strerror})"
    if not text.strip():
        return f"not a notebook: {path.name} is an empty file"
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        where = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        return f"not a notebook: {path.name} is not JSON{where}"
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        return f"not a notebook: {path.name} is JSON but has no notebook cells"
    try:
        notebook = nbformat.reads(text.decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # noqa: BLE001 - nbformat raises many kinds for a broken file
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"not a notebook: {path.name} is not a valid notebook ({first_line[:120]})"
    return None


def prepare_private_course(job: dict, slot: int) -> tuple[Path, list[str]]:
    """This worker's private course folder, with the job's submission copied in.

    One per worker for the whole run (``<run_dir>/slot-<k>/course``): a link to the assignment's
    source folder and a copy of the gradebook snapshot, made by the first job; every job adds
    its submission. Returns the folder and notes about files that were not copied.
    """
    course = Path(job["run_dir"]) / f"slot-{slot}" / "course"
    student, assignment = job["student"], job["assignment"]
    if not (course / "gradebook.db").exists():
        (course / "source").mkdir(parents=True, exist_ok=True)
        os.symlink(job["source_dir"], course / "source" / assignment)
        shutil.copyfile(job["gradebook_snapshot"], course / "gradebook.db")
    for step in ("submitted", "autograded"):
        shutil.rmtree(course / step / student, ignore_errors=True)
    skipped = _copy_regular_files(Path(job["submitted_dir"]), course / "submitted" / student / assignment)
    notes = [f"skipped {name} (a link or special file)" for name in skipped]
    return course, notes


def _configure(job: dict, course: Path, kernel_log: Path):
    """The course's own nbgrader configuration, pointed at the private copy, Execute replaced."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import AssignLatePenalties, Execute, OverwriteCells, SaveAutoGrades
    from traitlets.config.loader import PyFileConfigLoader

    from .execute import SandboxedExecute
    from .restore_cells import RestoringOverwriteCells

    config_file = Path(job["course_config"])
    config = PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.submitted_directory = "submitted"
    config.CourseDirectory.autograded_directory = "autograded"
    config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    config.Execute.timeout = int(job["cell_timeout"])
    steps = list(config.get("Autograde", {}).get("autograde_preprocessors", [])) or list(
        Autograde.class_traits()["autograde_preprocessors"].default()
    )
    # the parent writes the grades and the late penalty into the real gradebook, with these
    # same two nbgrader steps; here they would only write the private copy
    steps = [step for step in steps if step not in (SaveAutoGrades, AssignLatePenalties)]
    config.Autograde.autograde_preprocessors = [SandboxedExecute if step is Execute else step for step in steps]
    sanitize = list(config.get("Autograde", {}).get("sanitize_preprocessors", [])) or list(
        Autograde.class_traits()["sanitize_preprocessors"].default()
    )
    config.Autograde.sanitize_preprocessors = [
        RestoringOverwriteCells if step is OverwriteCells else step for step in sanitize
    ]
    config.SandboxedExecute.notebook_timeout = int(job["notebook_timeout"])
    config.SandboxedExecute.max_output_bytes = int(job.get("max_output_bytes", 1_000_000))
    config.SandboxedExecute.sandbox_json = job.get("sandbox") or ""
    config.SandboxedExecute.kernel_log = str(kernel_log)
    if job.get("witness", True):
        config.SandboxedExecute.evidence_json = json.dumps(_evidence_specs(job))
        config.SandboxedExecute.witness_dir = str(kernel_log.parent)
        config.SandboxedExecute.withhold_evidence = bool(job.get("withhold"))
    return config


def _evidence_specs(job: dict) -> dict:
    """``{notebook: {grade_id: [entries]}}`` read from the instructor's SOURCE notebooks, never from
    the submission: what each test cell must be seen to do (:mod:`gillab.grading.witness`)."""
    import nbformat

    from .witness import evidence_specs

    specs = {}
    for name in job["notebooks"]:
        source = Path(job["source_dir"]) / f"{name}.ipynb"
        if source.is_file():
            specs[name] = evidence_specs(nbformat.read(str(source), as_version=4))
    return specs


def _tamper_findings(path: Path, released: Path) -> list[str]:
    """Where the submitted notebook ``path`` reaches for the grader's instruments (:mod:`tamper_scan`)."""
    import nbformat

    from .tamper_scan import scan_notebook

    released_notebook = nbformat.read(str(released), as_version=4) if released.is_file() else None
    return [str(finding) for finding in scan_notebook(nbformat.read(str(path), as_version=4), released_notebook)]


def _withheld_points(path: Path, withheld: dict) -> dict:
    """``{grade_id: points}`` each withheld test would score if the instructor clears the submission."""
    import nbformat

    points = {}
    for cell in nbformat.read(str(path), as_version=4).cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") in withheld:
            points[meta["grade_id"]] = float(meta.get("points") or 0) if withheld[meta["grade_id"]] else 0.0
    return points


def _leftover_processes(uid: int | None) -> int:
    """Kill any process still running as the sandbox user; returns how many there were."""
    if uid is None:
        return 0
    found = 0
    for _ in range(50):  # a process may start another while it is being killed: look again
        pids = processes_of_user(uid)
        if not pids:
            return found
        found = max(found, len(pids))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)
    return found


def _tampering_notes(submitted: Path, released: Path) -> list[str]:
    """Notes naming the test cells the student deleted and the locked cells they edited."""
    import nbformat

    from .restore_cells import tampered_cells

    if not released.is_file():
        return []
    deleted, edited = tampered_cells(
        nbformat.read(str(submitted), as_version=4), nbformat.read(str(released), as_version=4)
    )
    notes = []
    if deleted:
        notes.append(f"deleted test cells restored: {', '.join(deleted)}")
    if edited:
        notes.append(f"edited locked cells restored: {', '.join(edited)}")
    return notes


def grade_job(job: dict, slot: int = 0) -> dict:
    """Grade one submission as described by ``job`` (see :mod:`gillab.grading.pool`); a result dict."""
    import nbformat
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from .execute import OUTCOME_KEY
    from .gradebook import quiet_nbgrader_warnings
    from .outcome import worst
    from .sandbox.bwrap import SandboxSettings

    started, started_at = time.monotonic(), time.time()
    student, assignment = job["student"], job["assignment"]
    result = {
        "student": student,
        "status": "graded",
        "reason": "",
        "notes": [],
        "autograded_dir": None,
        "log": "",
        "worker_pid": os.getpid(),
        "started_at": started_at,
        "findings": [],
        "disagreements": [],
        "withheld": {},
        "evidence": {},
    }
    course, notes = prepare_private_course(job, slot)
    kernel_log = course.parent / "kernel.log"
    kernel_log.unlink(missing_ok=True)
    submitted = course / "submitted" / student / assignment
    statuses, reasons = [], {}
    readable = []
    for name in job["notebooks"]:
        path = submitted / f"{name}.ipynb"
        if not path.exists():
            others = sorted(p.name for p in submitted.glob("*.ipynb"))
            found = f" (found: {', '.join(others)})" if others else ""
            statuses.append("missing notebook")
            reasons.setdefault("missing notebook", f"missing notebook: {name}.ipynb{found}")
            continue
        problem = check_notebook(path)
        if problem:
            statuses.append("not a notebook")
            reasons.setdefault("not a notebook", problem)
            path.unlink()  # nbgrader then grades it as missing: zero points
            continue
        readable.append(name)
        released = Path(job.get("release_dir", "")) / f"{name}.ipynb"
        notes += _tampering_notes(path, released)
        if job.get("witness", True):
            found = _tamper_findings(path, released)
            result["findings"] += [f"{name}.ipynb: {finding}" for finding in found]
    if result["findings"]:
        # read before anything runs: the parallelism points wait for the instructor's review
        job = {**job, "withhold": True}
        statuses.append("needs review")
        reasons.setdefault("needs review", f"{REVIEW_MESSAGE}: {result['findings'][0]}")
    if readable:
        config = _configure(job, course, kernel_log)
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        with quiet_nbgrader_warnings():
            response = api.autograde(assignment, student, force=True, create=True)
        result["log"] = response.get("log", "")
        autograded = course / "autograded" / student / assignment
        if not response.get("success"):
            error = (response.get("error") or "").strip().splitlines()
            statuses.append("grading error")
            reasons.setdefault("grading error", f"nbgrader failed: {error[-1] if error else 'no message'}")
            result["log"] += "\n" + (response.get("error") or "")
        elif autograded.is_dir():
            result["autograded_dir"] = str(autograded)
            for name in readable:
                path = autograded / f"{name}.ipynb"
                record = nbformat.read(str(path), as_version=4).metadata.get(OUTCOME_KEY, {}) if path.exists() else {}
                status = record.get("status", "grading error")
                statuses.append(status)
                reasons.setdefault(status, record.get("reason", f"no autograded {name}.ipynb"))
                notes += record.get("notes", [])
                result["evidence"][name] = record.get("evidence", {})
                for disagreement in record.get("disagreements", []):
                    # the test in the kernel passed where the grader's own check did not: only a
                    # changed instrument does that
                    statuses.append("needs review")
                    text = f'{name}.ipynb, cell "{disagreement["cell"]}": the test in the notebook passed, but ' \
                           f"the grader's own check found: {disagreement['witness']}"
                    reasons.setdefault("needs review", f"{REVIEW_MESSAGE}: {text}")
                    result["disagreements"].append(text)
                if record.get("withheld"):
                    result["withheld"].update(_withheld_points(path, record["withheld"]))
    shutil.rmtree(submitted.parent, ignore_errors=True)  # the private copy of the submission
    settings = SandboxSettings.from_json(job["sandbox"]) if job.get("sandbox") else None
    leftover = _leftover_processes(settings.uid if settings else None)
    if leftover:
        notes.append(f"{leftover} process(es) were still running after grading and were killed")
    status = worst(statuses)
    result.update(
        status=status,
        reason=reasons.get(status, ""),
        seconds=round(time.monotonic() - started, 3),
        finished_at=time.time(),
    )
    result["notes"] = [reasons[s] for s in dict.fromkeys(statuses) if s != status] + notes
    return result


def _send(stream, message: dict) -> None:
    stream.write(json.dumps(message) + "\n")
    stream.flush()


def main(argv=None) -> int:
    """Run as a worker: read jobs from stdin, write results to ``--result-fd``."""
    parser = argparse.ArgumentParser(prog="python -m gillab.grading.worker")
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--slot", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, default=None)
    args = parser.parse_args(argv)
    _die_with_parent(args.parent_pid)
    signal.signal(signal.SIGTERM, _on_terminate)
    results = os.fdopen(args.result_fd, "w", buffering=1)
    # import the heavy parts once, before the first job
    import nbgrader.apps.api  # noqa: F401

    from . import execute  # noqa: F401
    from .gradebook import shared_engines

    # this worker's private gradebook keeps its path all run long: reuse its engine's compiled SQL
    shared_engines().__enter__()

    _send(results, {"ready": True, "pid": os.getpid(), "slot": args.slot})
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        try:
            result = grade_job(job, args.slot)
        except Exception as error:  # noqa: BLE001 - a bug must become this submission's outcome, not a dead worker
            import traceback

            result = {
                "student": job.get("student"),
                "status": "grading error",
                "reason": f"{type(error).__name__}: {error}",
                "notes": [],
                "autograded_dir": None,
                "log": traceback.format_exc(),
            }
        _send(results, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
