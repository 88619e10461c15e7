"""The fixtures the tests share. Helpers that are not fixtures live in ``tests/support/``."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig

import pytest
from support.paths import shared_tool
from support.skips import import_server_side, require_bubblewrap, skip_or_fail_without_free_threading


@pytest.fixture
def binder_sim():
    """The path of ``binder-sim``; the test is skipped with the reason when it cannot run here."""
    tool = shared_tool("binder-sim")
    if tool is None:
        pytest.skip("binder-sim not found (set GILLAB_SHARED_DIR to the developers' shared folder)")
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("binder-sim needs root and unshare to set a CPU quota")
    return tool


@pytest.fixture(scope="module")
def bubblewrap():
    """The path of a working ``bwrap``; skipped, with the install command, where there is none."""
    return require_bubblewrap()


# --- problem sets: nbgrader runs only in temporary copies of the course (tests/support/problem_set_course.py)
@pytest.fixture(scope="session")
def released_course(tmp_path_factory):
    """A temporary course copy in which nbgrader has released every problem set."""
    import_server_side("nbgrader")  # nbgrader runs from this Python's venv (the free-threaded one has none)
    from support.problem_set_course import make_course, release

    return release(make_course(tmp_path_factory.mktemp("course") / "released"))


@pytest.fixture(scope="session")
def graded_submissions(released_course, tmp_path_factory):
    """Every submission fixture autograded by nbgrader (copies of ``released_course``), and a
    snapshot of the repository's grader/ folder taken before grading started."""
    from support.problem_set_course import ASSIGNMENTS, FIXTURES, grade_all, grader_snapshot

    before = grader_snapshot()
    plans = {
        assignment: {path.stem: path for path in sorted((FIXTURES / assignment).glob("*.ipynb"))}
        for assignment in ASSIGNMENTS
    }
    return grade_all(released_course, tmp_path_factory.mktemp("graded"), plans, groups=2), before


# --- free-threaded Python (make ft-kernel / make test-ft) --------------------------------------------
@pytest.fixture
def free_threaded():
    """Skip (fail under ``make test-ft``) unless the interpreter running the tests is a free-threaded build."""
    if not sysconfig.get_config_var("Py_GIL_DISABLED"):
        skip_or_fail_without_free_threading(
            f"{sys.executable} (Python {sys.version.split()[0]}) is a standard build with the GIL; "
            "the free-threaded tests run under `make test-ft`"
        )


# --- a Dask cluster as on real machines (chapter 07) -------------------------------------------------
@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker`` processes (each with its nanny, one thread) on
    127.0.0.1, started as separate programs as on separate machines; stopped at the end, and checked
    gone with /proc (tests/support/dask_processes.py)."""
    from support.dask_processes import CommandLineCluster

    with CommandLineCluster(tmp_path_factory.mktemp("dask-cluster")) as cluster:
        yield cluster
