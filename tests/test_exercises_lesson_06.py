"""Lesson 06's exercises: right answers pass, typical slips get a useful sentence."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tfcourse import exercises

from exercise_helpers import assert_unanswered, not_yet_sentence as _not_yet  # tests/exercise_helpers.py

IDS = ["06.1", "06.2", "06.3"]


@pytest.mark.parametrize("exercise_id", IDS)
def test_each_exercise_waits_for_an_answer(exercise_id):
    assert_unanswered(exercise_id)


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("answer", [None, 3.5j, {"a": 1}, object()])
def test_a_wrong_kind_of_answer_gets_feedback_not_a_traceback(exercise_id, answer):
    assert _not_yet(exercise_id, answer).strip()


# --- 06.1: calls per epoch -------------------------------------------------------


def test_06_1_right_answer_passes_in_any_numeric_form():
    steps = math.ceil(60_000 / 32)
    right = math.ceil(steps / 500)  # computed here from the question's numbers
    for answer in (right, float(right), np.int64(right)):
        assert exercises.check("06.1", answer).passed


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (1875, "number of steps"),
        (3, "left over"),
        (120, "counts steps (batches), not images"),
        (1, "at least 1,875"),
        (3.75, "not a whole number"),
        ("4", "text"),
        (True, "True or False"),
        (7, "do not run"),
    ],
)
def test_06_1_typical_slips_are_explained(answer, phrase):
    _not_yet("06.1", answer, phrase)


# --- 06.2: FLOPs per training image --------------------------------------------------


def test_06_2_right_answer_passes_also_rounded():
    weights = 784 * 256 + 256 * 10
    assert exercises.check("06.2", 6 * weights).passed
    assert exercises.check("06.2", 1.22e6).passed  # rounded to three digits
    assert exercises.check("06.2", np.float32(6 * weights)).passed


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (2 * (784 * 256 + 256 * 10), "forward pass only"),
        (3 * (784 * 256 + 256 * 10), "multiply-adds"),
        (4 * (784 * 256 + 256 * 10), "TWO products"),
        (6 * (784 * 128 + 128 * 10), "the lesson's 784-128-10 network"),
        (784 * 256 + 256 * 10, "number of weights"),
        (1_000_000, "is not 3 × 2"),
        ("1219584", "text"),
    ],
)
def test_06_2_typical_slips_are_explained(answer, phrase):
    _not_yet("06.2", answer, phrase)


# --- 06.3: faster, or different? -------------------------------------------------------


@pytest.mark.parametrize("answer", [{"c", "e"}, ["e", "c"], ("C", "E"), "ce", "c, e", frozenset("ce")])
def test_06_3_right_set_passes_in_any_spelling(answer):
    assert exercises.check("06.3", answer).passed


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ({"a", "c", "e"}, "Not this set"),
        ({"e"}, "changes the updates"),
        (set(), "choose at least one"),
        ({"c", "z"}, "'z' is not one of them"),
        ([1, 2], "letters as text"),
    ],
)
def test_06_3_wrong_choices_are_explained(answer, phrase):
    _not_yet("06.3", answer, phrase)


@pytest.mark.parametrize(
    "answer", [{"a"}, {"b"}, {"c"}, {"d"}, {"e"}, {"f"}, {"a", "c", "e"}, {"c", "e", "f"}, set("abcdef")]
)
def test_06_3_feedback_never_names_a_letter_or_an_option(answer):
    """Guessing must not reveal the answer: no letter, no option's text in any feedback."""
    from tfcourse.exercises import lesson_06

    message = _not_yet("06.3", answer)
    assert not re.search(r"\([a-f]\)|\b[a-f]\b\)", message), message
    for option in lesson_06.CHANGES_06_3.values():
        assert option not in message, message
    assert lesson_06.IDEA_06_3 in message  # the idea, every time


def test_06_3_every_wrong_set_gets_the_same_words():
    """No count of right or wrong letters: trying them one at a time reveals nothing."""
    from itertools import combinations

    sets = [set(c) for n in range(1, 7) for c in combinations("abcdef", n) if set(c) != {"c", "e"}]
    assert len({_not_yet("06.3", chosen) for chosen in sets}) == 1


@pytest.mark.parametrize("exercise_id", IDS)
def test_hints_come_in_steps_without_the_answer(exercise_id):
    hints = exercises.get_exercise(exercise_id).hints
    assert len(hints) >= 2 and len(set(hints)) == len(hints)
    assert exercises.get_exercise(exercise_id).hint == hints[0]
    joined = " ".join(hints)
    assert "1,219,584" not in joined and "1219584" not in joined  # 06.2's answer
    assert not re.search(r"\b4 calls\b", joined)  # 06.1's answer
    assert not re.search(r"\{\s*['\"]c['\"]", joined)  # 06.3's set
