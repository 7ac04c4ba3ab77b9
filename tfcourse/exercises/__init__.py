"""Self-checking exercises, one module per lesson (``lesson_04.py`` serves lesson 04).

In a lesson::

    answer = ...            # the student replaces ... with their answer
    tfc.check("04.1", answer)

shows "✔ Correct", "✘ Not yet" with a hint, or "… Your turn" while the
answer is still ``...``. ``tfc.check(...).passed`` is True for a right answer.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from tfcourse._validation import expected
from tfcourse.exercises._core import _REGISTRY, Exercise, Feedback, run_check

__all__ = ["check", "get_exercise", "Feedback"]

_ID = re.compile(r"^(\d\d)\.(\d+)$")


def get_exercise(exercise_id: str) -> Exercise:
    """The registered exercise with this id, e.g. ``get_exercise("04.1")``."""
    match = _ID.match(exercise_id) if isinstance(exercise_id, str) else None
    if match is None:
        raise ValueError(
            expected('an exercise id like "04.1" (lesson number, dot, exercise number)',
                     "exercise_id", exercise_id)
        )
    try:
        importlib.import_module(f"tfcourse.exercises.lesson_{match.group(1)}")
    except ModuleNotFoundError:
        pass  # reported below as an unknown id
    if exercise_id not in _REGISTRY:
        known = ", ".join(sorted(k for k in _REGISTRY if k.startswith(match.group(1)))) or "none"
        raise ValueError(
            expected(f"an exercise of lesson {match.group(1)} (known: {known})",
                     "exercise_id", exercise_id)
        )
    return _REGISTRY[exercise_id]


def check(exercise_id: str, answer: Any) -> Feedback:
    """Check a student's answer to exercise ``exercise_id``.

    Example:
        >>> import tfcourse as tfc
        >>> tfc.check("04.1", ...).status
        'unanswered'
    """
    return run_check(get_exercise(exercise_id), answer)
