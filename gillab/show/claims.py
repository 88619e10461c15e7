"""The video's claims, each beside what the learner measured in that chapter, with a one-line verdict.

Chapters 01 to 05 print a "The video says / You measured here" box for each claim the video makes.
The box is filled in from the chapter's own measurements (passed in as numbers; nothing is measured
here), and its verdict begins with one of three phrases: "true here", "true only for ..." or "not
what you measured, because ...".

>>> print(processes_sidestep_gil(speedup=1.8, workers=2, effective_cpus=2))  # doctest: +ELLIPSIS
┌ The video says:    multiprocessing sidesteps the GIL.
├ You measured here: 2 worker processes ran the sum 1.80x as fast as one thread, on 2 effective CPUs.
└ Verdict:           true here: each process has its own interpreter and its own GIL, so their Python code ran...
"""

from __future__ import annotations

from dataclasses import dataclass

from .._validate import require_int, require_positive_number

__all__ = [
    "ClaimCheck", "CLAIMS", "four_cores", "threads_four_times_faster", "gil_forbids_parallelism",
    "threads_always_working", "processes_sidestep_gil",
]

#: The video's claims, in our words (the chapter each is checked in, in brackets).
CLAIMS = {
    "four_cores": "a typical CPU in 2023 has four cores",  # (02)
    "four_times_faster": "four threads make the sum four times faster",  # (02, 03)
    "no_parallelism": "the GIL disallows parallel processing",  # (01, 03)
    "always_working": "with threads the CPU is always working, never waiting",  # (04)
    "sidesteps": "multiprocessing sidesteps the GIL",  # (05)
}
_VERDICT_STARTS = ("true here", "true only for", "not what you measured, because")


@dataclass(frozen=True)
class ClaimCheck:
    """One claim (a key of :data:`CLAIMS`), what was ``measured`` here, and the one-line ``verdict``."""

    claim: str
    measured: str
    verdict: str

    def __post_init__(self):
        if self.claim not in CLAIMS:
            raise ValueError(f"claim must be one of {', '.join(CLAIMS)}, got {self.claim!r}")
        if not self.verdict.startswith(_VERDICT_STARTS):
            raise ValueError(f"a verdict starts with one of {_VERDICT_STARTS}, got {self.verdict!r}")

    def __str__(self) -> str:
        return (
            f"┌ The video says:    {CLAIMS[self.claim]}.\n"
            f"├ You measured here: {self.measured}.\n"
            f"└ Verdict:           {self.verdict}."
        )


def _times(value: float) -> str:
    """A speedup or a slowdown factor, readable whatever its size: 0.0049, 0.97, 204."""
    if value >= 10:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"


def _cpus(effective_cpus) -> int:
    return require_int("effective_cpus", effective_cpus, minimum=1)


def four_cores(cores: int | None, hardware_threads: int, effective_cpus: int) -> ClaimCheck:
    """The machine's ``cores`` (None where the system does not say), ``hardware_threads`` and the
    CPUs this Python may use (chapter 02: :func:`gillab.machine.topology.cpu_layout`)."""
    hardware_threads = require_int("hardware_threads", hardware_threads, minimum=1)
    effective_cpus = _cpus(effective_cpus)
    counted = f"{cores} cores" if cores else "cores not reported"
    measured = (
        f"this machine has {counted} and {hardware_threads} hardware threads; this Python may use {effective_cpus}"
    )
    if cores == 4:
        return ClaimCheck("four_cores", measured, "true here: four cores")
    return ClaimCheck(
        "four_cores",
        measured,
        "not what you measured, because core counts differ from machine to machine (laptops, servers with dozens, "
        "a Binder session with one CPU): count yours instead of assuming four, and count what your Python may use",
    )


def threads_four_times_faster(
    speedup: float, workers: int, gil_on: bool, effective_cpus: int, job: str, small_job: bool = False
) -> ClaimCheck:
    """``workers`` threads ran ``job`` ``speedup`` times as fast as one (chapters 02 and 03);
    ``small_job`` when the work is far smaller than the cost of starting the threads."""
    speedup = require_positive_number("speedup", speedup)
    workers = require_int("workers", workers, minimum=2)
    effective_cpus = _cpus(effective_cpus)
    if speedup >= 1:
        measured = f"{workers} threads ran {job} {_times(speedup)}x as fast as one"
    elif speedup >= 0.8:
        measured = f"{workers} threads ran {job} no faster than one (speedup {_times(speedup)}x)"
    else:
        slower = _times(1 / speedup)
        measured = f"{workers} threads ran {job} {slower} times SLOWER than one (speedup {_times(speedup)}x)"
    ideal = min(workers, effective_cpus)
    if speedup >= 0.9 * workers:
        return ClaimCheck("four_times_faster", measured, "true here")
    if small_job:
        reason = "starting and joining the threads costs far more than the work itself"
    elif effective_cpus < 2:
        reason = "this Python may use one CPU, so the threads could only take turns"
    elif gil_on:
        reason = "under the GIL one thread at a time runs Python bytecode, so the threads took turns"
    elif speedup >= 0.75 * ideal:
        return ClaimCheck(
            "four_times_faster",
            measured,
            f"true only for as many threads as free CPUs: without the GIL they ran in parallel, up to the {ideal} "
            f"CPU(s) this Python may use",
        )
    else:
        reason = "other programs kept the CPUs busy, or the threads waited for each other"
    return ClaimCheck("four_times_faster", measured, f"not what you measured, because {reason}")


def gil_forbids_parallelism(
    gil_on: bool, effective_cpus: int, thread_speedup: float | None = None, workers: int | None = None
) -> ClaimCheck:
    """Whether the GIL is on here, the CPUs this Python may use (chapter 01), and, when measured
    (chapter 03), what ``workers`` threads' ``thread_speedup`` on pure-Python work was."""
    effective_cpus = _cpus(effective_cpus)
    measured = f"the GIL is {'ON' if gil_on else 'OFF'} in this kernel, which may use {effective_cpus} CPU(s)"
    if thread_speedup is not None:
        thread_speedup = require_positive_number("thread_speedup", thread_speedup)
        workers = require_int("workers", workers, minimum=2)
        measured += f"; {workers} threads ran pure-Python work {thread_speedup:.2f}x as fast as one"
    if not gil_on:
        return ClaimCheck(
            "no_parallelism",
            measured,
            "not what you measured, because this is a free-threaded Python with the GIL off: its threads can run "
            "Python code at the same moment (chapter 06)",
        )
    return ClaimCheck(
        "no_parallelism",
        measured,
        "true only for Python bytecode on the threads of one interpreter: processes (chapter 05), C code that "
        "releases the GIL and free-threaded Python (chapter 06) run in parallel",
    )


def threads_always_working(cpu_s: float, wall_s: float, threads: int) -> ClaimCheck:
    """The CPU seconds the kernel process used while ``threads`` threads loaded the chat data, and
    the wall seconds it took (chapter 04: :attr:`gillab.measure.timing.Timing.cpu_median`)."""
    cpu_s = require_positive_number("cpu_s", cpu_s, allow_zero=True)
    wall_s = require_positive_number("wall_s", wall_s)
    threads = require_int("threads", threads, minimum=1)
    busy = min(1.0, cpu_s / wall_s)
    measured = (
        f"loading on {threads} threads took {wall_s:.3f} s, in which this kernel (every thread, the chat server's "
        f"included) used {cpu_s:.3f} s of CPU: busy {busy:.0%} of the time"
    )
    if busy >= 0.9:
        return ClaimCheck("always_working", measured, "true here")
    return ClaimCheck(
        "always_working",
        measured,
        f"not what you measured, because all the threads were waiting for the server at once: this program gave "
        f"the CPU nothing to do for {1 - busy:.0%} of the time. Threads overlap waits; they do not turn waiting "
        "into work",
    )


def processes_sidestep_gil(speedup: float, workers: int, effective_cpus: int) -> ClaimCheck:
    """``workers`` joblib processes ran the sum ``speedup`` times as fast as one thread (chapter 05)."""
    speedup = require_positive_number("speedup", speedup)
    workers = require_int("workers", workers, minimum=2)
    effective_cpus = _cpus(effective_cpus)
    measured = (
        f"{workers} worker processes ran the sum {speedup:.2f}x as fast as one thread, on {effective_cpus} "
        f"effective CPU{'s' if effective_cpus != 1 else ''}"
    )
    if effective_cpus < 2:
        return ClaimCheck(
            "sidesteps",
            measured,
            "true only for machines with more than one CPU: each process has its own GIL, but with one CPU the "
            "processes can only take turns, so it cannot show here",
        )
    if speedup >= 1.1:
        short = "" if speedup >= 0.9 * min(workers, effective_cpus) else (
            f" (short of the ideal {min(workers, effective_cpus)}x: starting them, sending them work and other "
            "programs on this machine cost some)"
        )
        return ClaimCheck(
            "sidesteps",
            measured,
            "true here: each process has its own interpreter and its own GIL, so their Python code ran at the same "
            f"time{short}",
        )
    return ClaimCheck(
        "sidesteps",
        measured,
        "true only for work big enough to pay for starting processes and sending them data, on CPUs that are "
        "free: here it did not pay (other programs busy? run it again, and see the break-even below)",
    )
