"""Three ways around the GIL, side by side: worker processes, subinterpreters, free-threaded threads,
and what each costs: starting a worker, handing it data, the memory a worker adds, and which C
extensions it can use.

Each cost is measured here, by :func:`measure_way`, on the kernel that runs it, when this kernel can
use that way at all: processes everywhere; subinterpreters on Python 3.13+
(:func:`gillab.machine.interpreter.subinterpreter_support`); free-threaded threads only with the GIL
off. For the others :func:`costs` reads what ``scripts/record_three_ways.py`` recorded on an
interpreter that can (``gillab/references/three_ways/``), and says where and when. Nothing here is
typed in from a run.

- start-up: a new worker until it can run the course's code (a process started with this Python's
  default start method and importing ``gillab.measure.workloads``; an interpreter created and
  importing it; a thread started and running);
- handing over 10 MiB of ``bytes``: a thread gets the very object (shared), an interpreter a copy,
  a process a pickled copy through a pipe;
- memory per worker: what 4 waiting workers add (this process's resident memory for threads and
  interpreters; each worker process's proportional share, Pss, for processes);
- extensions: whether ``numpy``, ``hashlib``, ``decimal``, ``sqlite3`` and ``readline`` load in the
  worker (and, free-threaded, whether the GIL stays off once they are loaded).

>>> reason_unavailable("processes") is None
True
>>> "costs" in costs_table([{"way": "processes", "missing": "not measured in this example"}])
True
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from .._validate import require_int
from ..machine.interpreter import free_threaded_build, gil_enabled, subinterpreter_support
from ..machine.procfs import memory_kb
from ..measure.timing import Timing
from ..show.references import read_recordings

__all__ = [
    "WAYS", "EXTENSIONS", "PAYLOAD_BYTES", "SCHEMA", "RECORDINGS", "reason_unavailable", "start_seconds",
    "measure_way", "costs",
    "costs_table", "own_gil_answers", "own_gil_text", "speedups_text", "paired_speedups", "record",
    "load_recordings", "SPEEDUP_N",
]

#: The three ways, in the order the chapter puts them side by side.
WAYS = ("processes", "subinterpreters", "free-threaded threads")
#: The C extensions tried in each kind of worker.
EXTENSIONS = ("numpy", "hashlib", "decimal", "sqlite3", "readline")
#: The data handed to a worker.
PAYLOAD_BYTES = 10 * 2**20
SCHEMA = "gillab-three-ways/1"
#: Where the recordings ship.
RECORDINGS = Path(__file__).resolve().parents[1] / "references" / "three_ways"
_WORKERS_FOR_MEMORY = 4


def reason_unavailable(way: str) -> str | None:
    """Why this kernel cannot use ``way`` (one of :data:`WAYS`), or None when it can."""
    if way not in WAYS:
        raise ValueError(f"way must be one of {', '.join(WAYS)}, got {way!r}")
    if way == "subinterpreters":
        support = subinterpreter_support()
        return None if support.available else support.detail
    if way == "free-threaded threads" and gil_enabled():
        build = "a free-threaded build with its GIL turned back on" if free_threaded_build() else "a standard build"
        return f"this kernel's Python {sys.version.split()[0]} is {build}: its threads share one GIL"
    return None


# --- processes ------------------------------------------------------------------------------------
def _process_ready(connection) -> None:
    import gillab.measure.workloads  # noqa: F401 - what a worker needs before it can work

    connection.send(os.getpid())
    connection.recv()  # wait until told to end (the memory measurement reads it meanwhile)


def _process_length(connection) -> None:
    connection.send(len(connection.recv()))


def start_seconds(way: str, repeats: int = 5) -> list[float]:
    """Seconds from asking for a new worker until it can run the course's code, ``repeats`` times:
    ``way`` is "processes" (this Python's default start method, the worker importing
    ``gillab.measure.workloads``), "subinterpreters" (created, importing it) or "threads" (started
    and running; a thread shares the imports it needs)."""
    repeats = require_int("repeats", repeats, minimum=1, maximum=50)
    if way == "processes":
        return _process_start_and_memory(repeats, memory=False)[0]
    if way == "subinterpreters":
        from ..measure.subinterpreters import interpreter_start_seconds

        return interpreter_start_seconds(repeats)
    if way in ("threads", "free-threaded threads"):
        return _thread_start_seconds(repeats)
    raise ValueError(f"way must be processes, subinterpreters or threads, got {way!r}")


def _thread_start_seconds(repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        running = threading.Event()
        thread = threading.Thread(target=running.set)
        start = time.perf_counter()
        thread.start()
        running.wait(60)
        seconds.append(time.perf_counter() - start)
        thread.join()
    return seconds


def _process_start_and_memory(repeats: int, memory: bool = True) -> tuple[list[float], float | None]:
    context = multiprocessing.get_context()  # this Python's default start method
    seconds, shares = [], []
    workers = []
    for index in range(max(repeats, _WORKERS_FOR_MEMORY if memory else 0)):
        parent, child = context.Pipe()
        process = context.Process(target=_process_ready, args=(child,), daemon=True)
        start = time.perf_counter()
        process.start()
        if not parent.poll(60):
            process.kill()
            raise RuntimeError(f"a worker process ({context.get_start_method()}) did not start within 60 s")
        pid = parent.recv()
        if index < repeats:
            seconds.append(time.perf_counter() - start)
        workers.append((process, parent, pid))
    shares = [memory_kb(pid, "pss") or memory_kb(pid, "rss") or 0 for _, _, pid in workers[:_WORKERS_FOR_MEMORY]]
    for process, parent, _ in workers:
        parent.send("end")
        process.join(10)
    return seconds, (statistics.mean(shares) / 1024 if memory else None)


def _process_passing(payload: bytes) -> float:
    context = multiprocessing.get_context()
    parent, child = context.Pipe()
    process = context.Process(target=_process_length, args=(child,), daemon=True)
    process.start()
    try:
        start = time.perf_counter()
        parent.send(payload)  # pickled, written to the pipe, read and unpickled by the worker
        if not parent.poll(60) or parent.recv() != len(payload):
            raise RuntimeError("the worker process did not get the data")
        return time.perf_counter() - start
    finally:
        process.join(10)


_EXTENSION_PROBE = """
import importlib, json, sys
found = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        found[name] = "loads"
    except Exception as error:
        found[name] = f"refused: {type(error).__name__}: {str(error).strip().splitlines()[-1]}"
print(json.dumps(found))
"""


def _process_extensions() -> dict[str, str]:
    result = subprocess.run([sys.executable, "-c", _EXTENSION_PROBE, *EXTENSIONS], capture_output=True, text=True,
                            timeout=120)
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- subinterpreters --------------------------------------------------------------------------------
def _subinterpreter_costs(repeats: int, payload: bytes) -> dict:
    from ..measure.subinterpreters import interpreter_start_seconds, interpreters_module

    seconds = interpreter_start_seconds(repeats)
    interpreters = interpreters_module()
    before = memory_kb(os.getpid()) or 0
    made = [interpreters.create() for _ in range(_WORKERS_FOR_MEMORY)]
    for interpreter in made:
        interpreter.exec("import gillab.measure.workloads")
    per_worker_mb = ((memory_kb(os.getpid()) or 0) - before) / 1024 / _WORKERS_FOR_MEMORY
    try:
        target = made[0]
        start = time.perf_counter()
        target.prepare_main(DATA=payload)  # bytes cross by copy
        target.exec(f"assert len(DATA) == {len(payload)}")
        passing = time.perf_counter() - start
        extensions = {}
        for name in EXTENSIONS:
            fresh = interpreters.create()  # each in a new interpreter: one refusal must not hide another
            try:
                fresh.exec(f"import {name}")
                extensions[name] = "loads"
            except Exception as error:  # noqa: BLE001 - the refusal is the finding
                message = str(getattr(getattr(error, "excinfo", None), "msg", "") or error)
                extensions[name] = f"refused: {message.strip().splitlines()[-1]}"
            finally:
                fresh.close()
    finally:
        for interpreter in made:
            interpreter.close()
    return {"start_s": seconds, "memory_mb": per_worker_mb, "passing_s": passing, "passing": "copied",
            "extensions": extensions}


# --- threads ----------------------------------------------------------------------------------------
def _thread_costs(repeats: int, payload: bytes) -> dict:
    seconds = _thread_start_seconds(repeats)
    release = threading.Event()
    before = memory_kb(os.getpid()) or 0
    waiting = [threading.Thread(target=release.wait, args=(60,), daemon=True) for _ in range(_WORKERS_FOR_MEMORY)]
    for thread in waiting:
        thread.start()
    per_worker_mb = ((memory_kb(os.getpid()) or 0) - before) / 1024 / _WORKERS_FOR_MEMORY
    release.set()
    for thread in waiting:
        thread.join(60)
    received = []
    start = time.perf_counter()
    thread = threading.Thread(target=received.append, args=(payload,))
    thread.start()
    thread.join()
    passing = time.perf_counter() - start
    if received[0] is not payload:
        raise RuntimeError("the thread did not get the very same object")
    extensions = {}
    for name in EXTENSIONS:
        # a fresh Python per extension: the first one that turns the GIL back on would hide the rest
        code = f"import sys, {name}; print(sys._is_gil_enabled() if hasattr(sys, '_is_gil_enabled') else True)"
        environment = {key: value for key, value in os.environ.items() if key != "PYTHON_GIL"}
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                                env=environment)
        if result.returncode != 0:
            extensions[name] = f"refused: {(result.stderr.strip().splitlines() or ['?'])[-1]}"
        else:
            extensions[name] = "loads, the GIL stays off" if result.stdout.strip() == "False" else (
                "loads, and turns the GIL back on")
    return {"start_s": seconds, "memory_mb": per_worker_mb, "passing_s": passing, "passing": "shared",
            "extensions": extensions}


def measure_way(way: str, repeats: int = 5) -> dict:
    """Measure ``way``'s costs on this kernel (:func:`reason_unavailable` must be None): a dict with
    ``start_s`` (a Timing summary), ``memory_mb``, ``passing_s`` and ``passing`` (shared, copied or
    pickled), ``extensions`` ({name: what happened}), and the Python it was measured on."""
    repeats = require_int("repeats", repeats, minimum=1, maximum=50)
    why = reason_unavailable(way)
    if why is not None:
        raise RuntimeError(f"{way} cannot be measured on this kernel: {why}")
    payload = bytes(PAYLOAD_BYTES)
    if way == "processes":
        seconds, memory = _process_start_and_memory(repeats)
        found = {"start_s": seconds, "memory_mb": memory, "passing_s": _process_passing(payload),
                 "passing": "pickled", "extensions": _process_extensions(),
                 "start_method": multiprocessing.get_context().get_start_method()}
    elif way == "subinterpreters":
        found = _subinterpreter_costs(repeats, payload)
    else:
        found = _thread_costs(repeats, payload)
    found["start_s"] = Timing(tuple(found["start_s"])).summary()
    return {"way": way, **found, **_where()}


def _where() -> dict:
    from ..machine.cpus import cpu_model

    return {
        "python_version": sys.version.split()[0],
        "build": "free-threaded" if free_threaded_build() else "standard",
        "gil_enabled": gil_enabled(),
        "cpu_model": cpu_model(),
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def own_gil_answers() -> dict:
    """The own-GIL probe's answers (:mod:`gillab.probes.own_gil`) for threads and, where this
    Python has them, subinterpreters: ``{kind: {"other_ran": bool, "reads": int}}``."""
    from ..probes.own_gil import other_worker_ran

    answers = {}
    for kind in ("threads", "subinterpreters"):
        if kind == "subinterpreters" and not subinterpreter_support().available:
            continue
        answer = other_worker_ran(kind)
        answers[kind] = {"other_ran": answer.other_ran, "reads": answer.reads}
    return answers


#: The sum the recordings time: 1..SPEEDUP_N in 2 chunks, on 2 workers of each way, paired with serial.
SPEEDUP_N = 4_000_000


def paired_speedups(n: int = SPEEDUP_N, repeats: int = 5) -> dict:
    """The speedup of 2 workers over serial for every way this kernel can use, and for its threads,
    each timed in pairs with a serial run (:func:`gillab.measure.speedup.measure_speedups`):
    ``{mode: {"n", "workers", "serial_s", "speedup", "load_average"}}``."""
    from ..measure.speedup import measure_speedups
    from ..measure.workloads import count_sum

    modes = ["processes", "threads"]
    if reason_unavailable("subinterpreters") is None:
        modes.insert(1, "subinterpreters")
    found = {}
    for mode in modes:
        rows = measure_speedups(count_sum, n=n, configs=[(mode, 2)], repeats=repeats)
        found[mode] = {"n": n, "workers": 2, "serial_s": rows[0]["seconds"], "speedup": rows[1]["speedup"],
                       "load_average": round(os.getloadavg()[0], 2)}
    return found


# --- recordings ---------------------------------------------------------------------------------------
def load_recordings(folder=None) -> list[dict]:
    """Every recording in ``folder`` (default: the shipped ones), oldest first; broken files skipped."""
    return read_recordings(
        folder if folder is not None else RECORDINGS, SCHEMA, lambda data: isinstance(data.get("ways"), dict)
    )


def record(folder=None, repeats: int = 5, speedup_n: int = SPEEDUP_N) -> Path:
    """Measure every way this interpreter can use, the own-GIL answers and the paired speedups (of
    the sum of 1..``speedup_n``), and save them as a recording (what ``scripts/record_three_ways.py``
    runs); returns the file's path."""
    folder = Path(folder) if folder is not None else RECORDINGS
    ways = {way: measure_way(way, repeats) for way in WAYS if reason_unavailable(way) is None}
    where = _where()
    data = {"schema": SCHEMA, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), **where,
            "ways": ways, "own_gil": own_gil_answers(), "speedups": paired_speedups(speedup_n, repeats)}
    build = "ft" if free_threaded_build() else "gil"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{data['date'][:10]}-py{where['python_version']}-{build}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def costs(ways=WAYS, repeats: int = 3, folder=None) -> list[dict]:
    """One entry per way: measured here (``"source": "this kernel"``) when this kernel can use it,
    else the newest recording that has it (``"source"`` says which file), else ``{"way", "missing"}``
    with the reason."""
    entries = []
    for way in ways:
        why = reason_unavailable(way)
        if why is None:
            entries.append({**measure_way(way, repeats), "source": "this kernel"})
            continue
        recorded = [data for data in load_recordings(folder) if way in data["ways"]]
        if recorded:
            newest = recorded[-1]
            entries.append({**newest["ways"][way], "source": f"recorded {newest['date'][:10]} ({newest['file']})",
                            "not_here": why})
        else:
            entries.append({"way": way, "missing": f"not on this kernel ({why}), and no recording ships"})
    return entries


def _recorded_label(data: dict) -> str:
    gil = "GIL on" if data["gil_enabled"] else "GIL off"
    return (f"recorded on Python {data['python_version']} ({data['build']} build, {gil}), {data['cpu_model']}, "
            f"{data['date'][:10]}")


def own_gil_text(kind: str, folder=None) -> str:
    """The own-GIL probe's answer for ``kind`` ("threads" or "subinterpreters") on this kernel, or,
    where this kernel has no subinterpreters, the newest recorded answer, saying where it is from."""
    from ..probes.own_gil import OwnGilAnswer, other_worker_ran

    if kind == "threads" or subinterpreter_support().available:
        return f"this kernel: {other_worker_ran(kind).describe()}"
    recorded = [data for data in load_recordings(folder) if kind in data.get("own_gil", {})]
    if not recorded:
        return f"{kind}: not on this kernel ({subinterpreter_support().detail}), and no recording ships"
    newest = recorded[-1]
    answer = OwnGilAnswer(kind, **newest["own_gil"][kind])
    return f"{_recorded_label(newest)}: {answer.describe()}"


def speedups_text(folder=None) -> str:
    """The paired speedups of 2 workers recorded with subinterpreters, one line per way, each with
    the load average it was recorded at; says so when none ships."""
    from ..show.text import format_summary

    recorded = [data for data in load_recordings(folder) if "subinterpreters" in data.get("speedups", {})]
    if not recorded:
        return "no recording with subinterpreters ships with this copy of the course (scripts/record_three_ways.py)"
    newest = recorded[-1]
    lines = [f"{_recorded_label(newest)}, the sum of 1..{newest['speedups']['subinterpreters']['n']:,}:"]
    for mode, found in newest["speedups"].items():
        lines.append(f"  2 {mode} over serial: {format_summary(found['speedup'], 'x')}, "
                     f"load average {found['load_average']}")
    return "\n".join(lines)


def _extensions_text(extensions: dict) -> str:
    loads = [name for name, what in extensions.items() if what.startswith("loads")]
    refused = [name for name, what in extensions.items() if not what.startswith("loads")]
    gil_back = [name for name, what in extensions.items() if "turns the GIL back on" in what]
    text = f"load: {', '.join(loads) or 'none'}"
    if refused:
        text += f"; refused: {', '.join(refused)}"
    if gil_back:
        text += f"; GIL back on: {', '.join(gil_back)}"
    return text


def costs_table(entries) -> str:
    """The costs of :func:`costs` as a text table, one block per way, with where each came from."""
    from ..show.text import format_summary

    lines = [f"What each way costs (start-up per worker; {PAYLOAD_BYTES // 2**20} MiB of bytes handed over; "
             f"memory per waiting worker, of {_WORKERS_FOR_MEMORY}; C extensions in a worker)"]
    for entry in entries:
        lines.append("")
        if "missing" in entry:
            lines.append(f"{entry['way']}: {entry['missing']}")
            continue
        lines.append(f"{entry['way']}: Python {entry['python_version']} ({entry['build']}, "
                     f"GIL {'on' if entry['gil_enabled'] else 'off'}), {entry['source']}, "
                     f"load average {entry['load_average']}")
        method = f" ({entry['start_method']})" if entry.get("start_method") else ""
        lines.append(f"  start-up{method}: {format_summary(entry['start_s'], 's')}")
        lines.append(f"  handing over the data: {entry['passing']}, {entry['passing_s'] * 1000:.2f} ms")
        lines.append(f"  memory per worker: {entry['memory_mb']:.1f} MB")
        lines.append(f"  C extensions: {_extensions_text(entry['extensions'])}")
        if entry.get("not_here"):
            lines.append(f"  (not measured here: {entry['not_here']})")
    return "\n".join(lines)
