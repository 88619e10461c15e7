"""Real-browser testing of notebooks: a private Jupyter server and Debian's Chromium via Playwright.

For any test that must see what a learner sees in JupyterLab or Notebook 7:

- :func:`require_chromium` finds the browser, or skips the test with a loud reason;
- :class:`JupyterServer` serves a COPY of some notebooks (autosave would write outputs into the
  originals) from a temporary folder, on 127.0.0.1 and a free port, with every Jupyter, IPython
  and matplotlib folder isolated, and stops itself and its kernels;
- :func:`launch_browser`, :func:`open_notebook`, :func:`run_all_cells` and :func:`set_slider`
  drive the page the way a learner does.

Everything waits with generous, stated timeouts: these tests share two cores with other work.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from support.paths import REPO, free_port

#: Where screenshots go (git-ignored); CI can keep the folder as an artifact.
ARTIFACTS = REPO / "test-artifacts"
#: Timeouts under CPU contention: a notebook page can take 10 s to reach an idle kernel on a quiet
#: machine; several times that while other tests run.
SERVER_START_S = 90
PAGE_TIMEOUT_MS = 120_000
TOKEN = "gillab-browser-test"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
#: JupyterLab and Notebook 7 settings: no news pop-up over the page; every cell rendered even when
#: off screen, so that outputs can be found and screenshotted.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
_ISOLATED = ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
             "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR", "MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    """The Chromium executable, or a loud skip saying how to get one."""
    path = find_chromium()
    if path is None:
        pytest.skip(
            "REAL-BROWSER TEST NOT RUN: no chromium on PATH (looked for "
            f"{', '.join(CHROMIUM_NAMES)}). Install it with `sudo apt-get install chromium` "
            "(.ci/install-system-packages does this in CI)."
        )
    return path


def copy_notebooks(notebooks, root: Path, folder: str = "copy") -> list[str]:
    """Copy each notebook's folder to ``root/folder/`` (resources beside a notebook come along);
    returns the notebooks' paths relative to ``root``, as the server sees them."""
    served = []
    for notebook in notebooks:
        notebook = Path(notebook)
        source = notebook if notebook.is_absolute() else REPO / notebook
        target = root / folder / source.parent.name
        if not target.exists():
            shutil.copytree(source.parent, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        served.append(f"{folder}/{source.parent.name}/{source.name}")
    return served


class JupyterServer:
    """A Jupyter server (JupyterLab and Notebook 7 pages) serving ``root`` on 127.0.0.1."""

    def __init__(self, root: Path, workdir: Path):
        self.root, self.workdir = Path(root), Path(workdir)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = self.workdir / "jupyter-server.log"

    def environment(self) -> dict:
        env = dict(os.environ)
        for name in _ISOLATED:
            env[name] = str(self.workdir / name.lower())
            Path(env[name]).mkdir(parents=True, exist_ok=True)
        env.pop("JUPYTER_CONFIG_PATH", None)
        settings = Path(env["JUPYTERLAB_SETTINGS_DIR"])
        for relative, values in SETTINGS.items():
            path = settings / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return env

    def start(self) -> JupyterServer:
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={self.root}", "--LabApp.expose_app_in_browser=True",
            "--JupyterNotebookApp.expose_app_in_browser=True", "--ServerApp.open_browser=False",
        ]
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, cwd=self.root, env=self.environment(), stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Jupyter server exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                self.api("/api/status")
                return self
            except OSError as error:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the Jupyter server did not answer within {SERVER_START_S} s") from error
                time.sleep(0.25)

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(self.base + path, method=method, headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_sessions(self) -> None:
        """Close every notebook session and its kernel (as closing the tabs and shutting down would)."""
        for session in self.api("/api/sessions") or []:
            self.api(f"/api/sessions/{session['id']}", method="DELETE")

    def page_url(self, path: str, ui: str) -> str:
        """The URL of a notebook in JupyterLab (``ui="lab"``) or Notebook 7 (``ui="notebook"``)."""
        prefix = {"lab": "/lab/tree/", "notebook": "/notebooks/"}[ui]
        # JupyterLab restores the last workspace, reopening the previous test's notebook beside
        # this one (its cells would match every selector); ?reset starts from an empty one
        reset = "reset&" if ui == "lab" else ""
        return f"{self.base}{prefix}{path}?{reset}token={TOKEN}"

    def stop(self) -> None:
        """Shut the kernels down (they run in sessions of their own), then the server."""
        if self.process is None:
            return
        try:
            for kernel in self.api("/api/kernels") or []:
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE")
        except (OSError, urllib.error.URLError, ValueError):
            pass  # a server that is already gone has no kernels to stop
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        self._log.close()
        self.process = None

    def __enter__(self) -> JupyterServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def launch_browser(playwright, profile: Path):
    """A headless Chromium with a private profile; returns the browser context."""
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=require_chromium(), headless=True, args=CHROMIUM_ARGS,
        # tall enough that a whole lab fits: JupyterLab scrolls inside its own panel, so a
        # screenshot of an element only shows the part inside the window
        viewport={"width": 1400, "height": 2400},
    )
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    return context


@contextlib.contextmanager
def browser_context(profile: Path):
    """Playwright started, and :func:`launch_browser`'s context for the duration, closed afterwards
    (a module fixture's body: ``with browser_context(work / "profile") as context: yield context``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = launch_browser(playwright, profile)
        try:
            yield context
        finally:
            context.close()


def open_notebook(context, server: JupyterServer, path: str, ui: str):
    """Open ``path`` in ``ui`` and wait until its kernel is attached and idle; returns the page."""
    page = context.new_page()
    page.goto(server.page_url(path, ui))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=PAGE_TIMEOUT_MS)
    # the status reads idle before a kernel is attached: wait for the kernel's name first
    page.wait_for_function(
        """() => [...document.querySelectorAll(
                     '.jp-Toolbar-kernelName, .jp-NotebookKernelStatus, [data-jp-item-name="kernelName"]')]
                 .some(element => element.textContent.includes('Python 3'))""",
        timeout=PAGE_TIMEOUT_MS,
    )
    wait_kernel_idle(page)
    return page


def kernel_status(page) -> str:
    """The notebook's kernel status as the frontend knows it ("idle", "busy", "unknown", ...)."""
    return page.evaluate(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const kernel = panel && panel.sessionContext && panel.sessionContext.session
                && panel.sessionContext.session.kernel;
            return kernel ? kernel.status : 'unknown';
        }"""
    )


def wait_kernel_idle(page, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    page.wait_for_function(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const kernel = panel && panel.sessionContext && panel.sessionContext.session
                && panel.sessionContext.session.kernel;
            return kernel && kernel.status === 'idle';
        }""",
        timeout=timeout_ms,
    )


def run_all_cells(page, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Run every cell and wait until none is queued or running and the kernel is idle."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    try:
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                return prompts.length > 0 && prompts.every(prompt => /\\[\\d+\\]/.test(prompt.textContent));
            }""",
            timeout=timeout_ms,
        )
    except PlaywrightTimeout:
        # run-all stops at a failing cell and leaves the rest unnumbered: say which, and why
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        raise AssertionError(
            f"not every cell ran within {timeout_ms / 1000:g} s; prompts: {[p.strip() for p in prompts]}; "
            f"error outputs: {cell_errors(page)}"
        ) from None
    wait_kernel_idle(page, timeout_ms)


def cell_errors(page) -> list[str]:
    """The text of every error output in the notebook (a traceback means a cell failed)."""
    return page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()


def set_slider(slider, value) -> str:
    """Type ``value`` into an ipywidgets slider's readout (works in JupyterLab and Notebook 7,
    where the handle ignores arrow keys); returns what the readout shows afterwards."""
    readout = slider.locator(".widget-readout")
    readout.fill(str(value))
    readout.press("Enter")
    return readout.inner_text().strip()


def screenshot(locator, name: str, also: Path | None = None) -> Path:
    """Save a screenshot of ``locator`` as ``test-artifacts/<name>.png`` (and copy it to ``also``)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    locator.screenshot(path=str(path))
    if also is not None:
        also.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, also)
    return path
