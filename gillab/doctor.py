"""What this machine and this Python can show about the GIL: ``gillab doctor``.

>>> facts = collect_facts()
>>> facts["effective_cpus"] >= 1 and facts["os_cpu_count"] >= 1
True
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import shutil
import sys
import sysconfig

from .hardware import cpu_limits, cpu_model

__all__ = ["collect_facts", "format_facts", "gil_enabled", "free_threaded_build", "show", "one_cpu_note"]

_TOOLS = {"chromium": ("chromium", "chromium-browser", "google-chrome"), "bwrap": ("bwrap",)}


def free_threaded_build() -> bool:
    """True when this CPython was built with ``--disable-gil`` (PEP 703)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    """True when the GIL is on right now. Before Python 3.13 there is no way to turn it off."""
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def _gil_switch() -> str | None:
    """How a free-threaded build was asked for the GIL at start-up (``PYTHON_GIL=1`` or ``-X gil=1``)."""
    if not free_threaded_build():
        return None  # a standard build always has the GIL and ignores both
    if str(sys._xoptions.get("gil", "")) == "1":
        return "-X gil=1"
    return "PYTHON_GIL=1" if os.environ.get("PYTHON_GIL") == "1" else None


def _gil_state(facts: dict) -> str:
    if not facts["gil_enabled"]:
        return "DISABLED: threads can run Python in parallel"
    if not facts["free_threaded_build"]:
        return "enabled"
    # a free-threaded build turns the GIL back on when asked to, or for good when it imports an
    # extension module that does not declare itself safe without it (with a RuntimeWarning)
    why = f"{facts['gil_switch']} turned it on" if facts.get("gil_switch") else "an extension module that needs it turned it back on"
    return f"enabled, although this build is free-threaded: {why}"


def _start_method() -> str:
    # get_start_method() without allow_none would fix the method for the whole process;
    # get_all_start_methods() lists the platform's default first
    return multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]


def one_cpu_note(effective_cpus: int) -> str | None:
    """The sentence every chapter and lab shows when only one CPU can run at a time, else None."""
    if effective_cpus > 1:
        return None
    return (
        "Only one CPU is available to this Python (os.cpu_count() may report more: a CPU quota, as on "
        "mybinder.org, or an affinity mask limits it). Parallel speedup cannot show here: two workers "
        "just take turns on the one CPU. The reference results recorded on multi-core machines show "
        "what the same experiment does there."
    )


def collect_facts(root: str = "/") -> dict:
    """Every fact ``gillab doctor`` reports, as a JSON-ready dict. ``root`` is for tests."""
    limits = cpu_limits(root)
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
        "gil_switch": _gil_switch(),
        "switch_interval_s": sys.getswitchinterval(),
        "start_method": _start_method(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "os_cpu_count": limits.logical,
        "affinity_cpus": limits.affinity,
        "cgroup_cpu_quota": limits.quota,
        "effective_cpus": limits.effective,
        "joblib_cpu_count": joblib_cpus,
        "tools": {name: next(filter(None, map(shutil.which, names)), None) for name, names in _TOOLS.items()},
    }


def format_facts(facts: dict) -> str:
    """The human-readable report of :func:`collect_facts`."""
    quota = facts["cgroup_cpu_quota"]
    lines = [
        f"Python            {facts['python_version']} ({facts['implementation']}, {facts['build']})",
        f"GIL               {_gil_state(facts)}",
        f"Switch interval   {facts['switch_interval_s'] * 1000:g} ms (sys.getswitchinterval()"
        f"{'' if facts['gil_enabled'] else '; no effect while the GIL is off'})",
        f"Start method      {facts['start_method']} (multiprocessing)",
        f"CPU               {facts['cpu_model']}",
        f"os.cpu_count()    {facts['os_cpu_count']}",
        f"Affinity          {facts['affinity_cpus']} CPUs this process may run on",
        f"CPU quota         {'none' if quota is None else f'{quota:g} CPUs (cgroup)'}",
        f"Effective CPUs    {facts['effective_cpus']}   <- what parallel speedup can reach here",
        f"joblib.cpu_count  {facts['joblib_cpu_count']}",
    ]
    for name, path in facts["tools"].items():
        lines.append(f"{name:<18}{path or 'not found (optional)'}")
    note = one_cpu_note(facts["effective_cpus"])
    if note:
        lines += ["", note]
    return "\n".join(lines)


def show() -> None:
    """Print the report; what a notebook cell calls."""
    print(format_facts(collect_facts()))


def main(as_json: bool = False) -> int:
    """``gillab doctor``: print the report (or JSON) and return 0."""
    facts = collect_facts()
    print(json.dumps(facts, indent=2) if as_json else format_facts(facts))
    return 0
