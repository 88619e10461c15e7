"""deploy/: the files for The Littlest JupyterHub and Zero to JupyterHub are generated from the
settings the local classroom uses, parse, and pass each project's own schema.

What is NOT tested here (no Kubernetes, Helm, container engine or TLJH installer on this machine):
installing either, building the image, running setup-course.sh. See README "More than one machine".
"""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess

from support.paths import REPO
from support.skips import import_server_side

from gillab.classroom.deploy import deploy_files, main
from gillab.classroom.settings import ClassroomSettings, course_files, environment_files

yaml = import_server_side("yaml")
jsonschema = import_server_side("jsonschema")
FIXTURES = REPO / "tests" / "fixtures" / "deploy"


def _load(name):
    return yaml.safe_load((REPO / "deploy" / name).read_text())


def _merged(base, extra):
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        merged[key] = _merged(merged.get(key) or {}, value) if isinstance(value, dict) else value
    return merged


def test_the_committed_files_are_the_generated_ones():
    assert main(["--check"]) == 0, "deploy/ is out of date: python -m gillab.classroom.deploy --write"


def test_a_changed_deploy_file_is_caught(tmp_path, monkeypatch):
    import gillab.classroom.deploy as deploy

    copy_dir = tmp_path / "deploy"
    for name, text in deploy_files().items():
        (copy_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (copy_dir / name).write_text(text.replace("jupyterlab", "notebook"))
    monkeypatch.setattr(deploy, "DEPLOY_DIR", copy_dir)
    assert main(["--check"]) == 1


def test_zero_to_jupyterhub_values_pass_the_chart_schema_and_carry_the_local_settings():
    schema = yaml.safe_load((FIXTURES / "z2jh_values.schema.yaml").read_text())
    defaults = yaml.safe_load((FIXTURES / "z2jh_values.default.yaml").read_text())
    settings = ClassroomSettings(state_dir=REPO / "unused", share_dir="/srv/nbgrader")
    for name in ("values-shared-volume.yaml", "values-ngshare.yaml"):
        values = _load(f"z2jh/{name}")
        errors = list(jsonschema.Draft7Validator(schema).iter_errors(_merged(defaults, values)))
        assert errors == [], (name, [error.message for error in errors[:5]])
        files = values["singleuser"]["extraFiles"]
        assert course_files(settings)["nbgrader_config.py"] in files["nbgrader-config"]["stringData"]
        data = {file["mountPath"].split("/etc/jupyter/", 1)[1]: file["data"]
                for file in files.values() if "data" in file}
        assert data == environment_files()
        assert values["singleuser"]["defaultUrl"] == "/lab"
    broken = _merged(defaults, {"singleuser": {"storage": {"extraVolumes": "oops"}}})
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))  # the check can fail


def test_the_littlest_jupyterhub_config_passes_its_schema_and_the_setup_script_carries_the_local_settings():
    spec = importlib.util.spec_from_file_location("tljh_config_schema", FIXTURES / "tljh_config_schema.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = _load("tljh/config.yaml")
    assert list(jsonschema.Draft7Validator(module.config_schema).iter_errors(config)) == []
    broken = _merged(config, {"user_environment": {"default_app": "spreadsheet"}})
    assert list(jsonschema.Draft7Validator(module.config_schema).iter_errors(broken))
    script = (REPO / "deploy" / "tljh" / "setup-course.sh").read_text()
    assert subprocess.run(["bash", "-n", "-c", script]).returncode == 0
    settings = ClassroomSettings(state_dir=REPO / "unused", share_dir="/srv/nbgrader")
    assert course_files(settings)["nbgrader_config.py"].rstrip() in script
    for content in environment_files().values():
        assert json.dumps(content, indent=2) in script
    assert "install -d -m 3733" in script and "install -d -m 1777" in script


