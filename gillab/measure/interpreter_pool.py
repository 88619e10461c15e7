"""An ``InterpreterPoolExecutor`` that says what went wrong instead of hanging.

Python 3.14's ``concurrent.futures.InterpreterPoolExecutor`` (and the PEP 734 backport's, on 3.13)
is a pool of worker threads, each running tasks in an interpreter of its own, so pure-Python tasks
run in parallel with the GIL on. The backport's pool hangs, silently and burning a CPU core, when a
task fails before the task's own code starts: a function defined in a notebook cell, an argument
whose class is defined there, a result that does not fit in 64 bits (CPython issue gh-125864, the
backport's issues 17 and 21, all reproduced for this course on Python 3.13). The process then
cannot even exit.

:class:`InterpreterPoolExecutor` here wraps the real one. It refuses what cannot cross between
interpreters before submitting it, with a message saying what and why
(:class:`~gillab.measure.subinterpreters.CannotCrossInterpreters`); and it hands the real pool only
one function, defined in this module, whose argument and result are bytes: the task's own function
and arguments are unpickled inside the worker, under a ``try``, and every outcome comes back as
bytes, so no failure can happen where the real pool cannot report it. Use it as the standard one::

    from gillab.measure.interpreter_pool import InterpreterPoolExecutor
    with InterpreterPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(count_sum, lo, hi) for lo, hi in chunks]
        total = sum(future.result() for future in futures)

>>> from gillab.machine.interpreter import subinterpreter_support
>>> from gillab.measure.workloads import count_sum
>>> if subinterpreter_support().available:  # Python 3.13+; elsewhere the pool explains why not
...     with InterpreterPoolExecutor(max_workers=2) as pool:
...         total = sum(pool.map(count_sum, [1, 11], [11, 21]))
... else:
...     total = 210
>>> total
210
"""

from __future__ import annotations

import pickle
from concurrent.futures import Executor, Future

from .._validate import require_int
from ..machine.interpreter import subinterpreter_support
from .subinterpreters import (
    MAX_INTERPRETERS,
    CannotCrossInterpreters,
    SubinterpreterFailed,
    SubinterpretersUnavailable,
    explain_failure,
    portable,
)

__all__ = ["InterpreterPoolExecutor", "real_pool_name", "CannotCrossInterpreters", "SubinterpreterFailed"]


def real_pool_name() -> str:
    """Where the real pool comes from on this Python (``concurrent.futures.InterpreterPoolExecutor``
    on 3.14+, the backport's on 3.13); :class:`SubinterpretersUnavailable` with the reason elsewhere."""
    support = subinterpreter_support()
    if not support.available:
        raise SubinterpretersUnavailable(support.detail)
    if support.source == "stdlib":
        return "concurrent.futures.InterpreterPoolExecutor"
    return "interpreters_backport.concurrent.futures.InterpreterPoolExecutor"


def _real_pool_class():
    name = real_pool_name()
    module, _, attribute = name.rpartition(".")
    import importlib

    return getattr(importlib.import_module(module), attribute)


def _run_pickled(payload: bytes) -> bytes:
    """Runs INSIDE a worker interpreter: rebuild ``(function, args, kwargs)``, call it, and return
    ``(True, result)`` or ``(False, (kind, message, traceback, unpickling))``, pickled. Bytes are
    shareable whatever their size, so returning can never fail in the real pool."""
    import traceback

    unpickling = True
    try:
        function, args, kwargs = pickle.loads(payload)
        unpickling = False
        value = function(*args, **kwargs)
        try:
            return pickle.dumps((True, value))
        except Exception as error:  # noqa: BLE001 - said in the message below
            raise TypeError(
                f"its result, a {type(value).__name__}, cannot be pickled to go back to the calling "
                f"interpreter: {error}"
            ) from None
    except BaseException as error:  # noqa: BLE001 - handed to the caller as data
        return pickle.dumps((False, (type(error).__name__, str(error), traceback.format_exc(), unpickling)))


def _name(function) -> str:
    return getattr(function, "__qualname__", None) or getattr(function, "__name__", None) or repr(function)


class InterpreterPoolExecutor(Executor):
    """A pool of ``max_workers`` interpreters (1 to :data:`~gillab.measure.subinterpreters.MAX_INTERPRETERS`,
    default 2), each on a worker thread of its own, with the standard executor's ``submit``,
    ``map`` and ``shutdown``; see the module's description for what it adds to the real pool.

    A task's exception comes back from ``future.result()`` as
    :class:`~gillab.measure.subinterpreters.SubinterpreterFailed` with the worker's traceback (an
    extension module that refuses subinterpreters, such as numpy, is named in plain words).
    """

    def __init__(self, max_workers: int = 2):
        self.max_workers = require_int("max_workers", max_workers, minimum=1, maximum=MAX_INTERPRETERS)
        self._pool = _real_pool_class()(max_workers=self.max_workers)

    def submit(self, function, /, *args, **kwargs) -> Future:
        """Run ``function(*args, **kwargs)`` in one of the pool's interpreters; return its Future."""
        if not callable(function):
            raise TypeError(f"submit needs a function to run first, got {function!r}")
        name = _name(function)
        portable(function, f"the function {name}")
        for index, argument in enumerate(args, 1):
            portable(argument, f"argument {index} of {name} ({type(argument).__name__})")
        for key, argument in kwargs.items():
            portable(argument, f"argument {key}= of {name} ({type(argument).__name__})")
        inner = self._pool.submit(_run_pickled, pickle.dumps((function, args, kwargs), protocol=3))
        outer: Future = Future()
        outer.add_done_callback(lambda future: future.cancelled() and inner.cancel())
        inner.add_done_callback(lambda future: _settle(outer, future, name))
        return outer

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the pool (``wait``: after its running tasks end; ``cancel_futures``: drop queued ones)."""
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _settle(outer: Future, inner: Future, name: str) -> None:
    """Give ``outer`` the outcome of the real pool's ``inner`` Future."""
    if inner.cancelled():
        outer.cancel()
        return
    if not outer.set_running_or_notify_cancel():
        return  # the caller cancelled it meanwhile
    error = inner.exception()
    if error is not None:
        failure = SubinterpreterFailed(f"the interpreter pool could not run {name}: {type(error).__name__}: {error}")
        failure.__cause__ = error
        outer.set_exception(failure)
        return
    ok, value = pickle.loads(inner.result())
    if ok:
        outer.set_result(value)
    else:
        kind, message, remote, unpickling = value
        outer.set_exception(SubinterpreterFailed(explain_failure(kind, message, remote, name, unpickling)))
