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


def assert_hints_in_steps(exercise_id: str, *, not_in_first: tuple[str, ...] = ()) -> tuple[str, ...]:
    """At least two different hint steps, ``.hint`` the first; none of ``not_in_first`` in it."""
    ex = exercises.get_exercise(exercise_id)
    assert ex.hint == ex.hints[0]
    assert len(ex.hints) >= 2 and len(set(ex.hints)) == len(ex.hints), ex.hints
    for word in not_in_first:
        assert word not in ex.hints[0], (exercise_id, word)
    return ex.hints


def assert_each_wrong_answer_earns_the_next_hint(exercise_id: str, wrong: Any) -> None:
    """Wrong answers in a fresh kernel show hint 1, 2, ..., then the last again with the solution pointer."""
    from tfcourse.exercises._core import _ATTEMPTS, SOLUTION_POINTER

    _ATTEMPTS.pop(exercise_id, None)  # a fresh kernel: no earlier attempts
    hints = exercises.get_exercise(exercise_id).hints
    shown = [exercises.check(exercise_id, wrong) for _ in range(len(hints) + 1)]
    assert [f.status for f in shown] == ["not yet"] * len(shown)
    assert [f.hint for f in shown] == [*hints, hints[-1]]
    assert f"Hint 1 of {len(hints)}" in shown[0].to_text()
    assert SOLUTION_POINTER not in shown[0].to_text()
    assert SOLUTION_POINTER in shown[-1].to_text()
    _ATTEMPTS.pop(exercise_id, None)
