"""Chapter 02's challenge: the video's example by hand, the sum of 1..20 on four threads.

The learner writes ``video_sum_on_threads()``: cut 1..20 into the video's four chunks, sum each
chunk with ``count_sum(lo, hi)`` on a ``threading.Thread`` of its own, and return the total.

The check runs it with ``count_sum`` replaced by the course's recording stand-in
(:func:`gillab.probes.chunk_probe.probe_chunks`), which notes the process and thread of each call
and holds each call until four threads are inside at once (a few seconds at most). It says whether
four threads of this kernel, not the notebook's own, summed exactly the chunks (1, 6), (6, 11),
(11, 16), (16, 21) at the same moment, and whether the total is 210. Handing the work to
:func:`gillab.measure.runners.run_threads` does not count.

>>> from gillab.measure.workloads import count_sum
>>> def serial_loop():
...     return sum(count_sum(lo, hi) for lo, hi in [(1, 6), (6, 11), (11, 16), (16, 21)])
>>> video_sum_on_threads = serial_loop
>>> verdict = CHALLENGE.verdict(globals())
>>> verdict.status, verdict.happened
('not yet', "video_sum_on_threads() summed all 4 chunks on the notebook's own thread, one after the other")
"""

from __future__ import annotations

from ...measure import runners
from ...measure.workloads import count_sum
from .chunk_evidence import chunks_text, placement_problem, probe_answer
from .judging import Challenge, Verdict, not_yet, passed

__all__ = ["CHALLENGE", "check", "VIDEO_CHUNKS"]

#: The video's four chunks of 1..20, half-open like range(): 1-5, 6-10, 11-15, 16-20.
VIDEO_CHUNKS = [(1, 6), (6, 11), (11, 16), (16, 21)]
_CALL = "video_sum_on_threads()"


def _judge(namespace: dict) -> Verdict:
    run, total, helpers = probe_answer(
        namespace, namespace["video_sum_on_threads"], _CALL, "threads", len(VIDEO_CHUNKS), count_sum,
        (runners.run_threads, runners.run_chunks),
    )
    if helpers:
        return not_yet(
            f"{_CALL} handed its work to {' and '.join(helpers)}, the course's own runner",
            "write the threads yourself: one threading.Thread per chunk, whose target sums its chunk with count_sum",
        )
    problem = placement_problem(run, "threads", len(VIDEO_CHUNKS), _CALL, "count_sum")
    if problem is not None:
        return problem
    summed = sorted((call.lo, call.hi) for call in run.calls)
    if summed != VIDEO_CHUNKS:
        return not_yet(
            f"your threads summed the chunks {chunks_text(summed)}; the video's are {chunks_text(VIDEO_CHUNKS)}",
            "cut 1..20 into four chunks of five numbers: split_range(1, 21, 4) (the stop, 21, is not included)",
        )
    if total != 210:
        return not_yet(
            f"{_CALL} returned {total!r}, but the four partial sums add up to 210",
            "a thread's target cannot return a value: let it store its chunk's sum in a list (one slot per chunk), "
            "and add up that list after joining every thread",
        )
    return passed(
        "four threads of this kernel (not the notebook's own) summed the video's chunks 1-5, 6-10, 11-15 and 16-20 "
        "at the same moment, and the partial sums add up to 210",
        "Whether they computed faster that way is another question: the next section measures it.",
    )


CHALLENGE = Challenge("02", "the video's sum on four threads", ("video_sum_on_threads",), _judge)


def check(namespace: dict) -> None:
    """The check cell: ``four_threads.check(globals())`` prints the verdict on ``video_sum_on_threads``."""
    CHALLENGE.check(namespace)
