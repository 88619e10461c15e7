"""Speedup experiments: the same sum run serially and in parallel, side by side, repeated.

Each parallel configuration is timed in pairs with a serial run (serial, parallel, serial,
parallel, ...), so every speedup is a ratio of two runs made moments apart on the same machine
state, and noise from the rest of the machine hits both sides. The median, min and max of those
ratios are reported. One untimed warm-up per configuration absorbs one-off costs such as starting
joblib's workers (or resizing them when the worker count changes).

Where the parallel run starts to pay off, from speedups measured at growing sizes, is decided by
one rule, :func:`break_even_size`, wherever the course says "break-even".

>>> rows = measure_speedups(n=20_000, configs=[("threads", 2)], repeats=2)
>>> [(row["mode"], row["workers"], row["result"]) for row in rows]
[('serial', 1, 200010000), ('threads', 2, 200010000)]
"""

from __future__ import annotations

from .._validate import require_int
from .chunks import split_range
from .runners import MAX_WORKERS, MODES, run_chunks
from .timing import Timing
from .workloads import count_sum

__all__ = ["measure_speedups", "break_even_size", "MAX_N"]

#: Sizes beyond this take minutes per run even on fast machines: refused rather than hanging a kernel.
MAX_N = 10**10


def _check_configs(configs) -> list[tuple[str, int]]:
    checked = []
    for config in configs:
        if not isinstance(config, (tuple, list)) or len(config) != 2:
            raise ValueError(f"each config must be a (mode, workers) pair, got {config!r}")
        mode, workers = config
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        checked.append((mode, require_int("workers", workers, minimum=1, maximum=MAX_WORKERS)))
    if not checked:
        raise ValueError("configs must name at least one (mode, workers) pair, e.g. [('threads', 2)]")
    return checked


def measure_speedups(
    function=count_sum,
    n: int = 2_000_000,
    configs=(("threads", 2), ("processes", 2)),
    repeats: int = 5,
    warmup: int = 1,
    n_ticks: int = 1,
    on_progress=None,
) -> list[dict]:
    """Time ``function`` over ``1..n`` serially and in each ``(mode, workers)`` config.

    Work is cut into one chunk per worker (``split_range(1, n + 1, workers)``). Returns one row per
    config, the serial baseline first, each a dict with ``mode``, ``workers``, ``n``, ``result``
    (the total, the same for every row when the work is right), ``seconds`` and ``speedup``
    (:meth:`Timing.summary` dicts: median, min, max, repeats) and ``record`` (the last
    :class:`~gillab.measure.runners.RunRecord`, for timelines). ``on_progress(done, total, label)`` is
    called before each timed or warm-up run, for progress bars.
    """
    n = require_int("n", n, minimum=0, maximum=MAX_N)
    repeats = require_int("repeats", repeats, minimum=1, maximum=100)
    warmup = require_int("warmup", warmup, minimum=0, maximum=10)
    configs = [config for config in _check_configs(configs) if config != ("serial", 1)]
    total_runs = warmup + (1 if configs else repeats) + len(configs) * (warmup + 2 * repeats)
    done = 0

    def run(mode, workers):
        nonlocal done
        if on_progress is not None:
            on_progress(done, total_runs, f"{mode} x{workers}")
        done += 1
        return run_chunks(mode, function, split_range(1, n + 1, workers), workers, n_ticks)

    for _ in range(warmup):
        run("serial", 1)
    serial_samples, serial_record = [], None
    for _ in range(repeats if not configs else 1):
        serial_record = run("serial", 1)
        serial_samples.append(serial_record.wall_s)

    rows = []
    for mode, workers in configs:
        for _ in range(warmup):
            run(mode, workers)
        seconds, ratios, record = [], [], None
        for _ in range(repeats):
            serial = run("serial", 1)
            record = run(mode, workers)
            serial_samples.append(serial.wall_s)
            seconds.append(record.wall_s)
            ratios.append(serial.wall_s / record.wall_s if record.wall_s > 0 else float("inf"))
        rows.append(_row(mode, workers, n, record, seconds, ratios))
    if on_progress is not None:
        on_progress(total_runs, total_runs, "done")
    baseline = _row("serial", 1, n, serial_record, serial_samples, [1.0] * len(serial_samples))
    return [baseline] + rows


def _row(mode, workers, n, record, seconds, ratios) -> dict:
    return {
        "mode": mode,
        "workers": workers,
        "n": n,
        "result": record.result,
        "seconds": Timing(tuple(seconds)).summary(),
        "speedup": Timing(tuple(ratios)).summary(),
        "record": record,
    }


def break_even_size(points) -> tuple[int | None, int | None]:
    """The break-even size of ``points``, ``(n, speedup)`` pairs measured at growing sizes ``n``:
    the smallest measured ``n`` from which on the parallel run won (speedup above 1) at EVERY
    larger measured size, and the measured size just below it (``None`` when ``n`` is the first).
    ``(None, None)`` when the parallel run did not win at the largest size.

    One win followed by a loss is noise, not a break-even: the size must hold from there on.

    >>> break_even_size([(1_000, 0.2), (10_000, 1.1), (100_000, 0.9), (1_000_000, 1.4), (3_000_000, 1.7)])
    (1000000, 100000)
    >>> break_even_size([(1_000, 1.2), (10_000, 1.5)])
    (1000, None)
    >>> break_even_size([(1_000, 0.5), (10_000, 0.9)])
    (None, None)
    """
    points = sorted((require_int("n", n, minimum=0), speedup) for n, speedup in points)
    first = len(points)
    while first > 0 and points[first - 1][1] > 1.0:
        first -= 1
    if first == len(points):
        return None, None
    return points[first][0], points[first - 1][0] if first > 0 else None
