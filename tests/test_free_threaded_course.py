"""The chapters on the free-threaded kernel.

- nbval (pyproject's ``--nbval-current-env``) runs course/*.ipynb in a kernel of the Python that
  runs pytest: under `make test-ft` the free-threaded one. A probe notebook, run with the course's
  own pytest options, checks which interpreter that kernel is and, there, that its GIL is off.
- Chapter 06 on the registered free-threaded kernel (the one JupyterLab offers): it says the GIL is
  OFF, explains the threads' speedup for that build, and the two threads of its timeline computed
  at the same instant (tests/support/simultaneity.py). This runs in `make test` too, whenever the kernel is
  registered, and must run in `make test-ft`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig

import nbformat
import pytest
from support.ft_kernel import FT_VENV, KERNEL_DIRS, KERNEL_NAME, kernel_environment, require_registered_kernel
from support.paths import REPO
from support.simultaneity import PRINT_SPANS, prove_simultaneous, spans_from_json

from gillab.machine.cpus import effective_cpu_count

CHAPTER_06 = REPO / "course" / "06-beyond-the-video.ipynb"
#: Chapter 06's own timeline run, again, when a busy machine spoiled the chapter's run as proof.
RERUN_TIMELINE = "record = run_threads(count_sum, split_range(1, 2_000_001, 2), n_workers=2, n_ticks=200)"

PROBE = """import json, sys, sysconfig
facts = {{"prefix": sys.prefix, "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
         "gil_enabled": sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True}}
print(json.dumps(facts))
assert facts == {expected!r}, facts
"""


def test_nbval_runs_the_chapters_in_a_kernel_of_this_interpreter(tmp_path):
    """The same pytest options as `make test` / `make test-ft`, on a probe notebook in a course/ folder."""
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    if os.environ.get("GILLAB_REQUIRE_FREE_THREADED") == "1":
        assert free_threaded, f"make test-ft runs pytest on {sys.executable}, which is not a free-threaded build"
    expected = {"prefix": sys.prefix, "free_threaded_build": free_threaded, "gil_enabled": not free_threaded}
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE.format(expected=expected))])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    (tmp_path / "course").mkdir()
    nbformat.write(notebook, tmp_path / "course" / "probe.ipynb")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "course/probe.ipynb"],
                         cwd=tmp_path, env=kernel_environment(), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout[-4000:] + run.stderr[-2000:]


@contextlib.contextmanager
def chapter_on_the_free_threaded_kernel(notebook):
    """Execute ``notebook`` top to bottom in the registered free-threaded kernel, as JupyterLab's Run
    All would, then yield a function that runs more code in the same kernel and returns what it printed."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    manager = KernelManager(
        kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(d) for d in KERNEL_DIRS])
    )
    client = NotebookClient(notebook, km=manager, timeout=300, resources={"metadata": {"path": str(REPO / "course")}})
    client.reset_execution_trackers()
    with client.setup_kernel(env=kernel_environment()):
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)  # raises on any error

        def run(source: str) -> str:
            cell = nbformat.v4.new_code_cell(source)
            notebook.cells.append(cell)
            client.execute_cell(cell, len(notebook.cells) - 1)
            return "".join(output.get("text", "") for output in cell.outputs if output.get("output_type") == "stream")

        yield run


def printed(notebook) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


@pytest.mark.slow
def test_chapter_06_on_the_free_threaded_kernel_says_so_and_its_threads_compute_together():
    require_registered_kernel()
    notebook = nbformat.read(CHAPTER_06, as_version=4)
    with chapter_on_the_free_threaded_kernel(notebook) as run:
        text = printed(notebook)
        assert "a free-threaded build, and the GIL is OFF" in text and "GIL enabled now:     False" in text, text[:3000]
        assert "This kernel is one:" in text  # not "none yet: run make ft-kernel" while running on one
        assert "The GIL is off" in text  # the speedup explained for this build (a speed is never asserted)
        assert os.path.samefile(json.loads(run("import json, sys; print(json.dumps(sys.prefix))")), FT_VENV)
        if effective_cpu_count() < 2:
            pytest.skip(
                f"only {effective_cpu_count()} CPU is available: two threads cannot run at the same instant here"
            )
        attempts = []

        def timeline_spans():
            # the chapter's own timeline run first; then the same run again, if a busy machine spoiled it
            source = RERUN_TIMELINE + "\n" if attempts else ""
            attempts.append(source)
            return spans_from_json(run(source + PRINT_SPANS.format(spans="record.spans")))

        prove_simultaneous(timeline_spans, "chapter 06's timeline threads on the free-threaded kernel")
