"""The speedup lab driven as a learner would: set the sliders, press Run, read what it recorded.

Parallelism is proved by what ran where (thread and process ids in the spans), never by speed.
"""

import datetime
import html
import os
import threading

import pytest

from gillab.labs import speedup_lab
from gillab.labs import speedup_widgets as speedup_module
from gillab.labs.sizes import largest_size
from gillab.labs.speedup_charts import amdahl_fit
from gillab.machine.cpus import one_cpu_note
from gillab.machine.doctor import collect_facts
from gillab.machine.interpreter import subinterpreter_support
from gillab.measure.speedup import measure_speedups
from gillab.measure.timing import amdahl_speedup
from gillab.measure.workloads import count_sum
from gillab.show.references import SCHEMA, load_references, save_reference, speedup_points


def lines_by_label(ax):
    return {line.get_label(): list(line.get_xdata()) for line in ax.lines}


def table_column(lab, key):
    """The texts of one column of the lab's results table, newest first."""
    import re

    return re.findall(rf'<td class="gillab-col-{key}">([^<]*)</td>', lab.table.value)


def test_threads_run_on_the_requested_number_of_threads_and_show_in_table_and_chart():
    lab = speedup_lab(n=30_000, repeats=1, modes=("threads",), effective_cpus=2)
    lab.workers.value = 3
    lab.run.click()
    assert lab.message.value == "" and lab.errors == []
    row = lab.results[-1]
    assert (row["mode"], row["workers"]) == ("threads", 3)
    assert row["record"].distinct_threads == 3 and not row["record"].ran_in_caller_thread
    assert row["result"] == 30_000 * 30_001 // 2
    assert table_column(lab, "workers") == ["3"] and table_column(lab, "used") == ["3 thread(s)"]
    assert ("threads", 3) in [(r["mode"], r["workers"]) for r in lab.drawn["rows"]]
    speedup_axes = lab.figure.axes[1]
    assert 3 in lines_by_label(speedup_axes)["threads"]

    # a second press with another worker count adds to the table and the chart
    before_png = bytes(lab.chart.value)
    lab.workers.value = 2
    lab.run.click()
    assert [r["workers"] for r in lab.results] == [3, 2]
    assert lab.results[-1]["record"].distinct_threads == 2
    assert table_column(lab, "workers") == ["2", "3"] and table_column(lab, "run") == ["2", "1"]
    assert sorted(lines_by_label(lab.figure.axes[1])["threads"]) == [2, 3]
    assert bytes(lab.chart.value) != before_png
    slowdown = any(row["speedup"]["median"] < 1 for row in lab.drawn["rows"] if row["workers"] <= 2)
    if slowdown:  # Amdahl's law never predicts a slowdown: no fit is drawn
        assert (lab.drawn["fit_mode"], lab.drawn["serial_fraction"]) == (None, None)
    else:
        assert lab.drawn["fit_mode"] == "threads" and 0 <= lab.drawn["serial_fraction"] <= 1


def test_processes_run_in_the_requested_number_of_other_processes():
    # each chunk waits 0.2 s, so no worker can finish its chunk and take another one's
    lab = speedup_lab(workload="wait_units", n=400, repeats=1, modes=("processes",), effective_cpus=2, time_budget_s=30)
    lab.workers.value = 2
    lab.run.click()
    assert lab.errors == []
    row = lab.results[-1]
    assert (row["mode"], row["workers"], row["n"]) == ("processes", 2, 400)
    assert row["record"].distinct_processes == 2
    assert not row["record"].ran_in_caller_process
    assert all(span.pid != os.getpid() for span in row["record"].spans)
    assert table_column(lab, "used") == ["2 process(es)"]
    timeline_labels = [label.get_text() for label in lab.timeline_figure.axes[0].get_yticklabels()]
    assert timeline_labels == ["process 0", "process 1"]


def test_every_ticked_mode_gets_a_row_and_the_serial_baseline_runs_in_the_kernel_thread():
    lab = speedup_lab(n=20_000, repeats=1, modes=("serial", "threads", "processes"), effective_cpus=2)
    lab.workers.value = 2
    lab.run.click()
    assert [r["mode"] for r in lab.results] == ["serial", "threads", "processes"]
    serial = lab.results[0]["record"]
    assert serial.ran_in_caller_thread and serial.distinct_threads == 1
    assert {r["result"] for r in lab.results} == {20_000 * 20_001 // 2}
    assert len(lab.timeline_figure.axes) == 2  # a timeline each for threads and processes
    legend = {text.get_text() for text in lab.figure.axes[0].get_legend().get_texts()}
    assert legend >= {"serial", "threads", "processes"}


def test_while_running_the_button_is_disabled_and_the_status_says_what_runs():
    seen, holder = [], {}

    def spy(lo, hi):
        if "lab" in holder:  # not while the lab calibrates itself
            lab = holder["lab"]
            seen.append((lab.run.disabled, lab.status.value, lab.progress.value, lab.progress.max))
        return hi - lo

    lab = holder["lab"] = speedup_lab(workload="spy", workloads={"spy": spy}, n=100, repeats=2, modes=("threads",),
                                      effective_cpus=2)
    lab.run.click()
    assert seen and all(disabled for disabled, *_ in seen)
    assert any("Running threads x2" in status for _, status, _, _ in seen)
    # a warm-up and a serial run, then a warm-up and 2 pairs of (serial, threads) runs
    assert max(total for *_, total in seen) == 2 + (1 + 2 * 2)
    assert not lab.run.disabled and lab.status.value.startswith("Done")


def test_an_error_in_the_work_is_shown_in_the_lab_and_the_button_works_again():
    def broken(lo, hi):
        if threading.current_thread() is not threading.main_thread():  # fine while the lab calibrates
            raise ZeroDivisionError(f"chunk {lo}..{hi} divided by zero")
        return hi - lo

    lab = speedup_lab(
        workload="broken", workloads={"broken": broken}, n=10, repeats=1, modes=("threads",), effective_cpus=2
    )
    lab.run.click()
    assert "ZeroDivisionError: chunk" in lab.message.value and "divided by zero" in lab.message.value
    assert isinstance(lab.errors[-1], ZeroDivisionError)
    assert not lab.run.disabled and lab.results == []


def test_no_mode_ticked_says_what_to_do():
    lab = speedup_lab(n=10, repeats=1, modes=(), effective_cpus=2)
    lab.run.click()
    assert "Tick at least one mode" in lab.message.value and lab.results == []
    assert "Traceback" not in lab.message.value


def test_slider_ranges_fit_the_machine(monkeypatch):
    monkeypatch.setattr(speedup_module, "units_per_second", lambda function, **options: 1_000_000.0)
    lab = speedup_lab(repeats=3, effective_cpus=3)
    assert (lab.workers.min, lab.workers.max) == (1, 12)  # 4x the effective CPUs
    # a press may run every parallel mode this Python has: threads, processes (and subinterpreters, 3.13+)
    parallel_modes = 3 if subinterpreter_support().available else 2
    largest = largest_size(1_000_000.0, runs=2 + parallel_modes * (1 + 2 * 3), budget_s=10.0, fixed_s=1.0 + 0.15 * 12)
    assert lab.largest_n == largest and max(lab.sizes) <= largest < 1.1 * max(lab.sizes)
    with pytest.raises(Exception, match="Invalid selection"):
        lab.size.value = largest * 10  # the slider itself refuses more
    with pytest.raises(ValueError, match="more than about 10 s here"):
        speedup_lab(n=largest + 1, effective_cpus=3)
    assert speedup_lab(effective_cpus=1).workers.max == 4


def test_changing_the_workload_recalibrates_the_size_slider():
    lab = speedup_lab(n=1000, repeats=1, effective_cpus=2)
    lab.workload.value = "wait_units"  # a millisecond a unit: far fewer units fit in a press
    assert "wait_units" in lab.rates and lab.largest_n < 2000
    assert lab.n <= max(lab.sizes) <= lab.largest_n


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"workload": "gpu_sum"}, "workload must be one of"),
        ({"modes": ("gpu",)}, "modes must be among"),
        ({"repeats": 0}, "repeats must be a positive int"),
        ({"workers": 100}, "workers must be at most 8"),
        ({"workloads": {"x": 3}}, "must be a function"),
    ],
)
def test_bad_arguments_are_refused_clearly(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        speedup_lab(**{"effective_cpus": 2, **kwargs})


def test_on_one_cpu_the_lab_says_why_and_notes_when_no_references_ship(tmp_path):
    lab = speedup_lab(n=1000, repeats=1, effective_cpus=1, references_folder=tmp_path)
    assert html.escape(one_cpu_note(1)) in lab.note.value
    assert "No reference results ship" in lab.note.value
    assert lab.references == []
    lab.run.click()
    assert len(lab.figure.axes) == 2  # nothing to draw beside the learner's own results
    two_cpus = speedup_lab(n=1000, repeats=1, effective_cpus=2, references_folder=tmp_path)
    assert html.escape(one_cpu_note(1)) not in two_cpus.note.value and two_cpus.references == []


def test_on_one_cpu_saved_references_are_drawn_beside_the_learners_results(tmp_path):
    # a reference made the way gillab bench makes one: from a real (small) measurement
    rows = measure_speedups(n=40_000, configs=[("threads", 2), ("processes", 2)], repeats=2)
    section = {"n": 40_000, "serial_s": rows[0]["seconds"]}
    for row in rows[1:]:
        section.setdefault(row["mode"], []).append(
            {"workers": row["workers"], "seconds": row["seconds"], "speedup": row["speedup"]}
        )
    result = {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "machine": collect_facts(),
        "cpu_sum": section,
    }
    save_reference(result, tmp_path)
    [reference] = load_references(tmp_path)

    lab = speedup_lab(n=1000, repeats=1, modes=("threads",), effective_cpus=1, references_folder=tmp_path)
    assert "recorded on 1 other machine" in lab.note.value
    lab.run.click()
    assert len(lab.figure.axes) == 3
    drawn = dict(lab.drawn["references"])
    for mode in ("threads", "processes"):
        [label] = [label for label in drawn if label.startswith(mode)]
        assert drawn[label] == speedup_points(reference, mode)
    reference_lines = lines_by_label(lab.figure.axes[2])
    assert any(label.startswith("processes") for label in reference_lines)


def saved_reference(folder, gil_enabled):
    """A reference saved from a real small measurement, marked as made with or without the GIL."""
    rows = measure_speedups(n=20_000, configs=[("threads", 2)], repeats=1)
    machine = {**collect_facts(), "gil_enabled": gil_enabled}
    result = {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "machine": machine,
        "cpu_sum": {
            "n": 20_000,
            "threads": [{"workers": 2, "seconds": rows[1]["seconds"], "speedup": rows[1]["speedup"]}],
        },
    }
    return save_reference(result, folder, name=f"gil-{gil_enabled}.json")


def test_on_a_free_threaded_kernel_the_gil_kernels_references_are_drawn(tmp_path, monkeypatch):
    saved_reference(tmp_path, gil_enabled=True)
    saved_reference(tmp_path, gil_enabled=False)
    monkeypatch.setattr("gillab.labs.speedup_widgets.gil_enabled", lambda: False)
    lab = speedup_lab(n=1000, repeats=1, modes=("threads",), effective_cpus=2, references_folder=tmp_path)
    assert "The GIL is OFF in this kernel" in lab.note.value
    assert [reference["file"] for reference in lab.references] == ["gil-True.json"]
    lab.run.click()
    assert len(lab.figure.axes) == 3 and lab.drawn["references"]
    monkeypatch.setattr("gillab.labs.speedup_widgets.gil_enabled", lambda: True)
    assert speedup_lab(n=1000, repeats=1, effective_cpus=2, references_folder=tmp_path).references == []


def test_on_one_cpu_references_with_and_without_the_gil_are_told_apart(tmp_path):
    """Both builds' references are drawn on one CPU: the legend says which had the GIL, the line style differs."""
    saved_reference(tmp_path, gil_enabled=True)
    saved_reference(tmp_path, gil_enabled=False)
    lab = speedup_lab(n=1000, repeats=1, modes=("threads",), effective_cpus=1, references_folder=tmp_path)
    lab.run.click()
    styles = {
        line.get_label(): line.get_linestyle()
        for line in lab.figure.axes[2].lines
        if line.get_label().startswith("threads")
    }
    [with_gil] = [label for label in styles if "GIL on" in label]
    [without_gil] = [label for label in styles if "GIL off" in label]
    assert styles[with_gil] != styles[without_gil]


def test_labs_leave_no_worker_threads_behind():
    lab = speedup_lab(n=5000, repeats=1, modes=("threads",), effective_cpus=2)
    lab.workers.value = 4
    lab.run.click()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("gillab-worker")]


def test_the_amdahl_fit_uses_only_worker_counts_the_cpus_can_run_at_once():
    # with 4 workers on 2 CPUs the speedup stays at the 2-worker value: fitting it would blame the
    # work for what the machine cannot do
    rows = [
        {"mode": "processes", "workers": k, "speedup": {"median": amdahl_speedup(0.2, min(k, 2))}} for k in (1, 2, 4)
    ]
    mode, fraction = amdahl_fit(rows, effective_cpus=2)
    assert mode == "processes" and fraction == pytest.approx(0.2)
    assert amdahl_fit(rows, effective_cpus=1) == (None, None)


def test_a_slowdown_is_not_fitted_because_amdahls_law_never_predicts_one():
    threads = [{"mode": "threads", "workers": k, "speedup": {"median": s}} for k, s in ((1, 1.0), (2, 0.9))]
    assert amdahl_fit(threads, effective_cpus=2) == (None, None)
    processes = [{"mode": "processes", "workers": 2, "speedup": {"median": 1.6}}]
    mode, fraction = amdahl_fit(threads + processes, effective_cpus=2)
    assert mode == "processes" and fraction == pytest.approx(0.25)


def test_a_workload_that_fails_when_chosen_is_reported_in_the_lab():
    def fails_to_calibrate(lo, hi):
        raise MemoryError("this work needs more memory than the machine has")

    lab = speedup_lab(workloads={"count_sum": count_sum, "hungry": fails_to_calibrate}, n=1000, effective_cpus=2)
    lab.workload.value = "hungry"
    assert "MemoryError: this work needs more memory" in lab.message.value
    lab.run.click()
    assert "MemoryError: this work needs more memory" in lab.message.value and lab.results == []
    lab.workload.value = "count_sum"
    assert lab.message.value == ""


def test_the_default_size_is_the_calibrated_serial_time_not_halved_by_the_slider_stops(monkeypatch):
    monkeypatch.setattr(speedup_module, "units_per_second", lambda function, **options: 1_230_000.0)
    roomy = speedup_lab(effective_cpus=2, time_budget_s=60)
    # 0.3 s at 1.23 million units a second: 369,000, rounded to two digits (the stop below is 200,000)
    assert speedup_module.DEFAULT_SERIAL_S == 0.3 and roomy.n == 370_000 and roomy.repeats == 5
    tight = speedup_lab(effective_cpus=2, time_budget_s=10)
    # a 10 s press cannot hold it all: the default is the slider's top instead, two digits
    assert tight.largest_n < 369_000 and 0.9 * tight.largest_n <= tight.n <= tight.largest_n


def test_the_dask_mode_is_offered_only_while_a_cluster_is_connected():
    lab = speedup_lab(n=1_000, repeats=1, effective_cpus=2)
    assert "dask" not in lab.modes
    with pytest.raises(ValueError, match="no Dask cluster is connected: run `cluster = connect\\(\\)`"):
        speedup_lab(n=1_000, modes=("dask",), effective_cpus=2)


@pytest.mark.slow
def test_the_dask_mode_runs_the_chunks_in_the_cluster_s_worker_processes():
    from gillab.measure.cluster import connect

    with connect(n_workers=2) as cluster:
        workers = set(cluster.worker_processes().values())
        lab = speedup_lab(n=30_000, repeats=1, modes=("dask",), effective_cpus=2)
        lab.workers.value = 2
        lab.run.click()
        assert lab.message.value == "" and lab.errors == []
        row = lab.results[-1]
        assert (row["mode"], row["workers"], row["result"]) == ("dask", 2, 30_000 * 30_001 // 2)
        assert {span.pid for span in row["record"].spans} == workers and not row["ran_in_caller_process"]
        assert table_column(lab, "used")[0] == "2 Dask worker(s)"
        lab.workers.value = 3
        lab.run.click()
        assert "The Dask cluster has 2 worker(s), so dask can run with at most 2" in html.unescape(lab.message.value)
