"""Array coercions shared by the modules that take images, labels and models.

Each function turns what a student passes (a list, a NumPy array, a Keras
variable or tensor) into the NumPy array the helpers work with, or raises a
Keras-style "Expected … Received …" error naming the argument. The picture
modules (``predictions``, ``weights``) and the explorers (``widgets``) check
their inputs the same way because they use the same functions.

NumPy only: models and tensors are recognised by what they have (``layers``,
``numpy()``), so nothing here imports TensorFlow.

Example:
    >>> as_labels("labels", [3, 1, 4])
    array([3, 1, 4])
    >>> as_labels("labels", [[0, 1], [1, 0]])
    Traceback (most recent call last):
    ...
    ValueError: Expected a 1-D array of class labels. Received: labels=ndarray of shape (2, 2) and dtype int64. For one-hot labels or probabilities take array.argmax(axis=1).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tfcourse._validation import expected


class NonFiniteImageWarning(UserWarning):
    """Some images hold NaN or infinite pixels, which draw as blank."""


def is_model(obj: Any) -> bool:
    """True for a Keras model (anything with ``layers`` and ``get_layer``)."""
    return hasattr(obj, "layers") and callable(getattr(obj, "get_layer", None))


def to_numpy(value: Any) -> np.ndarray:
    """A NumPy array of ``value``; Keras variables and TF tensors go through ``.numpy()``."""
    # Both have .numpy(), which returns a copy.
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value)


def as_array(name: str, value: Any) -> np.ndarray:
    """``np.asarray(value)``, or a TypeError naming ``name``."""
    try:
        return np.asarray(value)
    except (TypeError, ValueError):
        raise TypeError(expected("an array", name, value)) from None


def numeric_array(name: str, value: Any) -> np.ndarray:
    """``value`` as an array of booleans, integers or floats, else a TypeError.

    Example:
        >>> numeric_array("pixels", [["a"]])
        Traceback (most recent call last):
        ...
        TypeError: Expected a numeric array. Received: pixels=[['a']] (type list).
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        raise TypeError(expected("a numeric array", name, value)) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(expected("a numeric array", name, value))
    return array


def as_labels(name: str, value: Any, *, length: int | None = None) -> np.ndarray:
    """Integer class labels as a 1-D int64 array, or a ValueError naming ``name``."""
    array = as_array(name, value)
    if array.ndim == 2:
        raise ValueError(
            expected(
                "a 1-D array of class labels",
                name,
                array,
                hint="For one-hot labels or probabilities take array.argmax(axis=1).",
            )
        )
    if array.ndim != 1:
        raise ValueError(expected("a 1-D array of class labels", name, array))
    if array.size == 0:
        raise ValueError(expected("at least one label", name, array))
    if array.dtype.kind == "b" or array.dtype.kind not in "iuf":
        raise ValueError(expected("whole-number class labels (0, 1, 2, ...)", name, array))
    if array.dtype.kind == "f" and not (np.all(np.isfinite(array)) and np.all(array == np.round(array))):
        raise ValueError(expected("whole-number class labels (0, 1, 2, ...)", name, array))
    labels = array.astype(np.int64)
    if labels.min() < 0:
        raise ValueError(expected("class labels of 0 or more", name, array, hint=f"Smallest: {labels.min()}."))
    if length is not None and labels.size != length:
        raise ValueError(expected(f"{length} labels, one per example", name, array))
    return labels


def as_probabilities(name: str, value: Any, *, length: int | None = None) -> np.ndarray:
    """Probabilities of shape (examples, classes) as float64, each in [0, 1], else a ValueError."""
    array = as_array(name, value)
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(expected("probabilities of shape (examples, classes)", name, array))
    if array.dtype.kind not in "fiu" or array.dtype.kind == "b":
        raise ValueError(expected("numeric probabilities", name, array))
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
        raise ValueError(
            expected(
                "finite probabilities between 0 and 1",
                name,
                array,
                hint="Logits? Use a softmax output, or keras.ops.softmax(logits).",
            )
        )
    if length is not None and array.shape[0] != length:
        raise ValueError(expected(f"{length} rows, one per example", name, array))
    return array


def as_class_names(value: Any) -> list[str] | None:
    """None, or the class names as a list of strings (from any non-empty sequence)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)) or len(value) == 0:
        raise TypeError(expected("None or a non-empty list of class names", "class_names", value))
    return [str(name) for name in value]


def check_labels_below(name: str, labels: np.ndarray, limit: int, what: str) -> None:
    """Raise a ValueError if a label is ``limit`` or more; ``what`` says where the limit comes from.

    Example:
        >>> check_labels_below("labels", np.array([0, 7]), 5, "one per probability column")
        Traceback (most recent call last):
        ...
        ValueError: Expected class labels from 0 to 4 (one per probability column). Received: labels=ndarray of shape (2,) and dtype int64. Largest: 7.
    """
    if labels.max() >= limit:
        raise ValueError(
            expected(
                f"class labels from 0 to {limit - 1} ({what})",
                name,
                labels,
                hint=f"Largest: {labels.max()}.",
            )
        )


def as_images(images: Any) -> np.ndarray:
    """Images of shape (N, height, width), a trailing channel of 1 dropped; warns about NaN pixels."""
    array = as_array("images", images)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]  # (N, H, W, 1) from a Conv model's input
    if array.ndim == 3 and len(array) == 0:
        raise ValueError(expected("at least one image", "images", images,
                                  hint="The array is empty: check the slice or filter that made it."))
    if array.ndim != 3 or 0 in array.shape:
        raise ValueError(
            expected("images of shape (N, height, width) or (N, height, width, 1)", "images", images)
        )
    if array.dtype.kind not in "fiub":
        raise TypeError(expected("numeric images", "images", images))
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array).all(axis=(1, 2))
        if bad.any():
            warnings.warn(
                f"{int(bad.sum()):,} of {len(array):,} images hold NaN or infinite pixels (the "
                f"first: index {int(np.flatnonzero(bad)[0])}); those pixels draw as blank. Was "
                "something divided by zero, or a model's output plotted by mistake?",
                NonFiniteImageWarning, stacklevel=3)
    return array


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted by the maximum so large logits do not overflow.

    Example:
        >>> softmax(np.array([0.0, 0.0, 1000.0]))
        array([0., 0., 1.])
    """
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def probabilities_from_outputs(outputs: np.ndarray) -> tuple[np.ndarray, bool]:
    """A model's outputs as float64 probabilities, and whether they were logits (softmax applied).

    Example:
        >>> probabilities, from_logits = probabilities_from_outputs(np.array([[0.0, 0.0]]))
        >>> probabilities, from_logits
        (array([[0.5, 0.5]]), True)
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    if looks_like_probabilities(outputs):
        return outputs, False
    return softmax(outputs), True


def looks_like_probabilities(values: np.ndarray) -> bool:
    """True if every row is finite, in [0, 1] and sums to 1 (a softmax output, not logits)."""
    return bool(
        np.all(np.isfinite(values))
        and values.min() >= 0
        and values.max() <= 1
        and np.allclose(values.sum(axis=-1), 1, atol=1e-3)
    )
