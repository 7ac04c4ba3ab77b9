"""Exercises of lesson 04, Keras models and their parameters.

Each checker recomputes what a right answer must be from the sizes in the
question (a Dense layer with ``n`` inputs and ``u`` units holds ``n×u + u``
numbers), so a right answer reached another way passes too. Keras is imported
only when an answer must be inspected as a model.
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

from tfcourse.exercises._answers import (
    activation_name,
    image_input_problem,
    keras_model_problem,
    text_problem,
    true_or_false_problem,
    type_problem,
    whole,
)
from tfcourse.exercises._core import exercise

__all__: list[str] = []  # the exercises register themselves; nothing to import

IMAGE_SHAPE = (28, 28)
PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
CLASSES = 10

# Exercise 04.1: Dense(64) on a flattened MNIST image.
UNITS_04_1 = 64
# Exercise 04.2: the layer sizes of a deeper MLP, input first.
SIZES_04_2 = (PIXELS, 256, 128, CLASSES)
# Exercise 04.3: the parameter budget a model like the article's must hit exactly.
TARGET_04_3 = 39_760


def _dense_parameters(inputs: int, units: int, *, use_bias: bool = True) -> int:
    """Numbers held by a Dense layer: one weight per (input, unit) pair, one bias per unit.

    Example:
        >>> _dense_parameters(784, 128)
        100480
    """
    return inputs * units + (units if use_bias else 0)


def _mlp_parameters(sizes: Sequence[int], *, use_bias: bool = True) -> int:
    """Numbers held by a stack of Dense layers of the given sizes, input size first.

    Example:
        >>> _mlp_parameters([784, 128, 10])
        101770
    """
    return sum(_dense_parameters(n, u, use_bias=use_bias) for n, u in zip(sizes, sizes[1:]))


def _whole_number(answer: Any) -> tuple[int | None, str | None]:
    """The answer as an int, or why it cannot be one (a float like 50240.0 is fine)."""
    if isinstance(answer, bool):
        return None, true_or_false_problem("a parameter count is a whole number")
    if isinstance(answer, numbers.Real):
        return whole(answer, why="a layer holds a whole number of weights.")
    if isinstance(answer, str):
        return None, text_problem(answer, "give a number instead, e.g. 784 * 128 + 128, without quotes.")
    return None, type_problem("a whole number", answer)


@exercise(
    "04.1",
    question=f"How many parameters does Dense({UNITS_04_1}) have when its input is a "
    f"flattened {IMAGE_SHAPE[0]}×{IMAGE_SHAPE[1]} image?",
    hints=(
        "Each unit has one weight per input value, plus one bias of its own.",
        "A Dense layer with n inputs and u units holds n×u + u numbers; its input "
        "is the flattened image, 28×28 values.",
    ),
)
def _dense_64(answer: Any) -> str | None:
    value, problem = _whole_number(answer)
    if problem:
        return problem
    right = _dense_parameters(PIXELS, UNITS_04_1)
    if value == right:
        return None
    weights_only = _dense_parameters(PIXELS, UNITS_04_1, use_bias=False)
    if value == weights_only:
        return f"{value:,} counts the weights only: each of the {UNITS_04_1} units also has a bias."
    if value == weights_only + PIXELS:
        return "There is one bias per unit, not one per input value."
    if value == _dense_parameters(IMAGE_SHAPE[0], UNITS_04_1):
        return f"The input is the flattened image: {IMAGE_SHAPE[0]}×{IMAGE_SHAPE[1]} values, not 28."
    if value == _dense_parameters(PIXELS, 128):
        return f"{value:,} is the article's model's hidden layer with 128 units; this one has {UNITS_04_1}."
    return f"{value:,} is not the count of a Dense({UNITS_04_1}) layer on {PIXELS} inputs."


@exercise(
    "04.2",
    question="How many parameters in total does a "
    + "-".join(str(size) for size in SIZES_04_2)
    + " MLP have (784 inputs, Dense(256), Dense(128), Dense(10), each with biases)?",
    hints=(
        "Count each Dense layer on its own, then add the three counts. Only the "
        "first layer sees the pixels: each later layer's inputs are the previous layer's units.",
        "Use inputs×units + units per layer, for the pairs 784→256, 256→128 and 128→10.",
    ),
)
def _deeper_mlp(answer: Any) -> str | None:
    value, problem = _whole_number(answer)
    if problem:
        return problem
    right = _mlp_parameters(SIZES_04_2)
    if value == right:
        return None
    if value == _mlp_parameters(SIZES_04_2, use_bias=False):
        return f"{value:,} counts the weights only: every unit of every layer also has a bias."
    if value == _mlp_parameters([PIXELS, 128, CLASSES]):
        return f"{value:,} is the article's model (784-128-10); this network has two hidden layers."
    pairs = list(zip(SIZES_04_2, SIZES_04_2[1:]))
    for skipped in range(len(pairs)):
        kept = [_dense_parameters(n, u) for i, (n, u) in enumerate(pairs) if i != skipped]
        if value == sum(kept):
            n, u = pairs[skipped]
            return f"One layer is missing from your sum: the {n}→{u} layer."
    all_from_input = sum(_dense_parameters(PIXELS, u) for u in SIZES_04_2[1:])
    if value == all_from_input:
        return "Only the first layer sees the 784 pixels; the next ones see the previous layer's units."
    return f"{value:,} is not the total of the {'-'.join(map(str, SIZES_04_2))} network."


@exercise(
    "04.3",
    question=f"Build a keras.Sequential model like the article's model (Input of shape (28, 28), "
    f"Flatten, one Dense hidden layer with relu, Dense({CLASSES}) with softmax) that has "
    f"exactly {TARGET_04_3:,} parameters.",
    hints=(
        "Write the model's total as a formula in the hidden size h, set it equal to "
        "the budget, and solve for h.",
        "Section 5 of the lesson: each hidden unit brings 784 weights, 1 bias and 10 "
        "outgoing weights, so total = 795·h + 10. Solve it, then build the model "
        "with Dense(h, activation='relu').",
    ),
)
def _model_with_budget(answer: Any) -> str | None:
    problem = keras_model_problem(answer, named="keras.Sequential", sequential=True)
    if problem:
        return problem
    if not answer.built:
        return "The model is not built, so it has no weights yet: start it with keras.Input(shape=(28, 28))."
    problem = image_input_problem(answer, IMAGE_SHAPE)
    if problem:
        return problem
    kinds = [type(layer).__name__ for layer in answer.layers]
    if kinds != ["Flatten", "Dense", "Dense"]:
        return f"Expected the layers Flatten, Dense, Dense (like the article's model). Received: {', '.join(kinds) or 'no layers'}."
    _, hidden, output = answer.layers
    if activation_name(hidden) != "relu":
        return f"The hidden layer should use activation='relu'; it uses {activation_name(hidden)!r}."
    if output.units != CLASSES or activation_name(output) != "softmax":
        return f"The last layer should be Dense({CLASSES}, activation='softmax') for the ten digits."
    if not (hidden.use_bias and output.use_bias):
        return "Keep the biases (use_bias=True, the default), as in the article's model."
    count = answer.count_params()
    if count != TARGET_04_3:
        direction = "fewer" if count > TARGET_04_3 else "more"
        return (f"Your model has {count:,} parameters (hidden layer of {hidden.units} units); "
                f"the budget is {TARGET_04_3:,}, so it needs {direction} hidden units.")
    return None
