"""The checkers of lesson 03: right answers pass, typical mistakes get a useful message."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfcourse import exercises  # noqa: E402
from tfcourse.exercises import lesson_03  # noqa: E402

from exercise_helpers import not_yet as _not_yet  # noqa: E402  (tests/exercise_helpers.py)


@pytest.mark.parametrize("exercise_id", ["03.1", "03.2", "03.3"])
def test_unanswered_until_the_dots_are_replaced(exercise_id):
    feedback = exercises.check(exercise_id, ...)
    assert feedback.status == "unanswered" and not feedback.passed


@pytest.mark.parametrize("exercise_id", ["03.1", "03.2", "03.3"])
def test_the_question_and_hint_are_there(exercise_id):
    ex = exercises.get_exercise(exercise_id)
    assert ex.question and ex.hint == ex.hints[0]
    assert len(ex.hints) >= 2 and len(set(ex.hints)) == len(ex.hints)


def test_03_2_no_hint_step_holds_the_solution_code():
    """The hints lead to the update step by step; the code itself is the worked solution."""
    hints = exercises.get_exercise("03.2").hints
    assert "assign_sub(learning_rate * gradient)" not in " ".join(hints)
    assert "assign" not in hints[0]  # the first step is the idea, not the method
    assert "assign_sub" in hints[-1]  # the last step names the method to use


# 03.1 · parameters with 64 hidden units


def test_03_1_the_count_keras_gives_passes(tf):
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(lesson_03.INPUTS_03_1,)),
            keras.layers.Dense(lesson_03.HIDDEN_03_1, activation="relu"),
            keras.layers.Dense(lesson_03.CLASSES_03_1, activation="softmax"),
        ]
    )
    assert exercises.check("03.1", model.count_params()).passed
    assert exercises.check("03.1", np.int64(model.count_params())).passed


def test_03_1_the_count_is_the_sum_of_both_dense_layers():
    # 784×64 + 64 = 50,240 and 64×10 + 10 = 650, worked out independently of the checker
    assert exercises.check("03.1", 50_240 + 650).passed


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (784 * 128 + 128 + 128 * 10 + 10, "128 hidden units"),
        (784 * 64 + 64 * 10, "not the biases"),
        (784 * 64 + 64, "hidden layer alone"),
        (64 * 10 + 10, "output layer alone"),
        (784 * 64 * 10, "add"),
        (12345, "inputs × units + units"),
    ],
)
def test_03_1_typical_wrong_counts_say_what_was_missed(answer, phrase):
    _not_yet("03.1", answer, phrase)


def test_03_1_a_float_with_the_right_value_is_asked_to_be_whole():
    _not_yet("03.1", 50890.0, "whole number", "int(")


@pytest.mark.parametrize("answer", ["50890", True, [50890], None])
def test_03_1_a_wrong_type_gives_feedback_not_a_traceback(answer):
    _not_yet("03.1", answer, "Expected a whole number")


# 03.2 · the SGD update as a function


def _right_update(variable, gradient, learning_rate):
    variable.assign_sub(learning_rate * gradient)


def test_03_2_assign_sub_passes(tf):
    assert exercises.check("03.2", _right_update).passed


def test_03_2_assign_of_the_new_value_passes_too(tf):
    def update(variable, gradient, learning_rate):
        variable.assign(variable - learning_rate * gradient)

    assert exercises.check("03.2", update).passed


def test_03_2_rebinding_the_name_changes_nothing(tf):
    def update(variable, gradient, learning_rate):
        variable = variable - learning_rate * gradient  # noqa: F841 - the mistake under test

    message = _not_yet("03.2", update, "old values", "changes the variable itself, in place")
    assert "assign_sub" not in message.message  # the method's name is the last hint's, not the checker's


def test_03_2_returning_the_new_value_without_assigning_changes_nothing(tf):
    _not_yet("03.2", lambda v, g, lr: v - lr * g, "old values")


@pytest.mark.parametrize(
    ("update", "phrase"),
    [
        (lambda v, g, lr: v.assign_add(lr * g), "uphill"),
        (lambda v, g, lr: v.assign_sub(g), "whole gradient"),
        (lambda v, g, lr: v.assign_sub(0.01 * g), "learning_rate argument"),
        (lambda v, g, lr: v.assign(-lr * g), "replaced"),
        (lambda v, g, lr: v.assign_sub(lr * g * 2), "should become"),
    ],
)
def test_03_2_typical_wrong_updates_say_what_is_wrong(tf, update, phrase):
    _not_yet("03.2", update, phrase)


def test_03_2_a_hard_coded_case_fails_on_the_second_case(tf):
    first_start, first_gradient, first_rate = lesson_03._CASES_03_2[0]

    def update(variable, gradient, learning_rate):
        variable.assign(first_start - first_rate * first_gradient)

    _not_yet("03.2", update, "raised")  # the second case has another shape


def test_03_2_an_update_that_raises_gives_feedback(tf):
    def update(variable, gradient):  # forgot the learning rate
        variable.assign_sub(gradient)

    _not_yet("03.2", update, "raised TypeError")


@pytest.mark.parametrize("answer", [0.01, "variable.assign_sub(lr * g)", None])
def test_03_2_a_wrong_type_gives_feedback_not_a_traceback(answer):
    _not_yet("03.2", answer, "Expected a function")


def test_03_2_the_result_of_calling_the_function_is_not_the_function(tf):
    variable = tf.Variable(1.0)
    _not_yet("03.2", _right_update(variable, tf.constant(1.0), 0.1), "Expected a function")


# 03.3 · learning rate 10.0


@pytest.mark.parametrize("answer", ["b", "B", " b) ", "(b)", "b."])
def test_03_3_the_right_letter_passes_in_any_usual_spelling(answer):
    assert exercises.check("03.3", answer).passed


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [("a", "valley"), ("c", "overshoot"), ("d", "accepts any number")],
)
def test_03_3_each_wrong_choice_gets_its_reason(answer, phrase):
    _not_yet("03.3", answer, phrase)


@pytest.mark.parametrize("answer", ["e", "b and c", 2, None, ["b"]])
def test_03_3_anything_but_one_of_the_letters_is_asked_again(answer):
    _not_yet("03.3", answer, "one of the letters")


def test_03_3_the_question_lists_every_choice():
    question = exercises.get_exercise("03.3").question
    for letter, text in lesson_03.CHOICES_03_3.items():
        assert f"{letter}) {text}" in question


def _sgd_losses(tf, x, y, learning_rate, steps):
    generator = tf.random.Generator.from_seed(0)

    def glorot(fan_in, fan_out):
        limit = (6 / (fan_in + fan_out)) ** 0.5
        return generator.uniform((fan_in, fan_out), -limit, limit)

    weights = [tf.Variable(glorot(784, 128)), tf.Variable(tf.zeros(128)),
               tf.Variable(glorot(128, 10)), tf.Variable(tf.zeros(10))]
    losses = []
    for step in range(steps):
        xb, yb = x[step * 32:(step + 1) * 32], y[step * 32:(step + 1) * 32]
        with tf.GradientTape() as tape:
            w1, b1, w2, b2 = weights
            logits = tf.nn.relu(xb @ w1 + b1) @ w2 + b2
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=logits))
        for variable, gradient in zip(weights, tape.gradient(loss, weights)):
            variable.assign_sub(learning_rate * gradient)
        losses.append(float(loss))
    return np.array(losses)


def test_03_3_the_right_choice_is_what_sgd_does(tf):
    """Choice b is not a belief: at 10.0 the loss blows up, then stalls; at 0.01 it does not."""
    rng = np.random.default_rng(0)
    images = rng.random((40 * 32, 784), dtype=np.float32)
    labels = np.argmax(images[:, :10], axis=1).astype(np.int32)  # learnable: the brightest of 10 pixels
    x, y = tf.constant(images), tf.constant(labels)
    large = _sgd_losses(tf, x, y, 10.0, 40)
    small = _sgd_losses(tf, x, y, 0.01, 40)
    assert large.max() > 100 * large[0]
    assert large[-10:].mean() > np.log(10) - 0.2  # no better than guessing among 10 classes
    assert small.max() < 1.2 * small[0]
