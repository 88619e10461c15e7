"""What the classroom runs, installed by the project's own files.

- The Python environment of the hub and of every user's server: ``scripts/classroom-venv.sh``
  (Debian's ``/usr/bin/python3``, outside the root user's home, cached by the pins in
  ``GILLAB_CLASSROOM_CACHE``, default ``/var/cache/gillab/classroom``).
- JupyterHub's proxy, ``configurable-http-proxy``, from the npm registry: its version is pinned
  in ONE place, ``deploy/local/package.json`` (with ``package-lock.json``, whose integrity hashes
  ``npm ci`` checks), and it is installed into the project-local folder ``.classroom/proxy/``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

__all__ = ["InstallError", "classroom_venv", "install_proxy", "proxy_version", "PROXY_PACKAGE_DIR"]

#: The folder of the proxy's package.json and package-lock.json, relative to the course folder.
PROXY_PACKAGE_DIR = Path("deploy") / "local"


class InstallError(RuntimeError):
    """Something the classroom needs could not be installed; the message says what and why."""


def classroom_venv(course_root: Path) -> Path:
    """The classroom's virtual environment, created or updated by ``scripts/classroom-venv.sh``."""
    script = Path(course_root) / "scripts" / "classroom-venv.sh"
    result = subprocess.run(["bash", str(script)], cwd=course_root, stdout=subprocess.PIPE, text=True)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise InstallError(f"{script} could not make the classroom's environment (its message is above)")
    venv = Path(lines[-1])
    if not (venv / "bin" / "jupyterhub").exists():
        raise InstallError(f"{venv} has no jupyterhub: remove the folder and run make classroom again")
    return venv


def proxy_version(course_root: Path) -> str:
    """The pinned version of configurable-http-proxy."""
    package = json.loads((Path(course_root) / PROXY_PACKAGE_DIR / "package.json").read_text())
    return package["dependencies"]["configurable-http-proxy"]


def install_proxy(course_root: Path, target: Path) -> Path:
    """``configurable-http-proxy`` installed with ``npm ci`` into ``target``; returns its executable.

    Reinstalls only when the pinned package files changed since the last install.
    """
    source = Path(course_root) / PROXY_PACKAGE_DIR
    target = Path(target)
    executable = target / "node_modules" / ".bin" / "configurable-http-proxy"
    wanted = [(source / name).read_text() for name in ("package.json", "package-lock.json")]
    have = [(target / name).read_text() if (target / name).exists() else None
            for name in ("package.json", "package-lock.json")]
    if executable.exists() and have == wanted:
        return executable
    if not shutil.which("npm"):
        raise InstallError(
            "npm is needed to install JupyterHub's proxy (configurable-http-proxy) from the npm registry. "
            "Debian/Ubuntu: sudo apt install nodejs npm"
        )
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(source / name, target / name)
    print(f"==> Installing configurable-http-proxy {proxy_version(course_root)} from the npm registry into {target}")
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=target, capture_output=True, text=True,
    )
    if result.returncode != 0 or not executable.exists():
        raise InstallError(
            f"npm ci could not install configurable-http-proxy into {target}: "
            f"{(result.stderr or result.stdout).strip()[-800:]}"
        )
    return executable
