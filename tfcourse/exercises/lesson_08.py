"""Exercises of lesson 08, the same pipeline on other data (Fashion-MNIST).

08.1 asks for a function, so its checker calls it on confusion matrices made
here and compares with the shares recomputed by NumPy. 08.2 and 08.3 move the
course's two models to colour images of another size (CIFAR-10's 32×32×3);
their checkers recompute the counts from the layer formulas.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tfcourse.exercises._answers import true_or_false_problem, type_problem
from tfcourse.exercises._core import exercise
from tfcourse.exercises.lesson_07 import read_parameter_count, cnn_parameters, small_cnn_problem

__all__: list[str] = []  # the exercises register themselves; nothing to import

CLASSES = 10
HIDDEN_UNITS = 128  # the article's MLP's hidden layer
COLOUR_IMAGE = (32, 32, 3)  # CIFAR-10: 32×32 pixels, red, green and blue
MNIST_PIXELS = 28 * 28

# Confusion matrices the function of 08.1 is tried on: rows are true classes.
# Made so that row shares, column shares and the diagonal all differ.
_MATRIX_SIZES = (2, 3, CLASSES)


def _dense_parameters(inputs: int, units: int, *, use_bias: bool = True) -> int:
    return inputs * units + (units if use_bias else 0)


def _mlp_parameters(inputs: int, *, use_bias: bool = True) -> int:
    """The article's MLP (Flatten, Dense(128), Dense(10)) on ``inputs`` values per image.

    Example:
        >>> _mlp_parameters(784)
        101770
    """
    return (_dense_parameters(inputs, HIDDEN_UNITS, use_bias=use_bias)
            + _dense_parameters(HIDDEN_UNITS, CLASSES, use_bias=use_bias))


def _test_matrices() -> list[np.ndarray]:
    rng = np.random.default_rng(8)
    matrices = []
    for size in _MATRIX_SIZES:
        matrix = rng.integers(0, 30, size=(size, size))
        matrix += np.diag(rng.integers(40, 120, size=size))  # mostly right, as a trained model
        matrices.append(matrix)
    return matrices


@exercise(
    "08.1",
    question="Write a function that takes a confusion matrix of counts (a square NumPy array, "
    "rows = true classes, columns = predicted classes, like ConfusionMatrix.matrix) and returns, "
    "for each class, the share of its images that were predicted right (one number per class). "
    "The answer is the function itself.",
    hints=(
        "The images of class i fill row i of the matrix, and the right answers among them "
        "sit where row i meets column i: divide that count by the row's total.",
        "np.diag(matrix) gives the counts on the diagonal; matrix.sum(axis=1) gives the row totals.",
    ),
)
def _recall_per_class(answer: Any) -> str | None:
    if isinstance(answer, bool):
        return true_or_false_problem("the answer is a function")
    if not callable(answer):
        if isinstance(answer, (np.ndarray, list, tuple)):
            return ("Your answer is a list of values, for one matrix; the exercise asks for the "
                    "function: answer = my_function (the name, without calling it).")
        return type_problem("a function, e.g. def recall_per_class(matrix): ...", answer)
    if isinstance(answer, type):
        return "That is a class; write a function with def and give its name."
    for matrix in _test_matrices():
        try:
            result = answer(matrix.copy())
        except Exception as err:  # the student's code: report, don't crash
            return f"Your function stopped with {type(err).__name__} on a {len(matrix)}×{len(matrix)} matrix: {err}"
        if result is None:
            return "Your function returns None: end it with return ..."
        try:
            values = np.asarray(getattr(result, "numpy", lambda: result)(), dtype=float)
        except (TypeError, ValueError):
            return type_problem("numbers, one per class", result)
        right = np.diag(matrix) / matrix.sum(axis=1)
        if values.shape == right.shape and np.allclose(values, right):
            continue
        if values.size == 1 and math.isclose(float(values.reshape(-1)[0]), np.trace(matrix) / matrix.sum()):
            return "That is the accuracy over all classes, one number; give one share per class."
        if values.shape != right.shape:
            return (f"For a {len(matrix)}×{len(matrix)} matrix, expected {len(matrix)} numbers, one per "
                    f"class. Received shape {values.shape}.")
        if np.allclose(values, np.diag(matrix) / matrix.sum(axis=0)):
            return ("That divides by the column totals: the share of right answers among the "
                    "images *predicted* as each class (the precision). Divide by the row totals.")
        if np.allclose(values, np.diag(matrix)):
            return "Those are the counts of right answers; divide each by the number of images of its class."
        if np.allclose(values, 1 - right):
            return "That is the share predicted wrong; the exercise asks for the share predicted right."
        if np.allclose(values, np.diag(matrix) / matrix.sum()):
            return "Divide by the images of each class (its row total), not by all images."
        return f"On a {len(matrix)}×{len(matrix)} matrix your function returned {np.round(values, 3)}; expected {np.round(right, 3)}."
    return None


@exercise(
    "08.2",
    question=f"The article's MLP (Flatten, Dense({HIDDEN_UNITS}, relu), Dense({CLASSES}, softmax)) "
    f"gets colour images of {COLOUR_IMAGE[0]}×{COLOUR_IMAGE[1]}×{COLOUR_IMAGE[2]} "
    "(CIFAR-10's shape). How many parameters does it have?",
    hints=(
        "Flatten turns each image into one long vector, with one value per pixel and per "
        "colour channel; only the first Dense layer sees that change.",
        "Dense has inputs × units weights plus units biases: apply it to both layers and add.",
    ),
)
def _mlp_on_colour(answer: Any) -> str | None:
    value, problem = read_parameter_count(answer)
    if problem:
        return problem
    height, width, channels = COLOUR_IMAGE
    inputs = height * width * channels
    right = _mlp_parameters(inputs)
    if value == right:
        return None
    slips = {
        _mlp_parameters(height * width):
            f"A colour pixel holds {channels} values (red, green, blue): Flatten makes "
            f"{height}×{width}×{channels} inputs.",
        _mlp_parameters(MNIST_PIXELS): "That is the article's model on MNIST's 28×28 images.",
        _mlp_parameters(inputs, use_bias=False): "Every unit of both Dense layers also has a bias.",
        _dense_parameters(inputs, HIDDEN_UNITS): "That is the hidden layer alone; add the output layer.",
        cnn_parameters(COLOUR_IMAGE): "That is the CNN's count; the question asks about the MLP.",
    }
    if value in slips:
        return slips[value]
    return f"{value:,} is not the count of the article's MLP on {height}×{width}×{channels} images."


@exercise(
    "08.3",
    question="Build lesson 07's CNN (Conv2D(16, 3), MaxPooling2D, Conv2D(32, 3), MaxPooling2D, "
    f"Flatten, Dense({CLASSES}, softmax)) for {COLOUR_IMAGE[0]}×{COLOUR_IMAGE[1]} colour images "
    f"(shape {COLOUR_IMAGE}). The answer is the model (no need to compile or train it).",
    hints=(
        "Only the input changes: the layers stay lesson 07's, but the images are 32×32 and "
        "already have their channel axis (3 colours).",
        f"Start the Sequential with keras.Input(shape={COLOUR_IMAGE}); no Reshape layer is needed, "
        "then the same Conv2D, MaxPooling2D, Flatten and Dense layers as lesson 07's small_cnn.",
    ),
)
def _cnn_on_colour(answer: Any) -> str | None:
    return small_cnn_problem(answer, COLOUR_IMAGE)
