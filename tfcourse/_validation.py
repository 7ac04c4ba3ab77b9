"""Argument checks shared by the helpers.

Every error reads like Keras's: "Expected <what>. Received: <name>=<value>",
so a student sees at once what to change.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable


def describe(value: Any) -> str:
    """A short description of a value for an error message (shape for arrays)."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{type(value).__name__} of shape {tuple(shape)} and dtype {dtype}"
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} (type {type(value).__name__})"


def expected(what: str, name: str, value: Any, *, hint: str | None = None) -> str:
    """Build the standard message: 'Expected <what>. Received: <name>=<value>.'"""
    message = f"Expected {what}. Received: {name}={describe(value)}."
    if hint:
        message += f" {hint}"
    return message


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise ValueError."""
    choices = list(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(expected(f"one of {listed}", name, value))
    return value


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an int > 0 (bools are refused), else raise."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(expected("a positive whole number", name, value))
    return value


def check_seed(value: Any) -> int | None:
    """Return ``value`` if it is None or a whole number >= 0 (NumPy integers too, bools refused), else raise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(expected("None or a whole number >= 0", "seed", value))
    return int(value)
