"""Chapter 02's arithmetic of splitting: fixed cost against cost per item."""

import threading

import pytest

from gillab.experiments import thread_start as overhead


def test_size_for_overhead_share_is_the_smallest_size_that_hides_the_overhead():
    size = overhead.size_for_overhead_share(overhead_s=0.002, per_item_s=1e-6, share=0.01)
    assert size == 200_000
    assert 0.002 <= 0.01 * size * 1e-6 and 0.002 > 0.01 * (size - 1) * 1e-6


@pytest.mark.parametrize("kwargs", [{"overhead_s": 0}, {"per_item_s": -1}, {"share": 2}])
def test_size_for_overhead_share_refuses_nonsense(kwargs):
    with pytest.raises(ValueError):
        overhead.size_for_overhead_share(**{"overhead_s": 1e-3, "per_item_s": 1e-7, "share": 0.01, **kwargs})


def test_start_and_join_threads_really_starts_them(monkeypatch):
    started = []
    real_start = threading.Thread.start

    def counting_start(self):
        started.append(self)
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    overhead.start_and_join_threads(3)
    assert len(started) == 3 and not any(thread.is_alive() for thread in started)


def test_the_measurements_have_the_requested_repeats():
    assert len(overhead.thread_start_cost(n_threads=2, repeats=4).samples) == 4
    assert overhead.per_item_cost(n=1000, repeats=2) > 0
