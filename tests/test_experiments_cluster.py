"""Chapter 07's experiments on a real local cluster (worker processes of this machine): the costs, the
chunk sweep, the layouts of the GIL experiment and the recorded multi-worker result.

Structure and what ran where are checked, never a speed.
"""

from __future__ import annotations

import json

import matplotlib
import pytest

from gillab.experiments import cluster_costs, cluster_sum, worker_gil
from gillab.measure.cluster import connect
from gillab.measure.runners import RunRecord
from gillab.show import charts

matplotlib.use("Agg")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local():
    with connect(n_workers=2) as connection:
        yield connection


def test_costs_time_real_tasks_on_every_worker(local):
    costs = cluster_costs.task_costs(local.client, round_trips=3, tasks=20, repeats=2)
    assert costs.round_trip.result in local.worker_processes().values()
    assert costs.per_task.result == 2, "20 empty tasks at once should reach both workers"
    assert len(costs.round_trip.samples) == 3 and "per task, 20 tasks submitted at once" in str(costs)


def test_data_costs_send_the_bytes_and_reuse_the_scattered_copy(local):
    (cost,) = cluster_costs.data_costs(local.client, [100_000], repeats=2)
    assert cost.size_bytes == 100_000 and cost.argument.result == cost.reuse.result == 100_000
    assert len(cost.scatter.samples) == 2
    assert "0.1 MB" in cluster_costs.data_costs_table([cost])


def test_the_sweep_sums_right_at_every_chunking_and_one_chunk_keeps_one_worker_busy(local):
    points = cluster_costs.chunk_sweep(local.client, n=100_000, chunk_counts=(1, 2, 64), repeats=2)
    assert [(point.chunks, point.result) for point in points] == [(1, 5_000_050_000), (2, 5_000_050_000),
                                                                  (64, 5_000_050_000)]
    assert points[0].workers_used == 1 and points[2].workers_used == 2
    assert all(point.speedup["repeats"] == 2 for point in points)
    assert "64" in cluster_costs.sweep_table(points, 100_000)
    assert len(charts.chunk_sweep_chart(points).lines) >= 2


def test_the_sweep_refuses_what_it_cannot_run(local):
    with pytest.raises(ValueError, match="at least one number of chunks"):
        cluster_costs.chunk_sweep(local.client, n=10, chunk_counts=())


def test_one_worker_s_two_threads_share_a_process_and_two_workers_do_not():
    rows = worker_gil.threads_or_workers({"count_sum": 2_000_000, "hash_blocks": 16}, repeats=1)
    assert [(row.workload, row.layout) for row in rows] == [
        ("count_sum", "1 worker x 2 threads"), ("count_sum", "2 workers x 1 thread"),
        ("hash_blocks", "1 worker x 2 threads"), ("hash_blocks", "2 workers x 1 thread"),
    ]
    assert [row.record.distinct_processes for row in rows] == [1, 2, 1, 2]
    assert rows[0].record.result == rows[1].record.result == 2_000_000 * 2_000_001 // 2
    assert rows[0].holds_gil and not rows[2].holds_gil
    assert "1 process(es)" in worker_gil.layouts_table(rows)
    with pytest.raises(ValueError, match="unknown workload"):
        worker_gil.threads_or_workers({"nonsense": 10})


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask-references")
    record = cluster_sum.record_cluster_sum(target_s=0.05, repeats=1, tasks=20)
    return folder, record, cluster_sum.save_cluster_record(record, folder)


def test_a_recorded_result_holds_the_machine_the_sum_the_timeline_and_the_layouts(recorded):
    _, record, path = recorded
    assert path.name.endswith(("-gil.json", "-ft.json")) and json.loads(path.read_text())["schema"] == "gillab-dask/1"
    section = record["sum"]
    assert section["results_agree"] and section["dask"][0]["distinct_processes"] == 2
    # (a joblib worker that is ready first may take both tiny chunks: only where they ran is checked)
    assert not section["processes"][0]["ran_in_caller_process"] and not section["dask"][0]["ran_in_caller_process"]
    assert section["per_task_s"]["median"] > 0 and {row["distinct_processes"] for row in record["layouts"]} == {1, 2}
    # the cluster and joblib were compared round by round, and the summary says how
    assert section["dask_over_processes"]["repeats"] == 1 == section["dask"][0]["speedup"]["repeats"]
    compared = cluster_sum.compare_with_joblib(record)
    assert "round by round" in compared and "of the 1 rounds" in compared
    assert section["others_cpu_cores"] is None or section["others_cpu_cores"] >= 0


def test_a_recorded_result_loads_back_and_draws_as_a_timeline(recorded, tmp_path):
    folder, record, _ = recorded
    (folder / "broken.json").write_text("{")
    (loaded,) = cluster_sum.load_cluster_records(folder)
    timeline = cluster_sum.timeline_record(loaded)
    assert isinstance(timeline, RunRecord) and timeline.result == record["timeline"]["result"]
    assert timeline.distinct_processes == 2 and len(charts.timeline(timeline).get_yticklabels()) == 2
    gil = record["machine"]["gil_enabled"]
    assert cluster_sum.load_cluster_records(folder, gil_enabled=not gil) == []
    assert "2 Dask workers" in cluster_sum.recorded_summary(loaded)


def test_with_no_recorded_result_the_chapter_says_so(tmp_path, capsys):
    assert cluster_sum.show_recorded(folder=tmp_path) == []
    assert "No recorded cluster results are installed" in capsys.readouterr().out
