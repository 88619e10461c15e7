"""The I/O lab: many requests to a slow server, one after another or on threads, and a UI that freezes.

It is the video's chat app: the course's HTTP API (:class:`gillab.chat.server.ChatServer`, on
127.0.0.1, a free port, stopped when the kernel stops) answers each request after the latency on
the slider. Each press loads the requests twice with :func:`gillab.experiments.io_tasks.ui_session`: serially
by the UI loop itself (the UI freezes for the whole load), then on threads in the background (the
UI keeps redrawing every 10 ms). A waiting thread does not need the GIL, so threads overlap.

>>> lab = io_lab(requests=4, latency_ms=100, threads=4, effective_cpus=2)
>>> lab.run.click()
>>> row = lab.results[-1]
>>> row["threaded_in_flight"], row["serial_in_flight"], row["failed"]
(4, 1, 0)
"""

from __future__ import annotations

import math
import threading
import time

import ipywidgets as widgets
from matplotlib.ticker import MaxNLocator

from .._validate import require_int, require_positive_number
from ..chat.server import ChatServer
from ..experiments.io_tasks import fetch_serial, fetch_threaded, ui_session
from .base import Lab
from .figures import new_figure, placeholder_png, png
from .tables import html_table

__all__ = ["IoLab", "io_lab", "shared_server", "MAX_REQUESTS", "MAX_THREADS", "MAX_LATENCY_MS"]

MAX_REQUESTS = 100
MAX_THREADS = 64
#: The latency slider's top: a second per request is already a very slow server.
MAX_LATENCY_MS = 1000
_server: ChatServer | None = None
_server_lock = threading.Lock()
_COLUMNS = [
    ("run", "Run"), ("requests", "Requests"), ("latency", "Latency"), ("threads", "Threads"),
    ("serial", "Serial"), ("threaded", "Threaded"), ("speedup", "Speedup"),
    ("gaps", "Largest UI freeze: serial / threaded"), ("in_flight", "Most in flight: serial / threaded"),
]


def shared_server() -> ChatServer:
    """The kernel's one chat server for the labs, started on first use (127.0.0.1, a free port).

    It stops when the kernel's Python exits (:class:`~gillab.chat.server.ChatServer` registers that);
    every request carries its own ``?latency=``, so labs sharing it do not disturb each other.
    """
    global _server
    with _server_lock:
        if _server is None or not _server.running:
            _server = ChatServer(latency=0).start()
        return _server


class IoLab(Lab):
    """The I/O lab's widgets and results. Build it with :func:`io_lab`.

    Widgets: ``requests``, ``latency`` (milliseconds) and ``threads`` (IntSliders), ``run``,
    ``table`` (HTML), ``chart`` (Image). Results: ``results`` (one dict per run; the
    :class:`~gillab.experiments.io_tasks.FetchRun` and :class:`~gillab.experiments.io_tasks.UiRun`
    of both loads are under
    ``serial_fetch``, ``threaded_fetch``, ``serial_ui``, ``threaded_ui``), ``figure``, ``drawn``,
    ``server``.
    """

    name = "io"
    title = "I/O lab: waiting for a server, serially or on threads"

    def __init__(self, requests, latency_ms, threads, time_budget_s, server, effective_cpus):
        super().__init__(
            effective_cpus,
            note_extra="Waiting for a server needs no CPU, so threads do speed this lab up, even on one CPU.",
        )
        self.time_budget_s = require_positive_number("time_budget_s", time_budget_s, maximum=600)
        latency_ms = require_int("latency_ms", latency_ms, minimum=0, maximum=MAX_LATENCY_MS)
        requests = require_int("requests", requests, minimum=1, maximum=MAX_REQUESTS)
        threads = require_int("threads", threads, minimum=1, maximum=MAX_THREADS)
        if requests > self._most_requests(latency_ms):
            raise ValueError(
                f"{requests} requests at {latency_ms} ms would take more than about {self.time_budget_s:g} s "
                f"serially; at most {self._most_requests(latency_ms)} at that latency"
            )
        self._given_server = server
        self.server = server
        self.results: list[dict] = []
        self.figure = self.drawn = None
        self.runs = 0
        style = {"description_width": "initial"}
        self.latency = widgets.IntSlider(
            value=latency_ms, min=0, max=MAX_LATENCY_MS, step=10, description="Server latency (ms)", style=style
        )
        self.latency.add_class("gillab-latency")
        self.requests = widgets.IntSlider(
            value=requests, min=1, max=self._most_requests(latency_ms), description="Requests", style=style
        )
        self.requests.add_class("gillab-requests")
        self.threads = widgets.IntSlider(value=threads, min=1, max=MAX_THREADS, description="Threads", style=style)
        self.threads.add_class("gillab-threads")
        self.latency.observe(lambda change: self._fit_requests(change["new"]), names="value")
        self.table = widgets.HTML(html_table(_COLUMNS, [])).add_class("gillab-results-table")
        self.chart = widgets.Image(
            value=placeholder_png("Serial and threaded loading appear here after Run."),
            format="png",
            layout=widgets.Layout(max_width="100%"),
        )
        self.chart.add_class("gillab-chart")
        self.build(
            controls=[widgets.HBox([self.requests, self.latency]), self.threads], results=[self.table, self.chart]
        )

    def _most_requests(self, latency_ms: int) -> int:
        # the serial load is the long one: it alone may take most of a press's time budget
        if latency_ms == 0:
            return MAX_REQUESTS
        return max(1, min(MAX_REQUESTS, math.floor(0.8 * self.time_budget_s * 1000 / latency_ms)))

    def _fit_requests(self, latency_ms: int) -> None:
        self.requests.max = self._most_requests(latency_ms)

    def _running_server(self) -> ChatServer:
        if self.server is None or not self.server.running:
            self.server = self._given_server.start() if self._given_server is not None else shared_server()
        return self.server

    def measure(self) -> None:
        requests, latency_ms, threads = self.requests.value, self.latency.value, self.threads.value
        if requests > self._most_requests(latency_ms):
            raise RuntimeError(f"{requests} requests at {latency_ms} ms exceed this lab's time budget")
        server = self._running_server()
        urls = [server.url(f"/items/{index}?latency={latency_ms / 1000:g}") for index in range(requests)]
        self.show_progress(0, 2, f"Serial: the UI loads {requests} requests itself, one after another...")
        server.clear_log()
        serial_ui = ui_session(lambda: fetch_serial(urls), in_background=False)
        serial_in_flight = server.max_in_flight()
        self.show_progress(1, 2, f"Threaded: {threads} thread(s) load them in the background while the UI redraws...")
        server.clear_log()
        threaded_ui = ui_session(lambda: fetch_threaded(urls, threads), in_background=True)
        threaded_in_flight = server.max_in_flight()
        serial, threaded = serial_ui.result, threaded_ui.result
        failed = sum(error is not None for error in serial.errors + threaded.errors)
        if failed == 2 * requests:
            raise RuntimeError(f"every request failed, the first with: {serial.errors[0]}")
        self.runs += 1
        self.results.append(
            {
                "run": self.runs,
                "requests": requests,
                "latency_ms": latency_ms,
                "threads": threads,
                "serial_s": serial.wall_s,
                "threaded_s": threaded.wall_s,
                "speedup": serial.wall_s / threaded.wall_s if threaded.wall_s > 0 else float("inf"),
                "serial_gap_s": serial_ui.largest_gap_s,
                "threaded_gap_s": threaded_ui.largest_gap_s,
                "serial_in_flight": serial_in_flight,
                "threaded_in_flight": threaded_in_flight,
                "failed": failed,
                "serial_fetch": serial,
                "threaded_fetch": threaded,
                "serial_ui": serial_ui,
                "threaded_ui": threaded_ui,
            }
        )
        self.show_progress(2, 2, "Drawing...")
        self._redraw()
        note = f"; {failed} request(s) failed (see results)" if failed else ""
        self.say(f"Done: run {self.runs}{note}.")

    def _redraw(self) -> None:
        rows = [
            {
                "run": row["run"],
                "requests": row["requests"],
                "latency": f"{row['latency_ms']} ms",
                "threads": row["threads"],
                "serial": f"{row['serial_s']:.3f} s",
                "threaded": f"{row['threaded_s']:.3f} s",
                "speedup": f"{row['speedup']:.1f}x",
                "gaps": f"{row['serial_gap_s'] * 1000:.0f} ms / {row['threaded_gap_s'] * 1000:.0f} ms",
                "in_flight": f"{row['serial_in_flight']} / {row['threaded_in_flight']}",
            }
            for row in reversed(self.results)
        ]
        self.table.value = html_table(_COLUMNS, rows)
        self.figure, self.drawn = io_figure(self.results)
        self.chart.value = png(self.figure)

    def stop_after_interrupt(self) -> str:
        # requests still waiting on the server would keep their threads busy for up to the latency:
        # stopping the server answers them at once, then it starts again on a new free port
        if self.server is None or not self.server.running:
            return ""
        self.server.stop()
        deadline = time.monotonic() + 10
        for thread in threading.enumerate():
            if thread.name.startswith(("fetch", "loader")):
                thread.join(max(0.0, deadline - time.monotonic()))
        self.server.start()
        return "requests in flight were ended by restarting the local server"


def io_figure(results):
    """Loading time against threads (for the last run's requests and latency), the last run's UI
    freezes, and its threaded requests over time. Returns ``(figure, drawn)``; ``drawn["points"]``
    holds the (threads, seconds) points of the first panel."""
    figure, (times, freezes, flight) = new_figure(3, width=14)
    last = results[-1]
    same = {}
    for row in results:
        if (row["requests"], row["latency_ms"]) == (last["requests"], last["latency_ms"]):
            same[row["threads"]] = row
    points = sorted((threads, row["threaded_s"]) for threads, row in same.items())
    times.plot(*zip(*points, strict=True), "o-", color="tab:blue", label="threads (measured)")
    top = max(max(same), 2)
    ideal = [(k, math.ceil(last["requests"] / k) * last["latency_ms"] / 1000) for k in range(1, top + 1)]
    times.plot(*zip(*ideal, strict=True), "k--", linewidth=1, label="ideal: ceil(requests / threads) x latency")
    times.axhline(last["serial_s"], color="tab:gray", linestyle=":", label="serial (last run)")
    times.set_xlabel("threads")
    times.xaxis.set_major_locator(MaxNLocator(integer=True))  # a thread count is whole
    times.set_ylabel("seconds to load all")
    times.set_ylim(bottom=0)
    times.set_title(f"{last['requests']} requests at {last['latency_ms']} ms")
    times.legend(fontsize="x-small")
    gaps = [last["serial_gap_s"] * 1000, last["threaded_gap_s"] * 1000]
    bars = freezes.bar(
        ["serial\n(UI loads itself)", f"{last['threads']} thread(s)\n(in background)"],
        gaps,
        color=["tab:gray", "tab:blue"],
    )
    freezes.bar_label(bars, labels=[f"{gap:.0f} ms" for gap in gaps])
    freezes.margins(y=0.15)
    freezes.set_ylabel("largest gap between redraws (ms)")
    freezes.set_title("Last run: how long the UI froze")
    run = last["threaded_fetch"]
    origin = min(start for start, _ in run.intervals)
    for index, (start, end) in enumerate(run.intervals):
        flight.broken_barh([(start - origin, max(end - start, 1e-4))], (index - 0.4, 0.8), color="tab:blue", alpha=0.6)
    flight.set_ylim(-0.6, len(run.intervals) - 0.4)
    flight.invert_yaxis()
    flight.set_xlabel("seconds since the first request")
    flight.set_ylabel("request")
    flight.set_title(f"Last run: requests on {last['threads']} thread(s)")
    return figure, {"points": points, "gaps_ms": gaps}


def io_lab(
    requests: int = 16,
    latency_ms: int = 200,
    threads: int = 8,
    time_budget_s: float = 10.0,
    server: ChatServer | None = None,
    effective_cpus: int | None = None,
) -> IoLab:
    """The I/O lab, shown when it is the last expression of a cell: ``io_lab()``.

    ``requests`` (1 to 100), ``latency_ms`` (0 to 1000) and ``threads`` (1 to 64) set where the
    sliders start; the requests slider stops where the serial load would take most of
    ``time_budget_s``. ``server``: a :class:`~gillab.chat.server.ChatServer` to use (default: one
    shared by the kernel's labs, started on first use); ``effective_cpus`` overrides the detected
    CPU count (tests).
    """
    return IoLab(requests, latency_ms, threads, time_budget_s, server, effective_cpus)
