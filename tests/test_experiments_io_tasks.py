"""Serial and threaded fetching, failures recorded in place, and the UI loop's freezes."""

from itertools import pairwise

import pytest

from gillab.chat.server import ChatServer
from gillab.experiments.io_tasks import fetch_serial, fetch_threaded, ui_session


@pytest.fixture
def api():
    with ChatServer(latency=0.1) as server:
        yield server


def test_threaded_requests_were_in_flight_together_and_keep_their_order(api):
    urls = [api.url(f"/items/{i}") for i in range(6)]
    run = fetch_threaded(urls, n_threads=6)
    assert [answer["item"] for answer in run.results] == list(range(6))
    assert api.max_in_flight() == 6


def test_serial_requests_never_overlap(api):
    run = fetch_serial([api.url(f"/items/{i}") for i in range(3)])
    assert api.max_in_flight() == 1
    assert all(a[1] <= b[0] for a, b in pairwise(run.intervals))


def test_a_failing_endpoint_is_recorded_not_raised(api):
    api.fail("messages", "500")
    run = fetch_threaded([api.friends_url(2), api.messages_url(2)], n_threads=2)
    assert run.results[0]["user"] == 2 and run.errors[0] is None
    assert run.results[1] is None and "HTTP 500" in run.errors[1]


def test_a_timeout_is_recorded_and_does_not_hang(api):
    api.fail("friends", "timeout")
    run = fetch_serial([api.friends_url(1)], timeout=0.3)
    assert "timeout" in run.errors[0]


def test_loading_on_the_ui_thread_freezes_it_and_a_background_thread_does_not(api):
    spans = []

    def load():
        run = fetch_serial([api.friends_url(1), api.messages_url(1)])
        spans.append((run.intervals[0][0], run.intervals[-1][1]))
        return run

    frozen = ui_session(load, in_background=False)
    start, end = spans[-1]
    assert not any(start < beat < end for beat in frozen.beats), "the UI redrew during a load it was doing itself"
    responsive = ui_session(load, in_background=True)
    start, end = spans[-1]
    assert sum(start < beat < end for beat in responsive.beats) >= 2, (
        "the UI did not redraw while loading in background"
    )
    assert responsive.result.results[0]["user"] == 1


def test_an_error_in_the_load_reaches_the_caller():
    def load():
        raise RuntimeError("server exploded")

    with pytest.raises(RuntimeError, match="server exploded"):
        ui_session(load, in_background=True)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: fetch_serial("http://127.0.0.1/x"), "urls must be a list"),
        (lambda: fetch_threaded([], 0), "n_threads must be a positive int"),
        (lambda: fetch_threaded(["x"] * 1001, 2), "at most 1000 URLs"),
        (lambda: ui_session("load", True), "load must be callable"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()
