"""The proof, from spans and never from speed, that two threads computed at the same instant.

Each chunk is cut into slices and every slice records its wall interval and the CPU seconds its
thread spent on it (``Span.ticks`` and ``Span.tick_cpu_s``, see :mod:`gillab.measure.runners`). One CPU
cannot deliver more CPU seconds than wall seconds, so when two threads' overlapping slices hold more
CPU seconds together than the wall time from the first one's start to the last one's end, both
threads were computing at the same instant. Under the GIL that never happens, whatever the
machine's load; on a free-threaded build it does as soon as the operating system runs both threads
at once.

Every free-threaded test uses this one proof: the runners' own threads (tests/test_free_threaded.py),
the speedup lab's Run button, chapter 06's timeline and a problem-set solution's ``threaded_sum``
on the free-threaded kernel.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time

from gillab.measure.runners import Span

#: Above this, two threads' slices held clearly more CPU seconds than the wall time they spanned.
PROOF = 1.5
#: Under the GIL the ratio stays at 1 or below, apart from microseconds while the lock changes hands.
GIL_CEILING = 1.25
#: How long to keep trying when other programs keep the CPUs busy.
PROOF_BUDGET_S = 90

#: Python code for a kernel: print ``spans`` (a list of Span) as JSON, for :func:`spans_from_json`.
PRINT_SPANS = "import dataclasses as _dc, json as _json\nprint(_json.dumps([_dc.asdict(_span) for _span in {spans}]))"


def slices(span: Span) -> list[tuple[float, float, float]]:
    """(wall start, wall end, CPU seconds) of each slice of a chunk run with ticks."""
    starts = (span.start, *span.ticks[:-1])
    cpu_before = (0.0, *span.tick_cpu_s[:-1])
    return [
        (start, end, after - before)
        for start, end, before, after in zip(starts, span.ticks, cpu_before, span.tick_cpu_s, strict=True)
    ]


def simultaneity(spans: list[Span]) -> float:
    """The largest CPU seconds of two overlapping slices of different threads, divided by the wall
    time from the first one's start to the last one's end. Above 1: both computed at one instant."""
    threads: dict[int, list] = {}
    for span in spans:
        assert span.ticks and len(span.ticks) == len(span.tick_cpu_s), f"a span without progress ticks: {span}"
        threads.setdefault(span.thread_id, []).extend(slices(span))
    assert len(threads) == 2, f"expected two threads, got {len(threads)}"
    first, second = threads.values()
    best = 0.0
    for start_a, end_a, cpu_a in first:
        for start_b, end_b, cpu_b in second:
            if max(start_a, start_b) < min(end_a, end_b):
                best = max(best, (cpu_a + cpu_b) / (max(end_a, end_b) - min(start_a, start_b)))
    return best


def both_progressed_together(spans: list[Span]) -> bool:
    """The two chunks overlap in time and each thread ticked inside the overlap: their ticks interleave."""
    first, second = spans
    overlap = (max(first.start, second.start), min(first.end, second.end))
    return overlap[0] < overlap[1] and all(any(overlap[0] < tick < overlap[1] for tick in span.ticks) for span in spans)


def spans_to_json(spans: list[Span]) -> str:
    return json.dumps([dataclasses.asdict(span) for span in spans])


def spans_from_json(text: str) -> list[Span]:
    """Spans printed by :data:`PRINT_SPANS` (or :func:`spans_to_json`), e.g. in another process."""
    return [
        Span(
            **{
                **span,
                "chunk": tuple(span["chunk"]),
                "ticks": tuple(span["ticks"]),
                "tick_cpu_s": tuple(span["tick_cpu_s"]),
            }
        )
        for span in json.loads(text)
    ]


def prove_simultaneous(run_once, what: str, budget_s: float = PROOF_BUDGET_S) -> list[float]:
    """Call ``run_once()`` (it runs two threads and returns their spans) until one run proves that
    both computed at the same instant; fail with every ratio seen when ``budget_s`` runs out.

    Other programs may hold one of the CPUs for a whole run: then the two threads take turns on the
    other, as under the GIL, or run one after the other (recorded as 0). One run in which they
    computed together is the proof; a quiet machine gives it on the first run, a busy one (seen
    here at load 12 on 2 CPUs) after a few.
    Returns the ratios, the last one above :data:`PROOF`.
    """
    ratios, deadline = [], time.monotonic() + budget_s
    while not ratios or time.monotonic() < deadline:
        spans = run_once()
        assert len({span.thread_id for span in spans}) == 2, f"{what}: expected two threads, got spans {spans}"
        # on a busy machine one thread may even finish before the other starts: not proof, try again
        ratios.append(round(simultaneity(spans), 2) if both_progressed_together(spans) else 0.0)
        if ratios[-1] > PROOF:
            return ratios
    raise AssertionError(
        f"{what}: in {len(ratios)} runs over {budget_s} s two threads never computed at the same instant "
        f"(CPU seconds over wall seconds of overlapping slices, best {max(ratios)}, needed above {PROOF}; "
        f"load average {os.getloadavg()})"
    )
