"""Fetching JSON over HTTP with the standard library, with errors a learner can read.

>>> get_json("http://127.0.0.1:1/nothing", timeout=1)
Traceback (most recent call last):
...
gillab.chat.client.FetchError: could not fetch http://127.0.0.1:1/nothing: connection refused
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

from .._validate import require_positive_number

__all__ = ["get_json", "FetchError", "MAX_TIMEOUT_S"]

MAX_TIMEOUT_S = 120.0


class FetchError(Exception):
    """A request that did not give JSON: refused, timed out, an HTTP error, or not JSON.

    ``url``, ``reason`` and (for HTTP errors) ``status`` say what went wrong.
    """

    def __init__(self, url: str, reason: str, status: int | None = None):
        super().__init__(f"could not fetch {url}: {reason}")
        self.url, self.reason, self.status = url, reason, status


def get_json(url: str, timeout: float = 5.0):
    """GET ``url`` and return its decoded JSON body; raise :class:`FetchError` otherwise.

    ``timeout`` bounds the wait for the server (seconds, at most ``MAX_TIMEOUT_S``) so that a
    server that never answers cannot hang the caller.
    """
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"url must be a string starting with http:// or https://, got {url!r}")
    timeout = require_positive_number("timeout", timeout, maximum=MAX_TIMEOUT_S)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        raise FetchError(url, f"HTTP {error.code} {error.reason}", status=error.code) from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise FetchError(url, f"no answer within {timeout:g} s (timeout)") from None
        if isinstance(reason, ConnectionRefusedError):
            raise FetchError(url, "connection refused") from None
        raise FetchError(url, str(reason)) from None
    except TimeoutError:
        raise FetchError(url, f"no answer within {timeout:g} s (timeout)") from None
    except (ConnectionError, OSError) as error:
        raise FetchError(url, str(error) or type(error).__name__) from None
    try:
        return json.loads(body)
    except ValueError:
        raise FetchError(url, "the answer was not JSON") from None
