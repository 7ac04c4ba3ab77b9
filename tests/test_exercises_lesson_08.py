"""Lesson 08's exercises: right answers pass, typical slips get a useful sentence."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from tfcourse import exercises

from exercise_helpers import (  # tests/exercise_helpers.py
    assert_each_wrong_answer_earns_the_next_hint,
    assert_hints_in_steps,
    assert_unanswered,
    not_yet_sentence as _not_yet,
)

keras = pytest.importorskip("keras")
layers = keras.layers


@pytest.mark.parametrize("exercise_id", ["08.1", "08.2", "08.3"])
def test_each_exercise_waits_for_an_answer(exercise_id):
    assert_unanswered(exercise_id)


# --- hints in steps: the idea first, then the function; never the code ------------


@pytest.mark.parametrize(
    "exercise_id, code_words",
    [
        ("08.1", ["np.diag", "sum(axis=1)", "def "]),
        ("08.2", ["32 * 32", "3072", "128 + 128"]),
        ("08.3", ["keras.Input", "Conv2D(", "Sequential"]),
    ],
)
def test_the_first_hint_gives_the_idea_without_the_code(exercise_id, code_words):
    assert_hints_in_steps(exercise_id, not_in_first=tuple(code_words))


@pytest.mark.parametrize("exercise_id, wrong", [("08.1", lambda m: np.diag(m)), ("08.2", 12_345)])
def test_each_wrong_answer_earns_the_next_hint_then_the_solution_pointer(exercise_id, wrong):
    assert_each_wrong_answer_earns_the_next_hint(exercise_id, wrong)


@pytest.mark.parametrize("exercise_id", ["08.1", "08.2", "08.3"])
@pytest.mark.parametrize("answer", ["394634", None, {"a": 1}, True])
def test_a_wrong_kind_of_answer_gets_feedback_not_a_traceback(exercise_id, answer):
    assert _not_yet(exercise_id, answer).strip()


# --- 08.1: a function giving each class's share predicted right -----------------


def _recall_with_a_loop(matrix):
    shares = []
    for i, row in enumerate(matrix):
        shares.append(row[i] / row.sum())
    return shares


def test_08_1_right_functions_pass_however_written(tf):
    from tfcourse.predictions import ConfusionMatrix

    def with_the_course_class(matrix):
        cm = ConfusionMatrix(matrix)
        return cm.matrix.diagonal() / cm.matrix.sum(axis=1)

    for function in (
        lambda m: np.diag(m) / m.sum(axis=1),
        _recall_with_a_loop,
        with_the_course_class,
        lambda m: tf.linalg.diag_part(tf.constant(m, tf.float64)) / tf.reduce_sum(tf.constant(m, tf.float64), axis=1),
    ):
        feedback = exercises.check("08.1", function)
        assert feedback.passed, feedback.to_text()


@pytest.mark.parametrize(
    "function, words",
    [
        (lambda m: np.diag(m) / m.sum(axis=0), "precision"),
        (lambda m: np.diag(m), "counts of right answers"),
        (lambda m: 1 - np.diag(m) / m.sum(axis=1), "predicted wrong"),
        (lambda m: np.diag(m) / m.sum(), "not by all images"),
        (lambda m: np.trace(m) / m.sum(), "accuracy over all classes"),
        (lambda m: (np.diag(m) / m.sum(axis=1))[:2], "one per class"),
        (lambda m: np.ones(len(m)), "expected"),
        (lambda m: None, "returns None"),
        (lambda m: m.no_such_method(), "Your function stopped with AttributeError"),
        (lambda m: "high", "Expected numbers"),
    ],
    ids=["precision", "counts", "error-rate", "all-images", "accuracy", "short", "ones", "none",
         "raises", "text"],
)
def test_08_1_typical_slips_are_named(function, words):
    assert words in _not_yet("08.1", function)


def test_08_1_values_or_a_class_instead_of_a_function():
    assert "the function" in _not_yet("08.1", [0.9, 0.8])
    assert "the function" in _not_yet("08.1", np.array([0.9, 0.8]))
    assert "That is a class" in _not_yet("08.1", dict)


# --- 08.2: the seed MLP on 32×32×3 images --------------------------------------


def _seed_mlp(input_shape):
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def test_08_2_keras_own_count_passes():
    count = _seed_mlp((32, 32, 3)).count_params()  # from Keras, not written down here
    for answer in (count, float(count), np.int64(count)):
        assert exercises.check("08.2", answer).passed, answer


@pytest.mark.parametrize(
    "input_shape, words",
    [((32, 32), "3 values"), ((28, 28), "MNIST's 28×28")],
)
def test_08_2_counts_for_other_inputs_are_explained(input_shape, words):
    assert words in _not_yet("08.2", _seed_mlp(input_shape).count_params())


@pytest.mark.parametrize(
    "answer, words",
    [
        (32 * 32 * 3 * 128 + 128 * 10, "also has a bias"),
        (32 * 32 * 3 * 128 + 128, "hidden layer alone"),
        (16_618, "CNN's count"),
        (12_345, "is not the count"),
    ],
)
def test_08_2_typical_slips_are_named(answer, words):
    assert words in _not_yet("08.2", answer)


# --- 08.3: the CNN for colour images --------------------------------------------


def _colour_cnn(input_shape=(32, 32, 3), *, filters=(16, 32), units=10):
    stack = [keras.Input(shape=input_shape)]
    for count in filters:
        stack += [layers.Conv2D(count, 3, activation="relu"), layers.MaxPooling2D()]
    return keras.Sequential(stack + [layers.Flatten(), layers.Dense(units, activation="softmax")])


def test_08_3_the_colour_cnn_passes():
    feedback = exercises.check("08.3", _colour_cnn())
    assert feedback.passed, feedback.to_text()


@pytest.mark.parametrize(
    "model, words",
    [
        (lambda: _colour_cnn((32, 32, 1)), "keras.Input(shape=(32, 32, 3))"),
        (lambda: _colour_cnn((28, 28, 1)), "32×32×3 image"),
        (lambda: _colour_cnn(filters=(8, 16)), "Keep the lesson's convolutions"),
        (lambda: _colour_cnn(units=3), "Dense(10"),
    ],
)
def test_08_3_typical_slips_are_named(model, words):
    assert words in _not_yet("08.3", model())


def test_08_3_grey_input_without_channels_is_told_about_colour():
    grey = keras.Sequential([
        keras.Input(shape=(32, 32)),
        layers.Reshape((32, 32, 1)),
        layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(10, activation="softmax"),
    ])
    assert "Colour images have 3 values per pixel" in _not_yet("08.3", grey)
