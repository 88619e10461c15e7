"""One benchmark run: every section in turn, a failure in one recorded without losing the others.

>>> print(*SECTIONS)
cpu_sum subinterpreters gil_release io joblib_overhead break_even_n dask course_run_s autograde
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from .. import __version__
from ..machine.doctor import collect_facts
from ..measure.timing import time_call
from ..show.references import SCHEMA
from .bench_settings import BenchSettings
from .break_even_search import find_break_even
from .course_run import run_course
from .dask_speedup import measure_dask
from .fetching import measure_io
from .goals import evaluate_goals
from .grading_section import measure_autograde
from .joblib_overhead import measure_joblib_overhead, process_workers
from .scaling import measure_scaling
from .subinterpreter_scaling import measure_subinterpreters

__all__ = ["run_benchmark", "SECTIONS", "SECTION_STATUSES"]

SECTIONS = (
    "cpu_sum", "subinterpreters", "gil_release", "io", "joblib_overhead", "break_even_n", "dask", "course_run_s",
    "autograde",
)
#: ``status`` of a section: measured; not run on request; its code is not installed; it raised;
#: the course has no notebooks yet. A section without "ok" has a ``reason``.
SECTION_STATUSES = ("ok", "skipped", "not available", "failed", "no notebooks")


def _measurements(settings: BenchSettings, effective_cpus: int, course_folder):
    repeats, workers = settings.repeats, process_workers(effective_cpus)
    return {
        "cpu_sum": lambda progress: measure_scaling(
            "count_sum", ("threads", "processes"), effective_cpus, settings.target_s, repeats, progress
        ),
        "subinterpreters": lambda progress: measure_subinterpreters(
            effective_cpus, settings.target_s, repeats, progress
        ),
        "gil_release": lambda progress: measure_scaling(
            "hash_blocks", ("threads",), effective_cpus, settings.target_s, repeats, progress
        ),
        "io": lambda progress: measure_io(
            settings.io_requests, settings.io_latency_s, settings.io_threads, repeats, progress
        ),
        "joblib_overhead": lambda progress: measure_joblib_overhead(workers, repeats, progress),
        "break_even_n": lambda progress: find_break_even(workers, settings.break_even_max_s, repeats, progress),
        "dask": lambda progress: measure_dask(settings.target_s, repeats, progress),
        "course_run_s": lambda progress: run_course(course_folder, progress),
        "autograde": lambda progress: measure_autograde(settings.autograde_quick, on_progress=progress),
    }


def _attempt(measure, progress):
    try:
        section = measure(progress)
    except Exception as error:  # noqa: BLE001 - one broken section must not lose the others' numbers
        return {"status": "failed", "reason": f"{type(error).__name__}: {error}"}
    return {"status": "ok", **section}


def run_benchmark(settings: BenchSettings, course_folder=None, skip=(), on_progress=None) -> dict:
    """Measure every section of :data:`SECTIONS` not in ``skip`` and return the result.

    The result is in the reference schema (:mod:`gillab.show.references`): ``schema``, ``date`` (UTC),
    ``machine`` (:func:`gillab.machine.doctor.collect_facts`), ``gillab_version``, ``settings``, one entry
    per section (each with ``status`` and ``elapsed_s``), ``duration_s`` and ``goals``.
    ``on_progress(section, done, total, label)`` is called as the work goes on (``total`` may be
    None when not known in advance).
    """
    unknown = sorted(set(skip) - set(SECTIONS))
    if unknown:
        raise ValueError(f"unknown section(s) to skip: {', '.join(unknown)}; the sections are {', '.join(SECTIONS)}")
    machine = collect_facts()
    result = {
        "schema": SCHEMA,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
        "gillab_version": __version__,
        "argv": sys.argv[1:],
        "quick": settings.name == "quick",
        "settings": settings.as_dict(),
    }
    measurements = _measurements(settings, machine["effective_cpus"], course_folder)
    for name in SECTIONS:
        if name in skip:
            result[name] = {"status": "skipped", "reason": "left out with --skip", "elapsed_s": 0.0}
            continue

        def progress(done, total, label, name=name):
            if on_progress is not None:
                on_progress(name, done, total, label)

        progress(0, None, "starting")
        timing = time_call(_attempt, measurements[name], progress, repeats=1, warmup=0)
        result[name] = {**timing.result, "elapsed_s": timing.median}
    result["duration_s"] = sum(result[name]["elapsed_s"] for name in SECTIONS)
    result["goals"] = evaluate_goals(result)
    return result
