"""What the ``tfcourse`` commands share: how they report, and how they refuse.

Each command reports through a ``log`` function (one line of text at a time:
``print`` on the command line, ``None`` for silence when called from Python)
and refuses an argument that names nothing usable with :class:`UsageError`,
which ``main`` turns into one line and the usage (exit status 2).
"""

from __future__ import annotations

from typing import Callable, Sequence

from tfcourse._validation import expected

Log = Callable[[str], None]


class UsageError(ValueError):
    """A command-line argument that names nothing usable (exit status 2)."""


def as_log(log: Log | None) -> Log:
    """``log`` itself, or a function that drops every line when ``log`` is None.

    Example:
        >>> as_log(None)("dropped")
        >>> as_log(print)("printed")
        printed
    """
    if log is None:
        return lambda line: None
    if not callable(log):
        raise TypeError(expected("a function taking a line of text, or None", "log", log))
    return log


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain-text columns, two spaces apart, under a line of dashes.

    Example:
        >>> print(format_table(("status", "check"), [("PASS", "Python")]))
        status  check
        ------  ------
        PASS    Python
    """
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * width for width in widths]),
                      *(line(row) for row in rows)])
