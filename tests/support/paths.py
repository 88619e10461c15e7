"""Where the repository and the developers' shared tools are, and free ports on 127.0.0.1."""

from __future__ import annotations

import os
import socket
from pathlib import Path

__all__ = ["REPO", "shared_tool", "free_port"]

REPO = Path(__file__).resolve().parents[2]


def shared_tool(name: str) -> Path | None:
    """A tool from the developers' shared folder (``../shared/tools``), wherever the clone lives."""
    candidates = [os.environ.get("GILLAB_SHARED_DIR", ""), str(REPO.parent / "shared"), "/work/shared"]
    for folder in filter(None, candidates):
        tool = Path(folder) / "tools" / name
        if tool.is_file():
            return tool
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
