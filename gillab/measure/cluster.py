"""A Dask cluster to run chunks on: a local one of worker processes on this machine, or any running
scheduler, by its address (chapter 07).

:func:`connect` is the one way in. Without an address it starts a ``distributed.LocalCluster`` of
worker processes (one thread each) on 127.0.0.1, inside this Python; with an address such as
``tcp://192.168.1.10:8786`` it first checks, within a few seconds, that a Dask scheduler really
answers there (:func:`check_scheduler`), then connects. Either way it returns a
:class:`ClusterConnection`, which :func:`gillab.measure.runners.run_dask` uses unless given another,
and which is closed by its :meth:`~ClusterConnection.close`, by a ``with`` block, when its Jupyter
kernel is asked to shut down, or when Python exits: a local cluster's worker processes stop with it.

Why the check comes first: a Client pointed at a port that accepts connections but is not a Dask
scheduler (another program, or the dashboard's port, the address a learner sees in a browser) waits
forever for the reply to its handshake (https://github.com/dask/distributed/issues/8071, open for
distributed 2026.8.0). A closed port makes it retry for 30 s. The check answers within
``check_s`` seconds with what to look at, and names the address.

>>> check_scheduler("http://127.0.0.1:8787/status")
Traceback (most recent call last):
...
gillab.measure.cluster.SchedulerUnreachable: 'http://127.0.0.1:8787/status' is a web address ...
>>> normalise_address("127.0.0.1:8786"), normalise_address("tcp://scheduler.example.org")
('tcp://127.0.0.1:8786', 'tcp://scheduler.example.org:8786')
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import re
import shutil
import socket
import tempfile
import threading
import time

from .._validate import require_int, require_positive_number
from ..machine.interpreter import free_threaded_build

__all__ = [
    "ClusterConnection", "SchedulerUnreachable", "NoWorkers", "connect", "check_scheduler", "normalise_address",
    "current", "require_current", "gather", "worker_threads", "local_worker_count", "DEFAULT_PORT", "CHECK_S",
    "NO_WORKERS_S",
    "MAX_LOCAL_WORKERS",
]

#: The port ``dask scheduler`` listens on unless told otherwise (the dashboard's is 8787).
DEFAULT_PORT = 8786
#: How long :func:`check_scheduler` waits for a scheduler's answer, in all.
CHECK_S = 5.0
#: How long a run waits when the cluster has no worker left before it gives up with a message.
NO_WORKERS_S = 15.0
#: More local workers than this would only fight over a laptop's cores and memory.
MAX_LOCAL_WORKERS = 16
_current: list[ClusterConnection] = []
_exit_hook: list = []
_lock = threading.Lock()


class SchedulerUnreachable(ConnectionError):
    """No Dask scheduler answered at an address; the message names it and says what to check."""


class NoWorkers(RuntimeError):
    """The cluster has no worker (left) to run tasks on; the message says what to start."""


def normalise_address(address: str) -> str:
    """``tcp://host:port`` for ``host:port``, ``tcp://host`` (port 8786) or ``tcp://host:port``;
    raises :class:`SchedulerUnreachable` for anything else, saying what is allowed."""
    if not isinstance(address, str) or not address.strip():
        raise SchedulerUnreachable(
            f"a scheduler address must be a string such as 'tcp://192.168.1.10:8786', got {address!r}"
        )
    address = address.strip()
    if re.match(r"(?i)^https?://", address):
        raise SchedulerUnreachable(
            f"{address!r} is a web address (the dashboard's?): a Dask scheduler's address looks like "
            f"'tcp://host:{DEFAULT_PORT}' (dask scheduler prints it as 'Scheduler at: tcp://...')"
        )
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp"):
        raise SchedulerUnreachable(
            f"{address!r}: only tcp:// scheduler addresses are supported here, such as 'tcp://host:{DEFAULT_PORT}'"
        )
    match = re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.\-]+)(?::(\d+))?", rest)
    if not match or (match.group(2) is not None and not 0 < int(match.group(2)) < 65536):
        raise SchedulerUnreachable(
            f"{address!r} is not a scheduler address: write it as 'tcp://host:port', e.g. 'tcp://127.0.0.1:{DEFAULT_PORT}'"
        )
    return f"tcp://{match.group(1)}:{match.group(2) or DEFAULT_PORT}"


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address[len("tcp://"):].rpartition(":")
    return host.strip("[]"), int(port)


async def _identity(address: str, seconds: float) -> dict:
    from distributed.comm import connect as dask_connect

    comm = await dask_connect(address, timeout=seconds)
    try:
        await comm.write({"op": "identity"})
        return await comm.read()
    finally:
        await comm.close()


def _ask_identity(address: str, seconds: float) -> dict:
    # a fresh event loop in a thread of its own: this also works inside a Jupyter kernel, whose
    # own loop is already running; wait_for bounds the handshake, which distributed does not
    def in_thread():
        return asyncio.run(asyncio.wait_for(_identity(address, seconds), seconds))

    pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="gillab-scheduler-check")
    try:
        return pool.submit(in_thread).result(timeout=seconds + 1)
    finally:
        pool.shutdown(wait=False)


def check_scheduler(address: str, check_s: float = CHECK_S) -> str:
    """Return ``address`` (normalised) when a Dask scheduler answers there within ``check_s``
    seconds; raise :class:`SchedulerUnreachable` otherwise, saying which address and what to check.

    First a plain TCP connection (a closed port or an unknown host fails at once), then Dask's own
    handshake and an ``identity`` request, whose answer says whether this is a scheduler (a
    worker's or a nanny's address is refused with its own message).
    """
    address = normalise_address(address)
    check_s = require_positive_number("check_s", check_s, maximum=60)
    host, port = _host_port(address)
    started = time.monotonic()
    where = f"No Dask scheduler at {address}"
    try:
        with socket.create_connection((host, port), timeout=check_s):
            pass
    except socket.gaierror as error:
        raise SchedulerUnreachable(
            f"{where}: the host name {host!r} is not known here ({error.strerror}). Check its spelling, or use its "
            "IP address."
        ) from None
    except ConnectionRefusedError:
        raise SchedulerUnreachable(
            f"{where}: the connection was refused, nothing listens on port {port} there. Is the scheduler running "
            f"(`dask scheduler` prints its address as 'Scheduler at: tcp://...'), and is this its port "
            f"({DEFAULT_PORT} by default; {DEFAULT_PORT + 1} is the dashboard's)?"
        ) from None
    except (TimeoutError, OSError) as error:
        raise SchedulerUnreachable(
            f"{where}: nothing answered within {check_s:g} s ({error.strerror or type(error).__name__}). Is the "
            "machine on, and does a firewall let this computer reach that port?"
        ) from None
    left = max(0.5, check_s - (time.monotonic() - started))
    try:
        identity = _ask_identity(address, left)
    except (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError):
        raise SchedulerUnreachable(
            f"{where}: something at that address accepted the connection but did not answer as a Dask scheduler "
            f"within {check_s:g} s. Is it the dashboard's port (usually {DEFAULT_PORT + 1}) or another program's? "
            f"The scheduler's own port is {DEFAULT_PORT} by default."
        ) from None
    except OSError as error:
        raise SchedulerUnreachable(f"{where}: the connection failed during Dask's handshake ({error})") from None
    kind = identity.get("type") if isinstance(identity, dict) else None
    if kind in ("Worker", "Nanny"):
        scheduler = identity.get("scheduler") or "the address its log names after 'Registered to:'"
        raise SchedulerUnreachable(
            f"{address} is a Dask {kind.lower()}, not the scheduler: connect to the scheduler instead ({scheduler})"
        )
    if kind != "Scheduler":
        raise SchedulerUnreachable(f"{where}: the program there answered, but as {kind!r}, not as a Dask scheduler")
    return address


def worker_threads(client) -> dict[str, int]:
    """The workers of ``client``'s cluster now, asked of the scheduler: ``{address: threads}``, in
    address order. (``client.scheduler_info()`` returns a copy the client also refreshes by itself
    every few seconds without the workers, so it can come back empty however many there are.)"""
    info = client.sync(client.scheduler.identity, n_workers=-1)["workers"]
    return {address: info[address]["nthreads"] for address in sorted(info)}


def local_worker_count(effective_cpus: int) -> int:
    """How many worker processes a local cluster starts by default: one per effective CPU, at least
    2 (so that two workers can be seen, even taking turns on one CPU) and at most 4 (each is a
    whole Python process).

    >>> local_worker_count(1), local_worker_count(2), local_worker_count(16)
    (2, 2, 4)
    """
    return min(4, max(2, require_int("effective_cpus", effective_cpus, minimum=1)))


class ClusterConnection:
    """An open connection to a Dask cluster: ``client`` (a ``distributed.Client``), the scheduler's
    ``address``, ``local`` (True when :func:`connect` started the cluster here, in this Python),
    ``local_directory`` (a local cluster's scratch folder, removed on close) and :meth:`close`. A
    ``with`` block closes it too.
    """

    def __init__(self, client, address: str, local_cluster=None, local_directory: str | None = None):
        self.client, self.address = client, address
        self._local_cluster, self.local_directory = local_cluster, local_directory
        self.closed = False

    @property
    def local(self) -> bool:
        return self._local_cluster is not None

    def workers(self) -> dict[str, int]:
        """The cluster's workers now: ``{address: threads}``, in address order."""
        return worker_threads(self.client)

    def worker_processes(self) -> dict[str, int]:
        """The process id of each worker (``{address: pid}``): the process that runs its tasks."""
        import os

        return dict(sorted(self.client.run(os.getpid).items()))

    def describe(self) -> str:
        """One line: what the cluster is and how many workers and threads it has now."""
        if self.closed:
            return f"the connection to {self.address} is closed"
        workers = self.workers()
        threads = sorted(set(workers.values()))
        each = f"{threads[0]} thread{'s' if threads[0] != 1 else ''} each" if len(threads) == 1 else "threads vary"
        what = "a local cluster on this machine" if self.local else "the cluster"
        return f"{what}: scheduler {self.address}, {len(workers)} worker processes ({each})"

    def __repr__(self) -> str:
        return f"<ClusterConnection {self.describe()}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the client, then the cluster if it was started here (its workers stop); idempotent.
        A remote cluster keeps running: it is not ours to stop."""
        if self.closed:
            return
        self.closed = True
        with _lock:
            if self in _current:
                _current.remove(self)
        # the client first: a client whose scheduler vanishes logs a long reconnect traceback
        try:
            self.client.close(timeout=10)
        finally:
            try:
                if self._local_cluster is not None:
                    self._local_cluster.close(timeout=20)
            finally:
                if self.local_directory is not None:
                    shutil.rmtree(self.local_directory, ignore_errors=True)


def _start_local(n_workers: int, threads_per_worker: int):
    import dask
    from distributed import Client, LocalCluster

    folder = tempfile.mkdtemp(prefix="gillab-dask-")
    # dashboard_address=None would still try port 8787 and warn when another cluster has it: ask
    # for any free port on 127.0.0.1 instead. Workers keep their scratch files in a folder of our
    # own, removed on close. With no worker left, tasks fail after a while instead of waiting forever.
    # (the scheduler has a scratch folder too: temporary-directory puts it in ours)
    settings = {"distributed.scheduler.no-workers-timeout": f"{NO_WORKERS_S:g}s", "temporary-directory": folder}
    if free_threaded_build():
        # distributed's sampling profiler reads the frames of a worker's running threads; with no
        # GIL that read races the thread itself: on 3.13t (distributed 2026.8.0) we saw it fail
        # ("'dict' object has no attribute 'co_filename'" in distributed.profile) in a run whose
        # tasks then never finished. Nothing in the course reads the profile, so it is off there.
        settings["distributed.worker.profile.enabled"] = False
    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
            local_directory=folder,
        )
    try:
        client = Client(cluster)
    except BaseException:
        cluster.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return ClusterConnection(client, cluster.scheduler_address, cluster, folder)


def _connect_remote(address: str, check_s: float, wait_s: float):
    from distributed import Client

    address = check_scheduler(address, check_s)
    client = Client(address, timeout=f"{max(check_s, 5):g}s")
    connection = ClusterConnection(client, address)
    try:
        try:
            client.wait_for_workers(1, timeout=wait_s)
        except Exception:  # noqa: BLE001 - distributed's own timeout error, said plainly below
            raise NoWorkers(
                f"The scheduler at {address} answers but has no workers after {wait_s:g} s: start some with "
                f"`dask worker {address}` on each machine that should compute"
            ) from None
        # a lambda travels by value: a worker without the course's package can still run it and answer
        found = client.run(lambda: __import__("importlib.util").util.find_spec("gillab") is not None)
        missing = sorted(worker for worker, ok in found.items() if not ok)
        if missing:
            raise NoWorkers(
                f"{len(missing)} worker(s) of {address} cannot import the course's package gillab "
                f"({', '.join(missing)}): install it where each worker runs (pip install -e <the course's folder>), "
                "then restart the workers"
            )
    except BaseException:
        connection.close()
        raise
    return connection


def connect(address: str | None = None, n_workers: int | None = None, threads_per_worker: int = 1,
            check_s: float = CHECK_S, wait_s: float = 10.0) -> ClusterConnection:
    """Start a local cluster (``address`` None or empty) or connect to the scheduler at ``address``.

    Local: ``n_workers`` worker processes (default :func:`local_worker_count` of the effective CPUs)
    with ``threads_per_worker`` threads each, on 127.0.0.1, stopped by :meth:`ClusterConnection.close`
    or when this Python exits. Remote: ``n_workers`` and ``threads_per_worker`` are the cluster's own
    business and must be left at their defaults; :func:`check_scheduler` answers within ``check_s``
    seconds, then the cluster must have a worker within ``wait_s`` seconds, and every worker must
    be able to import the course's package (the work functions come from it).

    The connection becomes :func:`current`: what :func:`gillab.measure.runners.run_dask` uses.
    """
    check_s = require_positive_number("check_s", check_s, maximum=60)
    wait_s = require_positive_number("wait_s", wait_s, maximum=600)
    if address:
        if n_workers is not None or threads_per_worker != 1:
            raise ValueError(
                f"n_workers and threads_per_worker start a local cluster; the cluster at {address} has its own workers "
                "(leave them out, or leave out the address to start a local cluster)"
            )
        connection = _connect_remote(address, check_s, wait_s)
    else:
        if n_workers is None:
            from ..machine.cpus import effective_cpu_count

            n_workers = local_worker_count(effective_cpu_count())
        n_workers = require_int("n_workers", n_workers, minimum=1, maximum=MAX_LOCAL_WORKERS)
        threads_per_worker = require_int("threads_per_worker", threads_per_worker, minimum=1, maximum=64)
        connection = _start_local(n_workers, threads_per_worker)
    with _lock:
        _current.append(connection)
        if not _exit_hook:
            # registered after distributed's own exit handlers (connect imported it), so it runs before
            # them: the client closes, then the cluster, while distributed's event loop still runs
            atexit.register(_close_all)
            _close_with_the_kernel()
            _exit_hook.append(_close_all)
    return connection


def _close_with_the_kernel() -> None:
    """In a Jupyter kernel, close every connection as soon as the kernel is asked to shut down.

    ipykernel then stops the kernel's child processes, a local cluster's workers among them, while
    the cluster's nannies start them again; after a few seconds the kernel manager gives up and kills
    the kernel with SIGTERM, before any exit handler runs. Closing first lets the kernel exit cleanly.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    kernel = getattr(get_ipython(), "kernel", None)
    shutdown = getattr(kernel, "do_shutdown", None)
    if shutdown is None:
        return

    def close_then_shut_down(restart):
        _close_all()
        return shutdown(restart)

    kernel.do_shutdown = close_then_shut_down


def current() -> ClusterConnection | None:
    """The newest connection :func:`connect` made that is still open, or None."""
    with _lock:
        return _current[-1] if _current else None


def require_current() -> ClusterConnection:
    """:func:`current`, or a clear error when there is none."""
    connection = current()
    if connection is None:
        raise NoWorkers(
            "no Dask cluster is connected: run `cluster = connect()` (from gillab.measure.cluster) first, "
            "or pass client=... yourself"
        )
    return connection


def gather(client, futures, no_workers_s: float | None = None, pinned=()):
    """``client.gather(futures)``, but never forever: when the cluster has had no worker for
    ``no_workers_s`` seconds (default :data:`NO_WORKERS_S`), or a worker in ``pinned`` (the workers
    tasks were pinned to with ``workers=``) is gone, the futures are cancelled and :class:`NoWorkers`
    says so. An interrupt
    (Ctrl-C, the kernel's interrupt button) cancels them too, then goes on.

    Dask reruns the tasks of a worker that dies on the workers left, so losing some workers costs
    time, not the result; only a cluster with none left, or a task pinned to a lost worker, cannot
    finish.
    """
    from distributed import wait

    no_workers_s = require_positive_number("no_workers_s", NO_WORKERS_S if no_workers_s is None else no_workers_s,
                                           maximum=3600)
    since = None
    try:
        while True:
            try:
                wait(futures, timeout=0.5)
                break
            except TimeoutError:
                pass
            alive = worker_threads(client)
            lost = [address for address in pinned if address not in alive]
            if lost:
                raise NoWorkers(
                    f"the worker {lost[0]} that tasks were pinned to (workers=...) is gone, so they cannot finish: "
                    "run again (a restarted worker comes back under a new address)"
                )
            if alive:
                since = None
                continue
            since = since if since is not None else time.monotonic()
            if time.monotonic() - since > no_workers_s:
                raise NoWorkers(
                    f"every worker of the cluster at {client.scheduler.address} is gone, for {no_workers_s:g} s "
                    f"now, with {sum(not future.done() for future in futures)} task(s) unfinished: restart the "
                    "workers (or run connect() again for a local cluster), then run this again"
                )
    except BaseException:
        client.cancel(futures)
        raise
    return client.gather(futures)


def _close_all() -> None:
    # a kernel shut down runs this: the client goes first, then the local cluster and its workers
    for connection in reversed(list(_current)):
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - exiting anyway; one failure must not keep the others open
            pass
