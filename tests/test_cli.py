"""The gillab command: doctor (human and JSON), help, and clear errors."""

import json
import os
import subprocess
import sys

from gillab.machine.doctor import collect_facts, format_facts


def gillab(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "gillab", *args], capture_output=True, text=True, timeout=60, **kwargs)


def test_doctor_json_reports_this_interpreter():
    result = gillab("doctor", "--json")
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["os_cpu_count"] == os.cpu_count()
    assert facts["python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert facts["gil_enabled"] == (sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True)
    assert facts["switch_interval_s"] == sys.getswitchinterval()
    assert 1 <= facts["effective_cpus"] <= facts["os_cpu_count"]


def test_doctor_text_names_every_fact_a_learner_needs_and_no_test_tooling():
    result = gillab("doctor")
    assert result.returncode == 0, result.stderr
    for label in ("Python", "GIL", "Switch interval", "Start method", "os.cpu_count()", "Effective CPUs"):
        assert label in result.stdout
    # chromium and bwrap are for instructors and developers, not for a chapter-01 learner
    assert "bwrap" not in result.stdout and "chromium" not in result.stdout


def test_doctor_lists_the_test_tools_when_asked_and_in_json():
    tools = gillab("doctor", "--tools")
    assert tools.returncode == 0 and "bwrap" in tools.stdout and "chromium" in tools.stdout
    facts = json.loads(gillab("doctor", "--json").stdout)
    assert set(facts["tools"]) == {"bwrap", "chromium"}


def test_doctor_works_without_any_cgroup_files(tmp_path):
    facts = collect_facts(root=str(tmp_path))
    assert facts["cgroup_cpu_quota"] is None
    assert "CPU quota         none" in format_facts(facts)


def test_one_cpu_explains_why_speedup_cannot_show():
    facts = {**collect_facts(), "effective_cpus": 1}
    assert "Parallel speedup cannot show here" in format_facts(facts)


def test_no_command_prints_help_and_fails():
    result = gillab()
    assert result.returncode == 2 and "doctor" in result.stdout


def test_unknown_options_are_refused_by_doctor():
    result = gillab("doctor", "--colour")
    assert result.returncode == 2 and "unrecognized arguments: --colour" in result.stderr


def test_grading_without_nbgrader_says_where_to_run_it():
    """The free-threaded venv has no nbgrader: `gillab grade` says so, in one message, without a traceback."""
    hide_nbgrader = (
        "import sys; sys.modules['nbgrader'] = None; from gillab.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide_nbgrader, "grade", "release", "ps1_parallel_sum"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "nbgrader is not installed in this Python" in result.stderr and ".venv/bin/gillab grade" in result.stderr
    assert "Traceback" not in result.stderr
