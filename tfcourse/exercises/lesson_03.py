"""Exercises of lesson 03 · Training by hand.

The checkers recompute what a right answer must be: the parameter count from
the layer sizes in the question, the SGD update by running the student's
function on fresh variables and comparing with ``v - lr * g`` computed in
NumPy. Only the multiple-choice question keeps its answer, with a reason for
each wrong choice. TensorFlow is imported only to run the student's update.
"""

from __future__ import annotations

import numbers
import re
from typing import Any

import numpy as np

from tfcourse.exercises._answers import function_problem, type_problem
from tfcourse.exercises._core import exercise

__all__: list[str] = []  # the exercises register themselves; nothing to import

# Exercise 03.1: the lesson's network with a smaller hidden layer.
INPUTS_03_1 = 784
HIDDEN_03_1 = 64
LESSON_HIDDEN = 128  # the lesson's own network, a likely answer to recognise
CLASSES_03_1 = 10


def _dense_params(inputs: int, units: int) -> int:
    """Weights plus biases of one Dense layer: inputs×units + units."""
    return inputs * units + units


def _mlp_params(inputs: int, hidden: int, classes: int) -> int:
    return _dense_params(inputs, hidden) + _dense_params(hidden, classes)


@exercise(
    "03.1",
    question=f"How many parameters would the lesson's network have with {HIDDEN_03_1} hidden "
    f"units instead of {LESSON_HIDDEN} ({INPUTS_03_1} inputs, {CLASSES_03_1} classes)? "
    "Give a whole number.",
    hints=(
        "Every unit of a layer has one weight per input and one bias of its own: count the "
        "hidden layer and the output layer separately, then add the two.",
        "A dense layer with n inputs and u units has n × u + u parameters; the hidden layer "
        "has 784 inputs, the output layer as many inputs as there are hidden units.",
    ),
)
def _params_with_smaller_hidden_layer(answer: Any) -> str | None:
    if isinstance(answer, bool) or isinstance(answer, str) or not isinstance(answer, numbers.Number):
        return type_problem("a whole number", answer)
    right = _mlp_params(INPUTS_03_1, HIDDEN_03_1, CLASSES_03_1)
    if not isinstance(answer, numbers.Integral):
        if answer == right:
            return f"The count is right, but a count is a whole number: give int({answer!r})."
        return f"A count of parameters is a whole number; {answer!r} is not."
    answer = int(answer)
    if answer == right:
        return None
    hidden_layer = _dense_params(INPUTS_03_1, HIDDEN_03_1)
    output_layer = _dense_params(HIDDEN_03_1, CLASSES_03_1)
    known = {
        _mlp_params(INPUTS_03_1, LESSON_HIDDEN, CLASSES_03_1): (
            f"{answer:,} is the lesson's network with {LESSON_HIDDEN} hidden units; "
            f"redo the count with {HIDDEN_03_1}."
        ),
        INPUTS_03_1 * HIDDEN_03_1 + HIDDEN_03_1 * CLASSES_03_1: (
            f"{answer:,} counts the weights but not the biases: every unit has one bias too."
        ),
        hidden_layer: f"{answer:,} is the hidden layer alone; add the output layer's parameters.",
        output_layer: f"{answer:,} is the output layer alone; add the hidden layer's parameters.",
        INPUTS_03_1 * HIDDEN_03_1 * CLASSES_03_1: (
            "The layers' counts add up, they do not multiply: count each layer, then add."
        ),
    }
    return known.get(answer, f"{answer:,} is not the count; count each layer as inputs × units + units.")


# Exercise 03.2: sgd_update(variable, gradient, learning_rate) changes the variable in place.
# Two cases with different shapes and rates, so a hard-coded 0.01 or shape fails.
_CASES_03_2 = (
    (np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), np.array([[0.5, -1.0], [2.0, 0.0]], np.float32), 0.1),
    (np.array([1.0, -2.0, 0.5], np.float32), np.array([4.0, 2.0, -6.0], np.float32), 0.25),
)


@exercise(
    "03.2",
    question="Write a function sgd_update(variable, gradient, learning_rate) that makes one plain "
    "SGD step: it changes the tf.Variable in place to variable − learning_rate × gradient. "
    "The answer is the function itself.",
    hints=(
        "Change the variable itself: a tf.Variable keeps its identity and takes new values "
        "through its own methods, while `variable = variable - ...` only points a local name "
        "at a new tensor.",
        "The step to take away is learning_rate × gradient, from the function's arguments "
        "(no fixed numbers): the new value is the old one minus that step.",
        "tf.Variable has the methods assign, assign_add and assign_sub; section 4 of the "
        "lesson uses one of them on W1.",
    ),
)
def _sgd_update(answer: Any) -> str | None:
    problem = function_problem(answer, name="sgd_update")
    if problem:
        return problem
    import tensorflow as tf

    for start, gradient, rate in _CASES_03_2:
        variable = tf.Variable(start)
        try:
            answer(variable, tf.constant(gradient), rate)
        except Exception as err:
            return (f"Calling your function with a variable of shape {start.shape}, a gradient and "
                    f"learning_rate={rate} raised {type(err).__name__}: {err}")
        after = variable.numpy()
        if np.allclose(after, start - rate * gradient, atol=1e-6):
            continue
        if np.allclose(after, start):
            return ("The variable still holds its old values. `variable = variable - ...` only "
                    "makes a new tensor and points a local name at it: which method of a "
                    "tf.Variable changes the variable itself, in place?")
        if np.allclose(after, start + rate * gradient, atol=1e-6):
            return ("The variable moved along the gradient, uphill: the loss would grow. "
                    "Subtract the step instead of adding it.")
        if np.allclose(after, start - gradient, atol=1e-6):
            return "The variable moved by the whole gradient: multiply it by the learning rate first."
        if np.allclose(after, start - 0.01 * gradient, atol=1e-6):
            return f"Your step used a learning rate of 0.01; use the learning_rate argument ({rate} here)."
        if np.allclose(after, -rate * gradient, atol=1e-6):
            return "The variable was replaced by the step; subtract the step from its current value."
        return (f"With learning_rate={rate} the variable should become {start - rate * gradient}, "
                f"but it became {after}.")
    return None


# Exercise 03.3: what the loss does with learning rate 10.0 (multiple choice).
CHOICES_03_3 = {
    "a": "The loss falls about 1,000 times faster, so training is done in a few steps.",
    "b": "The loss leaps a hundredfold or more within a few steps, then stays at about 2.4: "
    "the network ends up no better than guessing.",
    "c": "Nothing changes: the learning rate only decides how fast the loss falls, not where it ends.",
    "d": "TensorFlow refuses to run: a learning rate must be below 1.",
}
_RIGHT_03_3 = "b"
_WHY_NOT_03_3 = {
    "a": ("A step 1,000 times longer is not 1,000 times better: the gradient only says which way is "
          "downhill near the current weights, and a huge step lands far past the valley."),
    "c": ("The learning rate sets the length of every step. Far too long steps overshoot "
          "and throw the weights somewhere useless; try it and look at the losses."),
    "d": ("TensorFlow accepts any number in assign_sub(learning_rate * gradient); nothing checks "
          "that the step is sensible. Try it and look at the losses."),
}


def _choice(answer: Any) -> str | None:
    if not isinstance(answer, str):
        return None
    match = re.fullmatch(r"\s*\(?\s*([a-zA-Z])\s*[).]?\s*", answer)
    return match.group(1).lower() if match else None


@exercise(
    "03.3",
    question="You train the lesson's network with learning_rate = 10.0 instead of 0.01. "
    "What happens to the loss? Answer with one letter:\n"
    + "\n".join(f"  {key}) {text}" for key, text in CHOICES_03_3.items()),
    hints=(
        "The update is θ ← θ − learning_rate × gradient, and the gradient is only a local "
        "direction: picture a step 1,000 times longer than before.",
        "Try it: from fresh weights, run 100 SGD steps with learning_rate = 10.0 on batches "
        "of 32 and print the losses: the first, the largest and the last few.",
    ),
)
def _large_learning_rate(answer: Any) -> str | None:
    choice = _choice(answer)
    if choice is None or choice not in CHOICES_03_3:
        letters = ", ".join(f'"{key}"' for key in CHOICES_03_3)
        return f"Answer with one of the letters {letters}, as a string. Received: {answer!r}."
    if choice == _RIGHT_03_3:
        return None
    return _WHY_NOT_03_3[choice]
