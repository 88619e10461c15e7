"""Plain text of measurements: the course's one "median (min-max)" formatter (:func:`format_summary`,
used by the chapters, the labs' tables and the benchmark's table), how many CPUs count here, and
the chapters' tables of measured results.

Mostly formatting of measurements passed in; :func:`cpu_context` and :func:`machine_load` also take
two quick readings of the machine (its CPU limits, its load average) when not given them.

>>> print(cpu_context(effective_cpus=2, os_cpu_count=8))
Effective CPUs here: 2 (os.cpu_count() reports 8; a quota or an affinity mask limits this Python to 2)
>>> from gillab.measure.timing import Timing
>>> timing_text(Timing((0.0000012, 0.0000011, 0.000003)))
'1.2 µs (1.1-3.0 µs, 3 runs)'
>>> format_seconds(0.0041), format_seconds(2.5)
('4.1 ms', '2.50 s')
>>> format_summary({"median": 1.72, "min": 1.6, "max": 1.8, "repeats": 5}, "x")
'1.72x (1.60-1.80, 5 runs)'
>>> format_summary({"median": 0.0084, "min": -0.0436, "max": 0.0547, "repeats": 5}, "fraction", runs=False)
'0.8% (-4.4% to 5.5%)'
>>> print(machine_load(effective_cpus=2, load=1.5)[:90])
Load average over the last minute: 1.50 (os.getloadavg()), on 2 effective CPUs: other prog
>>> print(cpu_context(effective_cpus=1, os_cpu_count=1).splitlines()[1][:24])
Only one CPU is availabl
"""

from __future__ import annotations

import os

from ..machine.cpus import cpu_limits, one_cpu_note

__all__ = [
    "format_seconds",
    "format_value",
    "format_summary",
    "timing_text",
    "cpu_context",
    "machine_load",
    "speedup_table",
    "delays_table",
    "argument_costs_table",
    "break_even_table",
]


_SECOND_UNITS = (("s", 1.0, 2), ("ms", 1e3, 1), ("µs", 1e6, 1), ("ns", 1e9, 0))


def _second_unit(seconds: float) -> tuple[str, float, int]:
    for unit, scale, digits in _SECOND_UNITS:
        if abs(seconds) * scale >= 1:
            return unit, scale, digits
    return _SECOND_UNITS[-1]


def format_seconds(seconds: float) -> str:
    """Seconds in a unit that keeps them readable: ``2.50 s``, ``4.1 ms``, ``12.0 µs``, ``400 ns``."""
    unit, scale, digits = _second_unit(seconds)
    return f"{seconds * scale:.{digits}f} {unit}"


def format_value(value: float, unit: str) -> str:
    """One number: ``"s"`` seconds (:func:`format_seconds`), ``"x"`` a speedup (``1.72x``),
    ``"fraction"`` a share in percent (``0.8%``)."""
    if unit == "s":
        return format_seconds(value)
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "fraction":
        return f"{value * 100:.1f}%"
    raise ValueError(f"unit must be 's', 'x' or 'fraction', got {unit!r}")


def format_summary(summary: dict, unit: str = "s", runs: bool = True) -> str:
    """``median (min-max, N runs)`` of a :meth:`gillab.measure.timing.Timing.summary` dict.

    ``unit`` is ``"s"`` (seconds, min and max in the median's unit), ``"x"`` (a speedup) or
    ``"fraction"`` (a share, shown in percent; its range says "to", since it may be negative).
    One run shows only its value; ``runs=False`` leaves the count out.
    """
    median, low, high, repeats = summary["median"], summary["min"], summary["max"], summary["repeats"]
    if unit == "s":
        name, scale, digits = _second_unit(median)
        value = f"{median * scale:.{digits}f} {name}"
        spread = f"{low * scale:.{digits}f}-{high * scale:.{digits}f} {name}"
    elif unit == "fraction":
        value, spread = format_value(median, unit), f"{format_value(low, unit)} to {format_value(high, unit)}"
    else:
        value, spread = format_value(median, unit), f"{low:.2f}-{high:.2f}"
    if repeats == 1:
        return value
    return f"{value} ({spread}{f', {repeats} runs' if runs else ''})"


def timing_text(timing) -> str:
    """A :class:`gillab.measure.timing.Timing` as :func:`format_summary` writes seconds."""
    return format_summary(timing.summary(), "s")


def cpu_context(effective_cpus: int | None = None, os_cpu_count: int | None = None) -> str:
    """One line with the effective CPU count (measured now unless given), plus the one-CPU note
    (:func:`gillab.machine.cpus.one_cpu_note`) when parallel speedup cannot show."""
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


def speedup_table(rows) -> str:
    """A table of :func:`gillab.measure.speedup.measure_speedups` rows: median seconds and speedup with
    their min-max range over the repeats, and the result each mode computed."""
    rows = list(rows)
    if not rows:
        raise ValueError("no rows to show: run measure_speedups first")
    lines = [f"{'mode':<10} {'workers':>7}  {'seconds: median (min-max)':<27} {'speedup: median (min-max)':<27} result"]
    for row in rows:
        lines.append(
            f"{row['mode']:<10} {row['workers']:>7}  {format_summary(row['seconds'], runs=False):<27} "
            f"{format_summary(row['speedup'], 'x', runs=False):<27} {row['result']}"
        )
    repeats = rows[-1]["seconds"]["repeats"]
    lines.append(f"({repeats} timed runs per parallel row, each paired with a serial run made just before it)")
    return "\n".join(lines)


def delays_table(results) -> str:
    """A table of :class:`gillab.experiments.convoy.ResponseDelays`: how late the waiting thread woke up."""
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
    """A table of :func:`gillab.experiments.process_costs.argument_costs`: median (min-max) of each, in a unit
    that suits it."""
    costs = list(costs)
    if not costs:
        raise ValueError("no costs to show: run argument_costs first")
    workers = costs[0].n_workers
    lines = [
        f"{'argument':>9}  {'pickle.dumps once':<30} {f'to {workers} threads':<30} {f'to {workers} processes':<30}",
    ]
    for cost in costs:
        lines.append(
            f"{_size(cost.size_bytes):>9}  {timing_text(cost.pickle):<30} {timing_text(cost.threads):<30} "
            f"{timing_text(cost.processes):<30}".rstrip()
        )
    lines.append("(median, and min-max, of the repeats)")
    return "\n".join(lines)


def break_even_table(result) -> str:
    """A table of :func:`gillab.experiments.process_costs.break_even`, and its break-even size."""
    lines = [f"{'n':>12} {'serial (median)':>16} {f'{result.n_workers} processes':>14} {'speedup':>8}"]
    for n, speedup, serial_s, parallel_s in result.points:
        lines.append(f"{n:>12,} {serial_s * 1000:>13.2f} ms {parallel_s * 1000:>11.2f} ms {speedup:>7.2f}x")
    if result.n is None:
        lines.append(f"Processes did not beat the serial loop at the largest size measured ({result.points[-1][0]:,}).")
    else:
        lines.append(f"Break-even: processes beat the serial loop at every size measured from n = {result.n:,} on.")
    return "\n".join(lines)
