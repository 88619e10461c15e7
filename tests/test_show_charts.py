"""Charts draw what the records hold: one row per worker, one bar per chunk, one line per mode."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.collections  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from gillab.measure.chunks import split_range  # noqa: E402
from gillab.measure.runners import run_threads  # noqa: E402
from gillab.measure.workloads import count_sum  # noqa: E402
from gillab.show.charts import speedup_chart, timeline  # noqa: E402


def test_timeline_has_a_row_per_worker_and_a_bar_per_chunk():
    record = run_threads(count_sum, split_range(0, 30_000, 6), n_workers=3, n_ticks=4)
    ax = timeline(record)
    bars = [c for c in ax.collections if isinstance(c, matplotlib.collections.PolyCollection)]
    assert len(bars) == 6
    assert len(ax.get_yticks()) == record.distinct_threads == 3
    tick_marks = sum(len(line.get_xdata()) for line in ax.lines)
    assert tick_marks == 6 * 4
    plt.close(ax.figure)


def test_speedup_chart_draws_the_ideal_and_each_mode():
    rows = [
        {"mode": "threads", "workers": 1, "speedup": 1.0},
        {"mode": "threads", "workers": 2, "speedup": 0.9},
        {"mode": "processes", "workers": 2, "speedup": 1.8},
    ]
    ax = speedup_chart(rows, serial_fraction=0.1)
    labels = [line.get_label() for line in ax.lines]
    assert labels[0].startswith("ideal") and "processes" in labels and "threads" in labels
    assert any(label.startswith("Amdahl") for label in labels)
    plt.close(ax.figure)


def test_an_empty_chart_says_to_run_something_first():
    with pytest.raises(ValueError, match="run an experiment first"):
        speedup_chart([])
