"""Exercises of lesson 12 · TensorBoard.

The checkers recompute what a right answer must do: the image batch shape
from the question's sizes, and for the two functions they write and read real
event files in a temporary folder of their own, with values made up on the
spot, and compare what comes back. TensorFlow and TensorBoard are imported
only when a function has to be run.
"""

from __future__ import annotations

import numbers
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tfcourse.exercises._answers import function_problem, is_whole, type_problem
from tfcourse.exercises._core import exercise

__all__: list[str] = []  # the exercises register themselves; nothing to import

# Exercise 12.1: the shape tf.summary.image wants for a batch of colour photos
# (the lesson shows grey digits: the answer is not printed there).
IMAGES_12_1 = 16
HEIGHT_12_1 = WIDTH_12_1 = 32
CHANNELS_12_1 = 3  # red, green, blue


@exercise(
    "12.1",
    question=f"tf.summary.image takes a 4-D batch of images. What shape must {IMAGES_12_1} "
    f"colour photos of {HEIGHT_12_1}×{WIDTH_12_1} pixels have? Give a tuple of whole numbers.",
    hints=(
        "A batch stacks whole images along a first axis; each image has a height, a width, "
        "and colour channels.",
        "TensorFlow orders the axes (images, height, width, channels): count how many channels "
        "a colour image has.",
    ),
)
def _image_batch_shape(answer: Any) -> str | None:
    if hasattr(answer, "shape") and not isinstance(answer, tuple):
        return ("That is an array; the answer is its shape, a tuple such as (2, 3): "
                "write its .shape, or the numbers themselves.")
    if not isinstance(answer, (tuple, list)):
        return type_problem("a tuple of whole numbers such as (2, 3)", answer)
    if not all(is_whole(n) for n in answer):
        return f"Every length in a shape is a whole number, such as 32 (not 32.0 or '32'); received {answer!r}."
    shape = tuple(int(n) for n in answer)
    right = (IMAGES_12_1, HEIGHT_12_1, WIDTH_12_1, CHANNELS_12_1)
    if shape == right:
        return None
    if shape == right[:3]:
        return "Three axes: tf.summary.image wants a fourth, the channels (1 for grey, 3 for colour)."
    if shape == (IMAGES_12_1, CHANNELS_12_1, HEIGHT_12_1, WIDTH_12_1):
        return "TensorFlow puts the channels last: (images, height, width, channels)."
    if shape == right[1:]:
        return "That is one image; the batch of images comes first."
    if shape[0] == IMAGES_12_1 and len(shape) == 2:
        return "Those are flattened rows of pixels; an image keeps its height and width."
    if shape == (IMAGES_12_1, HEIGHT_12_1, WIDTH_12_1, 1):
        return "One channel is for grey images like the digits; a colour photo has more."
    return f"{shape} is not it: (images, height, width, channels)."


def _read_run(folder: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    accumulator.Reload()
    return accumulator


def _series(accumulator, tag: str) -> list[tuple[int, float]]:
    import tensorflow as tf

    return [(event.step, float(tf.make_ndarray(event.tensor_proto))) for event in accumulator.Tensors(tag)]


# Exercise 12.2: write a series of scalars with a summary writer.
_VALUES_12_2 = (2.25, 1.5, 0.75, 0.5)


@exercise(
    "12.2",
    question="Write log_scalars(writer, tag, values): it writes values[0] at step 0, values[1] at "
    "step 1, and so on, as TensorBoard scalars named tag, with the summary writer it is given. "
    "The answer is the function itself.",
    hints=(
        "A summary goes to whichever writer is the default while it is written, and each value "
        "needs a step of its own: 0 for the first, 1 for the next, ...",
        "Make the given writer the default with writer.as_default() (a with block), then write "
        "each value with tf.summary.scalar; enumerate counts the steps for you.",
    ),
)
def _log_scalars(answer: Any) -> str | None:
    problem = function_problem(answer, name="log_scalars")
    if problem:
        return problem
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="tfcourse-check-") as folder:
        writer = tf.summary.create_file_writer(folder)
        try:
            answer(writer, "made_up_loss", list(_VALUES_12_2))
        except Exception as err:
            return (f"Calling your function with a writer, the tag 'made_up_loss' and "
                    f"{len(_VALUES_12_2)} values raised {type(err).__name__}: {err}")
        finally:
            writer.close()
        accumulator = _read_run(Path(folder))
        tags = accumulator.Tags()["tensors"]
        if "made_up_loss" not in tags:
            if not tags:
                return ("Nothing was written. tf.summary.scalar writes to the default writer: call it "
                        "inside `with writer.as_default():`.")
            return f"Your function wrote the tags {tags}, not the tag it was given ('made_up_loss')."
        series = _series(accumulator, "made_up_loss")
    steps = [step for step, _ in series]
    values = [value for _, value in series]
    right_steps = list(range(len(_VALUES_12_2)))
    if len(series) != len(_VALUES_12_2):
        return f"{len(_VALUES_12_2)} values should give {len(_VALUES_12_2)} events; your function wrote {len(series)}."
    if not np.allclose(values, _VALUES_12_2):
        return f"The values {list(_VALUES_12_2)} came back as {[round(v, 4) for v in values]}."
    if steps == right_steps:
        return None
    if len(set(steps)) == 1:
        return f"Every value was written at step {steps[0]}: give each its own step, 0, 1, 2, ..."
    if steps == [s + 1 for s in right_steps]:
        return "The steps start at 1; count them from 0, as enumerate does."
    return f"The steps should be {right_steps}; your function wrote {steps}."


# Exercise 12.3: read a series of scalars back from a run folder.
_SERIES_12_3 = {"epoch_loss": (1.75, 0.5, 0.25), "epoch_accuracy": (0.5, 0.75, 0.875)}


@exercise(
    "12.3",
    question="Write read_scalar(run_dir, tag): it reads the event files in the folder run_dir and "
    "returns the scalar series named tag as a list of (step, value) pairs, value a Python float, "
    "in step order. The answer is the function itself.",
    hints=(
        "Let TensorBoard's EventAccumulator read the run folder, then ask it for the events of "
        "the one tag; each event carries its step and its value.",
        "EventAccumulator takes the folder as a string; its Reload() reads the files and its "
        "Tensors(tag) lists the events (size_guidance={'tensors': 0} keeps them all).",
        "An event's value is a tensor proto: tf.make_ndarray turns it into NumPy and float() "
        "into a Python number; its .step is the step. Sort the pairs by step.",
    ),
)
def _read_scalar(answer: Any) -> str | None:
    problem = function_problem(answer, name="read_scalar")
    if problem:
        return problem
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="tfcourse-check-") as folder:
        writer = tf.summary.create_file_writer(folder)
        with writer.as_default():
            for tag, values in _SERIES_12_3.items():
                for step, value in enumerate(values):
                    tf.summary.scalar(tag, value, step=step)
        writer.close()
        try:
            result = answer(Path(folder), "epoch_loss")
        except Exception as err:
            return (f"Calling your function on a run folder with the tag 'epoch_loss' raised "
                    f"{type(err).__name__}: {err}")
    right = [(step, value) for step, value in enumerate(_SERIES_12_3["epoch_loss"])]
    try:
        pairs = [(int(step), float(value)) for step, value in result]
    except (TypeError, ValueError):
        if isinstance(result, (list, tuple)) and all(isinstance(v, numbers.Real) for v in result):
            if np.allclose(list(result), [v for _, v in right]):
                return "Those are the values alone; return (step, value) pairs: [(0, 1.75), ...]."
        return type_problem("a list of (step, value) pairs", result)
    if pairs == right:
        return None
    if [v for _, v in pairs] == list(_SERIES_12_3["epoch_accuracy"]):
        return "Those values belong to another tag: read the tag that the function is given."
    if sorted(pairs) == right:
        return "The right pairs, in the wrong order: sort them by step."
    return f"For a run with the losses {list(_SERIES_12_3['epoch_loss'])} your function returned {pairs}."
