"""Run a list of chunks in subinterpreters: several interpreters inside THIS process, each with its own GIL.

Since Python 3.12 every subinterpreter has its own GIL (`PEP 684 <https://peps.python.org/pep-0684/>`_),
so k of them can run Python bytecode at the same moment, in one process, with the GIL on. They share
no Python objects: what crosses from one to another is copied (``bytes``, ``str``, numbers, tuples of
those) or pickled. Python code reaches them through ``concurrent.interpreters`` on 3.14+ and through
the PEP 734 backport (PyPI ``interpreters-pep-734``) on 3.13
(:func:`gillab.machine.interpreter.subinterpreter_support` says which, or why not).

:func:`run_subinterpreters` is the fourth runner of :mod:`gillab.measure.runners` (mode
``"subinterpreters"``): one worker thread per interpreter (an interpreter runs code in the OS thread
that calls it, so each worker has a stable interpreter id and native thread id), chunk ``i`` on
worker ``i % k``, each chunk timed inside its interpreter with the same ``perf_counter`` clock the
other runners use. Like joblib's worker processes, the interpreters are kept for the next run
(:func:`stop_interpreters` closes them; so does this process before it forks, because on Python
3.13 a child forked while a subinterpreter exists dies at once), so a warm-up run absorbs their
start-up; what one costs to start is :func:`interpreter_start_seconds`.

What cannot cross is refused before anything starts, with a message saying what and why
(:class:`CannotCrossInterpreters`): a function defined in a notebook cell (it lives in this
interpreter's ``__main__``, which a new interpreter does not have), a lambda or nested function, an
object that cannot be pickled, an instance of a class defined in a notebook. Work that fails inside a
worker interpreter, such as importing an extension module that refuses to load in a subinterpreter
(numpy), comes back as :class:`SubinterpreterFailed` with the worker's traceback. Nothing waits
without a bound.

>>> from gillab.measure.workloads import count_sum
>>> portable(count_sum, "the work function")[:2] == b"\\x80\\x03"
True
>>> portable(lambda lo, hi: 0, "the work function")
Traceback (most recent call last):
...
gillab.measure.subinterpreters.CannotCrossInterpreters: the work function is a lambda: ...
"""

from __future__ import annotations

import atexit
import os
import pickle
import pickletools
import re
import shutil
import tempfile
import threading
import time
from dataclasses import replace

from .._validate import require_int, require_positive_number
from ..machine.interpreter import current_interpreter_id, subinterpreter_support
from .runners import _check, _record

__all__ = [
    "run_subinterpreters", "stop_interpreters", "interpreter_start_seconds", "interpreters_module", "portable",
    "explain_failure", "SubinterpretersUnavailable", "CannotCrossInterpreters", "SubinterpreterFailed",
    "MAX_INTERPRETERS", "TIMEOUT_S",
]

#: More interpreters than this is refused. Each costs about 3-4 MB and 10-65 ms to start (measured on
#: Python 3.13 for this course); CPython sets no limit of its own, memory does (a Binder session has 2 GB).
MAX_INTERPRETERS = 32
#: A run still going after this many seconds is stopped (between slices) with a message.
TIMEOUT_S = 600.0
#: The messages an extension module's import gives when it refuses a subinterpreter (3.13, 3.14).
_REFUSED = "does not support loading in subinterpreters"

_idle: list = []  # interpreters ready for the next run (like joblib's idle workers)
_idle_lock = threading.Lock()


class SubinterpretersUnavailable(RuntimeError):
    """This Python offers no subinterpreters the course can use; the message says why."""


class CannotCrossInterpreters(ValueError):
    """A function or argument that cannot be handed to another interpreter; the message says why."""


class SubinterpreterFailed(RuntimeError):
    """The work raised inside a worker interpreter; the message carries that interpreter's traceback."""


def interpreters_module():
    """The PEP 734 ``interpreters`` module of this Python (``concurrent.interpreters`` on 3.14+, the
    backport's on 3.13); :class:`SubinterpretersUnavailable` with the reason elsewhere."""
    import importlib

    support = subinterpreter_support()
    if not support.available:
        raise SubinterpretersUnavailable(support.detail)
    return importlib.import_module(support.module)


def _main_references(data: bytes) -> list[str]:
    """The ``__main__.name`` objects a protocol-3 pickle refers to (protocol 3 names each global in
    one GLOBAL opcode, ``"module name"``)."""
    found = []
    for opcode, argument, _ in pickletools.genops(data):
        if opcode.name == "GLOBAL" and str(argument).split(" ")[0] == "__main__":
            found.append(str(argument).split(" ", 1)[1])
    return found


def portable(value, what: str) -> bytes:
    """``value`` pickled for another interpreter, or :class:`CannotCrossInterpreters` saying why it
    cannot go: ``what`` names it in the message ("the work function", "argument 2 of submit")."""
    qualname = getattr(value, "__qualname__", "")
    if callable(value) and "<lambda>" in qualname:
        raise CannotCrossInterpreters(
            f"{what} is a lambda: another interpreter finds a function by its module and name, and a lambda "
            "has no name to find. Define it with def at the top level of a module and import it from there"
        )
    if callable(value) and "<locals>" in qualname:
        raise CannotCrossInterpreters(
            f"{what} is defined inside another function: another interpreter can only find "
            "functions defined at the top level of a module. Move it to the top level of a module"
        )
    # a function or class has a __qualname__ of its own; an instance only its class's __module__
    itself = getattr(value, "__qualname__", None) is not None and getattr(value, "__module__", None) == "__main__"
    if itself or type(value).__module__ == "__main__":
        raise CannotCrossInterpreters(_in_main_message(what, "" if itself else type(value).__qualname__))
    try:
        data = pickle.dumps(value, protocol=3)
    except Exception as error:  # noqa: BLE001 - every pickling failure means the same thing here
        raise CannotCrossInterpreters(
            f"{what} cannot be pickled ({type(error).__name__}: {error}), and interpreters share no Python "
            "objects: only what can be copied or pickled crosses. Pass plain data (numbers, strings, bytes, "
            "tuples, lists, dicts) and functions defined in a module"
        ) from None
    in_main = _main_references(data)
    if in_main:
        raise CannotCrossInterpreters(_in_main_message(what, in_main[0]))
    return data


def _in_main_message(what: str, name: str) -> str:
    """``what`` is (``name`` empty) or refers to ``name``, defined in the notebook's ``__main__``."""
    where = f"refers to {name}, defined" if name else "is defined"
    return (
        f"{what} {where} in this notebook (or script): it lives in this interpreter's __main__ module, and a "
        "new interpreter has a __main__ of its own without it. Put it at the top level of a module that can "
        "be imported (a .py file beside the notebook, or the course's package) and import it from there"
    )


def explain_failure(kind: str, message: str, remote_traceback: str, what: str, unpickling: bool = False) -> str:
    """The message for work that failed in a worker interpreter (``unpickling``: while the worker
    rebuilt the function it was given): an extension module that refuses subinterpreters, or a
    module the worker cannot import, said so in plain words; anything else with the worker's traceback."""
    if _REFUSED in message:
        # numpy puts a long "please read this" banner before the real reason: keep the reason
        found = re.search(rf"module \S+ {_REFUSED}", message)
        reason = found.group(0) if found else message.strip().splitlines()[-1]
        return (
            f"{what} needs an extension module that refuses to load in a subinterpreter ({reason}). An "
            "extension must declare that it supports several interpreters, each with its own GIL (PEP 684); "
            "numpy does not yet. Run this work on threads or processes instead"
        )
    if unpickling:
        return (
            f"the worker interpreter could not rebuild {what} ({kind}: {message}). A subinterpreter imports the "
            "function's module by name, with the sys.path Python started with: a folder added later "
            "(sys.path.append) is not there. Put the function in an installed package or a module beside the notebook"
        )
    return f"{what} raised {kind}: {message}\n--- in the worker interpreter:\n{remote_traceback.rstrip()}"


# --- inside a worker interpreter ----------------------------------------------------------------
class _FileFlag:
    """Stands in for runners' cancel Event in a worker interpreter: set once the file exists."""

    def __init__(self, path: str):
        self.path = path

    def is_set(self) -> bool:
        return os.path.exists(self.path)


def _work_in_interpreter(task: bytes, result_path: str) -> None:
    """Run one worker's chunks; called by the code each worker interpreter executes. Every outcome,
    failure included, is written to ``result_path``, so the caller never waits for a silent worker:
    ``("ok", [(value, Span), ...])`` or ``("error", kind, message, traceback, unpickling)``."""
    import traceback

    from . import runners

    unpickling = True
    try:
        function, chunks, n_ticks, worker, cancel_path = pickle.loads(task)
        unpickling = False
        runners._cancelled = _FileFlag(cancel_path)
        interpreter = current_interpreter_id()
        results = []
        for lo, hi in chunks:
            value, span = runners.traced_chunk(function, lo, hi, n_ticks, "interpreter", worker)
            results.append((value, replace(span, interpreter=interpreter)))
        outcome = pickle.dumps(("ok", results))
    except BaseException as error:  # noqa: BLE001 - handed to the caller as data
        outcome = pickle.dumps(("error", type(error).__name__, str(error), traceback.format_exc(), unpickling))
    temporary = result_path + ".part"
    with open(temporary, "wb") as file:
        file.write(outcome)
    os.replace(temporary, result_path)  # the caller never reads half a result


_WORKER_SOURCE = """
try:
    from gillab.measure.subinterpreters import _work_in_interpreter
except BaseException:
    import traceback
    with open(RESULT_PATH + ".import-error", "w") as file:
        file.write(traceback.format_exc())
else:
    _work_in_interpreter(TASK, RESULT_PATH)
"""
# what makes a new interpreter able to receive a memoryview or queue later (3.13 needs the
# low-level module imported in the target first) and imports the course's code once
_WARM_SOURCE = "import gillab.measure.subinterpreters, gillab.measure.workloads"


# --- the caller's side ---------------------------------------------------------------------------
def _new_interpreter(interpreters):
    interpreter = interpreters.create()
    interpreter.exec(_WARM_SOURCE)
    return interpreter


def _take(interpreters):
    with _idle_lock:
        if _idle:
            return _idle.pop()
    return _new_interpreter(interpreters)


def _give_back(interpreter) -> None:
    with _idle_lock:
        if len(_idle) < MAX_INTERPRETERS:
            _idle.append(interpreter)
            return
    _close(interpreter)


def _close(interpreter) -> None:
    try:
        interpreter.close()
    except Exception:  # noqa: BLE001 - one still running (timed out) stays until the process ends
        pass


def stop_interpreters() -> int:
    """Close the interpreters kept for reuse; returns how many. The next run starts new ones."""
    with _idle_lock:
        kept = list(_idle)
        _idle.clear()
    for interpreter in kept:
        _close(interpreter)
    return len(kept)


# closing them before the interpreter shuts down: an Interpreter still referenced at exit makes the
# free-threaded 3.13 build print an ignored exception per interpreter
atexit.register(stop_interpreters)
# and before this process forks: a child forked while a subinterpreter exists dies at once on Python
# 3.13 ("Fatal Python error: PyThreadState_Get: ... the GIL is released", seen on 3.13.15; CPython
# issue gh-101437, open), and fork is multiprocessing's default start method on Linux up to 3.13
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=stop_interpreters)


def _read_outcome(folder: str, worker: int):
    path = os.path.join(folder, f"result-{worker}")
    if os.path.exists(path + ".import-error"):
        with open(path + ".import-error") as file:
            text = file.read()
        return ("error", "ImportError", text.strip().splitlines()[-1], text, False)
    if not os.path.exists(path):
        return None
    with open(path, "rb") as file:
        return pickle.loads(file.read())


def run_subinterpreters(function, chunks, n_workers: int, n_ticks: int = 1, timeout_s: float = TIMEOUT_S):
    """Run the chunks in ``n_workers`` subinterpreters of this process, chunk ``i`` in interpreter
    ``i % n_workers``, each interpreter on a worker thread of its own; return a
    :class:`gillab.measure.runners.RunRecord` (mode ``"subinterpreters"``) whose spans say which
    interpreter, process and native thread ran each chunk, and when.

    ``function`` must be findable by name in a new interpreter (defined at the top level of an
    importable module, as the course's work functions are). Interrupting (Ctrl-C, the kernel's
    interrupt button) cancels the remaining slices and re-raises; a run past ``timeout_s`` is
    cancelled the same way and raises :class:`SubinterpreterFailed`.
    """
    chunks, n_workers, n_ticks = _check(function, chunks, n_workers, n_ticks)
    if n_workers > MAX_INTERPRETERS:
        raise ValueError(
            f"n_workers must be at most {MAX_INTERPRETERS} for subinterpreters, got {n_workers}: each one costs "
            "about 3-4 MB and tens of milliseconds to start, and more workers than CPUs only take turns"
        )
    timeout_s = require_positive_number("timeout_s", timeout_s, maximum=24 * 3600)
    interpreters = interpreters_module()
    name = getattr(function, "__qualname__", repr(function))
    portable(function, f"the work function {name}")  # what cannot cross is refused here, not in a worker
    workers = min(n_workers, len(chunks))
    folder = tempfile.mkdtemp(prefix="gillab-interpreters-")
    cancel_path = os.path.join(folder, "cancel")
    tasks = [
        pickle.dumps((function, chunks[worker::n_workers], n_ticks, worker, cancel_path), protocol=3)
        for worker in range(workers)
    ]
    caller = (os.getpid(), threading.get_native_id())
    held: dict[int, object] = {}
    errors: dict[int, BaseException] = {}
    # all workers wait here, in this interpreter, until every one has its interpreter: the
    # timeline starts them together, as run_threads does
    ready = threading.Barrier(workers)

    def work(worker: int) -> None:
        try:
            held[worker] = _take(interpreters)
            ready.wait(timeout=timeout_s)
            held[worker].prepare_main(TASK=tasks[worker], RESULT_PATH=os.path.join(folder, f"result-{worker}"))
            held[worker].exec(_WORKER_SOURCE)
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            errors[worker] = error
            ready.abort()

    threads = [
        threading.Thread(target=work, args=(worker,), name=f"gillab-interpreter-{worker}", daemon=True)
        for worker in range(workers)
    ]
    start = time.perf_counter()
    deadline = start + timeout_s
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive() and time.perf_counter() < deadline:
                thread.join(0.05)  # a timed join keeps the caller responsive to interrupts
        wall_s = time.perf_counter() - start
        stuck = [thread.name for thread in threads if thread.is_alive()]
        if stuck:
            _cancel(cancel_path, ready, threads)
            raise SubinterpreterFailed(
                f"{name} was still running in {', '.join(stuck)} after {timeout_s:g} s (timeout_s) and was asked "
                "to stop between slices; a slice cannot be interrupted, so a worker in one finishes it first"
            )
        results = _gather(folder, workers, n_workers, errors, name)
        return _record("subinterpreters", n_workers, function, chunks, results, wall_s, caller)
    except KeyboardInterrupt:
        _cancel(cancel_path, ready, threads)
        raise
    finally:
        for worker, interpreter in held.items():
            if threads[worker].is_alive():
                continue  # still running (timed out or interrupted): it cannot be reused or closed now
            _give_back(interpreter)
        shutil.rmtree(folder, ignore_errors=True)


def _cancel(cancel_path: str, ready, threads, wait_s: float = 10.0) -> None:
    """Ask every worker to stop between slices and wait (a bounded time) for them."""
    with open(cancel_path, "w"):
        pass
    ready.abort()
    deadline = time.perf_counter() + wait_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.perf_counter()))


def _gather(folder: str, workers: int, n_workers: int, errors: dict, name: str) -> list:
    per_worker = []
    for worker in range(workers):
        outcome = _read_outcome(folder, worker)
        if outcome is None:
            # the first cause, not the broken barrier it left the other workers with
            causes = [error for error in errors.values() if not isinstance(error, threading.BrokenBarrierError)]
            error = errors.get(worker) if not causes else causes[0]
            cause = f"{type(error).__name__}: {error}" if error is not None else "it wrote no result"
            raise SubinterpreterFailed(f"a worker interpreter failed before running {name}: {cause}")
        if outcome[0] == "error":
            _, kind, message, remote, unpickling = outcome
            raise SubinterpreterFailed(explain_failure(kind, message, remote, name, unpickling))
        per_worker.append(outcome[1])
    # the caller's order: chunk i was the (i // n_workers)-th chunk of worker i % n_workers
    count = sum(len(results) for results in per_worker)
    return [per_worker[index % n_workers][index // n_workers] for index in range(count)]


def interpreter_start_seconds(repeats: int = 5) -> list[float]:
    """Seconds to start one new interpreter and import the course's work functions in it
    (``gillab.measure.workloads``, what a worker needs before it can work, as a worker process
    does), measured ``repeats`` times; each is closed again. (The runner's workers also import
    this module, once, when they start.)"""
    repeats = require_int("repeats", repeats, minimum=1, maximum=100)
    interpreters = interpreters_module()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        interpreter = interpreters.create()
        interpreter.exec("import gillab.measure.workloads")
        seconds.append(time.perf_counter() - start)
        _close(interpreter)
    return seconds
