"""scripts/python-kernel.sh (`make ft-kernel`, `make gil-kernel`) and scripts/pins.py: the messages a
user sees when something is missing or wrong. The builds themselves are exercised by `make ft-kernel`
with `make test-ft`, and `make gil-kernel` with `make test-gil`."""

import os
import subprocess
import sys

from support.paths import REPO

SCRIPT = REPO / "scripts" / "python-kernel.sh"


def fake_dpkg_query(folder, installed: bool):
    """A dpkg-query that reports every package as installed, or none."""
    tool = folder / "dpkg-query"
    status = "install ok installed" if installed else ""
    tool.write_text(f"#!/bin/sh\nprintf '%s' '{status}'\n{'exit 0' if installed else 'exit 1'}\n")
    tool.chmod(0o755)
    return folder


def run_script(tmp_path, *args, installed=False, **environment):
    bin_folder = fake_dpkg_query(tmp_path, installed)
    env = {key: value for key, value in os.environ.items() if key not in ("GILLAB_FT_PYTHON", "GILLAB_GIL_PYTHON")}
    env |= {"PATH": f"{bin_folder}:{os.environ['PATH']}", "GILLAB_CACHE_DIR": str(tmp_path / "cache"), **environment}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=60, env=env)


def test_missing_build_packages_stop_the_build_with_the_command_to_install_them(tmp_path):
    result = run_script(tmp_path, "free-threaded", sys.prefix, str(tmp_path / "ft-venv"))
    assert result.returncode == 1
    assert "missing: build-essential pkg-config" in result.stderr and "libssl-dev" in result.stderr
    assert "apt-get install build-essential" in result.stderr
    assert not (tmp_path / "cache" / "apt").exists(), "nothing may be downloaded before the check"


def test_missing_build_deps_lists_only_what_is_missing(tmp_path):
    assert run_script(tmp_path, "--missing-build-deps", installed=True).stdout == ""
    missing = run_script(tmp_path, "--missing-build-deps", installed=False).stdout.split()
    assert {"libssl-dev", "libffi-dev", "zlib1g-dev", "libsqlite3-dev", "libzstd-dev"} <= set(missing)


def test_a_python_without_free_threading_is_refused(tmp_path):
    for version in ("3.12", "3", "three"):
        result = run_script(tmp_path, "free-threaded", sys.prefix, str(tmp_path / "ft-venv"), GILLAB_FT_PYTHON=version)
        assert result.returncode == 1
        assert (
            f"GILLAB_FT_PYTHON must be a version like 3.14 (free-threaded builds exist from 3.13 on), got '{version}'"
            in result.stderr
        )


def test_a_standard_python_older_than_3_13_is_refused(tmp_path):
    for version in ("3.12", "3.11", "3.x"):
        result = run_script(tmp_path, "standard", sys.prefix, str(tmp_path / "gil-venv"), GILLAB_GIL_PYTHON=version)
        assert result.returncode == 1
        assert (
            f"GILLAB_GIL_PYTHON must be a version like 3.14 (the course's current-Python checks need 3.13 or newer), "
            f"got '{version}'" in result.stderr
        )


def test_the_flavour_must_be_named(tmp_path):
    for arguments in ((sys.prefix,), ("gil", sys.prefix), ()):
        result = run_script(tmp_path, *arguments)
        assert result.returncode == 1
        assert "the first argument must be the flavour to build, free-threaded or standard" in result.stderr


def test_a_missing_course_venv_is_named_with_the_make_target_of_the_flavour(tmp_path):
    for flavour, target in (("free-threaded", "make ft-kernel"), ("standard", "make gil-kernel")):
        result = run_script(tmp_path, flavour, str(tmp_path / "no-venv"), str(tmp_path / "new-venv"))
        assert result.returncode == 1
        assert f"no-venv does not exist yet: run make setup first ({target} does)" in result.stderr


def test_the_standard_build_is_missing_build_packages_named_too_before_any_download(tmp_path):
    result = run_script(tmp_path, "standard", sys.prefix, str(tmp_path / "gil-venv"))
    assert result.returncode == 1 and "apt-get install build-essential" in result.stderr
    assert not (tmp_path / "cache" / "apt").exists()


def test_each_flavour_finds_only_its_own_finished_build(tmp_path):
    """A cached free-threaded build is never taken for the standard one, nor the other way round."""
    script = SCRIPT.read_text()
    start = script.index("finished_build() {")
    function = script[start : script.index("\n}\n", start) + 3]
    cache = tmp_path / "cache"
    for name in ("cpython-3.13.15t", "cpython-3.13.15", "cpython-3.14.1t"):
        (cache / name).mkdir(parents=True)
        (cache / name / ".gillab-complete").touch()
    cases = (("t", "", "cpython-3.14.1t"), ("", "", "cpython-3.13.15"), ("t", "3.13", "cpython-3.13.15t"))
    for suffix, wanted, found in cases:
        command = f'cache={cache}; suffix="{suffix}"; wanted="{wanted}"\n{function}\nfinished_build'
        result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
        assert result.stdout.strip() == str(cache / found), (suffix, wanted, result.stdout, result.stderr)


def check_pins(pyproject):
    command = [sys.executable, str(REPO / "scripts" / "pins.py"), "check", "--pyproject", str(pyproject)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_check_pins_accepts_this_environment():
    result = check_pins(REPO / "pyproject.toml")
    assert result.returncode == 0, result.stderr
    assert "pinned versions are installed" in result.stdout


def test_check_pins_fails_loudly_on_a_different_version(tmp_path):
    from importlib.metadata import version

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["numpy==0.0.1", "nosuchpackage==1.0"]\n')
    result = check_pins(pyproject)
    assert result.returncode == 1
    assert f"numpy is pinned to 0.0.1 in pyproject.toml but {version('numpy')} is installed" in result.stderr
    assert "nosuchpackage is pinned to 1.0 in pyproject.toml but it is not installed" in result.stderr


def test_overrides_replace_pins_only_on_free_threaded_builds_and_only_pinned_packages(tmp_path):
    import sysconfig

    pyproject = tmp_path / "pyproject.toml"
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    pyproject.write_text(
        f'[project]\nname = "x"\ndependencies = ["numpy==0.0.1"]\n'
        f'[tool.gillab.free-threaded-overrides."{minor}"]\nnumpy = "0.0.2"\n'
    )
    command = [sys.executable, str(REPO / "scripts" / "pins.py"), "requirements", "--pyproject", str(pyproject)]
    wanted = "numpy==0.0.2" if sysconfig.get_config_var("Py_GIL_DISABLED") else "numpy==0.0.1"
    assert subprocess.run(command, capture_output=True, text=True, timeout=60).stdout.split() == [wanted]
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        pyproject.write_text(pyproject.read_text() + "nosuchpackage = '1'\n")
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 1 and "name packages that are not pinned: ['nosuchpackage']" in result.stderr


def test_the_course_overrides_name_only_pinned_packages_with_exact_versions():
    import tomllib

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    project = pyproject["project"]
    pinned = {
        r.split("==")[0].lower() for r in project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    }
    for version, table in pyproject["tool"]["gillab"]["free-threaded-overrides"].items():
        assert version.startswith("3.") and table
        for name, release in table.items():
            assert name.lower() in pinned
            assert release is False or (isinstance(release, str) and release[0].isdigit() and "." in release)


def test_an_override_of_a_group_this_environment_does_not_install_is_allowed_and_ignored(tmp_path):
    """The free-threaded overrides name the classroom's jupyterhub, which the course environments
    do not install (only the classroom's does): make ft-kernel must not stop on it."""
    import sysconfig

    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\ndependencies = ["numpy==0.0.1"]\n'
        '[project.optional-dependencies]\ntest = ["pytest==0.0.3"]\nclassroom = ["jupyterhub==0.0.2"]\n'
        f'[tool.gillab.free-threaded-overrides."{minor}"]\njupyterhub = false\npytest = "0.0.4"\n'
    )
    command = [sys.executable, str(REPO / "scripts" / "pins.py"), "requirements", "--pyproject", str(pyproject)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    wanted = "0.0.4" if sysconfig.get_config_var("Py_GIL_DISABLED") else "0.0.3"
    assert result.stdout.split() == ["numpy==0.0.1", f"pytest=={wanted}"]
