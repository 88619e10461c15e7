"""The free-threaded Python (``make test-ft``): the GIL is off, and CPU-bound threads compute at the
same instant, proven from the runs' spans, never from speed (the proof: tests/support/simultaneity.py).

Plain ``make test`` (a GIL build) skips the free-threaded tests, saying so, and still runs the GIL
test, which shows that the proof fails under the lock. ``make test-ft`` sets
GILLAB_REQUIRE_FREE_THREADED=1, which turns those skips into failures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from support.ft_kernel import FT_VENV, start_registered_kernel
from support.simultaneity import (
    GIL_CEILING,
    PRINT_SPANS,
    both_progressed_together,
    prove_simultaneous,
    simultaneity,
    slices,
    spans_from_json,
)

from gillab.machine.cpus import effective_cpu_count
from gillab.machine.interpreter import free_threaded_build, gil_enabled
from gillab.measure.chunks import split_range
from gillab.measure.runners import Span, run_threads
from gillab.measure.workloads import count_sum

#: Per thread: 2 million numbers in 200 slices of well under a millisecond each.
NUMBERS_PER_THREAD, SLICES = 2_000_000, 200


def two_threads(environment: dict | None = None) -> list[Span]:
    """Two threads summing their half of the numbers, run here or (with ``environment``) in a new
    interpreter, e.g. with PYTHON_GIL=1."""
    if environment is None:
        record = run_threads(count_sum, split_range(0, 2 * NUMBERS_PER_THREAD, 2), n_workers=2, n_ticks=SLICES)
        assert record.result == sum(range(2 * NUMBERS_PER_THREAD))
        return record.spans
    script = textwrap.dedent(f"""
        from gillab.measure.chunks import split_range
        from gillab.measure.runners import run_threads
        from gillab.measure.workloads import count_sum
        record = run_threads(count_sum, split_range(0, {2 * NUMBERS_PER_THREAD}, 2), n_workers=2, n_ticks={SLICES})
    """) + PRINT_SPANS.format(spans="record.spans")
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env={**os.environ, **environment}
    )
    assert result.returncode == 0, result.stderr
    return spans_from_json(result.stdout)


def doctor(*args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PYTHON_GIL"} | environment
    return subprocess.run(
        [sys.executable, "-m", "gillab", "doctor", *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_every_slice_records_its_cpu_seconds():
    (span,) = run_threads(count_sum, [(0, 100_000)], n_workers=1, n_ticks=10).spans
    assert len(span.tick_cpu_s) == len(span.ticks) == 10
    assert list(span.tick_cpu_s) == sorted(span.tick_cpu_s) and 0 < span.tick_cpu_s[-1] <= span.cpu_s
    assert all(0 <= cpu <= end - start + 1e-3 for start, end, cpu in slices(span))


def test_under_the_gil_threads_take_turns_and_the_proof_fails():
    """The proof's control: with the GIL on (this build's, or PYTHON_GIL=1 on a free-threaded one)
    both threads make progress during the same seconds, yet never compute at the same instant."""
    spans = two_threads({"PYTHON_GIL": "1"} if free_threaded_build() else None)
    assert both_progressed_together(spans)
    assert simultaneity(spans) < GIL_CEILING


def test_this_interpreter_is_free_threaded_with_the_gil_off(free_threaded):
    assert sysconfig.get_config_var("Py_GIL_DISABLED") == 1
    assert free_threaded_build() and not gil_enabled()


def test_doctor_says_free_threaded_and_gil_disabled(free_threaded):
    text, as_json = doctor(), doctor("--json")
    assert text.returncode == as_json.returncode == 0, text.stderr + as_json.stderr
    assert "free-threaded" in text.stdout and "DISABLED: threads can run Python in parallel" in text.stdout
    facts = json.loads(as_json.stdout)
    assert facts["free_threaded_build"] is True and facts["gil_enabled"] is False


def test_python_gil_1_turns_the_lock_back_on_and_doctor_says_why(free_threaded):
    text, as_json = doctor(PYTHON_GIL="1"), doctor("--json", PYTHON_GIL="1")
    facts = json.loads(as_json.stdout)
    assert facts["free_threaded_build"] is True and facts["gil_enabled"] is True
    assert "GIL               enabled" in text.stdout and "PYTHON_GIL" in text.stdout


def test_cpu_bound_threads_compute_at_the_same_instant(free_threaded):
    if effective_cpu_count() < 2:
        pytest.skip(f"only {effective_cpu_count()} CPU is available: two threads cannot run at the same instant here")
    prove_simultaneous(two_threads, "gillab.measure.runners.run_threads on this interpreter")


def test_the_gil_stays_off_after_importing_the_course_packages(free_threaded):
    """An extension that does not declare itself safe without the GIL turns it back on, with a warning."""
    modules = (
        "ipykernel.kernelapp, ipywidgets, numpy, matplotlib.pyplot, joblib, nbclient, nbformat, zmq, tornado, psutil, "
        "gillab.show.charts, gillab.measure.speedup"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", f"import sys, {modules}; print(sys._is_gil_enabled())"],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "PYTHON_GIL"},
    )
    assert result.returncode == 0 and result.stdout.strip() == "False", result.stderr


def test_the_free_threaded_kernel_runs_with_the_gil_off(free_threaded):
    """Start the kernel registered in the course's .venv by name, as JupyterLab does, and ask it,
    after the course's imports, which Python it runs and whether the GIL is on."""
    kernel = start_registered_kernel()
    try:
        code = (
            "import json, sys, matplotlib.pyplot, ipywidgets, gillab.machine.interpreter as d\n"
            "print(json.dumps([sys.prefix, d.free_threaded_build(), d.gil_enabled()]))"
        )
        prefix, build, gil = json.loads(kernel.run(code))
    finally:
        kernel.shutdown()
    assert Path(prefix).resolve() == FT_VENV.resolve() == Path(sys.prefix).resolve()
    assert (build, gil) == (True, False)
