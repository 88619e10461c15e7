"""Unix accounts as The Littlest JupyterHub makes them: one user per person, each with a home only
they can enter, in a group of the course.

TLJH (``tljh/user.py``) runs ``useradd --create-home`` and then removes every permission of others
on the home (``chmod o-rwx``); its users are in one group, its admins in another. Here the names
are the roster's ids (PAM logs them in as they are, where TLJH prefixes ``jupyter-``), the groups
are ``<course>-students`` and ``<course>-instructors``, and homes are mode 700. The classroom
needs root for all of this, and to let PAM check passwords and the hub start each user's server
as that user: :func:`check_machine` says what is missing, and where the classroom cannot run.

Processes: a student's kernel can start processes in a session of their own, which survive the
hub's stop (the prototype showed it). :func:`sweep` ends every process of the course's accounts.
"""

from __future__ import annotations

import grp
import os
import platform
import pwd
import secrets
import shutil
import signal
import subprocess
import time

from ..machine import procfs

__all__ = [
    "ClassroomUnavailable",
    "AccountError",
    "check_machine",
    "ensure_group",
    "ensure_user",
    "set_password",
    "new_password",
    "remove_user",
    "remove_group",
    "user_exists",
    "uid_of",
    "processes_of",
    "sweep",
    "as_user",
    "FIRST_REGULAR_UID",
]

#: Debian's first uid of a person's account (``UID_MIN`` in /etc/login.defs); below are system accounts.
FIRST_REGULAR_UID = 1000


class ClassroomUnavailable(RuntimeError):
    """This machine cannot run the classroom; the message says why and what to do."""


class AccountError(RuntimeError):
    """An account could not be created or used as asked."""


def check_machine(need_node: bool = True) -> None:
    """Raise :class:`ClassroomUnavailable` unless this is Linux, we are root, and the tools exist."""
    system = platform.system()
    if system != "Linux":
        raise ClassroomUnavailable(
            f"make classroom runs on Linux only (this is {system}): it creates Unix users, logs them in "
            "with PAM and starts each user's server as that user. On macOS or Windows, run it on a "
            "Linux server or virtual machine, or use The Littlest JupyterHub there (deploy/tljh/)."
        )
    if os.geteuid() != 0:
        raise ClassroomUnavailable(
            "make classroom needs root: it creates a Unix user for each student and the instructor, "
            "checks their passwords through PAM and starts each user's server as that user. "
            "Run it as root: sudo make classroom"
        )
    missing = [tool for tool in ("useradd", "userdel", "groupadd", "chpasswd", "runuser") if not shutil.which(tool)]
    if missing:
        raise ClassroomUnavailable(
            f"make classroom needs {', '.join(missing)} (Debian/Ubuntu: apt install passwd util-linux)"
        )
    if need_node and not (shutil.which("node") and shutil.which("npm")):
        raise ClassroomUnavailable(
            "make classroom needs node and npm to install and run JupyterHub's proxy "
            "(configurable-http-proxy, from the npm registry). Debian/Ubuntu: sudo apt install nodejs npm"
        )


def user_exists(name: str) -> bool:
    """Whether a Unix user ``name`` exists."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def uid_of(name: str) -> int:
    """The uid of user ``name`` (KeyError if there is none)."""
    return pwd.getpwnam(name).pw_uid


def ensure_group(name: str) -> bool:
    """Create group ``name`` unless it exists; returns whether it was created."""
    try:
        grp.getgrnam(name)
        return False
    except KeyError:
        pass
    _run(["groupadd", name], f"could not create the group {name}")
    return True


def ensure_user(name: str, full_name: str, group: str) -> bool:
    """Create user ``name`` (home mode 700, in ``group``) unless it exists; returns whether it was
    created. An existing system account (uid below 1000, such as ``daemon``) is refused."""
    if user_exists(name):
        entry = pwd.getpwnam(name)
        if entry.pw_uid < FIRST_REGULAR_UID:
            raise AccountError(
                f"{name!r} is a system account on this machine (uid {entry.pw_uid}): a student or instructor "
                "cannot be one. Give this person another id in the roster."
            )
        members = grp.getgrnam(group).gr_mem
        if name not in members and grp.getgrnam(group).gr_gid != entry.pw_gid:
            _run(["usermod", "-a", "-G", group, name], f"could not add {name} to the group {group}")
        return False
    _run(
        ["useradd", "--create-home", "--shell", "/bin/bash", "--groups", group, "--comment", _gecos(full_name), name],
        f"could not create the user {name}",
    )
    os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
    return True


def _gecos(text: str) -> str:
    # the comment field cannot hold ':' or ',' (chfn's rules); a name is for people only
    return "".join(ch for ch in text if ch not in ":,\n") or "student"


def new_password() -> str:
    """A random password to hand to a student (12 characters, no look-alikes)."""
    alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def set_password(name: str, password: str) -> None:
    """Set ``name``'s password (what PAM checks at the hub's login page)."""
    if ":" in password or "\n" in password:
        raise ValueError("a password cannot contain ':' or a line break")
    _run(["chpasswd"], f"could not set the password of {name}", stdin=f"{name}:{password}\n")


def processes_of(name: str) -> list[int]:
    """The live processes of user ``name`` (none if the user does not exist)."""
    try:
        uid = uid_of(name)
    except KeyError:
        return []
    return procfs.processes_of_user(uid)


def sweep(names, grace_s: float = 3.0) -> list[str]:
    """End every process of the users ``names``: TERM, then KILL after ``grace_s``. Returns what
    is still alive afterwards (``"pid user: command"``), empty when all are gone."""
    uids = {}
    for name in names:
        try:
            uids[uid_of(name)] = name
        except KeyError:
            continue
    if not uids or 0 in uids:
        return []

    def alive():
        return [info for info in procfs.processes() if info.uid in uids and info.alive]

    for how, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        found = alive()
        if not found:
            return []
        for info in found:
            try:
                os.kill(info.pid, how)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + wait
        while alive() and time.monotonic() < deadline:
            time.sleep(0.1)
    return [f"{info.pid} {uids[info.uid]}: {' '.join(info.command)[:120]}" for info in alive()]


def remove_user(name: str) -> None:
    """End the user's processes and delete the user with their home (``userdel --remove``)."""
    if not user_exists(name):
        return
    if uid_of(name) < FIRST_REGULAR_UID:
        raise AccountError(f"refusing to remove the system account {name!r}")
    sweep([name], grace_s=1.0)
    # userdel warns (exit 12) when the user has no mail spool; the account is gone all the same
    result = subprocess.run(["userdel", "--remove", name], capture_output=True, text=True)
    if user_exists(name):
        raise AccountError(f"could not remove the user {name}: {result.stderr.strip()}")


def remove_group(name: str) -> None:
    """Delete group ``name`` if it exists."""
    try:
        grp.getgrnam(name)
    except KeyError:
        return
    _run(["groupdel", name], f"could not remove the group {name}")


def as_user(name: str, argv: list[str], environment: dict | None = None) -> list[str]:
    """The command running ``argv`` as user ``name`` with a clean environment (HOME, USER,
    LOGNAME, SHELL of that user, plus ``environment``): nothing of root's leaks in."""
    entry = pwd.getpwnam(name)
    values = {"HOME": entry.pw_dir, "USER": name, "LOGNAME": name, "SHELL": entry.pw_shell or "/bin/sh"}
    values.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    values.update(environment or {})
    return ["runuser", "-u", name, "--", "env", "-i", *(f"{k}={v}" for k, v in values.items()), *argv]


def _run(argv: list[str], problem: str, stdin: str | None = None) -> None:
    result = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise AccountError(f"{problem}: {' '.join(argv[:1])} said {result.stderr.strip() or result.returncode}")
