"""Charts of runs: a timeline of which worker made progress when, and speedup against workers.

Every function draws on a matplotlib ``Axes`` it is given (or a new figure) and returns the Axes,
so notebooks and labs can place charts side by side. They only read :class:`~gillab.runners.RunRecord`
objects and plain numbers; nothing is measured here.
"""

from __future__ import annotations

from .measure import amdahl_speedup

__all__ = ["timeline", "speedup_chart"]

_COLOURS = {"serial": "tab:gray", "threads": "tab:red", "processes": "tab:blue"}
_ROW_NAMES = {"serial": "main", "threads": "thread", "processes": "process"}


def _axes(ax, size=(8, 3)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def timeline(record, ax=None, title: str | None = None):
    """One row per worker; a bar for each chunk from start to end, a tick mark at each progress tick.

    Under the GIL, threads' bars overlap in time but their ticks interleave (they take turns);
    processes' ticks advance side by side. Times are seconds since the run's first start.
    """
    ax = _axes(ax, size=(8, 0.5 + 0.45 * max(1, record.workers)))
    if not record.spans:
        raise ValueError("the record has no spans to draw")
    origin = min(span.start for span in record.spans)
    rows = sorted({(span.pid, span.thread_id) for span in record.spans}, key=lambda key: min(
        s.start for s in record.spans if (s.pid, s.thread_id) == key))
    row_of = {key: index for index, key in enumerate(rows)}
    colour = _COLOURS.get(record.mode, "tab:green")
    for span in record.spans:
        row = row_of[(span.pid, span.thread_id)]
        ax.broken_barh([(span.start - origin, max(span.seconds, 1e-6))], (row - 0.35, 0.7), color=colour, alpha=0.35)
        if span.ticks:
            ax.plot([tick - origin for tick in span.ticks], [row] * len(span.ticks), "|", color=colour, markersize=12)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{_ROW_NAMES.get(record.mode, record.mode)} {i}" for i in range(len(rows))])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel("seconds since start")
    ax.set_title(title or f"{record.mode}: {record.workers} worker(s), {record.wall_s:.2f} s")
    return ax


def speedup_chart(rows, ax=None, serial_fraction: float | None = None, title: str = "Speedup against workers"):
    """Speedup against workers, one line per mode, with the ideal line and an optional Amdahl curve.

    ``rows`` are dicts with ``mode``, ``workers`` and ``speedup`` (as the labs' results tables hold).
    """
    ax = _axes(ax, size=(5, 3.5))
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
        ax.plot(*zip(*points), "o-", color=_COLOURS.get(mode, "tab:green"), label=mode)
    ax.set_xlabel("workers")
    ax.set_ylabel("speedup over serial")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax
