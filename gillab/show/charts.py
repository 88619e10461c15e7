"""Charts of measurements, drawn the same way in chapters and labs: one palette, a timeline of which
worker made progress when, speedup against workers, the one panel of reference results recorded on
other machines, and the chapters' other charts (Amdahl's law, requests, a UI's heartbeat, response
delays, the break-even size of processes, a Dask cluster's task stream and chunk sizes).

Every function draws on a matplotlib ``Axes`` it is given (or a new figure) and returns what it
drew on (or what it drew). They only read :class:`~gillab.measure.runners.RunRecord` objects,
reference results (:mod:`gillab.show.references`) and plain numbers; nothing is measured here.
"""

from __future__ import annotations

from itertools import pairwise

from ..measure.timing import amdahl_speedup
from .references import describe, load_references, speedup_points

__all__ = [
    "MODE_COLOURS", "axes_or_new", "timeline", "timelines", "speedup_chart", "measured_speedup_chart",
    "reference_panel", "reference_chart", "show_references", "amdahl_chart", "requests_chart", "heartbeat_chart",
    "delays_chart", "break_even_chart", "task_stream_chart", "chunk_sweep_chart", "layouts_chart",
    "MAX_REFERENCES_DRAWN",
]

#: One colour per way of running the work, in every chart of the course.
MODE_COLOURS = {
    "serial": "tab:gray", "threads": "tab:red", "processes": "tab:blue", "subinterpreters": "tab:green",
    "dask": "tab:purple",
}
_OTHER_COLOUR = "tab:olive"
_MODE_MARKERS = {"threads": "s", "processes": "o", "subinterpreters": "^", "dask": "D"}
_ROW_NAMES = {
    "serial": "main", "threads": "thread", "processes": "process", "subinterpreters": "interpreter", "dask": "worker",
}
#: The newest reference results drawn in one panel; more would make it unreadable.
MAX_REFERENCES_DRAWN = 3


def axes_or_new(ax, size=(8, 3)):
    """``ax`` itself, or the axes of a new pyplot figure of ``size`` inches (for a notebook cell)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def timeline(record, ax=None, title: str | None = None):
    """One row per worker; a bar for each chunk from start to end, a tick mark at each progress tick.

    Under the GIL, threads' bars overlap in time but their ticks interleave (they take turns);
    processes' ticks advance side by side, and so do subinterpreters' (a row per interpreter, named by
    its id). Times are seconds since the run's first start.
    """
    ax = axes_or_new(ax, size=(8, 0.5 + 0.45 * max(1, record.workers)))
    if not record.spans:
        raise ValueError("the record has no spans to draw")
    origin = min(span.start for span in record.spans)
    rows = sorted({span.thread for span in record.spans}, key=lambda key: min(
        s.start for s in record.spans if s.thread == key))
    row_of = {key: index for index, key in enumerate(rows)}
    colour = MODE_COLOURS.get(record.mode, _OTHER_COLOUR)
    for span in record.spans:
        row = row_of[span.thread]
        ax.broken_barh([(span.start - origin, max(span.seconds, 1e-6))], (row - 0.35, 0.7), color=colour, alpha=0.35)
        if span.ticks:
            ax.plot([tick - origin for tick in span.ticks], [row] * len(span.ticks), "|", color=colour, markersize=12)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([_row_label(record, key, index) for index, key in enumerate(rows)])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel("seconds since start")
    ax.set_title(title or f"{record.mode}: {record.workers} worker(s), {record.wall_s:.2f} s")
    return ax


def _row_label(record, key, index: int) -> str:
    span = next(span for span in record.spans if span.thread == key)
    if record.mode == "subinterpreters":  # each row is one interpreter: name it by its id
        return f"interpreter {span.interpreter}"
    name = f"{_ROW_NAMES.get(record.mode, record.mode)} {index}"
    if record.mode != "dask":
        return name
    # a Dask worker is a process: say which (its port, and its host when another machine's)
    port = span.address.rsplit(":", 1)[-1]
    return f"{name} :{port}" + (f" @{span.machine}" if span.machine else "")


def speedup_chart(rows, ax=None, serial_fraction: float | None = None, title: str = "Speedup against workers"):
    """Speedup against workers, one line per mode, with the ideal line and an optional Amdahl curve.

    ``rows`` are dicts with ``mode``, ``workers`` and ``speedup`` (as the labs' results tables hold).
    """
    ax = axes_or_new(ax, size=(5, 3.5))
    rows = list(rows)
    if not rows:
        raise ValueError("no results to draw yet: run an experiment first")
    top = max(row["workers"] for row in rows)
    ax.plot([1, top], [1, top], "k--", linewidth=1, label="ideal (k times faster)")
    if serial_fraction is not None:
        ks = list(range(1, top + 1))
        ax.plot(ks, [amdahl_speedup(serial_fraction, k) for k in ks], ":", color="tab:purple",
                label=f"Amdahl fit, serial fraction {serial_fraction:.2f}")
    for mode in sorted({row["mode"] for row in rows}):
        points = sorted((row["workers"], row["speedup"]) for row in rows if row["mode"] == mode)
        ax.plot(*zip(*points, strict=True), "o-", color=MODE_COLOURS.get(mode, _OTHER_COLOUR), label=mode)
    ax.set_xlabel("workers")
    ax.set_ylabel("speedup over serial")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def _learner_points(learner_rows, modes):
    return sorted(
        (row["workers"], row["speedup"]["median"] if isinstance(row["speedup"], dict) else row["speedup"])
        for row in learner_rows or () if row["mode"] in (*modes, "serial")
    )


def reference_panel(ax, references, modes=("threads", "processes"), section: str = "cpu_sum", learner_rows=None,
                    title: str | None = None, cpu_model_in_labels: bool = True) -> list[tuple[str, list]]:
    """Speedup against workers in the newest :data:`MAX_REFERENCES_DRAWN` ``references``, one line
    per reference and mode (colour and marker say the mode; a dotted line says the GIL was off), the
    learner's own ``learner_rows`` in black when given, and the ideal line.

    The ideal line stops at the reference machines' CPU count: beyond it, more workers only take
    turns. A reference speedup above the ideal cannot be parallel work (it is a baseline that ran
    slower, or noise) and is circled and labelled as such. Returns ``[(label, points), ...]`` for
    each line drawn; raises ValueError when no reference has results for the modes in ``section``.
    """
    references = list(references)[-MAX_REFERENCES_DRAWN:]
    modes = tuple(modes)
    lines = []
    for reference in references:
        for mode in modes:
            points = sorted(speedup_points(reference, mode, section))
            if points:
                label = f"{mode}, {describe(reference, cpu_model=cpu_model_in_labels)}"
                lines.append((reference, mode, label, points))
    if not lines:
        wanted = " or ".join(repr(mode) for mode in modes)
        raise ValueError(f"none of the {len(references)} references has {wanted} results in {section!r}")
    drawn, above_ideal = [], []
    for reference, mode, label, points in lines:
        style = "-" if reference["machine"]["gil_enabled"] else ":"
        ax.plot(*zip(*points, strict=True), marker=_MODE_MARKERS.get(mode, "o"), linestyle=style,
                color=MODE_COLOURS.get(mode, _OTHER_COLOUR), alpha=0.8, label=label)
        drawn.append((label, points))
        cpus = reference["machine"]["effective_cpus"]
        above_ideal += [(k, s) for k, s in points if s > min(k, cpus) * 1.02]
    own = _learner_points(learner_rows, modes)
    if own:
        ax.plot(*zip(*own, strict=True), "s-", color="black", label="this machine")
    top = max(reference["machine"]["effective_cpus"] for reference, *_ in lines)
    ax.plot([1, top], [1, top], "k--", linewidth=1, label="ideal")
    if above_ideal:
        ax.plot(*zip(*above_ideal, strict=True), "o", markersize=13, markerfacecolor="none",
                markeredgecolor="tab:orange", label="above the ideal: a slower baseline or noise, not parallel work")
    ax.set_xlabel("workers")
    ax.set_ylabel("speedup over serial")
    if title is None:
        models = sorted({reference["machine"].get("cpu_model") or "unknown CPU" for reference, *_ in lines})
        where = models[0] if len(models) == 1 else f"{len(models)} machines"
        title = f"Recorded on multi-core machines\n{where}"
    ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="x-small", loc="upper left")
    return drawn


def measured_speedup_chart(rows, ax=None, title: str = "Speedup against workers (median of the repeats)"):
    """:func:`gillab.show.charts.speedup_chart` for rows of :func:`gillab.measure.speedup.measure_speedups`,
    whose speedups are summaries: the median is drawn."""
    rows = [{**row, "speedup": row["speedup"]["median"]} for row in rows]
    ax = speedup_chart(rows, ax=ax, title=title)
    ax.set_ylim(bottom=0)  # a speedup of 0.9 must not look like a fall to the bottom of the chart
    return ax


def requests_chart(runs, labels, ax=None):
    """Each request of each :class:`gillab.experiments.io_tasks.FetchRun` as a bar from when it was sent to when
    its answer arrived; one group of rows per run, times from that run's first request."""
    runs, labels = list(runs), list(labels)
    if not runs or len(runs) != len(labels):
        raise ValueError(f"give one label per run, got {len(runs)} runs and {len(labels)} labels")
    rows = sum(len(run.intervals) for run in runs)
    ax = axes_or_new(ax, (7, 0.8 + 0.3 * rows))
    colours = ["tab:gray", "tab:red", "tab:blue", "tab:green", "tab:purple"]
    row, ticks, names = 0, [], []
    for index, (run, label) in enumerate(zip(runs, labels, strict=True)):
        origin = min(start for start, _ in run.intervals)
        for number, (start, end) in enumerate(run.intervals):
            ax.broken_barh([(start - origin, end - start)], (row - 0.35, 0.7), color=colours[index % len(colours)])
            ticks.append(row)
            names.append(f"{label}: request {number + 1}")
            row += 1
    ax.set_yticks(ticks)
    ax.set_yticklabels(names, fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel("seconds since the first request")
    ax.set_title("When each request was waiting for the server")
    return ax


def heartbeat_chart(runs, labels, ax=None):
    """The time between two redraws of a UI loop (:func:`gillab.experiments.io_tasks.ui_session`) over time,
    one colour per run: a freeze shows as one tall line."""
    runs, labels = list(runs), list(labels)
    if not runs or len(runs) != len(labels):
        raise ValueError(f"give one label per run, got {len(runs)} runs and {len(labels)} labels")
    ax = axes_or_new(ax, (6.5, 3))
    colours = ["tab:red", "tab:blue", "tab:green", "tab:purple"]
    for index, (run, label) in enumerate(zip(runs, labels, strict=True)):
        beats, colour = run.beats, colours[index % len(colours)]
        times = [later - beats[0] for later in beats[1:]]
        gaps = [(later - earlier) * 1000 for earlier, later in pairwise(beats)]
        # one line per redraw, as tall as the wait before it: a freeze is one tall line
        ax.vlines(times, 0, gaps, color=colour, linewidth=2, alpha=0.7)
        ax.plot(
            times,
            gaps,
            "o",
            color=colour,
            markersize=3,
            label=f"{label} (largest gap {run.largest_gap_s * 1000:.0f} ms)",
        )
    ax.set_xlabel("seconds since the UI started")
    ax.set_ylabel("time since last redraw (ms)")
    ax.set_title("Does the UI keep redrawing while the data loads?")
    ax.legend(fontsize="small")
    return ax


def amdahl_chart(serial_fractions=(0.0, 0.05, 0.25, 0.5), max_workers: int = 16, ax=None):
    """Amdahl's law: the best possible speedup against workers, one curve per serial fraction."""
    if max_workers < 2:
        raise ValueError(f"max_workers must be at least 2, got {max_workers}")
    ax = axes_or_new(ax, (5, 3.5))
    workers = list(range(1, max_workers + 1))
    for fraction in serial_fractions:
        label = "ideal (nothing serial)" if fraction == 0 else f"{fraction:.0%} serial"
        ax.plot(workers, [amdahl_speedup(fraction, k) for k in workers], "-" if fraction else "k--", label=label)
    ax.set_xlabel("workers")
    ax.set_ylabel("best possible speedup")
    ax.set_title("Amdahl's law")
    ax.legend(fontsize="small")
    return ax


def timelines(records, titles=None):
    """One :func:`gillab.show.charts.timeline` per record, stacked, sharing the time axis; returns the axes."""
    import matplotlib.pyplot as plt

    records = list(records)
    if not records:
        raise ValueError("no records to draw")
    titles = list(titles) if titles is not None else [None] * len(records)
    height = sum(0.6 + 0.45 * max(1, record.workers) for record in records)
    _, axes = plt.subplots(len(records), 1, figsize=(8, height), sharex=True, layout="constrained", squeeze=False)
    for ax, record, title in zip(axes[:, 0], records, titles, strict=True):
        timeline(record, ax=ax, title=title)
    return list(axes[:, 0])


def delays_chart(results, ax=None):
    """How late a sleeping thread woke up (median and worst), per switch interval and busy threads."""
    results = list(results)
    if not results:
        raise ValueError("no results to draw: run response_delays first")
    ax = axes_or_new(ax, (6, 3.2))
    labels = [f"{r.switch_interval_s * 1000:g} ms\n{r.cpu_threads} busy" for r in results]
    positions = range(len(results))
    ax.bar([p - 0.2 for p in positions], [r.median * 1000 for r in results], width=0.4, label="median")
    ax.bar([p + 0.2 for p in positions], [r.worst * 1000 for r in results], width=0.4, label="worst")
    ax.set_xticks(list(positions))
    ax.set_xticklabels(labels, fontsize="small")
    ax.set_ylabel("woke up late by (ms)")
    ax.set_title("A waiting thread's response delay")
    ax.legend(fontsize="small")
    return ax


def break_even_chart(result, ax=None):
    """Speedup of processes over serial against problem size (log scale), with the break-even line."""
    if not result.points:
        raise ValueError("no points to draw")
    ax = axes_or_new(ax, (5, 3.2))
    sizes = [point[0] for point in result.points]
    ax.plot(sizes, [point[1] for point in result.points], "o-", color="tab:blue", label=f"{result.n_workers} processes")
    ax.axhline(1.0, color="k", linestyle="--", linewidth=1, label="break-even (as fast as serial)")
    ax.set_xscale("log")
    ax.set_xlabel("n (numbers summed)")
    ax.set_ylabel("speedup over serial")
    ax.set_title("When do processes pay off?")
    ax.legend(fontsize="small")
    return ax


def _matching(references, gil_enabled):
    if gil_enabled is None:
        return list(references)
    return [ref for ref in references if bool(ref["machine"]["gil_enabled"]) == gil_enabled]


def reference_chart(references, mode: str, section: str = "cpu_sum", learner_rows=None, ax=None):
    """Speedup against workers for ``mode`` in each reference, the ideal line, and the learner's own
    rows when given: :func:`gillab.show.charts.reference_panel` on a new chart. Returns the Axes."""
    ax = axes_or_new(ax, (6.5, 4))
    reference_panel(
        ax,
        references,
        modes=(mode,),
        section=section,
        learner_rows=learner_rows,
        title=f"{mode} on other machines (reference results)",
    )
    return ax


def show_references(mode: str, section: str = "cpu_sum", learner_rows=None, gil_enabled=None, folder=None):
    """Draw the installed reference results for ``mode`` (see :func:`reference_chart`), or print
    plainly that there are none, and return the references drawn.

    ``gil_enabled`` keeps only references recorded with the GIL on (True) or off (False).
    ``folder`` defaults to the references shipped in the package.
    """
    references = [ref for ref in _matching(load_references(folder), gil_enabled) if speedup_points(ref, mode, section)]
    if not references:
        kind = {True: " recorded with the GIL on", False: " recorded on a free-threaded Python"}.get(gil_enabled, "")
        print(
            f"No reference results{kind} with {mode} in {section!r} are installed yet, so there is nothing to show "
            "beside yours. They are recorded on multi-core machines with `gillab bench --save-reference` and "
            "shipped in gillab/references/."
        )
        return []
    reference_chart(references, mode, section, learner_rows=learner_rows)
    return references


def task_stream_chart(record, ax=None, title: str | None = None):
    """A Dask run (:func:`gillab.measure.runners.run_dask` with ``record_stream=True``), one row per
    worker: each chunk as timed inside its task (the course's timeline, in the Dask colour) and,
    just below it, the same task as Dask's own task stream saw it (black outlines: the worker's wall
    clock plus Dask's estimate of its offset, so off by up to milliseconds)."""
    if record.mode != "dask":
        raise ValueError(f"a task stream is a Dask run's; this record's mode is {record.mode!r}")
    ax = axes_or_new(ax, size=(8, 0.9 + 0.55 * max(1, record.distinct_processes)))
    timeline(record, ax=ax, title=title or f"{len(record.spans)} chunks on {record.distinct_processes} Dask workers")
    if not record.task_stream:
        return ax
    origin = min(span.start for span in record.spans)
    rows = {}
    for span in sorted(record.spans, key=lambda span: span.start):
        rows.setdefault(span.address, len(rows))
    for task in record.task_stream:
        if task.address in rows:
            ax.broken_barh([(task.start - origin, max(task.end - task.start, 1e-6))], (rows[task.address] + 0.2, 0.2),
                           facecolor="none", edgecolor="black", linewidth=0.8)
    ax.plot([], [], "s", color=MODE_COLOURS["dask"], alpha=0.35, label="timed inside each task")
    ax.plot([], [], "s", markerfacecolor="none", markeredgecolor="black", label="Dask's task stream")
    ax.legend(fontsize="x-small", loc="lower right")
    return ax


def chunk_sweep_chart(points, ax=None):
    """Speedup over serial against the number of chunks (log scale), from
    :func:`gillab.experiments.cluster_costs.chunk_sweep`, with the break-even line."""
    points = list(points)
    if not points:
        raise ValueError("no points to draw: run chunk_sweep first")
    ax = axes_or_new(ax, (5.5, 3.2))
    counts = [point.chunks for point in points]
    medians = [point.speedup["median"] for point in points]
    spread = [[m - p.speedup["min"] for m, p in zip(medians, points, strict=True)],
              [p.speedup["max"] - m for m, p in zip(medians, points, strict=True)]]
    ax.errorbar(counts, medians, yerr=spread, fmt="D-", color=MODE_COLOURS["dask"], capsize=3, label="the cluster")
    ax.axhline(1.0, color="k", linestyle="--", linewidth=1, label="as fast as one loop")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("chunks (tasks) the sum is cut into")
    ax.set_ylabel("speedup over serial")
    ax.set_title("Too coarse, just right, too fine")
    ax.legend(fontsize="small")
    return ax


def layouts_chart(rows, ax=None, title: str = "Two threads in one worker, or two workers?"):
    """Median speedups of :func:`gillab.experiments.worker_gil.threads_or_workers` rows (objects or the
    dicts of a recorded result): one group of bars per workload, one bar per layout, ideal 2x."""
    rows = [row if isinstance(row, dict) else {"workload": row.workload, "layout": row.layout,
                                                "speedup": row.speedup} for row in rows]
    if not rows:
        raise ValueError("no rows to draw: run threads_or_workers first")
    ax = axes_or_new(ax, (5.5, 3.2))
    workloads = list(dict.fromkeys(row["workload"] for row in rows))
    layouts = list(dict.fromkeys(row["layout"] for row in rows))
    colours = {layout: colour for layout, colour in zip(layouts, ("tab:red", "tab:blue", "tab:green"), strict=False)}
    width = 0.8 / len(layouts)
    for index, layout in enumerate(layouts):
        for position, workload in enumerate(workloads):
            found = [row for row in rows if row["workload"] == workload and row["layout"] == layout]
            if found:
                ax.bar(position + (index - (len(layouts) - 1) / 2) * width, found[0]["speedup"]["median"], width,
                       color=colours[layout], label=layout if position == 0 else None)
    ax.axhline(2.0, color="k", linestyle="--", linewidth=1, label="ideal for 2 chunks")
    ax.axhline(1.0, color="tab:gray", linestyle=":", linewidth=1)
    ax.set_xticks(range(len(workloads)))
    ax.set_xticklabels(workloads)
    ax.set_ylabel("speedup over serial (median)")
    ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="x-small", loc="upper left")
    return ax
