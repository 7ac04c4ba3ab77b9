"""The exercise machinery: ids, feedback states, and errors turned into feedback."""

from __future__ import annotations

import pytest

from tfcourse import exercises
from tfcourse.exercises._core import Exercise, Feedback, run_check


def _exercise(checker) -> Exercise:
    return Exercise("99.1", "What is 6 × 7?", "Multiply.", checker)


def _is_42(answer):
    return None if answer == 42 else f"{answer} is not 6 × 7."


def test_feedback_states():
    ex = _exercise(_is_42)
    assert run_check(ex, 42).passed
    wrong = run_check(ex, 41)
    assert wrong.status == "not yet" and not wrong.passed
    assert "41 is not 6 × 7." in wrong.to_text() and "Hint: Multiply." in wrong.to_text()
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
