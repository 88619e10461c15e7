"""The benchmark's goals, checked against a result: met, missed, or not measured (and why).

A missed goal is reported, never raised: a benchmark describes a machine, it does not fail on one.
Medians are compared; ``k`` is the machine's effective CPU count.

>>> result = {"machine": {"effective_cpus": 2}, "io": {"status": "ok", "speedup": {"median": 30.0}}}
>>> [(goal["name"], goal["status"]) for goal in evaluate_goals(result) if goal["name"] == "io"]
[('io', 'met')]
"""

from __future__ import annotations

__all__ = ["evaluate_goals", "GOAL_STATUSES", "QUICK_NOTE", "BUSY_CORES"]

GOAL_STATUSES = ("met", "missed", "not measured", "not judged")
#: A quick run's sizes are too small for goals set for the full run's: shown, never judged.
QUICK_NOTE = "a --quick run: the goal applies to a full run (gillab bench without --quick)"
#: The dask goal is for idle cores: with other programs using more CPUs than this meanwhile it is not judged.
BUSY_CORES = 0.25


def _median(value):
    if isinstance(value, dict):
        value = value.get("median")
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _goal(name, goal, unit, measured, met, note=""):
    status = "not measured" if measured is None else ("met" if met(measured) else "missed")
    return {"name": name, "goal": goal, "unit": unit, "measured": measured, "status": status, "note": note}


def _section(result, name):
    section = result.get(name)
    if not isinstance(section, dict):
        return None, f"{name} was not run"
    if section.get("status", "ok") != "ok":
        return None, section.get("reason") or f"{name}: {section.get('status')}"
    return section, ""


def _speedup_at(section, mode, workers):
    for row in (section or {}).get(mode, []):
        if row["workers"] == workers:
            return _median(row["speedup"])
    return None


def _dask_goal(result: dict, k: int) -> dict:
    section, why = _section(result, "dask")
    goal = _goal("dask x2", ">= 1.60x (2 Dask workers over serial)", "x", _speedup_at(section, "dask", 2),
                 lambda s: s >= 1.6, why)
    others = (section or {}).get("others_cpu_cores")
    if goal["status"] in ("met", "missed"):
        if k < 2:
            goal["status"], goal["note"] = "not judged", f"the goal is for 2 idle cores; this machine has {k}"
        elif others is not None and others > BUSY_CORES:
            goal["status"] = "not judged"
            goal["note"] = (
                f"other programs kept {others:.2f} CPUs busy meanwhile (more than {BUSY_CORES}): "
                "the goal is for idle cores"
            )
        elif others is not None:
            goal["note"] = f"other programs used {others:.2f} CPUs meanwhile"
    return goal


def evaluate_goals(result: dict) -> list[dict]:
    """One entry per goal: ``{"name", "goal", "unit", "measured", "status", "note"}``, in table order;
    ``unit`` says what ``measured`` is: ``"x"`` a speedup, ``"s"`` seconds, ``"fraction"`` a share.
    A quick run's measurements are shown but "not judged": the goals are set for the full sizes."""
    k = result["machine"]["effective_cpus"]
    goals = []

    cpu, why = _section(result, "cpu_sum")
    goals.append(
        _goal(
            f"cpu_sum processes x{k}",
            f">= {0.85 * k:.2f}x (0.85 of ideal {k}x)",
            "x",
            _speedup_at(cpu, "processes", k),
            lambda s: s >= 0.85 * k,
            why or ("one effective CPU: one worker process cannot beat a serial run" if k == 1 else ""),
        )
    )
    interpreters, why = _section(result, "subinterpreters")
    goals.append(
        _goal(
            "subinterpreters x2",
            ">= 1.80x (2 interpreters, 2 idle cores)",
            "x",
            _speedup_at(interpreters, "subinterpreters", 2),
            lambda s: s >= 1.8,
            why or (f"the goal is for 2 idle cores; this machine has {k}" if k != 2 else ""),
        )
    )
    release, why = _section(result, "gil_release")
    goals.append(
        _goal(
            f"gil_release threads x{k}",
            f">= {0.8 * k:.2f}x (0.8 of ideal {k}x)",
            "x",
            _speedup_at(release, "threads", k),
            lambda s: s >= 0.8 * k,
            why,
        )
    )
    io, why = _section(result, "io")
    goals.append(
        _goal("io", ">= 24x (32 threads over serial)", "x", _median((io or {}).get("speedup")), lambda s: s >= 24, why)
    )
    joblib, why = _section(result, "joblib_overhead")
    goals.append(
        _goal(
            "joblib warm call",
            "< 20 ms",
            "s",
            _median((joblib or {}).get("warm_call_s")),
            lambda s: s < 0.020,
            why,
        )
    )

    course, why = _section(result, "course_run_s")
    seconds = course["seconds"] if course and course.get("notebooks") else None
    if course and not course.get("notebooks"):
        why = course.get("reason", "no notebooks")
    goals.append(
        _goal(
            "course_run_s",
            "< 120 s on 2 cores",
            "s",
            seconds,
            lambda s: s < 120,
            why or (f"the goal is for 2 cores; this machine has {k}" if k != 2 else ""),
        )
    )

    goals.append(_dask_goal(result, k))

    grading, why = _section(result, "autograde")
    measured = (grading or {}).get("result", {})
    for name, key, goal, unit, met in (
        (
            "autograde speedup",
            "speedup_vs_nbgrader",
            ">= 1.6x (--jobs 2 over serial nbgrader)",
            "x",
            lambda s: s >= 1.6,
        ),
        ("autograde sandbox+checks", "sandbox_overhead", "<= 10% over neither", "fraction", lambda s: s <= 0.10),
    ):
        note = why or ("" if key in measured else f"the grading benchmark's result has no {key!r}")
        if not note and k != 2:
            note = f"the goal is for 2 cores; this machine has {k}"
        goals.append(_goal(name, goal, unit, _median(measured.get(key)), met, note))
    if result.get("quick"):
        for goal in goals:
            if goal["status"] in ("met", "missed"):
                goal["status"] = "not judged"
                goal["note"] = f"{QUICK_NOTE}; {goal['note']}" if goal["note"] else QUICK_NOTE
    return goals
