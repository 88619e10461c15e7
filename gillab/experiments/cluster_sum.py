"""The course's sum on a Dask cluster against one loop and against joblib's worker processes, measured
side by side (chapter 07, and the ``dask`` section of ``gillab bench``); and that result recorded on
a multi-core machine, for learners with one CPU.

:func:`measure_cluster_sum` runs on the cluster of :func:`gillab.measure.cluster.current`: every run
on the cluster and every run on joblib's processes is paired with a serial run made just before it
(:func:`gillab.measure.speedup.measure_speedups`), so each speedup is a ratio of two runs moments
apart; it also measures the cluster's cost per task and how much CPU other programs used meanwhile
(a speedup needs idle cores, and the count of CPUs cannot see other programs).

:func:`record_cluster_sum` adds a timeline of the sum on the cluster and
:func:`gillab.experiments.worker_gil.threads_or_workers`' table, and :func:`save_cluster_record` writes
it to ``gillab/references/dask/`` (``scripts/record_dask.py`` does both; never typed in). Its format
(``"schema": "gillab-dask/1"``)::

    {"schema": "gillab-dask/1", "date": "...", "machine": {...gillab doctor's facts...},
     "sum": {...what measure_cluster_sum returns...},
     "timeline": {"workers": 2, "wall_s": 1.1, "spans": [{"worker": 0, "pid": ..., "start": ..., ...}, ...]},
     "layouts": [{"workload": "count_sum", "layout": "1 worker x 2 threads", "n": ..., "speedup": {...},
                  "distinct_processes": 1, "distinct_threads": 2}, ...],
     "layouts_others_cpu_cores": 0.05}

>>> from gillab.measure.cluster import connect
>>> with connect(n_workers=2):
...     section = measure_cluster_sum(n=100_000, repeats=1, tasks=10, with_processes=False)
>>> section["results_agree"], section["dask"][0]["distinct_processes"]
(True, 2)
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from .._validate import require_int
from ..machine.procfs import busy_cpu_seconds, tree_cpu_seconds
from ..measure.chunks import split_range
from ..measure.cluster import require_current
from ..measure.runners import RunRecord, Span, run_dask, run_processes, run_serial
from ..measure.timing import Timing
from ..measure.workloads import count_sum
from ..show.references import REFERENCE_FOLDER, read_recordings
from .cluster_costs import per_task_cost, round_trip

__all__ = [
    "SCHEMA", "CLUSTER_FOLDER", "OthersCpu", "measure_cluster_sum", "record_cluster_sum", "save_cluster_record",
    "load_cluster_records", "timeline_record", "describe_cluster_record", "recorded_summary", "show_recorded",
    "compare_with_joblib",
]

SCHEMA = "gillab-dask/1"
#: Where the recorded multi-worker results ship.
CLUSTER_FOLDER = REFERENCE_FOLDER / "dask"


class OthersCpu:
    """A ``with`` block that measures how many CPUs other programs kept busy meanwhile: the
    machine's busy CPU time (``/proc/stat``) minus this process's and its children's, per second
    of the block. ``cores`` is None where ``/proc`` cannot be read."""

    def __enter__(self):
        self._busy, self._ours, self._start = busy_cpu_seconds(), tree_cpu_seconds(os.getpid()), time.monotonic()
        self.cores = None
        return self

    def __exit__(self, *exc) -> None:
        busy, ours = busy_cpu_seconds(), tree_cpu_seconds(os.getpid())
        elapsed = time.monotonic() - self._start
        if busy is not None and self._busy is not None and elapsed > 0:
            self.cores = max(0.0, ((busy - self._busy) - (ours - self._ours)) / elapsed)


def _row(mode_records, workers, seconds, ratios) -> list[dict]:
    record = mode_records[-1]
    return [{
        "workers": workers,
        "seconds": Timing(tuple(seconds)).summary(),
        "speedup": Timing(tuple(ratios)).summary(),
        "distinct_threads": record.distinct_threads,
        "distinct_processes": record.distinct_processes,
        "ran_in_caller_process": record.ran_in_caller_process,
    }]


def measure_cluster_sum(n: int, workers: int = 2, repeats: int = 5, tasks: int = 200, with_processes: bool = True,
                        on_progress=None) -> dict:
    """The sum of ``1..n`` in ``workers`` chunks on ``workers`` of the current cluster's workers, and
    (``with_processes``) on as many joblib processes; then the cluster's cost per task (``tasks``
    empty tasks at once) and per round trip, in seconds.

    Each of the ``repeats`` rounds runs serial, the cluster, serial, joblib (the order rotating from
    round to round): every parallel run is paired with the serial run just before it, and the
    cluster and joblib are compared within each round (``dask_over_processes``: joblib's seconds
    over the cluster's, above 1 when the cluster was faster), never across moments.

    Returns ``{"n", "workers", "serial_s", "dask": [row], "processes": [row], "dask_over_processes"
    (and its ``_rounds``), "per_task_s", "round_trip_s", "others_cpu_cores", "results_agree"}``, rows as
    :mod:`gillab.bench.scaling`'s (the reference schema's ``speedup_points`` reads them).
    """
    n = require_int("n", n, minimum=1)
    workers = require_int("workers", workers, minimum=1, maximum=64)
    repeats = require_int("repeats", repeats, minimum=1, maximum=100)
    client = require_current().client
    chunks = split_range(1, n + 1, workers)
    runners = {"dask": lambda: run_dask(count_sum, chunks, workers, client=client)}
    if with_processes:
        runners["processes"] = lambda: run_processes(count_sum, chunks, workers)
    for run in runners.values():  # untimed: workers start and import the course's code
        run()
    serial_s, results = [], set()
    seconds = {mode: [] for mode in runners}
    ratios = {mode: [] for mode in runners}
    records = {mode: [] for mode in runners}
    with OthersCpu() as others:
        for round_number in range(repeats):
            if on_progress is not None:
                on_progress(round_number, repeats, f"round {round_number + 1}: serial and {' and '.join(runners)}")
            order = list(runners)
            order = order[round_number % len(order):] + order[:round_number % len(order)]
            for mode in order:
                serial = run_serial(count_sum, chunks)
                record = runners[mode]()
                serial_s.append(serial.wall_s)
                seconds[mode].append(record.wall_s)
                ratios[mode].append(serial.wall_s / record.wall_s)
                records[mode].append(record)
                results |= {serial.result, record.result}
    section = {
        "n": n,
        "workers": workers,
        "serial_s": Timing(tuple(serial_s)).summary(),
        "others_cpu_cores": others.cores,
        "results_agree": len(results) == 1,
    }
    for mode in runners:
        section[mode] = _row(records[mode], workers, seconds[mode], ratios[mode])
    if with_processes:
        rounds = [joblib / dask for joblib, dask in zip(seconds["processes"], seconds["dask"], strict=True)]
        section["dask_over_processes"] = Timing(tuple(rounds)).summary()
        section["dask_over_processes_rounds"] = rounds
    if on_progress is not None:
        on_progress(repeats, None, f"cost per task ({tasks} empty tasks at once) and per round trip")
    section["per_task_s"] = per_task_cost(client, tasks=tasks, repeats=repeats).summary()
    section["round_trip_s"] = round_trip(client, repeats=max(repeats, 10)).summary()
    return section


def compare_with_joblib(record: dict) -> str:
    """What a recorded (or measured) sum says about the cluster against joblib's processes, in words:
    the medians, and whether they lie within each other's range of the same rounds."""
    from ..show.text import format_summary

    section = record.get("sum", record)
    if "processes" not in section or "dask_over_processes" not in section:
        return "This result has no joblib run measured beside the cluster's."
    dask, joblib = section["dask"][0]["speedup"], section["processes"][0]["speedup"]
    ratio = section["dask_over_processes"]
    line = (f"2 Dask workers {format_summary(dask, 'x', runs=False)} and 2 joblib processes "
            f"{format_summary(joblib, 'x', runs=False)} over serial; round by round, the cluster took "
            f"{1 / ratio['median']:.2f} times joblib's time (from {1 / ratio['max']:.2f} to {1 / ratio['min']:.2f}). ")
    rounds = section.get("dask_over_processes_rounds")
    if rounds:
        slower = sum(ratio < 1 for ratio in rounds)
        return line + f"The cluster was the slower of the two in {slower} of the {len(rounds)} rounds."
    if ratio["min"] <= 1 <= ratio["max"]:
        return line + "Some rounds went each way."
    return line + f"The cluster was the {'faster' if ratio['min'] > 1 else 'slower'} in every round."


def _span_data(span: Span) -> dict:
    data = dict(span.__dict__)
    data["chunk"], data["ticks"], data["tick_cpu_s"] = list(span.chunk), list(span.ticks), list(span.tick_cpu_s)
    return data


def record_cluster_sum(target_s: float = 2.0, repeats: int = 5, tasks: int = 200) -> dict:
    """Everything a reference holds, measured now on a new local cluster of 2 workers: the sum at a
    size where the serial loop takes about ``target_s`` (and the cost per task, of ``tasks`` at once),
    a timeline of it on the cluster, and the 1x2/2x1 layouts on the pure-Python sum and on hashing."""
    from ..machine.doctor import collect_facts
    from ..measure.calibrate import size_for_seconds
    from ..measure.cluster import connect
    from ..measure.workloads import hash_blocks
    from .worker_gil import threads_or_workers

    n = size_for_seconds(count_sum, target_s)["n"]
    with connect(n_workers=2) as cluster:
        section = measure_cluster_sum(n, 2, repeats, tasks=tasks)
        record = run_dask(count_sum, split_range(1, n + 1, 2), 2, n_ticks=40, client=cluster.client)
    blocks = size_for_seconds(hash_blocks, target_s / 2)["n"]
    with OthersCpu() as others:
        layouts = threads_or_workers({"count_sum": n // 2, "hash_blocks": blocks}, repeats=repeats)
    return {
        "schema": SCHEMA,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": collect_facts(),
        "sum": section,
        "timeline": {"workers": record.workers, "wall_s": record.wall_s, "result": record.result,
                     "spans": [_span_data(span) for span in record.spans]},
        "layouts_others_cpu_cores": others.cores,
        "layouts": [
            {"workload": row.workload, "layout": row.layout, "n": row.n, "speedup": row.speedup,
             "holds_gil": row.holds_gil, "distinct_processes": row.record.distinct_processes,
             "distinct_threads": row.record.distinct_threads}
            for row in layouts
        ],
    }


def save_cluster_record(record: dict, folder=None) -> Path:
    """Write ``record`` as ``<date>-<cpus>cpu-py<version>-<gil|ft>.json`` in ``folder`` (default
    :data:`CLUSTER_FOLDER`); return the path."""
    if record.get("schema") != SCHEMA:
        raise ValueError(f"not a recorded cluster result (expected schema {SCHEMA!r})")
    folder = Path(folder) if folder is not None else CLUSTER_FOLDER
    machine = record["machine"]
    build = "ft" if machine.get("free_threaded_build") else "gil"
    name = f"{record['date'][:10]}-{machine['effective_cpus']}cpu-py{machine['python_version']}-{build}.json"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def load_cluster_records(folder=None, gil_enabled: bool | None = None) -> list[dict]:
    """The recorded cluster results in ``folder`` (default: the shipped ones), oldest first; with
    ``gil_enabled`` only those recorded with the GIL on (True) or off (False). Broken files are
    skipped: a chapter must still run."""
    def keep(data: dict) -> bool:
        if not isinstance(data.get("machine"), dict) or "timeline" not in data:
            return False
        return gil_enabled is None or bool(data["machine"].get("gil_enabled")) == gil_enabled

    return read_recordings(folder if folder is not None else CLUSTER_FOLDER, SCHEMA, keep)


def timeline_record(record: dict) -> RunRecord:
    """The recorded timeline as a :class:`~gillab.measure.runners.RunRecord` the course's charts draw."""
    timeline = record["timeline"]
    spans = [
        Span(**{**span, "chunk": tuple(span["chunk"]), "ticks": tuple(span["ticks"]),
                "tick_cpu_s": tuple(span["tick_cpu_s"])})
        for span in timeline["spans"]
    ]
    return RunRecord("dask", timeline["workers"], "count_sum", [span.chunk for span in spans], timeline["result"],
                     timeline["wall_s"], sum(span.cpu_s for span in spans), spans)


def describe_cluster_record(record: dict) -> str:
    """One line naming where and when ``record`` was made."""
    machine = record["machine"]
    gil = "GIL on" if machine["gil_enabled"] else "GIL off"
    return (f"{machine['cpu_model']}, {machine['effective_cpus']} effective CPUs, Python {machine['python_version']} "
            f"({gil}), {record['date'][:10]}")


def recorded_summary(record: dict) -> str:
    """What a recorded result measured, in a few lines: where, the sum on 2 Dask workers and on 2
    joblib processes in the same run, how busy the machine was, the cost per task."""
    from ..show.text import format_summary

    section = record["sum"]
    lines = [f"Recorded on {describe_cluster_record(record)}:",
             f"  sum of 1..{section['n']:,}, serial {format_summary(section['serial_s'], 's')}"]
    for mode, name in (("dask", "Dask workers"), ("processes", "joblib processes, in the same run")):
        for row in section.get(mode, []):
            lines.append(f"  {row['workers']} {name}: {format_summary(row['speedup'], 'x')}")
    if section.get("others_cpu_cores") is not None:
        lines.append(f"  other programs kept {section['others_cpu_cores']:.2f} CPUs busy meanwhile")
    lines.append(f"  cost per task in a batch: {format_summary(section['per_task_s'], 's')}")
    lines.append(f"  {compare_with_joblib(record)}")
    if record.get("layouts_others_cpu_cores") is not None:
        lines.append(f"  (during the layouts drawn below, other programs kept {record['layouts_others_cpu_cores']:.2f} "
                     "CPUs busy)")
    return "\n".join(lines)


def show_recorded(gil_enabled: bool | None = None, folder=None) -> list[dict]:
    """Print :func:`recorded_summary` of each recorded result (only those with the GIL on or off, when
    ``gil_enabled`` says so) and draw the newest: its timeline on 2 workers and its layouts; or say
    plainly that none is installed. Returns the records."""
    import matplotlib.pyplot as plt

    from ..show import charts

    records = load_cluster_records(folder, gil_enabled)
    if not records:
        kind = {True: " with the GIL on", False: " on a free-threaded Python"}.get(gil_enabled, "")
        print(f"No recorded cluster results{kind} are installed (scripts/record_dask.py records them into "
              "gillab/references/dask/).")
        return []
    for record in records:
        print(recorded_summary(record))
    newest = records[-1]
    _, (left, right) = plt.subplots(1, 2, figsize=(11, 2.8), layout="constrained", width_ratios=(3, 2))
    charts.timeline(timeline_record(newest), ax=left, title=f"2 Dask workers, recorded on {newest['date'][:10]}")
    charts.layouts_chart(newest["layouts"], ax=right, title="recorded: 1 worker x 2 threads or 2 workers")
    return records
