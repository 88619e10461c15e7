"""The witness judges probes from outside their process: from the raw records and from /proc.

Here the test process itself plays the kernel (its main thread is the caller, as a notebook's is),
the real probes run in it with the witness's folder in their environment, and a real Witness
watches that folder from a thread of its own, as a grading worker does.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gillab.chat.client import get_json
from gillab.grading.witness import MIN_CPU_NS_PER_NUMBER, Witness, check_specs, evidence_specs
from gillab.measure.chunks import split_range
from gillab.measure.workloads import count_sum
from gillab.probes.chat_requests import GatedChatServer
from gillab.probes.chunk_probe import probe_chunks
from gillab.probes.evidence import WITNESS_ENV

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads /proc (Linux)")


def threads_spec(workers=2, stop=20_001):
    return {"probe": "chunks", "kind": "threads", "workers": workers, "function": "threaded_sum", "start": 1,
            "stop": stop}


@pytest.fixture
def witness(tmp_path, monkeypatch):
    monkeypatch.setenv(WITNESS_ENV, str(tmp_path))
    return Witness(tmp_path, os.getpid)


def threaded_sum(n, n_threads):
    """An honest answer: one thread per chunk, all started before any is joined."""
    with ThreadPoolExecutor(n_threads) as pool:
        return sum(pool.map(lambda chunk: count_sum(*chunk), split_range(1, n + 1, n_threads)))


def serial_sum(n, n_threads):
    return sum(count_sum(lo, hi) for lo, hi in split_range(1, n + 1, n_threads))


def test_an_honest_threaded_sum_passes_and_each_thread_did_its_work_in_cpu_time(witness):
    with witness.watching([threads_spec()]) as verdicts:
        with probe_chunks(globals(), "threads", workers=2, wait_s=20) as run:
            total = threaded_sum(20_000, 2)
        run.check("threaded_sum", 1, 20_001)
    assert total == 20_000 * 20_001 // 2
    [verdict] = verdicts
    assert verdict.passed, verdict.reason
    cpu = verdict.observed["cpu_ns"]
    assert len(cpu) == 2 and all(grown >= MIN_CPU_NS_PER_NUMBER * 10_000 for grown in cpu.values())


def test_a_serial_sum_fails_with_the_same_words_as_the_kernels_check(witness):
    with witness.watching([threads_spec()]) as verdicts:
        with probe_chunks(globals(), "threads", workers=2, wait_s=0.2) as run:
            serial_sum(20_000, 2)
    [verdict] = verdicts
    assert not verdict.passed and "on the notebook's own thread" in verdict.reason
    with pytest.raises(AssertionError, match="on the notebook's own thread"):
        run.check("threaded_sum", 1, 20_001)


def test_records_naming_threads_that_never_existed_fail(witness):
    """A forger writes records of made-up threads and meets the rendezvous itself: the kernel's own
    check is fooled, the witness is not."""

    def forged_sum(n, n_threads):
        folder = Path(count_sum.folder)  # the probe standing in for count_sum while the test runs
        for index, (lo, hi) in enumerate(split_range(1, n + 1, n_threads)):
            record = {"pid": os.getpid(), "thread_id": 4_000_000 + index, "lo": lo, "hi": hi, "start": 0, "end": 1}
            (folder / f"call-f{index}.json").write_text(json.dumps(record))
            (folder / f"arrive-{os.getpid()}-{4_000_000 + index}").touch()
        (folder / "met").touch()
        return n * (n + 1) // 2

    with witness.watching([threads_spec()]) as verdicts:
        with probe_chunks(globals(), "threads", workers=2, wait_s=0.2) as run:
            forged_sum(20_000, 2)
    run.check("threaded_sum", 1, 20_001)  # fooled
    [verdict] = verdicts
    assert not verdict.passed and "which the operating system never showed" in verdict.reason


def test_real_threads_that_claim_work_they_did_not_do_fail_on_cpu_time(witness):
    """Two real threads arrive at the rendezvous, then idle; their records claim the chunks."""

    def idle_claims(n, n_threads):
        folder = Path(count_sum.folder)
        chunks = split_range(1, n + 1, n_threads)
        done = threading.Event()

        def pretend(index):
            lo, hi = chunks[index]
            thread = threading.get_native_id()
            (folder / f"arrive-{os.getpid()}-{thread}").touch()
            time.sleep(0.3)  # the witness sees it alive, and its CPU time does not grow
            record = {"pid": os.getpid(), "thread_id": thread, "lo": lo, "hi": hi, "start": 0, "end": 1}
            (folder / f"call-p{index}.json").write_text(json.dumps(record))
            done.wait(2)

        workers = [threading.Thread(target=pretend, args=(index,)) for index in range(n_threads)]
        for worker in workers:
            worker.start()
        time.sleep(0.8)  # the witness acknowledges the records while the threads still exist
        done.set()
        for worker in workers:
            worker.join()
        return n * (n + 1) // 2

    with witness.watching([threads_spec(stop=2_000_001)]) as verdicts:
        with probe_chunks(globals(), "threads", workers=2, wait_s=0.2):
            idle_claims(2_000_000, 2)
    [verdict] = verdicts
    assert not verdict.passed and "the work never ran there" in verdict.reason, verdict


def test_a_probe_that_was_replaced_leaves_no_records_and_fails(witness):
    with witness.watching([threads_spec()]) as verdicts:
        threaded_sum(20_000, 2)  # no probe at all: as if the student had put a stand-in in its place
    [verdict] = verdicts
    assert not verdict.passed and "left no records with the grader" in verdict.reason


def requests_spec(at_least):
    return {"probe": "requests", "at_least": at_least}


def test_requests_in_flight_are_counted_in_the_kernels_own_tcp_table(witness):
    with witness.watching([requests_spec(3)]) as verdicts:
        with GatedChatServer(gather=3, wait_s=20) as server, ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(get_json, [server.url(f"/items/{i}") for i in range(3)]))
    assert answers == [{"item": i} for i in range(3)]
    [verdict] = verdicts
    assert verdict.passed and verdict.observed["counted"] >= 3, verdict


def test_requests_one_at_a_time_fail_even_when_the_servers_log_is_patched(witness, monkeypatch):
    monkeypatch.setattr(GatedChatServer, "max_in_flight", lambda self: 99)
    with witness.watching([requests_spec(2)]) as verdicts:
        with GatedChatServer(gather=2, wait_s=0.3) as server:
            for i in range(2):
                get_json(server.url(f"/items/{i}"))
            assert server.max_in_flight() == 99  # what the kernel's own check would read
    [verdict] = verdicts
    assert not verdict.passed and "never showed 2 requests in flight" in verdict.reason


def test_evidence_entries_are_checked_and_read_from_the_source_notebook():
    from nbformat.v4 import new_code_cell, new_notebook

    cell = new_code_cell("x", metadata={"nbgrader": {"grade_id": "t"}, "gillab": {"evidence": [requests_spec(2)]}})
    assert evidence_specs(new_notebook(cells=[cell, new_code_cell("y")])) == {"t": [requests_spec(2)]}
    with pytest.raises(ValueError, match="probe must be one of chunks, requests, got 'sockets'"):
        check_specs([{"probe": "sockets"}])
