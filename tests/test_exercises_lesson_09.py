"""Lesson 09's exercises: right answers pass, typical slips get a useful sentence."""

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

IDS = ["09.1", "09.2", "09.3"]


def _seed(hidden: int = 128, *, dtype: str = "float32", rescale: bool = False) -> keras.Model:
    stack = [keras.Input(shape=(28, 28), dtype=dtype)]
    if rescale:
        stack.append(layers.Rescaling(1 / 255))
    stack += [layers.Flatten(), layers.Dense(hidden, activation="relu"),
              layers.Dense(10, activation="softmax")]
    return keras.Sequential(stack)


def _trained(hidden: int = 64, *, compiled: bool = True, steps: int = 2) -> keras.Model:
    model = _seed(hidden)
    if compiled:
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        if steps:
            rng = np.random.default_rng(0)
            x = rng.random((32 * steps, 28, 28), dtype=np.float32)
            model.fit(x, rng.integers(0, 10, len(x)), batch_size=32, epochs=1, verbose=0)
    return model


@pytest.mark.parametrize("exercise_id", IDS)
def test_each_exercise_waits_for_an_answer(exercise_id):
    assert_unanswered(exercise_id)


# --- hints in steps: the idea first, then the function; never the code ------------


@pytest.mark.parametrize(
    "exercise_id, code_words",
    [
        ("09.1", ["count_params", "203", "2 *"]),
        ("09.2", ["model.save", ".keras", "build_article_model"]),
        ("09.3", ["Rescaling", "uint8", "export(", "Sequential"]),
    ],
)
def test_the_first_hint_gives_the_idea_without_the_code(exercise_id, code_words):
    assert_hints_in_steps(exercise_id, not_in_first=tuple(code_words))


def test_09_3_no_hint_holds_the_whole_solution():
    # The pieces come one step at a time: the layers, then how to put them together.
    hints = exercises.get_exercise("09.3").hints
    assert not any("Rescaling" in hint and "*model.layers" in hint for hint in hints)


@pytest.mark.parametrize("exercise_id, wrong", [("09.1", 101_770), ("09.3", "no/such/folder")])
def test_each_wrong_answer_earns_the_next_hint_then_the_solution_pointer(exercise_id, wrong):
    assert_each_wrong_answer_earns_the_next_hint(exercise_id, wrong)


def test_09_3_feedback_names_the_mistake_without_the_code(exports):
    for name in ("float", "no_rescale"):
        message = _not_yet("09.3", exports / name)
        assert "keras." not in message and "Rescaling(" not in message, message


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("answer", [None, [1, 2], {"a": 1}, True, 3.5])
def test_a_wrong_kind_of_answer_gets_feedback_not_a_traceback(exercise_id, answer):
    assert _not_yet(exercise_id, answer).strip()


# --- 09.1: the size of Adam's state ---------------------------------------------


def _adam_slot_count() -> int:
    # Counted from a real Adam optimizer built for the seed model, not written down.
    model = _seed()
    optimizer = keras.optimizers.Adam()
    optimizer.build(model.trainable_variables)
    scalars = {"iteration", "learning_rate"}
    return sum(int(np.prod(v.shape)) for v in optimizer.variables
               if v.path.split("/")[-1] not in scalars)


def test_09_1_adam_own_count_passes_as_int_float_or_numpy():
    right = _adam_slot_count()
    for answer in (right, float(right), np.int64(right)):
        assert exercises.check("09.1", answer).passed, answer


@pytest.mark.parametrize(
    "answer, words",
    [
        (101_770, "one running average"),
        (203_542, "iteration counter"),
        (305_310, "weights themselves"),
        (10, "counts tensors"),
        (2 * (784 * 128 + 128 * 10), "Biases"),
        (0, "Plain SGD"),
        (12_345, "not two running averages"),
        (203_540.5, "not a whole number"),
    ],
)
def test_09_1_typical_slips_are_named(answer, words):
    assert words in _not_yet("09.1", answer)


def test_09_1_a_text_answer_is_told_to_drop_the_quotes():
    assert "without quotes" in _not_yet("09.1", "203540")


# --- 09.2: a .keras file that can continue training --------------------------------


@pytest.fixture(scope="module")
def saved_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lesson09")
    trained = _trained(64)
    trained.save(folder / "small.keras")
    trained.save_weights(folder / "small.weights.h5")
    trained.export(str(folder / "small_export"), verbose=False)
    _trained(128).save(folder / "seed.keras")
    _trained(64, compiled=False).save(folder / "uncompiled.keras")
    _trained(64, steps=0).save(folder / "untrained.keras")
    (folder / "notes.keras").write_text("not a zip")
    return folder


def test_09_2_the_saved_model_passes_as_str_or_path(saved_files):
    for answer in (str(saved_files / "small.keras"), saved_files / "small.keras"):
        assert exercises.check("09.2", answer).passed, answer


@pytest.mark.parametrize(
    "name, words",
    [
        ("missing.keras", "no file"),
        ("small_export", "folder"),
        ("small.weights.h5", "only the weights"),
        ("seed.keras", "[128, 10]"),
        ("uncompiled.keras", "before compile"),
        ("untrained.keras", "0 steps"),
        ("notes.keras", "not a .keras archive"),
    ],
)
def test_09_2_files_that_cannot_continue_training_are_named(saved_files, name, words):
    assert words in _not_yet("09.2", saved_files / name)


def test_09_2_the_model_itself_is_told_to_give_a_path():
    assert "path of the file" in _not_yet("09.2", _seed(64))


def test_09_2_a_file_with_another_extension_is_named(saved_files, tmp_path):
    other = tmp_path / "small.zip"
    other.write_bytes((saved_files / "small.keras").read_bytes())
    assert "ending in .keras" in _not_yet("09.2", other)


# --- 09.3: an export that takes raw bytes ------------------------------------------


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lesson09_export")
    trained = _trained(32)
    raw = _seed(32, dtype="uint8", rescale=True)
    raw.set_weights(trained.get_weights())
    raw.export(str(folder / "raw"), verbose=False)
    trained.export(str(folder / "float"), verbose=False)
    no_rescale = _seed(32, dtype="uint8")
    no_rescale.set_weights(trained.get_weights())
    no_rescale.export(str(folder / "no_rescale"), verbose=False)
    trained.save(folder / "model.keras")
    return folder


def test_09_3_an_export_that_rescales_raw_bytes_passes(exports):
    assert exercises.check("09.3", exports / "raw").passed


@pytest.mark.parametrize(
    "name, words",
    [
        ("float", "uint8"),
        ("no_rescale", "divide them by 255"),
        ("model.keras", "writes a folder"),
        ("missing", "no export"),
    ],
)
def test_09_3_exports_that_do_not_serve_raw_images_are_named(exports, name, words):
    assert words in _not_yet("09.3", exports / name)


def test_09_3_a_folder_without_a_saved_model_is_named(tmp_path):
    assert "saved_model.pb" in _not_yet("09.3", tmp_path)
