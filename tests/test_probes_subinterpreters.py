"""The probes that prove, without timing, what subinterpreters do: the own-GIL probe (does another
worker run Python while this thread holds its GIL inside one C call?) and the interpreter chunk
probe (were k interpreters inside the work at the same moment?).

The own-GIL answers for threads run everywhere: no on a standard build, yes on a free-threaded one
with the GIL off. The subinterpreter ones need Python 3.13+ (`make test-gil`, `make test-ft`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from support.skips import require_subinterpreters

from gillab.machine.interpreter import current_interpreter_id, gil_enabled
from gillab.measure.chunks import split_range
from gillab.measure.workloads import count_sum
from gillab.probes.interpreter_probe import probe_interpreter_chunks
from gillab.probes.own_gil import other_worker_ran


def test_a_thread_of_this_interpreter_runs_while_this_one_holds_the_gil_only_without_a_gil():
    answer = other_worker_ran("threads")
    assert answer.other_ran is (not gil_enabled()), answer.describe()
    if gil_enabled():
        # the shared byte was read every time the C call could read it, and never changed
        assert answer.reads == 10_000_000 and answer.describe().startswith("No: a thread of this interpreter")
    else:
        assert answer.reads < 10_000_000 and "do not share a GIL" in answer.describe()


def test_a_thread_in_another_interpreter_runs_while_this_one_holds_its_gil():
    require_subinterpreters()
    answer = other_worker_ran("subinterpreters")
    assert answer.other_ran, answer.describe()
    assert answer.describe().startswith("Yes: a thread in another interpreter ran Python")


def test_the_own_gil_probe_refuses_an_unknown_kind_and_a_bad_wait():
    with pytest.raises(ValueError, match="kind must be one of threads, subinterpreters, got 'processes'"):
        other_worker_ran("processes")
    with pytest.raises(ValueError, match="wait_s must be > 0"):
        other_worker_ran("threads", wait_s=0)


def test_calls_in_this_interpreter_never_wait_and_count_no_other_interpreter():
    namespace = {"count_sum": count_sum}
    with ThreadPoolExecutor(2) as pool, probe_interpreter_chunks(namespace, interpreters=2, wait_s=5) as run:
        total = sum(pool.map(namespace["count_sum"], [1, 11], [11, 21]))
    assert total == 210 and namespace["count_sum"] is count_sum, "the probe is taken back"
    assert not run.met and run.interpreters_used() == 0
    assert len(run.in_caller_interpreter()) == 2 and {call.interpreter for call in run.calls} == {
        current_interpreter_id()
    }
    assert run.coverage_problem(1, 21) is None and "do not cover 1..29" in run.coverage_problem(1, 30)


def test_two_pool_interpreters_meet_at_the_rendezvous_and_one_alone_gives_up_once():
    require_subinterpreters()
    from gillab.measure.interpreter_pool import InterpreterPoolExecutor

    chunks = split_range(1, 100_001, 2)
    namespace = {"count_sum": count_sum}
    with probe_interpreter_chunks(namespace, interpreters=2, wait_s=20) as run:
        with InterpreterPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(namespace["count_sum"], lo, hi) for lo, hi in chunks]
            total = sum(future.result(timeout=60) for future in futures)
    assert total == 100_000 * 100_001 // 2
    assert run.met and run.interpreters_used() == 2 and run.most_at_once() == 2
    assert not run.in_caller_interpreter() and not run.in_other_processes()

    with probe_interpreter_chunks(namespace, interpreters=2, wait_s=1) as alone:
        with InterpreterPoolExecutor(max_workers=1) as pool:
            futures = [pool.submit(namespace["count_sum"], lo, hi) for lo, hi in chunks]
            assert sum(future.result(timeout=60) for future in futures) == total
    assert not alone.met and alone.interpreters_used() == 1 and alone.most_at_once() == 1
