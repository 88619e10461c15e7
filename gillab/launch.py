"""Starting JupyterLab on the course: ``gillab lab`` (what ``make lab`` runs).

It finds the course repository, points Jupyter at the course's nbgrader configuration (so the
Formgrader sees the course), turns off JupyterLab's news pop-up, and opens the first chapter.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = [
    "find_course_root",
    "first_notebook",
    "lab_command",
    "lab_environment",
    "install_lab_settings",
    "LAB_SETTINGS",
    "add_parser",
]

#: JupyterLab settings the course needs: no news or update pop-ups over the first chapter.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def find_course_root(start: str | os.PathLike | None = None, package_parent: str | os.PathLike | None = None) -> Path:
    """The repository folder holding ``course/`` and ``gillab/``: searched upwards from ``start``
    (default: the current folder), then ``package_parent`` (default: beside this package)."""
    candidates = [Path(start or os.getcwd()).resolve()]
    candidates += list(candidates[0].parents)
    candidates.append(Path(package_parent or Path(__file__).resolve().parent.parent))
    for folder in candidates:
        if (folder / "course").is_dir() and (folder / "gillab").is_dir():
            return folder
    raise FileNotFoundError(
        "could not find the GIL Lab course (a folder with course/ and gillab/ in it): "
        "run this from inside the course repository"
    )


def first_notebook(root: Path) -> Path | None:
    """The first chapter (by its sortable name), or None when the course has no notebook yet."""
    notebooks = sorted((root / "course").glob("[0-9]*.ipynb"))
    return notebooks[0] if notebooks else None


def install_lab_settings(prefix: str | os.PathLike = sys.prefix) -> Path | None:
    """Merge :data:`LAB_SETTINGS` into ``<prefix>/share/jupyter/lab/settings/overrides.json``.

    Returns the file written, or None when the folder is not writable (a system-wide Python):
    the course still works, with JupyterLab's default pop-ups.
    """
    path = Path(prefix) / "share/jupyter/lab/settings/overrides.json"
    try:
        current = json.loads(path.read_text()) if path.exists() else {}
    except ValueError:
        current = {}  # a broken overrides file would break JupyterLab's settings anyway
    merged = {**current, **{key: {**current.get(key, {}), **value} for key, value in LAB_SETTINGS.items()}}
    if merged == current:
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, indent=2) + "\n")
    except OSError:
        return None
    return path


def lab_environment(root: Path, environ: dict | None = None) -> dict:
    """The environment for JupyterLab: the course's grader/ first on JUPYTER_CONFIG_PATH."""
    env = dict(os.environ if environ is None else environ)
    paths = [str(root / "grader")] + [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def lab_command(root: Path, extra_args: list[str]) -> list[str]:
    """The ``jupyter lab`` command line: served from the repository, opening the first chapter."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}"]
    notebook = first_notebook(root)
    if notebook is not None:
        command.append(str(notebook.relative_to(root)))
    return command + list(extra_args)


def main(extra_args: list[str]) -> int:
    """``gillab lab``: replace this process with JupyterLab on the course; 2 if no course is found."""
    try:
        root = find_course_root()
    except FileNotFoundError as error:
        print(f"gillab lab: {error}", file=sys.stderr)
        return 2
    settings = install_lab_settings()
    if settings is None:
        print("gillab lab: could not write JupyterLab settings (read-only Python); pop-ups stay on", file=sys.stderr)
    command = lab_command(root, extra_args)
    print("gillab lab: starting JupyterLab on", root / "course", flush=True)
    os.chdir(root)
    os.execve(command[0], command, lab_environment(root))
    return 0  # not reached: execve replaces this process


def add_parser(subparsers) -> None:
    """Add ``lab`` to the ``gillab`` command's ``subparsers``."""
    parser = subparsers.add_parser(
        "lab",
        help="start JupyterLab on the course (extra arguments go to jupyter lab)",
        description="Start JupyterLab on the course. Unknown arguments, e.g. --no-browser --port 8899, "
        "are passed to jupyter lab.",
    )

    def run(args) -> int:
        return main(args.extra)

    parser.set_defaults(run=run, takes_extra=True)
