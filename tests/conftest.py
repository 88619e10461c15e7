"""Shared test helpers: where the repository and the shared tools are, and free ports."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import socket
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_tool(name: str) -> Path | None:
    """A tool from the developers' shared folder (``../shared/tools``), wherever the clone lives."""
    candidates = [os.environ.get("GILLAB_SHARED_DIR", ""), str(REPO.parent / "shared"), "/work/shared"]
    for folder in filter(None, candidates):
        tool = Path(folder) / "tools" / name
        if tool.is_file():
            return tool
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def binder_sim():
    """The path of ``binder-sim``; the test is skipped with the reason when it cannot run here."""
    tool = shared_tool("binder-sim")
    if tool is None:
        pytest.skip("binder-sim not found (set GILLAB_SHARED_DIR to the developers' shared folder)")
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("binder-sim needs root and unshare to set a CPU quota")
    return tool


def import_server_side(name: str):
    """Import a package of Jupyter's server side (JupyterLab, Notebook, nbgrader and what only they
    bring, such as PyYAML). The free-threaded 3.13 venv leaves those out (pyproject.toml's
    free-threaded-overrides: CFFI does not support that build); there the test is skipped, saying
    so. Anywhere else a missing package is an error, as it is in any test."""
    if sysconfig.get_config_var("Py_GIL_DISABLED") and importlib.util.find_spec(name) is None:
        pytest.skip(
            f"{name} is not installed in this free-threaded venv (pyproject.toml's free-threaded-overrides leave "
            "Jupyter's server side out); `make test` runs this test on the course's .venv",
            allow_module_level=True,
        )
    return importlib.import_module(name)


# --- problem sets: nbgrader runs only in temporary copies of the course (tests/problem_set_course.py)
@pytest.fixture(scope="session")
def released_course(tmp_path_factory):
    """A temporary course copy in which nbgrader has released every problem set."""
    import_server_side("nbgrader")  # nbgrader runs from this Python's venv (the free-threaded one has none)
    from problem_set_course import make_course, release

    return release(make_course(tmp_path_factory.mktemp("course") / "released"))


@pytest.fixture(scope="session")
def graded_submissions(released_course, tmp_path_factory):
    """Every submission fixture autograded by nbgrader (copies of ``released_course``), and a
    snapshot of the repository's grader/ folder taken before grading started."""
    from problem_set_course import ASSIGNMENTS, FIXTURES, grade_all, grader_snapshot

    before = grader_snapshot()
    plans = {assignment: {path.stem: path for path in sorted((FIXTURES / assignment).glob("*.ipynb"))} for assignment in ASSIGNMENTS}
    return grade_all(released_course, tmp_path_factory.mktemp("graded"), plans, groups=2), before


# --- free-threaded Python (make ft-kernel / make test-ft) --------------------------------------------
def skip_or_fail_without_free_threading(reason: str):
    """Skip with ``reason``; under ``make test-ft`` (GILLAB_REQUIRE_FREE_THREADED=1) fail instead,
    so that no free-threaded test can pass there by not running."""
    if os.environ.get("GILLAB_REQUIRE_FREE_THREADED") == "1":
        pytest.fail(f"GILLAB_REQUIRE_FREE_THREADED=1 (make test-ft) but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def free_threaded():
    """Skip (fail under ``make test-ft``) unless the interpreter running the tests is a free-threaded build."""
    if not sysconfig.get_config_var("Py_GIL_DISABLED"):
        skip_or_fail_without_free_threading(
            f"{sys.executable} (Python {sys.version.split()[0]}) is a standard build with the GIL; "
            "the free-threaded tests run under `make test-ft`"
        )
