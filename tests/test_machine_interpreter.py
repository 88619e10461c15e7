"""What this Python offers, read from the running interpreter: subinterpreters (and why not), the
default start method, os.process_cpu_count(); and how gillab doctor shows them."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys

from gillab.machine import interpreter
from gillab.machine.doctor import collect_facts, format_facts


def test_subinterpreter_support_follows_the_running_version():
    support = interpreter.subinterpreter_support()
    version = sys.version_info[:2]
    expected = "stdlib" if version >= (3, 14) else "backport" if version == (3, 13) else "none"
    assert support.source == expected and support.available is (expected != "none")
    assert support.own_gil is (version >= (3, 12))
    assert f"Python {sys.version.split()[0]}" in support.detail


def test_a_3_13_without_the_backport_is_told_what_to_install():
    if sys.version_info[:2] != (3, 13):
        import pytest

        pytest.skip(f"the backport matters on Python 3.13 only; this is {sys.version.split()[0]}")
    # a fresh interpreter of this environment that cannot see site-packages: no backport
    code = "from gillab.machine.interpreter import subinterpreter_support as s; print(s().source, '|', s().detail)"
    result = subprocess.run(
        [sys.executable, "-S", "-c", f"import sys; sys.path.insert(0, {os.getcwd()!r}); {code}"],
        capture_output=True, text=True, timeout=60,
    )
    source, detail = result.stdout.split(" | ", 1)
    assert source == "none" and "pip install 'interpreters-pep-734==0.5.0'" in detail, result.stderr


def test_the_main_interpreter_has_id_zero():
    assert interpreter.current_interpreter_id() == 0


def test_process_cpu_count_and_the_default_start_method_come_from_the_running_python():
    count = interpreter.process_cpu_count()
    assert count == (os.process_cpu_count() if hasattr(os, "process_cpu_count") else None)
    assert interpreter.default_start_method() == multiprocessing.get_all_start_methods()[0]


def test_doctor_shows_subinterpreters_process_cpu_count_and_whose_default_the_start_method_is():
    facts = collect_facts()
    text = format_facts(facts)
    version = facts["python_version"]
    assert facts["subinterpreters"]["source"] == interpreter.subinterpreter_support().source
    line = next(line for line in text.splitlines() if line.startswith("Subinterpreters"))
    assert ("NOT AVAILABLE" in line) is (facts["subinterpreters"]["source"] == "none")
    count_line = next(line for line in text.splitlines() if line.startswith("process_cpu_count"))
    if sys.version_info < (3, 13):
        assert f"absent (os.process_cpu_count() arrived in Python 3.13; this is {version})" in count_line
    else:
        assert count_line.split()[1] == str(os.process_cpu_count())
    assert f"the default of Python {version} here" in text
    chosen = {**facts, "start_method": "spawn", "default_start_method": "fork"}
    assert "spawn (multiprocessing; set by this program, the default here is fork)" in format_facts(chosen)
