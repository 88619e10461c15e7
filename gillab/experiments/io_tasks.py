"""Fetching many URLs one after another or on threads, and a "UI" heartbeat that shows freezes.

The course's version of the video's chat app: while requests wait for the server, a thread does
not need the GIL, so other threads run. :func:`ui_session` stands in for an app's user interface: a
loop that wants to redraw every 10 ms and must also get some loading done, either itself (the UI
freezes until the loading ends) or on a background thread (the UI keeps redrawing).
:class:`Heartbeat` is the same kind of beat on a thread of its own, to watch other work from outside.

>>> from gillab.chat.server import ChatServer
>>> with ChatServer(latency=0.05) as api:
...     run = fetch_threaded([api.url(f"/items/{i}") for i in range(4)], n_threads=4)
>>> [answer["item"] for answer in run.results], run.errors
([0, 1, 2, 3], [None, None, None, None])
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

from .._validate import require_int, require_positive_number
from ..chat.client import FetchError, get_json

__all__ = ["FetchRun", "fetch_serial", "fetch_threaded", "Heartbeat", "UiRun", "ui_session", "MAX_URLS", "MAX_THREADS"]

MAX_URLS = 1000
MAX_THREADS = 256


@dataclass
class FetchRun:
    """Answers in the order of the URLs (``None`` where a request failed), the error message of
    each failed request (``None`` where it worked), each request's (start, end) on the
    ``perf_counter`` clock, and the wall time."""

    results: list
    errors: list
    intervals: list
    wall_s: float
    threads: int


def _check_urls(urls) -> list[str]:
    if isinstance(urls, str) or not hasattr(urls, "__iter__"):
        raise TypeError(f"urls must be a list of URL strings, got {urls!r}")
    urls = list(urls)
    if len(urls) > MAX_URLS:
        raise ValueError(f"at most {MAX_URLS} URLs at once, got {len(urls)}")
    return urls


def _fetch_one(url: str, timeout: float):
    start = time.perf_counter()
    try:
        answer, error = get_json(url, timeout=timeout), None
    except FetchError as failure:
        answer, error = None, failure.reason
    return answer, error, (start, time.perf_counter())


def _collect(outcomes, wall_s: float, threads: int) -> FetchRun:
    return FetchRun(
        results=[answer for answer, _, _ in outcomes],
        errors=[error for _, error, _ in outcomes],
        intervals=[interval for _, _, interval in outcomes],
        wall_s=wall_s,
        threads=threads,
    )


def fetch_serial(urls, timeout: float = 5.0) -> FetchRun:
    """Fetch each URL in turn on the calling thread; a failed request is recorded, not raised."""
    urls = _check_urls(urls)
    timeout = require_positive_number("timeout", timeout, maximum=120)
    start = time.perf_counter()
    outcomes = [_fetch_one(url, timeout) for url in urls]
    return _collect(outcomes, time.perf_counter() - start, 1)


def fetch_threaded(urls, n_threads: int, timeout: float = 5.0) -> FetchRun:
    """Fetch the URLs on a pool of ``n_threads`` threads; answers keep the order of ``urls``."""
    urls = _check_urls(urls)
    n_threads = require_int("n_threads", n_threads, minimum=1, maximum=MAX_THREADS)
    timeout = require_positive_number("timeout", timeout, maximum=120)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="fetch") as pool:
        outcomes = list(pool.map(lambda url: _fetch_one(url, timeout), urls))
    return _collect(outcomes, time.perf_counter() - start, n_threads)


class Heartbeat:
    """A thread that wants to run every ``period_s``, as a UI redrawing itself would.

    Use it as a context manager around the work to watch; afterwards ``largest_gap_s`` is the
    longest time between two beats (about ``period_s`` when the "UI" stayed responsive).
    """

    def __init__(self, period_s: float = 0.01):
        self.period_s = require_positive_number("period_s", period_s, maximum=1.0)
        self.beats: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        self.beats = [time.perf_counter()]
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.beats.append(time.perf_counter())

    def _beat(self) -> None:
        while not self._stop.wait(self.period_s):
            self.beats.append(time.perf_counter())

    @property
    def gaps(self) -> list[float]:
        return [later - earlier for earlier, later in pairwise(self.beats)]

    @property
    def largest_gap_s(self) -> float:
        return max(self.gaps, default=0.0)


@dataclass
class UiRun:
    """What the UI loop saw: when it redrew (``beats``), the longest freeze, and the load's result."""

    beats: list
    result: object
    in_background: bool

    @property
    def largest_gap_s(self) -> float:
        return max((later - earlier for earlier, later in pairwise(self.beats)), default=0.0)


def ui_session(load, in_background: bool, period_s: float = 0.01, timeout_s: float = 60.0) -> UiRun:
    """Run a UI loop on the calling thread that redraws every ``period_s`` until ``load()`` is done.

    With ``in_background=False`` the UI calls ``load()`` itself between two redraws, as a
    single-threaded app does, and freezes for as long as the load takes. With ``True`` it starts
    ``load()`` on a thread and keeps redrawing. An exception from ``load`` is re-raised here;
    a load still running after ``timeout_s`` raises ``TimeoutError``.
    """
    if not callable(load):
        raise TypeError(f"load must be callable, got {load!r}")
    period_s = require_positive_number("period_s", period_s, maximum=1.0)
    timeout_s = require_positive_number("timeout_s", timeout_s, maximum=600)
    beats = [time.perf_counter()]
    outcome: dict = {}

    def run_load():
        try:
            outcome["result"] = load()
        except BaseException as error:  # noqa: BLE001 - re-raised on the UI thread below
            outcome["error"] = error

    if in_background:
        worker = threading.Thread(target=run_load, name="loader", daemon=True)
        worker.start()
    else:
        run_load()
        worker = None
    deadline = time.perf_counter() + timeout_s
    while worker is not None and worker.is_alive():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the load was still running after {timeout_s:g} s")
        time.sleep(period_s)
        beats.append(time.perf_counter())
    beats.append(time.perf_counter())
    if "error" in outcome:
        raise outcome["error"]
    return UiRun(beats=beats, result=outcome.get("result"), in_background=in_background)
