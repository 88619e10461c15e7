"""The video's chat app backend: a small, slow HTTP API that a notebook starts on 127.0.0.1.

It serves a user's friends and chat history, each answer delayed by a configurable latency (as a
server across the internet would be), and logs each request's arrival and departure on the
``perf_counter`` clock, so a lab or a grader can see how many requests were in flight at once.

Endpoints (all GET, all JSON):

- ``/users/<id>/friends``: ``{"user": id, "friends": [names]}``
- ``/users/<id>/messages``: ``{"user": id, "messages": [{"from": name, "text": ...}, ...]}``
- ``/items/<n>``: ``{"item": n}``, for experiments with many requests
- ``?latency=<seconds>`` on any of them overrides the server's latency for that request.

A failure can be injected per endpoint (``"friends"``, ``"messages"`` or ``"items"``): ``"500"``
answers HTTP 500 with a JSON error; ``"timeout"`` holds the request (up to ``HANG_S``, or until
the server stops) so that the client's own timeout fires.

>>> with ChatServer(latency=0) as api:
...     get_json(api.url("/users/1/friends"))["user"]
1
"""

from __future__ import annotations

import atexit
import collections
import json
import threading
import time
import weakref
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .._validate import require_int, require_positive_number
from .client import get_json  # noqa: F401 - re-exported for the doctest and the notebooks

__all__ = ["ChatServer", "RequestLog", "ENDPOINTS", "FAILURES", "MAX_LATENCY_S", "HANG_S", "max_in_flight"]

ENDPOINTS = ("friends", "messages", "items")
FAILURES = ("500", "timeout")
MAX_LATENCY_S = 10.0
#: How long a "timeout" failure holds a request before giving up on it itself.
HANG_S = 30.0
MAX_USER_ID = 1000
MAX_LOG = 10_000
_NAMES = ["Ada", "Grace", "Linus", "Guido", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Tim", "Radia", "Alan"]
_running: weakref.WeakSet = weakref.WeakSet()


class _Server(ThreadingHTTPServer):
    # http.server listens with a backlog of 5: a burst of 32 connections (the I/O lab, the
    # benchmark) overflows it, and each dropped connection is retried by the client's kernel
    # only after a second, which hides the very concurrency the course measures
    request_queue_size = 256
    daemon_threads = True


@dataclass(frozen=True)
class RequestLog:
    """One request as the server saw it: path, status, handling thread, arrival and departure."""

    path: str
    status: int
    thread_id: int
    arrival: float
    departure: float


def max_in_flight(log) -> int:
    """The most requests that were inside the server at the same moment, from a request log."""
    events = sorted([(entry.arrival, 1) for entry in log] + [(entry.departure, -1) for entry in log])
    peak = current = 0
    for _, change in events:  # at equal times a departure (-1) sorts first: touching is not overlapping
        current += change
        peak = max(peak, current)
    return peak


def _friends(user: int) -> list[str]:
    return [_NAMES[(user * 7 + step * 5) % len(_NAMES)] for step in range(3 + user % 4)]


def _messages(user: int) -> list[dict]:
    friends = _friends(user)
    return [
        {"from": friends[index % len(friends)], "text": f"message {index + 1} to user {user}"}
        for index in range(5 + user % 3)
    ]


class ChatServer:
    """A threaded HTTP server on 127.0.0.1 (a free port by default), stopped by :meth:`stop`,
    by leaving a ``with`` block, or when the Python process (the notebook's kernel) exits."""

    def __init__(self, latency: float = 0.2, port: int = 0):
        self.latency = require_positive_number("latency", latency, allow_zero=True, maximum=MAX_LATENCY_S)
        self._port = require_int("port", port, minimum=0, maximum=65535)
        self._failures: dict[str, str] = {}
        self._log: collections.deque[RequestLog] = collections.deque(maxlen=MAX_LOG)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------------------
    def start(self) -> ChatServer:
        """Start serving in a background thread; returns the server for chaining."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="chat-api", daemon=True)
        self._thread.start()
        _running.add(self)
        return self

    def stop(self) -> None:
        """Stop serving and release the port; held ("timeout") requests are let go at once."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None
        _running.discard(self)

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the chat API is not running: call start() first")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The full URL of ``path`` on this server, e.g. ``api.url("/users/1/friends")``."""
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"path must be a string starting with '/', got {path!r}")
        return self.base_url + path

    def friends_url(self, user_id: int) -> str:
        return self.url(f"/users/{require_int('user_id', user_id, minimum=1, maximum=MAX_USER_ID)}/friends")

    def messages_url(self, user_id: int) -> str:
        return self.url(f"/users/{require_int('user_id', user_id, minimum=1, maximum=MAX_USER_ID)}/messages")

    # --- behaviour --------------------------------------------------------------------------
    def set_latency(self, seconds: float) -> None:
        self.latency = require_positive_number("latency", seconds, allow_zero=True, maximum=MAX_LATENCY_S)

    def fail(self, endpoint: str, how: str | None) -> None:
        """Make ``endpoint`` fail (``"500"`` or ``"timeout"``), or work again with ``how=None``."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {', '.join(ENDPOINTS)}, got {endpoint!r}")
        if how is None:
            self._failures.pop(endpoint, None)
        elif how in FAILURES:
            self._failures[endpoint] = how
        else:
            raise ValueError(f"how must be one of {', '.join(FAILURES)} or None, got {how!r}")

    # --- what happened ----------------------------------------------------------------------
    @property
    def requests(self) -> list[RequestLog]:
        """Every request handled so far (the latest ``MAX_LOG``), in order of departure."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def max_in_flight(self) -> int:
        """The most requests this server held at the same moment since the log was cleared."""
        return max_in_flight(self.requests)

    # --- the handler ------------------------------------------------------------------------
    def _answer(self, path: str, query: dict) -> tuple[int, dict, str | None]:
        """(status, body, failure) for a request path; failure is the injected one, if any."""
        parts = path.strip("/").split("/")
        try:
            if len(parts) == 3 and parts[0] == "users" and parts[2] in ("friends", "messages"):
                endpoint, user = parts[2], int(parts[1])
                if not 1 <= user <= MAX_USER_ID:
                    return 404, {"error": f"no user {user}: user ids are 1..{MAX_USER_ID}"}, None
                body = {"user": user, endpoint: _friends(user) if endpoint == "friends" else _messages(user)}
            elif len(parts) == 2 and parts[0] == "items":
                endpoint, body = "items", {"item": int(parts[1])}
            else:
                return 404, {"error": f"no such endpoint {path!r}"}, None
        except ValueError:
            return 404, {"error": f"ids must be integers, got {path!r}"}, None
        return 200, body, self._failures.get(endpoint)

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                arrival = time.perf_counter()
                split = urlsplit(self.path)
                query = parse_qs(split.query)
                status, body, failure = server._answer(split.path, query)
                latency = server.latency
                if "latency" in query:
                    try:
                        latency = require_positive_number(
                            "latency", float(query["latency"][0]), allow_zero=True, maximum=MAX_LATENCY_S
                        )
                    except (TypeError, ValueError) as error:
                        status, body, failure, latency = 400, {"error": str(error)}, None, 0.0
                if failure == "timeout":
                    server._stopping.wait(HANG_S)
                    status, body = 504, {"error": "the server gave up on this request"}
                elif server._stopping.wait(latency) and status == 200:
                    status, body = 503, {"error": "the server is stopping"}
                if failure == "500":
                    status, body = 500, {"error": "internal server error (injected)"}
                payload = json.dumps(body).encode()
                # departure is taken before the first byte goes out, so a client's next request
                # can never seem to arrive before this one left; and the entry is logged before the
                # answer is sent, so a client that has its answer finds its request in the log
                departure = time.perf_counter()
                with server._lock:
                    server._log.append(RequestLog(split.path, status, threading.get_ident(), arrival, departure))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (its timeout): nothing left to tell it

            def log_message(self, *args):  # keep the notebook's output clean
                pass

        return Handler


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()
