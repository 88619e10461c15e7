"""The switch-interval lab: how late a waiting thread wakes while busy threads hold the GIL.

A busy thread running pure Python keeps the GIL until the switch interval (``sys.setswitchinterval``,
5 ms by default) asks it to let go. A thread that was waiting (for the network, a timer) must get
the GIL back before it can respond: the convoy effect. Each press measures the waiting thread alone
and then beside the busy threads, with :func:`gillab.experiments.convoy.response_delays`, at the interval on the
slider; your own interval is restored afterwards (and after an interrupt). On a free-threaded
kernel, with the GIL off, the lab says that there is no convoy to see.

>>> import sys
>>> before = sys.getswitchinterval()
>>> lab = switch_interval_lab(duration_s=0.2, effective_cpus=2)
>>> lab.interval.value = 1.0
>>> lab.run.click()
>>> lab.results[-1]["switch_interval_ms"], sys.getswitchinterval() == before
(1.0, True)
"""

from __future__ import annotations

import html
import sys

import ipywidgets as widgets

from .._validate import require_int, require_positive_number
from ..experiments.convoy import MAX_DURATION_S, MAX_SWITCH_INTERVAL_S, MIN_SWITCH_INTERVAL_S, response_delays
from ..machine.cpus import effective_cpu_count
from ..machine.interpreter import gil_enabled
from .base import Lab
from .figures import new_figure, placeholder_png, png
from .tables import html_table

__all__ = ["SwitchIntervalLab", "switch_interval_lab", "MAX_BUSY_THREADS", "INTERVAL_STOPS_MS"]

#: More busy threads only lengthen the queue for the GIL; four show the effect.
MAX_BUSY_THREADS = 4
#: The switch-interval slider's stops, in milliseconds: logarithmic, with readable values.
INTERVAL_STOPS_MS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
_COLUMNS = [
    ("run", "Run"), ("switch_interval", "Switch interval"), ("busy_threads", "Busy threads"),
    ("alone", "Late, alone: median / worst"), ("busy", "Late, beside busy threads: median / worst"),
    ("wakeups", "Wake-ups"),
]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3g} ms"


class SwitchIntervalLab(Lab):
    """The switch-interval lab's widgets and results. Build it with :func:`switch_interval_lab`.

    Widgets: ``interval`` (a SelectionSlider over :data:`INTERVAL_STOPS_MS`, milliseconds),
    ``busy_threads`` and ``duration``
    (sliders), ``run``, ``table`` (HTML), ``chart`` (Image). Results: ``results`` (one dict per
    run, with the :class:`~gillab.experiments.convoy.ResponseDelays` of both measurements under ``alone`` and
    ``beside_busy``), ``figure``, ``drawn``.
    """

    name = "switch-interval"
    title = "Switch-interval lab: how long a waiting thread waits for the GIL"

    def __init__(self, switch_interval_ms, busy_threads, duration_s, effective_cpus):
        cpus = effective_cpu_count() if effective_cpus is None else effective_cpus
        if not gil_enabled():
            extra = (
                "The GIL is OFF in this kernel (a free-threaded Python): the busy threads hold no lock the "
                "waiting thread needs, so it should wake about as late beside them as alone, at any switch "
                "interval"
                + (
                    ", though on one CPU the operating system also makes it take turns for the CPU itself"
                    if cpus == 1
                    else ""
                )
                + ". Run this lab on a standard kernel to see the convoy effect."
            )
        elif cpus == 1:
            extra = (
                "This lab still shows the GIL handing over, but on one CPU the operating system also makes "
                "the waiting thread take turns for the CPU itself, so it can wake even later."
            )
        else:
            extra = ""
        super().__init__(cpus, note_extra=extra)
        low, high = MIN_SWITCH_INTERVAL_S * 1000, MAX_SWITCH_INTERVAL_S * 1000
        switch_interval_ms = require_positive_number("switch_interval_ms", switch_interval_ms, maximum=high)
        if switch_interval_ms < low:
            raise ValueError(f"switch_interval_ms must be at least {low:g}, got {switch_interval_ms}")
        busy_threads = require_int("busy_threads", busy_threads, minimum=1, maximum=MAX_BUSY_THREADS)
        duration_s = require_positive_number("duration_s", duration_s, maximum=MAX_DURATION_S / 2)
        self.results: list[dict] = []
        self.figure = self.drawn = None
        self.runs = 0
        stops = sorted(set(INTERVAL_STOPS_MS) | {switch_interval_ms})
        self.interval = widgets.SelectionSlider(
            options=[(f"{stop:g}", stop) for stop in stops],
            value=switch_interval_ms,
            description="Switch interval (ms)",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="32em"),
        )
        self.interval.add_class("gillab-switch-interval")
        self.busy_threads = widgets.IntSlider(
            value=busy_threads,
            min=1,
            max=MAX_BUSY_THREADS,
            description="Busy threads",
            style={"description_width": "initial"},
        )
        self.busy_threads.add_class("gillab-busy-threads")
        self.duration = widgets.FloatSlider(
            value=duration_s,
            min=0.1,
            max=MAX_DURATION_S / 2,
            step=0.1,
            description="Seconds each",
            style={"description_width": "initial"},
        )
        self.duration.add_class("gillab-duration")
        self.learner_interval = widgets.HTML().add_class("gillab-learner-interval")
        self._show_learner_interval()
        self.table = widgets.HTML(html_table(_COLUMNS, [])).add_class("gillab-results-table")
        self.chart = widgets.Image(
            value=placeholder_png("Delays against the switch interval appear here after Run."),
            format="png",
            layout=widgets.Layout(max_width="100%"),
        )
        self.chart.add_class("gillab-chart")
        self.build(
            controls=[self.interval, widgets.HBox([self.busy_threads, self.duration]), self.learner_interval],
            results=[self.table, self.chart],
        )

    def _show_learner_interval(self) -> None:
        self.learner_interval.value = (
            f"Your Python's own switch interval is {sys.getswitchinterval() * 1000:.3g} ms; the lab sets the slider's "
            "value only while it measures."
        )

    def measure(self) -> None:
        interval_s = self.interval.value / 1000
        busy, duration = self.busy_threads.value, self.duration.value
        self.show_progress(0, 2, f"Measuring the waiting thread alone for {duration:g} s...")
        alone = response_delays(switch_interval_s=interval_s, duration_s=duration, cpu_threads=0)
        self.show_progress(
            1, 2, f"Measuring it beside {busy} busy thread(s) at {_ms(interval_s)} for {duration:g} s..."
        )
        beside = response_delays(switch_interval_s=interval_s, duration_s=duration, cpu_threads=busy)
        self.runs += 1
        self.results.append(
            {
                "run": self.runs,
                "switch_interval_ms": self.interval.value,
                "busy_threads": busy,
                "duration_s": duration,
                "alone_median_s": alone.median,
                "alone_worst_s": alone.worst,
                "busy_median_s": beside.median,
                "busy_worst_s": beside.worst,
                "wakeups_alone": len(alone.delays),
                "wakeups_busy": len(beside.delays),
                "busy_loops": beside.busy_loops,
                "interval_after_s": sys.getswitchinterval(),
                "alone": alone,
                "beside_busy": beside,
            }
        )
        self.show_progress(2, 2, "Drawing...")
        self._redraw()
        self._show_learner_interval()
        self.say(f"Done: run {self.runs}; your switch interval is back to {_ms(sys.getswitchinterval())}.")

    def _redraw(self) -> None:
        rows = [
            {
                "run": row["run"],
                "switch_interval": f"{row['switch_interval_ms']:.3g} ms",
                "busy_threads": row["busy_threads"],
                "alone": f"{_ms(row['alone_median_s'])} / {_ms(row['alone_worst_s'])}",
                "busy": f"{_ms(row['busy_median_s'])} / {_ms(row['busy_worst_s'])}",
                "wakeups": f"{row['wakeups_alone']} / {row['wakeups_busy']}",
            }
            for row in reversed(self.results)
        ]
        self.table.value = html_table(_COLUMNS, rows)
        self.figure, self.drawn = switch_interval_figure(self.results)
        self.chart.value = png(self.figure)

    def stop_after_interrupt(self) -> str:
        self._show_learner_interval()
        return f"your switch interval is back to {html.escape(_ms(sys.getswitchinterval()))}"


def switch_interval_figure(results):
    """Median and worst lateness against the switch interval (one line per busy-thread count), and
    the last run's delays. Returns ``(figure, drawn)``; ``drawn["lines"]`` maps each label to its
    (interval ms, delay ms) points."""
    figure, (summary, last) = new_figure(2)
    lines = {}
    latest = {}
    for row in results:
        latest[(row["switch_interval_ms"], row["busy_threads"])] = row
    intervals = sorted({key[0] for key in latest})
    for busy in sorted({key[1] for key in latest}):
        rows = sorted((row for key, row in latest.items() if key[1] == busy), key=lambda row: row["switch_interval_ms"])
        for what, style in (("median", "o-"), ("worst", "^--")):
            points = [(row["switch_interval_ms"], max(row[f"busy_{what}_s"] * 1000, 1e-3)) for row in rows]
            label = f"{what}, {busy} busy thread(s)"
            summary.plot(*zip(*points, strict=True), style, label=label, color=f"C{busy}")
            lines[label] = points
    alone = [
        (row["switch_interval_ms"], max(row["alone_median_s"] * 1000, 1e-3))
        for row in sorted(latest.values(), key=lambda row: row["switch_interval_ms"])
    ]
    summary.plot(*zip(*alone, strict=True), "s:", color="tab:gray", label="median, alone")
    lines["median, alone"] = alone
    summary.plot(
        [intervals[0], intervals[-1]], [intervals[0], intervals[-1]], "k--", linewidth=1, label="one switch interval"
    )
    summary.set_xscale("log")
    summary.set_yscale("log")
    summary.set_xlabel("switch interval (ms)")
    summary.set_ylabel("how late it woke (ms)")
    summary.set_title("Lateness against the switch interval")
    summary.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    row = results[-1]
    everything = [max(delay * 1000, 1e-3) for key in ("alone", "beside_busy") for delay in row[key].delays]
    low, high = min(everything + [row["switch_interval_ms"]]), max(everything + [row["switch_interval_ms"]])
    # lateness spans microseconds to tens of milliseconds: bins of equal width on a log scale
    bins = [low * (high / low) ** (step / 30) for step in range(31)] if high > low else 30
    for key, colour, label in (
        ("alone", "tab:gray", "alone"),
        ("beside_busy", "tab:red", f"beside {row['busy_threads']} busy"),
    ):
        delays = [max(delay * 1000, 1e-3) for delay in row[key].delays]
        last.hist(delays, bins=bins, alpha=0.6, color=colour, label=label)
    last.set_xscale("log")
    last.set_yscale("log")  # a few late wake-ups beside hundreds of prompt ones
    last.axvline(row["switch_interval_ms"], color="k", linestyle="--", linewidth=1, label="switch interval")
    last.set_xlabel("how late it woke (ms)")
    last.set_ylabel("wake-ups")
    last.set_title(f"Last run: switch interval {row['switch_interval_ms']:.3g} ms")
    last.legend(fontsize="x-small")
    return figure, {"lines": lines}


def switch_interval_lab(
    switch_interval_ms: float = 5.0, busy_threads: int = 1, duration_s: float = 1.0, effective_cpus: int | None = None
) -> SwitchIntervalLab:
    """The switch-interval lab, shown when it is the last expression of a cell: ``switch_interval_lab()``.

    ``switch_interval_ms`` (0.1 to 100; the slider stops at 0.1, 0.2, 0.5, 1, 2, 5, ... and at this
    value), ``busy_threads`` (1 to 4) and ``duration_s`` (seconds each
    of the two measurements of a press, up to 5) set where the sliders start; ``effective_cpus``
    overrides the detected CPU count (tests).
    """
    return SwitchIntervalLab(switch_interval_ms, busy_threads, duration_s, effective_cpus)
