"""Executing a COPY of a chapter cell by cell in a real kernel, as a learner's Run would, with the
chance to type other code into a cell and run it again (a challenge's answer cell, then its check).

The kernel is the environment's ``python3`` (under ``make test-ft`` the free-threaded interpreter),
started by jupyter_client on Unix sockets (:func:`gillab._unix_socket_kernels.use_unix_sockets`),
as ``gillab bench`` runs the course; nbclient executes the cells and raises on any error.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from gillab._unix_socket_kernels import use_unix_sockets
from support.paths import REPO

__all__ = ["ChapterRun", "Challenge", "chapter_kernel", "challenges_in", "ANSWER_TAG"]

ANSWER_TAG = "challenge-answer"
#: A slow cell (a measurement, a first joblib call) on a busy 2-core machine.
CELL_TIMEOUT_S = 300


@dataclass(frozen=True)
class Challenge:
    """Where a challenge sits in a chapter: its module, answer cell and check cell ids."""

    module: str
    answer_id: str
    check_id: str


def challenges_in(notebook) -> list[Challenge]:
    """The challenges of a notebook (nbformat), in order: each tagged answer cell and the check
    cell after it, with the challenge module the check imports."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if ANSWER_TAG in cell.get("metadata", {}).get("tags", []):
            check = notebook.cells[index + 1]
            module = re.match(r"from gillab\.probes\.challenges import (\w+)", check.source).group(1)
            found.append(Challenge(module, cell.id, check.id))
    return found


def printed(cell) -> str:
    """What a code cell printed (its stream outputs)."""
    outputs = cell.get("outputs", [])
    return "".join(output.get("text", "") for output in outputs if output.get("output_type") == "stream")


class ChapterRun:
    """A chapter being executed: :meth:`run_until` runs the next cells up to one, :meth:`run` runs
    one cell again, optionally with new source; both return what the cell printed."""

    def __init__(self, notebook, client):
        self.notebook, self.client = notebook, client
        self._next = 0

    def _index(self, cell_id: str) -> int:
        return next(index for index, cell in enumerate(self.notebook.cells) if cell.get("id") == cell_id)

    def run_until(self, cell_id: str) -> str:
        last = self._index(cell_id)
        while self._next <= last:
            self.client.execute_cell(self.notebook.cells[self._next], self._next)
            self._next += 1
        return printed(self.notebook.cells[last])

    def run(self, cell_id: str, source: str | None = None) -> str:
        index = self._index(cell_id)
        cell = self.notebook.cells[index]
        if source is not None:
            cell.source = source
        cell.outputs = []
        self.client.execute_cell(cell, index)
        return printed(cell)


@contextlib.contextmanager
def chapter_kernel(name: str, workdir: Path):
    """Copy course/ into ``workdir`` and yield a :class:`ChapterRun` of chapter ``name`` there."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    folder = Path(workdir) / "course"
    shutil.copytree(REPO / "course", folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    notebook = nbformat.read(folder / name, as_version=4)
    manager = KernelManager(kernel_name="python3")
    sockets = use_unix_sockets(manager)
    client = NotebookClient(
        notebook, km=manager, timeout=CELL_TIMEOUT_S, kernel_name="python3", shutdown_kernel="immediate",
        resources={"metadata": {"path": str(folder)}},
    )
    client.reset_execution_trackers()
    try:
        with client.setup_kernel():
            yield ChapterRun(notebook, client)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
