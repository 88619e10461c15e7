"""What this machine and this Python can show about the GIL: ``gillab doctor``.

>>> facts = collect_facts()
>>> facts["effective_cpus"] >= 1 and facts["os_cpu_count"] >= 1
True
"""

from __future__ import annotations

import json
import platform
import shutil
import sys

from .cpus import cpu_limits, cpu_model, one_cpu_note
from .interpreter import (
    default_start_method,
    free_threaded_build,
    gil_enabled,
    gil_switch,
    process_cpu_count,
    start_method,
    subinterpreter_support,
)

__all__ = ["collect_facts", "format_facts", "show", "main", "add_parser"]

# what an instructor's or a developer's machine needs besides Python (the browser tests, sandboxed
# grading); a learner never does, so the chapter's report leaves them out
_TOOLS = {"chromium": ("chromium", "chromium-browser", "google-chrome"), "bwrap": ("bwrap",)}


def _gil_state(facts: dict) -> str:
    if not facts["gil_enabled"]:
        return "DISABLED: threads can run Python in parallel"
    if not facts["free_threaded_build"]:
        return "enabled"
    # a free-threaded build turns the GIL back on when asked to, or for good when it imports an
    # extension module that does not declare itself safe without it (with a RuntimeWarning)
    why = (
        f"{facts['gil_switch']} turned it on"
        if facts.get("gil_switch")
        else "an extension module that needs it turned it back on"
    )
    return f"enabled, although this build is free-threaded: {why}"


def _start_method(facts: dict) -> str:
    default = facts.get("default_start_method", facts["start_method"])
    if facts["start_method"] == default:
        return f"{default} (multiprocessing; the default of Python {facts['python_version']} here)"
    return f"{facts['start_method']} (multiprocessing; set by this program, the default here is {default})"


def _process_cpu_count(facts: dict) -> str:
    count = facts.get("process_cpu_count")
    if count is None:
        return f"absent (os.process_cpu_count() arrived in Python 3.13; this is {facts['python_version']})"
    return f"{count} (os.process_cpu_count(): the affinity's CPUs; like os.cpu_count() it ignores a CPU quota)"


def _subinterpreters(facts: dict) -> str:
    found = facts.get("subinterpreters") or {}
    if found.get("source") == "none":
        return f"NOT AVAILABLE: {found['detail']}"
    return found.get("detail", "unknown")


def collect_facts(root: str = "/") -> dict:
    """Every fact ``gillab doctor`` reports, as a JSON-ready dict. ``root`` is for tests."""
    limits = cpu_limits(root)
    support = subinterpreter_support()
    try:
        import joblib

        joblib_cpus = joblib.cpu_count()
    except Exception:  # noqa: BLE001 - a missing or broken joblib is itself a fact to report
        joblib_cpus = None
    return {
        "python_version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "build": "free-threaded" if free_threaded_build() else "standard (with GIL)",
        "free_threaded_build": free_threaded_build(),
        "gil_enabled": gil_enabled(),
        "gil_switch": gil_switch(),
        "switch_interval_s": sys.getswitchinterval(),
        "start_method": start_method(),
        "default_start_method": default_start_method(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "os_cpu_count": limits.logical,
        "process_cpu_count": process_cpu_count(),
        "affinity_cpus": limits.affinity,
        "cgroup_cpu_quota": limits.quota,
        "effective_cpus": limits.effective,
        "joblib_cpu_count": joblib_cpus,
        "subinterpreters": {"source": support.source, "detail": support.detail, "own_gil": support.own_gil},
        "tools": {name: next(filter(None, map(shutil.which, names)), None) for name, names in _TOOLS.items()},
    }


def format_facts(facts: dict, tools: bool = False) -> str:
    """The human-readable report of :func:`collect_facts`; ``tools=True`` adds the system tools an
    instructor's machine needs (chromium for the browser tests, bwrap for sandboxed grading)."""
    quota = facts["cgroup_cpu_quota"]
    lines = [
        f"Python            {facts['python_version']} ({facts['implementation']}, {facts['build']})",
        f"GIL               {_gil_state(facts)}",
        f"Switch interval   {facts['switch_interval_s'] * 1000:g} ms (sys.getswitchinterval()"
        f"{'' if facts['gil_enabled'] else '; no effect while the GIL is off'})",
        f"Start method      {_start_method(facts)}",
        f"CPU               {facts['cpu_model']}",
        f"os.cpu_count()    {facts['os_cpu_count']}",
        f"process_cpu_count {_process_cpu_count(facts)}",
        f"Affinity          {facts['affinity_cpus']} CPUs this process may run on",
        f"CPU quota         {'none' if quota is None else f'{quota:g} CPUs (cgroup)'}",
        f"Effective CPUs    {facts['effective_cpus']}   <- what parallel speedup can reach here",
        f"joblib.cpu_count  {facts['joblib_cpu_count']}",
        f"Subinterpreters   {_subinterpreters(facts)}",
    ]
    for name, path in facts["tools"].items() if tools else ():
        lines.append(f"{name:<18}{path or 'not found (optional)'}")
    note = one_cpu_note(facts["effective_cpus"])
    if note:
        lines += ["", note]
    return "\n".join(lines)


def show() -> None:
    """Print the report; what a notebook cell calls."""
    print(format_facts(collect_facts()))


def main(as_json: bool = False, tools: bool = False) -> int:
    """``gillab doctor``: print the report (or JSON, which always lists the tools) and return 0."""
    facts = collect_facts()
    print(json.dumps(facts, indent=2) if as_json else format_facts(facts, tools=tools))
    return 0


def add_parser(subparsers) -> None:
    """Add ``doctor`` to the ``gillab`` command's ``subparsers``."""
    parser = subparsers.add_parser("doctor", help="what this machine and Python can show about the GIL")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON (the tools included)")
    parser.add_argument(
        "--tools", action="store_true", help="also list the tools instructors and developers need (chromium, bwrap)"
    )

    def run(args) -> int:
        return main(as_json=args.json, tools=args.tools)

    parser.set_defaults(run=run)
