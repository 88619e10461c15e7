"""measure_speedups: paired runs, right totals in every row, progress, and clear errors."""

import pytest

from gillab.measure.speedup import measure_speedups
from gillab.measure.workloads import hash_blocks


def test_rows_have_the_serial_baseline_first_and_the_same_total_everywhere():
    progress = []
    rows = measure_speedups(
        n=50_000, configs=[("threads", 3), ("processes", 2)], repeats=2, on_progress=lambda *p: progress.append(p)
    )
    assert [(row["mode"], row["workers"]) for row in rows] == [("serial", 1), ("threads", 3), ("processes", 2)]
    assert {row["result"] for row in rows} == {50_000 * 50_001 // 2}
    assert rows[1]["seconds"]["repeats"] == rows[1]["speedup"]["repeats"] == 2
    assert rows[1]["record"].distinct_threads == 3
    assert not rows[2]["record"].ran_in_caller_process
    # one warm-up each, then a serial run paired with every timed parallel run
    assert rows[0]["seconds"]["repeats"] == 1 + 2 * 2
    assert progress[-1][0] == progress[-1][1] == len(progress) - 1


def test_a_serial_only_experiment_repeats_the_serial_run():
    rows = measure_speedups(hash_blocks, n=3, configs=[("serial", 1)], repeats=3)
    assert len(rows) == 1 and rows[0]["seconds"]["repeats"] == 3
    assert rows[0]["result"] == hash_blocks(1, 4)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"configs": []}, "at least one"),
        ({"configs": [("gpu", 2)]}, "mode must be one of"),
        ({"configs": [("threads", 0)]}, "workers must be a positive int"),
        ({"configs": ["threads"]}, "a \\(mode, workers\\) pair"),
        ({"n": -1}, "n must be at least 0"),
        ({"repeats": 0}, "repeats must be a positive int"),
    ],
)
def test_bad_experiments_are_refused(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        measure_speedups(**{"n": 10, **kwargs})
