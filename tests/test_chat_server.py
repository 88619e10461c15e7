"""The local chat API: answers, latency, concurrency as logged by the server, injected failures."""

import threading
import time

import pytest

from gillab.chat.client import FetchError, get_json
from gillab.chat.server import ChatServer, RequestLog, max_in_flight


@pytest.fixture
def api():
    with ChatServer(latency=0.0) as server:
        yield server


def test_friends_and_messages_of_a_user(api):
    friends = get_json(api.friends_url(3))
    messages = get_json(api.messages_url(3))
    assert friends["user"] == 3 and len(friends["friends"]) >= 3
    assert messages["user"] == 3 and all(m["from"] in friends["friends"] for m in messages["messages"])


def test_server_binds_loopback_only_and_stops(api):
    assert api.base_url.startswith("http://127.0.0.1:")
    port = api.port
    api.stop()
    with pytest.raises(FetchError, match="connection refused"):
        get_json(f"http://127.0.0.1:{port}/items/1", timeout=2)


def test_concurrent_requests_are_in_flight_together(api):
    api.set_latency(0.3)
    threads = [threading.Thread(target=get_json, args=(api.url(f"/items/{i}"),)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(api.requests) == 5
    assert api.max_in_flight() == 5


def test_serial_requests_never_overlap(api):
    api.set_latency(0.02)
    for i in range(4):
        get_json(api.url(f"/items/{i}"))
    assert api.max_in_flight() == 1


def test_a_client_that_has_its_answer_finds_its_request_already_in_the_log(api):
    # the checks read the log the moment the learner's function returns: an entry written after
    # the answer went out would be missing now and then
    for item in range(300):
        get_json(api.url(f"/items/{item}"))
        assert len(api.requests) == item + 1, f"request {item} answered but not yet in the server's log"


def test_latency_per_request_is_honoured(api):
    get_json(api.url("/items/1?latency=0.2"))
    (entry,) = api.requests
    assert entry.departure - entry.arrival >= 0.2


def test_injected_500_and_recovery(api):
    api.fail("messages", "500")
    with pytest.raises(FetchError) as raised:
        get_json(api.messages_url(1))
    assert raised.value.status == 500
    assert get_json(api.friends_url(1))["user"] == 1
    api.fail("messages", None)
    assert get_json(api.messages_url(1))["user"] == 1


def test_injected_timeout_fires_the_clients_timeout_and_stop_releases_it(api):
    api.fail("friends", "timeout")
    started = time.perf_counter()
    with pytest.raises(FetchError, match="timeout"):
        get_json(api.friends_url(1), timeout=0.3)
    assert time.perf_counter() - started < 5
    stopped = time.perf_counter()
    api.stop()  # the held request is let go at once, not after HANG_S
    assert time.perf_counter() - stopped < 5


@pytest.mark.parametrize("path", ["/users/0/friends", "/users/x/friends", "/nothing", "/users/1/enemies"])
def test_unknown_paths_are_404_with_a_reason(api, path):
    with pytest.raises(FetchError, match="HTTP 404"):
        get_json(api.url(path))


def test_bad_arguments(api):
    with pytest.raises(ValueError, match="latency must be at most"):
        ChatServer(latency=1000)
    with pytest.raises(ValueError, match="endpoint must be one of"):
        api.fail("profile", "500")
    with pytest.raises(ValueError, match="how must be one of"):
        api.fail("friends", "explode")
    with pytest.raises(ValueError, match="url must be a string starting with http"):
        get_json("ftp://x")
    with pytest.raises(FetchError, match="HTTP 400"):
        get_json(api.url("/items/1?latency=-1"))


def test_max_in_flight_counts_touching_requests_as_sequential():
    log = [RequestLog("/a", 200, 1, 0.0, 1.0), RequestLog("/b", 200, 2, 1.0, 2.0), RequestLog("/c", 200, 3, 0.5, 1.5)]
    assert max_in_flight(log) == 2
    assert max_in_flight([]) == 0
