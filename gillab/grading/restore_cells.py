"""Test cells a student deleted or edited: put back for grading, and named in the outcome.

nbgrader restores an edited locked cell from the gradebook by itself, and with
``OverwriteCells.add_missing_cells`` puts back a deleted test cell, after the cell that came
before it in the source. When that cell is gone too (several cells deleted, or an empty
notebook), nbgrader 0.9 stops with a ``KeyError`` and records no grade.
:class:`RestoringOverwriteCells` puts each missing test cell after the nearest earlier cell that
is still there (or first), and otherwise leaves nbgrader's behaviour alone.

:func:`tampered_cells` lists what was deleted or edited, for the outcome's notes.
"""

from __future__ import annotations

from nbgrader import utils
from nbgrader.preprocessors import OverwriteCells

__all__ = ["RestoringOverwriteCells", "tampered_cells"]


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


class RestoringOverwriteCells(OverwriteCells):
    """nbgrader's ``OverwriteCells`` whose re-adding of missing test cells cannot fail."""

    def add_missing_grade_cells(self, nb, resources):
        """Insert every missing grade cell after the nearest earlier source cell still present."""
        source_notebook = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source_notebook.source_cells]
        source_by_name = {cell.name: cell for cell in source_notebook.source_cells}
        solutions = {cell.name for cell in source_notebook.solution_cells}
        for grade_cell in source_notebook.grade_cells:
            present = {_grade_id(cell): index for index, cell in enumerate(nb.cells) if _grade_id(cell)}
            if grade_cell.name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_cell.name)
            earlier = order[: order.index(grade_cell.name)] if grade_cell.name in order else []
            position = next((present[name] + 1 for name in reversed(earlier) if name in present), 0)
            restored = self.missing_cell_transform(
                source_by_name[grade_cell.name], grade_cell.max_score, is_solution=grade_cell.name in solutions
            )
            nb.cells.insert(position, restored)
        return nb, resources


def tampered_cells(submitted, released) -> tuple[list, list]:
    """``(deleted, edited)``: grade ids of the released notebook's test cells missing from the
    ``submitted`` notebook, and of its locked cells whose content the student changed.

    Compared with the released (student) version, whose checksums nbgrader computed after
    removing hidden tests, so an untouched cell with hidden tests does not count as edited.
    """
    cells = {_grade_id(cell): cell for cell in submitted.cells if _grade_id(cell)}
    deleted, edited = [], []
    for original in released.cells:
        meta = original.get("metadata", {}).get("nbgrader", {})
        name = meta.get("grade_id")
        if not name:
            continue
        cell = cells.get(name)
        if cell is None:
            if meta.get("grade") and not meta.get("solution"):
                deleted.append(name)
        elif meta.get("locked"):
            try:
                changed = utils.compute_checksum(cell) != meta.get("checksum")
            except (KeyError, AttributeError, ValueError):
                changed = True  # its nbgrader metadata was damaged
            if changed:
                edited.append(name)
    return deleted, edited
