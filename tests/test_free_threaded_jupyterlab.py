"""The course's JupyterLab (`make lab`, i.e. `gillab lab` from .venv) offers both kernels: the
standard ``python3`` and the free-threaded one `make ft-kernel` registers; and starting each runs
the interpreter it names.

This runs in `make test` too, whenever the free-threaded kernel is registered (skipped, saying how to
get it, when it is not), and must run in `make test-ft`. The server always comes from the course's
.venv, whichever Python runs the tests: that is the JupyterLab learners open.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from support.ft_kernel import FT_VENV, KERNEL_NAME, MAIN_VENV, require_registered_kernel
from support.lab_server import gillab_lab

from gillab.machine.procfs import child_processes, process_info

TOKEN = "gillab-ft-kernels-test"
SERVER_START_S = 90


def api(base: str, path: str, method: str = "GET", body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else None


def kernel_processes(server: int) -> dict[int, Path]:
    """pid -> resolved executable of each kernel the server started (its children; jupyter_client
    gives each kernel a session of its own, so only the parent links them)."""
    found = {}
    for pid in child_processes(server):
        if "ipykernel_launcher" in " ".join(getattr(process_info(pid), "command", ())):
            try:
                found[pid] = Path(f"/proc/{pid}/exe").resolve(strict=True)
            except OSError:
                continue  # it ended while we looked
    return found


@pytest.fixture
def course_lab(tmp_path):
    """`gillab lab` from the course's .venv on 127.0.0.1, with private Jupyter folders (so only the
    kernels registered in .venv itself count), stopped with its kernels at the end. Yields the
    server's address and process id (`gillab lab` replaces itself with the server)."""
    require_registered_kernel()
    python = MAIN_VENV / "bin" / "python"
    assert python.exists(), f"{python} is missing: `make setup` creates it (make test-ft does)"
    env = {key: value for key, value in os.environ.items() if key not in ("JUPYTER_PATH", "PYTHON_GIL")}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                 "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        env[name] = str(tmp_path / name.lower())
    with gillab_lab(python, tmp_path, TOKEN, env, start_s=SERVER_START_S) as server:
        yield server


def kernel_executable(base: str, server: int, name: str) -> Path:
    """Start kernel ``name`` through the server's REST API, as the Launcher does; return the
    interpreter the server started for it (read from /proc), and shut the kernel down."""
    before = set(kernel_processes(server))
    kernel = api(base, "/api/kernels", "POST", {"name": name})
    try:
        deadline = time.monotonic() + 60
        while True:
            started = {pid: executable for pid, executable in kernel_processes(server).items() if pid not in before}
            if started:
                assert len(started) == 1, f"starting {name!r} started {started}"
                return next(iter(started.values()))
            assert time.monotonic() < deadline, f"no kernel process of {name!r} appeared within 60 s"
            time.sleep(0.2)
    finally:
        api(base, f"/api/kernels/{kernel['id']}", "DELETE")


def test_the_course_jupyterlab_offers_both_kernels_and_starts_each_on_its_python(course_lab):
    base, server = course_lab
    specs = api(base, "/api/kernelspecs")["kernelspecs"]
    assert {"python3", KERNEL_NAME} <= set(specs), f"the course's JupyterLab offers {sorted(specs)}"
    standard, free_threaded = specs["python3"]["spec"], specs[KERNEL_NAME]["spec"]
    assert standard["display_name"] == "Python 3 (ipykernel)"
    assert free_threaded["display_name"].startswith("Python 3.") and free_threaded["display_name"].endswith(
        " (free-threaded)"
    )

    ft_python = kernel_executable(base, server, KERNEL_NAME)
    standard_python = kernel_executable(base, server, "python3")
    assert ft_python == (FT_VENV / "bin" / "python").resolve(), f"the free-threaded kernel ran {ft_python}"
    assert standard_python == (MAIN_VENV / "bin" / "python").resolve(), f"the python3 kernel ran {standard_python}"
    assert ft_python != standard_python
    # the interpreter the free-threaded kernel runs was built with --disable-gil
    built = subprocess.run(
        [str(ft_python), "-c", "import sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED'))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert built.stdout.strip() == "1", built.stdout + built.stderr
    assert (
        f"Python {free_threaded['display_name'].split()[1]}"
        in subprocess.run([str(ft_python), "--version"], capture_output=True, text=True, timeout=60).stdout
    )
