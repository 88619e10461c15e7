#!/usr/bin/env bash
# The classroom's Python environment (`make classroom`): ONE virtual environment that runs the hub
# and every student's and the instructor's server and kernels. Prints its path on the last line.
#   scripts/classroom-venv.sh [COURSE_VENV]
# It must be made by the system's own Python (Debian's /usr/bin/python3), OUTSIDE the root user's
# home: root's home is mode 700, so a venv there (or one linked to pyenv's Python in it) cannot be
# run by the students' Unix users. It is cached, keyed by the pins, in
#   GILLAB_CLASSROOM_CACHE   (default /var/cache/gillab/classroom)/venv-<key>
# where <key> is a hash of the Python version and the pins of pyproject.toml (the main
# dependencies and the `classroom` extra). The course's own package is reinstalled into it when
# its source changed (a second stamp). Needs root (the folder is shared by every user).
set -euo pipefail
cd "$(dirname "$0")/.."
course_venv=${1:-.venv}
python=${GILLAB_CLASSROOM_PYTHON:-/usr/bin/python3}
cache=${GILLAB_CLASSROOM_CACHE:-/var/cache/gillab/classroom}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

[[ -x $python ]] || die "$python was not found: the classroom's environment is made by the system's own Python (Debian/Ubuntu: apt install python3 python3-venv), because students' Unix users must be able to run it"
case "$(cd "$(dirname "$cache")" 2>/dev/null && pwd -P || dirname "$cache")/" in
  "$(cd ~root 2>/dev/null && pwd -P)"/*) die "GILLAB_CLASSROOM_CACHE=$cache is inside the root user's home, which students cannot enter: choose a folder such as /var/cache/gillab/classroom" ;;
esac
# the requirements: pyproject.toml's main dependencies and the classroom extra, exactly as pinned
requirements=$("$python" - <<'PY'
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["classroom"]))
PY
) || die "could not read the pins from pyproject.toml with $python (it needs Python 3.11 or newer for tomllib)"
key=$({ "$python" --version 2>&1; echo "$requirements"; } | sha256sum | cut -c1-16)
venv="$cache/venv-$key"
umask 022   # every file readable by the students' users
if [[ ! -f $venv/.gillab-pins-installed ]]; then
  say "Creating the classroom environment $venv with $("$python" --version 2>&1) (once per set of pins: about 1-2 minutes)"
  rm -rf "$venv"
  mkdir -p "$cache"
  "$python" -m venv "$venv" || die "could not create $venv (Debian/Ubuntu: apt install python3-venv)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2 ||
    die "could not upgrade pip in $venv: is PyPI reachable?"
  echo "$requirements" >"$venv/requirements.txt"
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off --quiet -r "$venv/requirements.txt" >&2 ||
    die "installing the classroom's pinned packages into $venv failed (see pip's message above)"
  touch "$venv/.gillab-pins-installed"
fi
# the course's package: a copy (not an editable link into this folder, which students may not be
# able to read), reinstalled when its source changed
source_key=$(find gillab pyproject.toml -type f \( -name '*.py' -o -name '*.json' -o -name '*.toml' \) -print0 |
  sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
if [[ $(cat "$venv/.gillab-source" 2>/dev/null) != "$source_key" ]]; then
  say "Installing the course's package into $venv"
  # built from a copy, so that no build/ or egg-info folder is left in the repository
  copy=$(mktemp -d)
  trap 'rm -rf "$copy"' EXIT
  cp -r gillab pyproject.toml README.md LICENSE "$copy/"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$copy" >&2 ||
    die "installing the course's package into $venv failed (see pip's message above)"
  echo "$source_key" >"$venv/.gillab-source"
fi
chmod 755 "$cache" "$venv"
echo "$venv"
