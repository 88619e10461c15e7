"""Runners: exact sums, the requested number of distinct threads, work in other processes, spans."""

import os
import threading

import pytest

from gillab.measure.chunks import split_range
from gillab.measure.runners import MAX_WORKERS, run_chunks, run_processes, run_serial, run_threads
from gillab.measure.workloads import count_sum, hash_blocks, numpy_sum, wait_units


def expected_sum(n):
    return n * (n + 1) // 2


CASES = [(0, 1), (0, 3), (1, 1), (1, 4), (3, 8), (20, 4), (1000, 3), (99_999, 7), (10, 10)]


@pytest.mark.parametrize("n, k", CASES)
def test_serial_and_threads_give_exact_sums(n, k):
    chunks = split_range(1, n + 1, k)
    assert run_serial(count_sum, chunks).result == expected_sum(n)
    record = run_threads(count_sum, chunks, n_workers=k)
    assert record.result == expected_sum(n)
    assert record.distinct_threads == k  # every thread got a chunk, even an empty one
    assert not record.ran_in_caller_thread


@pytest.mark.parametrize("n, k", [(0, 1), (10, 1), (0, 2), (5, 3), (20, 4), (100_000, 2), (7, 2)])
def test_processes_give_exact_sums_in_other_processes(n, k):
    record = run_processes(count_sum, split_range(1, n + 1, k), n_workers=k)
    assert record.result == expected_sum(n)
    assert not record.ran_in_caller_process
    assert all(span.pid != os.getpid() for span in record.spans)
    assert all(span.kind == "process" for span in record.spans)


def test_one_worker_process_runs_every_chunk_in_one_other_process():
    """joblib itself would run n_jobs=1 in the caller's process; the runner must not."""
    record = run_processes(count_sum, split_range(0, 1000, 3), n_workers=1)
    assert record.result == sum(range(1000))
    assert record.distinct_processes == 1 and not record.ran_in_caller_process
    assert sorted(span.chunk for span in record.spans) == split_range(0, 1000, 3)


def test_more_chunks_than_threads_share_the_threads():
    record = run_threads(count_sum, split_range(0, 1000, 10), n_workers=3)
    assert record.result == sum(range(1000))
    assert record.distinct_threads == 3
    assert sorted(span.chunk for span in record.spans) == split_range(0, 1000, 10)


def test_spans_and_ticks_are_ordered_and_inside_the_run():
    record = run_threads(count_sum, split_range(0, 200_000, 2), n_workers=2, n_ticks=10)
    for span in record.spans:
        assert span.start <= span.ticks[0] and span.ticks[-1] <= span.end
        assert list(span.ticks) == sorted(span.ticks) and len(span.ticks) == 10
        assert span.thread_id != threading.get_native_id()


def test_waiting_threads_overlap_in_time():
    """Sleeping releases the GIL, so two waits of 0.2 s must be in progress at the same moment."""
    record = run_threads(wait_units, [(0, 200), (0, 200)], n_workers=2)
    first, second = record.spans
    assert max(first.start, second.start) < min(first.end, second.end)


@pytest.mark.parametrize("workload", [hash_blocks, numpy_sum])
def test_other_workloads_are_additive_across_runners(workload):
    chunks = split_range(0, 6, 3) if workload is hash_blocks else split_range(0, 3_000_001, 3)
    serial = run_serial(workload, chunks).result
    assert run_threads(workload, chunks, 3).result == serial
    assert run_processes(workload, chunks, 2).result == serial
    assert workload(chunks[0][0], chunks[-1][1]) == serial


def test_numpy_sum_agrees_with_count_sum():
    assert numpy_sum(-5, 2_500_000) == count_sum(-5, 2_500_000)


def test_a_failing_chunk_raises_in_the_caller():
    def broken(lo, hi):
        raise RuntimeError(f"chunk {lo} failed")

    with pytest.raises(RuntimeError, match="chunk"):
        run_threads(broken, [(0, 1), (1, 2)], 2)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: run_threads(count_sum, [(0, 1)], 0), ValueError, "n_workers must be a positive int, got 0"),
        (lambda: run_threads(count_sum, [(0, 1)], 2.5), TypeError, "n_workers must be a positive int"),
        (lambda: run_threads(count_sum, [(0, 1)], MAX_WORKERS + 1), ValueError, f"at most {MAX_WORKERS}"),
        (lambda: run_serial(count_sum, []), ValueError, "chunks must be a non-empty list"),
        (lambda: run_serial(count_sum, [(3, 1)]), ValueError, "lo <= hi"),
        (lambda: run_serial("count_sum", [(0, 1)]), TypeError, "function must be callable"),
        (lambda: run_chunks("gpu", count_sum, [(0, 1)]), ValueError, "mode must be one of serial, threads, processes"),
        (lambda: count_sum(5, 1), ValueError, "hi must be >= lo"),
        (lambda: wait_units(0, 1, unit_s=-1), ValueError, "unit_s must be >= 0"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()
