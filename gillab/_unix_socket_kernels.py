"""Kernels this package starts itself (grading, ``gillab bench``) talk to it over Unix sockets.

jupyter_client's default transport is TCP on 127.0.0.1, for which ipykernel warns at every start
that the messages travel unencrypted; a Unix socket in a folder only its owner can enter is both
private and quiet. The grading sandbox needs it anyway: the sandbox has no network at all.

>>> from jupyter_client.manager import KernelManager
>>> manager = KernelManager(kernel_name="python3")
>>> folder = use_unix_sockets(manager)
>>> manager.transport, manager.connection_file.startswith(folder)
('ipc', True)
>>> import shutil; shutil.rmtree(folder)
"""

from __future__ import annotations

import os
import tempfile

__all__ = ["use_unix_sockets"]


def use_unix_sockets(manager) -> str:
    """Point a jupyter_client kernel manager at Unix sockets in a new private folder, and return
    the folder (the caller removes it when the kernel has stopped)."""
    # short prefix: a Unix socket's path may not exceed 107 bytes, and TMPDIR may already be long
    folder = tempfile.mkdtemp(prefix="gk-")
    manager.transport = "ipc"
    manager.connection_file = os.path.join(folder, "kernel.json")
    manager.ip = os.path.join(folder, "kernel-ipc")
    return folder
