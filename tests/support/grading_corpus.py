"""The grading tests' corpus: hostile and broken submissions, each with its expected outcome.

Every submission is a TRANSFORMATION of the released student notebook: fill in the answers from
the solution, then inject hostile code into one answer cell, delete or edit test cells, or
replace the file. So the same corpus runs against any nbgrader assignment whose answer cell
``target`` has test cells after it and at least one autograded test before it. To run it on the
real problem set, add ``PS1`` to ``ASSIGNMENTS`` in tests/test_grading_corpus.py.

Scores are judged on the autograded tests only (an assignment may also have manually graded
answers, which autograding leaves at zero): ``full`` = every autograded test passed, ``partial``
= some but not all points, ``zero`` = none, ``half`` = half of the autograded points left after
the late penalty the test course configures (25 % per started day, submitted 1 day 1 h late).
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook

from gillab.grading import submissions as sub
from gillab.grading.sandbox.bwrap import SANDBOX_UID_BASE
from gillab.machine import procfs
from support.paths import REPO


@dataclass(frozen=True)
class AssignmentUnderTest:
    """An nbgrader assignment to grade the corpus against."""

    name: str
    notebook: str
    source_dir: Path
    target: str  # grade_id of the answer cell the hostile code goes into


DEMO = AssignmentUnderTest(
    "demo_sum", "demo_sum", REPO / "tests" / "fixtures" / "grading" / "demo_sum", target="threaded_sum"
)
PS1 = AssignmentUnderTest(
    "ps1_parallel_sum", "parallel_sum", REPO / "solutions" / "ps1_parallel_sum", target="threaded_sum"
)
PS2 = AssignmentUnderTest("ps2_io_threads", "io_threads", REPO / "solutions" / "ps2_io_threads", target="fetch_all")

DUE = "2026-01-15 17:00:00 UTC"
LATE_CONFIG = """
# added by the grading tests: 25 % of the score per started day late
c.AssignLatePenalties.plugin_class = "gillab.grading.late_penalty.FractionPerDayLate"
c.FractionPerDayLate.fraction_per_day = 0.25
"""


@dataclass
class Context:
    """What a transformation may use: the notebooks, the course's paths, the test's listener."""

    released: object
    source: object
    assignment: AssignmentUnderTest
    course: Path
    port: int
    marker: str

    @property
    def answered(self):
        return sub.fill_answers(self.released, self.source)

    def at_start(self, code: str):
        return sub.inject(self.answered, self.assignment.target, code, where="start")

    def at_end(self, code: str):
        return sub.inject(self.answered, self.assignment.target, code, where="end")

    def wrong_answer(self):
        """The target answer replaced by one that defines the function but returns nonsense."""
        name = self.assignment.target
        return sub.replace_source(self.answered, name, f"def {name}(*args, **kwargs):\n    return -1")

    def block_after_target(self, notebook) -> list[int]:
        """Positions of the cells after the target answer up to the next answer cell."""
        cells = notebook.cells
        start = next(
            i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == self.assignment.target
        )
        end = next(
            (i for i in range(start + 1, len(cells)) if cells[i].metadata.get("nbgrader", {}).get("solution")),
            len(cells),
        )
        return list(range(start + 1, end))


class Files(dict):
    """A submission of several files, or of a file with another name: {file name: notebook or bytes}."""


@dataclass(frozen=True)
class Fixture:
    """One student's submission and what grading it must record."""

    student: str
    build: Callable[[Context], object]  # a notebook, bytes, or Files
    status: str
    score: str  # full, partial, zero, half
    reason: str = ""  # must appear in the outcome's reason
    note: str = ""  # must appear in the outcome's notes
    late_by: timedelta | None = None


def _leave_processes(ctx: Context, how: str) -> str:
    return {
        "thread": (
            "import threading, time\n"
            "def _forever():\n    while True:\n        time.sleep(0.5)\n"
            "threading.Thread(target=_forever, daemon=False).start()"
        ),
        "child": (
            "import subprocess, sys\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)', "
            f"'{ctx.marker}'], start_new_session=True)"
        ),
        "forks": (
            "import os\n"
            "for _ in range(300):\n"
            "    if os.fork() == 0:\n"
            f"        os.execv('/bin/sh', ['/bin/sh', '-c', 'sleep 600; : {ctx.marker}'])"
        ),
    }[how]


def _deleted_tests(ctx: Context):
    notebook = ctx.wrong_answer()
    block = set(ctx.block_after_target(notebook))
    notebook.cells = [cell for index, cell in enumerate(notebook.cells) if index not in block]
    return notebook


def _edited_tests(ctx: Context):
    notebook = ctx.wrong_answer()
    for name in sub.tests_of(notebook, ctx.assignment.target):
        notebook = sub.replace_source(notebook, name, "assert True  # the student's version of the test")
    return notebook


def _paths(ctx: Context) -> dict:
    course = ctx.course
    return {
        "gradebook": course / "grader" / "gradebook.db",
        "other": course
        / "grader"
        / "submitted"
        / "correct-1"
        / ctx.assignment.name
        / f"{ctx.assignment.notebook}.ipynb",
        "solution": course / "solutions" / ctx.assignment.name / f"{ctx.assignment.notebook}.ipynb",
    }


FIXTURES = [
    Fixture("correct-1", lambda c: c.answered, "graded", "full"),
    Fixture("correct-2", lambda c: c.answered, "graded", "full"),
    Fixture("correct-3", lambda c: c.answered, "graded", "full"),
    Fixture(
        "infinite-loop",
        lambda c: c.at_start("while True:\n    pass"),
        "timeout",
        "partial",
        reason='timeout in cell "{target}"',
    ),
    Fixture(
        "swallowed-interrupt",
        lambda c: c.at_start("import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except:\n        pass"),
        "timeout",
        "partial",
        reason='timeout in cell "{target}": the code kept running after the interrupt',
    ),
    Fixture(
        "os-exit",
        lambda c: c.at_start("import os\nos._exit(1)"),
        "kernel died",
        "partial",
        reason='kernel died: exit code 1 in cell "{target}"',
    ),
    Fixture(
        "sys-exit",
        lambda c: c.at_start("import sys\nsys.exit()"),
        "graded",
        "partial",
        note='SystemExit in cell "{target}"',
    ),
    Fixture(
        "segfault",
        lambda c: c.at_start("import ctypes\nctypes.string_at(0)"),
        "kernel died",
        "partial",
        reason='kernel died: signal SIGSEGV in cell "{target}"',
    ),
    Fixture("endless-thread", lambda c: c.at_end(_leave_processes(c, "thread")), "graded", "full"),
    Fixture("escaped-child", lambda c: c.at_end(_leave_processes(c, "child")), "graded", "full"),
    Fixture(
        "fork-loop",
        lambda c: c.at_start(_leave_processes(c, "forks")),
        "process limit",
        "partial",
        reason='process limit in cell "{target}"',
    ),
    Fixture(
        "huge-allocation",
        lambda c: c.at_start("hoard = bytearray(4 * 1024 ** 3)"),
        "memory limit",
        "partial",
        reason='memory limit in cell "{target}"',
    ),
    Fixture(
        "huge-output",
        lambda c: c.at_end("import sys\nfor _ in range(50):\n    sys.stdout.write('x' * (1 << 20) + '\\n')"),
        "graded",
        "full",
        note='output of cell "{target}" truncated',
    ),
    Fixture("deleted-tests", _deleted_tests, "graded", "partial", note="deleted test cells restored"),
    Fixture("edited-tests", _edited_tests, "graded", "partial", note="edited locked cells restored"),
    Fixture(
        "writes-gradebook",
        lambda c: c.at_start(f"open({str(_paths(c)['gradebook'])!r}, 'r+b').write(b'graded by me')"),
        "graded",
        "partial",
    ),
    Fixture(
        "writes-other-submission",
        lambda c: c.at_start(f"open({str(_paths(c)['other'])!r}, 'w').write('{{}}')"),
        "graded",
        "partial",
    ),
    Fixture(
        "writes-solutions",
        lambda c: c.at_start(f"open({str(_paths(c)['solution'])!r}, 'a').write('leaked')"),
        "graded",
        "partial",
    ),
    Fixture(
        "network",
        lambda c: c.at_start(
            f"import socket\nsocket.create_connection(('127.0.0.1', {c.port}), timeout=5).sendall(b'{c.marker}')"
        ),
        "graded",
        "partial",
    ),
    Fixture(
        "writes-tmp-and-home",
        lambda c: c.at_end(
            "import os\nfor folder in ('/tmp', os.path.expanduser('~'), '.'):\n"
            f"    open(os.path.join(folder, '{c.marker}.txt'), 'w').write('x')"
        ),
        "graded",
        "full",
    ),
    Fixture("not-json", lambda c: b"this is not JSON\n", "not a notebook", "zero", reason="is not JSON"),
    Fixture(
        "empty-notebook",
        lambda c: new_notebook(metadata=copy.deepcopy(c.released.metadata)),
        "graded",
        "zero",
        note="deleted test cells restored",
    ),
    Fixture(
        "missing-notebook",
        lambda c: Files({"my-homework.ipynb": c.answered}),
        "missing notebook",
        "zero",
        reason="missing notebook: {notebook}.ipynb",
    ),
    Fixture("late", lambda c: c.answered, "graded", "half", note="late by 1 d 1 h", late_by=timedelta(days=1, hours=1)),
]

#: Graded on its own with a whole-notebook timeout shorter than its cell (tests/test_grading_corpus.py).
SLOW = Fixture(
    "slow-notebook",
    lambda c: c.at_start("import time\ntime.sleep(90)"),
    "timeout",
    "partial",
    reason='notebook timeout: grading stopped after {notebook_timeout} s in cell "{target}"',
)
SLOW_NOTEBOOK_TIMEOUT = 15


def make_course(folder: Path, assignment: AssignmentUnderTest) -> Path:
    """A course folder: the repository's nbgrader config (plus a late penalty) and the source."""
    (folder / "grader").mkdir(parents=True)
    config = (REPO / "grader" / "nbgrader_config.py").read_text() + LATE_CONFIG
    (folder / "grader" / "nbgrader_config.py").write_text(config)
    shutil.copytree(assignment.source_dir, folder / "solutions" / assignment.name)
    return folder


def released_course(folder: Path, assignment: AssignmentUnderTest, due: str | None = None) -> Path:
    """:func:`make_course`, then ``gillab grade release`` in it (with ``--due`` when given)."""
    course = make_course(folder, assignment)
    command = [sys.executable, "-m", "gillab", "grade", "release", assignment.name, "--course", str(course)]
    if due is not None:
        command += ["--due", due]
    released = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert released.returncode == 0, released.stderr
    return course


def write_fixtures(course: Path, assignment: AssignmentUnderTest, fixtures, port: int, marker: str) -> None:
    """Write every fixture's submission into the released course's ``grader/submitted``."""
    from nbgrader.utils import parse_utc

    released = nbformat.read(str(course / "exercises" / assignment.name / f"{assignment.notebook}.ipynb"), as_version=4)
    source = nbformat.read(str(course / "solutions" / assignment.name / f"{assignment.notebook}.ipynb"), as_version=4)
    ctx = Context(released=released, source=source, assignment=assignment, course=course, port=port, marker=marker)
    submitted = course / "grader" / "submitted"
    for fixture in fixtures:
        content = fixture.build(ctx)
        files = content if isinstance(content, Files) else {f"{assignment.notebook}.ipynb": content}
        for name, data in files.items():
            sub.write_submission(submitted, fixture.student, assignment.name, Path(name).stem, data)
        if fixture.late_by is not None:
            sub.write_timestamp(submitted, fixture.student, assignment.name, parse_utc(DUE) + fixture.late_by)


def expected_text(text: str, assignment: AssignmentUnderTest) -> str:
    """A fixture's expected reason or note with the assignment's names filled in."""
    return text.format(target=assignment.target, notebook=assignment.notebook, notebook_timeout=SLOW_NOTEBOOK_TIMEOUT)


def autograded_points(gradebook, assignment: str, student: str) -> tuple[float, float]:
    """(points scored, points possible) over the autograded test cells only."""
    scored = possible = 0.0
    found = gradebook.find_assignment(assignment)
    for notebook in found.notebooks:
        for cell in notebook.grade_cells:
            if cell.cell_type != "code":
                continue
            possible += cell.max_score
            grade = gradebook.find_grade(cell.name, notebook.name, assignment, student)
            scored += grade.auto_score or 0.0
    return scored, possible


def processes_left(marker: str, run_variable: str) -> list[str]:
    """Live processes started by a grading run: sandbox users, the ``marker`` in their command
    line, or ``run_variable`` (``NAME=value``) in their environment."""
    name, _, value = run_variable.partition("=")
    found = []
    for info in procfs.processes():
        if info.pid == os.getpid() or not info.alive:
            continue
        command = " ".join(info.command)
        tagged = procfs.environment(info.pid).get(name) == value
        if SANDBOX_UID_BASE <= info.uid < SANDBOX_UID_BASE + 1000 or marker in command or tagged:
            found.append(f"{info.pid} uid={info.uid}: {command[:120]}")
    return found
