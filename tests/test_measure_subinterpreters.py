"""The subinterpreter runner and the course's InterpreterPoolExecutor: what ran where (interpreter,
native thread, when), and every kind of bad input, each with its own message and in bounded time.

Nothing here asserts a speed. That the chunks ran at the same moment in different interpreters is
proven by the interpreter probe's rendezvous (each call waits until the other interpreter is inside
too) and by the spans' overlapping intervals; that they could compute in parallel, by the own-GIL
probe (tests/test_probes_subinterpreters.py). These tests need Python 3.13+ (`make test-gil`, `make test-ft`);
on the course's .venv (3.11) they skip, and the ones at the end check what a Python without
subinterpreters says instead.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from functools import partial

import pytest
from support.skips import require_no_subinterpreters, require_subinterpreters

from gillab.measure import runners
from gillab.measure.chunks import split_range
from gillab.measure.interpreter_pool import InterpreterPoolExecutor
from gillab.measure.subinterpreters import (
    MAX_INTERPRETERS,
    CannotCrossInterpreters,
    SubinterpreterFailed,
    SubinterpretersUnavailable,
    interpreter_start_seconds,
    run_subinterpreters,
    stop_interpreters,
)
from gillab.measure.workloads import count_sum, numpy_sum, wait_units
from gillab.probes.chunk_rules import most_at_once
from gillab.probes.interpreter_probe import probe_interpreter_chunks

#: A bound on every failing call below: each must come back with its message, never hang.
BOUND_S = 30


@pytest.fixture
def subinterpreters():
    return require_subinterpreters()


def test_each_worker_runs_its_chunks_in_an_interpreter_of_its_own_on_a_thread_of_its_own(subinterpreters):
    chunks = split_range(1, 400_001, 4)
    record = run_subinterpreters(count_sum, chunks, n_workers=2, n_ticks=5)
    assert record.mode == "subinterpreters" and record.result == 400_000 * 400_001 // 2
    assert [span.chunk for span in record.spans] == chunks
    assert record.distinct_interpreters == 2 and record.distinct_threads == 2
    assert all(span.pid == record.caller_pid for span in record.spans), "one process: no worker processes"
    assert 0 not in {span.interpreter for span in record.spans}, "the main interpreter (0) ran no chunk"
    assert not record.ran_in_caller_thread
    # one worker = one interpreter on one native thread, for all its chunks (chunk i on worker i % 2)
    pairs = {(span.worker, span.interpreter, span.thread_id) for span in record.spans}
    assert len(pairs) == 2 and [span.worker for span in record.spans] == [0, 1, 0, 1]
    assert all(len(span.ticks) == 5 and len(span.tick_cpu_s) == 5 for span in record.spans)


def test_the_spans_of_two_interpreters_overlap_in_time_when_their_chunks_wait_for_each_other(subinterpreters):
    # the probe's rendezvous holds each call until both interpreters are inside: a run that got
    # there did run its chunks at the same moment, and the spans (timed inside each interpreter
    # on the one perf_counter clock) must show it
    namespace = {"count_sum": count_sum}
    with probe_interpreter_chunks(namespace, interpreters=2, wait_s=20) as run:
        record = run_subinterpreters(namespace["count_sum"], split_range(1, 20_001, 2), n_workers=2)
    assert run.met and run.interpreters_used() == 2
    assert most_at_once(record.spans) == 2, [(span.start, span.end) for span in record.spans]
    assert {call.interpreter for call in run.calls} == {span.interpreter for span in record.spans}
    assert record.result == 20_000 * 20_001 // 2


def test_run_chunks_offers_the_mode_and_the_interpreters_are_kept_for_the_next_run(subinterpreters):
    assert "subinterpreters" in runners.MODES
    stop_interpreters()
    first = runners.run_chunks("subinterpreters", count_sum, split_range(1, 1001, 2), 2)
    second = runners.run_chunks("subinterpreters", count_sum, split_range(1, 1001, 2), 2)
    kept = {span.interpreter for span in first.spans}
    assert {span.interpreter for span in second.spans} == kept, "a warm run reuses the interpreters"
    assert stop_interpreters() == 2
    third = runners.run_chunks("subinterpreters", count_sum, split_range(1, 1001, 2), 2)
    assert not {span.interpreter for span in third.spans} & kept, "stopped interpreters are not reused"


def test_starting_an_interpreter_is_measured_each_time_anew(subinterpreters):
    seconds = interpreter_start_seconds(repeats=2)
    assert len(seconds) == 2 and all(0 < value < BOUND_S for value in seconds)


def refused_quickly(call, error_type, *words):
    started = time.monotonic()
    with pytest.raises(error_type) as caught:
        call()
    assert time.monotonic() - started < BOUND_S
    for word in words:
        assert word in str(caught.value), str(caught.value)
    return str(caught.value)


def test_more_interpreters_than_the_bound_are_refused_with_the_reason(subinterpreters):
    refused_quickly(
        lambda: run_subinterpreters(count_sum, split_range(1, 100, 40), MAX_INTERPRETERS + 1),
        ValueError, f"at most {MAX_INTERPRETERS} for subinterpreters, got {MAX_INTERPRETERS + 1}", "3-4 MB",
    )
    refused_quickly(lambda: InterpreterPoolExecutor(max_workers=MAX_INTERPRETERS + 1), ValueError,
                    f"max_workers must be at most {MAX_INTERPRETERS}")


def test_a_lambda_a_nested_function_and_a_notebook_function_are_refused_before_anything_starts(subinterpreters):
    def nested(lo, hi):
        return 0

    def in_a_cell(lo, hi):
        return 0

    in_a_cell.__module__, in_a_cell.__qualname__ = "__main__", "in_a_cell"  # a function of a notebook cell
    refused_quickly(lambda: run_subinterpreters(lambda lo, hi: 0, [(0, 1)], 1), CannotCrossInterpreters,
                    "is a lambda")
    refused_quickly(lambda: run_subinterpreters(nested, [(0, 1)], 1), CannotCrossInterpreters,
                    "defined inside another function")
    refused_quickly(lambda: run_subinterpreters(in_a_cell, [(0, 1)], 1), CannotCrossInterpreters,
                    "defined in this notebook", "__main__")


def test_a_function_defined_in_a_real_main_module_is_refused_by_runner_and_pool_without_hanging(subinterpreters):
    """What the backport's own pool hangs on forever (a function and an argument class of __main__),
    run as a script, whose __main__ is what a notebook's is."""
    script = textwrap.dedent("""
        from gillab.measure.interpreter_pool import InterpreterPoolExecutor
        from gillab.measure.subinterpreters import CannotCrossInterpreters, run_subinterpreters
        from gillab.measure.workloads import count_sum

        def in_main(lo, hi):
            return hi - lo

        class Point:
            pass

        for attempt in (lambda: run_subinterpreters(in_main, [(0, 1)], 1),
                        lambda: InterpreterPoolExecutor(1).submit(in_main, 0, 1),
                        lambda: InterpreterPoolExecutor(1).submit(count_sum, Point(), 1)):
            try:
                attempt()
            except CannotCrossInterpreters as error:
                print("REFUSED:", error)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("REFUSED:")]
    assert len(lines) == 3, result.stdout + result.stderr
    assert "the work function in_main is defined in this notebook" in lines[0]
    assert "the function in_main is defined in this notebook" in lines[1]
    assert "argument 1 of count_sum (Point) refers to Point, defined in this notebook" in lines[2]


def test_an_extension_that_refuses_subinterpreters_is_named_in_plain_words(subinterpreters):
    message = refused_quickly(lambda: run_subinterpreters(numpy_sum, [(0, 10)], 1), SubinterpreterFailed,
                              "refuses to load in a subinterpreter", "numpy", "threads or processes")
    assert "IMPORTANT" not in message, "numpy's misleading install banner is left out"
    with InterpreterPoolExecutor(1) as pool:
        future = pool.submit(numpy_sum, 0, 10)
        refused_quickly(lambda: future.result(timeout=BOUND_S), SubinterpreterFailed, "numpy", "PEP 684")


def test_an_error_in_the_work_comes_back_with_the_worker_interpreters_traceback(subinterpreters):
    too_slow = partial(wait_units, unit_s=5.0)  # wait_units refuses units over a second
    message = refused_quickly(lambda: run_subinterpreters(too_slow, [(0, 1)], 1), SubinterpreterFailed,
                              "raised ValueError: unit_s must be at most 1.0", "in the worker interpreter",
                              "workloads.py")
    assert "Traceback" in message


def test_a_module_the_worker_cannot_import_is_explained(subinterpreters, tmp_path, monkeypatch):
    (tmp_path / "added_late.py").write_text("def work(lo, hi):\n    return hi - lo\n")
    monkeypatch.syspath_prepend(str(tmp_path))  # added at run time: not on a new interpreter's sys.path
    import added_late

    refused_quickly(lambda: run_subinterpreters(added_late.work, [(0, 1)], 1), SubinterpreterFailed,
                    "could not rebuild", "added_late", "sys.path")


def test_unshareable_arguments_and_big_results_through_the_pool(subinterpreters):
    with InterpreterPoolExecutor(max_workers=2) as pool:
        refused_quickly(lambda: pool.submit(count_sum, threading.Lock(), 1), CannotCrossInterpreters,
                        "argument 1 of count_sum (lock) cannot be pickled", "share no Python objects")
        refused_quickly(lambda: pool.submit(lambda: 1), CannotCrossInterpreters, "is a lambda")
        # results of 64 bits and more hang the backport's own pool; through this one they come back
        assert pool.submit(pow, 2, 100).result(timeout=BOUND_S) == 2**100
        assert sum(pool.map(count_sum, [1, 11], [11, 21], timeout=BOUND_S)) == 210


def test_a_run_past_its_timeout_is_stopped_between_slices_with_a_message(subinterpreters):
    slow = partial(wait_units, unit_s=0.05)
    started = time.monotonic()
    with pytest.raises(SubinterpreterFailed, match="still running in gillab-interpreter-0 after 0.5 s"):
        run_subinterpreters(slow, [(0, 400)], 1, n_ticks=400, timeout_s=0.5)  # 20 s of waiting if not stopped
    assert time.monotonic() - started < 12


# --- Python without subinterpreters (the course's .venv: 3.11) ------------------------------------
def test_a_python_without_subinterpreters_says_why_in_the_runner_pool_and_probe():
    support = require_no_subinterpreters()
    from gillab.probes.own_gil import other_worker_ran

    version = ".".join(map(str, sys.version_info[:2]))
    for attempt in (lambda: run_subinterpreters(count_sum, [(0, 1)], 1),
                    lambda: runners.run_chunks("subinterpreters", count_sum, [(0, 1)], 1),
                    lambda: InterpreterPoolExecutor(2),
                    lambda: other_worker_ran("subinterpreters")):
        with pytest.raises(SubinterpretersUnavailable) as caught:
            attempt()
        assert str(caught.value) == support.detail and f"Python {version}" in support.detail
    assert "Python 3.13 or newer" in support.detail


def test_a_process_forked_after_a_run_starts_because_the_kept_interpreters_are_closed_first(subinterpreters):
    """On Python 3.13 a child forked while a subinterpreter exists dies at once ("Fatal Python error:
    PyThreadState_Get"); the runner's kept interpreters are closed before every fork."""
    import multiprocessing

    run_subinterpreters(count_sum, split_range(1, 1001, 2), 2)
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    process = context.Process(target=child.send, args=("started",))
    process.start()
    assert parent.poll(BOUND_S) and parent.recv() == "started"
    process.join(BOUND_S)
    assert process.exitcode == 0
    assert run_subinterpreters(count_sum, split_range(1, 1001, 2), 2).distinct_interpreters == 2
