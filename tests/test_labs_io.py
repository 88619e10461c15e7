"""The I/O lab: requests really overlap on threads, the UI loop's freeze is measured, limits hold."""

import html
import re
import threading
import time
import urllib.error
import urllib.request

import pytest

from gillab.chat.server import ChatServer
from gillab.labs import io_lab
from gillab.labs.io_widgets import MAX_REQUESTS, shared_server
from gillab.machine.cpus import one_cpu_note


@pytest.fixture
def api():
    with ChatServer(latency=0) as server:
        yield server


def column(lab, key):
    return re.findall(rf'<td class="gillab-col-{key}">([^<]*)</td>', lab.table.value)


def test_threads_have_the_requests_in_flight_together_and_serial_one_at_a_time(api):
    lab = io_lab(requests=6, latency_ms=100, threads=3, server=api, effective_cpus=2)
    lab.run.click()
    assert lab.errors == [] and lab.message.value == ""
    row = lab.results[-1]
    assert (row["serial_in_flight"], row["threaded_in_flight"], row["failed"]) == (1, 3, 0)
    assert [answer["item"] for answer in row["threaded_fetch"].results] == list(range(6))
    # the UI loop never redrew while it loaded serially, and redrew while threads loaded
    start, end = row["serial_fetch"].intervals[0][0], row["serial_fetch"].intervals[-1][1]
    assert not any(start < beat < end for beat in row["serial_ui"].beats)
    start, end = row["threaded_fetch"].intervals[0][0], row["threaded_fetch"].intervals[-1][1]
    assert sum(start < beat < end for beat in row["threaded_ui"].beats) >= 2
    assert row["serial_gap_s"] >= row["serial_fetch"].wall_s  # measured as the freeze, not assumed
    assert column(lab, "threads") == ["3"] and column(lab, "in_flight") == ["1 / 3"]
    assert lab.drawn["points"] == [(3, row["threaded_s"])]

    lab.threads.value = 6
    lab.run.click()
    assert lab.results[-1]["threaded_in_flight"] == 6
    assert column(lab, "threads") == ["6", "3"]
    assert [threads for threads, _ in lab.drawn["points"]] == [3, 6]


def test_the_requests_slider_stops_where_the_serial_load_would_take_too_long(api):
    lab = io_lab(requests=4, latency_ms=100, server=api, effective_cpus=2)
    assert lab.requests.max == 80  # 8 s of a 10 s press at 100 ms a request
    lab.latency.value = 1000
    assert lab.requests.max == 8 and lab.requests.value <= 8
    lab.latency.value = 0
    assert lab.requests.max == MAX_REQUESTS
    with pytest.raises(ValueError, match="would take more than about 10 s"):
        io_lab(requests=50, latency_ms=500, server=api)


def test_when_every_request_fails_the_lab_says_why(api):
    lab = io_lab(requests=2, latency_ms=0, threads=2, server=api, effective_cpus=2)
    api.fail("items", "500")
    lab.run.click()
    assert "every request failed" in lab.message.value and "HTTP 500" in lab.message.value
    assert lab.results == [] and not lab.run.disabled


def test_an_interrupted_lab_ends_requests_in_flight_and_serves_again(api):
    lab = io_lab(requests=2, latency_ms=0, threads=2, server=api, effective_cpus=2)
    old_port = api.port
    outcome = {}
    slow = api.url("/items/1?latency=5")
    waiting = threading.Thread(target=lambda: outcome.update(answer=_status(slow)), name="fetch-test")
    begun = time.monotonic()
    waiting.start()
    time.sleep(0.3)  # let the request reach the server
    assert lab.stop_after_interrupt().startswith("requests in flight were ended")
    waiting.join(10)
    assert not waiting.is_alive() and time.monotonic() - begun < 4  # ended, not answered after 5 s
    assert outcome["answer"] in (503, "connection closed")
    assert api.running and api.port != old_port
    lab.run.click()
    assert lab.results[-1]["failed"] == 0


def _status(url):
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return "connection closed"


def test_the_shared_server_is_local_and_reused():
    server = shared_server()
    assert server.base_url.startswith("http://127.0.0.1:") and shared_server() is server
    lab = io_lab(requests=1, latency_ms=0, threads=1, effective_cpus=2)
    lab.run.click()
    assert lab.server is server and lab.results[-1]["failed"] == 0


def test_on_one_cpu_the_lab_says_so_and_why_threads_still_help():
    lab = io_lab(requests=1, latency_ms=0, effective_cpus=1)
    assert html.escape(one_cpu_note(1)) in lab.note.value and "threads do speed this lab up" in lab.note.value
