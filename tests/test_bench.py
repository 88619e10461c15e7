"""``gillab bench``: a quick run writes every field in the reference schema, saves a loadable
reference, and refuses bad arguments before measuring anything. The search and goal logic is
checked on made-up measurements. No test here asserts a speed: only shapes, what ran where, and
the logic that turns numbers into verdicts.
"""

import json
import subprocess
import sys
import types
from datetime import datetime

import nbformat
import pytest

from gillab.bench import QUICK, SECTION_STATUSES, SECTIONS, break_even_search, format_table, run_benchmark
from gillab.bench.course_run import run_course
from gillab.bench.goals import GOAL_STATUSES, evaluate_goals
from gillab.bench.grading_section import measure_autograde
from gillab.machine.interpreter import gil_enabled, subinterpreter_support
from gillab.show.references import load_references, speedup_points, validate_reference


def gillab(*args, cwd, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "gillab", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )


def write_notebook(path, source):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One ``gillab bench --quick`` on a one-notebook course, saving a reference (about 30 s)."""
    folder = tmp_path_factory.mktemp("bench")
    (folder / "course").mkdir()
    # the notebook also checks that its kernel runs this Python, in the GIL state this Python is in
    write_notebook(
        folder / "course/01-sums.ipynb",
        "from gillab.measure.chunks import split_range\nassert split_range(1, 21, 4)[0] == (1, 6)\n"
        f"import sys\nassert sys.prefix == {sys.prefix!r}, sys.prefix\n"
        f"from gillab.machine.interpreter import gil_enabled\nassert gil_enabled() is {gil_enabled()!r}",
    )
    result = gillab(
        "bench",
        "--quick",
        "--out",
        "results.json",
        "--course",
        "course",
        "--save-reference",
        "refs",
        "--skip",
        "autograde",
        cwd=folder,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return folder, json.loads((folder / "results.json").read_text()), result.stdout


def summary_ok(summary, minimum_repeats=5):
    return (
        set(summary) == {"median", "min", "max", "repeats"}
        and summary["repeats"] >= minimum_repeats
        and summary["min"] <= summary["median"] <= summary["max"]
    )


def test_quick_run_is_in_the_reference_schema_with_every_section(quick_run):
    _, data, _ = quick_run
    validate_reference(data)
    datetime.fromisoformat(data["date"])
    assert data["quick"] is True and data["settings"]["name"] == "quick"
    for key in (
        "python_version",
        "build",
        "free_threaded_build",
        "gil_enabled",
        "os_cpu_count",
        "effective_cpus",
        "cpu_model",
    ):
        assert key in data["machine"]
    for name in SECTIONS:
        assert data[name]["status"] in SECTION_STATUSES, name
    assert {name: data[name]["status"] for name in SECTIONS} == {
        **{name: "ok" for name in SECTIONS},
        "subinterpreters": "ok" if subinterpreter_support().available else "not available",
        "autograde": "skipped",
    }


def test_cpu_sum_has_every_worker_count_for_threads_and_processes(quick_run):
    _, data, _ = quick_run
    k = data["machine"]["effective_cpus"]
    section = data["cpu_sum"]
    assert section["n"] == section["calibration"]["n"] > 0 and section["results_agree"] is True
    assert summary_ok(section["serial_s"])
    for mode in ("threads", "processes"):
        assert [row["workers"] for row in section[mode]] == list(range(1, 2 * k + 1))
        assert sorted(section[f"{mode}_speedup"], key=int) == [str(w) for w in range(1, 2 * k + 1)]
        for row in section[mode]:
            assert summary_ok(row["seconds"]) and summary_ok(row["speedup"])
            assert section[f"{mode}_speedup"][str(row["workers"])] == row["speedup"]
    # what ran where: every thread count was real threads; processes beyond 1 left this process
    assert [row["distinct_threads"] for row in section["threads"]] == list(range(1, 2 * k + 1))
    assert all(not row["ran_in_caller_process"] for row in section["processes"] if row["workers"] > 1)


def test_gil_release_is_threads_only_on_gil_releasing_work(quick_run):
    _, data, _ = quick_run
    section = data["gil_release"]
    assert section["workload"] == "hash_blocks" and section["holds_gil"] is False
    assert "processes" not in section
    assert [row["workers"] for row in section["threads"]] == list(range(1, 2 * data["machine"]["effective_cpus"] + 1))
    assert all(summary_ok(row["speedup"]) for row in section["threads"])


def test_subinterpreters_section_ran_in_k_interpreters_or_says_why_not(quick_run):
    _, data, stdout = quick_run
    section, support = data["subinterpreters"], subinterpreter_support()
    goal = next(goal for goal in data["goals"] if goal["name"] == "subinterpreters x2")
    if not support.available:
        assert section["reason"] == support.detail and f"subinterpreters: NOT AVAILABLE: {support.detail}" in stdout
        assert goal["status"] == "not measured" and goal["note"] == support.detail
        return
    k = data["machine"]["effective_cpus"]
    assert section["workload"] == "count_sum" and section["results_agree"] is True
    assert section["source"] == support.source
    # what ran where: each worker count was that many interpreters of the bench's own process
    assert [row["workers"] for row in section["subinterpreters"]] == list(range(1, 2 * k + 1))
    assert [row["distinct_interpreters"] for row in section["subinterpreters"]] == list(range(1, 2 * k + 1))
    assert all(row["ran_in_caller_process"] and row["distinct_processes"] == 1 for row in section["subinterpreters"])
    assert all(summary_ok(section["start_s"][way]) for way in ("threads", "subinterpreters", "processes"))
    assert section["own_gil"]["subinterpreters"]["other_ran"] is True
    assert section["own_gil"]["threads"]["other_ran"] is (not gil_enabled())
    assert "start-up of one worker: threads" in stdout and goal["status"] == "not judged"  # a quick run


def test_io_joblib_and_break_even_sections(quick_run):
    _, data, _ = quick_run
    io = data["io"]
    assert (io["requests"], io["threads"]) == (32, 32)
    assert summary_ok(io["serial_s"]) and summary_ok(io["threaded_s"]) and summary_ok(io["speedup"])
    assert 2 <= io["max_in_flight"] <= 32, "the threaded fetches never overlapped in the server"
    joblib = data["joblib_overhead"]
    assert joblib["workers"] >= 2 and summary_ok(joblib["cold_start_s"]) and summary_ok(joblib["warm_call_s"])
    even = data["break_even_n"]
    sizes = [point["n"] for point in even["points"]]
    assert sizes == [break_even_search.START_N * 2**i for i in range(len(sizes))]
    assert even["n"] is None or even["n"] in sizes
    assert all(summary_ok(point["speedup"]) for point in even["points"])


def test_dask_section_ran_on_two_worker_processes_beside_joblib_in_the_same_run(quick_run):
    _, data, stdout = quick_run
    section = data["dask"]
    assert section["workers"] == 2 and section["n"] == section["calibration"]["n"] > 0 and section["results_agree"]
    (dask,), (processes,) = section["dask"], section["processes"]
    assert dask["distinct_processes"] == 2, "2 chunks on 2 idle one-thread workers: one each"
    assert not dask["ran_in_caller_process"] and not processes["ran_in_caller_process"]
    assert summary_ok(dask["speedup"]) and summary_ok(processes["speedup"]) and summary_ok(section["serial_s"])
    assert summary_ok(section["per_task_s"]) and summary_ok(section["round_trip_s"], minimum_repeats=10)
    assert summary_ok(section["dask_over_processes"]) and "joblib's time over Dask's, round by round" in stdout
    assert section["others_cpu_cores"] is None or section["others_cpu_cores"] >= 0
    assert "2 Dask workers: speedup" in stdout and "per task," in stdout


def test_course_run_executed_the_course_folder_it_was_given(quick_run):
    folder, data, _ = quick_run
    course = data["course_run_s"]
    assert course["notebooks"] == 1 and course["status"] == "ok"
    assert [entry["name"] for entry in course["per_notebook"]] == ["01-sums.ipynb"]
    assert course["seconds"] == course["per_notebook"][0]["seconds"] > 0
    assert course["folder"] == str((folder / "course").resolve())


def test_table_shows_every_section_and_goal(quick_run):
    _, data, stdout = quick_run
    for name in SECTIONS:
        assert f"{name}" in stdout
    assert "Quick run" in stdout and "Goals" in stdout
    for goal in data["goals"]:
        assert goal["status"] in GOAL_STATUSES
        assert goal["name"] in stdout
    assert [goal["name"] for goal in data["goals"]][1] == "subinterpreters x2"
    assert [goal["name"] for goal in data["goals"]][3:] == [
        "io",
        "joblib warm call",
        "course_run_s",
        "dask x2",
        "autograde speedup",
        "autograde sandbox+checks",
    ]


def test_save_reference_writes_a_loadable_reference(quick_run):
    folder, data, stdout = quick_run
    references = load_references(folder / "refs")
    assert len(references) == 1
    reference = references[0]
    assert (
        reference["date"] == data["date"]
        and reference["machine"]["python_version"] == data["machine"]["python_version"]
    )
    assert reference["file"] in stdout
    assert speedup_points(reference, "processes") == [
        (row["workers"], row["speedup"]["median"]) for row in data["cpu_sum"]["processes"]
    ]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--out", "."], "is a folder"),
        (["--out", "missing/results.json"], "the folder missing does not exist"),
        (
            ["--skip", "cpu_sum,nonsense"],
            "unknown section nonsense; the sections are cpu_sum, subinterpreters, gil_release",
        ),
        (["--course", "no-such-course"], "--course no-such-course: no such folder"),
        (["--save-reference", "a-file.txt"], "is a file, not a folder"),
        (["--quick", "--save-reference"], "--quick results are too small to ship"),
        (["--repeat", "3"], "unrecognized arguments: --repeat 3"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(tmp_path, arguments, message):
    (tmp_path / "a-file.txt").write_text("not a folder")
    result = gillab("bench", *arguments, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "[cpu_sum]" not in result.stderr and not (tmp_path / "bench-results.json").exists()


def test_a_failing_section_is_recorded_and_the_others_still_run(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the server caught fire")

    monkeypatch.setattr("gillab.bench.run.measure_io", broken)
    monkeypatch.setattr(
        "gillab.bench.run.measure_autograde",
        lambda quick, on_progress=None: {"status": "not available", "reason": "test"},
    )
    skip = [name for name in SECTIONS if name not in ("io", "autograde")]
    result = run_benchmark(QUICK, skip=skip)
    assert result["io"]["status"] == "failed" and result["io"]["reason"] == "RuntimeError: the server caught fire"
    assert result["autograde"] == {
        "status": "not available",
        "reason": "test",
        "elapsed_s": result["autograde"]["elapsed_s"],
    }
    assert result["cpu_sum"]["status"] == "skipped"
    io_goal = next(goal for goal in result["goals"] if goal["name"] == "io")
    assert io_goal["status"] == "not measured" and "caught fire" in io_goal["note"]
    assert "io: FAILED: RuntimeError: the server caught fire" in format_table(result)


def test_unknown_sections_cannot_be_skipped():
    with pytest.raises(ValueError, match="unknown section"):
        run_benchmark(QUICK, skip=["cpu"])


def test_course_run_records_a_failing_notebook_and_runs_the_next(tmp_path):
    write_notebook(tmp_path / "01-broken.ipynb", "raise ValueError('chapter one is broken')")
    write_notebook(tmp_path / "02-fine.ipynb", "open('written-by-the-notebook.txt', 'w').write('x')")
    section = run_course(tmp_path)
    assert section["status"] == "failed" and section["notebooks"] == 2
    broken, fine = section["per_notebook"]
    assert broken["status"] == "failed" and "chapter one is broken" in broken["error"]
    assert fine["status"] == "ok" and "error" not in fine
    assert section["seconds"] == broken["seconds"] + fine["seconds"]
    assert not (tmp_path / "written-by-the-notebook.txt").exists(), "notebooks must run in a copy of the folder"


def test_course_run_reports_no_notebooks_honestly(tmp_path):
    section = run_course(tmp_path)
    assert (section["status"], section["notebooks"], section["seconds"]) == ("no notebooks", 0, 0.0)
    assert "no notebooks" in section["reason"]


def test_autograde_calls_the_grading_benchmark_when_it_is_there(monkeypatch):
    calls = []

    def autograde_benchmark(assignment, submissions, quick, on_progress):
        calls.append((assignment, submissions, quick))
        on_progress(0, 15, "repeat 1/5")
        return {"speedup_vs_nbgrader": {"median": 1.7, "min": 1.6, "max": 1.8, "repeats": 5}, "sandbox_overhead": 0.12}

    monkeypatch.setitem(
        sys.modules, "gillab.grading.benchmark", types.SimpleNamespace(autograde_benchmark=autograde_benchmark)
    )
    progress = []
    section = measure_autograde(quick=False, on_progress=lambda *step: progress.append(step))
    assert calls == [("ps1_parallel_sum", 40, False)]
    assert progress == [(0, 15, "repeat 1/5")]
    assert section["status"] == "ok" and section["result"]["sandbox_overhead"] == 0.12
    goals = {goal["name"]: goal for goal in evaluate_goals({"machine": {"effective_cpus": 2}, "autograde": section})}
    assert goals["autograde speedup"]["status"] == "met"
    assert goals["autograde sandbox+checks"]["status"] == "missed"


def test_the_table_shows_the_grading_benchmark_in_its_units():
    """Speedup as x, the sandbox's cost as a percent (it was once printed as milliseconds), seconds per way."""
    summary = {"median": 0.0084, "min": -0.0436, "max": 0.0547, "repeats": 5}
    seconds = {"median": 91.06, "min": 88.5, "max": 92.61, "repeats": 5}
    section = {
        "status": "ok",
        "assignment": "ps1_parallel_sum",
        "submissions": 40,
        "quick": False,
        "result": {
            "speedup_vs_nbgrader": {"median": 1.44, "min": 1.42, "max": 1.52, "repeats": 5},
            "sandbox_overhead": summary,
            "seconds": {"nbgrader": seconds},
        },
    }
    machine = {
        "python_version": "3.11.7",
        "build": "standard (with GIL)",
        "gil_enabled": True,
        "os_cpu_count": 2,
        "effective_cpus": 2,
        "cpu_model": "test",
    }
    result = {
        "settings": {"name": "full"},
        "date": "2026-11-25T12:00:00",
        "duration_s": 1.0,
        "machine": machine,
        "autograde": section,
        "goals": [],
    }
    table = format_table(result)
    assert "speedup_vs_nbgrader: 1.44x (1.42-1.52, 5 runs)" in table
    assert "sandbox_overhead: 0.8% (-4.4% to 5.5%, 5 runs)" in table
    assert "seconds, nbgrader: 91.06 s (88.50-92.61 s, 5 runs)" in table


def test_quick_run_on_a_free_threaded_python_records_it_and_runs_the_course_on_it(free_threaded, quick_run):
    """`make test-ft`: the same JSON, from the free-threaded interpreter with the GIL off; the course's
    notebook ran in a kernel of that interpreter (it checks its own sys.prefix and GIL)."""
    _, data, _ = quick_run
    validate_reference(data)
    assert data["machine"]["free_threaded_build"] is True and data["machine"]["gil_enabled"] is False
    assert data["machine"]["build"] == "free-threaded" and data["machine"]["python_version"] == sys.version.split()[0]
    assert data["course_run_s"]["status"] == "ok" and data["cpu_sum"]["status"] == "ok"
    assert set(data["cpu_sum"]) >= {"threads", "processes", "serial_s"}


@pytest.mark.parametrize("free_threaded_python", [True, False])
def test_autograde_without_nbgrader(monkeypatch, free_threaded_python):
    """The free-threaded venv cannot install nbgrader (Python 3.13): the section is not available, saying
    why; in a standard venv nbgrader is pinned, so its absence is a failure."""

    def needs_nbgrader(assignment, submissions, quick, on_progress=None):
        raise ModuleNotFoundError("No module named 'nbgrader'", name="nbgrader")

    monkeypatch.setitem(
        sys.modules, "gillab.grading.benchmark", types.SimpleNamespace(autograde_benchmark=needs_nbgrader)
    )
    monkeypatch.setattr("gillab.bench.grading_section.free_threaded_build", lambda: free_threaded_python)
    if free_threaded_python:
        section = measure_autograde(quick=True)
        assert section["status"] == "not available"
        assert (
            "nbgrader is not installed in this free-threaded Python" in section["reason"]
            and ".venv" in section["reason"]
        )
    else:
        with pytest.raises(ModuleNotFoundError, match="nbgrader"):
            measure_autograde(quick=True)


def test_autograde_without_the_grading_pipeline_says_why(monkeypatch):
    monkeypatch.setitem(sys.modules, "gillab.grading", None)  # None in sys.modules: "not installed"
    monkeypatch.delitem(sys.modules, "gillab.grading.benchmark", raising=False)
    section = measure_autograde(quick=True)
    assert section["status"] == "not available"
    assert "gillab.grading.benchmark is not installed" in section["reason"]


@pytest.mark.parametrize(
    "processes_x2, status",
    [(1.70, "met"), (1.69, "missed")],
)
def test_process_goal_is_085_of_the_ideal_at_the_effective_cpus(processes_x2, status):
    row = {"workers": 2, "speedup": {"median": processes_x2}}
    result = {
        "machine": {"effective_cpus": 2},
        "cpu_sum": {"status": "ok", "processes": [{"workers": 1, "speedup": {"median": 1.0}}, row]},
    }
    goal = evaluate_goals(result)[0]
    assert (goal["name"], goal["measured"], goal["status"]) == ("cpu_sum processes x2", processes_x2, status)


@pytest.mark.parametrize(
    "speedup, others, cpus, status, note",
    [
        (1.60, 0.05, 2, "met", "other programs used 0.05 CPUs meanwhile"),
        (1.59, 0.05, 2, "missed", "other programs used 0.05 CPUs meanwhile"),
        (1.20, 0.80, 2, "not judged", "kept 0.80 CPUs busy meanwhile"),
        (0.95, 0.00, 1, "not judged", "the goal is for 2 idle cores; this machine has 1"),
    ],
)
def test_dask_goal_is_judged_only_on_two_idle_cores(speedup, others, cpus, status, note):
    section = {"status": "ok", "dask": [{"workers": 2, "speedup": {"median": speedup}}], "others_cpu_cores": others}
    goals = {goal["name"]: goal for goal in evaluate_goals({"machine": {"effective_cpus": cpus}, "dask": section})}
    goal = goals["dask x2"]
    assert (goal["measured"], goal["status"]) == (speedup, status) and note in goal["note"]


def test_dask_goal_without_the_section_is_not_measured_with_the_reason():
    result = {"machine": {"effective_cpus": 2}, "dask": {"status": "not available", "reason": "no distributed"}}
    goal = next(goal for goal in evaluate_goals(result) if goal["name"] == "dask x2")
    assert (goal["status"], goal["note"]) == ("not measured", "no distributed")


def test_goals_of_a_one_cpu_machine_and_of_missing_sections():
    goals = {goal["name"]: goal for goal in evaluate_goals({"machine": {"effective_cpus": 1}})}
    assert goals["cpu_sum processes x1"]["status"] == "not measured"
    assert goals["cpu_sum processes x1"]["note"] == "cpu_sum was not run"
    assert goals["gil_release threads x1"]["goal"].startswith(">= 0.80x")
    assert all(goal["status"] == "not measured" for goal in goals.values())


@pytest.mark.parametrize(
    "speedups, expected_n, bracket",
    [
        ([0.2, 0.6, 1.1, 1.3], 4096 * 4, [4096 * 2, 4096 * 4]),
        ([0.2, 1.05, 0.9, 1.2, 1.4], 4096 * 8, [4096 * 4, 4096 * 8]),  # a lucky win earlier does not count
        ([1.2, 1.3], 4096, [None, 4096]),
    ],
)
def test_break_even_is_the_first_size_from_which_processes_always_win(monkeypatch, speedups, expected_n, bracket):
    measured = iter(speedups)

    def fake_measure_speedups(function, n, configs, repeats, warmup):
        timing = {"median": 0.001, "min": 0.001, "max": 0.001, "repeats": repeats}
        return [{"seconds": timing}, {"seconds": timing, "speedup": {**timing, "median": next(measured)}}]

    monkeypatch.setattr(break_even_search, "measure_speedups", fake_measure_speedups)
    section = break_even_search.find_break_even(workers=2, max_serial_s=10.0, repeats=5)
    assert (section["n"], section["bracket"]) == (expected_n, bracket)
    assert len(section["points"]) == len(speedups)


def test_break_even_that_is_never_reached_says_so(monkeypatch):
    def fake_measure_speedups(function, n, configs, repeats, warmup):
        timing = {"median": n * 1e-7, "min": n * 1e-7, "max": n * 1e-7, "repeats": repeats}
        return [{"seconds": timing}, {"seconds": timing, "speedup": {**timing, "median": 0.5}}]

    monkeypatch.setattr(break_even_search, "measure_speedups", fake_measure_speedups)
    section = break_even_search.find_break_even(workers=2, max_serial_s=0.01, repeats=5)
    assert section["n"] is None and section["bracket"] is None
    assert section["points"][-1]["serial_s"]["median"] * 2 > 0.01
    from gillab.bench.table import _break_even

    assert "not reached up to a serial run of 10.0 ms" in _break_even(section)[0]
