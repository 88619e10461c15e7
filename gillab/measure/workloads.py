"""Work functions for the experiments, one per kind of work a program does.

Every work function takes a half-open range ``(lo, hi)`` and returns an int, and is *additive*:
``f(a, b) + f(b, c) == f(a, c)``. That is what lets a runner cut a range into chunks, hand them to
workers, and add the answers up; and what lets it cut a chunk into slices to record progress.
They are defined at module level so that worker processes can import them under every start method
(fork, spawn, and forkserver, the Linux default from Python 3.14).

>>> count_sum(1, 21)          # 1 + 2 + ... + 20
210
>>> wait_units(0, 3, unit_s=0)
3
"""

from __future__ import annotations

import hashlib
import time

from .._validate import require_int, require_positive_number

__all__ = ["count_sum", "hash_blocks", "numpy_sum", "wait_units", "WORKLOADS", "Workload", "BLOCK_BYTES"]

#: Bytes hashed per block by :func:`hash_blocks`: big enough that hashlib drops the GIL while it works.
BLOCK_BYTES = 1 << 20
_buffer: bytes | None = None


def _check_range(lo, hi) -> tuple[int, int]:
    lo, hi = require_int("lo", lo), require_int("hi", hi)
    if hi < lo:
        raise ValueError(f"hi must be >= lo, got lo={lo}, hi={hi}")
    return lo, hi


def count_sum(lo: int, hi: int) -> int:
    """Sum of the integers in ``[lo, hi)`` by a plain Python loop.

    Deliberately slow: every step runs Python bytecode, so the thread running it holds the GIL the
    whole time. This is the CPU-bound work that threads cannot speed up under the GIL.
    """
    lo, hi = _check_range(lo, hi)
    total = 0
    for number in range(lo, hi):
        total += number
    return total


def hash_blocks(lo: int, hi: int) -> int:
    """SHA-256 of blocks ``lo .. hi-1`` of a 1 MiB buffer; returns a checksum of the digests.

    hashlib releases the GIL while it hashes more than 2 KiB, so threads running this DO run in
    parallel, even on an interpreter with the GIL. Block ``i`` hashes the buffer followed by ``i``,
    so every block's digest differs and the checksum proves the work was done.
    """
    global _buffer
    lo, hi = _check_range(lo, hi)
    if _buffer is None:
        _buffer = bytes(range(256)) * (BLOCK_BYTES // 256)
    checksum = 0
    for block in range(lo, hi):
        digest = hashlib.sha256(_buffer)
        digest.update(block.to_bytes(8, "little", signed=True))
        checksum += int.from_bytes(digest.digest()[:4], "little")
    return checksum


def numpy_sum(lo: int, hi: int) -> int:
    """Sum of the integers in ``[lo, hi)`` by numpy, in slices of a million to bound memory.

    numpy's compiled loops do the adding, releasing the GIL while they run. The answer equals
    :func:`count_sum`'s (for sums that fit in 64 bits).
    """
    import numpy  # imported here: the rest of the course must not pay for numpy at import time

    lo, hi = _check_range(lo, hi)
    total = 0
    for start in range(lo, hi, 1_000_000):
        total += int(numpy.arange(start, min(start + 1_000_000, hi), dtype=numpy.int64).sum())
    return total


def wait_units(lo: int, hi: int, unit_s: float = 0.001) -> int:
    """Wait ``(hi - lo) * unit_s`` seconds without using the CPU, as a thread waiting for I/O does.

    ``time.sleep`` releases the GIL, so many threads can wait at once. Returns ``hi - lo``.
    """
    lo, hi = _check_range(lo, hi)
    unit_s = require_positive_number("unit_s", unit_s, allow_zero=True, maximum=1.0)
    time.sleep((hi - lo) * unit_s)
    return hi - lo


class Workload:
    """A named work function with what a learner should expect from it."""

    def __init__(self, name: str, function, holds_gil: bool, description: str):
        self.name, self.function, self.holds_gil, self.description = name, function, holds_gil, description

    def __repr__(self) -> str:
        return f"Workload({self.name!r}, holds_gil={self.holds_gil})"


#: The workloads the labs and benchmarks offer, by name.
WORKLOADS = {
    workload.name: workload
    for workload in [
        Workload("count_sum", count_sum, True, "pure-Python loop: holds the GIL"),
        Workload("hash_blocks", hash_blocks, False, "SHA-256 of 1 MiB blocks: hashlib releases the GIL"),
        Workload("numpy_sum", numpy_sum, False, "numpy sum: compiled loops release the GIL"),
        Workload("wait_units", wait_units, False, "sleeping, like waiting for I/O: releases the GIL"),
    ]
}
