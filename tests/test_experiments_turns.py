"""Turns read off progress ticks: exact boundaries on made-up spans, and real runs under the GIL."""

import sys

import pytest

from gillab.experiments.turns import summarise_turns, switch_interval, turns
from gillab.machine.interpreter import gil_enabled
from gillab.measure.chunks import split_range
from gillab.measure.runners import RunRecord, Span, run_threads
from gillab.measure.workloads import count_sum


def span(thread_id, start, ticks):
    return Span("thread", 0, 1, thread_id, (0, 1), start, ticks[-1], 0.0, tuple(ticks))


def record(*spans):
    return RunRecord("threads", 2, "count_sum", [(0, 1)] * len(spans), 0, 1.0, 0.0, list(spans))


def test_turns_split_where_the_ticking_worker_changes():
    found = turns(record(span(10, 0.0, [1.0, 2.0, 3.0, 6.0]), span(20, 0.5, [4.0, 5.0])))
    assert [(t.worker, t.start, t.end, t.ticks) for t in found] == [
        (0, 0.0, 3.0, 3),
        (1, 3.0, 5.0, 2),
        (0, 5.0, 6.0, 1),
    ]
    summary = summarise_turns(record(span(10, 0.0, [1.0, 2.0, 3.0, 6.0]), span(20, 0.5, [4.0, 5.0])))
    assert (summary.workers, summary.count, summary.median_s, summary.longest_s) == (2, 3, 2.0, 3.0)


def test_a_record_without_ticks_is_refused():
    with pytest.raises(ValueError, match="n_ticks > 1"):
        turns(record(Span("thread", 0, 1, 10, (0, 1), 0.0, 1.0, 0.0)))


def test_gil_bound_threads_take_turns_of_many_ticks():
    if not gil_enabled():
        pytest.skip("the GIL is off in this Python: threads do not take GIL turns (chapter 06 shows that)")
    # under the GIL a CPU-bound thread keeps it for a switch interval: its ticks come in runs.
    # 20 ms turns against ~0.1 ms slices leave plenty of margin on a busy machine
    with switch_interval(0.02):
        run = run_threads(count_sum, split_range(0, 1_000_000, 2), 2, n_ticks=400)
    found = turns(run)
    assert {turn.worker for turn in found} == {0, 1}
    assert sum(turn.ticks for turn in found) == 800
    assert len(found) < 400  # strict alternation would be about 800 turns of one tick


def test_switch_interval_is_restored_even_after_an_error():
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError):
        with switch_interval(0.001):
            assert sys.getswitchinterval() == pytest.approx(0.001)
            raise RuntimeError("inside")
    assert sys.getswitchinterval() == before


def test_switch_interval_refuses_nonsense():
    with pytest.raises(ValueError, match="seconds must be > 0"):
        with switch_interval(0):
            pass
