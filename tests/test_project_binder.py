"""mybinder.org: the image repo2docker would build from this repository, postBuild, and the launch links.

Binder itself and conda cannot be reached from here. What can be checked is checked: the Dockerfile
repo2docker writes for this repository (``--no-build`` needs no Docker), postBuild run for real
against a fresh Python prefix, and the README's launch links against the one place naming the
repository. The conda solve of environment.yml is the one step left unchecked (see the README).
"""

import doctest
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from support.paths import REPO
from support.skips import import_server_side

from gillab.launch import LAB_SETTINGS

# PyYAML comes with the server side, which the free-threaded 3.13 venv leaves out
yaml = import_server_side("yaml")


def load_binder_links():
    spec = importlib.util.spec_from_file_location("binder_links", REPO / "scripts/binder_links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


binder_links = load_binder_links()


@pytest.fixture(scope="module")
def dockerfile():
    """The Dockerfile and log of ``jupyter-repo2docker --no-build --debug`` on this repository."""
    tool = Path(sys.executable).parent / "jupyter-repo2docker"
    assert tool.exists(), f"{tool} is missing: jupyter-repo2docker is pinned in pyproject's test extras; run make setup"
    result = subprocess.run(
        [str(tool), "--no-build", "--debug", str(REPO)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout, result.stderr


def line_of(lines, pattern):
    found = [number for number, line in enumerate(lines) if re.search(pattern, line)]
    assert len(found) == 1, f"expected one Dockerfile line matching {pattern!r}, found {len(found)}"
    return found[0]


def test_environment_yml_is_installed_alone_before_the_repository_is_copied_and_postbuild_runs_last(dockerfile):
    lines = dockerfile[0].splitlines()
    copy_environment = line_of(lines, r"^COPY .*src/environment\.yml \$\{REPO_DIR\}/environment\.yml$")
    install_environment = line_of(lines, r"env update -p \$\{NB_PYTHON_PREFIX\} --file \"environment\.yml\"")
    copy_repository = line_of(lines, r"^COPY .*src/ \$\{REPO_DIR\}/$")
    postbuild = line_of(lines, r"^RUN \./postBuild$")
    # so environment.yml cannot install the package (tests/test_project_pins.py refuses a pip: block there)
    assert copy_environment < install_environment < copy_repository < postbuild


def test_one_conda_environment_serves_jupyter_and_runs_the_kernel(dockerfile):
    """With a Python repo2docker has no base environment for, the kernel gets an environment of its
    own, and the server (JupyterLab, its extensions and settings) would not see our pins."""
    text, log = dockerfile
    assert "ENV KERNEL_PYTHON_PREFIX=${NB_PYTHON_PREFIX}" in text.splitlines()
    python = next(
        entry
        for entry in yaml.safe_load((REPO / "environment.yml").read_text())["dependencies"]
        if entry.startswith("python=")
    )
    assert f"Building conda environment for {python}" in log


def test_no_other_build_pack_installs_anything(dockerfile):
    text = dockerfile[0]
    for other in ("requirements.txt", "setup.py", "Pipfile", "install.R", "apt.txt", "Project.toml"):
        assert other not in text, f"repo2docker found {other}: it would install more than environment.yml and postBuild"


def test_postbuild_installs_the_package_and_the_lab_settings_into_the_running_python(tmp_path):
    """Run postBuild as Binder does, with a fresh Python prefix first on PATH (the conda env there).

    The prefix borrows the course's dependencies from this venv through a .pth file (what
    environment.yml gives on Binder) and starts without gillab and without any settings file.
    """
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "postBuild"):
        shutil.copy2(REPO / name, repo / name)
    shutil.copytree(REPO / "gillab", repo / "gillab", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "scripts").mkdir()
    shutil.copy2(REPO / "scripts/pins.py", repo / "scripts/pins.py")
    prefix = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True, timeout=120)
    python = prefix / "bin/python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "course_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = [str(python), "-c", "import gillab; print(gillab.__file__)"]
    assert subprocess.run(probe, capture_output=True, cwd=tmp_path).returncode != 0, (
        "the fresh prefix must start without gillab"
    )

    env = {"PATH": f"{prefix / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        ["bash", str(repo / "postBuild")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr

    imported = subprocess.run(probe, capture_output=True, text=True, cwd=tmp_path, check=True).stdout.strip()
    assert Path(imported).resolve() == (repo / "gillab/__init__.py").resolve()
    assert (prefix / "bin/gillab").exists(), "the gillab command was not installed"
    overrides = json.loads((prefix / "share/jupyter/lab/settings/overrides.json").read_text())
    for plugin, settings in LAB_SETTINGS.items():
        assert overrides[plugin] == settings
    assert "JupyterLab settings: " + str(prefix / "share/jupyter/lab/settings/overrides.json") in result.stdout


def test_readme_launch_links_are_the_generated_ones():
    readme = (REPO / "README.md").read_text()
    assert binder_links.readme_block() in readme, (
        "README.md's Binder links are out of date: python3 scripts/binder_links.py --write"
    )
    assert readme.count("mybinder.org/v2/gh/") == len(binder_links.CHAPTERS) + 1, (
        "a launch link outside the generated block"
    )


def test_the_badge_opens_chapter_01_in_jupyterlab():
    readme = (REPO / "README.md").read_text()
    badge = re.search(r"\[!\[[^\]]*\]\(https://mybinder\.org/badge_logo\.svg\)\]\(([^)]+)\)", readme)
    assert badge, "README.md has no Binder badge"
    url = badge.group(1)
    assert url.startswith(f"https://mybinder.org/v2/gh/{binder_links.REPOSITORY}/")
    assert url.endswith("?urlpath=lab%2Ftree%2Fcourse%2F01-what-is-the-gil.ipynb")


def test_every_chapter_in_the_course_has_a_launch_link():
    linked = [chapter for chapter, _ in binder_links.CHAPTERS]
    assert linked == sorted(linked) and len(set(linked)) == len(linked)
    present = sorted(path.name for path in (REPO / "course").glob("[0-9]*.ipynb"))
    assert set(present) <= set(linked), f"chapters without a launch link: {sorted(set(present) - set(linked))}"
    if present:  # while course/ is still being written it has no chapters; once it has, all must be there
        assert present == linked, f"launch links to chapters that do not exist: {sorted(set(linked) - set(present))}"


def test_binder_links_docstring_examples():
    failures, _ = doctest.testmod(binder_links, report=True)
    assert failures == 0


def test_check_mode_notices_a_stale_readme(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    current = (REPO / "README.md").read_text()
    readme.write_text(current.replace(binder_links.readme_block(), binder_links.readme_block("someone/else")))
    monkeypatch.setattr(binder_links, "README", readme)
    assert binder_links.main(["--check"]) == 1
    assert binder_links.main(["--write"]) == 0
    assert binder_links.main(["--check"]) == 0
    assert readme.read_text() == current
