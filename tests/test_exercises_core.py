"""The exercise machinery: ids, feedback states, and errors turned into feedback."""

from __future__ import annotations

import pytest

from tfcourse import exercises
from tfcourse.exercises._core import _ATTEMPTS, SOLUTION_POINTER, Exercise, Feedback, exercise, run_check

HINTS = ("Six groups of seven.", "Use the * operator.")


def _exercise(checker, exercise_id="99.1") -> Exercise:
    _ATTEMPTS.pop(exercise_id, None)  # each test starts with no wrong answers
    return Exercise(exercise_id, "What is 6 × 7?", HINTS, checker)


def _is_42(answer):
    return None if answer == 42 else f"{answer} is not 6 × 7."


def test_feedback_states():
    ex = _exercise(_is_42)
    assert run_check(ex, 42).passed
    wrong = run_check(ex, 41)
    assert wrong.status == "not yet" and not wrong.passed
    assert "41 is not 6 × 7." in wrong.to_text() and "Hint 1 of 2: Six groups of seven." in wrong.to_text()
    waiting = run_check(ex, ...)
    assert waiting.status == "unanswered" and "replace the ..." in waiting.to_text()


def test_an_answer_that_breaks_the_checker_gets_feedback_not_a_traceback():
    ex = _exercise(lambda answer: None if answer.shape == (2,) else "wrong shape")
    feedback = run_check(ex, "not a tensor")
    assert feedback.status == "not yet"
    assert "AttributeError" in feedback.message


def test_feedback_renders_as_escaped_html_with_words_not_only_colour():
    html = run_check(_exercise(lambda a: "<b>no</b>"), 1)._repr_html_()
    assert "&lt;b&gt;no&lt;/b&gt;" in html and "Not yet" in html
    assert isinstance(run_check(_exercise(_is_42), 42), Feedback)


@pytest.mark.parametrize("bad", ["4.1", "04-1", 4.1, None, "04.x"])
def test_malformed_ids_are_refused(bad):
    with pytest.raises(ValueError, match='Expected an exercise id like "04.1"'):
        exercises.check(bad, 1)


def test_unknown_ids_list_the_known_ones():
    with pytest.raises(ValueError, match=r"an exercise of lesson 98 \(known: none\)"):
        exercises.check("98.1", 1)


def test_hints_come_in_steps_and_the_last_points_to_the_solution():
    ex = _exercise(_is_42, "99.2")
    first, second, third = (run_check(ex, wrong) for wrong in (41, 40, 39))
    assert (first.hint_step, second.hint_step, third.hint_step) == (1, 2, 2)
    assert first.hint == HINTS[0] and SOLUTION_POINTER not in first.to_text()
    assert second.hint == HINTS[1] and SOLUTION_POINTER in second.to_text()
    assert "Hint 2 of 2: Use the * operator." in third.to_text()
    assert run_check(ex, 42).hint == "" and run_check(ex, ...).hint_step == 0


@pytest.mark.parametrize("hints", [(), ("only one",), ("same", ""), ["a list", "of two"]])
def test_an_exercise_needs_at_least_two_hint_steps(hints):
    with pytest.raises(ValueError, match="at least two sentences"):
        exercise("99.9", question="?", hints=hints)
