"""Weight pictures: what a Dense unit looks for, and how the weights are spread.

Lesson use: ``tfc.plot_unit_weights(model.layers[1], units=16)`` after
training on MNIST shows each hidden unit's 784 incoming weights as a 28×28
picture; ``tfc.plot_weight_histograms(model)`` shows the spread of every
layer's kernel and bias. With :class:`tfcourse.WeightSnapshots`,
``plot_unit_across_epochs(snapshots, unit=3)`` shows one unit changing.

No Keras import here: layers and models are recognised by what they have
(``kernel``, ``layers``), so NumPy arrays work the same way.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tfcourse._arrays import is_model, to_numpy
from tfcourse._plotting import VARIABLE_COLORS, WEIGHT_CMAP, new_or_checked_figure
from tfcourse._validation import check_positive_int, expected

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure, FigureBase

__all__ = ["plot_unit_weights", "plot_weight_histograms", "plot_unit_across_epochs", "NonFiniteWeightsWarning"]

# Weights are drawn with WEIGHT_CMAP (tfcourse._plotting): red raises the
# unit's output, blue lowers it; a layer's weight variables get VARIABLE_COLORS.
MAX_DEFAULT_UNITS = 128


class NonFiniteWeightsWarning(UserWarning):
    """Some weights are NaN or infinite: they draw as blank pixels."""


def _layer_name(layer: Any) -> str:
    return getattr(layer, "name", type(layer).__name__)


def dense_kernel(layer_or_kernel: Any, name: str = "layer_or_kernel") -> tuple[np.ndarray, str | None]:
    """A Dense kernel as a NumPy array of shape (inputs, units), and its layer's name.

    Takes a built Dense layer (name: the layer's) or a kernel array (name:
    None); anything else raises a Keras-style error naming ``name``, the
    argument of the caller. The weight explorer reads its layer with it.

    Example:
        >>> kernel, layer_name = dense_kernel(np.zeros((784, 16)))
        >>> kernel.shape, layer_name
        ((784, 16), None)
    """
    if is_model(layer_or_kernel):
        raise TypeError(
            expected(
                "a Dense layer or a kernel array of shape (inputs, units), not a whole model",
                name,
                layer_or_kernel,
                hint="Pick one layer: model.layers[i] or model.get_layer(name).",
            )
        )
    layer_name = None
    if isinstance(layer_or_kernel, np.ndarray) or not hasattr(layer_or_kernel, "weights"):
        kernel = layer_or_kernel
    else:
        layer_name = _layer_name(layer_or_kernel)
        kernel = getattr(layer_or_kernel, "kernel", None)
        if kernel is None:
            if not layer_or_kernel.weights:
                if getattr(layer_or_kernel, "built", True) is False:
                    hint = "It is not built yet: call the model on data (or fit it) first."
                else:
                    hint = "Pick a Dense layer, for example model.layers[1]."
                raise ValueError(
                    expected(
                        "a layer with weights to draw",
                        name,
                        layer_or_kernel,
                        hint=f"Layer {layer_name!r} has no weights to draw. {hint}",
                    )
                )
            raise ValueError(
                expected(
                    "a layer with a kernel (a Dense layer)",
                    name,
                    layer_or_kernel,
                    hint=f"Layer {layer_name!r} has weights but no kernel to draw.",
                )
            )
    try:
        array = to_numpy(kernel)
    except (TypeError, ValueError):
        raise TypeError(expected("a Dense layer or a kernel array of shape (inputs, units)", name, kernel)) from None
    if array.dtype.kind not in "fiu":
        raise TypeError(expected("a numeric kernel of shape (inputs, units)", name, array))
    if array.ndim in (3, 4, 5):
        raise ValueError(
            expected(
                "a Dense kernel of shape (inputs, units)",
                name,
                array,
                hint="This looks like a convolution kernel (height, width, channels, filters); "
                "pass a Dense layer instead, or draw one filter's slice yourself.",
            )
        )
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(expected("a Dense kernel of shape (inputs, units)", name, array))
    return array, layer_name


def picture_shape(num_inputs: int, image_shape: Any) -> tuple[int, int]:
    """The (height, width) to draw ``num_inputs`` weights as: ``image_shape`` checked, else a square.

    Example:
        >>> picture_shape(784, None)
        (28, 28)
        >>> picture_shape(12, (3, 4))
        (3, 4)
    """
    if image_shape is None:
        side = math.isqrt(num_inputs)
        if side * side != num_inputs:
            raise ValueError(
                expected(
                    "a kernel whose input size is a perfect square (like 784 = 28×28), or image_shape",
                    "kernel inputs",
                    num_inputs,
                    hint=f"{num_inputs} inputs is not a square picture: pass image_shape=(height, width).",
                )
            )
        return (side, side)
    if (
        not isinstance(image_shape, Sequence)
        or len(image_shape) != 2
        or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in image_shape)
    ):
        raise TypeError(expected("a (height, width) pair of positive whole numbers", "image_shape", image_shape))
    height, width = int(image_shape[0]), int(image_shape[1])
    if height * width != num_inputs:
        raise ValueError(
            expected(
                f"height × width equal to the kernel's {num_inputs} inputs",
                "image_shape",
                image_shape,
            )
        )
    return (height, width)


def _unit_indices(num_units: int, units: Any) -> list[int]:
    if units is None:
        return list(range(min(num_units, MAX_DEFAULT_UNITS)))
    if isinstance(units, (int, np.integer)) and not isinstance(units, bool):
        if not 1 <= units <= num_units:
            raise ValueError(
                expected(f"a number of units from 1 to {num_units}", "units", units)
            )
        return list(range(int(units)))
    if isinstance(units, (Sequence, np.ndarray)) and not isinstance(units, str):
        indices = list(units)
        if not indices or not all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in indices
        ):
            raise TypeError(expected("a non-empty list of unit indices (whole numbers)", "units", units))
        wrong = [int(i) for i in indices if not 0 <= i < num_units]
        if wrong:
            raise ValueError(
                expected(f"unit indices from 0 to {num_units - 1}", "units", units, hint=f"Out of range: {wrong}.")
            )
        return [int(i) for i in indices]
    raise TypeError(expected("None, a number of units or a list of unit indices", "units", units))


def _draw_image_grid(
    fig: FigureBase,
    pictures: Sequence[np.ndarray],
    titles: Sequence[str],
    ncols: int,
) -> Any:
    """Draw ``pictures`` in a grid on one symmetric colour scale; return the colorbar.

    NaN or infinite weights cannot be drawn: a warning names the pictures that
    hold them, and each such panel's title says so.
    """
    broken = [i for i, p in enumerate(pictures) if not np.isfinite(p).all()]
    if broken:
        warnings.warn(
            f"{len(broken)} of {len(pictures)} weight pictures hold NaN or infinite weights "
            f"(drawn blank there; the first: {titles[broken[0]]!r}). Training diverged? "
            "Try a smaller learning rate.", NonFiniteWeightsWarning, stacklevel=3)
        titles = [f"{t} (NaN!)" if i in broken else t for i, t in enumerate(titles)]
    finite = [np.abs(p[np.isfinite(p)]) for p in pictures]
    limit = max((float(f.max()) for f in finite if f.size), default=0.0) or 1.0
    nrows = math.ceil(len(pictures) / ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    image = None
    for ax, picture, title in zip(axes, pictures, titles):
        image = ax.imshow(picture, cmap=WEIGHT_CMAP, vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(title, fontsize="small")
        ax.set_axis_off()
    for ax in axes[len(pictures):]:
        ax.remove()
    shown = list(axes[: len(pictures)])
    return fig.colorbar(image, ax=shown, shrink=0.9, label="weight (red +, blue −)")


def _grid_columns(count: int, ncols: Any) -> int:
    if ncols is None:
        return min(count, 16 if count > 64 else 8)
    return min(count, check_positive_int("ncols", ncols))


def plot_unit_weights(
    layer_or_kernel: Any,
    *,
    units: int | Sequence[int] | None = None,
    image_shape: tuple[int, int] | None = None,
    ncols: int | None = None,
    fig: FigureBase | None = None,
) -> Figure | FigureBase:
    """Draw each unit's incoming weights as a picture (Dense kernel columns).

    Red pixels raise the unit's output, blue ones lower it; all panels share one
    colour scale centred on zero, so panels compare.

    Args:
        layer_or_kernel: a built Dense layer, or a kernel array of shape
            ``(inputs, units)``.
        units: how many units to show (the first N), which ones (a list of
            indices), or ``None`` for all of them (at most the first 128).
        image_shape: ``(height, width)`` of one picture; by default the input
            size must be a perfect square (784 → 28×28).
        ncols: panels per row (default 8, or 16 above 64 panels).
        fig: an empty figure to draw in; ``None`` makes a new one.

    Returns:
        The figure: one axes per unit plus the colorbar's.

    Example:
        >>> import tfcourse as tfc
        >>> kernel = np.random.default_rng(0).normal(size=(784, 32))   # or model.layers[1]
        >>> fig = tfc.plot_unit_weights(kernel, units=16)
        >>> fig.get_suptitle()
        'Incoming weights per unit, kernel (16 of 32 units)'
    """
    kernel, layer_name = dense_kernel(layer_or_kernel)
    num_inputs, num_units = kernel.shape
    shape = picture_shape(num_inputs, image_shape)
    indices = _unit_indices(num_units, units)
    columns = _grid_columns(len(indices), ncols)
    rows = math.ceil(len(indices) / columns)
    fig = new_or_checked_figure(fig, (1.05 * columns + 1.2, 1.15 * rows + 0.8))
    _draw_image_grid(
        fig,
        [kernel[:, i].reshape(shape) for i in indices],
        [f"unit {i}" for i in indices],
        columns,
    )
    source = f"layer {layer_name!r}" if layer_name else "kernel"
    shown = f"{len(indices)} of {num_units} units" if len(indices) < num_units else f"all {num_units} units"
    fig.suptitle(f"Incoming weights per unit, {source} ({shown})")
    return fig


def recorded_snapshots(snapshots: Any) -> tuple[list, list]:
    """The ``(epochs, kernels)`` of a WeightSnapshots that has recorded, else a clear error.

    Anything with ``.epochs`` and ``.kernels`` lists counts (duck typing keeps
    Keras out of this module).
    """
    recorded = getattr(snapshots, "epochs", None)
    kernels = getattr(snapshots, "kernels", None)
    if not isinstance(recorded, list) or not isinstance(kernels, list):
        raise TypeError(expected("a WeightSnapshots callback (with .epochs and .kernels)", "snapshots", snapshots))
    if not recorded:
        raise ValueError(
            expected(
                "snapshots recorded during training",
                "snapshots.epochs",
                recorded,
                hint="Pass the WeightSnapshots to model.fit(..., callbacks=[snapshots]) first.",
            )
        )
    return recorded, kernels


def plot_unit_across_epochs(
    snapshots: Any,
    unit: int,
    *,
    epochs: Sequence[int] | None = None,
    image_shape: tuple[int, int] | None = None,
    ncols: int | None = None,
    fig: FigureBase | None = None,
) -> Figure | FigureBase:
    """Draw one unit's incoming weights at each recorded epoch, on one colour scale.

    Args:
        snapshots: a :class:`tfcourse.WeightSnapshots` used in ``fit`` (or
            anything with ``.epochs`` and ``.kernels`` lists).
        unit: the unit (kernel column) to follow.
        epochs: which recorded epochs to show; ``None`` shows all.
        image_shape, ncols, fig: as in :func:`plot_unit_weights`.

    Example:
        >>> import tfcourse as tfc
        >>> snaps = tfc.WeightSnapshots("hidden")    # model.fit(..., callbacks=[snaps]) fills it
        >>> snaps.epochs = [0, 1, 2]                 # here: three kernels made up by hand
        >>> snaps.kernels = [np.full((784, 4), epoch, "float32") for epoch in snaps.epochs]
        >>> fig = tfc.plot_unit_across_epochs(snaps, unit=3)
        >>> [ax.get_title() for ax in fig.axes[:3]]
        ['epoch 0', 'epoch 1', 'epoch 2']
    """
    recorded, kernels = recorded_snapshots(snapshots)
    if epochs is None:
        chosen = list(recorded)
    else:
        if isinstance(epochs, (str, bytes)) or not isinstance(epochs, (Sequence, np.ndarray)) or len(epochs) == 0:
            raise TypeError(expected("None or a non-empty list of recorded epochs", "epochs", epochs))
        missing = [e for e in epochs if e not in recorded]
        if missing:
            raise ValueError(expected(f"epochs among the recorded ones {recorded}", "epochs", epochs))
        chosen = list(epochs)
    first_kernel, _ = dense_kernel(kernels[0], "snapshots.kernels[0]")
    num_inputs, num_units = first_kernel.shape
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)):
        raise TypeError(expected("a unit index (a whole number)", "unit", unit))
    if not 0 <= unit < num_units:
        raise ValueError(expected(f"a unit index from 0 to {num_units - 1}", "unit", unit))
    shape = picture_shape(num_inputs, image_shape)
    columns = _grid_columns(len(chosen), ncols)
    rows = math.ceil(len(chosen) / columns)
    fig = new_or_checked_figure(fig, (1.6 * columns + 1.2, 1.7 * rows + 0.8))
    pictures = [np.asarray(kernels[recorded.index(e)])[:, unit].reshape(shape) for e in chosen]
    _draw_image_grid(fig, pictures, [f"epoch {e}" for e in chosen], columns)
    fig.suptitle(f"Unit {unit}'s incoming weights across training")
    return fig


def _layers_with_weights(model_or_layers: Any) -> list[Any]:
    if is_model(model_or_layers):
        candidates = list(model_or_layers.layers)
    elif hasattr(model_or_layers, "weights"):
        candidates = [model_or_layers]
    elif isinstance(model_or_layers, Sequence) and not isinstance(model_or_layers, str) and all(
        hasattr(layer, "weights") for layer in model_or_layers
    ):
        candidates = list(model_or_layers)
    else:
        raise TypeError(expected("a Keras model, a layer or a list of layers", "model_or_layers", model_or_layers))
    found: list[Any] = []
    for layer in candidates:
        if is_model(layer):  # a model nested as a layer: show its own layers
            found.extend(_layers_with_weights(layer))
        elif layer.weights:
            found.append(layer)
    return found


def plot_weight_histograms(
    model_or_layers: Any,
    *,
    bins: int = 50,
    log: bool = False,
    fig: FigureBase | None = None,
) -> Figure | FigureBase:
    """Histogram of each layer's weights: kernel and bias, one panel per layer.

    Args:
        model_or_layers: a built Keras model, one layer or a list of layers.
        bins: histogram bins per weight variable.
        log: count on a log scale, so that the few biases show next to the
            many kernel weights.
        fig: an empty figure to draw in; ``None`` makes a new one.

    Returns:
        The figure, one axes per layer with weights.

    Example:
        >>> import keras, tfcourse as tfc
        >>> model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16, name="hidden"),
        ...                           keras.layers.Dense(10, name="output")])
        >>> fig = tfc.plot_weight_histograms(model)
        >>> [ax.get_title() for ax in fig.axes]
        ['hidden', 'output']
    """
    bins = check_positive_int("bins", bins)
    if not isinstance(log, bool):
        raise TypeError(expected("True or False", "log", log))
    layers = _layers_with_weights(model_or_layers)
    if not layers:
        raise ValueError(
            expected(
                "a model or layers with weights",
                "model_or_layers",
                model_or_layers,
                hint="Nothing to draw: no layer has weights yet (is the model built?).",
            )
        )
    ncols = min(len(layers), 3)
    nrows = math.ceil(len(layers) / ncols)
    fig = new_or_checked_figure(fig, (4.4 * ncols, 3.3 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, layer in zip(axes, layers):
        arrays = [to_numpy(variable).astype(np.float64).ravel() for variable in layer.weights]
        everything = np.concatenate(arrays)
        everything = everything[np.isfinite(everything)]
        # Shared bin edges: a bias of zeros must not stretch the axis or get
        # wider bars than the kernel.
        edges = np.histogram_bin_edges(everything if everything.size else [0.0], bins=bins)
        for index, (variable, values) in enumerate(zip(layer.weights, arrays)):
            short_name = str(getattr(variable, "name", f"weight {index}")).split("/")[-1]
            ax.hist(
                values[np.isfinite(values)],
                bins=edges,
                color=VARIABLE_COLORS[index % len(VARIABLE_COLORS)],
                alpha=0.7 if index == 0 else 0.6,
                log=log,
                label=f"{short_name} ({values.size:,} values)",
            )
        ax.set_title(_layer_name(layer))
        ax.set_xlabel("weight value")
        ax.set_ylabel("count (log scale)" if log else "count")
        ax.legend(fontsize="small")
    for ax in axes[len(layers):]:
        ax.remove()
    fig.suptitle("Weight distributions per layer")
    return fig
