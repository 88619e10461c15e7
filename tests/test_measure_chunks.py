"""split_range: contiguous, ordered, exact cover, sizes within one, and clear errors."""

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gillab.measure.chunks import MAX_CHUNKS, split_range


def test_the_videos_example():
    assert split_range(1, 21, 4) == [(1, 6), (6, 11), (11, 16), (16, 21)]


@given(
    start=st.integers(min_value=-10**12, max_value=10**12),
    size=st.integers(min_value=0, max_value=10**9),
    n_chunks=st.integers(min_value=1, max_value=2000),
)
def test_chunks_cover_the_range_in_order_with_sizes_within_one(start, size, n_chunks):
    stop = start + size
    chunks = split_range(start, stop, n_chunks)
    assert len(chunks) == n_chunks
    assert chunks[0][0] == start and chunks[-1][1] == stop
    assert all(a[1] == b[0] for a, b in pairwise(chunks))
    sizes = [hi - lo for lo, hi in chunks]
    assert min(sizes) >= 0 and max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)  # the larger chunks come first
    assert sum(sizes) == size


@given(size=st.integers(min_value=0, max_value=50), extra=st.integers(min_value=1, max_value=50))
def test_more_chunks_than_numbers_gives_empty_chunks(size, extra):
    chunks = split_range(0, size, size + extra)
    assert [hi - lo for lo, hi in chunks].count(0) == extra
    assert [lo for lo, hi in chunks if hi > lo] == list(range(size))


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((1, 21, 0), ValueError, "n_chunks must be a positive int, got 0"),
        ((1, 21, -3), ValueError, "n_chunks must be a positive int, got -3"),
        ((1, 21, 2.0), TypeError, "n_chunks must be a positive int, got 2.0 (float)"),
        ((1, 21, True), TypeError, "n_chunks must be a positive int"),
        ((1.5, 21, 2), TypeError, "start must be an int, got 1.5"),
        ((5, 1, 2), ValueError, "stop must be >= start, got start=5, stop=1"),
        ((0, 10, MAX_CHUNKS + 1), ValueError, f"n_chunks must be at most {MAX_CHUNKS}"),
        (("0", 10, 2), TypeError, "start must be an int, got '0' (str)"),
    ],
)
def test_bad_input_says_what_was_wrong(args, error, message):
    with pytest.raises(error) as raised:
        split_range(*args)
    assert message in str(raised.value)
