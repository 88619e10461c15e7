"""Skipping what this machine cannot run, always with the reason and the command that fixes it.

A newcomer's machine may lack chromium and bubblewrap (``../shared/tools/bare-machine`` shows it);
the free-threaded venv lacks Jupyter's server side. Those tests skip here, saying so, and
``make test-ft`` (GILLAB_REQUIRE_FREE_THREADED=1) turns a free-threaded skip into a failure.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sysconfig

import pytest

__all__ = [
    "import_server_side", "skip_or_fail_without_free_threading", "require_bubblewrap", "require_subinterpreters",
    "require_no_subinterpreters", "BUBBLEWRAP_INSTALL",
]

#: How a Debian or Ubuntu machine gets bubblewrap (``.ci/install-system-packages`` runs it).
BUBBLEWRAP_INSTALL = "sudo apt-get install bubblewrap"


def import_server_side(name: str):
    """Import a package of Jupyter's server side (JupyterLab, Notebook, nbgrader and what only they
    bring, such as PyYAML). The free-threaded 3.13 venv leaves those out (pyproject.toml's
    free-threaded-overrides: CFFI does not support that build); there the test is skipped, saying
    so. Anywhere else a missing package is an error, as it is in any test."""
    if sysconfig.get_config_var("Py_GIL_DISABLED") and importlib.util.find_spec(name) is None:
        pytest.skip(
            f"{name} is not installed in this free-threaded venv (pyproject.toml's free-threaded-overrides leave "
            "Jupyter's server side out); `make test` runs this test on the course's .venv",
            allow_module_level=True,
        )
    return importlib.import_module(name)


def skip_or_fail_without_free_threading(reason: str):
    """Skip with ``reason``; under ``make test-ft`` (GILLAB_REQUIRE_FREE_THREADED=1) fail instead,
    so that no free-threaded test can pass there by not running."""
    if os.environ.get("GILLAB_REQUIRE_FREE_THREADED") == "1":
        pytest.fail(f"GILLAB_REQUIRE_FREE_THREADED=1 (make test-ft) but {reason}", pytrace=False)
    pytest.skip(reason)


def require_subinterpreters():
    """This Python's :class:`~gillab.machine.interpreter.SubinterpreterSupport` when it can run work in
    subinterpreters (3.13+ with the course's pins); else skip, saying why and where they run (``make
    test-gil``, ``make test-ft``). Under GILLAB_REQUIRE_SUBINTERPRETERS=1 (both of those targets) fail
    instead, so that no subinterpreter test can pass there by not running."""
    from gillab.machine.interpreter import subinterpreter_support

    support = subinterpreter_support()
    if not support.available:
        reason = f"no subinterpreters here ({support.detail}); make test-gil and make test-ft run these tests"
        if os.environ.get("GILLAB_REQUIRE_SUBINTERPRETERS") == "1":
            pytest.fail(f"GILLAB_REQUIRE_SUBINTERPRETERS=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return support


def require_no_subinterpreters():
    """Skip, saying why, on a Python that HAS subinterpreters: the test checks what a Python without
    them (3.11 and 3.12, as the course's .venv) says instead."""
    from gillab.machine.interpreter import subinterpreter_support

    support = subinterpreter_support()
    if support.available:
        pytest.skip(f"this Python has subinterpreters ({support.source}); make test runs this on .venv's Python 3.11")
    return support


def require_bubblewrap() -> str:
    """The path of a ``bwrap`` that can sandbox here; else skip, saying why and how to install it."""
    from gillab.grading.sandbox.bwrap import SandboxUnavailable, check_bwrap

    try:
        return check_bwrap()
    except SandboxUnavailable as error:
        pytest.skip(f"needs bubblewrap, which cannot sandbox here ({error}). Install it: {BUBBLEWRAP_INSTALL}")
