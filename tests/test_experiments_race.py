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


# --- recorded races (chapter 06 shows them on a kernel that cannot make them) ----------------------
def test_a_recorded_race_holds_each_trial_and_the_interpreter_and_round_trips_through_a_file(tmp_path):
    from gillab.experiments.race import describe_race_record, record_race, recorded_races, save_race_record
    from gillab.machine.interpreter import gil_enabled

    record = record_race(trials=3, n_threads=2, increments=2_000)
    assert record["expected"] == 4_000 and len(record["lost"]) == 3
    assert all(0 <= lost <= 4_000 for lost in record["lost"]) and record["machine"]["gil_enabled"] == gil_enabled()
    path = save_race_record(record, tmp_path)
    (tmp_path / "broken.json").write_text("{not json")
    assert recorded_races(tmp_path) == [{**record, "file": path.name}] and path.suffix == ".json"
    line = describe_race_record(record)
    assert f"GIL {'ON' if gil_enabled() else 'OFF'}" in line and "in 3 trials" in line


def test_the_shipped_recordings_show_the_race_with_and_without_the_gil():
    from gillab.experiments.race import recorded_races

    records = recorded_races()
    builds = {record["machine"]["gil_enabled"]: record for record in records}
    assert set(builds) == {True, False}, "record both builds with scripts/record_race.py"
    # the point chapter 06 makes from them: without the GIL the plain += loses updates in every trial
    assert all(lost > 0 for lost in builds[False]["lost"])


def test_saving_something_that_is_not_a_recorded_race_says_so(tmp_path):
    from gillab.experiments.race import save_race_record

    with pytest.raises(ValueError, match="not a recorded race"):
        save_race_record({"schema": "gillab-bench/1"}, tmp_path)
