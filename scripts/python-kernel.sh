#!/usr/bin/env bash
# A second (or third) Jupyter kernel for the course: build CPython from Debian's newest python3.N
# source package into a cache outside the repository, make a virtual environment from it with the
# course installed, and register it as a kernel of the course's .venv. Two flavours, one build:
#   free-threaded   ./configure --disable-gil (make ft-kernel, .venv-ft): threads without the GIL
#   standard        the same configure line without --disable-gil (make gil-kernel, .venv-gil): the
#                   newest Python with the GIL on, where sys._is_gil_enabled(), os.process_cpu_count(),
#                   the start-method text and subinterpreters run as they do on a learner's 3.13+
# Usage:
#   scripts/python-kernel.sh FLAVOUR [MAIN_VENV] [VENV]   build or reuse, then install and register
#   scripts/python-kernel.sh --missing-build-deps         print the Debian packages the build needs and lacks
# Settings (environment):
#   GILLAB_CACHE_DIR   where interpreters are built (default ~/.cache/gillab); shared by every clone
#   GILLAB_FT_PYTHON   free-threaded: a version such as 3.13 to build instead of the newest supported one
#   GILLAB_GIL_PYTHON  standard: the same
#   GILLAB_BUILD_JOBS  parallel compile jobs (default: the number of CPUs)
# The system's Python and apt configuration are never touched: apt runs on a private sources list and
# private state folders under the cache; only the archive's address is read from the system's sources.
set -euo pipefail
cd "$(dirname "$0")/.."  # the repository: pyproject.toml and the course's package are installed from here

cache=${GILLAB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gillab}
# The newest Python for which PyPI has wheels of every pin in pyproject.toml, in both flavours. Debian
# unstable also offers python3.15, but numpy 2.4.6 has neither cp315 nor cp315t wheels (and
# contourpy 1.3.3 no cp315t ones), checked on PyPI for x86_64 Linux.
newest_supported=3.14
# Debian packages the build needs for the standard library the course uses (ssl, ctypes, sqlite3 for
# nbgrader's gradebook, zlib, bz2, lzma, zstd, readline, uuid, curses). .ci/install-system-packages
# installs them from this list.
build_packages=(build-essential pkg-config xz-utils libssl-dev libffi-dev zlib1g-dev libsqlite3-dev
  libbz2-dev liblzma-dev libzstd-dev libreadline-dev libncurses-dev uuid-dev)
# The kernels' names, one per flavour (tests/support reads them from here)
ft_kernel_name=python3-free-threaded
gil_kernel_name=python3-standard-newest

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

missing_build_packages() {
  command -v dpkg-query >/dev/null 2>&1 || { printf '%s\n' "${build_packages[@]}"; return; }
  local package
  for package in "${build_packages[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == "install ok installed" ]] || echo "$package"
  done
}

if [[ ${1:-} == --missing-build-deps ]]; then
  missing_build_packages
  exit 0
fi
flavour=${1:-}
case $flavour in
  free-threaded)
    oldest=3.13  # free-threaded builds exist from 3.13 on (PEP 703)
    wanted=${GILLAB_FT_PYTHON:-} wanted_name=GILLAB_FT_PYTHON why_oldest="free-threaded builds exist from 3.13 on"
    configure_flags=(--disable-gil) suffix=t kernel_name=$ft_kernel_name label="free-threaded"
    default_venv=.venv-ft make_target=ft-kernel ;;
  standard)
    # 3.13: the first version with sys._is_gil_enabled(), os.process_cpu_count(), PYTHON_GIL and the
    # low-level modules subinterpreters are reached through (_interpreters, _interpqueues)
    oldest=3.13
    wanted=${GILLAB_GIL_PYTHON:-} wanted_name=GILLAB_GIL_PYTHON why_oldest="the course's current-Python checks need 3.13 or newer"
    configure_flags=() suffix="" kernel_name=$gil_kernel_name label="standard build"
    default_venv=.venv-gil make_target=gil-kernel ;;
  *) die "the first argument must be the flavour to build, free-threaded or standard, got '$flavour'" ;;
esac
main_venv=${2:-.venv}
new_venv=${3:-$default_venv}
[[ -x $main_venv/bin/python ]] || die "$main_venv does not exist yet: run make setup first (make $make_target does)"

if [[ -n $wanted ]]; then
  [[ $wanted =~ ^3\.([0-9]+)$ ]] && ((BASH_REMATCH[1] >= ${oldest#3.})) ||
    die "$wanted_name must be a version like 3.14 ($why_oldest), got '$wanted'"
fi

# --- 1. The interpreter: reuse a finished build, or download and build one ------------------------
finished_build() {
  # cpython-3.13.15t is free-threaded, cpython-3.13.15 standard: the name alone tells them apart
  local prefix name
  for prefix in $(ls -d "$cache"/cpython-3.* 2>/dev/null | sort -V -r); do
    name=$(basename "$prefix")
    [[ $name =~ ^cpython-3\.[0-9]+\.[0-9]+$suffix$ ]] || continue
    if [[ -f $prefix/.gillab-complete && ( -z $wanted || $name == cpython-$wanted.* ) ]]; then
      echo "$prefix"
      return
    fi
  done
}

# apt-get/apt-cache on a private sources list and private state: nothing under /etc/apt or /var/lib/apt
# is read for sources or written.
private_apt() {
  local tool=$1; shift
  local options=(-o "Dir::Etc::SourceList=$cache/apt/sources.list" -o "Dir::Etc::SourceParts=$cache/apt/sources.list.d"
    -o "Dir::State::Lists=$cache/apt/lists" -o "Dir::Cache=$cache/apt/cache")
  # as root, apt downloads as the user _apt, who cannot enter a private cache such as /root/.cache
  if [[ $(id -u) == 0 ]]; then options+=(-o "APT::Sandbox::User=root"); fi
  "$tool" "${options[@]}" "$@"
}

debian_archive() {
  # apt itself parses the system's sources (one-line or deb822 format); take the entry of this
  # release (e.g. bookworm), not its -updates or -security companions
  local codename
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE) $(TARGET_OF)' 2>/dev/null |
    awk -v release="$codename" '$3 ~ /^deb/ && $2 == release { print $1; exit }'
}

download_source() {
  command -v apt-get >/dev/null 2>&1 ||
    die "make $make_target builds from Debian's source packages and needs apt-get (Debian or Ubuntu)"
  local archive keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed_by="" suite
  archive=$(debian_archive)
  [[ -n $archive ]] || die "no Debian archive found in the system's apt sources (apt-get indextargets lists none for this release)"
  if [[ -f $keyring ]]; then signed_by="[signed-by=$keyring] "; fi
  mkdir -p "$cache/apt/sources.list.d" "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/sources"
  for suite in stable stable-backports testing unstable; do
    echo "deb-src ${signed_by}$archive $suite main"
  done >"$cache/apt/sources.list"
  say "Looking for Debian's python3.N source packages at $archive (stable, stable-backports, testing, unstable)"
  # apt refuses an index whose InRelease signature does not verify against the keyring, and files
  # whose hashes differ from the signed index
  private_apt apt-get update -qq >"$cache/apt/update.log" 2>&1 ||
    die "apt-get update on the private sources list failed, or a signature did not verify (see $cache/apt/update.log)"

  local newest=${wanted:-$newest_supported} lowest=${wanted:-$oldest} minor candidate candidates=()
  if [[ -z $wanted ]]; then
    for ((minor = ${newest#3.} + 3; minor > ${newest#3.}; minor--)); do
      if [[ -n $(private_apt apt-cache showsrc "python3.$minor" 2>/dev/null | awk '/^Version:/') ]]; then
        say "Debian also offers python3.$minor; the course's pins have no $label wheels for it yet ($wanted_name=3.$minor to try)"
      fi
    done
  fi
  for ((minor = ${newest#3.}; minor >= ${lowest#3.}; minor--)); do
    for candidate in $(private_apt apt-cache showsrc "python3.$minor" 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -V -r -u); do
      candidates+=("python3.$minor=$candidate")
    done
  done
  [[ ${#candidates[@]} -gt 0 ]] || die "no source package of python$lowest$([[ $lowest == "$newest" ]] || echo " to python$newest") found at $archive (suites stable, stable-backports, testing, unstable)"
  # the index can list a version the mirror does not hold (yet): take the newest that downloads
  for candidate in "${candidates[@]}"; do
    say "Downloading the source of $candidate (apt checks it against the signed index)"
    if (cd "$cache/sources" && private_apt apt-get source --download-only -qq "$candidate" >"$cache/sources/download.log" 2>&1); then
      package=${candidate%%=*} upstream=${candidate#*=} upstream=${upstream%%-*}
      tarball="$cache/sources/${package}_$upstream.orig.tar.xz"
      [[ -f $tarball ]] || die "the download did not produce $tarball (see $cache/sources/download.log)"
      return
    fi
    say "  not available: $(grep -m1 '^E:' "$cache/sources/download.log" | cut -c1-160)"
  done
  die "none of ${candidates[*]} could be downloaded from $archive (the last attempt: $cache/sources/download.log)"
}

compile() {
  local prefix=$1 build="$cache/build" log=$2 jobs=${GILLAB_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}
  rm -rf "$build" && mkdir -p "$build" "$(dirname "$log")"
  tar -xf "$tarball" -C "$build"
  local source
  source=$(find "$build" -mindepth 1 -maxdepth 1 -type d | head -1)
  say "Configuring Python $upstream ($label${configure_flags[*]:+: ${configure_flags[*]}}; log: $log)"
  # --disable-test-modules: CPython's own test suite is 150 MB the course never runs. The two
  # flavours differ by --disable-gil only, so "GIL or no GIL" is the one difference between them.
  (cd "$source" && ./configure --prefix="$prefix" "${configure_flags[@]}" --disable-test-modules --with-ensurepip=install) >"$log" 2>&1 ||
    die "configure failed; the end of $log says why"
  say "Compiling with $jobs jobs at low priority (nice): about 8-15 minutes on 2 cores"
  local started=$SECONDS
  (cd "$source" && exec nice -n 10 make -j"$jobs") >>"$log" 2>&1 &
  make_pid=$!
  trap 'kill "$make_pid" 2>/dev/null' EXIT  # stop compiling when this script stops
  local next_report=60
  while kill -0 "$make_pid" 2>/dev/null; do
    sleep 2
    if ((SECONDS - started >= next_report)); then
      say "  still compiling: $((next_report / 60)) min, $(find "$source" -name '*.o' | wc -l) object files so far"
      next_report=$((next_report + 60))
    fi
  done
  wait "$make_pid" || die "compiling failed after $((SECONDS - started)) s; the end of $log says why"
  trap - EXIT
  say "Compiled in $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s; installing into $prefix"
  (cd "$source" && make install) >>"$log" 2>&1 || die "make install failed; the end of $log says why"
  # a module whose library was missing is skipped by the build with only a line in the log
  GILLAB_FLAVOUR=$flavour "$prefix/bin/python3" - <<'EOF' || die "the new interpreter lacks standard modules the course needs (see above and $log)"
import importlib, os, sys, sysconfig
needed = {"ssl": "libssl-dev", "ctypes": "libffi-dev", "sqlite3": "libsqlite3-dev", "zlib": "zlib1g-dev",
          "bz2": "libbz2-dev", "lzma": "liblzma-dev", "readline": "libreadline-dev", "_uuid": "uuid-dev",
          "curses": "libncurses-dev", "decimal": "(bundled)"}
if sys.version_info >= (3, 14):
    needed["compression.zstd"] = "libzstd-dev"
if sys.version_info >= (3, 13):
    # what subinterpreters are reached through (the stdlib's concurrent.interpreters, or the backport)
    needed |= {"_interpreters": "(bundled)", "_interpqueues": "(bundled)"}
missing = []
for module, package in needed.items():
    try:
        importlib.import_module(module)
    except ImportError as error:
        missing.append(f"{module} ({package}): {error}")
free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
if free_threaded != (os.environ["GILLAB_FLAVOUR"] == "free-threaded"):
    missing.append(f"the build is {'free-threaded' if free_threaded else 'standard'}, not {os.environ['GILLAB_FLAVOUR']}")
print("\n".join(missing), file=sys.stderr)
sys.exit(bool(missing))
EOF
  # the static libpython (twice 75 MB) is only for embedding Python in other programs; the download
  # and apt's indexes are only needed to build again
  rm -f "$prefix"/lib/libpython3*.a "$prefix"/lib/python3*/config-*/libpython3*.a
  rm -rf "$build" "$cache/sources" "$cache/apt/lists" "$cache/apt/cache"
  touch "$prefix/.gillab-complete"
}

prefix=$(finished_build)
if [[ -z $prefix ]]; then
  # two clones (or CI and a developer) starting at once: one builds, the other waits and reuses
  mkdir -p "$cache"
  exec 9>"$cache/build.lock"
  flock -n 9 || { say "Another build of Python (make ft-kernel or make gil-kernel) is running in $cache; waiting for it"; flock 9; }
  prefix=$(finished_build)
fi
if [[ -n $prefix ]]; then
  say "Reusing the $label Python built before: $prefix (remove it to rebuild)"
else
  missing=$(missing_build_packages | tr '\n' ' ')
  [[ -z ${missing// /} ]] || die "building Python needs these Debian packages, which are missing: ${missing% }
  Install them with:  $([[ $(id -u) == 0 ]] || echo "sudo ")apt-get install ${missing% }
  (CI installs them through .ci/install-system-packages)"
  download_source
  prefix="$cache/cpython-${upstream}$suffix"
  rm -rf "$prefix"
  build_started=$SECONDS
  compile "$prefix" "$cache/logs/cpython-${upstream}$suffix-build.log"
  say "Built $prefix in $(((SECONDS - build_started) / 60)) min $(((SECONDS - build_started) % 60)) s ($(du -sh "$prefix" | cut -f1) on disk)"
fi
new_python="$prefix/bin/python3"
version=$("$new_python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')

# --- 2. The virtual environment: the course and its pinned dependencies ----------------------------
if [[ $("$new_venv/bin/python" -c 'import sys; print(sys.base_prefix)' 2>/dev/null) != "$prefix" ]]; then
  say "Creating $new_venv from $new_python"
  rm -rf "$new_venv"
  "$new_python" -m venv "$new_venv" || die "could not create $new_venv with $new_python"
fi
stamp="$new_venv/.gillab-installed"
wanted_stamp="$(sha256sum pyproject.toml | cut -d' ' -f1) $prefix"
if [[ -f $stamp && $(cat "$stamp") == "$wanted_stamp" ]] && "$new_venv/bin/python" -c "import gillab" >/dev/null 2>&1; then
  say "The course is installed in $new_venv and up to date (pyproject.toml unchanged)"
else
  say "Installing the course and its pinned dependencies into $new_venv (the first time takes a few minutes)"
  rm -f "$stamp"
  "$new_venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip ||
    die "could not upgrade pip in $new_venv: is the network (PyPI) reachable?"
  # the pins of pyproject.toml whose markers select this Python, with the overrides it names for a
  # free-threaded Python version
  "$new_venv/bin/python" scripts/pins.py requirements >"$new_venv/requirements.txt" ||
    die "could not read the pins from pyproject.toml (see above)"
  # --prefer-binary: an unpinned dependency whose newest release has no wheel for this Python (a
  # free-threaded build cannot use abi3 wheels) is taken at the newest release that has one, instead
  # of a source build that may need tools or downloads this machine lacks; pins.py check lists every
  # such difference. A package with no such wheel at all (tornado on 3.13t) is built from source,
  # never swapped for an ancient pure-Python release.
  "$new_venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off --quiet --prefer-binary -r "$new_venv/requirements.txt" ||
    die "installing the course's dependencies into $new_venv failed (see pip's message above)"
  "$new_venv/bin/python" -m pip install --disable-pip-version-check --quiet --no-deps -e . ||
    die "installing the course's package into $new_venv failed (see pip's message above)"
  "$new_venv/bin/python" scripts/pins.py check --compare-with "$main_venv/bin/python" ||
    die "$new_venv does not hold the versions pinned in pyproject.toml (see above)"
  echo "$wanted_stamp" >"$stamp"
fi
if [[ $flavour == free-threaded ]]; then
  # importing an extension that does not declare itself free-threading safe turns the GIL back on, for good
  env -u PYTHON_GIL "$new_venv/bin/python" -W error::RuntimeWarning -c \
    'import sys, ipykernel.kernelapp, ipywidgets, numpy, matplotlib.pyplot, joblib, zmq, gillab.measure.runners; sys.exit(sys._is_gil_enabled())' ||
    die "importing the kernel's packages turned the GIL back on in $new_venv (see the warning above)"
fi
# both flavours are 3.13 or newer, where the course runs chunks in subinterpreters: say so if it cannot
"$new_venv/bin/python" -c '
import sys
from gillab.machine.interpreter import subinterpreter_support
support = subinterpreter_support()
print(f"==> Subinterpreters: {support.source} ({support.detail})")
sys.exit(not support.available)' ||
  die "this Python $version offers no subinterpreters the course can use (see the line above)"

# --- 3. The Jupyter kernel, registered in the course's .venv so that `make lab` offers it ----------
display_name="Python $version ($label)"
# (ipykernel warns that this prefix is not its own Jupyter path: it is the course JupyterLab's)
output=$("$new_venv/bin/python" -m ipykernel install --prefix "$main_venv" --name "$kernel_name" --display-name "$display_name" 2>&1) ||
  die "could not register the kernel in $main_venv: $output"
say "Kernel \"$display_name\" registered in $main_venv: choose it in JupyterLab (make lab) under Kernel > Change Kernel"
say "Interpreter $prefix ($(du -sh "$prefix" | cut -f1)), environment $new_venv ($(du -sh "$new_venv" | cut -f1)); make test-${make_target%-kernel} runs the tests on it"
