"""A late-submission penalty for nbgrader: a fraction of the score per day (or part of a day) late.

nbgrader's built-in choices are no penalty or a score of zero. Use this one in the course's
``grader/nbgrader_config.py``::

    c.AssignLatePenalties.plugin_class = "gillab.grading.late_penalty.FractionPerDayLate"
    c.FractionPerDayLate.fraction_per_day = 0.1   # 10 % of the score per started day

nbgrader counts lateness from the assignment's due date (``gillab grade release --due``) to the
submission's ``timestamp.txt``.

>>> rule = FractionPerDayLate(fraction_per_day=0.25)
>>> rule.late_submission_penalty("ann", 4.0, 3600)         # 1 hour late: one started day
1.0
>>> rule.late_submission_penalty("ann", 4.0, 10 * 86400)   # never more than the score
4.0
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

__all__ = ["FractionPerDayLate"]


class FractionPerDayLate(LateSubmissionPlugin):
    """Penalty = score x ``fraction_per_day`` x started days late, at most the score."""

    fraction_per_day = Float(0.1, help="Fraction of the score lost per started day late").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        """The penalty in points for a notebook that scored ``score`` and was this many seconds late."""
        if total_seconds_late <= 0:
            return 0.0
        days = math.ceil(total_seconds_late / 86400)
        return min(score, score * self.fraction_per_day * days)
