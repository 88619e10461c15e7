"""The benchmark result as a plain-text table: what ``gillab bench`` prints. Every "median (min-max)"
comes from :func:`gillab.show.text.format_summary`, as in the chapters and labs."""

from __future__ import annotations

from ..machine.cpus import one_cpu_note
from ..show.text import format_seconds, format_summary, format_value

__all__ = ["format_table", "format_goals"]


def _not_run(name: str, section: dict) -> list[str] | None:
    # a course run whose notebooks failed still has its per-notebook lines to show
    if section.get("status", "ok") == "ok" or section.get("per_notebook"):
        return None
    return [f"{name}: {section['status'].upper()}: {section.get('reason', '')}"]


def _scaling(name: str, section: dict, modes) -> list[str]:
    lines = [
        f"{name}: {section['workload']} over 1..{section['n']:,}, serial {format_summary(section['serial_s'], 's')}"
        + ("" if section["results_agree"] else "   RESULTS DISAGREE: a parallel run summed wrongly")
    ]
    header = "  workers  " + "".join(f"{mode + ' speedup':<36}" for mode in modes)
    lines.append(header.rstrip())
    workers = [row["workers"] for row in section[modes[0]]]
    for index, count in enumerate(workers):
        cells = []
        for mode in modes:
            row = section[mode][index]
            where = " (in this process)" if mode == "processes" and row["ran_in_caller_process"] else ""
            cells.append(f"{format_summary(row['speedup'], 'x') + where:<36}")
        lines.append(f"  {count:<9}" + "".join(cells).rstrip())
    return lines


def _subinterpreters(section: dict) -> list[str]:
    lines = _scaling("subinterpreters", section, ("subinterpreters",))
    lines[0] += f"; {section['source']}"
    starts = section["start_s"]
    lines.append(
        "  start-up of one worker: "
        + ", ".join(f"{way} {format_summary(starts[way], 's')}" for way in ("threads", "subinterpreters", "processes"))
        + f" ({starts['start_method']})"
    )
    for kind, answer in section["own_gil"].items():
        verdict = "yes" if answer["other_ran"] else "no"
        lines.append(f"  own GIL (no timing): while one worker held its GIL in C, another {kind[:-1]} ran: {verdict}")
    return lines


def _io(section: dict) -> list[str]:
    return [
        f"io: {section['requests']} requests at {format_seconds(section['latency_s'])} latency: serial "
        f"{format_summary(section['serial_s'], 's')}, {section['threads']} threads "
        f"{format_summary(section['threaded_s'], 's')}",
        f"  speedup {format_summary(section['speedup'], 'x')}; at most {section['max_in_flight']} requests in the "
        "server at once",
    ]


def _overhead(section: dict) -> list[str]:
    return [
        f"joblib_overhead ({section['workers']} workers): cold start {format_summary(section['cold_start_s'], 's')}, "
        f"warm call {format_summary(section['warm_call_s'], 's')}"
    ]


def _break_even(section: dict) -> list[str]:
    points = ", ".join(f"{point['n']:,}: {point['speedup']['median']:.2f}x" for point in section["points"])
    if section["n"] is None:
        longest = format_seconds(section["max_serial_s"])
        head = f"break_even_n ({section['workers']} processes): not reached up to a serial run of {longest}"
    else:
        low = section["bracket"][0]
        between = f" (between {low:,} and {section['n']:,})" if low is not None else ""
        head = f"break_even_n ({section['workers']} processes): n = {section['n']:,}{between}"
    return [head, f"  median speedup by n: {points}"]


def _dask(section: dict) -> list[str]:
    lines = [
        f"dask: count_sum over 1..{section['n']:,} in {section['workers']} chunks, serial "
        f"{format_summary(section['serial_s'], 's')}"
        + ("" if section["results_agree"] else "   RESULTS DISAGREE: a parallel run summed wrongly")
    ]
    for mode, name in (("dask", "Dask workers"), ("processes", "joblib processes, same run")):
        for row in section.get(mode, []):
            lines.append(f"  {row['workers']} {name}: speedup {format_summary(row['speedup'], 'x')}")
    if "dask_over_processes" in section:
        lines.append(
            f"  joblib's time over Dask's, round by round: {format_summary(section['dask_over_processes'], 'x')}"
        )
    others = section.get("others_cpu_cores")
    lines.append(
        f"  per task, {format_summary(section['per_task_s'], 's')} in a batch; a round trip "
        f"{format_summary(section['round_trip_s'], 's')}"
        + ("" if others is None else f"; other programs used {others:.2f} CPUs meanwhile")
    )
    return lines


def _course(section: dict) -> list[str]:
    if not section["notebooks"]:
        return [f"course_run_s: no notebooks ({section.get('reason', '')})"]
    lines = [
        f"course_run_s: {section['notebooks']} notebooks in {format_seconds(section['seconds'])} ({section['status']})"
    ]
    for entry in section["per_notebook"]:
        error = f"  {entry['error']}" if entry.get("error") else ""
        lines.append(f"  {entry['name']:<45} {format_seconds(entry['seconds']):>10}  {entry['status']}{error}")
    return lines


def _autograde_unit(key: str) -> str:
    if "speedup" in key:
        return "x"
    return "fraction" if key.endswith("overhead") else "s"


def _autograde(section: dict) -> list[str]:
    lines = [f"autograde: {section['assignment']}, {section['submissions']} submissions"]
    for key, value in section["result"].items():
        if isinstance(value, (int, float, str)) or (isinstance(value, dict) and "median" in value):
            shown = format_summary(value, _autograde_unit(key)) if isinstance(value, dict) else value
            lines.append(f"  {key}: {shown}")
    seconds = section["result"].get("seconds", {})
    if all(isinstance(summary, dict) and "median" in summary for summary in seconds.values()):
        for mode, summary in seconds.items():
            lines.append(f"  seconds, {mode}: {format_summary(summary, 's')}")
    return lines


def _goals(goals: list[dict]) -> list[str]:
    lines = ["Goals (a missed goal is reported, not an error)", f"  {'goal':<26}{'target':<42}{'measured':<12}status"]
    for goal in goals:
        measured = "-" if goal["measured"] is None else format_value(goal["measured"], goal["unit"])
        note = f"  ({goal['note']})" if goal["note"] else ""
        lines.append(f"  {goal['name']:<26}{goal['goal']:<42}{measured:<12}{goal['status'].upper()}{note}")
    return lines


_SECTIONS = [
    ("cpu_sum", lambda section: _scaling("cpu_sum", section, ("threads", "processes"))),
    ("subinterpreters", _subinterpreters),
    ("gil_release", lambda section: _scaling("gil_release", section, ("threads",))),
    ("io", _io),
    ("joblib_overhead", _overhead),
    ("break_even_n", _break_even),
    ("dask", _dask),
    ("course_run_s", _course),
    ("autograde", _autograde),
]


def _header(result: dict) -> list[str]:
    machine = result["machine"]
    lines = [
        f"GIL Lab benchmark, {result['settings']['name']} run, {result['date'][:19]} UTC, "
        f"took {format_seconds(result['duration_s'])}",
        f"Python {machine['python_version']} ({machine['build']}, GIL {'on' if machine['gil_enabled'] else 'off'}); "
        f"os.cpu_count() {machine['os_cpu_count']}, effective CPUs {machine['effective_cpus']}; {machine['cpu_model']}",
    ]
    if result["settings"]["name"] == "quick":
        lines.append("Quick run: small sizes, numbers and goals are indicative only.")
    note = one_cpu_note(machine["effective_cpus"])
    if note:
        lines.append(note)
    return lines


def format_table(result: dict) -> str:
    """Every section of a benchmark ``result`` and its goals, as lines of text."""
    lines = _header(result)
    for name, formatter in _SECTIONS:
        section = result.get(name)
        if section is None:
            continue
        lines.append("")
        lines += _not_run(name, section) or formatter(section)
    lines.append("")
    lines += _goals(result["goals"])
    return "\n".join(lines)


def format_goals(result: dict) -> str:
    """The short form of a benchmark ``result``: which run on which machine, and each goal with what
    was measured (the README shows the shipped references this way)."""
    return "\n".join(_header(result) + [""] + _goals(result["goals"]))
