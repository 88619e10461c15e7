"""The switch-interval experiment restores the interpreter's interval and reports what it saw."""

import sys

import pytest

from gillab.experiments.convoy import response_delays


def test_busy_threads_ran_and_the_interval_is_restored():
    before = sys.getswitchinterval()
    result = response_delays(switch_interval_s=0.002, duration_s=0.2, cpu_threads=2)
    assert sys.getswitchinterval() == before
    assert result.busy_loops > 0 and result.cpu_threads == 2
    assert result.delays and all(delay >= 0 for delay in result.delays)
    assert result.median <= result.worst


def test_the_interval_is_restored_after_an_error_in_the_arguments():
    before = sys.getswitchinterval()
    with pytest.raises(ValueError, match="switch_interval_s must be at most 0.1"):
        response_delays(switch_interval_s=1.0)
    assert sys.getswitchinterval() == before


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"switch_interval_s": 0}, "switch_interval_s must be > 0"),
        ({"switch_interval_s": 1e-6}, "at least 0.0001"),
        ({"duration_s": 60}, "duration_s must be at most 10"),
        ({"cpu_threads": -1}, "cpu_threads must be at least 0"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        response_delays(**kwargs)
