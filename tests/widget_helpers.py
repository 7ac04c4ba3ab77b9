"""Finding the controls inside an explorer's widget, for tests/test_widgets.py and
tests/test_language.py (imported as ``from widget_helpers import widgets_of``)."""

from __future__ import annotations


def widgets_of(box, kind) -> list:
    """Every widget of type ``kind`` inside ``box``, however deeply nested."""
    found, stack = [], [box]
    while stack:
        widget = stack.pop()
        if isinstance(widget, kind):
            found.append(widget)
        stack.extend(getattr(widget, "children", ()))
    return found
