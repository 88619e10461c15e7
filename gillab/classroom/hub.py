"""Start, stop and ask about the local classroom: JupyterHub, its proxy, and every user's server.

:meth:`Classroom.start` checks that this machine can run it, that no classroom runs from the same
folder and that the port is free, then sets everything up (environment, proxy, accounts, exchange,
configuration files, course folder), starts the hub in a session of its own and waits until its
API answers. :meth:`Classroom.stop` sends the hub TERM (it stops every user's server, which stops
its kernels, and the proxy), waits, and then ends whatever the course's Unix accounts still run
(a student's kernel can start processes that escape the hub's clean-up) and checks that nothing
is left. Both are safe to repeat.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..machine import procfs
from . import accounts
from .exchange import ensure_exchange
from .hub_config import HubPorts, render_hub_config
from .installs import classroom_venv, install_proxy
from .jupyter_files import prepare_course, write_instructor_config, write_user_config
from .roster import Student, merge_rosters, read_roster, write_roster
from .settings import ClassroomSettings

__all__ = ["Classroom", "ClassroomRunning", "PortInUse", "HubFailed", "StartReport", "StopReport", "READY_TIMEOUT_S"]

READY_TIMEOUT_S = 120
HUB_STOP_TIMEOUT_S = 60


class ClassroomRunning(RuntimeError):
    """A classroom already runs from this folder."""


class PortInUse(RuntimeError):
    """The classroom's port is taken by another program."""


class HubFailed(RuntimeError):
    """The hub did not start or stopped by itself; the message ends with its log."""


@dataclass
class StartReport:
    """What :meth:`Classroom.start` did, and how long it took."""

    url: str
    pid: int
    setup_s: float
    ready_s: float
    new_accounts: dict = field(default_factory=dict)  # {name: password} of accounts made now
    process: subprocess.Popen | None = None


@dataclass
class StopReport:
    """What :meth:`Classroom.stop` found and stopped; ``leftovers`` empty when nothing remains."""

    hub_stopped: bool
    servers: list
    swept: int
    leftovers: list
    seconds: float


def _free(ip: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive_with(pid: int | None, word: str) -> bool:
    info = procfs.process_info(pid) if pid else None
    return info is not None and info.alive and any(word in part for part in info.command)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


@dataclass
class Classroom:
    """The classroom of ``settings``, its course taken from the course folder ``course_root``."""

    settings: ClassroomSettings
    course_root: Path

    # --- files -------------------------------------------------------------------------------
    @property
    def roster_file(self) -> Path:
        """Every student added so far (a roster CSV)."""
        return self.settings.state_dir / "roster.csv"

    @property
    def passwords_file(self) -> Path:
        """The first passwords of the accounts the classroom made (root only): hand them out."""
        return self.settings.state_dir / "passwords.csv"

    @property
    def log_file(self) -> Path:
        """The hub's log."""
        return self.settings.hub_dir / "hub.log"

    def students(self) -> list[Student]:
        """The students added so far."""
        return read_roster(self.roster_file) if self.roster_file.exists() else []

    def accounts(self) -> list[str]:
        """The Unix users of this classroom: the instructor, then the students."""
        return [self.settings.instructor, *(student.id for student in self.students())]

    def _runtime(self) -> dict:
        try:
            return json.loads((self.settings.hub_dir / "runtime.json").read_text())
        except (OSError, ValueError):
            return {}

    # --- state -------------------------------------------------------------------------------
    def running_pid(self) -> int | None:
        """The hub's process id if this classroom's hub runs, else None."""
        hub = self.settings.hub_dir
        for name in ("jupyterhub.pid", "launcher.pid"):
            pid = _read_pid(hub / name)
            if _alive_with(pid, "jupyterhub"):
                return pid
        return None

    def api(self, path: str, method: str = "GET", body: dict | None = None, timeout: float = 30):
        """Call the hub's REST API (``/hub/api`` + ``path``) with the classroom's service token."""
        port = self._runtime().get("hub_port")
        if port is None:
            raise HubFailed("the hub's port is unknown: is the classroom running? (make classroom)")
        token = (self.settings.hub_dir / "service-token").read_text().strip()
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/hub/api{path}", data=data, method=method,
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
        return json.loads(text) if text else None

    # --- set-up ------------------------------------------------------------------------------
    def add_students(self, roster: Path | None) -> dict:
        """Create the accounts of ``roster``'s students (and the instructor's); returns
        ``{name: password}`` of the accounts made now. The roster is checked as a whole first."""
        added = read_roster(roster) if roster is not None else []
        if self.settings.instructor in {student.id for student in added}:
            raise ValueError(
                f"the roster lists {self.settings.instructor!r}, the instructor's account: give the student another id"
            )
        students = merge_rosters(self.students(), added)
        settings = self.settings
        accounts.ensure_group(settings.students_group)
        accounts.ensure_group(settings.instructors_group)
        made = {}
        people = [(settings.instructor, "Instructor", settings.instructors_group)]
        people += [(student.id, student.name, settings.students_group) for student in students]
        for name, full_name, group in people:
            if accounts.ensure_user(name, full_name, group):
                made[name] = accounts.new_password()
                accounts.set_password(name, made[name])
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        write_roster(self.roster_file, students)
        if made:
            new = not self.passwords_file.exists()
            with open(self.passwords_file, "a") as stream:
                os.chmod(self.passwords_file, 0o600)
                if new:
                    stream.write("id,password\n")
                stream.writelines(f"{name},{password}\n" for name, password in made.items())
        if self.running_pid() is not None:
            # JupyterHub lets users it already knows log in (Authenticator.allow_existing_users)
            known = {user["name"] for user in self.api("/users")}
            fresh = [student.id for student in students if student.id not in known]
            if fresh:
                self.api("/users", method="POST", body={"usernames": fresh})
        return made

    def set_up(self, roster: Path | None = None) -> tuple[Path, Path, dict]:
        """Everything but the hub itself; returns (environment, proxy, new accounts)."""
        settings = self.settings
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        settings.hub_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(settings.hub_dir, 0o700)
        venv = classroom_venv(self.course_root)
        proxy = install_proxy(self.course_root, settings.state_dir / "proxy")
        runtime = settings.hub_dir / "runtime.json"
        if self.running_pid() is None:  # what a stopped classroom's commands need: its environment
            runtime.write_text(json.dumps({"venv": str(venv), "proxy": str(proxy)}, indent=2))
        made = self.add_students(roster)
        ensure_exchange(settings.exchange_root, settings.course_id, settings.instructor, settings.instructors_group)
        write_user_config(settings, venv)
        prepare_course(settings, self.course_root)
        write_instructor_config(settings)
        token = settings.hub_dir / "service-token"
        if not token.exists():
            token.write_text(os.urandom(32).hex() + "\n")
            os.chmod(token, 0o600)
        settings.save()
        return venv, proxy, made

    # --- start and stop ----------------------------------------------------------------------
    def start(self, roster: Path | None = None) -> StartReport:
        """Set up and start the hub; return once its API answers (:class:`HubFailed` if it does not)."""
        started = time.monotonic()
        accounts.check_machine()
        settings = self.settings
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        lock = open(settings.state_dir / "start.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ClassroomRunning(
                f"another make classroom is starting from {settings.state_dir} right now: wait for it, "
                "or stop it with make classroom-stop"
            ) from None
        try:
            return self._start(roster, started)
        finally:
            lock.close()

    def _start(self, roster, started) -> StartReport:
        settings = self.settings
        pid = self.running_pid()
        if pid is not None:
            url = self._runtime().get("url", settings.url)
            raise ClassroomRunning(
                f"a classroom is already running from {settings.state_dir} (hub pid {pid}, {url}): "
                "use it, or stop it first with make classroom-stop"
            )
        if not _free(settings.ip, settings.port):
            raise PortInUse(
                f"port {settings.port} on {settings.ip} is already in use by another program: stop that program, "
                f'or choose another port, e.g. make classroom ARGS="--port {settings.port + 10}"'
            )
        venv, proxy, made = self.set_up(roster)
        ports = HubPorts(hub=_free_port(), proxy_api=_free_port())
        hub = settings.hub_dir
        config = hub / "jupyterhub_config.py"
        config.write_text(render_hub_config(settings, [s.id for s in self.students()], venv, proxy, ports))
        os.chmod(config, 0o600)
        (hub / "stop-requested").unlink(missing_ok=True)
        environment = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                       "HOME": os.environ.get("HOME", "/root")}
        log = open(self.log_file, "ab")
        setup_s = time.monotonic() - started
        process = subprocess.Popen(
            [str(venv / "bin" / "jupyterhub"), "-f", str(config)], cwd=hub, env=environment, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        (hub / "launcher.pid").write_text(f"{process.pid}\n")
        (hub / "runtime.json").write_text(json.dumps(
            {"url": settings.url, "hub_port": ports.hub, "proxy_api_port": ports.proxy_api, "venv": str(venv),
             "proxy": str(proxy), "launcher_pid": process.pid}, indent=2))
        self._wait_ready(process)
        return StartReport(url=settings.url, pid=process.pid, setup_s=setup_s,
                           ready_s=time.monotonic() - started, new_accounts=made, process=process)

    def _wait_ready(self, process: subprocess.Popen) -> None:
        ip = "127.0.0.1" if self.settings.ip in ("0.0.0.0", "") else self.settings.ip
        url = f"http://{ip}:{self.settings.port}/hub/api/"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if process.poll() is not None:
                self.stop()
                raise HubFailed(f"the hub exited (status {process.returncode}) before it was ready. "
                                f"The end of its log ({self.log_file}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise HubFailed(f"the hub did not answer at {url} within {READY_TIMEOUT_S} s (it was stopped). "
                                f"The end of its log ({self.log_file}):\n{self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, lines: int = 25) -> str:
        """The last ``lines`` lines of the hub's log."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def running_servers(self) -> list[str]:
        """The users whose server runs now (asked from the hub)."""
        try:
            return sorted(user["name"] for user in self.api("/users", timeout=10) if user.get("servers"))
        except (OSError, urllib.error.URLError, HubFailed, ValueError):
            return []

    def stop(self) -> StopReport:
        """Stop the hub, the proxy, every server and kernel, and sweep the course's accounts."""
        started = time.monotonic()
        hub = self.settings.hub_dir
        hub.mkdir(parents=True, exist_ok=True)
        (hub / "stop-requested").write_text("")
        pid = self.running_pid()
        servers = self.running_servers() if pid else []
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + HUB_STOP_TIMEOUT_S
            while _alive_with(pid, "jupyterhub") and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive_with(pid, "jupyterhub"):
                os.kill(pid, signal.SIGKILL)
        proxy = _read_pid(hub / "proxy.pid")
        for how in (signal.SIGTERM, signal.SIGKILL):
            if _alive_with(proxy, "configurable-http-proxy"):
                os.kill(proxy, how)
                time.sleep(1)
        before = sum(len(accounts.processes_of(name)) for name in self.accounts())
        leftovers = accounts.sweep(self.accounts())
        if _alive_with(proxy, "configurable-http-proxy"):
            leftovers.append(f"{proxy} root: configurable-http-proxy")
        for name in ("launcher.pid", "jupyterhub.pid", "proxy.pid"):
            if not _alive_with(_read_pid(hub / name), ""):
                (hub / name).unlink(missing_ok=True)
        return StopReport(hub_stopped=pid is not None, servers=servers, swept=before, leftovers=leftovers,
                          seconds=time.monotonic() - started)

    def status(self) -> dict:
        """Whether it runs, where, and whose servers run."""
        pid = self.running_pid()
        runtime = self._runtime()
        return {
            "running": pid is not None,
            "pid": pid,
            "url": runtime.get("url", self.settings.url),
            "students": len(self.students()),
            "instructor": self.settings.instructor,
            "servers": self.running_servers() if pid else [],
            "exchange": str(self.settings.exchange_root),
            "state": str(self.settings.state_dir),
        }

    def remove_everything(self) -> None:
        """Stop, then delete the classroom's Unix users (homes included), groups and folders.
        For tests and benchmarks that made a classroom of their own: a real class keeps its work."""
        try:
            self.stop()
        finally:
            for name in self.accounts():
                accounts.remove_user(name)
            accounts.remove_group(self.settings.students_group)
            accounts.remove_group(self.settings.instructors_group)

