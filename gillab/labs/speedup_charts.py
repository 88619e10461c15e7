"""The speedup lab's charts: time and speedup against workers, reference results, and timelines.

They read the lab's result rows (dicts with ``mode``, ``workers``, ``seconds`` and ``speedup``
summaries) and :class:`~gillab.measure.runners.RunRecord` objects; nothing is measured here.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..measure.timing import fit_amdahl
from ..show.charts import MODE_COLOURS, reference_panel, speedup_chart, timeline
from .figures import DPI, new_figure

__all__ = ["latest_per_config", "amdahl_fit", "speedup_figure", "timelines_figure"]


def latest_per_config(rows) -> list[dict]:
    """The newest row for each (mode, workers), in the order first seen: what a chart draws."""
    latest: dict = {}
    for row in rows:
        latest[(row["mode"], row["workers"])] = row
    return list(latest.values())


def amdahl_fit(rows, effective_cpus: int) -> tuple[str | None, float | None]:
    """``(mode, serial fraction)`` fitted to processes (or else threads) rows with more than one
    worker and no more workers than CPUs (beyond them Amdahl's law does not apply: the extra
    workers only take turns); ``(None, None)`` when there is nothing to fit yet.

    A mode with a slowdown (a speedup below 1 on more than one worker) is not fitted: Amdahl's law
    never predicts one, so a slowdown comes from costs outside the model (starting workers,
    contention for the GIL), not from a large serial fraction."""
    for mode in ("processes", "subinterpreters", "threads"):
        points = [(row["workers"], row["speedup"]["median"]) for row in rows
                  if row["mode"] == mode and row["workers"] <= effective_cpus]
        if _slowdown(points):
            continue
        if any(workers > 1 for workers, _ in points) and all(speed > 0 for _, speed in points):
            return mode, fit_amdahl(*zip(*points, strict=True))
    return None, None


def _slowdown(points) -> bool:
    return any(workers > 1 and speed < 1 for workers, speed in points)


def _time_panel(ax, rows) -> None:
    for mode in ("serial", "threads", "processes", "subinterpreters", "dask"):
        points = sorted((row["workers"], row["seconds"]) for row in rows if row["mode"] == mode)
        if not points:
            continue
        workers = [k for k, _ in points]
        medians = [s["median"] for _, s in points]
        spread = [
            [m - s["min"] for m, (_, s) in zip(medians, points, strict=True)],
            [s["max"] - m for m, (_, s) in zip(medians, points, strict=True)],
        ]
        ax.errorbar(workers, medians, yerr=spread, fmt="o-", color=MODE_COLOURS[mode], capsize=3, label=mode)
    serial = [row["serial_seconds"] for row in rows if row.get("serial_seconds")]
    if serial:
        ax.axhline(serial[-1], color="tab:gray", linestyle=":", linewidth=1, label="serial (latest run)")
    ax.set_xlabel("workers")
    ax.set_ylabel("seconds (median, min-max)")
    ax.set_ylim(bottom=0)
    ax.set_title("Time against workers")
    ax.legend(fontsize="small")


def speedup_figure(rows, effective_cpus: int, references=(), modes=("threads", "processes")):
    """Time and speedup panels for ``rows`` (already one per configuration), and a third panel
    with ``references`` (their results for ``modes``) when given. Returns ``(figure, drawn)``
    where ``drawn`` says what is on it: ``rows``, ``fit_mode``, ``serial_fraction`` and
    ``references`` (label and points each)."""
    rows = list(rows)
    references = list(references)
    figure, axes = new_figure(3 if references else 2, width=14 if references else 11)
    _time_panel(axes[0], rows)
    fit_mode, fraction = amdahl_fit(rows, effective_cpus)
    chart_rows = [{"mode": r["mode"], "workers": r["workers"], "speedup": r["speedup"]["median"]} for r in rows]
    if fit_mode:
        title = f"Speedup (Amdahl fit to {fit_mode}, up to {effective_cpus} workers)"
    elif _slowdown([(row["workers"], row["speedup"]["median"]) for row in rows]):
        title = "Speedup against workers\n(no Amdahl fit: the law never predicts a slowdown)"
    else:
        title = "Speedup against workers"
    speedup_chart(chart_rows, ax=axes[1], serial_fraction=fraction, title=title)
    if max(row["workers"] for row in rows) > effective_cpus:
        axes[1].axhline(
            effective_cpus,
            color="tab:green",
            linestyle="-.",
            linewidth=1,
            label=f"the most {effective_cpus} CPU(s) can give",
        )
        axes[1].legend(fontsize="small")
    drawn_references = (
        reference_panel(axes[2], references, modes=modes, cpu_model_in_labels=False) if references else []
    )
    top = max([row["workers"] for row in rows] + [k for _, points in drawn_references for k, _ in points] + [2])
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0.5, top + 0.5)
    drawn = {"rows": rows, "fit_mode": fit_mode, "serial_fraction": fraction, "references": drawn_references}
    return figure, drawn


def timelines_figure(records):
    """One timeline per record (the last run's parallel configurations), stacked."""
    records = list(records)
    heights = [0.9 + 0.32 * min(record.distinct_threads, 32) for record in records]
    figure = Figure(figsize=(11, min(14, sum(heights) + 0.3)), dpi=DPI, layout="constrained")
    axes = figure.subplots(len(records), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, record in zip(axes, records, strict=True):
        timeline(record, ax=ax)
    return figure
