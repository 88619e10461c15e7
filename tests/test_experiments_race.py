"""The lost-update race of chapter 01: without a lock updates are always lost, with one never."""

import pytest

from gillab.experiments.race import Counter, add_one, add_one_with_pause, count_with_threads


def test_add_one_and_the_paused_update_each_add_exactly_one():
    counter = Counter(41)
    add_one(counter)
    add_one_with_pause(counter, 0.0)
    assert counter.value == 43


@pytest.mark.parametrize("attempt", range(10))
def test_without_a_lock_updates_are_lost_every_time(attempt):
    result = count_with_threads(n_threads=4, increments=50, use_lock=False)
    assert result.expected == 200
    assert 0 < result.lost < result.expected  # at least one update survived, some were lost
    assert result.final == result.expected - result.lost


@pytest.mark.parametrize("attempt", range(3))
def test_with_a_lock_no_update_is_lost(attempt):
    result = count_with_threads(n_threads=4, increments=50, use_lock=True)
    assert (result.expected, result.final, result.lost) == (200, 200, 0)


def test_one_thread_never_loses_an_update_even_without_a_lock():
    assert count_with_threads(n_threads=1, increments=30, use_lock=False).lost == 0


def test_plain_increments_are_counted_and_reported():
    result = count_with_threads(n_threads=2, increments=1000, use_lock=True, pause_s=0)
    assert result.final == 2000 and "with a lock: expected 2000, got 2000, lost 0" in str(result)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_threads": 0}, "n_threads must be a positive int"),
        ({"increments": 0}, "increments must be a positive int"),
        ({"pause_s": -1}, "pause_s must be >= 0"),
        ({"pause_s": 1.0}, "pause_s must be at most 0.01"),
        ({"use_lock": "yes"}, "use_lock must be True or False"),
        ({"n_threads": 8, "increments": 10_000, "use_lock": True}, "would take over 30 s"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        count_with_threads(**kwargs)
