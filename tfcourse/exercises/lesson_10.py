"""Exercises of lesson 10, from Estimators to Keras.

The checkers recompute what a right answer must satisfy: the layer sizes and
parameter count of a DNNClassifier's Keras twin from the question's
``hidden_units``, what its loss computes on known logits, epochs from steps
and batch sizes, and what a lookup layer outputs on colours it knows and one
it does not. Keras is imported only when an answer must be inspected.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tfcourse.exercises._answers import (
    activation_name,
    image_input_problem,
    keras_class_problem,
    number,
    type_problem,
)
from tfcourse.exercises._core import exercise

__all__: list[str] = []  # the exercises register themselves; nothing to import

IMAGE_SHAPE = (28, 28)
PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
CLASSES = 10

# Exercise 10.1: tf.estimator.DNNClassifier(hidden_units=[64, 32], n_classes=10).
HIDDEN_UNITS_10_1 = (64, 32)
# A DNNClassifier trained with Adagrad at this rate unless told otherwise
# (tensorflow_estimator/python/estimator/canned/dnn.py: _LEARNING_RATE).
ESTIMATOR_LEARNING_RATE = 0.05
KERAS_ADAGRAD_LEARNING_RATE = 0.001  # keras.optimizers.Adagrad() without arguments

# Exercise 10.2: an Estimator's train(input_fn, steps=...) in epochs.
STEPS_10_2 = 3_000
BATCH_SIZE_10_2 = 32
TRAIN_IMAGES_10_2 = 60_000

# Exercise 10.3: the categorical column of the lesson's fruit table.
COLOURS_10_3 = ("red", "green", "yellow")
UNKNOWN_COLOUR = "purple"


def _mlp_params(inputs: int, hidden: tuple[int, ...], classes: int) -> int:
    sizes = [inputs, *hidden, classes]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def _loss_matches_output(model: Any, output_activation: str) -> str | None:
    """Why the compiled loss does not give cross-entropy for the model's outputs, or None."""
    import keras

    loss = model.loss
    if loss is None:
        return "Give compile a loss: sparse categorical cross-entropy, as the Estimator used."
    try:
        loss_fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    except ValueError:
        return f"Keras does not know a loss called {loss!r}."
    logits = np.array([[2.0, 0.5, -1.0, 0.0, 0.3, 1.2, -0.4, 0.8, 0.1, -2.0],
                       [0.1, 0.2, 3.0, -1.0, 0.0, 0.4, 0.9, -0.3, 0.5, 1.1]], dtype="float32")
    labels = np.array([5, 2])
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    right = float(-log_softmax[np.arange(2), labels].mean())
    outputs = logits if output_activation == "linear" else np.exp(log_softmax).astype("float32")
    try:
        value = float(np.mean(keras.ops.convert_to_numpy(loss_fn(labels, outputs))))
    except Exception:  # e.g. a loss for one-hot labels
        value = math.nan
    if math.isclose(value, right, rel_tol=1e-4):
        return None
    name = loss if isinstance(loss, str) else getattr(loss, "name", type(loss).__name__)
    if "categorical_crossentropy" in str(name) and "sparse" not in str(name):
        return ("categorical_crossentropy expects one-hot labels; the digits are integers, "
                "which sparse_categorical_crossentropy takes.")
    if output_activation == "linear":
        return ("The last layer outputs logits (no activation), as the Estimator's did, but "
                "the loss expects probabilities: tell it that its inputs are logits.")
    if output_activation == "softmax":
        return ("The last layer already applies softmax; from_logits=True would apply it a "
                "second time. Use from_logits=False (the default) or drop the softmax.")
    return f"The loss {name!r} is not sparse categorical cross-entropy on the model's outputs."


@exercise(
    "10.1",
    question=f"Write the Keras twin of tf.estimator.DNNClassifier(hidden_units="
    f"{list(HIDDEN_UNITS_10_1)}, n_classes={CLASSES}) for 28×28 images, compiled the way "
    f"the Estimator trained: sparse categorical cross-entropy and its default optimizer, "
    f"Adagrad at learning rate {ESTIMATOR_LEARNING_RATE}. The answer is the compiled model.",
    hints=(
        "A DNNClassifier is Flatten, one relu layer per entry of hidden_units (in that "
        "order), then a last layer with one logit per class and no activation; it trained "
        "with Adagrad at 0.05, which is not Keras's default rate.",
        "keras.layers.Dense(units, activation=\"relu\") for 64 and 32, keras.layers.Dense(10); "
        "compile with keras.optimizers.Adagrad(learning_rate=0.05) and "
        "keras.losses.SparseCategoricalCrossentropy(from_logits=True).",
        "The lesson's dnn_classifier(hidden_units, n_classes) builds and compiles exactly this.",
    ),
)
def _dnn_classifier_twin(answer: Any) -> str | None:
    import keras

    problem = keras_class_problem(answer)
    if problem:
        return problem
    if not isinstance(answer, keras.Model):
        return type_problem("a Keras model", answer)
    if not answer.inputs:
        return "The model has no input shape yet: start it with keras.Input(shape=(28, 28))."
    problem = image_input_problem(answer, IMAGE_SHAPE)
    if problem:
        return problem
    dense = [layer for layer in answer.layers if isinstance(layer, keras.layers.Dense)]
    units = [layer.units for layer in dense]
    wanted = [*HIDDEN_UNITS_10_1, CLASSES]
    if units == [*reversed(HIDDEN_UNITS_10_1), CLASSES]:
        return f"hidden_units lists the layers from the input onwards: {list(HIDDEN_UNITS_10_1)} means {HIDDEN_UNITS_10_1[0]} first."
    if units == list(HIDDEN_UNITS_10_1):
        return f"hidden_units lists only the hidden layers; add the output layer, Dense({CLASSES})."
    if units != wanted:
        return f"The Dense layers have {units} units; hidden_units={list(HIDDEN_UNITS_10_1)} and n_classes={CLASSES} make {wanted}."
    if any(activation_name(layer) != "relu" for layer in dense[:-1]):
        return "The hidden layers of a DNNClassifier use relu (its default activation_fn)."
    expected_params = _mlp_params(PIXELS, HIDDEN_UNITS_10_1, CLASSES)
    if answer.count_params() != expected_params:
        return (f"The model has {answer.count_params():,} parameters; Flatten and the Dense "
                f"layers alone make {expected_params:,}.")
    output_activation = activation_name(dense[-1])
    if output_activation not in ("linear", "softmax"):
        return f"The last layer's activation is {output_activation}; use none (logits) or softmax."
    if not answer.compiled or answer.optimizer is None:
        return "The model is not compiled yet: call answer.compile(optimizer=..., loss=...)."
    optimizer = answer.optimizer
    if type(optimizer) is not keras.optimizers.Adagrad:
        return f"The optimizer is {type(optimizer).__name__}; a DNNClassifier trained with Adagrad."
    learning_rate = optimizer.get_config().get("learning_rate")
    if not isinstance(learning_rate, (int, float)):
        return "Use a fixed learning rate (a number), not a schedule."
    if math.isclose(learning_rate, KERAS_ADAGRAD_LEARNING_RATE, rel_tol=1e-4):
        return (f"That is Keras's default Adagrad learning rate, {KERAS_ADAGRAD_LEARNING_RATE}; "
                f"the Estimator's default was {ESTIMATOR_LEARNING_RATE}: pass it.")
    if not math.isclose(learning_rate, ESTIMATOR_LEARNING_RATE, rel_tol=1e-4):
        return f"The learning rate is {learning_rate:g}; the Estimator's default was {ESTIMATOR_LEARNING_RATE}."
    return _loss_matches_output(answer, output_activation)


@exercise(
    "10.2",
    question=f"An Estimator was trained with train(input_fn, steps={STEPS_10_2:,}), its "
    f"input_fn batching {TRAIN_IMAGES_10_2:,} images by {BATCH_SIZE_10_2}. How many epochs "
    "of Keras's fit is that? (It need not be a whole number.)",
    hints=(
        "A step is one batch, and an epoch is one pass over all the training images: "
        "count the images the steps look at.",
        "epochs = steps × batch size ÷ images in one epoch.",
    ),
)
def _steps_as_epochs(answer: Any) -> str | None:
    value, problem = number(answer, what="a number of epochs")
    if problem:
        return problem
    right = STEPS_10_2 * BATCH_SIZE_10_2 / TRAIN_IMAGES_10_2
    if math.isclose(value, right, rel_tol=1e-3):
        return None
    steps_per_epoch = math.ceil(TRAIN_IMAGES_10_2 / BATCH_SIZE_10_2)
    if math.isclose(value, STEPS_10_2):
        return f"{STEPS_10_2:,} is the number of steps (batches); an epoch is {steps_per_epoch:,} of them."
    if math.isclose(value, STEPS_10_2 * BATCH_SIZE_10_2):
        return f"{value:,.0f} is the number of images the steps look at; divide by the {TRAIN_IMAGES_10_2:,} images of one epoch."
    if math.isclose(value, 1 / right, rel_tol=1e-3):
        return "That is upside down: epochs are images seen divided by images per epoch."
    if math.isclose(value, steps_per_epoch):
        return f"{steps_per_epoch:,} is the number of steps in one epoch; how many epochs do {STEPS_10_2:,} steps make?"
    if value in (math.floor(right), math.ceil(right)):
        return f"{value:g} is rounded; the steps end part-way through an epoch, give the exact fraction."
    if math.isclose(value, STEPS_10_2 / TRAIN_IMAGES_10_2, rel_tol=1e-3):
        return f"Each step looks at a batch of {BATCH_SIZE_10_2} images, not one."
    return f"{value:g} epochs of {TRAIN_IMAGES_10_2:,} images is not {STEPS_10_2:,} batches of {BATCH_SIZE_10_2}."


@exercise(
    "10.3",
    question=f"Replace tf.feature_column.indicator_column(categorical_column_with_"
    f"vocabulary_list('colour', {list(COLOURS_10_3)})) with a Keras preprocessing layer: "
    "it must turn each colour into a one-hot vector, and give colours it has never seen "
    "a slot of their own. The answer is the layer.",
    hints=(
        "Keras has a preprocessing layer that maps words to numbers from a fixed "
        "vocabulary; it can output one-hot rows, and it keeps slots for words outside "
        "its vocabulary.",
        "keras.layers.StringLookup with vocabulary=... and output_mode=\"one_hot\"; its default "
        "num_oov_indices=1 keeps slot 0 for unknown colours.",
    ),
)
def _colour_one_hot(answer: Any) -> str | None:
    import keras
    import tensorflow as tf

    if isinstance(answer, type):
        return "That is the layer class itself; build a layer: keras.layers.StringLookup(...)."
    if isinstance(answer, (list, tuple)) and all(isinstance(a, str) for a in answer):
        return ("That is the vocabulary; the answer is a preprocessing layer built from it, "
                "which turns each colour into a one-hot row.")
    if not isinstance(answer, keras.layers.Layer):
        return type_problem("a Keras layer", answer)
    colours = [*COLOURS_10_3, UNKNOWN_COLOUR]
    try:
        encoded = keras.ops.convert_to_numpy(answer(tf.constant(colours)))
    except Exception as err:
        text = str(err).strip()
        if "must set the layer's vocabulary" in text:
            return "The layer has no vocabulary yet: pass vocabulary=[...] or call adapt(...) on the colours."
        if getattr(answer, "num_oov_indices", 1) == 0:
            return (f"The layer fails on {UNKNOWN_COLOUR!r}, a colour it has never seen: keep a "
                    "slot for unknown colours (num_oov_indices=1, the default).")
        first_line = text.splitlines()[0] if text else type(err).__name__
        return f"The layer fails on the colours {colours}: {first_line}"
    encoded = np.asarray(encoded)
    if encoded.ndim != 2 or encoded.shape[0] != len(colours):
        return (f"For {len(colours)} colours the layer gives shape {encoded.shape}: index "
                "numbers, not one-hot vectors. Use output_mode=\"one_hot\".")
    is_one_hot = np.all((encoded == 0) | (encoded == 1)) and np.all(encoded.sum(axis=1) == 1)
    if not is_one_hot:
        return "Each colour should give a row of zeros with a single 1; use output_mode=\"one_hot\"."
    vocabulary = answer.get_vocabulary() if hasattr(answer, "get_vocabulary") else None
    if vocabulary is not None:
        missing = [c for c in COLOURS_10_3 if c not in [str(v) for v in vocabulary]]
        if missing:
            return (f"The vocabulary lacks {', '.join(map(repr, missing))}: such a colour lands "
                    "in the slot for unknown colours instead of its own slot.")
    slots = encoded.argmax(axis=1)
    if len(set(slots[:3])) < 3:
        return f"The colours {list(COLOURS_10_3)} should each get their own slot; some share one."
    if slots[3] in slots[:3]:
        return (f"An unknown colour ({UNKNOWN_COLOUR!r}) lands in the slot of "
                f"{COLOURS_10_3[list(slots[:3]).index(slots[3])]!r}; it needs a slot of its own.")
    return None
