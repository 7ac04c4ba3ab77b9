"""Reading students' answers: the helpers the lessons' checkers share.

A reader takes the raw answer and returns ``(value, problem)``: the value in the
form the checker compares (a float, an int) and ``None``, or ``None`` and the
sentence the student sees. A ``*_problem`` helper returns only that sentence
(or ``None`` when there is nothing to say). The sentences are what the students
read, and the lessons' tests check them: change them only on purpose.

Nothing here imports TensorFlow or Keras at module level; a helper that must
inspect a Keras object imports Keras when it is called.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "activation_name",
    "function_problem",
    "image_input_problem",
    "is_whole",
    "keras_class_problem",
    "keras_model_problem",
    "number",
    "text_problem",
    "true_or_false_problem",
    "type_problem",
    "whole",
    "whole_number",
]


# --- sentences ---------------------------------------------------------------


def type_problem(what: str, answer: Any) -> str:
    """The answer is of the wrong kind altogether.

    Example:
        >>> type_problem("a number", [1])
        'Expected a number. Received: an object of type list.'
    """
    return f"Expected {what}. Received: an object of type {type(answer).__name__}."


def text_problem(answer: str, fix: str) -> str:
    """The answer is a string where a value was asked for; ``fix`` says what to write.

    Example:
        >>> text_problem("2.3", "give a number (without quotes).")
        "Your answer is the text '2.3'; give a number (without quotes)."
    """
    return f"Your answer is the text {answer!r}; {fix}"


def true_or_false_problem(clause: str) -> str:
    """The answer is a bool; ``clause`` says what it should be, e.g. "a loss is a number"."""
    return f"Your answer is True or False; {clause}."


def function_problem(answer: Any, *, name: str) -> str | None:
    """A sentence when the answer is not a function (often: the result of calling it), else None.

    Example:
        >>> function_problem(0.5, name="replica_loss")
        'Expected a function such as replica_loss (its name, without calling it). Received: an object of type float.'
    """
    if callable(answer):
        return None
    return type_problem(f"a function such as {name} (its name, without calling it)", answer)


# --- numbers -----------------------------------------------------------------


def is_whole(value: Any) -> bool:
    """True for an int or a NumPy integer; False for a bool, a float and anything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def number(
    answer: Any,
    *,
    what: str,
    text_fix: str = "give a number (without quotes).",
    through_numpy: bool = False,
    kind: str = "a number",
) -> tuple[float | None, str | None]:
    """The answer as a float, or why it is not one number.

    ``what`` names the number in the sentence for a bool ("a loss" gives "...;
    a loss is a number.", ``kind`` replacing "a number" there); ``text_fix``
    ends the sentence for a string.

    Two ways of reading the rest:

    * ``through_numpy=False``: a Python or NumPy real number, or anything with
      shape ``()`` or one value that converts (a 0-d array, a scalar tensor).
      Anything else is "Expected a number".
    * ``through_numpy=True``: whatever NumPy reads as integers or floats (a
      tensor through its ``.numpy()``, a list), if it holds exactly one value;
      several values get a sentence that counts them.

    Example:
        >>> number(np.float32(2.5), what="a loss")
        (2.5, None)
        >>> number(True, what="a loss")
        (None, 'Your answer is True or False; a loss is a number.')
    """
    if isinstance(answer, bool):
        return None, true_or_false_problem(f"{what} is {kind}")
    if isinstance(answer, str):
        return None, text_problem(answer, text_fix)
    if through_numpy:
        if hasattr(answer, "numpy"):
            answer = answer.numpy()
        array = np.asarray(answer)
        if array.dtype.kind not in "iuf":
            return None, type_problem("a number", answer)
        if array.size != 1:
            return None, (f"Expected one number (a scalar). "
                          f"Received: {array.size} values of shape {array.shape}.")
        return float(array.reshape(())), None
    if isinstance(answer, numbers.Real):
        return float(answer), None
    if getattr(answer, "shape", None) == () or getattr(answer, "size", None) == 1:
        try:  # a NumPy 0-d array or a scalar tensor from the lesson's code
            return float(np.asarray(answer).reshape(())), None
        except (TypeError, ValueError):
            pass
    return None, type_problem("a number", answer)


def whole(value: numbers.Real, *, why: str) -> tuple[int | None, str | None]:
    """A real number already read (an int, a float, a NumPy scalar) as an int, or why not.

    An integer-valued float such as 1875.0 is fine; otherwise the sentence is
    "<value> is not a whole number: <why>", with ``value`` written as given.

    Example:
        >>> whole(1875.0, why="steps are whole.")
        (1875, None)
        >>> whole(468.75, why="steps are whole.")
        (None, '468.75 is not a whole number: steps are whole.')
    """
    if isinstance(value, numbers.Integral):
        return int(value), None
    if float(value).is_integer():
        return int(value), None
    return None, f"{value} is not a whole number: {why}"


def whole_number(
    answer: Any,
    *,
    what: str,
    why: str,
    text_fix: str = "give a number (without quotes).",
    kind: str = "a number",
) -> tuple[int | None, str | None]:
    """The answer as an int: :func:`number`, then :func:`whole`; or why it is not one.

    ``what``, ``text_fix`` and ``kind`` go to :func:`number`, ``why`` to :func:`whole`.

    Example:
        >>> whole_number(np.float64(1875.0), what="a number of steps", why="steps are whole.")
        (1875, None)
        >>> whole_number(True, what="a count", why="counts are whole.", kind="a whole number")
        (None, 'Your answer is True or False; a count is a whole number.')
    """
    value, problem = number(answer, what=what, text_fix=text_fix, kind=kind)
    if problem:
        return None, problem
    return whole(value, why=why)


# --- Keras models --------------------------------------------------------------


def keras_class_problem(answer: Any, *, named: str = "") -> str | None:
    """A sentence when the answer is a Keras model class rather than a model, else None.

    ``named`` goes into the sentence: "That is the class keras.Sequential itself; ..."
    with ``named="keras.Sequential"``, "That is the class itself; ..." without.
    """
    import keras

    if isinstance(answer, type) and issubclass(answer, keras.Model):
        the_class = f"the class {named} itself" if named else "the class itself"
        return f"That is {the_class}; build a model: keras.Sequential([...])."
    return None


def keras_model_problem(answer: Any, *, named: str = "", sequential: bool = False) -> str | None:
    """Why the answer is not a Keras model (a class, one layer, something else), or None.

    ``named`` goes to :func:`keras_class_problem`; with ``sequential=True`` the
    model must be a ``keras.Sequential``, otherwise any ``keras.Model`` will do.
    """
    import keras

    problem = keras_class_problem(answer, named=named)
    if problem:
        return problem
    if isinstance(answer, keras.layers.Layer) and not isinstance(answer, keras.Model):
        return f"That is one layer ({type(answer).__name__}); put the layers in keras.Sequential([...])."
    if sequential and not isinstance(answer, keras.Sequential):
        return type_problem("a keras.Sequential model", answer)
    if not isinstance(answer, keras.Model):
        return type_problem("a Keras model", answer)
    return None


def image_input_problem(model: Any, image_shape: tuple[int, ...]) -> str | None:
    """Why a built Keras model does not take one image of ``image_shape``, or None."""
    input_shape = tuple(model.inputs[0].shape[1:]) if model.inputs else None
    if input_shape == image_shape:
        return None
    size = "×".join(str(n) for n in image_shape)
    return (f"The input should be one {size} image, keras.Input(shape={image_shape}); "
            f"yours is {input_shape}.")


def activation_name(layer: Any) -> str:
    """The name of a layer's activation ("relu", "softmax", "linear"), or its str()."""
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", str(activation))
