"""The free-threaded Python (``make test-ft``): the GIL is off, and CPU-bound threads compute at the
same instant, proven from the runs' spans, never from speed.

The proof: each chunk is cut into slices and every slice records its wall interval and the CPU
seconds its thread spent on it. One CPU cannot deliver more CPU seconds than wall seconds, so when
two threads' overlapping slices hold more CPU seconds together than the wall time from the first's
start to the last's end, both threads were computing at the same instant. Under the GIL that never
happens, whatever the machine's load; on a free-threaded build it does as soon as the operating
system runs both threads at once.

Plain ``make test`` (a GIL build) skips the free-threaded tests, saying so, and still runs the GIL
test, which shows that the proof fails under the lock. ``make test-ft`` sets
GILLAB_REQUIRE_FREE_THREADED=1, which turns those skips into failures.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import pytest

from conftest import REPO
from gillab.chunks import split_range
from gillab.doctor import free_threaded_build, gil_enabled
from gillab.hardware import effective_cpu_count
from gillab.runners import Span, run_threads
from gillab.workloads import count_sum

KERNEL_NAME = "python3-free-threaded"
MAIN_VENV = REPO / ".venv"
#: Above this, two threads' slices held clearly more CPU seconds than the wall time they spanned.
PROOF = 1.5
#: Under the GIL the ratio stays at 1 or below, apart from microseconds while the lock changes hands.
GIL_CEILING = 1.25
#: Per thread: 2 million numbers in 200 slices of well under a millisecond each.
NUMBERS_PER_THREAD, SLICES = 2_000_000, 200
#: How long to keep trying when other programs keep the CPUs busy.
PROOF_BUDGET_S = 90


@pytest.fixture
def free_threaded():
    """Skip (fail under ``make test-ft``) unless this interpreter is a free-threaded build."""
    if free_threaded_build():
        return
    message = (
        f"{sys.executable} (Python {sys.version.split()[0]}) is a standard build with the GIL; "
        "the free-threaded tests run under `make test-ft`"
    )
    if os.environ.get("GILLAB_REQUIRE_FREE_THREADED") == "1":
        pytest.fail(f"GILLAB_REQUIRE_FREE_THREADED=1 but {message}")
    pytest.skip(message)


def slices(span: Span) -> list[tuple[float, float, float]]:
    """(wall start, wall end, CPU seconds) of each slice of a chunk run with ticks."""
    starts = (span.start, *span.ticks[:-1])
    cpu_before = (0.0, *span.tick_cpu_s[:-1])
    return [(start, end, after - before) for start, end, before, after in zip(starts, span.ticks, cpu_before, span.tick_cpu_s)]


def simultaneity(spans: list[Span]) -> float:
    """The largest CPU seconds of two overlapping slices of different threads, divided by the wall
    time from the first one's start to the last one's end. Above 1: both computed at one instant."""
    threads: dict[int, list] = {}
    for span in spans:
        threads.setdefault(span.thread_id, []).extend(slices(span))
    assert len(threads) == 2, f"expected two threads, got {len(threads)}"
    first, second = threads.values()
    best = 0.0
    for start_a, end_a, cpu_a in first:
        for start_b, end_b, cpu_b in second:
            if max(start_a, start_b) < min(end_a, end_b):
                best = max(best, (cpu_a + cpu_b) / (max(end_a, end_b) - min(start_a, start_b)))
    return best


def both_progressed_together(spans: list[Span]) -> bool:
    """The two chunks overlap in time and each thread ticked inside the overlap: their ticks interleave."""
    first, second = spans
    overlap = (max(first.start, second.start), min(first.end, second.end))
    return overlap[0] < overlap[1] and all(any(overlap[0] < tick < overlap[1] for tick in span.ticks) for span in spans)


def two_threads(environment: dict | None = None) -> list[Span]:
    """Two threads summing their half of the numbers, run here or (with ``environment``) in a new
    interpreter, e.g. with PYTHON_GIL=1."""
    if environment is None:
        record = run_threads(count_sum, split_range(0, 2 * NUMBERS_PER_THREAD, 2), n_workers=2, n_ticks=SLICES)
        assert record.result == sum(range(2 * NUMBERS_PER_THREAD))
        return record.spans
    script = textwrap.dedent(f"""
        import dataclasses, json
        from gillab.chunks import split_range
        from gillab.runners import run_threads
        from gillab.workloads import count_sum
        record = run_threads(count_sum, split_range(0, {2 * NUMBERS_PER_THREAD}, 2), n_workers=2, n_ticks={SLICES})
        print(json.dumps([dataclasses.asdict(span) for span in record.spans]))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env={**os.environ, **environment})
    assert result.returncode == 0, result.stderr
    return [Span(**span) for span in json.loads(result.stdout)]


def doctor(*args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PYTHON_GIL"} | environment
    return subprocess.run([sys.executable, "-m", "gillab", "doctor", *args], capture_output=True, text=True, timeout=60, env=env)


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
    # Other programs may hold one of the CPUs for a whole run: then the two threads take turns on the
    # other, as under the GIL. One run in which they computed together is the proof; a quiet machine
    # gives it on the first run, a busy one (seen here at load 12 on 2 CPUs) after a few.
    ratios, deadline = [], time.monotonic() + PROOF_BUDGET_S
    while not ratios or time.monotonic() < deadline:
        spans = two_threads()
        assert len({span.thread_id for span in spans}) == 2 and both_progressed_together(spans)
        ratios.append(round(simultaneity(spans), 2))
        if ratios[-1] > PROOF:
            return
    pytest.fail(f"in {len(ratios)} runs over {PROOF_BUDGET_S} s two threads never computed at the same instant "
                f"(best {max(ratios)}; load average {os.getloadavg()})")


def test_the_gil_stays_off_after_importing_the_course_packages(free_threaded):
    """An extension that does not declare itself safe without the GIL turns it back on, with a warning."""
    modules = "ipykernel.kernelapp, ipywidgets, numpy, matplotlib.pyplot, joblib, nbclient, nbformat, zmq, tornado, psutil, gillab.plots, gillab.speedup"
    result = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", f"import sys, {modules}; print(sys._is_gil_enabled())"],
        capture_output=True, text=True, timeout=120, env={k: v for k, v in os.environ.items() if k != "PYTHON_GIL"},
    )
    assert result.returncode == 0 and result.stdout.strip() == "False", result.stderr


def registered_kernels() -> dict:
    jupyter = MAIN_VENV / "bin" / "jupyter"
    if not jupyter.exists():
        pytest.fail(f"{MAIN_VENV} has no jupyter: run `make ft-kernel` (make test-ft does)")
    result = subprocess.run([str(jupyter), "kernelspec", "list", "--json"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["kernelspecs"]


def test_the_course_jupyterlab_offers_both_kernels(free_threaded):
    kernels = registered_kernels()
    assert "python3" in kernels and KERNEL_NAME in kernels, f"the course's JupyterLab sees {sorted(kernels)}"
    spec = kernels[KERNEL_NAME]["spec"]
    assert spec["display_name"] == f"Python 3.{sys.version_info.minor} (free-threaded)"
    assert Path(spec["argv"][0]).resolve() == Path(sys.executable).resolve()
    assert kernels["python3"]["spec"]["argv"][0] != spec["argv"][0]


def test_the_free_threaded_kernel_runs_with_the_gil_off(free_threaded, tmp_path):
    """Start the registered kernel as JupyterLab would and ask it, after the course's imports."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    registered_kernels()  # fails with the reason when the main venv is missing
    specs = KernelSpecManager(kernel_dirs=[str(MAIN_VENV / "share/jupyter/kernels")])
    environment = {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"} | {"JUPYTER_RUNTIME_DIR": str(tmp_path)}
    manager = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)
    manager.start_kernel(env=environment, cwd=str(REPO / "course"))
    client = manager.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=60)
        code = (
            "import json, sys, matplotlib.pyplot, ipywidgets, gillab.doctor as d\n"
            "print(json.dumps([sys.executable, d.free_threaded_build(), d.gil_enabled()]))"
        )
        outputs = []
        reply = client.execute_interactive(code, timeout=60, output_hook=lambda message: outputs.append(message))
        assert reply["content"]["status"] == "ok", reply["content"]
        text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
        executable, build, gil = json.loads(text)
        assert Path(executable).resolve() == Path(sys.executable).resolve()
        assert (build, gil) == (True, False)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
