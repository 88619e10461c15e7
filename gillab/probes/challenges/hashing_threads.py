"""Chapter 06's challenge: threads on work that releases the GIL.

The learner writes ``hash_on_threads(chunks)``: hash each chunk ``(lo, hi)`` of 1 MiB blocks with
``hash_blocks(lo, hi)`` on a thread of its own, all threads working at the same time, and return the
sum of the chunks' results.

The check runs it on two chunks with ``hash_blocks`` replaced by the course's recording stand-in
(:func:`gillab.probes.chunk_probe.probe_chunks`): it says whether two threads of this kernel, not
the notebook's own, were hashing at the same moment (their calls overlapped in time), whether the
chunks were hashed exactly once, and whether the total is right. Handing the work to
:func:`gillab.measure.runners.run_threads` does not count. Whether the overlap made it faster is
what the chapter measures; the check never times anything.

>>> from gillab.measure.workloads import hash_blocks
>>> def forgot_threads(chunks):
...     return sum(hash_blocks(lo, hi) for lo, hi in chunks)
>>> hash_on_threads = forgot_threads
>>> CHALLENGE.verdict(globals()).happened
"hash_on_threads(chunks) summed all 2 chunks on the notebook's own thread, one after the other"
"""

from __future__ import annotations

from ...machine.cpus import effective_cpu_count
from ...machine.interpreter import gil_enabled
from ...measure import runners
from ...measure.chunks import split_range
from ...measure.workloads import hash_blocks
from .chunk_evidence import chunks_text, placement_problem, probe_answer
from .judging import Challenge, Verdict, not_yet, passed

__all__ = ["CHALLENGE", "check", "BLOCKS", "THREADS"]

#: 1 MiB blocks hashed by the check's call, and the threads (one chunk each).
BLOCKS = 16
THREADS = 2
_CALL = "hash_on_threads(chunks)"


def _judge(namespace: dict) -> Verdict:
    chunks = split_range(0, BLOCKS, THREADS)
    run, total, helpers = probe_answer(
        namespace, namespace["hash_on_threads"], _CALL, "threads", THREADS, hash_blocks,
        (runners.run_threads, runners.run_chunks), args=(chunks,),
    )
    if helpers:
        return not_yet(
            f"{_CALL} handed its work to {' and '.join(helpers)}, the course's own runner",
            "write the threads yourself: one threading.Thread (or a ThreadPoolExecutor task) per chunk",
        )
    problem = placement_problem(run, "threads", THREADS, _CALL, "hash_blocks")
    if problem is not None:
        return problem
    hashed = sorted((call.lo, call.hi) for call in run.calls if call.hi != call.lo)
    if hashed != chunks:
        return not_yet(
            f"your threads hashed the chunks {chunks_text(hashed)}; the check gave {chunks_text(chunks)}",
            "hash each chunk you are given once: hash_blocks(lo, hi) for each (lo, hi) in chunks",
        )
    expected = sum(hash_blocks(lo, hi) for lo, hi in chunks)
    if total != expected:
        return not_yet(
            f"{_CALL} returned {total!r}, but the chunks' results add up to {expected}",
            "keep each thread's result (a list slot per chunk, or the pool's futures) and return their sum",
        )
    if effective_cpu_count() < 2:
        why = (
            "This Python may use only one CPU, so they took turns on it; on a machine with two, hashlib releases the "
            "GIL while it hashes and the same threads compute in parallel (chapter 06's reference results)."
        )
    elif gil_enabled():
        why = (
            "The GIL did not stop them: hashlib releases it while it hashes more than 2047 bytes, so on this "
            "standard build the threads computed in parallel too (the timeline above shows it)."
        )
    else:
        why = "The GIL is off in this kernel, so any two threads can compute at the same time."
    return passed(
        f"{THREADS} threads of this kernel were hashing at the same moment: their calls of hash_blocks overlapped "
        "in time, and the total is right",
        why,
    )


CHALLENGE = Challenge("06", "threads on work that releases the GIL", ("hash_on_threads",), _judge)


def check(namespace: dict) -> None:
    """The check cell: ``hashing_threads.check(globals())`` prints the verdict on ``hash_on_threads``."""
    CHALLENGE.check(namespace)
