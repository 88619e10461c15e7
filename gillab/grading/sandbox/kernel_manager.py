"""A Jupyter kernel manager that starts the kernel inside the grading sandbox.

jupyter_client starts a kernel from its kernelspec's command line; :class:`SandboxKernelManager`
wraps that line with :func:`gillab.grading.sandbox.bwrap.bwrap_command` and changes two things the
sandbox requires:

- the kernel talks to the grader over Unix sockets (ZeroMQ ``ipc`` transport) in a folder shared
  with the sandbox, because the sandbox has no network, not even the host's loopback;
- a free-threaded interpreter gets :data:`FREE_THREADED_FACTOR` times the address-space limit;
- interrupts are sent as ``interrupt_request`` messages on the control channel, which ipykernel
  turns into a SIGINT to itself. A signal from outside would reach bubblewrap's own processes
  first and end the whole sandbox instead of the running cell.

With ``sandbox`` left as ``None`` it behaves exactly like jupyter_client's ``AsyncKernelManager``.
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import replace

from jupyter_client.manager import AsyncKernelManager
from traitlets import Any

from .bwrap import bwrap_command, interpreter_paths, python_paths

__all__ = ["SandboxKernelManager", "free_threaded_interpreter", "FREE_THREADED_FACTOR"]

#: How much more address space a free-threaded kernel may reserve than ``Limits.memory_bytes``.
FREE_THREADED_FACTOR = 8


@functools.lru_cache(maxsize=16)
def free_threaded_interpreter(executable: str) -> bool:
    """Whether the Python at ``executable`` was built free-threaded (asked once per interpreter)."""
    try:
        question = "import sysconfig; print(bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"
        answer = subprocess.run([executable, "-c", question], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return answer.stdout.strip() == "True"


class SandboxKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` whose kernel runs in a bubblewrap sandbox when ``sandbox`` is set.

    ``sandbox`` is a :class:`gillab.grading.sandbox.bwrap.SandboxSettings`; its ``shared_dirs`` must
    contain the folder of ``connection_file`` (set ``transport="ipc"`` too).
    """

    sandbox = Any(None, allow_none=True, help="SandboxSettings, or None to run the kernel unsandboxed")

    def format_kernel_cmd(self, extra_arguments=None):
        """The kernelspec's command, wrapped in ``bwrap`` when a sandbox is configured."""
        command = super().format_kernel_cmd(extra_arguments)
        if self.sandbox is None:
            return command
        assert self.kernel_spec is not None
        self.kernel_spec.interrupt_mode = "message"
        read_only = (self.sandbox.read_only if self.sandbox.read_only is not None else python_paths())
        settings = self.sandbox.with_(read_only=tuple(read_only) + interpreter_paths(command[0]))
        if free_threaded_interpreter(command[0]):
            # a free-threaded CPython's allocator reserves address space per thread that it does not
            # use (8 idle threads: 1.65 GB of address space against 0.60 GB on the standard build,
            # Python 3.13): the address-space limit, a stand-in for memory, must allow for that
            limits = settings.limits
            settings = settings.with_(limits=replace(limits, memory_bytes=limits.memory_bytes * FREE_THREADED_FACTOR))
        return bwrap_command(command, settings)
