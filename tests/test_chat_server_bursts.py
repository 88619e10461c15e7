"""The chat server takes a burst of simultaneous connections at once (the I/O lab's and the bench's 32).

With http.server's default listen backlog of 5, connections beyond the first few were dropped and
retried by the client's kernel a second later: they never were inside the server together, and
32 threads looked only a few times faster than one. The proof here is the server's own log (how
many requests were inside it at the same moment), not a duration.
"""

from gillab.chat.server import ChatServer
from gillab.experiments.io_tasks import fetch_threaded

BURST = 48


def test_a_burst_of_requests_is_inside_the_server_all_at_once():
    # each request stays in the server for 1 s: long enough for every thread to connect on a busy
    # machine, short of the 1 s a dropped connection waits before its first retry plus the latency
    with ChatServer(latency=1.0) as api:
        run = fetch_threaded([api.url(f"/items/{i}") for i in range(BURST)], n_threads=BURST, timeout=10)
        assert run.errors == [None] * BURST
        assert api.max_in_flight() == BURST
