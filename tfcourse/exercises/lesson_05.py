"""Exercises of lesson 05, training the article's model on MNIST with Keras.

Each checker recomputes what a right answer must satisfy from the numbers in
the question (ten classes, 60,000 images, a batch size, the article's model's
sizes), so a right answer reached another way passes too. Keras is imported
only when an answer must be inspected as a model.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from tfcourse.exercises._answers import (
    activation_name,
    image_input_problem,
    keras_class_problem,
    number,
    type_problem,
    whole_number,
)
from tfcourse.exercises._core import exercise

__all__: list[str] = []  # the exercises register themselves; nothing to import

IMAGE_SHAPE = (28, 28)
PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
HIDDEN_UNITS = 128
CLASSES = 10

# Exercise 05.2: the full MNIST training set with a batch size that does not
# divide it, so the last, smaller batch matters.
TRAIN_IMAGES_05_2 = 60_000
BATCH_SIZE_05_2 = 128
DEFAULT_BATCH_SIZE = 32
EPOCHS_05_2 = 5  # the article's fit, for the "all five epochs" slip

# Exercise 05.3: ten times the learning rate that optimizer="sgd" gets.
DEFAULT_SGD_LEARNING_RATE = 0.01
LEARNING_RATE_05_3 = 10 * DEFAULT_SGD_LEARNING_RATE


def _uniform_loss(classes: int) -> float:
    """Cross-entropy of a prediction that gives each of ``classes`` the same probability.

    Example:
        >>> round(_uniform_loss(10), 4)
        2.3026
    """
    return -math.log(1 / classes)


@exercise(
    "05.1",
    question=f"An untrained model that gives each of the {CLASSES} digits the same "
    f"probability scores which sparse categorical cross-entropy loss, whatever the label?",
    hints=(
        "The loss of one image looks only at the probability the model gives the "
        "true digit; when all ten digits get the same share, what is that probability?",
        "Cross-entropy is minus the natural logarithm of that probability: np.log, "
        "not a base-10 or base-2 logarithm.",
    ),
)
def _uniform_prediction_loss(answer: Any) -> str | None:
    value, problem = number(answer, what="a loss")
    if problem:
        return problem
    right = _uniform_loss(CLASSES)
    # The lesson prints losses to a few digits: 2.3 or 2.30 must pass.
    if abs(value - right) <= 0.01:
        return None
    probability = 1 / CLASSES
    if math.isclose(value, probability, rel_tol=1e-3):
        return f"{value} is the probability of the true digit (and the accuracy of guessing); the loss is minus its logarithm."
    if math.isclose(value, -right, rel_tol=1e-2):
        return "Mind the sign: the logarithm of a probability is negative, and the loss is minus it."
    if math.isclose(value, -math.log10(probability), rel_tol=1e-3):
        return "That is the base-10 logarithm; cross-entropy uses the natural logarithm (np.log)."
    if math.isclose(value, -math.log2(probability), rel_tol=1e-3):
        return "That is the base-2 logarithm; cross-entropy uses the natural logarithm (np.log)."
    if math.isclose(value, CLASSES * right, rel_tol=1e-2):
        return "That adds up all ten classes; the loss only looks at the probability of the true digit."
    return f"{value} is not the loss of a prediction that spreads its probability evenly over {CLASSES} digits."


def _whole_number(answer: Any) -> tuple[int | None, str | None]:
    """The answer as an int, or why it cannot be one (1875.0 is fine)."""
    return whole_number(answer, what="a number of steps",
                        why="Keras takes whole steps, and the last batch may simply hold fewer images.")


@exercise(
    "05.2",
    question=f"How many SGD steps (weight updates) does one epoch of model.fit take on "
    f"{TRAIN_IMAGES_05_2:,} training images with batch_size={BATCH_SIZE_05_2}?",
    hints=(
        "One epoch shows the model every image once, one batch per step: count the "
        "batches, a last batch that is not full included.",
        "Divide the number of images by the batch size and round up (math.ceil).",
    ),
)
def _steps_per_epoch(answer: Any) -> str | None:
    value, problem = _whole_number(answer)
    if problem:
        return problem
    right = math.ceil(TRAIN_IMAGES_05_2 / BATCH_SIZE_05_2)
    if value == right:
        return None
    full_batches = TRAIN_IMAGES_05_2 // BATCH_SIZE_05_2
    if value == full_batches:
        left_over = TRAIN_IMAGES_05_2 - full_batches * BATCH_SIZE_05_2
        return (
            f"{value} counts only the full batches; Keras still trains on the {left_over} "
            "images left over, in one last, smaller batch. Count that batch too."
        )
    if value == TRAIN_IMAGES_05_2:
        return f"{value:,} is the number of images; one step uses a batch of {BATCH_SIZE_05_2} of them."
    if value == right * EPOCHS_05_2:
        return f"{value:,} counts {EPOCHS_05_2} epochs; the question asks about one."
    if value == math.ceil(TRAIN_IMAGES_05_2 / DEFAULT_BATCH_SIZE):
        return f"{value:,} is the count for the default batch size {DEFAULT_BATCH_SIZE}; here it is {BATCH_SIZE_05_2}."
    if value == TRAIN_IMAGES_05_2 * BATCH_SIZE_05_2:
        return "Divide the number of images by the batch size, don't multiply."
    if value == BATCH_SIZE_05_2:
        return f"{value} is the batch size: the number of images per step, not the number of steps."
    return f"{value:,} steps of (at most) {BATCH_SIZE_05_2} images do not cover {TRAIN_IMAGES_05_2:,} images exactly once."


def _architecture_problem(model: Any) -> str | None:
    """Why ``model`` is not the article's Flatten-Dense(128)-Dense(10) network, or None."""
    if not model.built or not model.inputs:
        return "The model has no input shape yet: start it with keras.Input(shape=(28, 28))."
    problem = image_input_problem(model, IMAGE_SHAPE)
    if problem:
        return problem
    output_shape = tuple(model.outputs[0].shape[1:])
    if output_shape != (CLASSES,):
        return f"The model should output {CLASSES} probabilities, one per digit; it outputs shape {output_shape}."
    if activation_name(model.layers[-1]) != "softmax":
        return "The last layer should use activation='softmax', so its outputs are probabilities."
    seed_count = (PIXELS * HIDDEN_UNITS + HIDDEN_UNITS) + (HIDDEN_UNITS * CLASSES + CLASSES)
    if model.count_params() != seed_count:
        return (
            f"Build the article's architecture again (Flatten, Dense({HIDDEN_UNITS}, relu), "
            f"Dense({CLASSES}, softmax)): it has {seed_count:,} parameters, yours "
            f"{model.count_params():,}."
        )
    return None


def _loss_problem(loss: Any) -> str | None:
    """Why ``loss`` (as given to compile) is not sparse categorical cross-entropy, or None."""
    import keras

    if loss is None:
        return "Give compile a loss: the same one as the lesson."
    try:
        loss_fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    except ValueError:
        return f"Keras does not know a loss called {loss!r}."
    # Judge the loss by what it computes on integer labels, however it was spelled.
    labels = np.array([0, 3, 9])
    probabilities = np.full((3, CLASSES), 0.05, dtype="float32")
    probabilities[np.arange(3), [0, 1, 9]] = 0.55
    right = float(np.mean(-np.log(probabilities[np.arange(3), labels])))
    try:
        # A loss function gives one value per image, a Loss object their mean.
        value = float(np.mean(keras.ops.convert_to_numpy(loss_fn(labels, probabilities))))
    except Exception:  # a loss for one-hot labels fails on integer labels
        value = math.nan
    if math.isclose(value, right, rel_tol=1e-4):
        return None
    name = loss if isinstance(loss, str) else getattr(loss, "name", type(loss).__name__)
    if "categorical_crossentropy" in str(name) and "sparse" not in str(name):
        return (
            "categorical_crossentropy expects one-hot labels; MNIST's labels are integers "
            "0-9, which is what sparse_categorical_crossentropy takes."
        )
    return f"The loss {name!r} is not the lesson's sparse categorical cross-entropy."


def _metrics_problem(model: Any) -> str | None:
    metrics = model.get_compile_config().get("metrics") or []
    if not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    names = []
    for metric in metrics:
        if isinstance(metric, dict):  # a metric object, serialized
            names.append(metric.get("class_name", ""))
        else:
            names.append(str(metric))
    if any(name in ("accuracy", "acc", "sparse_categorical_accuracy", "SparseCategoricalAccuracy")
           for name in names):
        return None
    if "Accuracy" in names:
        return (
            "keras.metrics.Accuracy() compares the probabilities with the labels as they "
            "are, so it stays near 0; use the string \"accuracy\" (Keras picks the sparse "
            "categorical accuracy for you)."
        )
    return 'Report the accuracy while training: metrics=["accuracy"].'


@exercise(
    "05.3",
    question=f"Build the article's model again and compile it with plain SGD at learning rate "
    f"{LEARNING_RATE_05_3:g} (ten times the default), the same loss and the accuracy metric. "
    "The answer is the compiled model.",
    hints=(
        "The string \"sgd\" always means SGD at its default learning rate, 0.01; to "
        "choose another rate, give compile an optimizer object instead of the string.",
        "Build the model as in section 2, then compile it with "
        "optimizer=keras.optimizers.SGD(learning_rate=...), the lesson's loss and "
        "metrics=[\"accuracy\"].",
    ),
)
def _compiled_with_faster_sgd(answer: Any) -> str | None:
    import keras

    problem = keras_class_problem(answer)
    if problem:
        return problem
    if not isinstance(answer, keras.Model):
        return type_problem("a Keras model", answer)
    problem = _architecture_problem(answer)
    if problem:
        return problem
    if not answer.compiled or answer.optimizer is None:
        return "The model is not compiled yet: call answer.compile(optimizer=..., loss=..., metrics=...)."
    optimizer = answer.optimizer
    if type(optimizer) is not keras.optimizers.SGD:
        return f"The optimizer is {type(optimizer).__name__}; the exercise asks for plain SGD."
    config = optimizer.get_config()
    if config.get("momentum", 0.0) != 0.0 or config.get("nesterov", False):
        return "Keep plain SGD: no momentum (momentum=0.0, the default)."
    learning_rate = config.get("learning_rate")
    if not isinstance(learning_rate, numbers.Real):
        return "Use a fixed learning rate (a number), not a schedule."
    if math.isclose(learning_rate, DEFAULT_SGD_LEARNING_RATE, rel_tol=1e-4):
        return (
            f"The learning rate is still the default {DEFAULT_SGD_LEARNING_RATE}; the string "
            "\"sgd\" cannot change it, an optimizer object can."
        )
    if not math.isclose(learning_rate, LEARNING_RATE_05_3, rel_tol=1e-4):
        return f"The learning rate is {learning_rate:g}; the exercise asks for {LEARNING_RATE_05_3:g}."
    return _loss_problem(answer.loss) or _metrics_problem(answer)
