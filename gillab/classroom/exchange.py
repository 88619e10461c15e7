"""nbgrader's exchange for the course: the folders students fetch from and submit into.

Layout and modes (:data:`gillab.classroom.settings.EXCHANGE_MODES`, from nbgrader 0.9.6's exchange
code): ``<root>`` 1777 (root's, sticky), ``<root>/<course>`` and ``outbound/`` 755, ``inbound/``
3733 and ``feedback/`` 711, all owned by the instructor and the group of the course's instructors.
They are made here, before any release:
with a world-writable root, the first student to run ``mkdir <root>/<course>`` would otherwise own
the course's folder. An existing folder is never changed or emptied: wrong owners or modes are
reported, each with the command that fixes it, and the classroom does not start until they are
right (a submission already in ``inbound`` stays where it is).
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

from .settings import EXCHANGE_MODES

__all__ = ["ExchangeProblem", "exchange_folders", "exchange_problems", "ensure_exchange"]


class ExchangeProblem(RuntimeError):
    """The exchange exists but cannot be used as it is; the message says what to change."""


def exchange_folders(root: Path, course_id: str) -> dict[str, Path]:
    """``{role: path}`` of the exchange's folders.

    >>> sorted(exchange_folders(Path("/srv/x"), "gil101").items())[2]
    ('inbound', PosixPath('/srv/x/gil101/inbound'))
    """
    course = Path(root) / course_id
    return {
        "root": Path(root),
        "course": course,
        "outbound": course / "outbound",
        "inbound": course / "inbound",
        "feedback": course / "feedback",
    }


def _owner(role: str, instructor: str) -> str:
    return "root" if role == "root" else instructor


def exchange_problems(root: Path, course_id: str, instructor: str, group: str) -> list[tuple[str, str]]:
    """``[(what is wrong, the command that fixes it)]`` for the folders that exist; empty when all are right."""
    problems = []
    for parent in reversed(Path(root).parents):
        if parent.exists() and not os.stat(parent).st_mode & stat.S_IXOTH:
            mode = stat.S_IMODE(os.stat(parent).st_mode)
            problems.append((f"{parent} cannot be entered by other users (mode {mode:04o}), "
                             "so no student can reach the exchange inside it", f"chmod o+x {parent}"))
    for role, path in exchange_folders(root, course_id).items():
        if not path.exists() and not path.is_symlink():
            continue
        if path.is_symlink() or not path.is_dir():
            problems.append((f"{path} is not a folder", f"move {path} away (mv {path} {path}.old)"))
            continue
        info = os.stat(path)
        wanted_mode, wanted_owner = EXCHANGE_MODES[role], _owner(role, instructor)
        try:
            owner = pwd.getpwuid(info.st_uid).pw_name
        except KeyError:
            owner = str(info.st_uid)
        if owner != wanted_owner:
            problems.append((f"{path} belongs to {owner}, it must belong to {wanted_owner}",
                             f"chown {wanted_owner} {path}"))
        if role == "inbound" and info.st_gid != grp.getgrnam(group).gr_gid:
            problems.append((f"{path} must be in the group {group}, so that the instructors can read submissions "
                             "and other students cannot", f"chgrp {group} {path}"))
        mode = stat.S_IMODE(info.st_mode)
        if mode != wanted_mode:
            problems.append((f"{path} has mode {mode:04o}, nbgrader's exchange needs {wanted_mode:04o} ({_why(role)})",
                             f"chmod {wanted_mode:04o} {path}"))
    return problems


def _why(role: str) -> str:
    return {
        "root": "everyone may create entries, nobody may remove others'",
        "course": "students read it, only the instructor writes",
        "outbound": "students fetch from it, only the instructor writes",
        "inbound": "students submit into it, cannot list it or remove others' submissions",
        "feedback": "a student reaches only their own feedback, by its secret name",
    }[role]


def ensure_exchange(root: Path, course_id: str, instructor: str, group: str) -> list[Path]:
    """Check the exchange, then make the folders that are missing; returns those made.

    Raises :class:`ExchangeProblem` (changing nothing) when an existing folder is wrong.
    """
    problems = exchange_problems(root, course_id, instructor, group)
    if problems:
        lines = [f"  - {what}" for what, _ in problems]
        fixes = [f"    {fix}" for _, fix in problems]
        raise ExchangeProblem(
            "the exchange folder cannot be used as it is (nothing in it was changed or removed):\n"
            + "\n".join(lines)
            + "\n  Fix it as root, then start the classroom again:\n"
            + "\n".join(fixes)
        )
    entry = pwd.getpwnam(instructor)
    made = []
    for role, path in exchange_folders(root, course_id).items():
        if path.exists():
            continue
        path.mkdir(parents=role == "root")
        if role == "root":
            os.chown(path, 0, 0)
        else:
            # the instructors' group: submissions inherit it from setgid inbound (size_checked_submit)
            os.chown(path, entry.pw_uid, grp.getgrnam(group).gr_gid)
        os.chmod(path, EXCHANGE_MODES[role])  # chmod, not mkdir's mode: the umask would clear bits
        made.append(path)
    return made
