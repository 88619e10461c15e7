"""The grading instruments: what they record, when they pass, what they say, and that they never hang.

Functions standing for students' answers are defined here at module level, so that (as in a
notebook) joblib's loky pickles them by value together with the globals they use.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from joblib import Parallel, delayed

import gillab.measure.chunks
import gillab.measure.workloads
from gillab.chat.client import FetchError, get_json
from gillab.measure.chunks import split_range
from gillab.measure.workloads import count_sum
from gillab.probes.chat_requests import (
    GatedChatServer,
    call_dashboard,
    check_dashboard,
    check_in_flight,
    finishes_within,
)
from gillab.probes.chunk_probe import ChunkProbe, probe_chunks
from gillab.probes.tripwire import forbid_calls
from gillab.probes.verdicts import GradingFailure, check_equal, check_raises, split_range_problems

SHORT_WAIT_S = 0.5  # rendezvous waits in these tests: only the runs that cannot meet it pay it


def threads_each(n, k):
    chunks, totals = split_range(1, n + 1, k), [0] * k

    def work(index, lo, hi):
        totals[index] = count_sum(lo, hi)

    workers = [threading.Thread(target=work, args=(index, *chunk)) for index, chunk in enumerate(chunks)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(totals)


def pool_of_threads(n, k):
    with ThreadPoolExecutor(max_workers=k) as pool:
        return sum(pool.map(lambda chunk: count_sum(*chunk), split_range(1, n + 1, k)))


def pool_one_at_a_time(n, k):
    with ThreadPoolExecutor(max_workers=k) as pool:
        return sum(pool.submit(count_sum, *chunk).result() for chunk in split_range(1, n + 1, k))


def serial(n, k):
    return sum(count_sum(lo, hi) for lo, hi in split_range(1, n + 1, k))


def formula(n, k):
    return n * (n + 1) // 2


def overlapping_chunks(n, k):
    with ThreadPoolExecutor(max_workers=k) as pool:
        return sum(pool.map(lambda chunk: count_sum(*chunk), [(1, n + 1)] * k)) // k


def processes_default(n, k):
    return sum(Parallel(n_jobs=k)(delayed(count_sum)(lo, hi) for lo, hi in split_range(1, n + 1, k)))


def processes_through_helper(n, k):
    def chunk_total(chunk):
        return count_sum(*chunk)

    return sum(Parallel(n_jobs=k, backend="loky")(delayed(chunk_total)(chunk) for chunk in split_range(1, n + 1, k)))


def processes_threading_backend(n, k):
    chunks = split_range(1, n + 1, k)
    return sum(Parallel(n_jobs=k, backend="threading")(delayed(count_sum)(lo, hi) for lo, hi in chunks))


def run_probed(kind, function, n=30_000, workers=3, wait_s=SHORT_WAIT_S):
    started = time.monotonic()
    with probe_chunks(globals(), kind, workers=workers, wait_s=wait_s) as run:
        total = function(n, workers)
    return run, total, time.monotonic() - started


# --- count_sum probe: threads ---------------------------------------------------------------
@pytest.mark.parametrize("function", [threads_each, pool_of_threads])
def test_parallel_threads_pass_and_record_distinct_native_threads(function):
    run, total, _ = run_probed("threads", function, workers=3, wait_s=30)
    assert total == 30_000 * 30_001 // 2
    run.check(function.__name__, start=1, stop=30_001)
    assert run.met and len(run.calls) == 3
    assert len({call.thread_id for call in run.calls}) == 3
    assert threading.get_native_id() not in {call.thread_id for call in run.calls}
    assert run.most_at_once() == 3  # each call was held until all three were in


def test_a_tiny_pool_still_shows_every_thread():
    # chunks of one number finish in microseconds; without the rendezvous a pool could reuse a thread
    run, total, _ = run_probed("threads", pool_of_threads, n=4, workers=4, wait_s=30)
    assert total == 10
    run.check("pool_of_threads", start=1, stop=5)


@pytest.mark.parametrize(
    ("function", "says"),
    [
        (serial, "summed 3 of its 3 chunks on the notebook's own thread"),
        (formula, "never called count_sum"),
        (pool_one_at_a_time, "never had 3 chunks in progress at the same time"),
        (overlapping_chunks, "do not cover 1..30000 exactly once"),
        (processes_default, "ran 3 of its 3 chunks in other processes"),
    ],
)
def test_what_is_not_parallel_on_threads_fails_with_a_reason(function, says):
    run, _, _ = run_probed("threads", function)
    with pytest.raises(GradingFailure, match=says.replace(".", r"\.")):
        run.check(function.__name__, start=1, stop=30_001)


def test_a_serial_run_waits_at_most_once():
    run, total, seconds = run_probed("threads", pool_one_at_a_time, workers=4, wait_s=SHORT_WAIT_S)
    assert total == 30_000 * 30_001 // 2 and not run.met and len(run.calls) == 4
    assert seconds < 4 * SHORT_WAIT_S  # one wait, not one per chunk (a bound on a hang, not a speed)


def test_calls_in_the_caller_thread_never_wait():
    run, _, seconds = run_probed("threads", serial, workers=3, wait_s=30)
    assert seconds < 15 and len(run.calls) == 3 and not run.met


# --- count_sum probe: processes -------------------------------------------------------------
@pytest.mark.parametrize("function", [processes_default, processes_through_helper])
def test_loky_processes_pass_and_record_worker_pids(function):
    import os

    run, total, _ = run_probed("processes", function, n=20_000, workers=2, wait_s=60)
    assert total == 20_000 * 20_001 // 2
    run.check(function.__name__, start=1, stop=20_001)
    assert os.getpid() not in {call.pid for call in run.calls}
    assert len({call.pid for call in run.calls}) == 2


@pytest.mark.parametrize(
    ("function", "says"),
    [
        (processes_threading_backend, "joblib's threading backend"),
        (serial, "did you hand the work to joblib.Parallel?"),
        (threads_each, "joblib's threading backend"),
    ],
)
def test_work_kept_in_the_notebook_process_fails_with_a_reason(function, says):
    run, _, seconds = run_probed("processes", function, workers=2, wait_s=30)
    with pytest.raises(GradingFailure, match=says.replace(".", r"\.").replace("?", r"\?")):
        run.check(function.__name__, start=1, stop=30_001)
    assert seconds < 15  # calls in the caller's own process never wait


# --- probe hygiene --------------------------------------------------------------------------
def test_probe_is_removed_afterwards_even_when_the_student_code_raises():
    namespace = {"count_sum": count_sum, "alias": count_sum, "other": len}

    def broken(n, k):
        assert isinstance(namespace["count_sum"], ChunkProbe) and isinstance(namespace["alias"], ChunkProbe)
        assert isinstance(gillab.measure.workloads.count_sum, ChunkProbe)
        raise ZeroDivisionError("student bug")

    with pytest.raises(ZeroDivisionError), probe_chunks(namespace, "threads", workers=2):
        broken(10, 2)
    assert namespace == {"count_sum": count_sum, "alias": count_sum, "other": len}
    assert gillab.measure.workloads.count_sum is count_sum


def test_a_straggler_thread_after_the_run_is_harmless():
    release = threading.Event()
    outcome = []

    def leaves_a_thread(n, k):
        probe = globals()["count_sum"]

        def late():
            release.wait(5)
            outcome.append(probe(1, 11))  # the run is over and its folder removed

        threading.Thread(target=late, daemon=True).start()
        return serial(n, k)

    run, _, _ = run_probed("threads", leaves_a_thread, workers=2)
    release.set()
    deadline = time.monotonic() + 10
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.01)
    assert outcome == [55] and len(run.calls) == 2


@pytest.mark.parametrize(
    ("arguments", "error", "says"),
    [
        (({}, "fibers", 2), ValueError, "kind must be one of threads, processes"),
        (({}, "threads", 0), ValueError, "workers must be a positive int"),
        (([], "threads", 2), TypeError, "namespace must be a dict"),
    ],
)
def test_probe_refuses_bad_arguments(arguments, error, says):
    with pytest.raises(error, match=says), probe_chunks(*arguments):
        pass


# --- tripwire and small checks --------------------------------------------------------------
def test_forbid_calls_sees_aliases_and_module_attributes_and_restores_them():
    from gillab.measure.chunks import split_range as course_split_range

    namespace = {"course_split_range": course_split_range}

    def wrapper(start, stop, n_chunks):
        return namespace["course_split_range"](start, stop, n_chunks)

    def via_module(start, stop, n_chunks):
        return gillab.measure.chunks.split_range(start, stop, n_chunks)

    for student in (wrapper, via_module):
        with forbid_calls(namespace, gillab.measure.chunks.split_range) as tripwire:
            assert student(1, 21, 4) == [(1, 6), (6, 11), (11, 16), (16, 21)]
        with pytest.raises(GradingFailure, match="handed its work to gillab.measure.chunks.split_range"):
            tripwire.check("split_range", "write your own.")
    assert namespace["course_split_range"] is course_split_range
    assert gillab.measure.chunks.split_range is course_split_range

    with forbid_calls(namespace, gillab.measure.chunks.split_range) as tripwire:
        assert [(0, 1)] == [(0, 1)]
    tripwire.check("split_range", "write your own.")  # nothing called: no failure


def test_check_equal_and_check_raises_say_what_happened():
    with pytest.raises(GradingFailure, match=r"threaded_sum\(3, 2\) returned True, expected 1"):
        check_equal(True, 1, "threaded_sum(3, 2)")

    def split_range(start, stop, n_chunks):
        return []

    with pytest.raises(GradingFailure, match=r"split_range\(0, 10, 0\) returned \[\]: it should raise ValueError"):
        check_raises(ValueError, split_range, 0, 10, 0)
    with pytest.raises(GradingFailure, match="raised ZeroDivisionError: .*; it should raise ValueError"):
        check_raises(ValueError, lambda *args: 1 / 0, 1)


@pytest.mark.parametrize(
    ("chunks", "says"),
    [
        ([(1, 6), (6, 11), (11, 16)], "gave 3 chunks, expected exactly 4"),
        ([(1, 6), (7, 11), (11, 16), (16, 21)], "chunk 1 starts at 7, expected 6"),
        ([(1, 6), (6, 11), (11, 16), (16, 20)], "the chunks end at 20, expected 21"),
        ([(1, 3), (3, 11), (11, 16), (16, 21)], "differ by more than one"),
        ([(1, 6), (6, 11), (11, 16), (16, 21)], None),
        ("1-20", "returned str"),
        ([(1, 6), (6, 11), (11, 16), (16, 21.0)], "expected a pair of ints"),
    ],
)
def test_split_range_problems_name_the_broken_rule(chunks, says):
    problem = split_range_problems(chunks, 1, 21, 4)
    assert problem is None if says is None else says in problem


def test_split_range_problems_want_the_larger_chunks_first():
    smaller_first = [(1, 6), (6, 11), (11, 16), (16, 22)]  # sizes 5, 5, 5, 6 for 21 numbers
    assert "the larger chunks must come first" in split_range_problems(smaller_first, 1, 22, 4)


def test_split_range_problems_accept_the_package_split_range_everywhere():
    for start, stop, n_chunks in [(0, 0, 1), (0, 3, 5), (-7, 7, 4), (5, 105, 7), (1, 21, 4)]:
        assert split_range_problems(split_range(start, stop, n_chunks), start, stop, n_chunks) is None


# --- the gated chat server ------------------------------------------------------------------
def fetch_with_pool(urls, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda url: get_json(url, timeout=30), urls))


def test_gate_is_met_by_a_pool_and_the_log_proves_it():
    with GatedChatServer(gather=4, wait_s=30) as server:
        answers = fetch_with_pool([server.url(f"/items/{number}") for number in range(10)], 4)
    assert answers == [{"item": number} for number in range(10)]
    assert server.gate_met and server.max_in_flight() == 4  # never more than the pool's threads
    check_in_flight(server, "fetch_with_pool", at_least=4)


def test_gate_holds_a_one_at_a_time_client_once_and_the_check_says_why():
    started = time.monotonic()
    with GatedChatServer(gather=3, wait_s=SHORT_WAIT_S) as server:
        answers = [get_json(server.url(f"/items/{number}"), timeout=30) for number in range(4)]
    assert answers == [{"item": number} for number in range(4)]
    assert not server.gate_met and server.max_in_flight() == 1
    assert time.monotonic() - started < 4 * SHORT_WAIT_S + 5  # one wait, not one per request
    with pytest.raises(GradingFailure, match="never had 3 requests in flight at once: .* at most 1 of its 4"):
        check_in_flight(server, "fetch_all", at_least=3)


def test_stopping_the_gated_server_lets_a_held_request_go():
    server = GatedChatServer(gather=2, wait_s=60).start()
    outcome = []

    def request():
        try:
            outcome.append(get_json(server.url("/items/1"), timeout=30))
        except FetchError as error:  # the server answers 503 "stopping": what matters is that it answers
            outcome.append(error.status)

    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while server._arrived < 1 and time.monotonic() < deadline:  # the request is held at the gate
        time.sleep(0.01)
    server.stop()
    thread.join(10)
    assert not thread.is_alive() and outcome == [503]


# --- dashboards and deadlines ---------------------------------------------------------------
def test_finishes_within_returns_reraises_and_bounds_a_hang():
    assert finishes_within(5, sum, [1, 2]) == 3
    with pytest.raises(KeyError):
        finishes_within(5, {}.__getitem__, "missing")
    never = threading.Event()
    started = time.monotonic()
    with pytest.raises(GradingFailure, match="had not returned 0.3 s after it was called while testing"):
        finishes_within(0.3, never.wait, 30, situation="while testing")
    assert time.monotonic() - started < 10


def test_call_dashboard_turns_a_crash_into_advice():
    def crashes(api, user_id, timeout):
        raise FetchError("http://x/users/1/messages", "HTTP 500 Internal Server Error", 500)

    with pytest.raises(GradingFailure, match="raised FetchError: .* catch FetchError for each request"):
        call_dashboard(crashes, None, 1, timeout=1, situation="while messages answered HTTP 500")


def test_check_dashboard_names_what_is_wrong():
    good = {"friends": ["Ada"], "messages": None, "errors": {"messages": "HTTP 500 Internal Server Error"}}
    check_dashboard(good, "load_dashboard(api, 1)", ["Ada"], [{"text": "hi"}], failed={"messages": "500"})
    with pytest.raises(GradingFailure, match="expected a dict with the keys"):
        check_dashboard(["Ada"], "load_dashboard(api, 1)", ["Ada"], [])
    with pytest.raises(
        GradingFailure, match=r"\['errors'\] is \{\}: expected one entry for each failed request \(messages\)"
    ):
        check_dashboard({**good, "errors": {}}, "load_dashboard(api, 1)", ["Ada"], [], failed={"messages": "500"})
    with pytest.raises(GradingFailure, match="the reason should say 'timeout'"):
        check_dashboard(good, "load_dashboard(api, 1)", ["Ada"], [], failed={"messages": "timeout"})
    with pytest.raises(GradingFailure, match=r"\['messages'\] returned \[\], expected None"):
        check_dashboard({**good, "messages": []}, "load_dashboard(api, 1)", ["Ada"], [], failed={"messages": "500"})
