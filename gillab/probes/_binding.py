"""Putting a stand-in where a notebook and a module bind a course function, and taking it back.

A check cell's notebook namespace (``globals()``) and the function's home module may both hold it:
a student's code can reach it through either, so a probe must stand in at both.
"""

from __future__ import annotations

import contextlib
import sys

__all__ = ["bound_names", "replaced"]


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
