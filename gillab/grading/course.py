"""The course folder an instructor grades in: its nbgrader configuration, folders and gradebook.

A course folder is any folder with ``grader/nbgrader_config.py`` (this repository is one). That
file is loaded the way nbgrader loads it, so ``gillab grade`` and plain ``nbgrader`` commands
agree on every path. The pipeline's own records go next to nbgrader's, under ``grader/``:
``outcomes/`` (one JSON per graded submission), ``logs/`` and ``reports/``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Course", "CourseNotFound", "find_course"]

CONFIG_NAME = "nbgrader_config.py"


class CourseNotFound(RuntimeError):
    """No ``grader/nbgrader_config.py`` where one was looked for."""


def find_course(start: str | os.PathLike | None = None) -> Path:
    """The course folder: ``start`` itself or its nearest parent holding ``grader/nbgrader_config.py``.

    Without ``start``, the current folder, then the repository this package was installed from.
    """
    candidates = [Path(start)] if start is not None else [Path.cwd(), Path(__file__).resolve().parents[2]]
    for candidate in candidates:
        candidate = candidate.resolve()
        for folder in (candidate, *candidate.parents):
            if (folder / "grader" / CONFIG_NAME).is_file():
                return folder
    where = start if start is not None else f"{Path.cwd()} or its parents"
    raise CourseNotFound(
        f"no course found at {where}: a course folder has grader/{CONFIG_NAME} (nbgrader's configuration). "
        "Run gillab grade from inside the course folder or pass --course FOLDER."
    )


def _put_python_tools_on_path() -> None:
    # nbgrader runs `alembic` from PATH when it creates a gradebook; without this venv's bin on
    # PATH it fails, after --force has already removed the old release folder
    tools = str(Path(sys.executable).parent)
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = tools + os.pathsep + os.environ.get("PATH", "")


@dataclass
class Course:
    """One course folder with its loaded nbgrader configuration."""

    root: Path
    config: object  # traitlets.config.Config

    @classmethod
    def load(cls, folder: str | os.PathLike | None = None) -> Course:
        """Find the course (see :func:`find_course`) and load its nbgrader configuration."""
        from traitlets.config.loader import PyFileConfigLoader

        root = find_course(folder)
        _put_python_tools_on_path()
        config = PyFileConfigLoader(CONFIG_NAME, path=str(root / "grader")).load_config()
        # a course config normally sets its root from its own location; fill it in if not
        if "root" not in config.get("CourseDirectory", {}):
            config.CourseDirectory.root = str(root)
        return cls(root=root, config=config)

    @property
    def config_file(self) -> Path:
        """The course's ``grader/nbgrader_config.py``."""
        return self.root / "grader" / CONFIG_NAME

    def coursedir(self, **traits):
        """An nbgrader ``CourseDirectory`` for this course (``assignment_id=``, ``student_id=``...)."""
        from nbgrader.coursedir import CourseDirectory

        return CourseDirectory(config=self.config, **traits)

    def api(self):
        """nbgrader's ``NbGraderAPI`` for this course."""
        from nbgrader.apps.api import NbGraderAPI

        return NbGraderAPI(coursedir=self.coursedir(), config=self.config)

    def gradebook(self):
        """nbgrader's ``Gradebook`` on this course's database (use it as a context manager)."""
        from nbgrader.api import Gradebook

        coursedir = self.coursedir()
        return Gradebook(coursedir.db_url, coursedir.course_id)

    @property
    def db_url(self) -> str:
        """The gradebook's SQLAlchemy URL."""
        configured = self.config.get("CourseDirectory", {}).get("db_url")
        return configured if isinstance(configured, str) and configured else self.coursedir().db_url

    @property
    def gradebook_file(self) -> Path | None:
        """The sqlite file of the gradebook, or ``None`` for another database."""
        url = self.db_url
        return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None

    def folder(self, kind: str, student: str = ".", assignment: str = ".") -> Path:
        """An nbgrader folder: ``kind`` is ``source``, ``release``, ``submitted``, ``autograded`` or ``feedback``."""
        coursedir = self.coursedir()
        name = getattr(coursedir, f"{kind}_directory")
        return Path(coursedir.format_path(name, student, assignment)).resolve()

    @property
    def grader_dir(self) -> Path:
        """``grader/``, where the pipeline keeps its records."""
        return self.root / "grader"

    @property
    def outcomes_dir(self) -> Path:
        """``grader/outcomes``: one JSON outcome per graded submission."""
        return self.grader_dir / "outcomes"

    @property
    def logs_dir(self) -> Path:
        """``grader/logs``: nbgrader's log of each submission's grading."""
        return self.grader_dir / "logs"

    @property
    def reports_dir(self) -> Path:
        """``grader/reports``: the report pages."""
        return self.grader_dir / "reports"
