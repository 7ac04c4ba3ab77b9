"""Exercises of lesson 02, the low-level API: tensors, shapes, dtypes and gradients.

Each checker recomputes what a right answer must be from the question's own
numbers (a shape with NumPy, a slope by finite differences, the expected
values with ``np.arange``), so a right answer reached another way passes too.
Exercise 02.2 asks for the gradient TensorFlow computes, so it takes only a
tensor: a number typed in by hand is not what it asks for.
TensorFlow is imported only when an answer must be inspected as a tensor.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from tfcourse.exercises._answers import is_whole, number, text_problem, type_problem
from tfcourse.exercises._core import exercise

__all__: list[str] = []  # the exercises register themselves; nothing to import

# Exercise 02.1: tf.matmul(tf.ones(LEFT), tf.ones(RIGHT)) + tf.ones(BIAS), like a Dense layer.
LEFT_02_1 = (2, 3)
RIGHT_02_1 = (3, 4)
BIAS_02_1 = (4,)

# Exercise 02.2: the slope of f(x) = x³ − 2x at x = 2.
POINT_02_2 = 2.0


def _cubic(x: float) -> float:
    """The function of exercise 02.2, f(x) = x³ − 2x."""
    return x**3 - 2 * x


# Exercise 02.3: a float32 tensor of this shape holding 0, 1, 2, ... row by row.
SHAPE_02_3 = (3, 4)
DTYPE_02_3 = "float32"


def _shape_of(answer: Any) -> tuple[tuple[int, ...] | None, str | None]:
    """The answer as a tuple of ints, or why it is not a shape.

    Accepts a tuple or list of whole numbers or a ``tf.TensorShape``.
    """
    if isinstance(answer, str):
        return None, text_problem(answer, "write the shape without quotes, e.g. (5, 6).")
    if hasattr(answer, "as_list"):  # tf.TensorShape
        answer = answer.as_list()
    elif hasattr(answer, "shape") and hasattr(answer, "dtype"):
        return None, ("That is a tensor or array, not a shape: the answer is its shape, "
                      "e.g. tuple(result.shape).")
    if is_whole(answer):
        return None, (f"A shape is a tuple with one number per axis; write ({answer},) "
                      "for one axis, or list every axis.")
    if not isinstance(answer, (tuple, list)):
        return None, type_problem("a shape such as (5, 6)", answer)
    if not all(is_whole(n) for n in answer):
        return None, f"Every entry of a shape is a whole number; {tuple(answer)!r} is not a shape."
    return tuple(int(n) for n in answer), None


@exercise(
    "02.1",
    question=f"Predict, without running it: what is the shape of "
    f"tf.matmul(tf.ones({LEFT_02_1}), tf.ones({RIGHT_02_1})) + tf.ones({BIAS_02_1})? "
    "Give it as a tuple.",
    hints=(
        "Work in two steps: first the shape of the matrix product, then what adding "
        "the bias does to that shape.",
        "tf.matmul takes shapes (m, k) and (k, n) to (m, n): the shared k disappears. "
        "Broadcasting lines shapes up from the right and repeats an axis of size 1 "
        "(or a missing one) to fit.",
    ),
)
def _matmul_then_broadcast(answer: Any) -> str | None:
    shape, problem = _shape_of(answer)
    if problem:
        return problem
    product = (np.ones(LEFT_02_1) @ np.ones(RIGHT_02_1)).shape
    right = np.broadcast_shapes(product, BIAS_02_1)
    if shape == right:
        return None
    if shape in (LEFT_02_1, RIGHT_02_1):
        return f"{shape} is the shape of one of the two matrices; their product has a new shape."
    if shape == (LEFT_02_1[0], LEFT_02_1[1], RIGHT_02_1[1]):
        return (f"tf.matmul does not keep the shared axis of length {LEFT_02_1[1]}: "
                "it sums over it, so that axis disappears.")
    if shape == product[::-1]:
        return "Rows come from the first matrix and columns from the second, in that order."
    if shape == BIAS_02_1:
        return ("Adding the bias does not shrink the result: the bias is copied onto every row "
                "(broadcasting), so the result keeps the product's shape.")
    return f"{shape} is not the shape of the result; work it out in two steps: the product, then the sum."


def _gradient(answer: Any) -> tuple[float | None, str | None]:
    """The gradient as a float, read from the tensor the tape returned, or why not.

    The exercise asks for the gradient TensorFlow computes, so a plain Python or
    NumPy number (worked out by hand, or copied from a print) is not yet the answer.
    """
    import tensorflow as tf

    if answer is None:
        return None, ("Your gradient is None: the tape only watches tf.Variable objects "
                      "(with a float dtype). Make x a tf.Variable(2.0), or call tape.watch(x) "
                      "on a float tensor.")
    if isinstance(answer, tf.Variable):
        return None, ("That is the variable x itself; the answer is the gradient "
                      "that tape.gradient(y, x) returns.")
    if isinstance(answer, (bool, str)):
        return number(answer, what="the gradient", kind="a tensor",
                      text_fix="give the tensor itself (without quotes).")
    if not isinstance(answer, tf.Tensor):
        if isinstance(answer, (numbers.Real, np.ndarray, np.generic)):
            return None, (f"Your answer is a plain {type(answer).__name__}, not a TensorFlow "
                          "tensor. The exercise asks for the gradient computed by TensorFlow: "
                          "the tensor the tape gives back, not a number worked out by hand "
                          "or converted from it.")
        return None, type_problem("the tensor the tape gives back", answer)
    return number(answer, what="the gradient", through_numpy=True)


def _slope(function: Callable[[float], float], x: float, step: float = 1e-5) -> float:
    """The slope of ``function`` at ``x`` by a central finite difference (in float64).

    Example:
        >>> round(_slope(lambda x: x**2, 3.0), 6)
        6.0
    """
    return (function(x + step) - function(x - step)) / (2 * step)


@exercise(
    "02.2",
    question=f"With tf.GradientTape, compute the gradient (the slope) of f(x) = x³ − 2x "
    f"at x = {POINT_02_2:g}. The answer is the tensor that tape.gradient returns.",
    hints=(
        "The tape records the operations that compute f(x) from x; afterwards it can give "
        "you the derivative of the result with respect to x.",
        "You need three pieces: x as a float tf.Variable (the tape watches variables), a "
        "GradientTape block in which you compute f(x), and the tape's gradient method "
        "called after the block with the result and x.",
        "To know what to expect, work out the derivative of x³ − 2x by hand with the power "
        "rule (the derivative of xⁿ is n·xⁿ⁻¹) and put in x = 2; the tape should agree.",
    ),
)
def _gradient_of_cubic(answer: Any) -> str | None:
    value, problem = _gradient(answer)
    if problem:
        return problem
    right = _slope(_cubic, POINT_02_2)
    if np.isclose(value, right, rtol=1e-4, atol=1e-4):
        return None
    if np.isclose(value, _cubic(POINT_02_2)):
        return (f"{value:g} is f({POINT_02_2:g}), the value of the function; "
                "the gradient is its slope at that point.")
    if np.isclose(value, _slope(lambda x: x**3, POINT_02_2), rtol=1e-4):
        return f"{value:g} is the slope of x³ alone: the −2x term changes the slope too."
    return f"{value:g} is not the slope of x³ − 2x at x = {POINT_02_2:g}."


@exercise(
    "02.3",
    question=f"Make a TensorFlow tensor of dtype {DTYPE_02_3} and shape {SHAPE_02_3} holding "
    "0, 1, 2, ... filled row by row.",
    hints=(
        "Build it in three small steps, one operation each: count, give the numbers a "
        "shape, give them a dtype.",
        "tf.range counts from 0, tf.reshape fills a new shape row by row, and tf.cast "
        "changes the dtype (tf.range also takes a dtype= argument).",
    ),
)
def _counting_tensor(answer: Any) -> str | None:
    import tensorflow as tf

    if isinstance(answer, np.ndarray):
        return "That is a NumPy array; make a TensorFlow tensor (tf.constant, tf.range, tf.reshape ...)."
    if isinstance(answer, tf.Variable):
        return ("That is a tf.Variable (changeable state for training); the exercise asks for "
                "a plain tensor: build it with tf.range and tf.reshape.")
    if not isinstance(answer, tf.Tensor):
        return type_problem("a tf.Tensor", answer)
    dtype = answer.dtype.name
    if dtype != DTYPE_02_3:
        fix = "change it with tf.cast, or ask tf.range for that dtype"
        if dtype == "float64":
            return f"Your tensor is float64, NumPy's default for decimals; ask for {DTYPE_02_3}: {fix}."
        return f"Your tensor has dtype {dtype}; it should be {DTYPE_02_3}: {fix}."
    shape = tuple(answer.shape)
    size = int(np.prod(SHAPE_02_3))
    if shape != SHAPE_02_3:
        if int(np.prod(shape)) == size:
            return f"Your tensor has shape {shape}; it should have shape {SHAPE_02_3}: use tf.reshape."
        return f"Your tensor holds {int(np.prod(shape))} values; a {SHAPE_02_3} tensor holds {size}."
    values = answer.numpy()
    counting = np.arange(size, dtype=DTYPE_02_3)
    if np.array_equal(values, counting.reshape(SHAPE_02_3)):
        return None
    if np.array_equal(values, counting.reshape(SHAPE_02_3[::-1]).T):
        return "Your numbers run down the columns; fill the tensor row by row (tf.reshape does that)."
    if np.array_equal(values, (counting + 1).reshape(SHAPE_02_3)):
        return "Your numbers start at 1; start counting at 0 (as tf.range does by default)."
    return "The dtype and shape are right, but the values are not 0, 1, 2, ... row by row."
