"""Lesson 04's exercises: right answers pass, typical slips get a useful sentence."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from tfcourse import exercises

from exercise_helpers import not_yet  # tests/exercise_helpers.py

keras = pytest.importorskip("keras")
layers = keras.layers


def _feedback(exercise_id: str, answer):
    return exercises.check(exercise_id, answer)


def _not_yet(exercise_id: str, answer) -> str:
    return not_yet(exercise_id, answer, absent=("Traceback",)).message


def _seed_like(hidden_units: int, *, hidden_activation="relu", output_units=10,
               output_activation="softmax", input_shape=(28, 28), use_bias=True):
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Flatten(),
        layers.Dense(hidden_units, activation=hidden_activation, use_bias=use_bias),
        layers.Dense(output_units, activation=output_activation),
    ])


@pytest.mark.parametrize("exercise_id", ["04.1", "04.2", "04.3"])
def test_each_exercise_waits_for_an_answer(exercise_id):
    feedback = _feedback(exercise_id, ...)
    assert feedback.status == "unanswered" and not feedback.passed


# --- 04.1: Dense(64) on 784 inputs --------------------------------------------


def test_04_1_right_answer_passes_whatever_its_number_type():
    # The count from Keras itself, not a number written down here.
    layer = layers.Dense(64)
    layer.build((None, 28 * 28))
    right = layer.count_params()
    for answer in (right, np.int64(right), float(right)):
        assert _feedback("04.1", answer).passed, answer


@pytest.mark.parametrize(
    "answer, words",
    [
        (784 * 64, "weights only"),
        (784 * 64 + 784, "one bias per unit"),
        (28 * 64 + 64, "flattened image"),
        (784 * 128 + 128, "128 units"),
        (12345, "is not the count"),
    ],
)
def test_04_1_typical_slips_are_named(answer, words):
    assert words in _not_yet("04.1", answer)


@pytest.mark.parametrize(
    "answer, words",
    [("50240", "without quotes"), (True, "True or False"), (50240.5, "not a whole number"),
     ([50240], "type list"), (None, "type NoneType")],
)
def test_04_1_wrong_types_get_feedback_not_a_traceback(answer, words):
    assert words in _not_yet("04.1", answer)


# --- 04.2: total of a 784-256-128-10 MLP --------------------------------------


def _keras_mlp(sizes, *, use_bias=True) -> keras.Model:
    return keras.Sequential(
        [keras.Input(shape=(sizes[0],))]
        + [layers.Dense(units, use_bias=use_bias) for units in sizes[1:]]
    )


def test_04_2_right_answer_is_what_keras_counts():
    assert _feedback("04.2", _keras_mlp([784, 256, 128, 10]).count_params()).passed


def test_04_2_typical_slips_are_named():
    assert "weights only" in _not_yet(
        "04.2", _keras_mlp([784, 256, 128, 10], use_bias=False).count_params())
    assert "the article's model" in _not_yet("04.2", _keras_mlp([784, 128, 10]).count_params())
    # Forgetting the 256→128 layer entirely.
    missing_middle = 784 * 256 + 256 + 128 * 10 + 10
    assert "256→128" in _not_yet("04.2", missing_middle)
    every_layer_on_pixels = (784 * 256 + 256) + (784 * 128 + 128) + (784 * 10 + 10)
    assert "previous layer" in _not_yet("04.2", every_layer_on_pixels)
    assert "is not the total" in _not_yet("04.2", 1)
    assert "type str" not in _not_yet("04.2", "many")  # text gets its own sentence
    assert "without quotes" in _not_yet("04.2", "many")


# --- 04.3: a seed-like model with exactly 39,760 parameters ----------------------


def test_04_3_the_model_that_fits_the_budget_passes():
    from tfcourse.exercises.lesson_04 import TARGET_04_3

    # Search by Keras's own counts, so the test does not repeat the checker's formula.
    fitting = [h for h in range(1, 80) if _seed_like(h).count_params() == TARGET_04_3]
    assert fitting, "the budget must be reachable by some hidden size"
    assert _feedback("04.3", _seed_like(fitting[0])).passed


def test_04_3_too_many_or_too_few_units_says_which_way():
    assert "fewer hidden units" in _not_yet("04.3", _seed_like(128))
    assert "more hidden units" in _not_yet("04.3", _seed_like(8))


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: keras.Sequential, "the class keras.Sequential itself"),
        (lambda: layers.Dense(50), "one layer (Dense)"),
        (lambda: 39760, "Expected a keras.Sequential model"),
        (lambda: keras.Sequential([layers.Flatten(), layers.Dense(50), layers.Dense(10)]),
         "not built"),
        (lambda: _seed_like(50, input_shape=(784,)), "one 28×28 image"),
        (lambda: keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(),
                                   layers.Dense(10, activation="softmax")]),
         "Flatten, Dense, Dense"),
        (lambda: _seed_like(50, hidden_activation="sigmoid"), "'relu'"),
        (lambda: _seed_like(50, output_activation=None), "softmax"),
        (lambda: _seed_like(50, output_units=9), "Dense(10"),
        (lambda: _seed_like(50, use_bias=False), "biases"),
    ],
)
def test_04_3_wrong_models_get_a_useful_sentence(make, words):
    assert words in _not_yet("04.3", make())


def test_04_3_functional_model_is_asked_to_be_sequential():
    inputs = keras.Input(shape=(28, 28))
    x = layers.Flatten()(inputs)
    x = layers.Dense(50, activation="relu")(x)
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
    assert "keras.Sequential" in _not_yet("04.3", model)


def test_questions_state_the_sizes_the_checkers_use():
    from tfcourse.exercises import get_exercise

    assert "Dense(64)" in get_exercise("04.1").question
    assert "784-256-128-10" in get_exercise("04.2").question
    assert "39,760" in get_exercise("04.3").question


# --- hints in steps -----------------------------------------------------------------


def _right_answers() -> dict[str, tuple[str, ...]]:
    """What each right answer looks like in text, from Keras's own counts: no hint may hold it."""
    from tfcourse.exercises.lesson_04 import TARGET_04_3

    dense = layers.Dense(64)
    dense.build((None, 28 * 28))
    deeper = _keras_mlp([784, 256, 128, 10]).count_params()
    hidden = next(h for h in range(1, 80) if _seed_like(h).count_params() == TARGET_04_3)
    return {
        "04.1": (str(dense.count_params()), f"{dense.count_params():,}"),
        "04.2": (str(deeper), f"{deeper:,}"),
        "04.3": (f" {hidden} ", f"({hidden}", f"Dense({hidden}"),
    }


@pytest.mark.parametrize("exercise_id", ["04.1", "04.2", "04.3"])
def test_hints_come_in_steps_and_never_give_the_answer(exercise_id):
    from tfcourse.exercises import get_exercise

    ex = get_exercise(exercise_id)
    assert len(ex.hints) >= 2 and len(set(ex.hints)) == len(ex.hints), ex.hints
    assert ex.hint == ex.hints[0]
    text = " ".join(ex.hints)
    for giveaway in _right_answers()[exercise_id] + ("answer =", "tfc.check", "divmod"):
        assert giveaway not in text, (giveaway, text)


def test_each_wrong_answer_earns_the_next_hint_then_the_solution_pointer():
    from exercise_helpers import assert_each_wrong_answer_earns_the_next_hint

    assert_each_wrong_answer_earns_the_next_hint("04.1", 1)


def test_04_3_the_articles_model_as_written_is_not_built_until_it_sees_an_image():
    # The article's code: Sequential() empty, then add Flatten() with no input shape.
    article = keras.Sequential()
    article.add(layers.Flatten())
    article.add(layers.Dense(50, activation="relu"))
    article.add(layers.Dense(10, activation="softmax"))
    assert "keras.Input(shape=(28, 28))" in _not_yet("04.3", article)
    article(np.zeros((1, 28, 28), dtype="float32"))  # built by its first batch, as in the lesson
    assert exercises.check("04.3", article).passed
