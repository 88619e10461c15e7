"""Instruments for the concurrent-I/O problem set's tests: prove from the server's own log that a
student's code had several requests in flight at once, and that it survives a failing server.

- :class:`GatedChatServer` is the course's chat server holding its first ``gather`` requests until
  that many are inside it at the same moment (or a bounded wait passes). A client that really has
  ``gather`` requests in flight releases the gate at once, however slow the machine; one that sends
  them one at a time waits once and shows a single request in flight. No clock is compared with
  another: the server's log of arrivals and departures is the evidence.
- While ``gillab grade`` grades, the gate does not open by itself when it is full: the grader's
  witness (:mod:`gillab.grading.witness`) first counts the held connections in the kernel's own
  TCP table, where code in the kernel cannot make them up, then releases them.
- :func:`check_in_flight` reads that log; :func:`finishes_within` bounds a call that must not hang;
  :func:`check_dashboard` says what is wrong with a ``load_dashboard`` result.

Failures raise :class:`~gillab.probes.verdicts.GradingFailure` with a message that teaches.

>>> from concurrent.futures import ThreadPoolExecutor
>>> from gillab.chat.client import get_json
>>> with GatedChatServer(gather=3) as server:
...     with ThreadPoolExecutor(3) as pool:
...         answers = list(pool.map(get_json, [server.url(f"/items/{i}") for i in range(3)]))
>>> answers, server.gate_met, server.max_in_flight()
([{'item': 0}, {'item': 1}, {'item': 2}], True, 3)
"""

from __future__ import annotations

import json
import threading

from .._validate import require_int, require_positive_number
from ..chat.server import ChatServer
from . import evidence
from .verdicts import GradingFailure, check_equal

__all__ = ["GatedChatServer", "check_in_flight", "finishes_within", "call_dashboard", "check_dashboard", "GATE_WAIT_S"]

#: How long the gate holds requests when fewer than ``gather`` arrive (a client sending them one at
#: a time pays this once). Threads of the same process reach the server within milliseconds.
GATE_WAIT_S = 5.0


class GatedChatServer(ChatServer):
    """A :class:`~gillab.chat.server.ChatServer` whose first ``gather`` requests wait inside the server
    until that many are in at once, or ``wait_s`` passes (then it stops holding anything)."""

    def __init__(self, gather: int, wait_s: float = GATE_WAIT_S, latency: float = 0.0):
        super().__init__(latency=latency)
        self.gather = require_int("gather", gather, minimum=1, maximum=64)
        self.wait_s = require_positive_number("wait_s", wait_s, maximum=60)
        self._gate = threading.Condition()
        self._arrived = 0
        self._gate_open = False
        self._met = False
        self._evidence = None  # the witness's folder for this server, while a grader watches

    def start(self) -> GatedChatServer:
        """Start as a ChatServer does; while a grader watches, tell its witness which port to watch."""
        super().start()
        witness = evidence.witness_folder()
        if witness is not None and self._evidence is None:
            self._evidence = evidence.new_probe_folder("requests", witness)
            (self._evidence / "spec.json").write_text(json.dumps({"port": self.port, "gather": self.gather}))
        return self

    @property
    def gate_met(self) -> bool:
        """Whether ``gather`` requests were ever inside the server at the same moment."""
        return self._met

    def _answer(self, path, query):
        # The handler stamps a request's arrival before calling this and its departure after, so
        # a request held here is in flight in the server's own log.
        with self._gate:
            self._arrived += 1
            if not self._gate_open and self._arrived >= self.gather:
                if self._evidence is not None:
                    # the grader's witness counts the connections in this kernel's own TCP table
                    # while all of them are held here, then lets them go
                    evidence.touch(self._evidence / "gathered")
                    evidence.wait_for(self._evidence, ("released",), self.wait_s)
                self._gate_open = self._met = True
                self._gate.notify_all()
            elif not self._gate.wait_for(lambda: self._gate_open, timeout=self.wait_s):
                self._gate_open = True  # one at a time: wait once, not once per request
                self._gate.notify_all()
        return super()._answer(path, query)

    def stop(self) -> None:
        """Let go of anything held at the gate, then stop as a ChatServer does."""
        with self._gate:
            self._gate_open = True
            self._gate.notify_all()
        super().stop()


def check_in_flight(server: ChatServer, function_name: str, at_least: int) -> None:
    """Raise :class:`GradingFailure` unless the server's log shows ``at_least`` requests in flight
    at the same moment."""
    seen, requests = server.max_in_flight(), len(server.requests)
    if seen < at_least:
        raise GradingFailure(
            f"{function_name} never had {at_least} requests in flight at once: the server's log shows at "
            f"most {seen} of its {requests} requests at the same time. Send the requests from several "
            f"threads (a ThreadPoolExecutor, or a threading.Thread each) and start them all before "
            f"waiting for any answer."
        )


def finishes_within(limit_s: float, function, *args, situation: str = "", **kwargs):
    """``function(*args, **kwargs)``, called on a daemon thread; raise :class:`GradingFailure` if it
    has not returned after ``limit_s`` seconds. This bounds a hang, it does not judge speed: choose
    a limit many times what a working call needs. The call's own exception is re-raised here."""
    limit_s = require_positive_number("limit_s", limit_s, maximum=600)
    outcome: dict = {}

    def call():
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - re-raised on the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=call, name="grading-deadline", daemon=True)
    worker.start()
    worker.join(limit_s)
    if worker.is_alive():
        name = getattr(function, "__name__", "the function")
        raise GradingFailure(
            f"{name} had not returned {limit_s:g} s after it was called{' ' + situation if situation else ''}. "
            f"A request the server never answers must end at its timeout: pass timeout= to get_json."
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def call_dashboard(load_dashboard, api, user_id: int, timeout: float, situation: str, limit_s: float = 15.0):
    """``load_dashboard(api, user_id, timeout=timeout)``, bounded by :func:`finishes_within`; an
    exception it lets out becomes a :class:`GradingFailure` that says how to report it instead."""
    try:
        return finishes_within(limit_s, load_dashboard, api, user_id, timeout=timeout, situation=situation)
    except GradingFailure:
        raise
    except Exception as error:  # noqa: BLE001 - letting it out is the finding
        raise GradingFailure(
            f"load_dashboard(api, {user_id}) raised {type(error).__name__}: {error} ({situation}). A failed "
            f"request must not crash the dashboard: catch FetchError for each request and put its reason "
            f"in the result's \"errors\"."
        ) from None


def check_dashboard(dashboard, call: str, friends, messages, failed: dict | None = None) -> None:
    """Raise :class:`GradingFailure` unless ``dashboard`` is ``{"friends": friends, "messages":
    messages, "errors": {...}}`` where the errors name exactly the endpoints in ``failed``, each
    reason containing the word ``failed`` maps it to (e.g. ``{"messages": "500"}``)."""
    failed = failed or {}
    if not isinstance(dashboard, dict) or set(dashboard) != {"friends", "messages", "errors"}:
        keys = sorted(dashboard) if isinstance(dashboard, dict) else type(dashboard).__name__
        raise GradingFailure(
            f"{call} returned {keys!r}: expected a dict with the keys 'friends', 'messages' and 'errors'"
        )
    check_equal(dashboard["friends"], None if "friends" in failed else friends, f"{call}['friends']")
    check_equal(dashboard["messages"], None if "messages" in failed else messages, f"{call}['messages']")
    errors = dashboard["errors"]
    if not isinstance(errors, dict) or set(errors) != set(failed):
        raise GradingFailure(
            f"{call}['errors'] is {errors!r}: expected one entry for each failed request "
            f"({', '.join(sorted(failed)) or 'none failed'}), endpoint name -> the FetchError's reason"
        )
    for endpoint, word in failed.items():
        if word not in str(errors[endpoint]):
            raise GradingFailure(
                f"{call}['errors'][{endpoint!r}] is {errors[endpoint]!r}: the reason should say {word!r}"
            )
