"""``gillab classroom bench``: how long a classroom takes on this machine (needs what ``make classroom`` needs).

In a classroom of its own (Unix users ``glb<random>...``, removed afterwards, on a free port):

- ``ready_s``: ``Classroom.start`` until the hub's API answers, with the environment already made
  (what ``make classroom`` costs on its second run), and ``setup_s``, the part before the hub starts;
- ``submit_s``: N students submitting ps1 at the same moment, each as their own Unix user;
- ``collect_s`` and ``autograde_s``: ``gillab grade collect ps1 exchange`` and ``gillab grade
  autograde --jobs 2`` as the instructor, and per submission;
- ``plain_autograde_s``: ``gillab grade autograde --force --jobs 2`` of the same submissions, run
  right after in the same course: the plain ``gillab grade`` figure to read beside the classroom's.

The load average before and after is recorded: on a shared machine it says how far to trust the numbers.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from . import accounts
from .hub import Classroom
from .roster import Student, write_roster
from .settings import ClassroomSettings, user_environment
from .simulated_class import submit_at_once

__all__ = ["run_classroom_benchmark", "format_benchmark"]

ASSIGNMENT, NOTEBOOK = "ps1_parallel_sum", "parallel_sum"


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def _as_instructor(classroom: Classroom, venv: Path, command: str) -> float:
    settings = classroom.settings
    argv = accounts.as_user(settings.instructor, ["bash", "-c", f"cd ~/{settings.course_id} && {command}"],
                            user_environment(settings, venv))
    started = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed: {result.stdout[-1500:]}{result.stderr[-1500:]}")
    return time.monotonic() - started


def _answers(course: Path, students) -> dict:
    import nbformat

    from ..grading import submissions as sub

    released = nbformat.read(str(course / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), as_version=4)
    source = nbformat.read(str(course / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), as_version=4)
    answered = sub.fill_answers(released, source)
    return {student: nbformat.writes(answered) for student in students}


def run_classroom_benchmark(course_root: Path, students: int = 20) -> dict:
    """Run the benchmark in a temporary classroom; returns the measurements (seconds)."""
    from .installs import classroom_venv

    accounts.check_machine()
    classroom_venv(course_root)  # made before timing: the goal is for a machine where it exists
    prefix = "glb" + uuid.uuid4().hex[:5]
    share = Path(tempfile.mkdtemp(prefix="gillab-classroom-bench-", dir="/tmp"))
    os.chmod(share, 0o755)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = ClassroomSettings(state_dir=share / "state", instructor=f"{prefix}i", port=port,
                                 share_dir=share / "share", group_prefix=prefix)
    classroom = Classroom(settings, Path(course_root))
    roster = share / "roster.csv"
    ids = [f"{prefix}s{n:02d}" for n in range(1, students + 1)]
    write_roster(roster, [Student(student, f"Student {n}") for n, student in enumerate(ids, 1)])
    result = {"students": students, "load_before": _load(), "cpus": os.cpu_count()}
    try:
        classroom.set_up(roster)  # accounts and files first: ready_s is a second make classroom
        report = classroom.start(roster)
        result.update(ready_s=report.ready_s, setup_s=report.setup_s)
        venv = Path(classroom._runtime()["venv"])
        _as_instructor(classroom, venv, f"gillab grade release {ASSIGNMENT} --exchange")
        course = Path(os.path.expanduser(f"~{settings.instructor}")) / settings.course_id
        started = time.monotonic()
        wave = submit_at_once(venv / "bin" / "python", settings.user_config_dir, ASSIGNMENT, NOTEBOOK,
                              _answers(course, ids))
        result["submit_s"] = time.monotonic() - started
        result["submitted"] = sum(1 for item in wave if item["ok"])
        result["collect_s"] = _as_instructor(classroom, venv, f"gillab grade collect {ASSIGNMENT} exchange")
        result["autograde_s"] = _as_instructor(classroom, venv, f"gillab grade autograde {ASSIGNMENT} --jobs 2")
        result["plain_autograde_s"] = _as_instructor(
            classroom, venv, f"gillab grade autograde {ASSIGNMENT} --jobs 2 --force")
        count = max(result["submitted"], 1)
        result["classroom_per_submission_s"] = (result["collect_s"] + result["autograde_s"]) / count
        result["plain_per_submission_s"] = result["plain_autograde_s"] / count
    finally:
        try:
            classroom.remove_everything()
        finally:
            shutil.rmtree(share, ignore_errors=True)
            result["load_after"] = _load()
    return result


def format_benchmark(result: dict) -> str:
    """The measurements as lines for people (numbers rounded; the JSON keeps them whole)."""
    return "\n".join([
        f"classroom benchmark, {result['students']} students, {result['cpus']} CPUs, load average before "
        f"{result['load_before']}, after {result['load_after']}",
        f"  hub ready: {result['ready_s']:.1f} s after start (setup {result['setup_s']:.1f} s of it; goal: under 30 s)",
        f"  {result['submitted']} simultaneous submissions: {result['submit_s']:.1f} s",
        f"  collect {result['collect_s']:.1f} s + autograde (--jobs 2) {result['autograde_s']:.1f} s: "
        f"{result['classroom_per_submission_s']:.2f} s per submission",
        f"  plain gillab grade autograde of the same submissions: {result['plain_autograde_s']:.1f} s, "
        f"{result['plain_per_submission_s']:.2f} s per submission",
        json.dumps(result),
    ])
