"""Shared test helpers: where the repository and the shared tools are, and free ports."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_tool(name: str) -> Path | None:
    """A tool from the developers' shared folder (``../shared/tools``), wherever the clone lives."""
    candidates = [os.environ.get("GILLAB_SHARED_DIR", ""), str(REPO.parent / "shared"), "/work/shared"]
    for folder in filter(None, candidates):
        tool = Path(folder) / "tools" / name
        if tool.is_file():
            return tool
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def binder_sim():
    """The path of ``binder-sim``; the test is skipped with the reason when it cannot run here."""
    tool = shared_tool("binder-sim")
    if tool is None:
        pytest.skip("binder-sim not found (set GILLAB_SHARED_DIR to the developers' shared folder)")
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("binder-sim needs root and unshare to set a CPU quota")
    return tool
