"""Telling an untouched answer cell from an attempt.

An answer cell starts as a *stub*: each function it asks for has a docstring and the single line
:data:`STUB_LINE`, and each value it asks for is ``...`` (Ellipsis). A check cell that finds only
stubs says "not attempted yet" and raises nothing, so that nbval, ``make bench`` and Binder can run
every chapter top to bottom with nobody typing.

>>> def count_safely(counter, lock, n_threads, increments):
...     '''Your answer.'''
...     raise NotImplementedError("write your answer here")
>>> is_stub(count_safely), is_stub(...), is_stub(1.5), is_stub(None)
(True, True, False, False)
"""

from __future__ import annotations

import types

__all__ = ["STUB_LINE", "is_stub", "stubbed"]

#: The one line of a function stub in an answer cell.
STUB_LINE = 'raise NotImplementedError("write your answer here")'


def is_stub(value) -> bool:
    """Whether ``value`` is still a stub: ``...``, or a function whose body only raises
    NotImplementedError (its code names nothing else)."""
    if value is Ellipsis:
        return True
    if isinstance(value, types.FunctionType):
        return value.__code__.co_names == ("NotImplementedError",)
    return False


def stubbed(namespace: dict, names) -> list[str]:
    """The ``names`` that ``namespace`` holds as stubs (missing names are not stubs: see
    :meth:`gillab.probes.challenges.judging.Challenge.verdict`)."""
    return [name for name in names if name in namespace and is_stub(namespace[name])]
