"""The speedup lab: choose workers, problem size and modes, press Run, and watch your machine answer.

Each press measures with :func:`gillab.measure.speedup.measure_speedups` (every parallel run paired with a
serial run made just before it), appends the rows to a table that keeps every run, redraws time and
speedup against workers (one line per mode, the ideal line, the Amdahl fit) and a timeline of the
last run: per worker, when it made progress. Under the GIL threads take turns; processes overlap;
so do subinterpreters (Python 3.13+: each has its own GIL), inside one process. On a Python without
subinterpreters their box is greyed out, the lab says why, and the subinterpreter results recorded
by ``gillab bench`` on another machine are drawn instead, when any ship with the course.

When a Dask cluster is connected (:func:`gillab.measure.cluster.connect`, chapter 07), the lab also
offers a "dask" mode: the chunks run as tasks on that many of the cluster's workers.

>>> lab = speedup_lab(n=20_000, repeats=1, effective_cpus=2)
>>> lab.workers.value = 3
>>> lab.modes["processes"].value = False
>>> lab.run.click()
>>> row = lab.results[-1]
>>> row["mode"], row["workers"], row["record"].distinct_threads, row["result"] == 20_000 * 20_001 // 2
('threads', 3, 3, True)
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from .._validate import require_int, require_positive_number
from ..machine.interpreter import gil_enabled, subinterpreter_support
from ..measure import cluster
from ..measure.calibrate import round_size, units_per_second
from ..measure.runners import MAX_WORKERS, MODES, stop_worker_processes
from ..measure.speedup import measure_speedups
from ..measure.subinterpreters import stop_interpreters
from ..measure.workloads import WORKLOADS, Workload
from ..show.references import load_references, speedup_points
from ..show.text import format_summary
from .base import Lab, SettingsError, error_html
from .figures import placeholder_png, png
from .sizes import largest_size, nice_sizes
from .speedup_charts import latest_per_config, speedup_figure, timelines_figure
from .tables import html_table

__all__ = ["SpeedupLab", "speedup_lab", "WORKER_MULTIPLE", "DEFAULT_SERIAL_S", "CALIBRATION_PROBE_S"]

#: The workers slider goes up to this many times the effective CPUs: enough to see oversubscription.
WORKER_MULTIPLE = 4
#: The default size makes one serial run take about this long here (from the calibration). Shorter
#: runs left the first press at the defaults to noise: on a 2-core machine, n = 2,000,000 (about
#: 0.07 s) once showed threads at 1.22x, and processes barely above 1x, since each joblib call has a
#: fixed cost of about 10-15 ms. At 0.3 s, with the median of 5 paired runs, both show what they are
#: (scripts/speedup_lab_defaults.py measures the first press at the defaults).
DEFAULT_SERIAL_S = 0.3
#: How long one calibration call of the work should take: short probes overestimated the rate of
#: a run of a third of a second by up to a third on a 2-core VM, and the press took that much longer.
CALIBRATION_PROBE_S = 0.1
#: Seconds of a press's time budget reserved per worker process that may have to start.
PROCESS_START_S = 0.15
_COLUMNS = [
    ("run", "Run"), ("workload", "Work"), ("n", "n"), ("mode", "Mode"), ("workers", "Workers"),
    ("used", "Ran on"), ("seconds", "Time: median (min-max)"), ("speedup", "Speedup over serial"),
]


def _workload_table(workloads) -> dict[str, Workload]:
    if workloads is None:
        return dict(WORKLOADS)
    table = {}
    for name, item in dict(workloads).items():
        if isinstance(item, Workload):
            table[name] = item
        elif callable(item):
            table[name] = Workload(name, item, holds_gil=True, description="your own function")
        else:
            raise TypeError(f"workloads[{name!r}] must be a function f(lo, hi) -> int or a Workload, got {item!r}")
    if not table:
        raise ValueError("workloads must name at least one work function")
    return table


class SpeedupLab(Lab):
    """The speedup lab's widgets and results. Build it with :func:`speedup_lab`.

    Widgets: ``workload`` (Dropdown), ``workers`` (IntSlider), ``size`` (a SelectionSlider over
    :attr:`sizes`; the problem size is ``lab.n``), ``modes`` (a Checkbox per mode), ``run``, ``table`` (HTML),
    ``chart`` and ``timeline`` (Image). Results: ``results`` (one dict per mode and run, each with
    its last :class:`~gillab.measure.runners.RunRecord` under ``record``), ``drawn`` (what the chart shows),
    ``figure`` and ``timeline_figure`` (the matplotlib figures), ``references``.
    """

    name = "speedup"
    title = "Speedup lab: threads, processes and subinterpreters on your machine"

    def __init__(self, workload, n, workers, modes, repeats, n_ticks, workloads, max_workers, time_budget_s,
                 effective_cpus, show_references, references_folder):
        super().__init__(effective_cpus)
        self.workloads = _workload_table(workloads)
        if workload not in self.workloads:
            raise ValueError(f"workload must be one of {', '.join(self.workloads)}, got {workload!r}")
        self.repeats = require_int("repeats", repeats, minimum=1, maximum=20)
        self.n_ticks = require_int("n_ticks", n_ticks, minimum=1, maximum=200)
        self.time_budget_s = require_positive_number("time_budget_s", time_budget_s, maximum=600)
        if max_workers is None:
            max_workers = min(MAX_WORKERS, WORKER_MULTIPLE * self.effective_cpus)
        self.max_workers = require_int("max_workers", max_workers, minimum=2, maximum=MAX_WORKERS)
        for mode in modes:
            if mode not in MODES:
                raise ValueError(f"modes must be among {', '.join(MODES)}, got {mode!r}")
        self.subinterpreters = subinterpreter_support()
        # the dask mode needs a cluster to run on: offered only when one is connected
        self.available_modes = [mode for mode in MODES if mode != "dask" or cluster.current() is not None]
        if "dask" in modes and "dask" not in self.available_modes:
            raise ValueError(
                "modes includes 'dask', but no Dask cluster is connected: run `cluster = connect()` "
                "(from gillab.measure.cluster) first, then make the lab"
            )
        # what one press may run besides serial: the slider's top is sized for all of them at once
        self._parallel_modes = sum(
            mode != "serial" and (mode != "subinterpreters" or self.subinterpreters.available)
            for mode in self.available_modes
        )
        self.results: list[dict] = []
        self.last_records: list = []
        self.drawn: dict | None = None
        self.figure = self.timeline_figure = None
        self.rates: dict[str, float] = {}
        self.runs = 0
        self._running_modes: list[str] = []

        self.workload = widgets.Dropdown(options=list(self.workloads), value=workload, description="Work")
        self.workload.add_class("gillab-workload")
        default_workers = min(self.max_workers, max(2, self.effective_cpus))
        workers = (
            default_workers if workers is None else require_int("workers", workers, minimum=1, maximum=self.max_workers)
        )
        self.workers = widgets.IntSlider(value=workers, min=1, max=self.max_workers, description="Workers")
        self.workers.add_class("gillab-workers")
        # a logarithmic slider over readable sizes (1, 2, 5, 10, ...): a float log slider would
        # snap a learner's 200,000 to 199,526 in the browser
        self.size = widgets.SelectionSlider(
            options=[("1", 1)], description="Size n", layout=widgets.Layout(width="30em")
        )
        self.size.add_class("gillab-size")
        self.size_note = widgets.HTML().add_class("gillab-size-note")
        self.modes = {}
        for mode in self.available_modes:
            box = widgets.Checkbox(
                value=mode in modes, description=mode, indent=False, layout=widgets.Layout(width="8em")
            )
            self.modes[mode] = box.add_class(f"gillab-mode-{mode}")
        if not self.subinterpreters.available:
            box = self.modes["subinterpreters"]
            box.value, box.disabled, box.layout.width = False, True, "11em"
            box.description = "subinterpreters (not here)"
            why = html.escape(self.subinterpreters.detail)
            self.note.value += f" Subinterpreters cannot run in this kernel: {why}."
        self.table = widgets.HTML(html_table(_COLUMNS, [])).add_class("gillab-results-table")
        self.chart = widgets.Image(
            value=placeholder_png("Time and speedup against workers appear here after Run."),
            format="png",
            layout=widgets.Layout(max_width="100%"),
        )
        self.chart.add_class("gillab-chart")
        self.timeline = widgets.Image(
            value=placeholder_png("A timeline of the last run appears here."),
            format="png",
            layout=widgets.Layout(max_width="100%"),
        )
        self.timeline.add_class("gillab-timeline")

        self.references = self._references(show_references, references_folder, modes)
        self._calibrate(workload, n)
        self.workload.observe(self._on_workload_change, names="value")
        self.size.observe(lambda change: self._describe_size(), names="value")
        modes_row = widgets.HBox([widgets.Label("Modes:"), *self.modes.values()])
        self.build(
            controls=[
                widgets.HBox([self.workload, self.workers]),
                widgets.HBox([self.size, self.size_note]),
                modes_row,
            ],
            results=[self.table, self.chart, self.timeline],
        )

    # --- settings ---------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """The problem size the size slider shows: the work is ``1..n``."""
        return self.size.value

    @property
    def sizes(self) -> list[int]:
        """The sizes the size slider offers, smallest first."""
        return [value for _, value in self.size.options]

    def _runs_per_press(self, parallel_modes: int) -> int:
        # what measure_speedups does: a warm-up and a serial run, then per parallel mode a warm-up
        # and the paired repeats (serial, parallel); with no parallel mode, the serial repeats
        return 2 + parallel_modes * (1 + 2 * self.repeats) if parallel_modes else 1 + self.repeats

    def _fixed_costs_s(self) -> float:
        # a reserve, not a measurement: joblib's first two workers took 0.4-0.8 s to start on a
        # 2-core machine (shared/notes/stack-facts.md), more on a busy one; the reserve grows with
        # the slider's top, plus a second for drawing
        return 1.0 + PROCESS_START_S * self.max_workers

    def _calibrate(self, name: str, n: int | None) -> None:
        """Fit the size slider to this machine: its top makes one press take about the time budget."""
        function = self.workloads[name].function
        if name not in self.rates:
            self.status.value = f"Calibrating {html.escape(name)}..."
            self.rates[name] = units_per_second(function, target_s=CALIBRATION_PROBE_S)
            self.status.value = "Ready: choose the settings, then press Run."
        rate = self.rates[name]
        runs = self._runs_per_press(self._parallel_modes)
        largest = largest_size(rate, runs, self.time_budget_s, fixed_s=self._fixed_costs_s())
        if n is not None:
            n = require_int("n", n, minimum=1)
            if n > largest:
                raise ValueError(
                    f"n={n:,} would make one press of Run take more than about {self.time_budget_s:g} s here "
                    f"(this machine does about {rate:,.0f} units of {name} per second); at most {largest:,}"
                )
        self.largest_n = largest
        sizes = nice_sizes(largest)
        if n is None:
            # the calibrated size itself (two significant digits), not the slider stop below it,
            # which could be half as big (a 4.9 million target would give 2 million)
            n = max(1, min(sizes[-1], round_size(rate * DEFAULT_SERIAL_S)))  # sizes[-1]: the top, two digits
        sizes = sorted(set(sizes) | {n})
        self.size.options = [(f"{size:,}", size) for size in sizes]
        self.size.value = n
        self._describe_size()

    def _on_workload_change(self, change) -> None:
        # an observer's exception would only reach the log, like a button's: show it instead
        try:
            self.message.value = ""
            self._calibrate(change["new"], None)
        except Exception as error:  # noqa: BLE001 - shown to the learner
            self.errors.append(error)
            self.message.value = error_html(error)

    def _describe_size(self) -> None:
        rate = self.rates.get(self.workload.value)
        if rate:
            self.size_note.value = f"one serial run of this size takes about {self.n / rate:.2g} s here"

    def _references(self, show, folder, modes=()) -> list[dict]:
        # on one CPU the references show what cannot show here; on a free-threaded kernel the
        # GIL kernels' references show what this kernel's threads are free of; without
        # subinterpreters, the subinterpreter results recorded elsewhere
        free_threaded = not gil_enabled()
        recorded_instead = "subinterpreters" in modes and not self.subinterpreters.available
        show = (self.effective_cpus == 1 or free_threaded or recorded_instead) if show is None else bool(show)
        if not show:
            return []
        references = load_references(folder)
        if recorded_instead and self.effective_cpus > 1 and not free_threaded:
            recorded = [reference for reference in references if speedup_points(reference, "subinterpreters")]
            if recorded:
                extra = (
                    "The right-hand chart shows subinterpreters (with threads and processes) as recorded on "
                    f"{len(recorded)} machine(s) with Python 3.13 or newer."
                )
            else:
                extra = (
                    "No reference results with subinterpreters ship with this copy of the course yet (Python 3.13+ "
                    "records them with <code>gillab bench --save-reference</code>)."
                )
        elif free_threaded and self.effective_cpus > 1:
            references = [reference for reference in references if reference["machine"]["gil_enabled"]]
            if references:
                extra = (
                    "The GIL is OFF in this kernel, so its threads can run Python at the same time. The right-hand "
                    f"chart shows the same experiment recorded WITH the GIL on {len(references)} machine(s)."
                )
            else:
                extra = (
                    "The GIL is OFF in this kernel, so its threads can run Python at the same time. No reference "
                    "results recorded with the GIL ship with this copy of the course, so only yours are drawn."
                )
        elif references:
            extra = f"The right-hand chart shows the same experiment recorded on {len(references)} other machine(s)."
        else:
            extra = (
                "No reference results ship with this copy of the course yet (a multi-core machine records "
                "them with <code>gillab bench --save-reference</code>), so only your own results are drawn."
            )
        self.note.value += " " + extra
        return references

    # --- running ----------------------------------------------------------------------------
    def measure(self) -> None:
        ticked = [mode for mode, box in self.modes.items() if box.value]
        if not ticked:
            raise SettingsError(f"Tick at least one mode ({', '.join(self.modes)}), then press Run.")
        name = self.workload.value
        if name not in self.rates:  # its calibration failed when it was chosen: fail the same way again
            self._calibrate(name, None)
        n, workers = self.n, self.workers.value
        configs = [(mode, workers) for mode in ("threads", "processes", "subinterpreters", "dask") if mode in ticked]
        if "dask" in ticked:
            self._check_cluster(workers)
        self._running_modes = ticked
        estimate = self._runs_per_press(len(configs)) * n / self.rates[name]
        self.show_progress(0, 1, f"Starting: {name}, n = {n:,}, {workers} worker(s); about {estimate:.1f} s")
        rows = measure_speedups(
            self.workloads[name].function,
            n=n,
            configs=configs or [("serial", 1)],
            repeats=self.repeats,
            warmup=1,
            n_ticks=self.n_ticks,
            on_progress=self._on_progress,
        )
        if len({row["result"] for row in rows}) != 1:
            raise RuntimeError(f"the modes disagree on the total: {[(r['mode'], r['result']) for r in rows]}")
        self.runs += 1
        baseline = rows[0]["seconds"]["median"]
        kept = [row for row in rows if row["mode"] != "serial" or "serial" in ticked]
        new_rows = [self._result_row(row, name, baseline) for row in kept]
        self.results.extend(new_rows)
        self.last_records = [row["record"] for row in rows if row["mode"] != "serial"] or [rows[0]["record"]]
        self._redraw(name, n)
        self.say(f"Done: run {self.runs} ({name}, n = {n:,}, {workers} worker(s)).")

    def _on_progress(self, done: int, total: int, label: str) -> None:
        if done >= total:
            self.show_progress(done, total, "Measured; drawing the charts...")
        else:
            self.show_progress(done, total, f"Running {label}: run {done + 1} of {total}")

    def _result_row(self, row: dict, name: str, baseline: float) -> dict:
        record = row["record"]
        return {
            "run": self.runs,
            "workload": name,
            "n": row["n"],
            "mode": row["mode"],
            "workers": row["workers"],
            "seconds": row["seconds"],
            "speedup": row["speedup"],
            "serial_seconds": baseline,
            "result": row["result"],
            "distinct_threads": record.distinct_threads,
            "distinct_processes": record.distinct_processes,
            "distinct_interpreters": record.distinct_interpreters,
            "ran_in_caller_process": record.ran_in_caller_process,
            "record": record,
        }

    def _redraw(self, name: str, n: int) -> None:
        self.table.value = html_table(_COLUMNS, [self._table_row(row) for row in reversed(self.results)])
        same_experiment = [row for row in self.results if row["workload"] == name and row["n"] == n]
        self.figure, self.drawn = speedup_figure(
            latest_per_config(same_experiment), self.effective_cpus, self.references, modes=tuple(self.modes)[1:]
        )
        self.figure.suptitle(f"{name}, n = {n:,} (latest run of each mode and worker count)", fontsize="medium")
        self.chart.value = png(self.figure)
        self.timeline_figure = timelines_figure(self.last_records)
        self.timeline.value = png(self.timeline_figure)

    @staticmethod
    def _check_cluster(workers: int) -> None:
        connection = cluster.current()
        if connection is None:
            raise SettingsError("The Dask cluster was closed: run connect() again, or untick dask.")
        have = len(connection.workers())
        if workers > have:
            raise SettingsError(
                f"The Dask cluster has {have} worker(s), so dask can run with at most {have}: move the slider, "
                "or connect to a cluster with more workers."
            )

    @staticmethod
    def _table_row(row: dict) -> dict:
        if row["mode"] == "dask":
            used = f"{row['distinct_processes']} Dask worker(s)"
        elif row["mode"] == "processes":
            used = f"{row['distinct_processes']} process(es)"
        elif row["mode"] == "threads":
            used = f"{row['distinct_threads']} thread(s)"
        elif row["mode"] == "subinterpreters":
            used = f"{row['distinct_interpreters']} interpreter(s), one process"
        else:
            used = "the kernel's thread"
        return {
            **row,
            "n": f"{row['n']:,}",
            "used": used,
            "seconds": format_summary(row["seconds"], runs=False),
            "speedup": format_summary(row["speedup"], "x", runs=False),
        }

    def stop_after_interrupt(self) -> str:
        done = []
        if "processes" in self._running_modes:
            stop_worker_processes()
            done.append("its worker processes were stopped")
        if "subinterpreters" in self._running_modes:
            stop_interpreters()
            done.append("its interpreters were asked to stop between slices")
        if "dask" in self._running_modes:
            done.append("its tasks on the Dask cluster were cancelled (a task already running finishes first)")
        if "threads" in self._running_modes and not done:
            done.append("its threads were stopped")
        return "; ".join(done)


def speedup_lab(
    workload: str = "count_sum",
    n: int | None = None,
    workers: int | None = None,
    modes=("threads", "processes"),
    repeats: int = 5,
    n_ticks: int = 20,
    workloads=None,
    max_workers: int | None = None,
    time_budget_s: float = 10.0,
    effective_cpus: int | None = None,
    show_references: bool | None = None,
    references_folder=None,
) -> SpeedupLab:
    """The speedup lab, shown when it is the last expression of a cell: ``speedup_lab()``.

    - ``workload``: the work to time, a name in ``workloads`` (default :data:`gillab.measure.workloads.WORKLOADS`:
      ``count_sum``, ``hash_blocks``, ``numpy_sum``, ``wait_units``); ``workloads`` may be your own
      ``{"name": f}`` with additive ``f(lo, hi) -> int`` functions.
    - ``n``: the starting problem size (default: about :data:`DEFAULT_SERIAL_S` seconds of serial
      work here, by the calibration, within the time budget; the slider's other stops are 1, 2, 5,
      10, 20, ... up to the time budget); ``workers``:
      the starting worker count (default: the effective CPUs, at least 2); ``modes``: which mode
      boxes start ticked ("dask" needs a connected cluster, :func:`gillab.measure.cluster.connect`).
    - ``repeats``: paired timed runs per mode (medians of these are shown); ``n_ticks``: progress
      ticks per chunk in the timeline.
    - ``max_workers``: top of the workers slider (default 4x the effective CPUs);
      ``time_budget_s``: the size slider stops where one press would take about this long.
    - ``effective_cpus``: override the detected count (tests); ``show_references``: draw
      reference results (default: on one effective CPU, and on a free-threaded kernel, where
      the references recorded with the GIL are drawn); ``references_folder``: where they
      are (default: the shipped ones).
    """
    return SpeedupLab(
        workload,
        n,
        workers,
        tuple(modes),
        repeats,
        n_ticks,
        workloads,
        max_workers,
        time_budget_s,
        effective_cpus,
        show_references,
        references_folder,
    )
