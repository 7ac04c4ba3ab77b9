"""The checkers of lesson 02: right answers pass, typical mistakes get a useful message."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfcourse import exercises  # noqa: E402
from tfcourse.exercises import lesson_02  # noqa: E402

from exercise_helpers import not_yet  # noqa: E402  (tests/exercise_helpers.py)


def _not_yet(exercise_id, answer, *phrases):
    return not_yet(exercise_id, answer, *phrases, absent=("Traceback", "raised"))


@pytest.mark.parametrize("exercise_id", ["02.1", "02.2", "02.3"])
def test_unanswered_until_the_dots_are_replaced(exercise_id):
    assert exercises.check(exercise_id, ...).status == "unanswered"


# 02.1 · the shape of tf.matmul(ones(2, 3), ones(3, 4)) + ones(4)


def test_02_1_the_shape_tensorflow_computes_passes_in_every_form(tf):
    result = tf.matmul(tf.ones(lesson_02.LEFT_02_1), tf.ones(lesson_02.RIGHT_02_1)) + tf.ones(
        lesson_02.BIAS_02_1
    )
    assert exercises.check("02.1", result.shape).passed  # a TensorShape
    assert exercises.check("02.1", tuple(result.shape)).passed
    assert exercises.check("02.1", list(result.shape)).passed
    assert exercises.check("02.1", tuple(np.int64(n) for n in result.shape)).passed


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ((2, 3), "one of the two matrices"),
        ((3, 4), "one of the two matrices"),
        ((2, 3, 4), "disappears"),
        ((4, 2), "Rows come from the first matrix"),
        ((4,), "broadcasting"),
        ((8, 8), "two steps"),
    ],
)
def test_02_1_typical_wrong_shapes_say_what_went_wrong(answer, phrase):
    _not_yet("02.1", answer, phrase)


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [("(2, 4)", "without quotes"), (8, "one number per axis"), (2.5, "type float"),
     ((2.0, 4.0), "whole number"), ((True, 4), "whole number")],
)
def test_02_1_answers_that_are_not_shapes_get_feedback(answer, phrase):
    _not_yet("02.1", answer, phrase)


def test_02_1_the_result_tensor_instead_of_its_shape_is_explained(tf):
    _not_yet("02.1", tf.zeros((2, 4)), "tuple(result.shape)")


# 02.2 · the slope of x³ − 2x at 2


def _tape_gradient(tf, x):
    with tf.GradientTape() as tape:
        y = x**3 - 2 * x
    return tape.gradient(y, x)


def test_02_2_the_tape_gradient_passes(tf):
    assert exercises.check("02.2", _tape_gradient(tf, tf.Variable(lesson_02.POINT_02_2))).passed
    assert exercises.check("02.2", _tape_gradient(tf, tf.Variable(2.0, dtype=tf.float64))).passed


def test_02_2_a_watched_constant_passes_too(tf):
    x = tf.constant(lesson_02.POINT_02_2)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x**3 - 2 * x
    assert exercises.check("02.2", tape.gradient(y, x)).passed


@pytest.mark.parametrize("convert", [float, lambda t: t.numpy(), lambda t: np.asarray(t),
                                     lambda t: int(t), lambda t: np.float64(t)])
def test_02_2_a_plain_number_is_not_the_gradient_tensorflow_computed(tf, convert):
    # The right value typed in (or converted from the tensor) skips the tape: not yet.
    answer = convert(_tape_gradient(tf, tf.Variable(lesson_02.POINT_02_2)))
    feedback = _not_yet("02.2", answer, "computed by TensorFlow", "not a TensorFlow tensor")
    assert "10" not in feedback.to_text()  # the message does not confirm the value
    assert "tape.gradient(" not in feedback.to_text()  # nor give the code


def test_02_2_the_checker_recomputes_the_slope_rather_than_storing_it(tf):
    x = lesson_02.POINT_02_2
    assert exercises.check("02.2", tf.constant(3 * x**2 - 2)).passed  # the hand-derived formula
    assert not exercises.check("02.2", tf.constant(3 * x**2 - 2 + 0.01)).passed


def test_02_2_a_constant_that_the_tape_did_not_watch_is_explained(tf):
    _not_yet("02.2", _tape_gradient(tf, tf.constant(lesson_02.POINT_02_2)), "tf.Variable", "tape.watch")


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [(4.0, "value of the function"), (12.0, "x³ alone"), (-10.0, "not the slope")],
)
def test_02_2_typical_wrong_numbers_say_what_went_wrong(tf, answer, phrase):
    _not_yet("02.2", tf.constant(answer), phrase)


def test_02_2_answers_that_are_not_one_tensor_get_feedback(tf):
    _not_yet("02.2", tf.Variable(2.0), "variable x itself")
    _not_yet("02.2", "10", "text")
    _not_yet("02.2", True, "True or False")
    _not_yet("02.2", tf.constant([10.0, 10.0]), "one number")
    _not_yet("02.2", [10.0, 10.0], "Expected the tensor the tape gives back")
    _not_yet("02.2", {"x": 2}, "Expected the tensor the tape gives back")


def test_02_2_hints_are_steps_that_never_hold_the_code():
    hints = exercises.get_exercise("02.2").hints
    assert len(hints) == 3 and len(set(hints)) == 3
    text = " ".join(hints)
    for code in ("tf.Variable(2.0)", "tape.gradient(y, x)", "x**3", "answer =", "3x² − 2", "= 10"):
        assert code not in text
    assert "GradientTape" in hints[1]  # the second step names the API; the first gives the idea
    assert "GradientTape" not in hints[0]


# 02.3 · a float32 (3, 4) tensor counting 0, 1, 2, ... row by row


def test_02_3_counting_tensors_built_in_different_ways_pass(tf):
    assert exercises.check("02.3", tf.reshape(tf.range(12, dtype=tf.float32), (3, 4))).passed
    assert exercises.check("02.3", tf.cast(tf.reshape(tf.range(12), (3, 4)), tf.float32)).passed
    assert exercises.check("02.3", tf.constant(np.arange(12).reshape(3, 4), dtype=tf.float32)).passed


@pytest.mark.parametrize(
    ("build", "phrase"),
    [
        (lambda tf: tf.reshape(tf.range(12), (3, 4)), "dtype int32"),
        (lambda tf: tf.constant(np.arange(12.0).reshape(3, 4)), "float64"),
        (lambda tf: tf.range(12, dtype=tf.float32), "use tf.reshape"),
        (lambda tf: tf.reshape(tf.range(12, dtype=tf.float32), (4, 3)), "use tf.reshape"),
        (lambda tf: tf.zeros((2, 3)), "holds 6 values"),
        (lambda tf: tf.transpose(tf.reshape(tf.range(12, dtype=tf.float32), (4, 3))), "columns"),
        (lambda tf: tf.reshape(tf.range(1, 13, dtype=tf.float32), (3, 4)), "start at 1"),
        (lambda tf: tf.zeros((3, 4)), "values are not"),
        (lambda tf: tf.Variable(tf.reshape(tf.range(12, dtype=tf.float32), (3, 4))), "tf.Variable"),
        (lambda tf: np.arange(12, dtype=np.float32).reshape(3, 4), "NumPy array"),
        (lambda tf: [[0.0, 1.0, 2.0, 3.0]], "type list"),
    ],
)
def test_02_3_typical_mistakes_say_what_to_change(tf, build, phrase):
    _not_yet("02.3", build(tf), phrase)


@pytest.mark.parametrize("exercise_id", ["02.1", "02.2", "02.3"])
def test_every_lesson_02_exercise_states_its_question_and_hints_in_steps(exercise_id):
    exercise = exercises.get_exercise(exercise_id)
    assert exercise.question.strip()
    assert len(exercise.hints) >= 2 and len(set(exercise.hints)) == len(exercise.hints)
    assert exercise.hint == exercise.hints[0]


def test_02_3_messages_name_the_tool_but_not_the_code(tf):
    message = _not_yet("02.3", tf.reshape(tf.range(12), (3, 4)), "tf.cast").message
    assert "tf.float32)" not in message and "dtype=tf.float32" not in message
