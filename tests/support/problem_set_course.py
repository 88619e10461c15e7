"""Run nbgrader on a temporary copy of the course, as an instructor would, never in the repository.

A copy holds the course's ``grader/nbgrader_config.py`` (which takes its root from its own location,
so the copy's gradebook and submission folders stay inside the copy) and ``solutions/``. nbgrader
runs from the copy's ``grader/`` folder with this Python's ``bin`` first on PATH, and with Jupyter's
config and data folders pointed into the copy, so neither a personal ``~/.jupyter`` nor a
``JUPYTER_CONFIG_PATH`` set for the real course can leak in.

One difference from an instructor's run, on purpose: the kernels talk to nbgrader over Unix sockets
(``KernelManager.transport = "ipc"``) instead of TCP ports on 127.0.0.1. With TCP, jupyter_client
picks free ports and the kernel binds them a moment later; on a busy machine another process can
take one in between, and the kernel dies at start ("ZMQError: Address already in use"), which
happened once in 210 kernel starts during a stress run here. That is a start-up race, not a grading
result, and Unix sockets cannot collide.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from support.paths import REPO

FIXTURES = REPO / "tests" / "fixtures" / "submissions"
ASSIGNMENTS = {"ps1_parallel_sum": "parallel_sum", "ps2_io_threads": "io_threads"}
BIN = Path(sys.executable).parent
#: A whole ``nbgrader autograde`` of one problem set's fixtures stays well below this.
NBGRADER_TIMEOUT_S = 1800


def expected(assignment: str) -> dict:
    """The fixtures' expected scores (``expected.json`` beside the submission notebooks)."""
    return json.loads((FIXTURES / assignment / "expected.json").read_text())


IPC_CONFIG = """# written by tests/support/problem_set_course.py: kernels on Unix sockets, no TCP port race
c.KernelManager.transport = "ipc"
c.KernelManager.ip = {prefix!r}  # absolute: nbgrader and the kernel run in different folders
"""


def private_jupyter_dirs(folder: Path, runtime: str) -> dict:
    """Environment variables giving Jupyter folders of its own under ``folder`` (with the IPC
    transport configured) and ``runtime`` for the kernels' sockets: Unix socket paths must stay
    short (about 100 bytes), so that one is a short temporary folder."""
    for name in ("jupyter-config", "jupyter-data", "ipython"):
        (folder / name).mkdir(exist_ok=True)
    (folder / "jupyter-config" / "nbgrader_config.py").write_text(
        IPC_CONFIG.format(prefix=os.path.join(runtime, "kernel"))
    )
    return {
        "JUPYTER_CONFIG_DIR": str(folder / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(folder / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": runtime,
        "IPYTHONDIR": str(folder / "ipython"),
    }


def make_course(folder: Path) -> Path:
    """A fresh course copy in ``folder``: config and sources only, nothing generated yet."""
    (folder / "grader").mkdir(parents=True)
    shutil.copy2(REPO / "grader" / "nbgrader_config.py", folder / "grader" / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions", folder / "solutions")
    return folder


def nbgrader_env(course: Path, runtime: str) -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["JUPYTER_CONFIG_PATH"] = str(course / "grader")
    env.pop("JUPYTER_PATH", None)
    env.update(private_jupyter_dirs(course, runtime))
    return env


def nbgrader(course: Path, *args: str, prefix: tuple = (), check: bool = True) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` run from the copy's grader/ folder; ``prefix`` wraps it (e.g. binder-sim)."""
    command = [*map(str, prefix), str(BIN / "nbgrader"), *args]
    with tempfile.TemporaryDirectory(prefix="gk-") as runtime:
        done = subprocess.run(
            command,
            cwd=course / "grader",
            env=nbgrader_env(course, runtime),
            capture_output=True,
            text=True,
            timeout=NBGRADER_TIMEOUT_S,
        )
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {done.returncode}; " + keep_log(course, done))
    return done


def keep_log(course: Path, done: subprocess.CompletedProcess) -> str:
    """Save nbgrader's whole output under test-artifacts/ (pytest's temporary folders are deleted
    after a few runs) and return where, with each traceback nbgrader printed."""
    folder = REPO / "test-artifacts" / "nbgrader"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{course.name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    log.write_text(f"{done.args}\nexit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}")
    lines, tracebacks, inside = done.stderr.splitlines(), [], 0
    for line in lines:
        if "Traceback" in line or "ERROR" in line:
            inside = 40
        if inside:
            tracebacks.append(line)
            inside -= 1
    return f"whole log in {log}\n" + "\n".join(tracebacks[-200:])


def submit(course: Path, assignment: str, student: str, notebook: Path) -> None:
    folder = course / "grader" / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(notebook, folder / f"{ASSIGNMENTS[assignment]}.ipynb")


def read_scores(course: Path, assignment: str) -> dict[str, dict[str, float | None]]:
    """Every graded cell's autograded score, by student and grade_id, from the copy's gradebook."""
    from nbgrader.api import Gradebook  # imported here: a few seconds, paid only by tests that grade

    scores = {}
    with Gradebook(f"sqlite:///{course / 'grader' / 'gradebook.db'}") as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            notebook = submission.notebooks[0]
            scores[submission.student.id] = {grade.name: grade.auto_score for grade in notebook.grades}
    return scores


@dataclass
class Grading:
    """One problem set graded in its own course copy: scores by student, and how long it took."""

    assignment: str
    course: Path
    scores: dict = field(default_factory=dict)
    seconds: float = 0.0
    log: str = ""
    #: the course copy that graded each student (a problem set may be spread over several copies)
    courses: dict = field(default_factory=dict)

    def course_of(self, student: str) -> Path:
        return self.courses.get(student, self.course)


def release(course: Path, assignments=tuple(ASSIGNMENTS), prefix: tuple = ()) -> Path:
    """``nbgrader generate_assignment`` of each problem set in the copy, as the instructor does:
    writes the copy's ``exercises/`` and records the assignments in the copy's gradebook."""
    for assignment in assignments:  # one after the other: they share the gradebook
        nbgrader(course, "generate_assignment", assignment, "--force", prefix=prefix)
    return course


def grade(course: Path, assignment: str, submissions: dict[str, Path], prefix: tuple = ()) -> Grading:
    """Submit each notebook under its student id to a released copy, run one ``nbgrader autograde``
    over all of them, and read the scores from the copy's gradebook."""
    start = time.perf_counter()
    for student, notebook in submissions.items():
        submit(course, assignment, student, notebook)
    done = nbgrader(course, "autograde", assignment, "--force", prefix=prefix)
    scores = read_scores(course, assignment)
    return Grading(
        assignment, course, scores, time.perf_counter() - start, done.stderr, {student: course for student in scores}
    )


def grade_all(
    released: Path, root: Path, plans: dict[str, dict[str, Path]], groups: int = 1, prefix: tuple = ()
) -> dict[str, Grading]:
    """Grade several problem sets at the same time: each one's submissions are dealt round-robin
    into ``groups`` copies of the ``released`` course under ``root`` (one ``nbgrader autograde``
    each), and the scores of a problem set's copies are merged.

    Most of a grading run is waiting (kernel start-up, requests held by the test servers, a
    submission that hangs until its timeout), so a few copies at once share two cores well.
    """
    jobs = []
    for assignment, submissions in plans.items():
        names = list(submissions)
        for group in range(max(1, min(groups, len(names)))):
            folder = root / f"{assignment}-{group + 1}"
            shutil.copytree(released, folder)
            jobs.append((assignment, folder, {name: submissions[name] for name in names[group::groups]}))
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        done = [
            future.result()
            for future in [pool.submit(grade, folder, assignment, share, prefix) for assignment, folder, share in jobs]
        ]
    merged: dict[str, Grading] = {}
    for grading in done:
        into = merged.setdefault(grading.assignment, Grading(grading.assignment, grading.course))
        into.scores.update(grading.scores)
        into.seconds = max(into.seconds, grading.seconds)
        into.log += grading.log
        into.courses.update(grading.courses)
    return merged


def mismatches(expected_scores: dict[str, float], got: dict[str, float | None]) -> list[str]:
    """Each autograded cell whose score differs from the expected one, as 'grade_id: got X, expected Y'."""
    return [
        f"{grade_id}: got {got.get(grade_id)}, expected {points}"
        for grade_id, points in expected_scores.items()
        if got.get(grade_id) != points
    ]


def failure_report(course: Path, assignment: str, student: str) -> str:
    """The error output of each failed test cell in a student's autograded notebook, for messages."""
    import nbformat

    path = course / "grader" / "autograded" / student / assignment / f"{ASSIGNMENTS[assignment]}.ipynb"
    if not path.is_file():
        return f"(no autograded notebook at {path})"
    lines = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", cell.get("id"))
                lines.append(f"  {grade_id}: {output['ename']}: {output['evalue'][:400]}")
    return "\n".join(lines) or "  (no cell raised)"


def grader_snapshot() -> dict[str, tuple[int, int]]:
    """Size and modification time of everything under the repository's grader/ folder."""
    folder = REPO / "grader"
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def validate(notebooks: list[Path], cwd: Path) -> dict[str, dict]:
    """What JupyterLab's Validate button reports for each notebook: the nbgrader server extension
    loads the config from Jupyter's config path and the server's folder, then calls
    ``Validator(config=...).validate(path)``. Done here in a fresh Python, as the server would."""
    script = (
        "import json, os, sys\n"
        "from jupyter_core.paths import jupyter_config_path\n"
        "from nbgrader.apps import NbGrader\n"
        "from nbgrader.validator import Validator\n"
        "paths = jupyter_config_path()\n"
        "paths.insert(0, os.getcwd())\n"
        "app = NbGrader()\n"
        "app.config_file_paths.append(paths)\n"
        "app.load_config_file()\n"
        "print(json.dumps({path: Validator(config=app.config).validate(path) for path in sys.argv[1:]}))\n"
    )
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("JUPYTER_CONFIG_PATH", None)  # a student's machine: no course config, nbgrader's defaults
    with tempfile.TemporaryDirectory(prefix="gk-") as runtime:
        env.update(private_jupyter_dirs(cwd, runtime))
        done = subprocess.run(
            [sys.executable, "-c", script, *map(str, notebooks)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    if done.returncode != 0:
        raise AssertionError(f"validating {notebooks} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
