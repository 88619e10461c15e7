"""Tripwires: count the calls of course functions a student was asked not to hand the work to.

>>> import gillab.measure.chunks
>>> namespace = {"split_range": gillab.measure.chunks.split_range}
>>> with forbid_calls(namespace, gillab.measure.chunks.split_range) as tripwire:
...     chunks = namespace["split_range"](1, 21, 4)
>>> tripwire.counts
{'gillab.measure.chunks.split_range': 1}
"""

from __future__ import annotations

import contextlib

from ._binding import replaced
from .verdicts import GradingFailure

__all__ = ["Tripwire", "forbid_calls"]


class Tripwire:
    """Counts the calls of functions a student was asked not to use (see :func:`forbid_calls`)."""

    def __init__(self, functions):
        self.functions = list(functions)
        self.counts = {self._label(function): 0 for function in self.functions}

    @staticmethod
    def _label(function) -> str:
        return f"{function.__module__}.{function.__name__}"

    def _wrap(self, function):
        label = self._label(function)

        def recorded(*args, **kwargs):
            self.counts[label] += 1
            return function(*args, **kwargs)

        recorded.__name__, recorded.__doc__ = function.__name__, function.__doc__
        return recorded

    def check(self, function_name: str, instead: str) -> None:
        """Raise :class:`GradingFailure` if any forbidden function was called; ``instead`` says
        what the student should do."""
        used = [label for label, count in self.counts.items() if count]
        if used:
            raise GradingFailure(f"{function_name} handed its work to {' and '.join(used)}: {instead}")


@contextlib.contextmanager
def forbid_calls(namespace: dict, *functions):
    """Record calls of ``functions`` (wherever ``namespace`` or their module binds them) during the
    ``with`` block; they still run. Yields a :class:`Tripwire` to :meth:`~Tripwire.check`."""
    if not functions or not all(callable(function) for function in functions):
        raise TypeError(f"give the functions to watch, got {functions!r}")
    tripwire = Tripwire(functions)
    with contextlib.ExitStack() as stack:
        for function in functions:
            stack.enter_context(replaced(namespace, function, tripwire._wrap(function)))
        yield tripwire
