"""Putting a stand-in where a notebook and a module bind a course function, and taking it back.

A check cell's notebook namespace (``globals()``) and the function's home module may both hold it:
a student's code can reach it through either, so a probe must stand in at both.
"""

from __future__ import annotations

import contextlib
import sys

from .._validate import require_int, require_positive_number

__all__ = ["bound_names", "replaced", "checked_arguments"]


def checked_arguments(namespace, count_name: str, count, wait_s, function, probe_class) -> tuple[int, float]:
    """The probes' shared argument check: ``namespace`` a dict, ``count`` (named ``count_name``)
    an int from 1 to 64, ``wait_s`` a number of seconds up to 60, ``function`` a course function and
    not already a ``probe_class`` stand-in. Returns ``(count, wait_s)``; raises with the bad value.

    >>> checked_arguments({}, "workers", 2, 5, len, type(None))
    (2, 5.0)
    >>> checked_arguments([], "workers", 2, 5, len, type(None))
    Traceback (most recent call last):
    ...
    TypeError: namespace must be a dict such as globals(), got list
    """
    if not isinstance(namespace, dict):
        raise TypeError(f"namespace must be a dict such as globals(), got {type(namespace).__name__}")
    count = require_int(count_name, count, minimum=1, maximum=64)
    wait_s = require_positive_number("wait_s", wait_s, maximum=60)
    if not callable(function) or isinstance(function, probe_class):
        raise TypeError(f"function must be a course function such as count_sum, got {function!r}")
    return count, wait_s


def bound_names(namespace: dict, target) -> list[str]:
    """The names under which ``namespace`` holds exactly ``target`` (not a copy or a wrapper)."""
    return [name for name, value in list(namespace.items()) if value is target]


@contextlib.contextmanager
def replaced(namespace: dict, target, replacement):
    """Bind ``replacement`` wherever ``target`` is bound in ``namespace`` and in its home module."""
    module = sys.modules[target.__module__]
    spots = [(namespace, name) for name in bound_names(namespace, target)]
    if getattr(module, target.__name__, None) is target:
        spots.append((module.__dict__, target.__name__))
    for space, name in spots:
        space[name] = replacement
    try:
        yield
    finally:
        for space, name in spots:
            if space.get(name) is replacement:  # the student may have rebound it since
                space[name] = target
