"""Argument checks shared by every public function, so bad input fails early with a message that
says what was wrong and what is allowed (``n_chunks must be a positive int, got 0``)."""

from __future__ import annotations

import numbers

__all__ = ["require_int", "require_positive_number"]


def require_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` if it is an int within [minimum, maximum], else raise TypeError/ValueError.

    ``bool`` is refused: ``True`` workers is a bug, not 1 worker.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        kind = "a positive int" if minimum == 1 else "an int"
        raise TypeError(f"{name} must be {kind}, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        if minimum == 1:
            raise ValueError(f"{name} must be a positive int, got {value}")
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return value


def require_positive_number(name: str, value, *, allow_zero: bool = False, maximum: float | None = None) -> float:
    """Return ``value`` as a float if it is a real number > 0 (or >= 0), else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return value
