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


def pins(requirements):
    found = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^;\s]+)", requirement.strip())
        assert match, f"pyproject.toml: {requirement!r} is not pinned with =="
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
