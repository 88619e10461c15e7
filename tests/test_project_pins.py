"""pyproject.toml pins everything once; environment.yml and the setup script must agree with it."""

import re

import pytest
from support.paths import REPO
from support.skips import import_server_side

yaml = import_server_side("yaml")

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def pyproject():
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def pins(requirements, marked=False):
    """``{name: version}`` of the requirements without an environment marker (``marked=True``: of
    those with one)."""
    found = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^;\s]+)\s*(?:;\s*(.+))?", requirement.strip())
        assert match, f"pyproject.toml: {requirement!r} is not pinned with =="
        if bool(match.group(3)) == marked:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_every_dependency_is_pinned_exactly():
    project = pyproject()["project"]
    pins(project["dependencies"])
    for group in project["optional-dependencies"].values():
        pins(group)


#: conda-forge names of packages whose PyPI name differs (matplotlib-base: matplotlib without Qt; dask-core:
#: dask without the bundle conda-forge calls "dask")
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib", "dask-core": "dask"}


def conda_specs(environment_text):
    """``{pypi name: (operator, version)}`` of an environment.yml's dependencies."""
    environment = yaml.safe_load(environment_text)
    assert environment["channels"] == ["conda-forge"]
    specs = {}
    for entry in environment["dependencies"]:
        assert isinstance(entry, str), "environment.yml: the course's package comes from postBuild, not a pip: block"
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(?:(==|=|>=)\s*(\S+))?", entry.strip())
        assert match, f"environment.yml: cannot read the dependency {entry!r}"
        name = match.group(1).lower().replace("_", "-")
        specs[CONDA_TO_PYPI.get(name, name)] = (match.group(2), match.group(3))
    return specs


def environment_problems(environment_text, project):
    """Every way an environment.yml disagrees with a parsed pyproject.toml (empty: they agree)."""
    conda = conda_specs(environment_text)
    problems = []
    wanted = pins(project["project"]["dependencies"])
    for name, version in wanted.items():
        if conda.get(name) != ("=", version):
            problems.append(f"{name}: pyproject.toml pins {version}, environment.yml has {conda.get(name)}")
    # postBuild builds the package without isolation, so the build backend must come from conda
    build = dict(re.fullmatch(r"([A-Za-z0-9_.\-]+)(>=\S+)", r).groups() for r in project["build-system"]["requires"])
    for name, spec in build.items():
        if "".join(conda.get(name) or ("", "")) != spec:
            problems.append(f"{name}: the build system needs {spec}, environment.yml has {conda.get(name)}")
    extra = set(conda) - set(wanted) - set(build) - {"python", "pip"}
    if extra:
        problems.append(f"environment.yml has packages pyproject.toml does not: {sorted(extra)}")
    # a pin that holds only on some Pythons comes from PyPI through postBuild, not from conda
    marked = set(pins(project["project"]["dependencies"], marked=True)) & set(conda)
    if marked:
        problems.append(f"environment.yml has pins that postBuild installs from PyPI: {sorted(marked)}")
    return problems


def test_environment_yml_matches_pyproject():
    assert environment_problems((REPO / "environment.yml").read_text(), pyproject()) == []


@pytest.mark.parametrize(
    "change, problem",
    [
        (("numpy=2.4.6", "numpy=2.4.5"), "numpy: pyproject.toml pins 2.4.6, environment.yml has ('=', '2.4.5')"),
        (("  - joblib=1.6.0\n", ""), "joblib: pyproject.toml pins 1.6.0, environment.yml has None"),
        (("  - setuptools>=77\n", ""), "setuptools: the build system needs >=77"),
        (("  - pip\n", "  - pip\n  - pandas=3.0.0\n"), "packages pyproject.toml does not: ['pandas']"),
    ],
)
def test_a_disagreeing_environment_yml_is_caught(change, problem):
    text = (REPO / "environment.yml").read_text()
    assert change[0] in text, "the test's starting point is gone from environment.yml: update this test"
    problems = environment_problems(text.replace(*change), pyproject())
    assert any(problem in found for found in problems), problems


def test_pins_that_hold_only_on_some_pythons_are_installed_by_postbuild_through_pins_py():
    marked = pins(pyproject()["project"]["dependencies"], marked=True)
    assert "interpreters-pep-734" in marked, "the subinterpreter backport for Python 3.13 is pinned"
    assert "scripts/pins.py requirements --only-marked" in (REPO / "postBuild").read_text()


@pytest.mark.parametrize(
    "version, held",
    [((3, 11), False), ((3, 12), False), ((3, 13), True), ((3, 14), False), ((3, 15), False)],
)
def test_pins_py_reads_the_backports_marker_for_every_python_version(version, held):
    import importlib.util

    spec = importlib.util.spec_from_file_location("pins_script", REPO / "scripts/pins.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    requirement = next(r for r in pyproject()["project"]["dependencies"] if r.startswith("interpreters-pep-734"))
    name, version_pinned, marker = module.split_requirement(requirement)
    assert (name, version_pinned) == ("interpreters-pep-734", "0.5.0")
    assert module.marker_holds(marker, version) is held


def test_pins_py_refuses_a_marker_it_cannot_read(tmp_path):
    import subprocess
    import sys

    pyproject_file = tmp_path / "pyproject.toml"
    pyproject_file.write_text("""[project]\nname = "x"\ndependencies = ['numpy==2.4.6; sys_platform == "linux"']\n""")
    command = [sys.executable, str(REPO / "scripts/pins.py"), "requirements", "--pyproject", str(pyproject_file)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "pins.py reads only markers like python_version" in result.stderr and "sys_platform" in result.stderr


def test_a_pip_block_in_environment_yml_is_refused():
    text = (REPO / "environment.yml").read_text() + "  - pip:\n    - -e .\n"
    with pytest.raises(AssertionError, match="comes from postBuild"):
        conda_specs(text)


def test_python_versions_agree():
    requires = pyproject()["project"]["requires-python"]
    minimum = tuple(int(part) for part in re.fullmatch(r">=(\d+)\.(\d+)", requires).groups())
    script = (REPO / "scripts/setup-venv.sh").read_text()
    assert tuple(map(int, re.search(r"min_major=(\d+) min_minor=(\d+)", script).groups())) == minimum
    operator, version = conda_specs((REPO / "environment.yml").read_text())["python"]
    assert operator == "=" and tuple(map(int, version.split(".")[:2])) >= minimum


def test_makefile_installs_through_the_one_setup_script():
    makefile = (REPO / "Makefile").read_text()
    assert "scripts/setup-venv.sh" in makefile
    assert "pip install" not in makefile, (
        "the Makefile must not install packages of its own: pins live in pyproject.toml"
    )


def test_the_classroom_proxy_is_pinned_exactly_in_one_package_file_and_its_lock():
    import json

    package = json.loads((REPO / "deploy/local/package.json").read_text())
    lock = json.loads((REPO / "deploy/local/package-lock.json").read_text())
    version = package["dependencies"]["configurable-http-proxy"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"deploy/local/package.json: pin an exact version, not {version!r}"
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == version
    assert lock["packages"][""]["dependencies"] == package["dependencies"], "package-lock.json is stale: npm install"
    assert "configurable-http-proxy@" not in (REPO / "Makefile").read_text()


def test_the_classroom_environment_installs_the_pins_of_pyproject():
    script = (REPO / "scripts/classroom-venv.sh").read_text()
    assert 'project["optional-dependencies"]["classroom"]' in script and 'project["dependencies"]' in script
    assert "pip install" not in (REPO / "Makefile").read_text()
    assert all("==" in r for r in pyproject()["project"]["optional-dependencies"]["classroom"])
