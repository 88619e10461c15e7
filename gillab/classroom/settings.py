"""The classroom's settings in ONE place: what the local classroom (``make classroom``) uses, and what
the deployment files for The Littlest JupyterHub and Zero to JupyterHub in ``deploy/`` are
generated from (:mod:`gillab.classroom.deploy`), so the three cannot drift apart.

Every user's Jupyter server (students and instructor alike) reads two sets of files. The course's
(:func:`course_files`), in a folder on ``JUPYTER_CONFIG_PATH``: nbgrader's course id, exchange and
submission size limit. The environment's (:func:`environment_files`), in the classroom
environment's ``etc/jupyter``: nbgrader's instructor-only lab plugins and server extensions off.
The instructor's own ``~/.jupyter`` turns those back on (:func:`instructor_files`): in Jupyter's
search order the user's folder comes after ``JUPYTER_CONFIG_PATH`` but before the environment's
(``jupyter --paths``), so it overrides the second set and not the first. That split is UX, not
security: a student could write their own ``~/.jupyter``. The boundary is Unix permissions on the
instructor's home (course, gradebook, solutions) and on the exchange (:mod:`gillab.classroom.exchange`).

>>> settings = ClassroomSettings(state_dir=Path("/tmp/x"), course_id="gil101", instructor="teacher")
>>> str(settings.exchange_root), settings.students_group, settings.url
('/srv/gillab/gil101/exchange', 'gil101-students', 'http://127.0.0.1:8000/')
>>> environment_files()["labconfig/page_config.json"]["disabledExtensions"]["@jupyter/nbgrader:formgrader"]
True
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = [
    "ClassroomSettings",
    "INSTRUCTOR_LAB_PLUGINS",
    "INSTRUCTOR_SERVER_EXTENSIONS",
    "SPAWNER_ARGS",
    "DEFAULT_URL",
    "EXCHANGE_MODES",
    "SUBMIT_CLASS",
    "DEFAULT_MAX_SUBMISSION_MB",
    "nbgrader_user_config",
    "course_files",
    "environment_files",
    "instructor_files",
    "user_environment",
]

#: nbgrader 0.9.6's JupyterLab plugins that only the instructor gets (plugin ids from nbgrader's
#: ``src/index.ts``; nbgrader's docs, "Disabling extensions", in ``user_guide/installation.rst``).
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)
#: ... and its server extensions that serve them (``etc/jupyter/jupyter_server_config.d/nbgrader.json``).
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)
#: Every single-user server opens JupyterLab; its news feed is off (no network), and the app is
#: exposed as ``window.jupyterapp`` (the browser tests drive the Assignments tab through it).
SPAWNER_ARGS = ("--LabApp.news_url=", "--LabApp.expose_app_in_browser=True")
DEFAULT_URL = "/lab"
#: The exchange's folders and the modes nbgrader expects (nbgrader 0.9.6,
#: ``exchange/default/release_assignment.py`` and ``release_feedback.py``): the root o+rwx (sticky
#: added, so nobody removes what others made); the course folder and ``outbound`` 755; ``inbound``
#: 2733 as nbgrader makes it, plus the sticky bit, so that a student cannot delete another
#: student's submission even knowing its name; ``feedback`` 711 (files reachable only by name).
EXCHANGE_MODES = {"root": 0o1777, "course": 0o755, "outbound": 0o755, "inbound": 0o3733, "feedback": 0o711}
#: nbgrader's submit step with the size limit checked first, saying what to do (see that module).
SUBMIT_CLASS = "gillab.classroom.size_checked_submit.SizeCheckedSubmit"
DEFAULT_MAX_SUBMISSION_MB = 20
_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


@dataclass
class ClassroomSettings:
    """One classroom: the course, its people, where things live, and the hub's address.

    ``state_dir`` holds the hub's own files (project-local, root only); ``share_dir`` what every
    user must reach: the exchange and the servers' configuration (outside the root user's home,
    which students cannot enter).
    """

    state_dir: Path
    course_id: str = "gillab"
    instructor: str = "instructor"
    ip: str = "127.0.0.1"
    port: int = 8000
    share_dir: Path | None = None
    group_prefix: str | None = None
    max_submission_mb: int = DEFAULT_MAX_SUBMISSION_MB
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.state_dir = Path(self.state_dir)
        self.share_dir = Path(self.share_dir) if self.share_dir else Path("/srv/gillab") / self.course_id
        if self.group_prefix is None:
            self.group_prefix = self.course_id
        if not _NAME.match(self.instructor):
            raise ValueError(
                f"instructor {self.instructor!r} cannot be a Unix user name: use lower-case letters, digits, "
                "_ and -, starting with a letter or _, at most 32 characters"
            )

    @property
    def students_group(self) -> str:
        """The Unix group of the students."""
        return f"{self.group_prefix}-students"

    @property
    def instructors_group(self) -> str:
        """The Unix group of the instructor."""
        return f"{self.group_prefix}-instructors"

    @property
    def exchange_root(self) -> Path:
        """nbgrader's ``Exchange.root``."""
        return self.share_dir / "exchange"

    @property
    def user_config_dir(self) -> Path:
        """The folder on every server's ``JUPYTER_CONFIG_PATH``."""
        return self.share_dir / "jupyter-config"

    @property
    def hub_dir(self) -> Path:
        """The hub's private files (database, cookie secret, token, pid, log): root only."""
        return self.state_dir / "hub"

    @property
    def url(self) -> str:
        """Where students open the classroom."""
        return f"http://{self.ip}:{self.port}/"

    @property
    def max_file_kb(self) -> int:
        """The limit in nbgrader's unit (kilobytes of 1000 bytes, ``CourseDirectory.max_file_size``)."""
        return self.max_submission_mb * 1000

    def save(self) -> Path:
        """Write the settings to ``state_dir/classroom.json`` (stop, status and add-students read it)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.state_dir / "classroom.json"
        data = {key: str(value) if isinstance(value, Path) else value for key, value in asdict(self).items()}
        path.write_text(json.dumps(data, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, state_dir: Path) -> ClassroomSettings:
        """The settings a classroom was started with; FileNotFoundError if none was set up there."""
        path = Path(state_dir) / "classroom.json"
        if not path.is_file():
            raise FileNotFoundError(
                f"no classroom was set up in {state_dir} (no classroom.json): start one with make classroom"
            )
        return cls(**json.loads(path.read_text()))


def nbgrader_user_config(course_id: str, exchange_root: str, max_file_kb: int) -> str:
    """The ``nbgrader_config.py`` every user's server and nbgrader command loads.

    >>> print(nbgrader_user_config("gil101", "/srv/x", 20000).splitlines()[2])
    c.CourseDirectory.course_id = 'gil101'
    """
    return "\n".join(
        [
            "# nbgrader for every user of the classroom (generated by gillab.classroom.settings; do not edit)",
            "c = get_config()  # noqa: F821",
            f"c.CourseDirectory.course_id = {course_id!r}",
            f"c.Exchange.root = {str(exchange_root)!r}",
            "# a submission's size limit, checked before anything is copied (in kB of 1000 bytes)",
            f"c.CourseDirectory.max_file_size = {max_file_kb}",
            f"c.CourseDirectory.max_dir_size = {max_file_kb}",
            f"c.ExchangeFactory.submit = {SUBMIT_CLASS!r}",
            "",
        ]
    )


def _page_config(disabled: bool) -> dict:
    plugins = {plugin: disabled for plugin in INSTRUCTOR_LAB_PLUGINS}
    # locked as well: otherwise JupyterLab's plugin manager could switch them back on
    return {"disabledExtensions": dict(plugins), "lockedExtensions": dict(plugins)}


def _server_config(enabled: bool) -> dict:
    return {"ServerApp": {"jpserver_extensions": {name: enabled for name in INSTRUCTOR_SERVER_EXTENSIONS}}}


def course_files(settings: ClassroomSettings) -> dict:
    """``{relative path: text}`` of the folder on every server's ``JUPYTER_CONFIG_PATH``."""
    return {
        "nbgrader_config.py": nbgrader_user_config(settings.course_id, settings.exchange_root, settings.max_file_kb),
    }


def environment_files() -> dict:
    """``{path relative to etc/jupyter: content}`` of the environment every server runs from
    (JSON files as dicts): what students do not get."""
    return {
        "labconfig/page_config.json": _page_config(disabled=True),
        # .d files are read in name order: zz- comes after nbgrader's own file, which enables everything
        "jupyter_server_config.d/zz-gillab-classroom.json": _server_config(enabled=False),
    }


def instructor_files(settings: ClassroomSettings, course_root: Path) -> dict:
    """``{path relative to the instructor's ~/.jupyter: content}``: the Formgrader and the rest back on,
    and nbgrader pointed at the course folder in the instructor's home."""
    config_file = Path(course_root) / "grader" / "nbgrader_config.py"
    return {
        "nbgrader_config.py": "\n".join(
            [
                "# the instructor's nbgrader: the course in this home (generated by gillab classroom)",
                "c = get_config()  # noqa: F821",
                f"load_subconfig({str(config_file)!r})  # noqa: F821",
                "",
            ]
        ),
        "labconfig/page_config.json": _page_config(disabled=False),
        "jupyter_server_config.json": _server_config(enabled=True),
    }


def user_environment(settings: ClassroomSettings, venv: Path) -> dict:
    """The environment of every user's server (and of commands run as a user): the classroom's
    venv first on PATH (nbgrader runs ``alembic`` from PATH) and the shared configuration folder."""
    return {
        "PATH": f"{Path(venv) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "JUPYTER_CONFIG_PATH": str(settings.user_config_dir),
    }
