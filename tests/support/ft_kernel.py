"""The free-threaded Jupyter kernel that ``make ft-kernel`` registers in the course's ``.venv``: its
name, where it is registered, and starting it as JupyterLab and nbgrader do (from that folder, by name).

Tests that need it call :func:`require_registered_kernel`: it skips, saying how to get the kernel,
and under ``make test-ft`` (GILLAB_REQUIRE_FREE_THREADED=1) fails instead.
"""

from __future__ import annotations

import json
import os
import re

from support.paths import REPO
from support.skips import skip_or_fail_without_free_threading

#: The course's own environment (JupyterLab, nbgrader), where the kernel is registered.
MAIN_VENV = REPO / ".venv"
#: Where `make ft-kernel` puts the free-threaded environment.
FT_VENV = REPO / ".venv-ft"
KERNEL_DIRS = [MAIN_VENV / "share" / "jupyter" / "kernels"]
#: The kernel's name, read from the one place that sets it.
KERNEL_NAME = re.search(r"^ft_kernel_name=(\S+)$", (REPO / "scripts" / "python-kernel.sh").read_text(), re.M).group(1)


def kernel_environment(**extra: str) -> dict:
    """This environment without PYTHON_GIL (which would turn the lock back on in the kernel)."""
    return {key: value for key, value in os.environ.items() if key != "PYTHON_GIL"} | extra


def registered_kernel() -> dict | None:
    """The kernel.json of the free-threaded kernel registered in the course's .venv, or None."""
    spec = KERNEL_DIRS[0] / KERNEL_NAME / "kernel.json"
    return json.loads(spec.read_text()) if spec.is_file() else None


def require_registered_kernel() -> dict:
    """The registered kernel's kernel.json; skip (fail under make test-ft) when there is none."""
    spec = registered_kernel()
    if spec is None:
        skip_or_fail_without_free_threading(
            f"no free-threaded kernel {KERNEL_NAME!r} is registered in {MAIN_VENV}: `make ft-kernel` builds one "
            "(about 8 minutes the first time) and registers it"
        )
    return spec


def start_registered_kernel(cwd: str | os.PathLike = REPO / "course", **environment: str):
    """A :class:`kernel_support.LiveKernel` of the registered free-threaded kernel, started by name
    from the course's .venv as JupyterLab starts it."""
    from support.kernels import LiveKernel

    require_registered_kernel()
    return LiveKernel(cwd=cwd, kernel_name=KERNEL_NAME, kernel_dirs=KERNEL_DIRS, env=kernel_environment(**environment))
