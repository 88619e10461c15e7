"""Plain-text reports for the chapters: how many CPUs count here, and tables of measured results.

Mostly formatting of measurements passed in; :func:`cpu_context` and :func:`machine_load` also take
two quick readings of the machine (its CPU limits, its load average) when not given them.

>>> print(cpu_context(effective_cpus=2, os_cpu_count=8))
Effective CPUs here: 2 (os.cpu_count() reports 8; a quota or an affinity mask limits this Python to 2)
>>> from gillab.measure import Timing
>>> timing_text(Timing((0.0000012, 0.0000011, 0.000003)))
'1.20 µs (min 1.10, max 3.00 µs, 3 runs)'
>>> print(machine_load(effective_cpus=2, load=1.5))
Load average over the last minute: 1.50 (os.getloadavg()), on 2 effective CPUs: other programs seem to be using the CPUs (this kernel's own start counts a little too), so parallel speedups may come out lower than this machine can reach.
>>> print(cpu_context(effective_cpus=1, os_cpu_count=1).splitlines()[1][:24])
Only one CPU is availabl
"""

from __future__ import annotations

import os

from .doctor import one_cpu_note
from .hardware import cpu_limits

__all__ = ["timing_text", "cpu_context", "machine_load", "speedup_table", "delays_table", "argument_costs_table", "break_even_table"]


def _unit(seconds: float) -> tuple[str, float]:
    for unit, scale in (("s", 1.0), ("ms", 1e3), ("µs", 1e6)):
        if seconds >= 1 / scale:
            return unit, scale
    return "µs", 1e6


def _compact(timing) -> str:
    unit, scale = _unit(timing.median)
    return f"{timing.median * scale:.3g} {unit} ({timing.min * scale:.3g}-{timing.max * scale:.3g})"


def timing_text(timing) -> str:
    """A :class:`gillab.measure.Timing` in a unit that suits it (s, ms or µs): median, min, max, runs."""
    unit, scale = _unit(timing.median)
    return (
        f"{timing.median * scale:.2f} {unit} (min {timing.min * scale:.2f}, max {timing.max * scale:.2f} {unit}, "
        f"{len(timing.samples)} runs)"
    )


def cpu_context(effective_cpus: int | None = None, os_cpu_count: int | None = None) -> str:
    """One line with the effective CPU count (measured now unless given), plus the one-CPU note
    (:func:`gillab.doctor.one_cpu_note`) when parallel speedup cannot show."""
    if effective_cpus is None or os_cpu_count is None:
        limits = cpu_limits()
        effective_cpus = limits.effective if effective_cpus is None else effective_cpus
        os_cpu_count = limits.logical if os_cpu_count is None else os_cpu_count
    line = f"Effective CPUs here: {effective_cpus}"
    if os_cpu_count != effective_cpus:
        line += (
            f" (os.cpu_count() reports {os_cpu_count}; a quota or an affinity mask limits this Python "
            f"to {effective_cpus})"
        )
    note = one_cpu_note(effective_cpus)
    return line if note is None else f"{line}\n{note}"


def machine_load(effective_cpus: int | None = None, load: float | None = None) -> str:
    """How busy the machine is (the one-minute load average, measured now unless given), in words.

    Speedups need free CPUs, and the effective CPU count cannot see other programs using them.
    Returns an empty string where the load cannot be read (Windows) or means nothing here (one
    effective CPU: a quota, whose holder does not see the host's load).
    """
    if effective_cpus is None:
        effective_cpus = cpu_limits().effective
    if effective_cpus < 2:
        return ""
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            return ""
    line = f"Load average over the last minute: {load:.2f} (os.getloadavg()), on {effective_cpus} effective CPUs"
    if load >= 0.75:
        return (
            f"{line}: other programs seem to be using the CPUs (this kernel's own start counts a little too), "
            "so parallel speedups may come out lower than this machine can reach."
        )
    return f"{line}: the machine is quiet."


def _spread(summary: dict, scale: float = 1.0, digits: int = 3) -> str:
    return (
        f"{summary['median'] * scale:.{digits}f} ({summary['min'] * scale:.{digits}f}-"
        f"{summary['max'] * scale:.{digits}f})"
    )


def speedup_table(rows) -> str:
    """A table of :func:`gillab.speedup.measure_speedups` rows: median seconds and speedup with
    their min-max range over the repeats, and the result each mode computed."""
    rows = list(rows)
    if not rows:
        raise ValueError("no rows to show: run measure_speedups first")
    lines = [f"{'mode':<10} {'workers':>7}  {'seconds: median (min-max)':<27} {'speedup: median (min-max)':<27} result"]
    for row in rows:
        lines.append(
            f"{row['mode']:<10} {row['workers']:>7}  {_spread(row['seconds']):<27} "
            f"{_spread(row['speedup'], digits=2):<27} {row['result']}"
        )
    repeats = rows[-1]["seconds"]["repeats"]
    lines.append(f"({repeats} timed runs per parallel row, each paired with a serial run made just before it)")
    return "\n".join(lines)


def delays_table(results) -> str:
    """A table of :class:`gillab.convoy.ResponseDelays`: how late the waiting thread woke up."""
    results = list(results)
    if not results:
        raise ValueError("no results to show: run response_delays first")
    lines = [f"{'switch interval':>15} {'busy threads':>12} {'wake-ups':>8} {'median late':>12} {'worst late':>11}"]
    for result in results:
        lines.append(
            f"{result.switch_interval_s * 1000:>12.1f} ms {result.cpu_threads:>12} {len(result.delays):>8} "
            f"{result.median * 1000:>9.2f} ms {result.worst * 1000:>8.2f} ms"
        )
    return "\n".join(lines)


def _size(size_bytes: int) -> str:
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size_bytes >= factor:
            return f"{size_bytes / factor:g} {unit}"
    return f"{size_bytes} B"


def argument_costs_table(costs) -> str:
    """A table of :func:`gillab.process_costs.argument_costs`: median (min-max) of each, in a unit
    that suits it."""
    costs = list(costs)
    if not costs:
        raise ValueError("no costs to show: run argument_costs first")
    workers = costs[0].n_workers
    lines = [
        f"{'argument':>9}  {'pickle.dumps once':<24} {f'to {workers} threads':<24} {f'to {workers} processes':<24}",
    ]
    for cost in costs:
        lines.append(
            f"{_size(cost.size_bytes):>9}  {_compact(cost.pickle):<24} {_compact(cost.threads):<24} "
            f"{_compact(cost.processes):<24}".rstrip()
        )
    lines.append("(median, and min-max, of the repeats)")
    return "\n".join(lines)


def break_even_table(result) -> str:
    """A table of :func:`gillab.process_costs.break_even`, and where processes started to win."""
    lines = [f"{'n':>12} {'serial (median)':>16} {f'{result.n_workers} processes':>14} {'speedup':>8}"]
    for n, speedup, serial_s, parallel_s in result.points:
        lines.append(f"{n:>12,} {serial_s * 1000:>13.2f} ms {parallel_s * 1000:>11.2f} ms {speedup:>7.2f}x")
    if result.first_win is None:
        lines.append(f"Processes did not beat the serial loop at any size measured (up to {result.points[-1][0]:,}).")
    else:
        lines.append(f"Processes first beat the serial loop at n = {result.first_win:,}.")
    return "\n".join(lines)
