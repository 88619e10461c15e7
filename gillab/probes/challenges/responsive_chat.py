"""Chapter 04's challenge: load the chat app's friends and messages at the same time while the user
interface keeps redrawing.

The learner writes ``load_chat(api, user_id, redraw)``: fetch ``api.friends_url(user_id)`` and
``api.messages_url(user_id)`` with ``get_json``, each on a thread of its own and both at once, and
meanwhile, on the thread that called ``load_chat`` (the UI's), call ``redraw()`` about every 10 ms
until both answers are in; return ``{"friends": <friends answer>, "messages": <messages answer>}``.

The check runs it against the course's chat server in its gated form
(:class:`gillab.probes.chat_requests.GatedChatServer`: it holds the first two requests until both
are inside, a few seconds at most), and hands it a ``redraw`` that notes when and on which thread
it was called. From the server's own log of arrivals and departures it says whether both requests
were in flight at once, and from the redraws whether the UI kept going while they were (and its
longest freeze, as a fact). It compares when things happened, never how fast they were. Handing
the work to :mod:`gillab.experiments.io_tasks` does not count.

>>> from gillab.chat.client import get_json
>>> def load_chat(api, user_id, redraw):
...     friends = get_json(api.friends_url(user_id))
...     messages = get_json(api.messages_url(user_id))
...     redraw()
...     return {"friends": friends, "messages": messages}
>>> CHALLENGE.verdict({"load_chat": load_chat}).change  # one at a time: the gate waits once
'start both requests on threads before you wait for either answer'
"""

from __future__ import annotations

import threading
import time
from itertools import pairwise

from ...chat.client import get_json
from ...experiments import io_tasks
from ..chat_requests import GatedChatServer
from ..tripwire import forbid_calls
from .judging import Challenge, Verdict, call_answer, not_yet, passed

__all__ = ["CHALLENGE", "check", "Redraws", "USER_ID", "LATENCY_S", "GATE_WAIT_S"]

USER_ID = 7
#: The server answers each request this long after both are in (the chapter's latency).
LATENCY_S = 0.2
#: How long the server holds a lone request, waiting for the second one (paid once by an answer
#: that sends them one after the other).
GATE_WAIT_S = 3.0
_CALL = f"load_chat(api, {USER_ID}, redraw)"


class Redraws:
    """A ``redraw()`` for the learner's UI loop that notes when (``perf_counter``) and on which
    native thread each call came."""

    def __init__(self):
        self.calls: list[tuple[float, int]] = []

    def __call__(self) -> None:
        self.calls.append((time.perf_counter(), threading.get_native_id()))

    def on_thread(self, thread: int) -> list[float]:
        """The times of the calls made on ``thread``."""
        return [moment for moment, caller in self.calls if caller == thread]


def _judge(namespace: dict) -> Verdict:
    load_chat = namespace["load_chat"]
    caller = threading.get_native_id()
    redraw = Redraws()
    with forbid_calls(namespace, io_tasks.fetch_threaded, io_tasks.fetch_serial, io_tasks.ui_session) as tripwire:
        with GatedChatServer(gather=2, wait_s=GATE_WAIT_S, latency=LATENCY_S) as api:
            started = time.perf_counter()
            result = call_answer(_CALL, load_chat, api, USER_ID, redraw)
            returned = time.perf_counter()
            log = api.requests
            in_flight = api.max_in_flight()
            api.set_latency(0)
            expected = {"friends": get_json(api.friends_url(USER_ID)), "messages": get_json(api.messages_url(USER_ID))}
    used = [label for label, count in tripwire.counts.items() if count]
    if used:
        return not_yet(
            f"{_CALL} handed its work to {' and '.join(used)}, which the course provides",
            "write the threads and the UI loop yourself: threading.Thread for each request, and a loop that calls "
            "redraw() until both threads are done",
        )
    paths = {entry.path for entry in log}
    missing = [name for name in ("friends", "messages") if f"/users/{USER_ID}/{name}" not in paths]
    if missing:
        return not_yet(
            f"{_CALL} never requested the {' and the '.join(missing)}",
            "fetch both api.friends_url(user_id) and api.messages_url(user_id) with get_json",
        )
    if result != expected:
        shown = sorted(result) if isinstance(result, dict) else type(result).__name__
        return not_yet(
            f"{_CALL} returned {shown!r}, not the two answers",
            'return {"friends": <what get_json gave for the friends URL>, "messages": <the same for the messages>}',
        )
    if in_flight < 2:
        return not_yet(
            "your two requests were never at the server at the same time: its log shows them one after the other",
            "start both requests on threads before you wait for either answer",
        )
    first_arrival = min(entry.arrival for entry in log)
    last_departure = max(entry.departure for entry in log)
    ui = redraw.on_thread(caller)
    during = [moment for moment in ui if first_arrival < moment < last_departure]
    freeze = max((later - earlier for earlier, later in pairwise([started, *ui, returned])), default=returned - started)
    fact = f"The UI's longest freeze: {freeze * 1000:.0f} ms (the server took {LATENCY_S * 1000:.0f} ms to answer)."
    if not ui and redraw.calls:
        return not_yet(
            "redraw() was called only on other threads, never on the thread that called load_chat (the UI's)",
            "keep the UI loop on the calling thread: while the request threads run, call redraw() and sleep 10 ms",
            fact,
        )
    if len(during) < 2:
        return not_yet(
            "the UI froze while the requests were at the server: redraw() was "
            + ("not called once" if not during else "called only once")
            + " while they were in flight",
            "after starting the two threads, loop on the calling thread: redraw(), time.sleep(0.01), until both "
            "threads are done (thread.is_alive()); then join them",
            fact,
        )
    return passed(
        f"both requests were inside the server at the same moment (its own log), and the UI redrew {len(during)} "
        "times while they were in flight",
        fact,
    )


CHALLENGE = Challenge("04", "a chat screen that loads without freezing", ("load_chat",), _judge)


def check(namespace: dict) -> None:
    """The check cell: ``responsive_chat.check(globals())`` prints the verdict on ``load_chat``."""
    CHALLENGE.check(namespace)
