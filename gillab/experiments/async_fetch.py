"""Fetching many URLs on ONE thread with asyncio, for comparison with threads (chapter 04).

While a coroutine waits for the network it gives control back to the event loop, which runs
another; nothing runs in parallel, but the waits overlap, as they do with threads. The standard
library has no asyncio HTTP client, so :func:`get_json_async` speaks just enough HTTP/1.x over
``asyncio.open_connection`` for the course's local API (plain ``http://``, a JSON body).

In a notebook cell, ``await`` it directly (``run = await fetch_all_async(urls)``); in a script,
``asyncio.run(fetch_all_async(urls))``.

>>> import asyncio
>>> from gillab.chat.server import ChatServer
>>> with ChatServer(latency=0.05) as api:
...     run = asyncio.run(fetch_all_async([api.url(f"/items/{i}") for i in range(3)]))
>>> [answer["item"] for answer in run.results], run.threads
([0, 1, 2], 1)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from urllib.parse import urlsplit

from .._validate import require_positive_number
from ..chat.client import FetchError
from .io_tasks import MAX_URLS, FetchRun

__all__ = ["get_json_async", "fetch_all_async"]


async def _exchange(host: str, port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        return await reader.read()  # the server closes the connection after its answer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def get_json_async(url: str, timeout: float = 5.0):
    """GET an ``http://`` URL without blocking the event loop and return its decoded JSON body;
    raise :class:`gillab.chat.client.FetchError` (refused, timed out, HTTP error, not JSON)."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"url must be a string starting with http://, got {url!r}")
    timeout = require_positive_number("timeout", timeout, maximum=120)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        raw = await asyncio.wait_for(_exchange(parts.hostname, parts.port or 80, path), timeout)
    except asyncio.TimeoutError:
        raise FetchError(url, f"no answer within {timeout:g} s (timeout)") from None
    except ConnectionRefusedError:
        raise FetchError(url, "connection refused") from None
    except OSError as error:
        raise FetchError(url, str(error) or type(error).__name__) from None
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or not status_line[1].isdigit():
        raise FetchError(url, "the answer was not HTTP")
    status = int(status_line[1])
    if status != 200:
        reason = b" ".join(status_line[2:]).decode(errors="replace")
        raise FetchError(url, f"HTTP {status} {reason}".strip(), status=status)
    try:
        return json.loads(body)
    except ValueError:
        raise FetchError(url, "the answer was not JSON") from None


async def fetch_all_async(urls, timeout: float = 5.0) -> FetchRun:
    """Fetch every URL concurrently on the running event loop; answers keep the order of ``urls``.

    Returns a :class:`gillab.experiments.io_tasks.FetchRun` whose ``threads`` is the number of different
    threads that ran the requests: 1.
    """
    if isinstance(urls, str) or not hasattr(urls, "__iter__"):
        raise TypeError(f"urls must be a list of URL strings, got {urls!r}")
    urls = list(urls)
    if len(urls) > MAX_URLS:
        raise ValueError(f"at most {MAX_URLS} URLs at once, got {len(urls)}")
    timeout = require_positive_number("timeout", timeout, maximum=120)
    thread_ids = set()

    async def one(url):
        thread_ids.add(threading.get_native_id())
        start = time.perf_counter()
        try:
            answer, error = await get_json_async(url, timeout), None
        except FetchError as failure:
            answer, error = None, failure.reason
        return answer, error, (start, time.perf_counter())

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(one(url) for url in urls))
    return FetchRun(
        results=[answer for answer, _, _ in outcomes],
        errors=[error for _, error, _ in outcomes],
        intervals=[interval for _, _, interval in outcomes],
        wall_s=time.perf_counter() - started,
        threads=len(thread_ids),
    )
