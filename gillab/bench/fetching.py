"""The ``io`` section: many slow requests to the course's local chat API, serially and on threads.

Each request waits ``latency`` seconds in the server; a waiting thread does not hold the GIL, so
``threads`` requests can wait together. Serial and threaded fetches are timed in pairs, as the
CPU speedups are, and the server's own log shows how many requests were inside it at once::

    {"requests": 32, "latency_s": 0.2, "threads": 32, "ideal_speedup": 32,
     "serial_s": {...}, "threaded_s": {...}, "speedup": {...}, "max_in_flight": 32}

``max_in_flight`` is the smallest, over the timed threaded runs, of the most requests the server
held at the same moment.
"""

from __future__ import annotations

from ..chat.server import ChatServer
from ..experiments.io_tasks import fetch_serial, fetch_threaded
from ..measure.timing import Timing

__all__ = ["measure_io"]


def _check(run, label: str):
    failed = [error for error in run.errors if error is not None]
    if failed:
        raise RuntimeError(f"{label}: {len(failed)} of {len(run.errors)} requests failed, first: {failed[0]}")
    return run


def measure_io(requests: int, latency_s: float, threads: int, repeats: int, on_progress=None) -> dict:
    """Fetch ``requests`` URLs from a local :class:`~gillab.chat.server.ChatServer` answering after
    ``latency_s``, serially and on ``threads`` threads, ``repeats`` pairs; a failed request fails
    the section (RuntimeError) rather than flattering the threaded time."""
    serial_s, threaded_s, ratios, in_flight = [], [], [], []
    with ChatServer(latency=latency_s) as api:
        urls = [api.url(f"/items/{index}") for index in range(requests)]
        _check(fetch_threaded(urls, threads), "warm-up")  # first connections, thread pool code paths
        for repeat in range(repeats):
            if on_progress is not None:
                on_progress(repeat, repeats, f"{requests} requests, serial and {threads} threads")
            serial = _check(fetch_serial(urls), "serial")
            api.clear_log()
            threaded = _check(fetch_threaded(urls, threads), "threaded")
            in_flight.append(api.max_in_flight())
            serial_s.append(serial.wall_s)
            threaded_s.append(threaded.wall_s)
            ratios.append(serial.wall_s / threaded.wall_s)
    return {
        "requests": requests,
        "latency_s": latency_s,
        "threads": threads,
        "ideal_speedup": min(requests, threads),
        "serial_s": Timing(tuple(serial_s)).summary(),
        "threaded_s": Timing(tuple(threaded_s)).summary(),
        "speedup": Timing(tuple(ratios)).summary(),
        "max_in_flight": min(in_flight),
    }
