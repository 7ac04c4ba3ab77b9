"""Lesson 05's exercises: right answers pass, typical slips get a useful sentence."""

from __future__ import annotations

import math
import os
from collections import Counter

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from tfcourse import exercises

from exercise_helpers import assert_unanswered, not_yet_sentence as _not_yet  # tests/exercise_helpers.py

keras = pytest.importorskip("keras")
layers = keras.layers


def _seed_model(hidden_units: int = 128, *, output_activation: str = "softmax",
                input_shape=(28, 28)) -> keras.Model:
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Flatten(),
        layers.Dense(hidden_units, activation="relu"),
        layers.Dense(10, activation=output_activation),
    ])


def _compiled(optimizer, loss="sparse_categorical_crossentropy", metrics=("accuracy",), **model_options):
    model = _seed_model(**model_options)
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


IDS = ["05.1", "05.2", "05.3"]


@pytest.mark.parametrize("exercise_id", IDS)
def test_each_exercise_waits_for_an_answer(exercise_id):
    assert_unanswered(exercise_id)


# --- hints in steps: the idea first, then the function; never the answer ----------


@pytest.mark.parametrize("exercise_id", IDS)
def test_hints_come_in_different_steps(exercise_id):
    ex = exercises.get_exercise(exercise_id)
    assert ex.hint == ex.hints[0]
    assert len(ex.hints) >= 2 and len(set(ex.hints)) == len(ex.hints)


@pytest.mark.parametrize(
    "exercise_id, tool, answers",
    [
        ("05.1", "np.log", ("2.30", "2.3026", "log(10)", "1/10", "1 / 10", "0.1")),
        ("05.2", "math.ceil", ("469", "468.75")),
        ("05.3", "keras.optimizers.SGD", ("learning_rate=0.1", "0.1)")),
    ],
)
def test_the_first_hint_is_the_idea_and_no_hint_is_the_answer(exercise_id, tool, answers):
    hints = exercises.get_exercise(exercise_id).hints
    assert tool not in hints[0], "the first step gives the idea, not the function"
    assert tool in hints[-1], "a later step names the function to use"
    for answer in answers:
        assert answer not in " ".join(hints), f"a hint of {exercise_id} gives away {answer!r}"


def test_each_wrong_answer_earns_the_next_hint_then_the_solution_pointer(monkeypatch):
    from tfcourse.exercises import _core

    monkeypatch.setattr(_core, "_ATTEMPTS", Counter())  # a fresh kernel: no answers yet
    hints = exercises.get_exercise("05.2").hints
    first, second, third = (exercises.check("05.2", 60_000 // 128) for _ in range(3))
    assert first.hint == hints[0] and _core.SOLUTION_POINTER not in first.to_text()
    assert second.hint == hints[1] and _core.SOLUTION_POINTER in second.to_text()
    assert third.hint == hints[-1]  # the steps stop at the last one
    assert exercises.check("05.2", math.ceil(60_000 / 128)).hint == ""  # right: no hint


@pytest.mark.parametrize("exercise_id", ["05.1", "05.2", "05.3"])
@pytest.mark.parametrize("answer", ["2.3", None, [1, 2], {"a": 1}, True])
def test_a_wrong_kind_of_answer_gets_feedback_not_a_traceback(exercise_id, answer):
    message = _not_yet(exercise_id, answer)
    assert message.strip()


# --- 05.1: the loss of an even prediction -------------------------------------


def test_05_1_keras_own_loss_of_an_even_prediction_passes():
    # The number comes from Keras's loss on a uniform prediction, not written down here.
    uniform = np.full((4, 10), 0.1, dtype="float32")
    loss = keras.losses.SparseCategoricalCrossentropy()(np.array([0, 3, 7, 9]), uniform)
    value = float(keras.ops.convert_to_numpy(loss))
    for answer in (value, np.float32(value), np.array(value), round(value, 2), round(value, 1)):
        assert exercises.check("05.1", answer).passed, answer


@pytest.mark.parametrize(
    "answer, words",
    [
        (0.1, "probability"),
        (-math.log(10), "sign"),
        (math.log10(10), "base-10"),
        (math.log2(10), "base-2"),
        (10 * math.log(10), "true digit"),
        (0.5, "not the loss"),
    ],
)
def test_05_1_typical_slips_are_named(answer, words):
    assert words in _not_yet("05.1", answer)


def test_05_1_a_text_answer_is_told_to_drop_the_quotes():
    assert "without quotes" in _not_yet("05.1", "2.30")


# --- 05.2: steps per epoch ------------------------------------------------------


def test_05_2_right_answer_passes_as_int_float_or_numpy():
    right = math.ceil(60_000 / 128)
    for answer in (right, float(right), np.int64(right), -(-60_000 // 128)):
        assert exercises.check("05.2", answer).passed, answer


@pytest.mark.parametrize(
    "answer, words",
    [
        (60_000 // 128, "only the full batches"),
        (60_000, "number of images"),
        (math.ceil(60_000 / 128) * 5, "5 epochs"),
        (60_000 // 32, "default batch size"),
        (60_000 * 128, "don't multiply"),
        (128, "batch size"),
        (60_000 / 128, "not a whole number"),
        (1000, "do not cover"),
    ],
)
def test_05_2_typical_slips_are_named(answer, words):
    assert words in _not_yet("05.2", answer)


def test_05_2_feedback_on_the_full_batches_does_not_state_the_answer():
    message = _not_yet("05.2", 60_000 // 128)
    assert str(math.ceil(60_000 / 128)) not in message and "one more" not in message


# --- 05.3: compile with a faster SGD ------------------------------------------


@pytest.mark.parametrize(
    "loss, metric",
    [
        ("sparse_categorical_crossentropy", "accuracy"),
        (keras.losses.SparseCategoricalCrossentropy(), keras.metrics.SparseCategoricalAccuracy()),
        (keras.losses.sparse_categorical_crossentropy, "sparse_categorical_accuracy"),
    ],
    ids=["strings", "objects", "function"],
)
def test_05_3_right_model_passes_however_loss_and_metric_are_spelled(loss, metric):
    model = _compiled(keras.optimizers.SGD(learning_rate=0.1), loss=loss, metrics=[metric])
    feedback = exercises.check("05.3", model)
    assert feedback.passed, feedback.to_text()


def test_05_3_uncompiled_model_is_told_to_compile():
    assert "not compiled" in _not_yet("05.3", _seed_model())


def test_05_3_the_string_sgd_keeps_the_default_rate():
    message = _not_yet("05.3", _compiled("sgd"))
    assert "default" in message and "0.01" in message


@pytest.mark.parametrize(
    "model_kwargs, words",
    [
        ({"optimizer": keras.optimizers.SGD(learning_rate=1.0)}, "asks for 0.1"),
        ({"optimizer": "adam"}, "Adam"),
        ({"optimizer": keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)}, "momentum"),
        ({"optimizer": keras.optimizers.SGD(learning_rate=0.1), "loss": "categorical_crossentropy"},
         "one-hot"),
        ({"optimizer": keras.optimizers.SGD(learning_rate=0.1), "loss": "mse"}, "not the lesson's"),
        ({"optimizer": keras.optimizers.SGD(learning_rate=0.1),
          "loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True)}, "not the lesson's"),
        ({"optimizer": keras.optimizers.SGD(learning_rate=0.1), "metrics": ()}, "accuracy"),
        ({"optimizer": keras.optimizers.SGD(learning_rate=0.1), "metrics": (keras.metrics.Accuracy(),)},
         "stays near 0"),
        ({"optimizer": keras.optimizers.SGD(learning_rate=0.1), "hidden_units": 64}, "101,770"),
        ({"optimizer": keras.optimizers.SGD(learning_rate=0.1), "output_activation": "relu"}, "softmax"),
        ({"optimizer": keras.optimizers.SGD(learning_rate=0.1), "input_shape": (784,)}, "28×28"),
    ],
    ids=["rate", "adam", "momentum", "one-hot-loss", "mse", "logits", "no-metric",
         "exact-accuracy", "architecture", "activation", "input"],
)
def test_05_3_typical_slips_are_named(model_kwargs, words):
    assert words in _not_yet("05.3", _compiled(**model_kwargs))


def test_05_3_a_layer_or_the_class_is_not_a_model():
    assert "class itself" in _not_yet("05.3", keras.Sequential)
    assert "Expected a Keras model" in _not_yet("05.3", layers.Dense(10))
