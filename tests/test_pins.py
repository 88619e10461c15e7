"""pyproject.toml pins everything once; environment.yml and the setup script must agree with it."""

import re

from conftest import REPO, import_server_side

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


def test_environment_yml_matches_pyproject():
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge"]
    conda = {}
    for entry in environment["dependencies"]:
        assert isinstance(entry, str), "environment.yml: the course's package comes from postBuild, not a pip: block"
        name, _, version = entry.partition("=")
        conda[name.lower()] = version
    wanted = pins(pyproject()["project"]["dependencies"])
    assert {name: conda.get(name) for name in wanted} == wanted
    extra = set(conda) - set(wanted) - {"python", "pip"}
    assert not extra, f"environment.yml has packages pyproject.toml does not: {sorted(extra)}"


def test_python_versions_agree():
    requires = pyproject()["project"]["requires-python"]
    minimum = tuple(int(part) for part in re.fullmatch(r">=(\d+)\.(\d+)", requires).groups())
    script = (REPO / "scripts/setup-venv.sh").read_text()
    assert tuple(map(int, re.search(r"min_major=(\d+) min_minor=(\d+)", script).groups())) == minimum
    conda_python = next(e for e in yaml.safe_load((REPO / "environment.yml").read_text())["dependencies"] if e.startswith("python="))
    assert tuple(map(int, conda_python.split("=")[1].split(".")[:2])) >= minimum


def test_makefile_installs_through_the_one_setup_script():
    makefile = (REPO / "Makefile").read_text()
    assert "scripts/setup-venv.sh" in makefile
    assert "pip install" not in makefile, "the Makefile must not install packages of its own: pins live in pyproject.toml"
