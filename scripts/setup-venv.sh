#!/usr/bin/env bash
# Create the course's virtual environment and install the course into it. Reinstalls only when
# pyproject.toml (where every dependency is pinned) changed since the last successful install.
#   scripts/setup-venv.sh [PYTHON] [VENV]
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}
min_major=3 min_minor=10   # keep equal to requires-python in pyproject.toml (tests/test_project_pins.py checks)

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

command -v "$python" >/dev/null 2>&1 ||
  die "'$python' was not found. Install Python $min_major.$min_minor or newer (Debian: apt install python3 python3-venv; macOS: brew install python), or point make at one: make test PYTHON=/path/to/python3"
"$python" -c "import sys; sys.exit(sys.version_info < ($min_major, $min_minor))" ||
  die "$("$python" --version 2>&1) is too old: the course needs Python $min_major.$min_minor or newer (make ... PYTHON=/path/to/python3)"

if ! "$venv/bin/python" -c "import sys" >/dev/null 2>&1; then
  say "Creating the virtual environment $venv with $("$python" --version 2>&1)"
  rm -rf "$venv"
  "$python" -m venv "$venv" ||
    die "could not create $venv. On Debian/Ubuntu install the venv module first: apt install python3-venv"
fi

stamp="$venv/.gillab-installed"
wanted=$("$venv/bin/python" -c "import hashlib; print(hashlib.sha256(open('pyproject.toml', 'rb').read()).hexdigest())")
if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]] && "$venv/bin/python" -c "import gillab" >/dev/null 2>&1; then
  say "The course is installed in $venv and up to date (pyproject.toml unchanged)"
  exit 0
fi

say "Installing the course and its pinned dependencies into $venv (the first time takes about a minute)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip ||
  die "could not upgrade pip in $venv: is the network (PyPI) reachable?"
"$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off --quiet -e ".[test]" ||
  die "installing the course's dependencies failed (see pip's message above). Fix the cause and run the same make command again; nothing was marked as installed."
echo "$wanted" > "$stamp"
say "Installed: $("$venv/bin/python" -m pip --disable-pip-version-check list 2>/dev/null | wc -l) packages in $venv"
