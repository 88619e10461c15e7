"""`gillab lab` (what `make lab` runs) serves the course in JupyterLab, on 127.0.0.1, and stops."""

import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest
from support.lab_server import gillab_lab
from support.paths import REPO
from support.skips import import_server_side

from gillab.launch import find_course_root, lab_command, lab_environment

import_server_side("jupyterlab")

TOKEN = "gillab-test-token"


def isolated_environment(tmp_path: Path) -> dict:
    env = dict(os.environ)
    for name in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_RUNTIME_DIR",
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
        "IPYTHONDIR",
        "MPLCONFIGDIR",
    ):
        env[name] = str(tmp_path / name.lower())
    return env


def get(url: str):
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def lab(tmp_path):
    with gillab_lab(sys.executable, tmp_path, TOKEN, isolated_environment(tmp_path), start_s=60) as (base, _):
        yield base


def test_lab_serves_the_course_folder_and_the_first_chapter_setting(lab, tmp_path):
    course = get(lab + "/api/contents/course")
    assert course["type"] == "directory"
    served = sorted(item["name"] for item in course["content"])
    assert served == sorted(path.name for path in (REPO / "course").iterdir() if not path.name.startswith("."))
    notification = get(lab + "/lab/api/settings/@jupyterlab/apputils-extension:notification")
    # overrides.json becomes the schema's defaults, which the user's own settings may still change
    defaults = {key: value.get("default") for key, value in notification["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False


def test_lab_outside_the_course_says_where_to_run_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="run this from inside the course repository"):
        find_course_root(tmp_path, package_parent=tmp_path)


def test_course_root_is_found_from_a_subfolder():
    assert find_course_root(REPO / "gillab", package_parent=REPO / "course") == REPO


def test_lab_command_opens_the_first_chapter_and_passes_arguments_through(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "gillab").mkdir()
    for name in ("02-b.ipynb", "01-a.ipynb", "notes.ipynb"):
        (tmp_path / "course" / name).write_text("{}")
    command = lab_command(tmp_path, ["--no-browser", "--port", "8899"])
    assert command[-4:] == [str(Path("course/01-a.ipynb")), "--no-browser", "--port", "8899"]
    assert f"--ServerApp.root_dir={tmp_path}" in command


def test_lab_environment_puts_the_grader_config_first():
    env = lab_environment(REPO, {"JUPYTER_CONFIG_PATH": "/elsewhere"})
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(REPO / "grader"), "/elsewhere"]
