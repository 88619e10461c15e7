"""Splitting a range of numbers into chunks, one per worker.

>>> split_range(1, 21, 4)   # the video's example: 1..20 over 4 threads
[(1, 6), (6, 11), (11, 16), (16, 21)]
>>> split_range(0, 3, 5)    # more chunks than numbers: some chunks are empty
[(0, 1), (1, 2), (2, 3), (3, 3), (3, 3)]
"""

from __future__ import annotations

from .._validate import require_int

__all__ = ["split_range", "MAX_CHUNKS"]

#: More chunks than this is a mistake (a float turned int, a size passed as a count), not a plan.
MAX_CHUNKS = 1_000_000


def split_range(start: int, stop: int, n_chunks: int) -> list[tuple[int, int]]:
    """Split ``[start, stop)`` into ``n_chunks`` contiguous half-open chunks ``(lo, hi)``.

    The chunks are in order, cover the range exactly (each ``hi`` is the next ``lo``), and their
    sizes differ by at most one, the larger ones first. Exactly ``n_chunks`` chunks are returned,
    some empty when there are fewer numbers than chunks.

    Raises ``TypeError`` for non-integers and ``ValueError`` for ``stop < start`` or
    ``n_chunks`` outside 1..MAX_CHUNKS.
    """
    start = require_int("start", start)
    stop = require_int("stop", stop)
    n_chunks = require_int("n_chunks", n_chunks, minimum=1, maximum=MAX_CHUNKS)
    if stop < start:
        raise ValueError(f"stop must be >= start, got start={start}, stop={stop}")
    size, extra = divmod(stop - start, n_chunks)
    chunks = []
    lo = start
    for index in range(n_chunks):
        hi = lo + size + (1 if index < extra else 0)
        chunks.append((lo, hi))
        lo = hi
    return chunks
