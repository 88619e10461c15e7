"""The timing helper and the speedup arithmetic."""

import pytest

from gillab.measure.timing import amdahl_speedup, efficiency, fit_amdahl, speedup, time_call


def test_time_call_warms_up_then_repeats():
    calls = []
    timing = time_call(calls.append, "x", repeats=4, warmup=2)
    assert len(calls) == 6 and len(timing.samples) == 4
    assert timing.min <= timing.median <= timing.max
    assert timing.summary()["repeats"] == 4


def test_time_call_returns_the_result():
    assert time_call(sorted, [3, 1, 2], repeats=1, warmup=0).result == [1, 2, 3]


@pytest.mark.parametrize("fraction", [0.0, 0.05, 0.3, 0.9, 1.0])
def test_fit_recovers_the_serial_fraction_it_was_generated_from(fraction):
    workers = [1, 2, 3, 4, 8]
    assert fit_amdahl(workers, [amdahl_speedup(fraction, k) for k in workers]) == pytest.approx(fraction, abs=1e-9)


def test_a_slowdown_fits_as_fully_serial():
    assert fit_amdahl([2, 4], [0.8, 0.7]) == 1.0


def test_speedup_and_efficiency():
    assert speedup(2.0, 0.5) == 4.0
    assert efficiency(3.0, 4) == 0.75
    assert amdahl_speedup(0.0, 6) == 6.0 and amdahl_speedup(1.0, 6) == 1.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: time_call(sum, [], repeats=0), "repeats must be a positive int, got 0"),
        (lambda: time_call(42), "function must be callable"),
        (lambda: speedup(1.0, 0), "parallel_s must be > 0"),
        (lambda: amdahl_speedup(1.5, 2), "serial_fraction must be at most 1.0"),
        (lambda: fit_amdahl([1, 1], [1.0, 1.0]), "at least one measurement with more than 1 worker"),
        (lambda: fit_amdahl([2], [1.0, 2.0]), "same length"),
        (lambda: speedup(float("nan"), 1.0), "finite"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_time_call_notes_the_cpu_time_of_each_repeat_little_when_waiting_and_much_when_computing():
    import time

    waiting = time_call(time.sleep, 0.05, repeats=2, warmup=0)
    assert len(waiting.cpu_samples) == 2 and waiting.cpu_median < 0.5 * waiting.median
    computing = time_call(sum, range(2_000_000), repeats=2, warmup=0)
    assert computing.cpu_median > 0
