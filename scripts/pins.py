"""The pins of pyproject.toml for the interpreter running this script, and a loud check of them.

    python scripts/pins.py requirements                 print them, one requirement a line
    python scripts/pins.py check [--compare-with PYTHON] fail when the installed versions differ

Run it with the environment's own interpreter. The pins are ``[project] dependencies`` and the
optional groups every course environment installs (:data:`COURSE_EXTRAS`). A free-threaded
interpreter also takes ``[tool.gillab.free-threaded-overrides."3.N"]``: a pinned release that has
no free-threaded wheel for that Python (and whose source cannot be built offline) is replaced there
by a named release, or left out (``false``); each is said out loud.

pip can quietly pick an old release when a package has no wheel for an interpreter (a free-threaded
build cannot use abi3 wheels), so after installing, ``check`` compares every pin with what is really
installed: a difference is an error. With ``--compare-with``, packages that are not pinned (the
dependencies' dependencies) are compared with another environment's and differences are listed as a
warning: the two kernels should run the same code for their results to be comparable.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
LIST_VERSIONS = (
    "import json, importlib.metadata as m; "
    "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
)
#: Installed by the virtual environment itself, not by the course.
TOOLS = {"pip", "setuptools", "wheel", "gillab"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def overrides(pyproject: Path = PYPROJECT) -> dict[str, str | None]:
    """The replacements that apply to this interpreter (none unless it is free-threaded); None for
    a package left out."""
    if not sysconfig.get_config_var("Py_GIL_DISABLED"):
        return {}
    table = tomllib.loads(pyproject.read_text()).get("tool", {}).get("gillab", {}).get("free-threaded-overrides", {})
    found = table.get(f"{sys.version_info[0]}.{sys.version_info[1]}", {})
    wrong = {name: value for name, value in found.items() if value is not False and not isinstance(value, str)}
    if wrong:
        raise SystemExit(
            f"ERROR: free-threaded-overrides in {pyproject} must be a version string or false, got {wrong}"
        )
    return {canonical(name): value or None for name, value in found.items()}


#: The optional groups every course environment installs (``.venv``, the free-threaded one); the
#: classroom's group goes only into the classroom's own environment (scripts/classroom-venv.sh).
COURSE_EXTRAS = ("test",)


def pins(pyproject: Path = PYPROJECT) -> dict[str, str]:
    """Every pinned package and the version this interpreter must have."""
    project = tomllib.loads(pyproject.read_text())["project"]
    groups = project.get("optional-dependencies", {})
    requirements = project["dependencies"] + [r for name in COURSE_EXTRAS for r in groups.get(name, [])]
    pinned = {canonical(name): version for name, version in (r.split("==", 1) for r in requirements)}
    replaced = overrides(pyproject)
    unknown = set(replaced) - set(pinned)
    if unknown:
        raise SystemExit(
            f"ERROR: free-threaded-overrides in {pyproject} name packages that are not pinned: {sorted(unknown)}"
        )
    return {name: version for name, version in (pinned | replaced).items() if version is not None}


def installed() -> dict[str, str]:
    return {canonical(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}


def check(pyproject: Path, compare_with: str | None) -> int:
    have, pinned = installed(), pins(pyproject)
    python = f"free-threaded Python {sys.version_info[0]}.{sys.version_info[1]}"
    for name, version in sorted(overrides(pyproject).items()):
        change = f"{version} instead of the pinned release" if version else "left out (the course's .venv provides it)"
        print(
            f"NOTE: {name} {change} on {python}, as tool.gillab.free-threaded-overrides in {pyproject.name} says",
            file=sys.stderr,
        )
    wrong = {name: version for name, version in pinned.items() if have.get(name) != version}
    for name, wanted in sorted(wrong.items()):
        found = f"{have[name]} is installed" if name in have else "it is not installed"
        print(f"ERROR: {name} is pinned to {wanted} in {pyproject.name} but {found} in {sys.prefix}", file=sys.stderr)
    if compare_with:
        output = subprocess.run([compare_with, "-c", LIST_VERSIONS], capture_output=True, text=True, check=True).stdout
        other = {canonical(name): version for name, version in json.loads(output).items()}
        for name in sorted(set(have) & set(other) - TOOLS - set(pinned)):
            if have[name] != other[name]:
                print(
                    f"WARNING: {name} {have[name]} here, {other[name]} in {compare_with} (not pinned)", file=sys.stderr
                )
    if not wrong:
        print(f"==> All {len(pinned)} pinned versions are installed in {sys.prefix}")
    return 1 if wrong else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["requirements", "check"])
    parser.add_argument(
        "--compare-with", metavar="PYTHON", help="check: another environment's python to compare unpinned packages with"
    )
    parser.add_argument(
        "--pyproject", type=Path, default=PYPROJECT, help="the pins (default: the course's pyproject.toml)"
    )
    args = parser.parse_args()
    if args.action == "requirements":
        print("\n".join(f"{name}=={version}" for name, version in pins(args.pyproject).items()))
        return 0
    return check(args.pyproject, args.compare_with)


if __name__ == "__main__":
    sys.exit(main())
