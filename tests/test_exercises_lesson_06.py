"""Lesson 06's exercises: right answers pass, typical slips get a useful sentence."""

from __future__ import annotations

import math

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
        (3, "one more call"),
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
        ({"a", "c", "e"}, "(a) does not: steps_per_execution"),
        ({"b", "c", "e"}, "(b) does not: jit_compile"),
        ({"c", "d", "e"}, "(d) does not: Keras casts"),
        ({"c", "e", "f"}, "(f) does not: validation makes no updates"),
        ({"e"}, "(c) does: a batch of 64"),
        ({"c"}, "(e) does: a learning rate of 0.02"),
        (set(), "choose at least one"),
        ({"c", "z"}, "'z' is not one of them"),
        ([1, 2], "letters as text"),
    ],
)
def test_06_3_wrong_choices_are_explained(answer, phrase):
    _not_yet("06.3", answer, phrase)
