"""Make submissions from an assignment's notebooks: answers filled in, cells changed, files written.

Used by the tests' fixture corpus and by the grading benchmark; an instructor can use
:func:`fill_answers` to check that the solution gets full marks through the whole pipeline.

Cells are found by their nbgrader ``grade_id``, so the same transformation works on any
assignment that names its cells (the course's problem sets do).

>>> import nbformat
>>> from nbformat.v4 import new_notebook, new_code_cell
>>> meta = {"nbgrader": {"grade_id": "answer", "solution": True, "grade": False, "locked": False}}
>>> source = new_notebook(cells=[new_code_cell("x = 1\\n### BEGIN SOLUTION\\nx = 2\\n### END SOLUTION", metadata=meta)])
>>> stub = "x = 1\\n# YOUR CODE HERE\\nraise NotImplementedError()"
>>> student = new_notebook(cells=[new_code_cell(stub, metadata=meta)])
>>> fill_answers(student, source).cells[0].source
'x = 1\\nx = 2'
>>> inject(student, "answer", "import sys", where="start").cells[0].source.splitlines()[0]
'import sys'
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timezone
from pathlib import Path

import nbformat

__all__ = [
    "fill_answers",
    "inject",
    "replace_source",
    "delete_cells",
    "find_cell",
    "grade_ids",
    "tests_of",
    "write_submission",
    "write_timestamp",
]

_MARKER = re.compile(r"^\s*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$")


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def grade_ids(notebook) -> list[str]:
    """The nbgrader ``grade_id`` of every cell that has one, in order."""
    return [gid for gid in map(_grade_id, notebook.cells) if gid]


def find_cell(notebook, grade_id: str):
    """The cell with this ``grade_id``; a ``KeyError`` that lists the ids there are."""
    for cell in notebook.cells:
        if _grade_id(cell) == grade_id:
            return cell
    raise KeyError(f"no cell with grade_id {grade_id!r}; the notebook has {', '.join(grade_ids(notebook))}")


def _solution_text(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if not _MARKER.match(line))


def fill_answers(student_notebook, source_notebook):
    """A copy of ``student_notebook`` with every answer cell holding the source's solution.

    Answer cells are the ``solution`` cells of nbgrader; the solution is the source cell's text
    without the ``### BEGIN/END SOLUTION`` marker lines.
    """
    filled = copy.deepcopy(student_notebook)
    solutions = {
        _grade_id(cell): _solution_text(cell.source)
        for cell in source_notebook.cells
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    for cell in filled.cells:
        grade_id = _grade_id(cell)
        if grade_id in solutions and cell.metadata["nbgrader"].get("solution"):
            cell.source = solutions[grade_id]
    return filled


def inject(notebook, grade_id: str, code: str, where: str = "start"):
    """A copy with ``code`` added at the ``start`` or ``end`` of the cell ``grade_id``."""
    if where not in ("start", "end"):
        raise ValueError(f"where must be 'start' or 'end', got {where!r}")
    changed = copy.deepcopy(notebook)
    cell = find_cell(changed, grade_id)
    cell.source = f"{code}\n{cell.source}" if where == "start" else f"{cell.source}\n{code}"
    return changed


def replace_source(notebook, grade_id: str, code: str):
    """A copy with the cell ``grade_id``'s source replaced by ``code``."""
    changed = copy.deepcopy(notebook)
    find_cell(changed, grade_id).source = code
    return changed


def delete_cells(notebook, grade_ids_to_delete) -> object:
    """A copy without the cells whose ``grade_id`` is listed."""
    unwanted = set(grade_ids_to_delete)
    changed = copy.deepcopy(notebook)
    changed.cells = [cell for cell in changed.cells if _grade_id(cell) not in unwanted]
    return changed


def tests_of(notebook, grade_id: str) -> list[str]:
    """The autograded test cells between the cell ``grade_id`` and the next answer cell.

    These are the tests of that answer (nbgrader's layout: answer, check cells, test cells).
    """
    ids, found, started = [], False, False
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") == grade_id:
            started = found = True
            continue
        if started and meta.get("solution"):
            break
        if started and meta.get("grade") and cell.cell_type == "code":
            ids.append(meta["grade_id"])
    if not found:
        find_cell(notebook, grade_id)  # raises the helpful KeyError
    return ids


def write_submission(submitted_root: Path, student: str, assignment: str, notebook_name: str, content) -> Path:
    """Write one submitted notebook where nbgrader expects it: ``<root>/<student>/<assignment>/<name>.ipynb``.

    ``content`` is a notebook (written with nbformat) or ``bytes`` (written as they are).
    """
    folder = Path(submitted_root) / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook_name}.ipynb"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        nbformat.write(content, str(path))
    return path


def write_timestamp(submitted_root: Path, student: str, assignment: str, when: datetime) -> Path:
    """Write nbgrader's ``timestamp.txt`` (the submission time) next to a submission."""
    folder = Path(submitted_root) / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "timestamp.txt"
    path.write_text(when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
    return path
