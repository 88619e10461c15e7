"""A classroom of the tests' own: Unix users with a unique prefix, a shared folder under /tmp, a hub
on free ports, all removed afterwards, even when the test fails.

The classroom's Python environment is the one ``make classroom`` uses (``scripts/classroom-venv.sh``,
cached in ``GILLAB_CLASSROOM_CACHE``, default ``/var/cache/gillab/classroom``, keyed by the pins):
the first run on a machine creates it (about 1-2 minutes), later runs reuse it.
"""

from __future__ import annotations

import os
import platform
import pwd
import shutil
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from gillab.classroom import accounts
from gillab.classroom.hub import Classroom
from gillab.classroom.roster import Student, write_roster
from gillab.classroom.settings import ClassroomSettings, user_environment
from support.paths import REPO, free_port

__all__ = ["require_classroom", "classroom_for_test", "run_as", "PASSWORD", "COURSE_ID"]

PASSWORD = "classroom-test-pw"
COURSE_ID = "gillab"


def require_classroom() -> None:
    """Skip, saying why and what to install, where the classroom cannot run."""
    if platform.system() != "Linux":
        pytest.skip(f"the classroom runs on Linux only (this is {platform.system()})")
    if os.geteuid() != 0:
        pytest.skip("the classroom tests need root (they create Unix users and run JupyterHub with PAM): "
                    "run them as root, as CI does (sudo make test)")
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("the classroom needs node and npm for JupyterHub's proxy: sudo apt-get install nodejs npm "
                    "(.ci/install-system-packages does this in CI)")
    if not Path("/usr/bin/python3").exists():
        pytest.skip("the classroom's environment is made by the system's /usr/bin/python3: sudo apt-get install "
                    "python3 python3-venv")


@contextmanager
def classroom_for_test(students: int, start_hub: bool = True, max_submission_mb: int = 20):
    """A classroom with ``students`` students (ids ``<prefix>s01``...), its instructor ``<prefix>i``;
    yields the :class:`Classroom`. Every account, group and folder it made is removed afterwards."""
    prefix = "glt" + uuid.uuid4().hex[:5]
    share = Path(tempfile.mkdtemp(prefix="gillab-classroom-test-", dir="/tmp"))
    os.chmod(share, 0o755)  # the students' users must reach the exchange and the configuration in it
    settings = ClassroomSettings(
        state_dir=share / "state", course_id=COURSE_ID, instructor=f"{prefix}i", port=free_port(),
        share_dir=share / "share", group_prefix=prefix, max_submission_mb=max_submission_mb,
    )
    classroom = Classroom(settings, REPO)
    roster = share / "roster.csv"
    write_roster(roster, [Student(f"{prefix}s{n:02d}", f"Student {n:02d}", f"s{n:02d}@uni.example")
                          for n in range(1, students + 1)])
    try:
        if start_hub:
            classroom.start(roster)
        else:
            classroom.set_up(roster)
        for name in classroom.accounts():
            accounts.set_password(name, PASSWORD)
        yield classroom
    finally:
        try:
            classroom.remove_everything()
        finally:
            shutil.rmtree(share, ignore_errors=True)
            left = [name for name in [settings.instructor, *(f"{prefix}s{n:02d}" for n in range(1, students + 1))]
                    if accounts.user_exists(name)]
            assert not left, f"test users not removed: {left}"


def run_as(classroom: Classroom, user: str, command: str, timeout: float = 600, cwd: str = "~"):
    """Run the shell ``command`` as ``user`` in the classroom's environment (as a terminal in their
    JupyterLab would), from ``cwd`` (``~`` is their home; ``course`` the instructor's course folder)."""
    venv = Path(classroom._runtime().get("venv") or _venv())
    folder = {"~": "~", "course": f"~/{classroom.settings.course_id}"}.get(cwd, cwd)
    argv = accounts.as_user(user, ["bash", "-c", f"cd {folder} && {command}"],
                            user_environment(classroom.settings, venv))
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def _venv() -> str:
    from gillab.classroom.installs import classroom_venv

    return str(classroom_venv(REPO))


def home(user: str) -> Path:
    """The home folder of ``user``."""
    return Path(pwd.getpwnam(user).pw_dir)
