"""Argument checks shared by the helpers.

Every error reads like Keras's: "Expected <what>. Received: <name>=<value>",
so a student sees at once what to change.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np


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


def is_whole_number(value: Any) -> bool:
    """True for ``int`` and NumPy integers; False for bools, floats and text."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` if it is a whole number > 0.

    A wrong type (a float, a bool, text) raises TypeError; a whole number that
    is 0 or negative raises ValueError. NumPy integers are accepted:

    >>> import numpy as np
    >>> check_positive_int("epochs", np.int64(5))
    5
    >>> check_positive_int("epochs", 0)
    Traceback (most recent call last):
    ...
    ValueError: Expected a positive whole number. Received: epochs=0 (type int).
    >>> check_positive_int("epochs", 2.5)
    Traceback (most recent call last):
    ...
    TypeError: Expected a positive whole number. Received: epochs=2.5 (type float).
    """
    if not is_whole_number(value):
        raise TypeError(expected("a positive whole number", name, value))
    if value <= 0:
        raise ValueError(expected("a positive whole number", name, value))
    return int(value)


def check_seed(value: Any) -> int | None:
    """Return ``value`` if it is None or a whole number >= 0 (NumPy integers too).

    The one seed rule of the course: ``None`` means "follow the global seed that
    ``keras.utils.set_random_seed`` set" (so a lesson that set it gets the same
    shuffles on every run); a number fixes this one shuffle. A wrong type raises
    TypeError, a negative number ValueError.

    >>> check_seed(None) is None, check_seed(3)
    (True, 3)
    """
    if value is None:
        return None
    if not is_whole_number(value):
        raise TypeError(expected("None or a whole number >= 0", "seed", value))
    if value < 0:
        raise ValueError(expected("None or a whole number >= 0", "seed", value))
    return int(value)


def resolve_seed(value: Any) -> int:
    """The seed to use: ``value`` checked by :func:`check_seed`, or, for None, one
    drawn from NumPy's global generator, which ``keras.utils.set_random_seed`` seeds.

    >>> np.random.seed(0); first = resolve_seed(None)
    >>> np.random.seed(0); first == resolve_seed(None), resolve_seed(7)
    (True, 7)
    """
    seed = check_seed(value)
    return int(np.random.randint(0, 2**31 - 1)) if seed is None else seed


def check_whole(name: str, value: Any, low: int, high: int) -> int:
    """Return ``value`` as an int if it is a whole number in [low, high] (any integer type, not bool).

    Example:
        >>> check_whole("unit", np.int64(3), 0, 9)
        3
        >>> check_whole("unit", 10, 0, 9)
        Traceback (most recent call last):
        ...
        ValueError: Expected a whole number from 0 to 9. Received: unit=10 (type int).
    """
    if not is_whole_number(value):
        raise TypeError(expected(f"a whole number from {low} to {high}", name, value))
    if not low <= value <= high:
        raise ValueError(expected(f"a whole number from {low} to {high}", name, value))
    return int(value)


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is True or False (NumPy's too), else raise TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(expected("True or False", name, value))
    return bool(value)


def check_path(name: str, value: Any, what: str) -> Path:
    """Return ``value`` as a Path if it is text or path-like (bytes refused), else raise TypeError.

    >>> check_path("data_dir", "~/data", "a folder path").name
    'data'
    >>> check_path("data_dir", b"/tmp", "a folder path")
    Traceback (most recent call last):
    ...
    TypeError: Expected a folder path. Received: data_dir=b'/tmp' (type bytes).
    """
    if isinstance(value, (bytes, bytearray)) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(expected(what, name, value))
    return Path(value)
