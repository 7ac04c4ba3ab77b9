"""A drawing made into an MNIST image, the way MNIST itself was made (lesson 05).

:func:`preprocess_digit` is what :class:`tfcourse.DrawDigit` feeds its model;
it also works on its own, on any picture of a digit (a photo, a scan, an
array drawn by hand). NumPy only.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tfcourse._arrays import numeric_array
from tfcourse._validation import check_bool, expected

__all__ = ["DrawingWarning", "preprocess_digit"]

# MNIST's recipe (LeCun et al.): each digit scaled to fit a 20×20 box, aspect
# ratio kept, then placed in a 28×28 field with its centre of mass at the
# centre. Measured on the MNIST files, that centre is at pixel (14.0, 14.0)
# in row/column indices, not at the geometric 13.5.
MNIST_SIZE = 28
MNIST_BOX = 20
MNIST_CENTRE = 14.0
# Pixels below this share of the brightest pixel are paper, not ink, when the
# digit's bounding box is found (anti-aliasing dust must not widen the box).
INK_THRESHOLD = 0.1


def _area_weights(size_in: int, size_out: int) -> np.ndarray:
    """Matrix (size_out, size_in) averaging input pixels by how much each output covers."""
    step = size_in / size_out
    edges = np.arange(size_out + 1) * step
    low, high = edges[:-1, None], edges[1:, None]
    pixel = np.arange(size_in)[None, :]
    overlap = np.clip(np.minimum(high, pixel + 1) - np.maximum(low, pixel), 0, None)
    return overlap / step


def _area_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    # Area averaging is the anti-aliased scaling that gave MNIST its grey edges.
    return _area_weights(image.shape[0], height) @ image @ _area_weights(image.shape[1], width).T


def _to_gray(pixels: Any, invert: bool) -> np.ndarray:
    array = numeric_array("pixels", pixels)
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[-1] in (1, 3, 4))) or 0 in array.shape:
        raise ValueError(
            expected(
                "a picture of shape (height, width), or (height, width, channels) with 1, 3 or 4 channels",
                "pixels",
                pixels,
            )
        )
    if array.dtype.kind == "b":
        values = array.astype(np.float64)
    elif array.dtype.kind in "iu":
        if array.min() < 0 or array.max() > 255:
            raise ValueError(expected("whole-number pixels from 0 to 255", "pixels", pixels))
        values = array.astype(np.float64) / 255
    else:
        if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
            raise ValueError(
                expected(
                    "float pixels from 0 to 1",
                    "pixels",
                    pixels,
                    hint="Pixels from 0 to 255? Pass them as uint8 or divide by 255 first.",
                )
            )
        values = array.astype(np.float64)
    alpha = None
    if values.ndim == 3:
        if values.shape[-1] == 4:
            alpha = values[..., 3]
        if values.shape[-1] >= 3:
            # ITU-R 601 luma, as Pillow's convert("L").
            values = values[..., :3] @ np.array([0.299, 0.587, 0.114])
        else:
            values = values[..., 0]
    if invert:
        values = 1.0 - values
    if alpha is not None:
        values = values * alpha  # transparent pixels are background (black)
    return values


class DrawingWarning(UserWarning):
    """A drawing that cannot make a good MNIST-style digit (inverted, or a dot)."""


# More ink than this share of the canvas is not a digit (forgot invert=True?);
# an ink box smaller than this many pixels is a dot, not a digit.
MOSTLY_INK = 0.5
TINY_DRAWING = 4


def preprocess_digit(pixels: Any, *, invert: bool = False) -> np.ndarray:
    """Turn a drawing into a 28×28 MNIST image: the same steps MNIST was made with.

    1. grayscale, white digit on black (``invert=True`` for a dark digit on
       light paper), values from 0 to 1;
    2. crop to the digit's bounding box, then scale it (anti-aliased, aspect
       ratio kept) so its longer side is 20 pixels;
    3. place it in a 28×28 field so that its centre of mass falls on the
       centre, pixel (14, 14), as MNIST's digits do.

    The brightest pixel is scaled to 1, as in MNIST where every digit has
    full-white strokes. An empty drawing gives all zeros.

    Args:
        pixels: shape ``(height, width)`` or ``(height, width, 1|3|4)``
            (RGBA: transparent counts as black); uint8 from 0 to 255, floats
            from 0 to 1, or booleans.
        invert: the digit is dark on a light background.

    Returns:
        float32 array of shape (28, 28), values from 0 to 1: feed
        ``image[None]`` to a model trained on ``load_mnist(normalize=True)``.

    Example:
        >>> drawing = np.zeros((280, 280), np.uint8)
        >>> drawing[40:200, 100:130] = 255           # a "1", off-centre
        >>> import tfcourse as tfc
        >>> image = tfc.preprocess_digit(drawing)
        >>> image.shape, image.dtype, float(image.max())
        ((28, 28), dtype('float32'), 1.0)
    """
    invert = check_bool("invert", invert)
    gray = _to_gray(pixels, invert)
    result = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    peak = gray.max()
    if peak <= 0:
        return result
    ink = gray > INK_THRESHOLD * peak
    if ink.mean() > MOSTLY_INK:
        warnings.warn(
            f"{ink.mean():.0%} of the drawing is ink: a digit is thin strokes on an empty "
            "background. A dark digit on light paper? Pass invert=True.", DrawingWarning, stacklevel=2)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = gray[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if max(crop.shape) < TINY_DRAWING and min(gray.shape) >= MNIST_SIZE:
        warnings.warn(
            f"The drawing is only {crop.shape[0]}×{crop.shape[1]} pixels of ink; scaled up to "
            f"fill {MNIST_BOX}×{MNIST_BOX} it becomes a blob, not a digit. Draw bigger.",
            DrawingWarning, stacklevel=2)
    scale = MNIST_BOX / max(crop.shape)
    height = max(1, min(MNIST_BOX, round(crop.shape[0] * scale)))
    width = max(1, min(MNIST_BOX, round(crop.shape[1] * scale)))
    small = _area_resize(crop, height, width)
    small = np.clip(small / small.max(), 0.0, 1.0)
    mass = small.sum()
    centre_row = (small.sum(axis=1) @ np.arange(height)) / mass
    centre_col = (small.sum(axis=0) @ np.arange(width)) / mass
    # Whole-pixel shift: a sub-pixel one would blur the digit. Clipped so the
    # box never leaves the field (a lopsided digit stays whole).
    top = min(max(int(math.floor(MNIST_CENTRE - centre_row + 0.5)), 0), MNIST_SIZE - height)
    left = min(max(int(math.floor(MNIST_CENTRE - centre_col + 0.5)), 0), MNIST_SIZE - width)
    result[top : top + height, left : left + width] = small
    return result
