"""Chapter 06 on a free-threaded kernel, when one is installed (`make ft-kernel` registers one)."""

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import REPO
from gillab.free_threading import free_threaded_kernels


@pytest.mark.slow
def test_chapter_06_detects_the_free_threaded_kernel_and_runs_on_it():
    kernels = free_threaded_kernels()
    if not kernels:
        pytest.skip("no free-threaded Jupyter kernel is installed here: `make ft-kernel` adds one")
    name, display = kernels[0]
    notebook = nbformat.read(REPO / "course" / "06-beyond-the-video.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name=name,
                   resources={"metadata": {"path": str(REPO / "course")}}).execute()  # raises on any error
    printed = "".join(
        output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )
    assert "a free-threaded build, and the GIL is OFF" in printed, f"kernel {display!r}: {printed[:2000]}"
    assert "GIL enabled now:     False" in printed
