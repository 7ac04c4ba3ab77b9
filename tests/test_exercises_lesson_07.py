"""Lesson 07's exercises: right answers pass, typical slips get a useful sentence."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from tfcourse import exercises

from exercise_helpers import assert_unanswered, not_yet_sentence as _not_yet  # tests/exercise_helpers.py

keras = pytest.importorskip("keras")
layers = keras.layers


def _cnn(*, input_shape=(28, 28), reshape=True, filters=(16, 32), kernel=3, dropout=0.5,
         dropout_at="before_output", activation="relu", output_units=10, padding="valid") -> keras.Model:
    stack = [keras.Input(shape=input_shape)]
    if reshape:
        stack.append(layers.Reshape((28, 28, 1)))
    for count in filters:
        stack += [layers.Conv2D(count, kernel, activation=activation, padding=padding), layers.MaxPooling2D()]
    stack.append(layers.Flatten())
    if dropout is not None and dropout_at == "before_output":
        stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(output_units, activation="softmax"))
    if dropout is not None and dropout_at == "first":
        stack.insert(2, layers.Dropout(dropout))
    return keras.Sequential(stack)


@pytest.mark.parametrize("exercise_id", ["07.1", "07.2", "07.3"])
def test_each_exercise_waits_for_an_answer(exercise_id):
    assert_unanswered(exercise_id)


@pytest.mark.parametrize("exercise_id", ["07.1", "07.2", "07.3"])
@pytest.mark.parametrize("answer", ["51264", None, {"a": 1}, True, object()])
def test_a_wrong_kind_of_answer_gets_feedback_not_a_traceback(exercise_id, answer):
    assert _not_yet(exercise_id, answer).strip()


# --- 07.1: parameters of Conv2D(64, 5) on 32 channels ---------------------------


def test_07_1_keras_own_count_passes_in_any_numeric_form():
    layer = layers.Conv2D(64, 5)
    layer.build((None, 13, 13, 32))
    count = layer.count_params()  # from Keras, not written down here
    for answer in (count, float(count), np.int64(count), np.array(count)):
        assert exercises.check("07.1", answer).passed, answer


@pytest.mark.parametrize(
    "answer, words",
    [
        (5 * 5 * 32 * 64, "each of the 64 filters also has a bias"),
        (5 * 5 * 32 * 64 + 32, "one bias per filter"),
        (5 * 5 * 64 + 64, "all 32 input channels"),
        (5 * 32 * 64 + 64, "25 weights per input channel"),
        (3 * 3 * 32 * 64 + 64, "3×3 kernel"),
        (13 * 13 * 32 * 64 + 64, "image size does not enter"),
        ((5 * 5 * 32 * 64 + 64) * 13 * 13, "count its weights once"),
        (1000, "is not the count"),
        (51264.5, "not a whole number"),
    ],
)
def test_07_1_typical_slips_are_named(answer, words):
    assert words in _not_yet("07.1", answer)


# --- 07.2: the shape after Conv2D(8, 5) and pooling ---------------------------


def test_07_2_keras_own_shape_passes_as_tuple_list_or_tensorshape(tf):
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(8, 5), layers.MaxPooling2D()])
    shape = model.output_shape[1:]
    for answer in (shape, list(shape), tf.TensorShape(shape), tuple(np.int64(s) for s in shape), np.array(shape)):
        assert exercises.check("07.2", answer).passed, answer


@pytest.mark.parametrize(
    "answer, words",
    [
        ((24, 24, 8), "pooling then halves"),
        ((14, 14, 8), "'valid'"),
        ((12, 12, 1), "are its filters"),
        ((8, 12, 12), "channels last"),
        ((11, 11, 8), "28 − 5 + 1"),
        ((13, 13, 8), "3×3 kernel"),
        ((None, 12, 12, 8), "leave it out"),
        ((12, 12), "three numbers"),
        ((10, 10, 8), "is not the shape"),
        ((12.5, 12, 8), "whole number"),
        (12, "not one number"),
    ],
)
def test_07_2_typical_slips_are_named(answer, words):
    assert words in _not_yet("07.2", answer)


# --- 07.3: the CNN with Dropout --------------------------------------------------


def test_07_3_the_cnn_with_dropout_passes_with_or_without_the_reshape():
    assert exercises.check("07.3", _cnn()).passed
    # Images that already carry their channel axis need no Reshape.
    assert exercises.check("07.3", _cnn(input_shape=(28, 28, 1), reshape=False)).passed


@pytest.mark.parametrize(
    "model_kwargs, words",
    [
        ({"dropout": None}, "Add keras.layers.Dropout(0.5)"),
        ({"dropout_at": "first"}, "between Flatten and the output"),
        ({"dropout": 0.2}, "rate is 0.2"),
        ({"filters": (32, 64)}, "Keep the lesson's convolutions"),
        ({"filters": (16,)}, "Expected the layers"),
        ({"kernel": 5}, "Keep the lesson's convolutions"),
        ({"padding": "same"}, "padding"),
        ({"activation": "sigmoid"}, "relu"),
        ({"output_units": 5}, "Dense(10"),
    ],
)
def test_07_3_typical_slips_are_named(model_kwargs, words):
    assert words in _not_yet("07.3", _cnn(**model_kwargs))


def test_07_3_wrong_input_or_a_layer_instead_of_a_model():
    mlp = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10, activation="softmax")])
    assert "28×28×1 image" in _not_yet("07.3", mlp)
    assert "one layer (Dropout)" in _not_yet("07.3", layers.Dropout(0.5))
    assert "class itself" in _not_yet("07.3", keras.Sequential)
    assert "no input shape" in _not_yet("07.3", keras.Sequential([layers.Dense(10)]))


def test_07_3_the_count_comes_from_the_formula_not_from_a_stored_number():
    from tfcourse.exercises.lesson_07 import cnn_parameters

    # The formula agrees with Keras on other sizes too, so the checker's count is derived.
    for image_shape, filters in [((28, 28, 1), (16, 32)), ((32, 32, 3), (16, 32)), ((40, 30, 2), (4, 8))]:
        stack = [keras.Input(shape=image_shape)]
        for count in filters:
            stack += [layers.Conv2D(count, 3), layers.MaxPooling2D()]
        model = keras.Sequential(stack + [layers.Flatten(), layers.Dense(10)])
        assert cnn_parameters(image_shape, filters) == model.count_params()


# --- hints in steps -----------------------------------------------------------------


def _right_answers() -> dict[str, tuple[str, ...]]:
    """What each right answer looks like in text, from Keras's own counts and shapes."""
    conv = layers.Conv2D(64, 5)
    conv.build((None, 13, 13, 32))
    shape = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(8, 5),
                              layers.MaxPooling2D()]).output_shape[1:]
    cnn_count = _cnn().count_params()
    return {
        "07.1": (str(conv.count_params()), f"{conv.count_params():,}"),
        "07.2": (str(shape), str(list(shape)), f" {shape[0]} ", f"{shape[0]}×{shape[1]}"),
        "07.3": (str(cnn_count), f"{cnn_count:,}", "keras.Sequential(["),
    }


@pytest.mark.parametrize("exercise_id", ["07.1", "07.2", "07.3"])
def test_hints_come_in_steps_and_never_give_the_answer(exercise_id):
    from tfcourse.exercises import get_exercise

    ex = get_exercise(exercise_id)
    assert len(ex.hints) >= 2 and len(set(ex.hints)) == len(ex.hints), ex.hints
    assert ex.hint == ex.hints[0]
    text = " ".join(ex.hints)
    for giveaway in _right_answers()[exercise_id] + ("answer =", "tfc.check"):
        assert giveaway not in text, (giveaway, text)


def test_each_wrong_answer_earns_the_next_hint_then_the_solution_pointer():
    from exercise_helpers import assert_each_wrong_answer_earns_the_next_hint

    assert_each_wrong_answer_earns_the_next_hint("07.2", (1, 1, 1))