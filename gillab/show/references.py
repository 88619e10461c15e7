"""Reference results: benchmark runs recorded on real machines, drawn beside a learner's own.

On one effective CPU (as on mybinder.org) a learner cannot see parallel speedup, so the chapters and
labs show what the same experiment did elsewhere. Every reference is a file written by
``gillab bench --save-reference`` (never typed in), shipped in ``gillab/references/``, holding
the machine, the date, the Python version and build beside the numbers.

The file format (``"schema": "gillab-bench/1"``), the parts the course reads::

    {"schema": "gillab-bench/1", "date": "2026-11-25T10:00:00+00:00",
     "machine": {"python_version": "3.11.7", "build": "standard (with GIL)", "gil_enabled": true,
                 "os_cpu_count": 2, "effective_cpus": 2, "cpu_model": "...", "platform": "..."},
     "cpu_sum": {"n": 20000000, "serial_s": {"median": .., "min": .., "max": .., "repeats": 5},
                 "threads":   [{"workers": 1, "seconds": {...}, "speedup": {...}}, ...],
                 "processes": [{"workers": 1, "seconds": {...}, "speedup": {...}}, ...]},
     ...}

where each ``{...}`` is a :meth:`gillab.measure.timing.Timing.summary`-shaped dict (median, min, max,
repeats). Other sections (``gil_release``, ``io``, ...) are described by ``gillab.bench``.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = [
    "SCHEMA",
    "REFERENCE_FOLDER",
    "load_references",
    "read_recordings",
    "validate_reference",
    "save_reference",
    "speedup_points",
    "speedup_summary",
    "recorded_speedup",
    "describe",
]

SCHEMA = "gillab-bench/1"
REFERENCE_FOLDER = Path(__file__).resolve().parents[1] / "references"
_MACHINE_KEYS = ("python_version", "build", "gil_enabled", "os_cpu_count", "effective_cpus", "cpu_model")


def validate_reference(data: dict, source: str = "reference") -> dict:
    """Return ``data`` if it has the schema tag, a date and the machine facts; raise ValueError."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"{source}: not a GIL Lab benchmark result (expected schema {SCHEMA!r})")
    if not isinstance(data.get("date"), str):
        raise ValueError(f"{source}: has no date")
    machine = data.get("machine")
    missing = [key for key in _MACHINE_KEYS if not isinstance(machine, dict) or key not in machine]
    if missing:
        raise ValueError(f"{source}: machine facts missing: {', '.join(missing)}")
    return data


def read_recordings(folder: str | Path, schema: str, keep=None) -> list[dict]:
    """Every JSON file in ``folder`` whose ``"schema"`` is ``schema`` and that ``keep(data)`` (if
    given) accepts, each with a ``"file"`` key naming it, oldest ``"date"`` first.

    The one reader of every kind of recording the course ships (benchmark references, races, the
    three ways, cluster runs). A file that cannot be read or parsed, or that fails ``keep``, is
    skipped, not fatal: a chapter must still run.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.json").write_text('{"schema": "x/1", "date": "2026-12-01"}')
    >>> _ = (folder / "b.json").write_text('{broken')
    >>> [data["file"] for data in read_recordings(folder, "x/1")]
    ['a.json']
    """
    found = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("schema") == schema and (keep is None or keep(data)):
            found.append({**data, "file": path.name})
    return sorted(found, key=lambda data: str(data.get("date", "")))


def load_references(folder: str | Path | None = None) -> list[dict]:
    """Every valid reference file in ``folder`` (default: the shipped ones), oldest first.

    A broken file is skipped, not fatal: a chapter must still run. Each result gets a ``"file"``
    key naming where it came from.
    """
    return read_recordings(folder if folder is not None else REFERENCE_FOLDER, SCHEMA, _is_reference)


def _is_reference(data: dict) -> bool:
    try:
        validate_reference(data)
    except ValueError:
        return False
    return True


def save_reference(result: dict, folder: str | Path | None = None, name: str | None = None) -> Path:
    """Write a benchmark ``result`` as a reference file and return its path.

    The name defaults to ``<date>-<cpus>cpu-<python>-<build>.json`` so references sort by date and
    say at a glance where they came from.
    """
    result = validate_reference(result, "result")
    folder = Path(folder) if folder is not None else REFERENCE_FOLDER
    machine = result["machine"]
    if name is None:
        build = "ft" if machine.get("free_threaded_build") else "gil"
        name = f"{result['date'][:10]}-{machine['effective_cpus']}cpu-py{machine['python_version']}-{build}.json"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({k: v for k, v in result.items() if k != "file"}, indent=2) + "\n")
    return path


def speedup_points(reference: dict, mode: str, section: str = "cpu_sum") -> list[tuple[int, float]]:
    """``[(workers, median speedup), ...]`` for ``mode`` ("threads", "processes", "subinterpreters")
    in ``section``. Subinterpreters are measured in a section of their own (``gillab bench``'s
    ``subinterpreters``, the same sum): asked for in ``cpu_sum``, they are found there."""
    rows = reference.get(section, {}).get(mode) or []
    if not rows and mode == "subinterpreters" and section == "cpu_sum":
        rows = reference.get("subinterpreters", {}).get("subinterpreters") or []
    return [(row["workers"], row["speedup"]["median"]) for row in rows if "speedup" in row]


def speedup_summary(reference: dict, mode: str, workers: int, section: str = "cpu_sum") -> dict | None:
    """The speedup summary (median, min, max, repeats) of ``mode`` on ``workers`` in ``section``, or None."""
    for row in reference.get(section, {}).get(mode, []):
        if row.get("workers") == workers and "speedup" in row:
            return row["speedup"]
    return None


def recorded_speedup(section: str, mode: str, workers: int, gil_enabled: bool | None = None, folder=None) -> str:
    """One line quoting the newest shipped reference (recorded with the GIL on or off, as
    ``gil_enabled`` asks) that measured ``mode`` on ``workers`` in ``section``: its speedup,
    median (min-max), and where and when it was recorded. Says so plainly when none has it.

    >>> recorded_speedup("gil_release", "threads", 2, gil_enabled=True)  # doctest: +ELLIPSIS
    'recorded: 2 threads over one, speedup ...x (...-..., 5 runs), on ..., Python ... (GIL on), ...'
    """
    from .text import format_summary  # here: text's formatters import nothing of this module

    candidates = [
        reference
        for reference in load_references(folder)
        if (gil_enabled is None or bool(reference["machine"]["gil_enabled"]) == gil_enabled)
        and speedup_summary(reference, mode, workers, section) is not None
    ]
    if not candidates:
        return f"no shipped reference result has {mode} on {workers} workers in {section!r}"
    reference = candidates[-1]
    summary = speedup_summary(reference, mode, workers, section)
    return f"recorded: {workers} {mode} over one, speedup {format_summary(summary, 'x')}, on {describe(reference)}"


def describe(reference: dict, cpu_model: bool = True) -> str:
    """A one-line label: machine, CPUs, Python and build, date (``cpu_model=False`` leaves the
    CPU model out, for a chart that names it once in its title)."""
    machine = reference["machine"]
    gil = "GIL on" if machine["gil_enabled"] else "GIL off"
    where = f"{machine['cpu_model']}, " if cpu_model else ""
    return (
        f"{where}{machine['effective_cpus']} effective CPUs, Python {machine['python_version']} "
        f"({gil}), {reference['date'][:10]}"
    )
