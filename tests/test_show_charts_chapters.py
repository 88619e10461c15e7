"""The chapters' charts, and reference results drawn from files saved by a real measurement."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from gillab.chat.server import ChatServer  # noqa: E402
from gillab.experiments.convoy import ResponseDelays  # noqa: E402
from gillab.experiments.io_tasks import fetch_serial, fetch_threaded, ui_session  # noqa: E402
from gillab.experiments.process_costs import BreakEven  # noqa: E402
from gillab.machine.doctor import collect_facts  # noqa: E402
from gillab.measure.chunks import split_range  # noqa: E402
from gillab.measure.runners import run_threads  # noqa: E402
from gillab.measure.speedup import measure_speedups  # noqa: E402
from gillab.measure.workloads import count_sum  # noqa: E402
from gillab.show import charts  # noqa: E402
from gillab.show.references import SCHEMA, describe, save_reference  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labels(ax):
    return [line.get_label() for line in ax.lines]


def test_measured_speedup_chart_draws_the_medians_from_zero():
    rows = measure_speedups(n=20_000, configs=[("threads", 2)], repeats=2)
    ax = charts.measured_speedup_chart(rows)
    threads = next(line for line in ax.lines if line.get_label() == "threads")
    assert list(threads.get_ydata()) == [rows[1]["speedup"]["median"]]
    assert ax.get_ylim()[0] == 0


def test_amdahl_chart_has_one_curve_per_fraction_capped_by_the_law():
    ax = charts.amdahl_chart(serial_fractions=(0.0, 0.5), max_workers=8)
    assert labels(ax) == ["ideal (nothing serial)", "50% serial"]
    assert ax.lines[1].get_ydata()[-1] == pytest.approx(1 / (0.5 + 0.5 / 8))
    with pytest.raises(ValueError, match="at least 2"):
        charts.amdahl_chart(max_workers=1)


def test_timelines_stacks_one_timeline_per_record():
    records = [run_threads(count_sum, split_range(0, 10_000, 2), 2, n_ticks=3) for _ in range(3)]
    axes = charts.timelines(records, titles=["a", "b", "c"])
    assert [ax.get_title() for ax in axes] == ["a", "b", "c"]


def test_delays_chart_has_two_bars_per_experiment():
    results = [ResponseDelays(0.005, c, 0.001, (0.001, 0.002), 1) for c in (0, 1)]
    ax = charts.delays_chart(results)
    assert len(ax.patches) == 4


def test_break_even_chart_draws_the_points_and_the_line_at_one():
    ax = charts.break_even_chart(BreakEven(2, [(1000, 0.1, 1, 1), (10**6, 1.4, 1, 1)]))
    assert list(ax.lines[0].get_ydata()) == [0.1, 1.4] and ax.get_xscale() == "log"


def test_requests_and_heartbeat_charts_show_each_run():
    with ChatServer(latency=0.02) as api:
        urls = [api.url(f"/items/{i}") for i in range(3)]
        runs = [fetch_serial(urls), fetch_threaded(urls, 3)]
        ax = charts.requests_chart(runs, ["serial", "threads"])
        assert len(ax.get_yticks()) == 6
        sessions = [ui_session(lambda: fetch_serial(urls), in_background=flag) for flag in (False, True)]
    ax = charts.heartbeat_chart(sessions, ["frozen", "responsive"])
    assert len(ax.lines) == 2 and "largest gap" in ax.lines[0].get_label()
    with pytest.raises(ValueError, match="one label per run"):
        charts.heartbeat_chart(sessions, ["only one"])


def reference_from(rows, date, **machine):
    """A reference file's content built from a real measure_speedups run (what gillab bench saves)."""
    serial = rows[0]
    section = {"n": serial["n"], "serial_s": serial["seconds"], "threads": [], "processes": []}
    for row in rows[1:]:
        section[row["mode"]].append({"workers": row["workers"], "seconds": row["seconds"], "speedup": row["speedup"]})
    return {"schema": SCHEMA, "date": date, "machine": {**collect_facts(), **machine}, "cpu_sum": section}


@pytest.fixture
def reference_folder(tmp_path):
    rows = measure_speedups(n=30_000, configs=[("threads", 2), ("processes", 2)], repeats=2)
    save_reference(
        reference_from(rows, "2026-01-02T00:00:00+00:00", gil_enabled=True, free_threaded_build=False), tmp_path
    )
    save_reference(
        reference_from(
            rows, "2026-03-04T00:00:00+00:00", gil_enabled=False, free_threaded_build=True, cpu_model="Made-up FT CPU"
        ),
        tmp_path,
    )
    return tmp_path, rows


def test_show_references_draws_every_saved_reference_beside_the_learner(reference_folder, capsys):
    folder, rows = reference_folder
    shown = charts.show_references("threads", learner_rows=rows, folder=folder)
    ax = plt.gca()
    assert len(shown) == 2
    assert "this machine" in labels(ax) and "ideal" in labels(ax)
    assert all(f"threads, {describe(ref)}" in labels(ax) for ref in shown)
    drawn = next(line for line in ax.lines if line.get_label() == f"threads, {describe(shown[0])}")
    assert list(drawn.get_ydata()) == [rows[1]["speedup"]["median"]]
    assert capsys.readouterr().out == ""


def test_show_references_keeps_only_the_build_asked_for(reference_folder):
    folder, _ = reference_folder
    free_threaded = charts.show_references("processes", gil_enabled=False, folder=folder)
    assert [ref["machine"]["cpu_model"] for ref in free_threaded] == ["Made-up FT CPU"]


def test_show_references_says_so_plainly_when_there_are_none(tmp_path, capsys):
    assert charts.show_references("threads", folder=tmp_path) == []
    said = capsys.readouterr().out
    assert said.startswith("No reference results with threads in 'cpu_sum' are installed yet")
    assert plt.get_fignums() == []  # nothing drawn


def test_reference_chart_refuses_references_without_the_mode(reference_folder):
    folder, _ = reference_folder
    from gillab.show.references import load_references

    with pytest.raises(ValueError, match="has 'threads' results in 'gil_release'"):
        charts.reference_chart(load_references(folder), "threads", section="gil_release")


def test_the_ideal_line_stops_at_the_reference_machines_cpus_and_a_speedup_above_it_is_labelled(tmp_path):
    folder = tmp_path
    def once(value):
        return {"median": value, "min": value, "max": value, "repeats": 1}

    rows = [{"workers": k, "speedup": once(s)} for k, s in ((1, 1.0), (2, 2.3), (4, 2.1))]
    section = {"n": 1000, "serial_s": once(1), "processes": rows}
    machine = {**collect_facts(), "effective_cpus": 2, "gil_enabled": True}
    reference = {"schema": SCHEMA, "date": "2026-05-06T00:00:00+00:00", "machine": machine, "cpu_sum": section}
    save_reference(reference, folder)
    charts.show_references("processes", folder=folder)
    ax = plt.gca()
    ideal = next(line for line in ax.lines if line.get_label() == "ideal")
    assert list(ideal.get_xdata()) == [1, 2] and list(ideal.get_ydata()) == [1, 2]
    [above] = [line for line in ax.lines if line.get_label().startswith("above the ideal")]
    # 2.3x on 2 workers cannot be parallel work on 2 CPUs; 2.1x on 4 workers cannot either
    assert list(above.get_xdata()) == [2, 4] and list(above.get_ydata()) == [2.3, 2.1]

