"""asyncio fetching for chapter 04: one thread, real overlap at the server, failures reported."""

import asyncio

import pytest
from support.paths import free_port

from gillab.chat.client import FetchError
from gillab.chat.server import ChatServer
from gillab.experiments.async_fetch import fetch_all_async, get_json_async


def test_answers_in_order_on_one_thread_with_every_request_at_the_server_at_once():
    with ChatServer(latency=0.5) as api:
        urls = [api.url(f"/items/{number}") for number in range(50)]
        run = asyncio.run(fetch_all_async(urls))
        in_flight = api.max_in_flight()
    assert [answer["item"] for answer in run.results] == list(range(50))
    assert run.errors == [None] * 50 and run.threads == 1
    # all 50 arrived before the first answer left: a burst the server's listen backlog must absorb
    assert in_flight == 50


def test_failures_are_reported_per_request():
    with ChatServer(latency=0) as api:
        api.fail("messages", "500")
        run = asyncio.run(fetch_all_async([api.friends_url(3), api.messages_url(3)]))
        assert run.results[0]["user"] == 3 and run.results[1] is None
        assert run.errors == [None, "HTTP 500 Internal Server Error"]
        api.fail("messages", "timeout")
        run = asyncio.run(fetch_all_async([api.messages_url(3)], timeout=0.3))
        assert run.errors == ["no answer within 0.3 s (timeout)"]


def test_a_refused_connection_is_a_fetch_error():
    with pytest.raises(FetchError, match="connection refused"):
        asyncio.run(get_json_async(f"http://127.0.0.1:{free_port()}/items/1", timeout=2))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: get_json_async("https://example.org/"), "must be a string starting with http://"),
        (lambda: get_json_async("http://127.0.0.1:1/", timeout=0), "timeout must be > 0"),
        (lambda: fetch_all_async("http://127.0.0.1:1/"), "urls must be a list"),
    ],
)
def test_bad_input_is_refused(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        asyncio.run(call())
