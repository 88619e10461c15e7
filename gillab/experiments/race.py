"""The lost update: threads that read, change and write one shared counter.

``counter.value += 1`` is three steps for the interpreter: read the value, add one, store the
result. The GIL lets only one thread run bytecode at a time, but it may hand over to another
thread between any two bytecodes, so two threads can both read 41 and both store 42: one update
is lost. The GIL protects the interpreter's own bookkeeping, not your program's invariants.

:func:`count_with_threads` runs that race. With ``pause_s > 0`` every update is read, then a short
sleep, then write: the sleep hands the GIL to the other threads at the worst moment (as I/O, a
log line or any call that blocks would), so on every machine the threads overwrite each other
and updates are lost. A ``threading.Lock`` held around the three steps makes the update atomic
again and none is lost. With ``pause_s=0`` the update is a plain ``+=`` with nothing in between,
and whether it loses updates depends on where the interpreter happens to switch threads: not a
guarantee either way.

How often the plain ``+=`` loses updates with the GIL and without it is recorded on real machines
by :func:`record_race` (``scripts/record_race.py`` runs it under each interpreter and saves the
result in ``gillab/references/races/``); :func:`recorded_races` and :func:`describe_race_record`
show those runs on a kernel that cannot make them itself (chapter 06).

>>> unsafe = count_with_threads(n_threads=4, increments=20, use_lock=False)
>>> unsafe.expected, unsafe.lost > 0
(80, True)
>>> safe = count_with_threads(n_threads=4, increments=20, use_lock=True)
>>> safe.final, safe.lost
(80, 0)
"""

from __future__ import annotations

import json
import platform
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .._validate import require_int, require_positive_number
from ..machine.cpus import cpu_model, effective_cpu_count
from ..machine.interpreter import free_threaded_build, gil_enabled
from ..show.references import REFERENCE_FOLDER, read_recordings

__all__ = [
    "Counter", "RaceResult", "add_one", "add_one_with_pause", "count_with_threads", "MAX_PAUSE_S",
    "RACE_SCHEMA", "RACE_FOLDER", "record_race", "save_race_record", "recorded_races", "describe_race_record",
]

#: Longer pauses only make the experiment slower; the race is already certain at 0.5 ms.
MAX_PAUSE_S = 0.01


class Counter:
    """A shared number that threads update in place."""

    def __init__(self, value: int = 0):
        self.value = value


def add_one(counter: Counter) -> None:
    """``counter.value += 1``: read, add, store, with nothing in between."""
    counter.value += 1


def add_one_with_pause(counter: Counter, pause_s: float) -> None:
    """Read the value, sleep ``pause_s`` (other threads run meanwhile), then store value + 1."""
    value = counter.value
    time.sleep(pause_s)  # the GIL is handed over here, between the read and the write
    counter.value = value + 1


@dataclass(frozen=True)
class RaceResult:
    """What the threads should have counted (``expected``), what they did (``final``), the
    difference (``lost``), and how the run was set up."""

    n_threads: int
    increments: int
    use_lock: bool
    pause_s: float
    expected: int
    final: int
    seconds: float

    @property
    def lost(self) -> int:
        return self.expected - self.final

    def __str__(self) -> str:
        guard = "with a lock" if self.use_lock else "without a lock"
        return (
            f"{self.n_threads} threads x {self.increments} increments {guard}: "
            f"expected {self.expected}, got {self.final}, lost {self.lost}"
        )


def count_with_threads(
    n_threads: int = 4, increments: int = 50, use_lock: bool = False, pause_s: float = 0.0005
) -> RaceResult:
    """Start ``n_threads`` threads together, each adding one to a shared counter ``increments``
    times, and report how many updates survived.

    ``pause_s`` is the sleep between each read and its write (0: a plain ``+=``). With
    ``use_lock`` each read-pause-write holds one shared ``threading.Lock``, so the threads queue
    for it and the run takes at least ``n_threads * increments * pause_s`` seconds.
    """
    n_threads = require_int("n_threads", n_threads, minimum=1, maximum=64)
    increments = require_int("increments", increments, minimum=1, maximum=10_000_000)
    pause_s = require_positive_number("pause_s", pause_s, allow_zero=True, maximum=MAX_PAUSE_S)
    if not isinstance(use_lock, bool):
        raise TypeError(f"use_lock must be True or False, got {use_lock!r}")
    if pause_s > 0 and increments * pause_s * (n_threads if use_lock else 1) > 30:
        raise ValueError(
            f"{n_threads} threads x {increments} increments with a {pause_s} s pause would take over 30 s: "
            "use fewer increments or a shorter pause"
        )

    counter = Counter()
    lock = threading.Lock()
    start_together = threading.Barrier(n_threads)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start_together.wait(timeout=30)
            for _ in range(increments):
                if use_lock:
                    with lock:
                        _update(counter, pause_s)
                else:
                    _update(counter, pause_s)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller below
            errors.append(error)

    threads = [threading.Thread(target=work, name=f"counter-{i}", daemon=True) for i in range(n_threads)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return RaceResult(n_threads, increments, use_lock, pause_s, n_threads * increments, counter.value, seconds)


def _update(counter: Counter, pause_s: float) -> None:
    if pause_s > 0:
        add_one_with_pause(counter, pause_s)
    else:
        add_one(counter)


RACE_SCHEMA = "gillab-race/1"
#: Where recorded races ship: beside the benchmark references, in a folder of their own.
RACE_FOLDER = REFERENCE_FOLDER / "races"


def record_race(trials: int = 5, n_threads: int = 4, increments: int = 100_000) -> dict:
    """Run the plain ``+=`` race (no lock, no pause) ``trials`` times on this interpreter and
    return what each trial lost, with the machine and the interpreter it ran on.

    >>> record = record_race(trials=2, n_threads=2, increments=1000)
    >>> record["expected"], len(record["lost"]), record["machine"]["gil_enabled"] in (True, False)
    (2000, 2, True)
    """
    trials = require_int("trials", trials, minimum=1, maximum=100)
    results = [
        count_with_threads(n_threads=n_threads, increments=increments, use_lock=False, pause_s=0) for _ in range(trials)
    ]
    return {
        "schema": RACE_SCHEMA,
        "date": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "machine": {
            "python_version": platform.python_version(),
            "free_threaded_build": free_threaded_build(),
            "gil_enabled": gil_enabled(),
            "switch_interval_s": sys.getswitchinterval(),
            "effective_cpus": effective_cpu_count(),
            "cpu_model": cpu_model(),
        },
        "n_threads": results[0].n_threads,
        "increments": results[0].increments,
        "expected": results[0].expected,
        "lost": [result.lost for result in results],
    }


def save_race_record(record: dict, folder: str | Path | None = None) -> Path:
    """Write ``record`` (from :func:`record_race`) as ``<date>-py<version>-<gil|ft>.json`` in
    ``folder`` (default :data:`RACE_FOLDER`) and return the path."""
    if not isinstance(record, dict) or record.get("schema") != RACE_SCHEMA:
        raise ValueError(f"not a recorded race (expected schema {RACE_SCHEMA!r}): {record!r:.200}")
    folder = Path(folder) if folder is not None else RACE_FOLDER
    machine = record["machine"]
    build = "ft" if machine["free_threaded_build"] else "gil"
    path = folder / f"{record['date'][:10]}-py{machine['python_version']}-{build}.json"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def recorded_races(folder: str | Path | None = None) -> list[dict]:
    """Every recorded race in ``folder`` (default: the shipped ones), GIL-on runs first; unreadable
    files are skipped, so a chapter still runs."""
    records = read_recordings(
        folder if folder is not None else RACE_FOLDER, RACE_SCHEMA, lambda record: isinstance(record.get("lost"), list)
    )
    return sorted(records, key=lambda record: (not record["machine"]["gil_enabled"], record["date"]))


def describe_race_record(record: dict) -> str:
    """One line: the interpreter, whether its GIL was on, and what each trial lost.

    >>> record = {"machine": {"python_version": "3.13.15", "gil_enabled": False, "effective_cpus": 2,
    ...     "cpu_model": "Xeon"}, "date": "2026-12-03T10:00:00+00:00", "n_threads": 4, "increments": 100000,
    ...     "expected": 400000, "lost": [1, 2]}
    >>> print(describe_race_record(record))  # doctest: +ELLIPSIS
    Python 3.13.15, GIL OFF (2 CPUs, Xeon, 2026-12-03): 4 threads x 100,000 plain += lost 1, 2 of 400,000 updates...
    """
    machine = record["machine"]
    lost = ", ".join(f"{count:,}" for count in record["lost"])
    return (
        f"Python {machine['python_version']}, GIL {'ON' if machine['gil_enabled'] else 'OFF'} "
        f"({machine['effective_cpus']} CPUs, {machine['cpu_model']}, {record['date'][:10]}): "
        f"{record['n_threads']} threads x {record['increments']:,} plain += lost {lost} of {record['expected']:,} "
        f"updates in {len(record['lost'])} trials"
    )
