"""Lesson 11's exercises: right answers pass, typical slips get a useful sentence."""

from __future__ import annotations

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tfcourse import exercises  # noqa: E402
from tfcourse.exercises import lesson_11  # noqa: E402

from exercise_helpers import assert_unanswered, not_yet_sentence as _not_yet  # noqa: E402  (tests/exercise_helpers.py)

IDS = ["11.1", "11.2", "11.3"]


@pytest.mark.parametrize("exercise_id", IDS)
def test_each_exercise_waits_for_an_answer(exercise_id):
    assert_unanswered(exercise_id)


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_question_and_hints_in_steps_are_there(exercise_id):
    ex = exercises.get_exercise(exercise_id)
    assert ex.question
    assert len(ex.hints) >= 2 and len(set(ex.hints)) == len(ex.hints)
    assert ex.hint == ex.hints[0]


def test_hints_never_hold_the_solutions_code_or_answer():
    hints = " ".join(h for i in IDS for h in exercises.get_exercise(i).hints)
    for code in ("answer =", "192", "return ", "/ global_batch_size", '"index": 2', "index=2",
                 "10.0.0.3:2222"):
        assert code not in hints


def test_each_wrong_answer_earns_the_next_hint_step_then_the_solution_pointer():
    from tfcourse.exercises._core import SOLUTION_POINTER, _ATTEMPTS

    _ATTEMPTS.pop("11.1", None)
    hints = exercises.get_exercise("11.1").hints
    first, second, third = (exercises.check("11.1", 16) for _ in range(3))
    assert first.hint == hints[0] and SOLUTION_POINTER not in first.to_text()
    assert second.hint == hints[1] and SOLUTION_POINTER in second.to_text()
    assert third.hint == hints[-1]  # the steps stop at the last one


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("answer", [None, [1, 2], True, 3.5j])
def test_a_wrong_kind_of_answer_gets_feedback_not_a_traceback(exercise_id, answer):
    assert _not_yet(exercise_id, answer).strip()


# --- 11.1 · the global batch ---------------------------------------------------


def test_11_1_replicas_times_examples_passes():
    # 3 machines × 4 GPUs = 12 replicas, 16 examples each: worked out here, not read from the checker
    assert exercises.check("11.1", 12 * 16).passed
    assert exercises.check("11.1", np.int64(192)).passed
    assert exercises.check("11.1", 192.0).passed


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (16, "one replica's share"),
        (64, "one machine"),
        (48, "one replica per machine"),
        (12, "number of replicas"),
        (384, "replicas in sync × examples per replica"),
        (192.5, "not a whole number"),
        ("192", "without quotes"),
    ],
)
def test_11_1_typical_slips_say_what_was_missed(answer, phrase):
    assert phrase in _not_yet("11.1", answer, phrase)


# --- 11.2 · the replica's loss ----------------------------------------------------


def test_11_2_sum_over_global_batch_passes(tf):
    def replica_loss(per_example_losses, global_batch_size):
        return tf.reduce_sum(per_example_losses) / global_batch_size

    assert exercises.check("11.2", replica_loss).passed


def test_11_2_tensorflow_own_function_passes(tf):
    def replica_loss(per_example_losses, global_batch_size):
        return tf.nn.compute_average_loss(per_example_losses, global_batch_size=global_batch_size)

    assert exercises.check("11.2", replica_loss).passed


def test_11_2_numpy_works_too():
    assert exercises.check("11.2", lambda losses, n: np.sum(np.asarray(losses)) / n).passed


@pytest.mark.parametrize(
    ("function", "phrase"),
    [
        (lambda losses, n: np.mean(np.asarray(losses)), "own number of examples"),
        (lambda losses, n: np.sum(np.asarray(losses)), "does not divide"),
        (lambda losses, n: np.mean(np.asarray(losses)) / n, "divides twice"),
        (lambda losses, n: np.sum(np.asarray(losses)) / 8, "global_batch_size=12"),  # hard-coded 8
        (lambda losses, n: np.asarray(losses) / n, "one number"),
    ],
)
def test_11_2_typical_slips(function, phrase):
    assert phrase in _not_yet("11.2", function, phrase)


def test_11_2_a_function_that_raises_gives_feedback():
    def replica_loss(per_example_losses):  # forgot the global batch size
        return per_example_losses

    feedback = exercises.check("11.2", replica_loss)
    assert not feedback.passed and "raised TypeError" in feedback.message


def test_11_2_the_value_instead_of_the_function():
    assert "Expected a function" in _not_yet("11.2", 0.625)


# --- 11.3 · TF_CONFIG -----------------------------------------------------------------


RIGHT_11_3 = {"cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222", "10.0.0.3:2222"]},
              "task": {"type": "worker", "index": 2}}


def test_11_3_the_dict_and_its_json_pass():
    assert exercises.check("11.3", RIGHT_11_3).passed
    assert exercises.check("11.3", json.dumps(RIGHT_11_3)).passed


def test_11_3_matches_what_the_course_builds():
    from tfcourse.distributed import make_tf_config

    answer = make_tf_config(list(lesson_11.ADDRESSES_11_3), lesson_11.MACHINE_11_3 - 1)
    assert exercises.check("11.3", answer).passed


def _changed(**changes):
    config = json.loads(json.dumps(RIGHT_11_3))
    for path, value in changes.items():
        outer, inner = path.split("__")
        config[outer][inner] = value
    return config


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (_changed(task__index=3), "count from 0"),
        (_changed(task__index=0), "counted from 0"),
        (_changed(task__type="chief"), '"worker" for all three'),
        (_changed(cluster__worker=["10.0.0.3:2222", "10.0.0.1:2222", "10.0.0.2:2222"]), "same order"),
        (_changed(cluster__worker=["10.0.0.3:2222"]), "not only this machine's"),
        (_changed(cluster__worker=["10.0.0.1:2222"]), "every worker's address"),
        ({"task": {"type": "worker", "index": 2}}, 'no \'cluster\''),
        ({"cluster": RIGHT_11_3["cluster"], "task": 2}, "Expected"),
        ("{'cluster': ...", "not valid JSON"),
    ],
)
def test_11_3_typical_slips(answer, phrase):
    assert phrase in _not_yet("11.3", answer, phrase)


@pytest.mark.parametrize("answer", [_changed(task__index=3), _changed(task__index=0),
                                    _changed(cluster__worker=["10.0.0.1:2222"])])
def test_11_3_feedback_never_gives_the_right_index_or_cluster(answer):
    message = _not_yet("11.3", answer)
    assert "worker 2" not in message and "index=2" not in message
    assert "10.0.0.3:2222" not in message
