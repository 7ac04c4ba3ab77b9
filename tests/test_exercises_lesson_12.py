"""Lesson 12's exercises: right answers pass, typical slips get a useful sentence."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tfcourse import exercises  # noqa: E402

from exercise_helpers import assert_unanswered, not_yet_sentence as _not_yet  # noqa: E402  (tests/exercise_helpers.py)

pytest.importorskip("tensorboard")

IDS = ["12.1", "12.2", "12.3"]


@pytest.mark.parametrize("exercise_id", IDS)
def test_each_exercise_waits_for_an_answer(exercise_id):
    assert_unanswered(exercise_id)


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("answer", [None, 3, "abc", True])
def test_a_wrong_kind_of_answer_gets_feedback_not_a_traceback(exercise_id, answer):
    assert _not_yet(exercise_id, answer).strip()


# --- 12.1 · the image batch shape ------------------------------------------------


def test_12_1_the_shape_tensorflow_accepts_passes(tf, tmp_path):
    photos = np.zeros((16, 32, 32, 3), np.float32)  # red, green, blue
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        assert tf.summary.image("photos", photos, step=0, max_outputs=16)  # TensorFlow takes this shape
    assert exercises.check("12.1", photos.shape).passed
    assert exercises.check("12.1", [16, 32, 32, 3]).passed


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ((16, 32, 32), "fourth, the channels"),
        ((16, 3, 32, 32), "channels last"),
        ((32, 32, 3), "batch of images comes first"),
        ((16, 3072), "flattened"),
        ((16, 1024), "flattened"),
        ((16, 32, 32, 1), "grey"),
        ((8, 28, 28, 1), "(images, height, width, channels)"),
        ((16.0, 32, 32, 3), "whole number, such as 32"),
        ("(16, 32, 32, 3)", "Expected a tuple of whole numbers"),
        (np.zeros((16, 32, 32, 3)), "its shape"),
    ],
)
def test_12_1_typical_slips(answer, phrase):
    assert phrase in _not_yet("12.1", answer, phrase)


def test_12_1_tensorflow_refuses_three_axes(tf, tmp_path):
    # the reason behind the "channels" sentence: a 3-D batch is an error
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        with pytest.raises((ValueError, tf.errors.InvalidArgumentError)):
            tf.summary.image("digits", np.zeros((8, 28, 28), np.float32), step=0)


# --- 12.2 · writing scalars ------------------------------------------------------


def test_12_2_the_lesson_way_passes(tf):
    def log_scalars(writer, tag, values):
        with writer.as_default():
            for step, value in enumerate(values):
                tf.summary.scalar(tag, value, step=step)

    assert exercises.check("12.2", log_scalars).passed


def _logger(tf, *, steps=lambda i: i, context=True, tag=None, values=lambda v: v):
    def log_scalars(writer, given_tag, given_values):
        def write():
            for i, value in enumerate(given_values):
                tf.summary.scalar(tag or given_tag, values(value), step=steps(i))

        if context:
            with writer.as_default():
                write()
        else:
            write()

    return log_scalars


@pytest.mark.parametrize(
    ("options", "phrase"),
    [
        ({"steps": lambda i: 0}, "at step 0"),
        ({"steps": lambda i: i + 1}, "start at 1"),
        ({"steps": lambda i: 2 * i}, "should be [0, 1, 2, 3]"),
        ({"context": False}, "writer.as_default()"),
        ({"tag": "loss"}, "not the tag it was given"),
        ({"values": lambda v: 2 * v}, "came back as"),
    ],
)
def test_12_2_typical_slips(tf, options, phrase):
    assert phrase in _not_yet("12.2", _logger(tf, **options), phrase)


def test_12_2_only_the_last_value(tf):
    def log_scalars(writer, tag, values):
        with writer.as_default():
            tf.summary.scalar(tag, values[-1], step=0)

    assert "should give 4 events" in _not_yet("12.2", log_scalars)


def test_12_2_a_function_that_raises_gives_feedback(tf):
    def log_scalars(writer, values):  # forgot the tag
        pass

    feedback = exercises.check("12.2", log_scalars)
    assert not feedback.passed and "raised TypeError" in feedback.message


# --- 12.3 · reading scalars --------------------------------------------------------


def _right_reader(tf):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def read_scalar(run_dir, tag):
        accumulator = EventAccumulator(str(run_dir), size_guidance={"tensors": 0})
        accumulator.Reload()
        return [(event.step, float(tf.make_ndarray(event.tensor_proto))) for event in accumulator.Tensors(tag)]

    return read_scalar


def test_12_3_the_lesson_way_passes(tf):
    assert exercises.check("12.3", _right_reader(tf)).passed


def test_12_3_numpy_values_and_tuples_pass_too(tf):
    right = _right_reader(tf)
    assert exercises.check("12.3", lambda d, t: tuple((np.int64(s), np.float32(v)) for s, v in right(d, t))).passed


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (lambda pairs: [v for _, v in pairs], "values alone"),
        (lambda pairs: list(reversed(pairs)), "wrong order"),
        (lambda pairs: [(s, v * 2) for s, v in pairs], "your function returned"),
        (lambda pairs: "0.5", "Expected a list of (step, value) pairs"),
    ],
)
def test_12_3_typical_slips(tf, change, phrase):
    right = _right_reader(tf)
    assert phrase in _not_yet("12.3", lambda d, t: change(right(d, t)), phrase)


def test_12_3_reading_another_tag(tf):
    right = _right_reader(tf)
    assert "another tag" in _not_yet("12.3", lambda d, t: right(d, "epoch_accuracy"))


def test_12_3_a_reader_that_raises_gives_feedback(tf):
    feedback = exercises.check("12.3", lambda run_dir: [])
    assert not feedback.passed and "raised TypeError" in feedback.message


# --- hints in steps -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("exercise_id", "code"),
    [
        ("12.1", ["(16, 32, 32, 3)", "np.newaxis"]),
        ("12.2", ["tf.summary.scalar(", "enumerate(values)", "step=step"]),
        ("12.3", ["EventAccumulator(str(", "float(tf.make_ndarray(", ".Reload()\n"]),
    ],
)
def test_hints_come_in_steps_and_never_hold_the_solution(exercise_id, code):
    hints = exercises.get_exercise(exercise_id).hints
    assert len(hints) >= 2 and len(set(hints)) == len(hints)
    assert exercises.get_exercise(exercise_id).hint == hints[0]
    for hint in hints:
        assert not any(piece in hint for piece in code), hint
    # the first step is the idea: no function named yet
    assert "(" not in hints[0].replace("(images", "")


def test_the_first_wrong_answer_gets_the_idea_the_next_the_function(tf):
    from tfcourse.exercises import _core

    _core._ATTEMPTS.pop("12.2", None)
    hints = exercises.get_exercise("12.2").hints
    first = exercises.check("12.2", 3)
    second = exercises.check("12.2", 3)
    assert (first.hint, second.hint) == (hints[0], hints[1])
    assert _core.SOLUTION_POINTER in second.to_text()
