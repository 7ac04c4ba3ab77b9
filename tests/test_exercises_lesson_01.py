"""Tests for the checkers of lesson 01: right answers pass, wrong ones get a useful word."""

from __future__ import annotations

import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

import tfcourse as tfc
from tfcourse.diagrams import LAYER_NAMES, layer_of
from tfcourse.exercises import get_exercise
from tfcourse.exercises.lesson_01 import WHERE_THINGS_LIVE, device_type_named, layer_named

RIGHT_LAYERS = {
    "tf.matmul": "low-level Python API",
    "the MatMul kernel": "C++ core",
    "keras.layers.Dense": "high-level API",
    "AMD GPU": "devices",
}


def _status(exercise_id, answer):
    feedback = tfc.check(exercise_id, answer)
    return feedback.status, feedback.message


@pytest.mark.parametrize("exercise_id", ["01.1", "01.2", "01.3"])
def test_ellipsis_is_unanswered(exercise_id):
    feedback = tfc.check(exercise_id, ...)
    assert feedback.status == "unanswered" and not feedback.passed


@pytest.mark.parametrize("exercise_id", ["01.1", "01.2", "01.3"])
@pytest.mark.parametrize("wrong_type", [42, None, ["CPU"], 3.5])
def test_a_wrong_type_gives_feedback_not_a_traceback(exercise_id, wrong_type):
    feedback = tfc.check(exercise_id, wrong_type)
    assert feedback.status == "not yet"
    assert "raised" not in feedback.message  # the checker handled it itself
    assert re.search(r"Hint \d of \d: ", feedback.to_text())


@pytest.mark.parametrize("exercise_id", ["01.1", "01.2", "01.3"])
def test_hints_come_in_different_steps_the_idea_first(exercise_id):
    exercise = get_exercise(exercise_id)
    assert len(exercise.hints) >= 2 and len(set(exercise.hints)) == len(exercise.hints)
    assert exercise.hint == exercise.hints[0]


def test_hints_never_hold_the_solutions_code():
    hints = " ".join(h for i in ("01.1", "01.2", "01.3") for h in get_exercise(i).hints)
    for code in ("answer =", "from_string(small_ints", "device_type  #", "gone[0]",
                 '"low-level Python API"', "'C++ core'"):
        assert code not in hints


def test_each_wrong_answer_earns_the_next_hint_step_then_the_solution_pointer():
    from tfcourse.exercises._core import SOLUTION_POINTER, _ATTEMPTS

    _ATTEMPTS.pop("01.3", None)
    hints = get_exercise("01.3").hints
    first, second, third = (tfc.check("01.3", "Theano") for _ in range(3))
    assert first.hint == hints[0] and SOLUTION_POINTER not in first.to_text()
    assert second.hint == hints[1] and SOLUTION_POINTER in second.to_text()
    assert third.hint == hints[-1]  # the steps stop at the last one


# --- 01.1: which layer ---------------------------------------------------------


def test_01_1_the_question_covers_every_layer_once():
    # One thing per layer, so no answer can pass by naming the same layer four times.
    assert sorted(layer_of(drawn) for drawn, _ in WHERE_THINGS_LIVE.values()) == sorted(LAYER_NAMES)
    assert set(RIGHT_LAYERS) == set(WHERE_THINGS_LIVE)


def test_01_1_right_answer_passes():
    assert tfc.check("01.1", dict(RIGHT_LAYERS)).passed


def test_01_1_tolerates_short_names_and_key_case():
    answer = {"TF.MATMUL": "low level", "the matmul kernel": "C++", "keras.layers.dense": "Keras",
              "amd gpu": "hardware device"}
    assert tfc.check("01.1", answer).passed


def test_01_1_wrong_layer_names_the_thing_and_nudges():
    answer = dict(RIGHT_LAYERS, **{"the MatMul kernel": "low-level Python API"})
    status, message = _status("01.1", answer)
    assert status == "not yet"
    assert "'the MatMul kernel' is not in the low-level Python API" in message
    assert "tf.matmul" not in message  # only the wrong entry is reported


def test_01_1_swapped_answers_report_both():
    answer = dict(RIGHT_LAYERS, **{"tf.matmul": "C++ core", "the MatMul kernel": "low-level"})
    status, message = _status("01.1", answer)
    assert status == "not yet" and "'tf.matmul'" in message and "'the MatMul kernel'" in message


def test_01_1_missing_entry():
    answer = dict(RIGHT_LAYERS)
    del answer["AMD GPU"]
    status, message = _status("01.1", answer)
    assert status == "not yet" and "'AMD GPU'" in message


def test_01_1_not_a_layer_name_lists_the_names():
    status, message = _status("01.1", dict(RIGHT_LAYERS, **{"AMD GPU": "XLA"}))
    assert status == "not yet" and "'XLA' is not one layer name" in message
    assert all(repr(name) in message for name in LAYER_NAMES)


def test_01_1_ellipsis_left_in_a_value():
    status, message = _status("01.1", dict(RIGHT_LAYERS, **{"AMD GPU": ...}))
    assert status == "not yet" and "still holds ..." in message


def test_layer_named_refuses_two_layers_at_once():
    assert layer_named("low-level C++ core") is None
    assert layer_named("C++ core") == "C++ core"
    assert layer_named("the high-level API") == "high-level API"


# --- 01.2: the device type, read from a real tensor --------------------------------


@pytest.fixture(scope="module")
def actual_device_type():
    tf = pytest.importorskip("tensorflow")
    spec = tf.DeviceSpec.from_string(tf.constant([[1, 2], [3, 4]]).device)
    return spec.device_type


def test_01_2_the_real_device_type_passes_in_any_spelling(actual_device_type):
    tf = pytest.importorskip("tensorflow")
    tensor = tf.constant([[1, 2], [3, 4]])
    for spelling in (actual_device_type, actual_device_type.lower(), f"{actual_device_type}:0",
                     f"/{actual_device_type}:0", tensor.device):
        assert tfc.check("01.2", spelling).passed, spelling


def test_01_2_the_other_device_type_fails(actual_device_type):
    other = "GPU" if actual_device_type == "CPU" else "CPU"
    status, message = _status("01.2", other)
    assert status == "not yet" and f"not on a {other}" in message and ".device" in message


def test_01_2_the_tensor_itself_is_not_the_answer():
    tf = pytest.importorskip("tensorflow")
    status, message = _status("01.2", tf.constant([[1, 2], [3, 4]]))
    assert status == "not yet" and "tensor itself" in message


@pytest.mark.parametrize("nonsense", ["", "/foo", "   "])
def test_01_2_strings_naming_no_device(nonsense):
    status, message = _status("01.2", nonsense)
    assert status == "not yet" and "names no device type" in message


def test_device_type_named_reads_full_device_strings():
    assert device_type_named("/job:localhost/replica:0/task:0/device:GPU:0") == "GPU"
    assert device_type_named(" cpu ") == "CPU"
    assert device_type_named("/foo") == ""


# --- 01.3: the API removed in TF 2.16 -------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["Estimator", "estimators", "tf.estimator", "Estimator API", "the Estimator API",
                 " ESTIMATOR "],
)
def test_01_3_any_spelling_of_estimator_passes(spelling):
    assert tfc.check("01.3", spelling).passed


def test_01_3_the_answer_is_what_tensorflow_lacks():
    tf = pytest.importorskip("tensorflow")
    assert not hasattr(tf, "estimator") and hasattr(tf, "keras")


@pytest.mark.parametrize("keras", ["Keras", "tf.keras", "keras api"])
def test_01_3_keras_is_corrected(keras):
    status, message = _status("01.3", keras)
    assert status == "not yet" and "Keras is alive" in message


@pytest.mark.parametrize("older", ["tf.contrib", "Session"])
def test_01_3_apis_removed_in_2_0_are_told_apart(older):
    status, message = _status("01.3", older)
    assert status == "not yet" and "TensorFlow 2.0" in message


def test_01_3_other_wrong_names():
    status, message = _status("01.3", "Theano")
    assert status == "not yet" and "'Theano'" in message
