"""Exercises of lesson 07, improving the model: Adam, Dropout and a small CNN.

Each checker recomputes what a right answer must be from the sizes in the
question (a Conv2D layer with a k×k kernel, c input channels and f filters
holds ``k×k×c×f + f`` numbers; an unpadded k×k convolution shrinks a side of n
pixels to ``n − k + 1``; 2×2 pooling halves it, rounding down), so a right
answer reached another way passes too. Keras is imported only when an answer
must be inspected as a model.

``cnn_parameters``, ``small_cnn_problem`` and ``read_parameter_count`` are shared with lesson 08, whose
exercise builds the same CNN for colour images.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

from tfcourse.exercises._answers import (
    activation_name,
    image_input_problem,
    is_whole,
    keras_model_problem,
    text_problem,
    type_problem,
    whole_number,
)
from tfcourse.exercises._core import exercise

__all__: list[str] = []  # the exercises register themselves; nothing to import

CLASSES = 10
POOL = 2  # MaxPooling2D's default pool_size, along each side

# The lesson's CNN: Conv2D(16, 3) → pool → Conv2D(32, 3) → pool → Flatten → Dense(10).
LESSON_FILTERS = (16, 32)
LESSON_KERNEL = 3
MNIST_IMAGE = (28, 28, 1)

# Exercise 07.1: a bigger convolution deeper in a network.
KERNEL_07_1 = 5
IN_CHANNELS_07_1 = 32
FILTERS_07_1 = 64
FEATURE_MAP_SIDE_07_1 = 13  # given in the question; a right count does not use it

# Exercise 07.2: the shape after one convolution and one pooling.
FILTERS_07_2 = 8
KERNEL_07_2 = 5

# Exercise 07.3: the lesson's CNN with Dropout before its output layer.
DROPOUT_RATE_07_3 = 0.5


# --- formulas ------------------------------------------------------------------


def conv_parameters(kernel: int, in_channels: int, filters: int, *, use_bias: bool = True) -> int:
    """Numbers held by a Conv2D layer: a kernel×kernel×in_channels block per filter, plus its bias.

    Example:
        >>> conv_parameters(3, 1, 16)
        160
    """
    return kernel * kernel * in_channels * filters + (filters if use_bias else 0)


def conv_pool_side(side: int, kernel: int, *, pool: int = POOL, padding: str = "valid") -> int:
    """The side of a feature map after an unstrided convolution and a pooling.

    Example:
        >>> conv_pool_side(28, 3)
        13
    """
    after_conv = side - kernel + 1 if padding == "valid" else side
    return after_conv // pool


def cnn_parameters(
    image_shape: tuple[int, int, int],
    filters: Sequence[int] = LESSON_FILTERS,
    kernel: int = LESSON_KERNEL,
    classes: int = CLASSES,
) -> int:
    """Parameters of the lesson's CNN shape: (Conv2D + 2×2 pooling) per filter count, Flatten, Dense.

    Example:
        >>> cnn_parameters((28, 28, 1))
        12810
    """
    height, width, channels = image_shape
    total = 0
    for count in filters:
        total += conv_parameters(kernel, channels, count)
        height, width, channels = conv_pool_side(height, kernel), conv_pool_side(width, kernel), count
    flat = height * width * channels
    return total + flat * classes + classes


# --- reading answers -------------------------------------------------------------


def read_parameter_count(answer: Any) -> tuple[int | None, str | None]:
    """The answer as an int, or why it cannot be one (51264.0 is fine)."""
    return whole_number(answer, what="a parameter count", kind="a whole number",
                        text_fix="give a number instead, e.g. 3 * 3 * 1 * 16 + 16, without quotes.",
                        why="a layer holds a whole number of weights.")


def _shape(answer: Any) -> tuple[tuple | None, str | None]:
    """The answer as a tuple of ints (None kept for a batch axis), or why not."""
    if isinstance(answer, str):
        return None, text_problem(answer, "give a tuple of numbers, e.g. (26, 26, 16), without quotes.")
    if isinstance(answer, bool) or isinstance(answer, numbers.Number):
        return None, "Expected a shape: a tuple of three numbers (height, width, channels), not one number."
    if hasattr(answer, "as_list"):  # a TensorShape
        answer = answer.as_list()
    elif hasattr(answer, "tolist") and getattr(answer, "ndim", None) == 1:  # a NumPy array
        answer = answer.tolist()
    if not isinstance(answer, (tuple, list)):
        return None, type_problem("a tuple such as (26, 26, 16)", answer)
    shape = []
    for size in answer:
        if size is None:
            shape.append(None)
        elif is_whole(size):
            shape.append(int(size))
        elif isinstance(size, numbers.Real) and float(size).is_integer():
            shape.append(int(size))
        else:
            return None, f"Every size in a shape is a whole number; {size!r} is not."
    return tuple(shape), None


# --- the exercises ----------------------------------------------------------------


@exercise(
    "07.1",
    question=f"A Conv2D({FILTERS_07_1}, kernel_size={KERNEL_07_1}) layer receives feature maps of "
    f"{FEATURE_MAP_SIDE_07_1}×{FEATURE_MAP_SIDE_07_1}×{IN_CHANNELS_07_1} (height × width × channels). "
    "How many parameters does it have?",
    hints=(
        "Each filter is a small block of weights that spans every input channel, plus "
        "one bias; the same weights serve every position, so the maps' height and "
        "width do not enter the count.",
        "Section 4's formula: kernel height × kernel width × input channels × filters "
        "+ filters.",
    ),
)
def _bigger_convolution(answer: Any) -> str | None:
    value, problem = read_parameter_count(answer)
    if problem:
        return problem
    k, c, f = KERNEL_07_1, IN_CHANNELS_07_1, FILTERS_07_1
    right = conv_parameters(k, c, f)
    if value == right:
        return None
    side = FEATURE_MAP_SIDE_07_1
    slips = {
        conv_parameters(k, c, f, use_bias=False):
            f"{value:,} counts the kernels only: each of the {f} filters also has a bias.",
        k * k * c * f + c:
            f"There is one bias per filter ({f} of them), not one per input channel.",
        conv_parameters(k, 1, f):
            f"Each filter looks at all {c} input channels at once: its kernel is {k}×{k}×{c}.",
        k * c * f + f:
            f"The kernel is {k}×{k}: {k * k} weights per input channel, not {k}.",
        conv_parameters(LESSON_KERNEL, c, f):
            f"That is the count for the lesson's {LESSON_KERNEL}×{LESSON_KERNEL} kernel; here it is {k}×{k}.",
        side * side * c * f + f:
            "That connects every pixel to every filter, like a Dense layer. A convolution reuses "
            f"its {k}×{k}×{c} kernel at every position, so the image size does not enter the count.",
        right * side * side:
            "The same kernel is reused at every position: count its weights once, not per position.",
    }
    if value in slips:
        return slips[value]
    return f"{value:,} is not the count of a Conv2D({f}, kernel_size={k}) layer on {c} input channels."


@exercise(
    "07.2",
    question=f"A {MNIST_IMAGE[0]}×{MNIST_IMAGE[1]}×{MNIST_IMAGE[2]} image goes through "
    f"Conv2D({FILTERS_07_2}, kernel_size={KERNEL_07_2}) (default padding) and then "
    "MaxPooling2D() (2×2). What is the output shape for one image, as (height, width, channels)?",
    hints=(
        "Follow one side of the image, first through the convolution, then through "
        "the pooling; at the end there is one channel per filter.",
        "An unpadded k×k kernel fits n − k + 1 times along a side of n pixels; 2×2 "
        "pooling halves each side, rounding down (// 2).",
    ),
)
def _conv_pool_shape(answer: Any) -> str | None:
    shape, problem = _shape(answer)
    if problem:
        return problem
    side, _, _ = MNIST_IMAGE
    k, f = KERNEL_07_2, FILTERS_07_2
    out = conv_pool_side(side, k)
    right = (out, out, f)
    if shape == right:
        return None
    if len(shape) == 4 and shape[0] is None and shape[1:] == right:
        return "Keras writes the batch axis as None; leave it out: one image's shape has three numbers."
    if len(shape) != 3:
        return f"Expected three numbers (height, width, channels). Received {len(shape)}: {shape}."
    after_conv = side - k + 1
    slips = {
        (after_conv, after_conv, f): f"{after_conv}×{after_conv} is the size after the convolution; "
                                     "the 2×2 pooling then halves each side.",
        (side // POOL, side // POOL, f): "Conv2D's default padding is 'valid' (no padding): the "
                                         f"{k}×{k} kernel fits only {side} − {k} + 1 = {after_conv} "
                                         "times along each side, before pooling.",
        (out, out, MNIST_IMAGE[2]): f"The channels of a convolution's output are its filters: {f}, "
                                    "whatever the input had.",
        (f, out, out): "Keras puts the channels last: (height, width, channels).",
        ((side - k) // POOL, (side - k) // POOL, f): f"Count the positions again: a {k}-wide kernel "
                                                     f"fits {side} − {k} + 1 times along {side} pixels.",
        (conv_pool_side(side, LESSON_KERNEL),) * 2 + (f,): "That is the lesson's 3×3 kernel; here "
                                                           f"the kernel is {k}×{k}.",
    }
    if shape in slips:
        return slips[shape]
    return f"{shape} is not the shape after Conv2D({f}, {k}) and 2×2 pooling of a {side}×{side} image."


def small_cnn_problem(
    model: Any,
    image_shape: tuple[int, int, int],
    *,
    dropout_rate: float | None = None,
) -> str | None:
    """Why ``model`` is not the lesson's CNN for images of ``image_shape`` (with Dropout
    before the output layer when ``dropout_rate`` is given), or None."""
    import keras

    problem = keras_model_problem(model)
    if problem:
        return problem
    if not model.built or not model.inputs:
        return f"The model has no input shape yet: start it with keras.Input(shape={image_shape})."
    input_shape = tuple(model.inputs[0].shape[1:])
    height, width, channels = image_shape
    accepted = {image_shape} | ({(height, width)} if channels == 1 else set())
    if input_shape not in accepted:
        if channels == 3 and input_shape == (height, width):
            return (f"Colour images have {channels} values per pixel (red, green, blue): "
                    f"keras.Input(shape={image_shape}).")
        return image_input_problem(model, image_shape)
    # A Reshape that only adds the channel axis (as in the lesson) computes nothing.
    layers = [layer for layer in model.layers if type(layer).__name__ != "Reshape"]
    kinds = [type(layer).__name__ for layer in layers]
    wanted = ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    if dropout_rate is not None:
        wanted.insert(5, "Dropout")
        if "Dropout" not in kinds:
            return f"Add keras.layers.Dropout({dropout_rate}) between Flatten and the output layer."
        if kinds != wanted and sorted(kinds) == sorted(wanted):
            return "Put the Dropout between Flatten and the output Dense layer, where the question asks."
    if kinds != wanted:
        return f"Expected the layers {', '.join(wanted)}. Received: {', '.join(kinds) or 'no layers'}."
    convs = [layer for layer, kind in zip(layers, kinds) if kind == "Conv2D"]
    for layer, filters in zip(convs, LESSON_FILTERS):
        if layer.filters != filters or tuple(layer.kernel_size) != (LESSON_KERNEL, LESSON_KERNEL):
            return (f"Keep the lesson's convolutions: Conv2D({LESSON_FILTERS[0]}, {LESSON_KERNEL}) then "
                    f"Conv2D({LESSON_FILTERS[1]}, {LESSON_KERNEL}). Received: Conv2D({layer.filters}, "
                    f"{tuple(layer.kernel_size)}).")
        if layer.padding != "valid" or tuple(layer.strides) != (1, 1):
            return "Keep Conv2D's defaults for padding and strides, as in the lesson."
        if activation_name(layer) != "relu":
            return f"The convolutions use activation='relu'; one uses {activation_name(layer)!r}."
    if any(tuple(layer.pool_size) != (POOL, POOL) for layer in layers if isinstance(layer, keras.layers.MaxPooling2D)):
        return "Keep MaxPooling2D's default 2×2 pool, as in the lesson."
    if dropout_rate is not None:
        dropout = layers[kinds.index("Dropout")]
        if not math.isclose(dropout.rate, dropout_rate):
            return f"The Dropout rate is {dropout.rate:g}; the question asks for {dropout_rate:g}."
    output = layers[-1]
    if output.units != CLASSES or activation_name(output) != "softmax":
        return f"The last layer should be Dense({CLASSES}, activation='softmax'), one probability per class."
    right = cnn_parameters(image_shape)
    if model.count_params() != right:
        return f"This CNN should have {right:,} parameters; yours has {model.count_params():,}."
    return None


@exercise(
    "07.3",
    question=f"Build the lesson's CNN (Conv2D({LESSON_FILTERS[0]}, {LESSON_KERNEL}), MaxPooling2D, "
    f"Conv2D({LESSON_FILTERS[1]}, {LESSON_KERNEL}), MaxPooling2D, Flatten, Dense({CLASSES}, softmax)) "
    f"with Dropout({DROPOUT_RATE_07_3}) between Flatten and the output layer. The answer is the "
    "model (no need to compile or train it).",
    hints=(
        "Start from the layers of the lesson's small_cnn and add one layer between "
        "Flatten and the output. Dropout learns nothing: predict the count first.",
        "keras.layers.Dropout(0.5) goes right after keras.layers.Flatten(); then "
        "answer.count_params() should equal cnn.count_params().",
    ),
)
def _cnn_with_dropout(answer: Any) -> str | None:
    return small_cnn_problem(answer, MNIST_IMAGE, dropout_rate=DROPOUT_RATE_07_3)
