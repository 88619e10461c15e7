"""Chapter 05's second challenge: read this machine's break-even size off your own measurement.

The learner writes ``my_break_even``: the smallest size in the chapter's break-even table from
which on two worker processes beat the plain loop at every larger size, or ``None`` when they never
did (one effective CPU, or a machine too busy). The check compares it with the chapter's own
measurement (``break_even``, a :class:`gillab.experiments.process_costs.BreakEven`, made by the cell
above on this machine) and the course's one break-even rule,
:func:`gillab.measure.speedup.break_even_size`. It measures nothing itself.

>>> from gillab.experiments.process_costs import BreakEven
>>> measured = BreakEven(2, [(10_000, 0.1, 0, 0), (100_000, 0.6, 0, 0), (1_000_000, 1.5, 0, 0)])
>>> CHALLENGE.verdict({"my_break_even": 100_000, "break_even": measured}).happened
'at n = 100,000 the processes were slower than the loop (0.60x): they lose there'
"""

from __future__ import annotations

import numbers

from ...experiments.process_costs import BreakEven
from ...measure.speedup import break_even_size
from .judging import Challenge, Verdict, not_yet, passed

__all__ = ["CHALLENGE", "check"]


def _judge(namespace: dict) -> Verdict:
    answer, measured = namespace["my_break_even"], namespace.get("break_even")
    if not isinstance(measured, BreakEven):
        return not_yet(
            "the chapter's measurement `break_even` is not in this notebook",
            "run the break-even cell above (process_costs.break_even(...)) first, then this one",
        )
    points = [(n, speedup) for n, speedup, _, _ in measured.points]
    table = "; ".join(f"{n:,}: {speedup:.2f}x" for n, speedup in points)
    found, below = break_even_size(points)
    if answer is not None and (not isinstance(answer, numbers.Integral) or isinstance(answer, bool) or answer < 1):
        return not_yet(f"my_break_even is {answer!r}", "give a size n from the table (an int), or None")
    if found is None:
        if answer is None:
            return passed(
                "right: in your table the processes did not win even at the largest size, so there is no break-even "
                "here",
                f"Your table: {table}. With one effective CPU they never can; on a busy machine, run it again later.",
            )
        return not_yet(
            f"in your table the processes did not win at the largest size ({table}), so there is no break-even yet",
            "answer None (or run the measurement again when the machine is quieter, and read the new table)",
        )
    if answer is None:
        return not_yet(
            f"in your table the processes won from n = {found:,} on ({table})", "give that size as my_break_even"
        )
    speedups = dict(points)
    if answer in speedups and speedups[answer] <= 1.0:
        return not_yet(
            f"at n = {answer:,} the processes were slower than the loop ({speedups[answer]:.2f}x): they lose there",
            f"look for the first size from which on every speedup is above 1 ({table})",
        )
    if answer > found:
        return not_yet(
            f"the processes already won at n = {found:,} and every larger size ({table})",
            "give the SMALLEST size from which on they won",
        )
    if answer < found and below is None:
        return not_yet(
            f"{answer:,} is below every size the table measured ({table})",
            "give a size from the table: the smallest from which on every speedup is above 1",
        )
    if answer < found and answer <= below:
        return not_yet(
            f"at n = {below:,} the processes still lost ({speedups[below]:.2f}x), and {answer:,} is not above it",
            f"look for the first size from which on every speedup is above 1 ({table})",
        )
    exact = answer == found
    return passed(
        f"the break-even here is n = {found:,}: from there on, processes beat the loop at every size measured"
        + ("" if exact else f" (your {answer:,} lies between the last loss, {below:,}, and that size)"),
        f"Your table: {table}. Below that size, starting the work in other processes costs more than it saves.",
    )


CHALLENGE = Challenge("05", "this machine's break-even size", ("my_break_even",), _judge)


def check(namespace: dict) -> None:
    """The check cell: ``break_even.check(globals())`` prints the verdict on ``my_break_even``."""
    CHALLENGE.check(namespace)
