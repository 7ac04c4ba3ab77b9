"""WeightExplorer (lesson 05): one first-layer unit at a time, its weights and the images that excite it.

The layer's kernel is read with :func:`tfcourse.weights.dense_kernel`, the
same way :func:`tfcourse.plot_unit_weights` reads it, and epochs come from a
:class:`tfcourse.WeightSnapshots`. See :mod:`tfcourse.widgets` for the
pattern every explorer follows.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from tfcourse import weights
from tfcourse._arrays import is_model, numeric_array, to_numpy
from tfcourse._language import translate
from tfcourse._plotting import WEIGHT_CMAP
from tfcourse._validation import check_bool, check_positive_int, check_whole, expected
from tfcourse.widgets._explorer import Explorer

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = ["WeightExplorer"]

# Every word a student reads in this explorer, in one place. The controls and caption
# speak the lesson's language (translate, tfc.set_language); the figure's words stay
# English, as matplotlib may have no Chinese font. tools/package_catalog.py reads
# the translated ones into the catalog.
TEXT = {
    "unit_slider": "unit",
    "epoch_slider": "epoch",
    "since_start_box": "change since start",
    "weights": "weights",
    "change": "change since start",
    "title": "unit {unit}: {what}{when}",
    "before_training": " before training",
    "at_epoch": ", epoch {epoch}",
    "colorbar_weights": "weight (red +, blue −)",
    "colorbar_change": "weight change (red +, blue −)",
    "top_image": "#{index}\nact {activation:.2f}",
    "source_kernel": "Unit {unit} of the kernel",
    "source_layer": "Unit {unit} of layer {layer!r}",
    "suptitle": "{source}: its {what} and the {count} images that excite it most",
}


def _first_dense_layer(model: Any) -> Any:
    for layer in model.layers:
        if is_model(layer):
            try:
                return _first_dense_layer(layer)
            except ValueError:
                continue
        kernel = getattr(layer, "kernel", None)
        if kernel is not None and len(getattr(kernel, "shape", ())) == 2:
            return layer
    raise ValueError(
        expected(
            "a model with a Dense layer",
            "model_or_layer",
            model,
            hint="No layer of this model has a 2-D kernel; is it built?",
        )
    )


class WeightExplorer(Explorer):
    """One first-layer unit at a time: its weights, and the images that excite it.

    A unit's 784 incoming weights are drawn as a 28×28 picture (red raises
    the unit's output, blue lowers it). Its *activation* for an image is
    ``image · w + b``; the ``k`` images with the highest activation are shown
    beside it. With :class:`tfcourse.WeightSnapshots` recorded during ``fit``,
    a second slider picks the epoch; the colour scale stays the same across
    epochs so a growing weight looks stronger.

    After a short training the random starting weights still dominate the
    picture; ``since_start=True`` (a check box in the widget) draws the change
    since the first snapshot instead: what training added. The top images are
    always ranked by the unit's real activation.

    Args:
        model_or_layer: a built Keras model (its first Dense layer is used), a
            Dense layer, or a kernel array of shape ``(inputs, units)``.
        images: images to rank, shape ``(N, height, width)`` or ``(N, inputs)``,
            preprocessed as for the model (optional).
        snapshots: a ``WeightSnapshots`` of this layer, used in ``fit``
            (optional).
        since_start: draw the change since the first snapshot (needs
            ``snapshots``).
        k: how many top images to show.
        image_shape: ``(height, width)`` of a picture; default: a square.

    Example:
        >>> import keras, tfcourse as tfc
        >>> model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
        ...     keras.layers.Dense(16, name="hidden"), keras.layers.Dense(10, activation="softmax")])
        >>> model.compile("sgd", "sparse_categorical_crossentropy")
        >>> x_train = np.random.default_rng(0).random((32, 28, 28), "float32")   # MNIST in the lesson
        >>> snaps = tfc.WeightSnapshots("hidden")
        >>> _ = model.fit(x_train, np.arange(32) % 10, epochs=2, verbose=0, callbacks=[snaps])
        >>> explorer = tfc.WeightExplorer(model, images=x_train, snapshots=snaps)
        >>> explorer.select(unit=5, epoch=1).state["epoch"]
        1
        >>> len(explorer.state["top_indices"])   # the 8 images that excite unit 5 most
        8
        >>> explorer          # last line of a cell: the sliders and the pictures
        WeightExplorer(layer='hidden', unit=5 of 16, epoch=1)
    """

    _css_class = "tfc-weight-explorer"

    def __init__(
        self,
        model_or_layer: Any,
        *,
        images: Any = None,
        snapshots: Any = None,
        since_start: bool = False,
        k: int = 8,
        image_shape: tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        if is_model(model_or_layer):
            self._layer = _first_dense_layer(model_or_layer)
        else:
            self._layer = model_or_layer
        kernel, self._layer_name = weights.dense_kernel(self._layer, "model_or_layer")
        self._num_inputs, self._num_units = kernel.shape
        self._picture_shape = weights.picture_shape(self._num_inputs, image_shape)
        self._k = check_positive_int("k", k)
        self._images, self._flat_images = self._check_images(images)
        self._snapshots = self._check_snapshots(snapshots, kernel.shape)
        self._unit = 0
        self._epoch = self._snapshots.epochs[-1] if self._snapshots is not None else None
        self._since_start = False
        self.select(since_start=since_start)

    def _check_images(self, images: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
        if images is None:
            return None, None
        array = numeric_array("images", images)
        if array.ndim == 4 and array.shape[-1] == 1:
            array = array[..., 0]
        if array.ndim not in (2, 3) or len(array) == 0:
            raise ValueError(expected("images of shape (N, height, width) or (N, inputs)", "images", images))
        flat = array.reshape(len(array), -1)
        if flat.shape[1] != self._num_inputs:
            raise ValueError(
                expected(
                    f"images of {self._num_inputs} pixels each, like the layer's inputs",
                    "images",
                    images,
                )
            )
        # float32 once here, not a float64 copy of every image on each slider move.
        flat = flat.astype(np.float32, copy=False)
        return flat.reshape(len(flat), *self._picture_shape), flat

    def _check_snapshots(self, snapshots: Any, kernel_shape: tuple[int, int]) -> Any:
        if snapshots is None:
            return None
        _, kernels = weights.recorded_snapshots(snapshots)
        shape = np.shape(kernels[0])
        if tuple(shape) != tuple(kernel_shape):
            raise ValueError(
                expected(
                    f"snapshots of this layer's kernel, shape {tuple(kernel_shape)}",
                    "snapshots.kernels[0]",
                    kernels[0],
                    hint="Record the same layer: tfc.WeightSnapshots(<its name or index>).",
                )
            )
        return snapshots

    # -- logic ------------------------------------------------------------------
    def select(
        self, *, unit: int | None = None, epoch: int | None = None, since_start: bool | None = None
    ) -> WeightExplorer:
        """Pick a unit (0 to units-1) and, with snapshots, a recorded epoch and the view.

        Example:
            >>> explorer = WeightExplorer(np.zeros((784, 8)))   # a kernel: 784 inputs, 8 units
            >>> explorer.select(unit=3).state["unit"]
            3
        """
        new_unit = self._unit if unit is None else check_whole("unit", unit, 0, self._num_units - 1)
        new_epoch = self._epoch
        if epoch is not None:
            if self._snapshots is None:
                raise ValueError(
                    expected(
                        "no epoch (no snapshots were given)",
                        "epoch",
                        epoch,
                        hint="Record weights with tfc.WeightSnapshots and pass snapshots=... .",
                    )
                )
            recorded = self._snapshots.epochs
            if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral):
                raise TypeError(expected(f"one of the recorded epochs {recorded}", "epoch", epoch))
            if epoch not in recorded:
                raise ValueError(expected(f"one of the recorded epochs {recorded}", "epoch", epoch))
            new_epoch = int(epoch)
        new_since_start = self._since_start
        if since_start is not None:
            new_since_start = check_bool("since_start", since_start)
            if new_since_start and self._snapshots is None:
                raise ValueError(
                    expected(
                        "since_start=False without snapshots (the start was not recorded)",
                        "since_start",
                        since_start,
                        hint="Record weights with tfc.WeightSnapshots and pass snapshots=... .",
                    )
                )
        self._unit, self._epoch, self._since_start = new_unit, new_epoch, new_since_start
        self._refresh()
        return self

    def _kernel_and_bias(self) -> tuple[np.ndarray, np.ndarray]:
        if self._snapshots is not None:
            position = self._snapshots.epochs.index(self._epoch)
            kernel = np.asarray(self._snapshots.kernels[position])
            biases = getattr(self._snapshots, "biases", None)
            bias = biases[position] if isinstance(biases, list) and len(biases) > position else None
        else:
            # Read live, so the explorer follows a model trained after it was made.
            kernel, _ = weights.dense_kernel(self._layer, "model_or_layer")
            bias = getattr(self._layer, "bias", None)
            if bias is not None:
                bias = to_numpy(bias)
        bias = np.zeros(kernel.shape[1], np.float32) if bias is None else np.asarray(bias)
        return kernel, bias

    def _start_column(self) -> np.ndarray:
        return np.asarray(self._snapshots.kernels[0])[:, self._unit]

    def unit_weights(self) -> np.ndarray:
        """The picture drawn: the unit's incoming weights (or, with ``since_start``,
        their change since the first snapshot), shape (height, width)."""
        kernel, _ = self._kernel_and_bias()
        column = kernel[:, self._unit]
        if self._since_start:
            column = column - self._start_column()
        return column.reshape(self._picture_shape)

    def top_images(self) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the ``k`` images with the highest activation, and the activations.

        Activation is ``image · w + b`` for the selected unit, before the
        layer's activation function; highest first.
        """
        if self._flat_images is None:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        kernel, bias = self._kernel_and_bias()
        activations = self._flat_images @ kernel[:, self._unit].astype(np.float32) + np.float32(bias[self._unit])
        order = np.argsort(-activations, kind="stable")[: self._k]  # ties keep dataset order
        return order, activations[order]

    @property
    def state(self) -> dict[str, Any]:
        """``unit, units, epoch, epochs, since_start, top_indices, top_activations``."""
        indices, activations = self.top_images()
        return {
            "unit": self._unit,
            "units": self._num_units,
            "epoch": self._epoch,
            "epochs": None if self._snapshots is None else list(self._snapshots.epochs),
            "since_start": self._since_start,
            "top_indices": [int(i) for i in indices] if self._images is not None else None,
            "top_activations": [float(a) for a in activations] if self._images is not None else None,
        }

    def __repr__(self) -> str:
        epoch = "" if self._epoch is None else f", epoch={self._epoch}"
        return f"WeightExplorer(layer={self._layer_name!r}, unit={self._unit} of {self._num_units}{epoch})"

    # -- picture ----------------------------------------------------------------
    @property
    def _columns(self) -> int:
        return math.ceil(min(self._k, len(self._images)) / 2) if self._images is not None else 0

    @property
    def _figsize(self) -> tuple[float, float]:
        return (3.4 + 1.25 * self._columns, 3.2)

    def _colour_limit(self) -> float:
        # One scale for this unit across all recorded epochs, so training that
        # strengthens a weight shows as a deeper colour.
        if self._snapshots is not None:
            start = self._start_column() if self._since_start else 0
            columns = [np.asarray(k)[:, self._unit] - start for k in self._snapshots.kernels]
        else:
            columns = [self.unit_weights().ravel()]
        values = np.abs(np.concatenate(columns))
        values = values[np.isfinite(values)]
        return float(values.max()) if values.size and values.max() > 0 else 1.0

    def _draw(self, fig: Figure) -> None:
        from matplotlib.ticker import MaxNLocator

        columns = self._columns
        grid = fig.add_gridspec(2, 1 + columns, width_ratios=[2.2] + [1] * columns)
        ax = fig.add_subplot(grid[:, 0])
        limit = self._colour_limit()
        image = ax.imshow(self.unit_weights(), cmap=WEIGHT_CMAP, vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_axis_off()
        if self._epoch is None:
            when = ""
        else:
            when = TEXT["before_training"] if self._epoch == 0 else TEXT["at_epoch"].format(epoch=self._epoch)
        what = TEXT["change"] if self._since_start else TEXT["weights"]
        ax.set_title(TEXT["title"].format(unit=self._unit, what=what, when=when), fontsize="medium")
        label = TEXT["colorbar_change"] if self._since_start else TEXT["colorbar_weights"]
        colorbar = fig.colorbar(image, ax=ax, location="bottom", shrink=0.9, label=label)
        # Three ticks (−, 0, +): five would run into each other under a small picture.
        colorbar.locator = MaxNLocator(nbins=2, symmetric=True)
        if columns:
            indices, activations = self.top_images()
            for position, (index, activation) in enumerate(zip(indices, activations)):
                panel = fig.add_subplot(grid[position // columns, 1 + position % columns])
                panel.imshow(self._images[index], cmap="gray_r", interpolation="nearest")
                panel.set_title(TEXT["top_image"].format(index=index, activation=activation), fontsize="small")
                panel.set_axis_off()
            fig.suptitle(TEXT["suptitle"].format(source=self._source(), what=what, count=len(indices)))
        else:
            fig.suptitle(self._source())

    def _source(self) -> str:
        if self._layer_name is None:
            return TEXT["source_kernel"].format(unit=self._unit)
        return TEXT["source_layer"].format(unit=self._unit, layer=self._layer_name)

    # -- widget -----------------------------------------------------------------
    def _build_widget(self) -> Any:
        import ipywidgets as widgets

        style = {"description_width": "60px"}
        # continuous_update=False: one redraw when the slider is let go, not
        # one per pixel dragged (each redraw is a matplotlib figure).
        self._unit_slider = widgets.IntSlider(
            value=self._unit, min=0, max=self._num_units - 1, description=translate(TEXT["unit_slider"]),
            continuous_update=False, style=style, layout=widgets.Layout(width="420px"),
        )
        self._unit_slider.observe(
            lambda change: None if self._syncing else self.select(unit=change["new"]), names="value"
        )
        controls = [self._unit_slider]
        self._epoch_slider = None
        if self._snapshots is not None:
            self._epoch_slider = widgets.SelectionSlider(
                options=list(self._snapshots.epochs), value=self._epoch, description=translate(TEXT["epoch_slider"]),
                continuous_update=False, style=style, layout=widgets.Layout(width="420px"),
            )
            self._epoch_slider.observe(
                lambda change: None if self._syncing else self.select(epoch=change["new"]), names="value"
            )
            controls.append(self._epoch_slider)
            self._since_start_box = widgets.Checkbox(
                value=self._since_start, description=translate(TEXT["since_start_box"]), indent=False,
                layout=widgets.Layout(width="180px"),
            )
            self._since_start_box.observe(
                lambda change: None if self._syncing else self.select(since_start=change["new"]), names="value"
            )
            controls.append(self._since_start_box)
        self._image = self._image_widget()
        return widgets.VBox([widgets.HBox(controls), self._image])

    def _sync_controls(self) -> None:
        self._unit_slider.value = self._unit
        if self._epoch_slider is not None:
            self._epoch_slider.value = self._epoch
            self._since_start_box.value = self._since_start
