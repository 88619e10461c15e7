"""The ``course_run_s`` section: every course notebook executed headless, as a learner's
"Run All" would, one after another, each in a fresh kernel.

The notebooks run in a temporary copy of their folder, so nothing they write lands in the
repository. A notebook that fails is recorded with its error and the next one still runs::

    {"status": "ok", "folder": ".../course", "notebooks": 6, "seconds": 74.2,
     "per_notebook": [{"name": "01-what-is-the-gil.ipynb", "seconds": 9.1, "status": "ok"}, ...]}

``status`` is ``"ok"``, ``"failed"`` (some notebook failed; ``seconds`` then covers the failed
runs too), ``"no notebooks"``, or ``"not available"`` (no course folder: gillab was installed
without its repository).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .._unix_socket_kernels import use_unix_sockets
from ..measure.timing import time_call

__all__ = ["default_course_folder", "run_course", "CELL_TIMEOUT_S"]

#: The longest a single cell may run before its notebook counts as failed.
CELL_TIMEOUT_S = 600


def default_course_folder() -> Path:
    """``course/`` of the repository this package belongs to (FileNotFoundError if there is none)."""
    from ..launch import find_course_root

    return find_course_root() / "course"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    # nbclient's CellExecutionError ends with the exception's name and message
    return f"{type(error).__name__}: {lines[-1] if lines else text}"[:300]


def _execute(path: Path, workdir: Path) -> Exception | None:
    """Run the notebook at ``path``; returns the error instead of raising it, so a failed run is timed too."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    sockets = None
    try:
        notebook = nbformat.read(path, as_version=4)
        kernel = notebook.metadata.get("kernelspec", {}).get("name", "python3")
        manager = KernelManager(kernel_name=kernel)
        sockets = use_unix_sockets(manager)
        client = NotebookClient(
            notebook, km=manager, timeout=CELL_TIMEOUT_S, kernel_name=kernel,
            resources={"metadata": {"path": str(workdir)}},
        )
        client.execute()
    except Exception as error:  # noqa: BLE001 - recorded per notebook; the others still run
        return error
    finally:
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)
    return None


def run_course(folder=None, on_progress=None) -> dict:
    """Execute every ``*.ipynb`` in ``folder`` (default: the course's ``course/``), sorted by name."""
    if folder is None:
        try:
            folder = default_course_folder()
        except FileNotFoundError as error:  # gillab installed without its repository
            return {"status": "not available", "reason": str(error), "notebooks": 0, "seconds": 0.0, "per_notebook": []}
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"no course folder at {folder}")
    notebooks = sorted(folder.glob("*.ipynb"))
    section = {
        "status": "no notebooks",
        "folder": str(folder),
        "notebooks": len(notebooks),
        "seconds": 0.0,
        "per_notebook": [],
    }
    if not notebooks:
        section["reason"] = f"{folder} has no notebooks yet"
        return section
    with tempfile.TemporaryDirectory(prefix="gillab-course-run-") as scratch:
        workdir = Path(scratch) / folder.name
        shutil.copytree(folder, workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        for index, path in enumerate(notebooks):
            if on_progress is not None:
                on_progress(index, len(notebooks), path.name)
            timing = time_call(_execute, workdir / path.name, workdir, repeats=1, warmup=0)
            entry = {"name": path.name, "seconds": timing.median, "status": "ok"}
            if timing.result is not None:
                entry.update(status="failed", error=_first_line(timing.result))
            section["per_notebook"].append(entry)
    section["seconds"] = sum(entry["seconds"] for entry in section["per_notebook"])
    section["status"] = "ok" if all(entry["status"] == "ok" for entry in section["per_notebook"]) else "failed"
    return section
