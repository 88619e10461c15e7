"""What a grading or check cell says when a student's answer is wrong: :class:`GradingFailure`, an
``AssertionError`` (so nbgrader counts it as a failed test) whose message says what happened and
what to change, and the checks that raise it.
"""

from __future__ import annotations

__all__ = ["GradingFailure", "check_equal", "check_raises", "split_range_problems"]


class GradingFailure(AssertionError):
    """A grading test's verdict: what the student's code did, and what to change."""


def split_range_problems(chunks, start: int, stop: int, n_chunks: int) -> str | None:
    """What is wrong with ``chunks`` as ``split_range(start, stop, n_chunks)``'s answer, or None.

    The contract: a list of exactly ``n_chunks`` pairs ``(lo, hi)`` of ints, in order, each ``hi``
    the next ``lo``, from ``start`` to ``stop``, sizes differing by at most one, larger ones first.

    >>> split_range_problems([(1, 6), (6, 11), (11, 16), (16, 21)], 1, 21, 4) is None
    True
    >>> split_range_problems([(1, 8), (8, 15), (15, 21)], 1, 21, 4)
    'split_range(1, 21, 4) gave 3 chunks, expected exactly 4'
    """
    call = f"split_range({start}, {stop}, {n_chunks})"
    if not isinstance(chunks, (list, tuple)):
        return f"{call} returned {type(chunks).__name__}, expected a list of (lo, hi) pairs"
    if len(chunks) != n_chunks:
        return f"{call} gave {len(chunks)} chunks, expected exactly {n_chunks}"
    position = start
    for index, chunk in enumerate(chunks):
        if not isinstance(chunk, (list, tuple)) or len(chunk) != 2 or not all(isinstance(x, int) for x in chunk):
            return f"{call}: chunk {index} is {chunk!r}, expected a pair of ints (lo, hi)"
        lo, hi = chunk
        if lo != position:
            return f"{call}: chunk {index} starts at {lo}, expected {position} (chunks must follow each other)"
        if hi < lo:
            return f"{call}: chunk {index} is {chunk!r}, which ends before it starts"
        position = hi
    if position != stop:
        return f"{call}: the chunks end at {position}, expected {stop} (half-open: stop itself is not included)"
    sizes = [hi - lo for lo, hi in chunks]
    if max(sizes) - min(sizes) > 1:
        return f"{call}: chunk sizes {sizes} differ by more than one"
    if sizes != sorted(sizes, reverse=True):
        return f"{call}: chunk sizes {sizes}: the larger chunks must come first"
    return None


def _short(value, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + " ...)"


def check_equal(got, expected, call: str, hint: str = "") -> None:
    """Raise :class:`GradingFailure` saying what ``call`` returned and what was expected, unless equal.

    >>> check_equal(sum([1, 2]), 3, "sum([1, 2])")
    >>> check_equal(sum([1, 2]), 4, "sum([1, 2])")
    Traceback (most recent call last):
    ...
    gillab.probes.verdicts.GradingFailure: sum([1, 2]) returned 3, expected 4
    """
    if got != expected or (isinstance(got, bool) and not isinstance(expected, bool)):
        raise GradingFailure(
            f"{call} returned {_short(got)}, expected {_short(expected)}" + (f". {hint}" if hint else "")
        )


def check_raises(exception: type, function, *args, why: str = "") -> None:
    """Raise :class:`GradingFailure` unless ``function(*args)`` raises ``exception``.

    >>> check_raises(ValueError, int, "seven", why="not a number")
    >>> check_raises(ValueError, int, "7", why="not a number")
    Traceback (most recent call last):
    ...
    gillab.probes.verdicts.GradingFailure: int('7') returned 7: it should raise ValueError (not a number)
    """
    call = f"{getattr(function, '__name__', 'the function')}({', '.join(map(repr, args))})"
    try:
        result = function(*args)
    except exception:
        return
    except Exception as error:  # noqa: BLE001 - the wrong kind of error is the finding
        raise GradingFailure(
            f"{call} raised {type(error).__name__}: {error}; it should raise {exception.__name__}"
            + (f" ({why})" if why else "")
        ) from None
    raise GradingFailure(
        f"{call} returned {_short(result)}: it should raise {exception.__name__}" + (f" ({why})" if why else "")
    )
