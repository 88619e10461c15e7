"""Keep the witness's expectations out of the student version of an assignment.

A test cell of a source notebook declares in ``metadata.gillab.evidence`` what the grader's witness
must see while it runs (:mod:`gillab.grading.witness`), hidden tests included. The witness reads
them from the SOURCE notebook, so the student version needs none of it, and must not show the
hidden tests' parameters. :class:`ClearEvidence` removes them while nbgrader generates the
student version; ``grader/nbgrader_config.py`` puts it in ``GenerateAssignment.preprocessors``.

>>> from nbformat.v4 import new_code_cell, new_notebook
>>> notebook = new_notebook(cells=[new_code_cell("1", metadata={"gillab": {"evidence": []}, "x": 1})])
>>> ClearEvidence().preprocess(notebook, {})[0].cells[0].metadata
{'x': 1}
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

__all__ = ["ClearEvidence"]


class ClearEvidence(NbGraderPreprocessor):
    """Remove every cell's ``metadata.gillab.evidence`` (and ``metadata.gillab`` when it is then empty)."""

    def preprocess_cell(self, cell, resources, index):
        """Clear one cell's evidence entries."""
        ours = cell.get("metadata", {}).get("gillab")
        if isinstance(ours, dict):
            ours.pop("evidence", None)
            if not ours:
                del cell.metadata["gillab"]
        return cell, resources
