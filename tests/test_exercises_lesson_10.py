"""Lesson 10's exercises: right answers pass, typical slips get a useful sentence."""

from __future__ import annotations

import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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

IDS = ["10.1", "10.2", "10.3"]


def _dnn(hidden=(64, 32), *, output=None, optimizer=None, loss=None, input_shape=(28, 28),
         hidden_activation="relu", compiled=True) -> keras.Model:
    model = keras.Sequential(
        [keras.Input(shape=input_shape), layers.Flatten()]
        + [layers.Dense(units, activation=hidden_activation) for units in hidden]
        + [layers.Dense(10, activation=output)]
    )
    if compiled:
        model.compile(
            optimizer=optimizer or keras.optimizers.Adagrad(learning_rate=0.05),
            loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=output is None),
        )
    return model


@pytest.mark.parametrize("exercise_id", IDS)
def test_each_exercise_waits_for_an_answer(exercise_id):
    assert_unanswered(exercise_id)


# --- hints in steps: the idea first, then the function; never the code ------------


@pytest.mark.parametrize(
    "exercise_id, code_words",
    [
        ("10.1", ["keras.", "dnn_classifier", "from_logits", "[64, 32]"]),
        ("10.2", ["3000", "3_000", "1.6", "×", "/"]),
        ("10.3", ["StringLookup", "keras.", "one_hot"]),
    ],
)
def test_the_first_hint_gives_the_idea_without_the_code(exercise_id, code_words):
    assert_hints_in_steps(exercise_id, not_in_first=tuple(code_words))


@pytest.mark.parametrize("exercise_id, wrong", [("10.2", 3_000), ("10.3", ["red", "green", "yellow"])])
def test_each_wrong_answer_earns_the_next_hint_then_the_solution_pointer(exercise_id, wrong):
    assert_each_wrong_answer_earns_the_next_hint(exercise_id, wrong)


@pytest.mark.parametrize(
    "exercise_id, answer",
    [
        ("10.1", lambda: _dnn(loss="sparse_categorical_crossentropy")),
        ("10.3", lambda: ["red", "green", "yellow"]),
    ],
)
def test_feedback_names_the_mistake_without_giving_the_code(exercise_id, answer):
    message = _not_yet(exercise_id, answer())
    assert "keras." not in message and "from_logits=True" not in message, message


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("answer", ["1.6", None, [1, 2], {"a": 1}, True])
def test_a_wrong_kind_of_answer_gets_feedback_not_a_traceback(exercise_id, answer):
    assert _not_yet(exercise_id, answer).strip()


# --- 10.1: the Keras twin of DNNClassifier ------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(lambda: _dnn(), id="logits"),
        pytest.param(lambda: _dnn(output="softmax", loss="sparse_categorical_crossentropy"), id="softmax"),
        pytest.param(lambda: _dnn(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
                     id="loss-object"),
    ],
)
def test_10_1_a_twin_with_logits_or_softmax_passes(model):
    assert exercises.check("10.1", model()).passed


@pytest.mark.parametrize(
    "model, words",
    [
        (lambda: _dnn(loss="sparse_categorical_crossentropy"), "its inputs are logits"),
        (lambda: _dnn(output="softmax",
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)), "second time"),
        (lambda: _dnn(loss="categorical_crossentropy"), "one-hot"),
        (lambda: _dnn(optimizer=keras.optimizers.Adagrad()), "Keras's default"),
        (lambda: _dnn(optimizer=keras.optimizers.Adagrad(learning_rate=0.1)), "0.05"),
        (lambda: _dnn(optimizer="sgd"), "Adagrad"),
        (lambda: _dnn(hidden=(32, 64)), "from the input onwards"),
        (lambda: _dnn(hidden=(128,)), "[128, 10]"),
        (lambda: _dnn(hidden_activation="sigmoid"), "relu"),
        (lambda: _dnn(input_shape=(784,)), "28×28"),
        (lambda: _dnn(compiled=False), "not compiled"),
        (lambda: keras.Sequential, "class itself"),
    ],
)
def test_10_1_typical_slips_are_named(model, words):
    assert words in _not_yet("10.1", model())


def test_10_1_the_hidden_layers_without_an_output_layer_are_named():
    model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(),
                              layers.Dense(64, activation="relu"), layers.Dense(32, activation="relu")])
    assert "add the output layer" in _not_yet("10.1", model)


# --- 10.2: steps as epochs ------------------------------------------------------


def test_10_2_right_answer_passes_rounded_or_exact():
    right = 3_000 * 32 / 60_000
    for answer in (right, round(right, 2), 96_000 / 60_000):
        assert exercises.check("10.2", answer).passed, answer


@pytest.mark.parametrize(
    "answer, words",
    [
        (3_000, "number of steps"),
        (96_000, "number of images"),
        (60_000 / 96_000, "upside down"),
        (math.ceil(60_000 / 32), "steps in one epoch"),
        (2, "rounded"),
        (1, "rounded"),
        (3_000 / 60_000, "batch of 32"),
        (7.5, "is not"),
    ],
)
def test_10_2_typical_slips_are_named(answer, words):
    assert words in _not_yet("10.2", answer)


# --- 10.3: a one-hot lookup for colours -------------------------------------------


def test_10_3_string_lookup_passes_with_a_vocabulary_or_adapted():
    given = layers.StringLookup(vocabulary=["red", "green", "yellow"], output_mode="one_hot")
    adapted = layers.StringLookup(output_mode="one_hot")
    adapted.adapt(["yellow", "red", "green", "red"])
    for layer in (given, adapted):
        assert exercises.check("10.3", layer).passed


@pytest.mark.parametrize(
    "answer, words",
    [
        (lambda: layers.StringLookup(vocabulary=["red", "green", "yellow"]), "one_hot"),
        (lambda: layers.StringLookup(vocabulary=["red", "green", "yellow"], output_mode="one_hot",
                                     num_oov_indices=0), "unknown colours"),
        (lambda: layers.StringLookup(vocabulary=["red", "green"], output_mode="one_hot"), "lacks 'yellow'"),
        (lambda: layers.StringLookup(output_mode="one_hot"), "no vocabulary"),
        (lambda: ["red", "green", "yellow"], "That is the vocabulary"),
        (lambda: layers.StringLookup, "class itself"),
        (lambda: layers.Dense(4), "fails on the colours"),
    ],
)
def test_10_3_typical_slips_are_named(answer, words):
    assert words in _not_yet("10.3", answer())
