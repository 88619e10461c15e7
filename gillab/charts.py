"""The chapters' charts beyond :mod:`gillab.plots`: Amdahl's law, stacked timelines, response
delays, the break-even size of processes, and reference results from other machines.

Each function draws on a matplotlib ``Axes`` it is given (or on a new figure) and returns what it
drew on. Nothing is measured here; references are read with :mod:`gillab.reference`.
"""

from __future__ import annotations

from .measure import amdahl_speedup
from .plots import speedup_chart, timeline
from .reference import describe, load_references, speedup_points

__all__ = ["measured_speedup_chart", "requests_chart", "heartbeat_chart", "amdahl_chart", "timelines", "delays_chart", "break_even_chart", "reference_chart", "show_references"]


def _axes(ax, size):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def measured_speedup_chart(rows, ax=None, title: str = "Speedup against workers (median of the repeats)"):
    """:func:`gillab.plots.speedup_chart` for rows of :func:`gillab.speedup.measure_speedups`,
    whose speedups are summaries: the median is drawn."""
    rows = [{**row, "speedup": row["speedup"]["median"]} for row in rows]
    ax = speedup_chart(rows, ax=ax, title=title)
    ax.set_ylim(bottom=0)  # a speedup of 0.9 must not look like a fall to the bottom of the chart
    return ax


def requests_chart(runs, labels, ax=None):
    """Each request of each :class:`gillab.io_tasks.FetchRun` as a bar from when it was sent to when
    its answer arrived; one group of rows per run, times from that run's first request."""
    runs, labels = list(runs), list(labels)
    if not runs or len(runs) != len(labels):
        raise ValueError(f"give one label per run, got {len(runs)} runs and {len(labels)} labels")
    rows = sum(len(run.intervals) for run in runs)
    ax = _axes(ax, (7, 0.8 + 0.3 * rows))
    colours = ["tab:gray", "tab:red", "tab:blue", "tab:green", "tab:purple"]
    row, ticks, names = 0, [], []
    for index, (run, label) in enumerate(zip(runs, labels)):
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
    """The time between two redraws of a UI loop (:func:`gillab.io_tasks.ui_session`) over time,
    one colour per run: a freeze shows as one tall line."""
    runs, labels = list(runs), list(labels)
    if not runs or len(runs) != len(labels):
        raise ValueError(f"give one label per run, got {len(runs)} runs and {len(labels)} labels")
    ax = _axes(ax, (6.5, 3))
    colours = ["tab:red", "tab:blue", "tab:green", "tab:purple"]
    for index, (run, label) in enumerate(zip(runs, labels)):
        beats, colour = run.beats, colours[index % len(colours)]
        times = [later - beats[0] for later in beats[1:]]
        gaps = [(later - earlier) * 1000 for earlier, later in zip(beats, beats[1:])]
        # one line per redraw, as tall as the wait before it: a freeze is one tall line
        ax.vlines(times, 0, gaps, color=colour, linewidth=2, alpha=0.7)
        ax.plot(times, gaps, "o", color=colour, markersize=3,
                label=f"{label} (largest gap {run.largest_gap_s * 1000:.0f} ms)")
    ax.set_xlabel("seconds since the UI started")
    ax.set_ylabel("time since last redraw (ms)")
    ax.set_title("Does the UI keep redrawing while the data loads?")
    ax.legend(fontsize="small")
    return ax


def amdahl_chart(serial_fractions=(0.0, 0.05, 0.25, 0.5), max_workers: int = 16, ax=None):
    """Amdahl's law: the best possible speedup against workers, one curve per serial fraction."""
    if max_workers < 2:
        raise ValueError(f"max_workers must be at least 2, got {max_workers}")
    ax = _axes(ax, (5, 3.5))
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
    """One :func:`gillab.plots.timeline` per record, stacked, sharing the time axis; returns the axes."""
    import matplotlib.pyplot as plt

    records = list(records)
    if not records:
        raise ValueError("no records to draw")
    titles = list(titles) if titles is not None else [None] * len(records)
    height = sum(0.6 + 0.45 * max(1, record.workers) for record in records)
    _, axes = plt.subplots(len(records), 1, figsize=(8, height), sharex=True, layout="constrained", squeeze=False)
    for ax, record, title in zip(axes[:, 0], records, titles):
        timeline(record, ax=ax, title=title)
    return list(axes[:, 0])


def delays_chart(results, ax=None):
    """How late a sleeping thread woke up (median and worst), per switch interval and busy threads."""
    results = list(results)
    if not results:
        raise ValueError("no results to draw: run response_delays first")
    ax = _axes(ax, (6, 3.2))
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
    ax = _axes(ax, (5, 3.2))
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
    """Speedup against workers for ``mode`` in each reference (one line each, labelled with its
    machine, Python and date), the ideal line, and the learner's own rows when given."""
    references = list(references)
    lines = [(describe(ref), speedup_points(ref, mode, section)) for ref in references]
    lines = [(label, points) for label, points in lines if points]
    if not lines:
        raise ValueError(f"none of the {len(references)} references has {mode!r} results in {section!r}")
    ax = _axes(ax, (6.5, 4))
    top = max(max(k for k, _ in points) for _, points in lines)
    if learner_rows:
        own = sorted((row["workers"], row["speedup"]["median"] if isinstance(row["speedup"], dict) else row["speedup"])
                     for row in learner_rows if row["mode"] in (mode, "serial"))
        if own:
            ax.plot(*zip(*own), "s-", color="black", label="this machine")
            top = max(top, max(k for k, _ in own))
    ax.plot([1, top], [1, top], "k--", linewidth=1, label="ideal")
    for label, points in lines:
        ax.plot(*zip(*sorted(points)), "o-", label=label)
    ax.set_xlabel("workers")
    ax.set_ylabel("speedup over serial")
    ax.set_title(f"{mode} on other machines (reference results)")
    ax.legend(fontsize="x-small")
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

