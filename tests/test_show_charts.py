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


def dask_record():
    """A Dask run as run_dask records it, without a cluster: 3 chunks on 2 workers, with the stream."""
    from gillab.measure.runners import RunRecord, Span, StreamTask

    spans = [
        Span("dask", 0, 101, 11, (1, 4), 10.0, 10.5, 0.5, address="tcp://127.0.0.1:4001"),
        Span("dask", 1, 202, 22, (4, 7), 10.01, 10.6, 0.5, address="tcp://127.0.0.1:4002"),
        Span("dask", 0, 101, 11, (7, 10), 10.52, 10.9, 0.4, address="tcp://127.0.0.1:4001"),
    ]
    stream = [StreamTask(span.address, f"task-{index}", span.start - 0.001, span.end + 0.002)
              for index, span in enumerate(spans)]
    return RunRecord("dask", 2, "count_sum", [span.chunk for span in spans], 45, 0.95, 1.4, spans, 1, 1, stream)


def test_task_stream_chart_draws_each_task_twice_on_its_worker_s_row():
    from gillab.show.charts import task_stream_chart

    ax = task_stream_chart(dask_record())
    bars = [c for c in ax.collections if isinstance(c, matplotlib.collections.PolyCollection)]
    assert len(bars) == 3 + 3
    assert [label.get_text() for label in ax.get_yticklabels()] == ["worker 0 :4001", "worker 1 :4002"]
    assert ax.get_legend() is not None
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="a task stream is a Dask run's"):
        task_stream_chart(run_threads(count_sum, split_range(0, 10, 2), n_workers=2))


def test_layouts_chart_draws_a_bar_per_workload_and_layout():
    from gillab.show.charts import layouts_chart

    measured = [("count_sum", "1 worker x 2 threads", 1.0), ("count_sum", "2 workers", 1.8),
                ("hash_blocks", "1 worker x 2 threads", 1.9), ("hash_blocks", "2 workers", 1.9)]
    rows = [{"workload": work, "layout": layout, "speedup": {"median": value}} for work, layout, value in measured]
    ax = layouts_chart(rows)
    assert len(ax.patches) == 4 and [label.get_text() for label in ax.get_xticklabels()] == ["count_sum", "hash_blocks"]
    plt.close(ax.figure)
