"""The pins of pyproject.toml for the interpreter running this script, and a loud check of them.

    python scripts/pins.py requirements                 print them, one requirement a line
    python scripts/pins.py requirements --only-marked   only the pins whose marker holds here (postBuild)
    python scripts/pins.py check [--compare-with PYTHON] fail when the installed versions differ

Run it with the environment's own interpreter. The pins are ``[project] dependencies`` and the
optional groups every course environment installs (:data:`COURSE_EXTRAS`), each ``name==version``,
optionally followed by an environment marker on the Python version (``; python_version >= "3.13"
and python_version < "3.14"``): a pin whose marker does not hold for this interpreter is not one of
its pins. A free-threaded interpreter also takes
``[tool.gillab.free-threaded-overrides."3.N"]``: a pinned release that has no free-threaded wheel
for that Python (and whose source cannot be built offline) is replaced there by a named release, or
left out (``false``); each is said out loud.

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


_MARKER_TERM = re.compile(r'python_version\s*(==|!=|<=|>=|<|>)\s*["\'](\d+)\.(\d+)["\']')
_COMPARE = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
}


def marker_holds(marker: str, version: tuple[int, int] = sys.version_info[:2]) -> bool:
    """Whether ``marker`` (terms ``python_version OP "X.Y"`` joined by ``and``) holds for ``version``.

    pip evaluates markers itself; this script runs before anything (``packaging`` included) is
    installed in a new environment, so it reads the one kind of marker pyproject.toml uses, and
    refuses any other kind loudly instead of guessing.
    """
    holds = True
    for term in marker.split(" and "):
        match = _MARKER_TERM.fullmatch(term.strip())
        if not match:
            raise SystemExit(
                f"ERROR: pins.py reads only markers like python_version >= \"3.13\" joined by 'and', got {marker!r}"
            )
        operator, major, minor = match.groups()
        holds = holds and _COMPARE[operator](version, (int(major), int(minor)))
    return holds


def split_requirement(requirement: str) -> tuple[str, str, str]:
    """``(name, version, marker)`` of a pin ``name==version[; marker]`` (marker empty when there is none)."""
    pin, _, marker = requirement.partition(";")
    name, separator, version = pin.partition("==")
    if not separator or not version.strip():
        raise SystemExit(f"ERROR: every requirement in pyproject.toml must be pinned with ==, got {requirement!r}")
    return name.strip(), version.strip(), marker.strip()


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


def pins(pyproject: Path = PYPROJECT, only_marked: bool = False) -> dict[str, str]:
    """Every pinned package and the version this interpreter must have (``only_marked``: only the
    pins whose environment marker holds here)."""
    project = tomllib.loads(pyproject.read_text())["project"]
    groups = project.get("optional-dependencies", {})
    requirements = project["dependencies"] + [r for name in COURSE_EXTRAS for r in groups.get(name, [])]
    pinned = {
        canonical(name): version
        for name, version, marker in map(split_requirement, requirements)
        if (not marker and not only_marked) or (marker and marker_holds(marker))
    }
    if only_marked:
        return pinned
    replaced = overrides(pyproject)
    # an override may name a pin of any group (the classroom's jupyterhub too), but it replaces only
    # pins this environment installs
    every = {canonical(split_requirement(r)[0]) for r in project["dependencies"] + sum(groups.values(), [])}
    unknown = set(replaced) - every
    if unknown:
        raise SystemExit(
            f"ERROR: free-threaded-overrides in {pyproject} name packages that are not pinned: {sorted(unknown)}"
        )
    replaced = {name: version for name, version in replaced.items() if name in pinned}
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
    parser.add_argument(
        "--only-marked", action="store_true", help="requirements: only the pins whose environment marker holds here"
    )
    args = parser.parse_args()
    if args.action == "requirements":
        print("\n".join(f"{name}=={version}" for name, version in pins(args.pyproject, args.only_marked).items()))
        return 0
    return check(args.pyproject, args.compare_with)


if __name__ == "__main__":
    sys.exit(main())
