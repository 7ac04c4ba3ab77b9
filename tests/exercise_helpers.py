"""Assertions shared by the tests of the lessons' exercises (tests/test_exercises_lesson_*.py).

Imported as ``from exercise_helpers import not_yet``: pytest's default import
mode ("prepend") puts this folder on sys.path for the test modules in it.

The lessons from 05 on import ``not_yet_sentence as _not_yet`` and ``assert_unanswered``.
"""

from __future__ import annotations

from typing import Any

from tfcourse import exercises
from tfcourse.exercises import Feedback


def not_yet(exercise_id: str, answer: Any, *phrases: str, absent: tuple[str, ...] = ()) -> Feedback:
    """Check ``answer``; assert it is "not yet" with every phrase, and none of ``absent``, in its message."""
    feedback = exercises.check(exercise_id, answer)
    assert feedback.status == "not yet", feedback.to_text()
    for phrase in phrases:
        assert phrase in feedback.message, feedback.message
    for word in absent:
        assert word not in feedback.message, feedback.message
    return feedback


def not_yet_sentence(exercise_id: str, answer: Any, *phrases: str) -> str:
    """``not_yet`` whose message must be a sentence, not a caught traceback ("raised"); returns the message."""
    feedback = not_yet(exercise_id, answer, *phrases, absent=("raised",))
    assert not feedback.passed
    return feedback.message


def assert_unanswered(exercise_id: str) -> None:
    """The exercise's placeholder answer (``...``) is "unanswered", not passed."""
    feedback = exercises.check(exercise_id, ...)
    assert feedback.status == "unanswered" and not feedback.passed
