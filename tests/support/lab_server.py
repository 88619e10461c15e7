"""`gillab lab` started for a test: on 127.0.0.1 and a free port, answering, then stopped.

Used by tests/test_launch.py (the course's own JupyterLab) and
tests/test_free_threaded_jupyterlab.py (the same server from .venv offering both kernels).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from support.paths import REPO, free_port


@contextmanager
def gillab_lab(python, folder: Path, token: str, env: dict, start_s: float):
    """Run ``python -m gillab lab`` from the repository with ``env``, its log in ``folder/lab.log``;
    yield the server's address and process id once ``/api/status`` answers (within ``start_s``),
    and stop it with its process group (its kernels included) at the end."""
    port = free_port()
    command = [str(python), "-m", "gillab", "lab", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", "--allow-root"]
    log_path = folder / "lab.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    status = urllib.request.Request(base + "/api/status", headers={"Authorization": f"token {token}"})
    try:
        deadline = time.monotonic() + start_s
        while True:
            assert process.poll() is None, f"JupyterLab exited:\n{log_path.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(status, timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, (
                    f"JupyterLab did not answer within {start_s} s:\n{log_path.read_text()[-3000:]}"
                )
                time.sleep(0.25)
        yield base, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
