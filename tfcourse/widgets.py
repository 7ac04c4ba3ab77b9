"""Explorers: drag a slider, see the network change (lessons 04 and 05).

- :class:`ParameterExplorer` (lesson 04): layer sizes in, parameter table out,
  with the formula of every row.
- :class:`WeightExplorer` (lesson 05): one first-layer unit's weights as a
  28×28 picture, at any recorded epoch, next to the digits that excite it most.
- :class:`PredictionExplorer` (lesson 05): step through test images, or only
  the mistakes, with the model's probabilities for each.
- :class:`DrawDigit` (lesson 05): draw a digit with the mouse and watch the
  model read it; :func:`preprocess_digit` turns the drawing into an MNIST
  image the way MNIST itself was made.

Every explorer is plain Python first, built the same way:

- ``explorer.state``: a dict of what is shown now (selection and results);
- ``explorer.select(...)``: change the selection (checked like any helper);
- ``explorer.draw()``: the picture as a matplotlib ``Figure`` (made without
  pyplot, so nothing is shown twice); ``explorer.to_png()`` as PNG bytes
  (the parameter explorer's picture is a table: ``table_html()``);
- ``explorer.widget``: the ipywidgets controls, built on first display only.
  A notebook shows an explorer when it is the last expression of a cell.

So scripts, nbval and the unit tests use the logic without a browser, and the
controls only call the explorer's own methods (``select``, ``next``,
``clear``, ...). A figure is shown as a PNG in an
``ipywidgets.Image`` and replaced in place: one output per explorer, never a
pile of frames.

ipywidgets, ipycanvas and matplotlib are imported inside the functions that
need them; this module itself imports only NumPy.
"""

from __future__ import annotations

import html
import io
import math
import warnings
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tfcourse._validation import check_positive_int, expected

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = [
    "DrawDigit",
    "DrawingWarning",
    "ParameterExplorer",
    "PredictionExplorer",
    "WeightExplorer",
    "preprocess_digit",
]

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

# Okabe-Ito colours, the same as tfcourse.predictions: right answers blue,
# mistakes vermillion, other classes grey; the true class is also hatched so
# colour is never the only cue.
RIGHT_COLOR = "#0072B2"
WRONG_COLOR = "#D55E00"
OTHER_COLOR = "#BBBBBB"
TRUE_HATCH = "///"
WRONG_MARK = "✗"
RIGHT_MARK = "✓"
PNG_DPI = 100


# --- shared checks -------------------------------------------------------------


def _check_whole(name: str, value: Any, low: int, high: int) -> int:
    """Return ``value`` as an int if it is a whole number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(expected(f"a whole number from {low} to {high}", name, value))
    if not low <= value <= high:
        raise ValueError(expected(f"a whole number from {low} to {high}", name, value))
    return int(value)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(expected("True or False", name, value))
    return bool(value)


def _numeric_array(name: str, value: Any) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        raise TypeError(expected("a numeric array", name, value)) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(expected("a numeric array", name, value))
    return array


def _is_model(obj: Any) -> bool:
    return hasattr(obj, "layers") and callable(getattr(obj, "get_layer", None))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _looks_like_probabilities(values: np.ndarray) -> bool:
    return bool(
        np.all(np.isfinite(values))
        and values.min() >= 0
        and values.max() <= 1
        and np.allclose(values.sum(axis=-1), 1, atol=1e-3)
    )


def _new_figure(figsize: tuple[float, float]) -> Figure:
    # Not pyplot: a pyplot figure would also be shown by the inline backend
    # and stay in pyplot's list for ever; this one lives only in the explorer.
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI)
    return buffer.getvalue()


# --- the common shape of every explorer -------------------------------------------


class _Explorer:
    """State, ``select``, ``draw`` and a widget built on first display.

    Subclasses implement ``state``, ``_draw(fig)``, ``_figsize`` and
    ``_build_widget()`` (which returns the top box and keeps references to its
    controls), and ``_sync_controls()`` (controls follow the state).
    """

    _css_class = "tfc-explorer"

    def __init__(self) -> None:
        self._box: Any = None
        self._image: Any = None
        self._figure: Figure | None = None
        # True while the controls are being set from the state, so their
        # observers do not call select() again.
        self._syncing = False

    # -- logic ------------------------------------------------------------------
    @property
    def state(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def _figsize(self) -> tuple[float, float]:
        raise NotImplementedError

    def _draw(self, fig: Figure) -> None:
        raise NotImplementedError

    def draw(self) -> Figure:
        """Draw what the explorer shows now and return the figure (redrawn in place)."""
        if self._figure is None:
            self._figure = _new_figure(self._figsize)
        else:
            self._figure.clear()
            self._figure.set_size_inches(*self._figsize)
        self._draw(self._figure)
        return self._figure

    def to_png(self) -> bytes:
        """The current picture as PNG bytes (what the widget shows)."""
        return _png(self.draw())

    # -- widget -----------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The controls and picture as one ipywidgets box (built on first use)."""
        if self._box is None:
            self._box = self._build_widget()
            self._box.add_class("tfc-explorer")
            self._box.add_class(self._css_class)
            self._refresh()
        return self._box

    def _build_widget(self) -> Any:
        raise NotImplementedError

    def _sync_controls(self) -> None:
        raise NotImplementedError

    def _image_widget(self) -> Any:
        import ipywidgets as widgets

        # flex-start: a box would otherwise stretch the PNG to its width and blur it.
        image = widgets.Image(
            format="png", layout=widgets.Layout(max_width="100%", height="auto", align_self="flex-start")
        )
        image.add_class("tfc-figure")
        return image

    def _refresh(self) -> None:
        """After a change: controls follow the state, the picture is redrawn."""
        if self._box is None:
            return  # no widget yet: nothing to update, nothing drawn in vain
        self._syncing = True
        try:
            self._sync_controls()
        finally:
            self._syncing = False
        if self._image is not None:
            self._image.value = self.to_png()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/plain"] = repr(self)
        return bundle


# --- lesson 04: parameters ---------------------------------------------------------


class ParameterExplorer(_Explorer):
    """Sliders for a Dense network's sizes; the parameter table follows live.

    Each row shows its formula (inputs × units + units), so a student sees
    which slider moves which number. Pure Python: no TensorFlow needed.

    Args:
        input_size: inputs per example (784 for a flattened 28×28 image).
        hidden: units of each hidden layer, e.g. ``(128,)`` or ``(256, 128)``.
        classes: units of the output layer.

    Example:
        >>> explorer = tfc.ParameterExplorer(input_size=784, hidden=(128,), classes=10)
        >>> explorer.state["total"]
        101770
        >>> explorer.select(hidden=(32,)).state["total"]
        25450
        >>> explorer          # last line of a cell: the sliders and the table
    """

    _css_class = "tfc-parameter-explorer"
    MAX_INPUT_SIZE = 3072  # 32×32×3, a CIFAR image
    MAX_UNITS = 1024
    MAX_HIDDEN_LAYERS = 4
    MAX_CLASSES = 100
    NEW_LAYER_UNITS = 64

    def __init__(self, *, input_size: int = 784, hidden: Sequence[int] = (128,), classes: int = 10) -> None:
        super().__init__()
        self._input_size = 784
        self._hidden: tuple[int, ...] = (128,)
        self._classes = 10
        self.select(input_size=input_size, hidden=hidden, classes=classes)

    def select(
        self,
        *,
        input_size: int | None = None,
        hidden: Sequence[int] | None = None,
        hidden_layers: int | None = None,
        classes: int | None = None,
    ) -> ParameterExplorer:
        """Change some sizes; the others stay. Returns the explorer.

        ``hidden_layers`` keeps the first layers and adds new ones as wide as
        the last (or 64 units), the way the layer-count slider does.

        Example:
            >>> tfc.ParameterExplorer().select(hidden_layers=2).state["hidden"]
            (128, 128)
        """
        from tfcourse.params import mlp_parameter_table

        new_input = self._input_size if input_size is None else input_size
        new_hidden = self._hidden if hidden is None else hidden
        new_classes = self._classes if classes is None else classes
        # mlp_parameter_table checks every size and says which one is wrong.
        mlp_parameter_table(new_input, new_hidden, new_classes)
        new_hidden = tuple(int(units) for units in new_hidden)
        if hidden_layers is not None:
            if hidden is not None:
                raise ValueError(
                    expected("either hidden or hidden_layers, not both", "hidden_layers", hidden_layers)
                )
            count = _check_whole("hidden_layers", hidden_layers, 0, self.MAX_HIDDEN_LAYERS)
            fill = new_hidden[-1] if new_hidden else self.NEW_LAYER_UNITS
            new_hidden = (new_hidden + (fill,) * count)[:count]
        if len(new_hidden) > self.MAX_HIDDEN_LAYERS:
            raise ValueError(
                expected(f"at most {self.MAX_HIDDEN_LAYERS} hidden layers", "hidden", hidden)
            )
        self._input_size, self._hidden, self._classes = int(new_input), new_hidden, int(new_classes)
        self._refresh()
        return self

    @property
    def table(self) -> Any:
        """The :class:`tfcourse.ParameterTable` of the current sizes."""
        from tfcourse.params import mlp_parameter_table

        return mlp_parameter_table(self._input_size, self._hidden, self._classes)

    @property
    def state(self) -> dict[str, Any]:
        """Sizes and counts: ``input_size, hidden, hidden_layers, classes, total, rows``."""
        table = self.table
        return {
            "input_size": self._input_size,
            "hidden": self._hidden,
            "hidden_layers": len(self._hidden),
            "classes": self._classes,
            "total": table.total,
            "rows": [(row.name, row.params, row.formula) for row in table],
        }

    def table_html(self) -> str:
        """The headline (total and its size in memory) and the table, as HTML."""
        table = self.table
        sizes = " → ".join(str(size) for size in (self._input_size, *self._hidden, self._classes))
        megabytes = table.total * 4 / 1e6
        headline = (
            f'<p class="tfc-total" style="margin:4px 10px;"><b>{table.total:,} parameters</b> '
            f"for layer sizes {html.escape(sizes)} "
            f"({megabytes:.2f} MB as float32, 4 bytes each)</p>"
        )
        return headline + table._repr_html_()

    def __repr__(self) -> str:
        return (
            f"ParameterExplorer(input_size={self._input_size}, hidden={self._hidden}, "
            f"classes={self._classes}, total={self.table.total:,})"
        )

    def draw(self) -> Figure:
        """Not available: the table is the picture (see :meth:`table_html`)."""
        raise NotImplementedError("ParameterExplorer shows a table, not a figure: use table_html() or state")

    def to_png(self) -> bytes:
        """Not available: the table is the picture (see :meth:`table_html`)."""
        raise NotImplementedError("ParameterExplorer shows a table, not a figure: use table_html() or state")

    def _build_widget(self) -> Any:
        import ipywidgets as widgets

        style = {"description_width": "110px"}
        wide = widgets.Layout(width="420px")
        self._input_slider = widgets.IntSlider(
            value=self._input_size, min=1, max=max(self.MAX_INPUT_SIZE, self._input_size),
            description="input size", style=style, layout=wide,
        )
        self._layers_slider = widgets.IntSlider(
            value=len(self._hidden), min=0, max=self.MAX_HIDDEN_LAYERS,
            description="hidden layers", style=style, layout=wide,
        )
        self._classes_slider = widgets.IntSlider(
            value=self._classes, min=1, max=max(self.MAX_CLASSES, self._classes),
            description="classes", style=style, layout=wide,
        )
        self._units_box = widgets.VBox()
        self._units_sliders: list[Any] = []
        self._table_html = widgets.HTML()
        self._table_html.add_class("tfc-table")

        def changed(name: str):
            def handler(change: dict) -> None:
                if not self._syncing:
                    self.select(**{name: change["new"]})

            return handler

        self._input_slider.observe(changed("input_size"), names="value")
        self._layers_slider.observe(changed("hidden_layers"), names="value")
        self._classes_slider.observe(changed("classes"), names="value")
        controls = widgets.VBox([self._input_slider, self._layers_slider, self._units_box, self._classes_slider])
        return widgets.VBox([controls, self._table_html])

    def _units_slider(self, position: int) -> Any:
        import ipywidgets as widgets

        slider = widgets.IntSlider(
            min=1, max=self.MAX_UNITS, description=f"hidden_{position + 1} units",
            style={"description_width": "110px"}, layout=widgets.Layout(width="420px"),
        )

        def handler(change: dict) -> None:
            if not self._syncing:
                hidden = list(self._hidden)
                hidden[position] = change["new"]
                self.select(hidden=hidden)

        slider.observe(handler, names="value")
        return slider

    def _sync_controls(self) -> None:
        self._input_slider.max = max(self._input_slider.max, self._input_size)
        self._input_slider.value = self._input_size
        self._layers_slider.value = len(self._hidden)
        self._classes_slider.max = max(self._classes_slider.max, self._classes)
        self._classes_slider.value = self._classes
        while len(self._units_sliders) < len(self._hidden):
            self._units_sliders.append(self._units_slider(len(self._units_sliders)))
        shown = self._units_sliders[: len(self._hidden)]
        for slider, units in zip(shown, self._hidden):
            slider.max = max(slider.max, units)
            slider.value = units
        self._units_box.children = tuple(shown)
        self._table_html.value = self.table_html()


# --- lesson 05: weights ---------------------------------------------------------------


def _first_dense_layer(model: Any) -> Any:
    for layer in model.layers:
        if _is_model(layer):
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


class WeightExplorer(_Explorer):
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
        >>> snaps = tfc.WeightSnapshots("hidden")
        >>> model.fit(x_train, y_train, epochs=5, callbacks=[snaps])
        >>> explorer = tfc.WeightExplorer(model, images=x_test, snapshots=snaps)
        >>> explorer.select(unit=5, epoch=1).state["epoch"]
        1
        >>> len(explorer.state["top_indices"])   # the 8 test images that excite unit 5 most
        8
        >>> explorer          # last line of a cell: the sliders and the pictures
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
        from tfcourse import weights

        super().__init__()
        if _is_model(model_or_layer):
            self._layer = _first_dense_layer(model_or_layer)
        else:
            self._layer = model_or_layer
        kernel, self._layer_name = weights._kernel_of(self._layer, "model_or_layer")
        self._num_inputs, self._num_units = kernel.shape
        self._picture_shape = weights._image_shape(self._num_inputs, image_shape)
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
        array = _numeric_array("images", images)
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
        from tfcourse import weights

        if snapshots is None:
            return None
        _, kernels = weights._recorded_snapshots(snapshots)
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
            >>> explorer.select(unit=3).state["unit"]
            3
        """
        new_unit = self._unit if unit is None else _check_whole("unit", unit, 0, self._num_units - 1)
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
            new_since_start = _check_bool("since_start", since_start)
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
        from tfcourse import weights

        if self._snapshots is not None:
            position = self._snapshots.epochs.index(self._epoch)
            kernel = np.asarray(self._snapshots.kernels[position])
            biases = getattr(self._snapshots, "biases", None)
            bias = biases[position] if isinstance(biases, list) and len(biases) > position else None
        else:
            # Read live, so the explorer follows a model trained after it was made.
            kernel, _ = weights._kernel_of(self._layer, "model_or_layer")
            bias = getattr(self._layer, "bias", None)
            if bias is not None:
                bias = weights._to_numpy(bias)
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

        from tfcourse.weights import WEIGHT_CMAP

        columns = self._columns
        grid = fig.add_gridspec(2, 1 + columns, width_ratios=[2.2] + [1] * columns)
        ax = fig.add_subplot(grid[:, 0])
        limit = self._colour_limit()
        image = ax.imshow(self.unit_weights(), cmap=WEIGHT_CMAP, vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_axis_off()
        when = "" if self._epoch is None else (" before training" if self._epoch == 0 else f", epoch {self._epoch}")
        what = "change since start" if self._since_start else "weights"
        ax.set_title(f"unit {self._unit}: {what}{when}", fontsize="medium")
        label = "weight change (red +, blue −)" if self._since_start else "weight (red +, blue −)"
        colorbar = fig.colorbar(image, ax=ax, location="bottom", shrink=0.9, label=label)
        # Three ticks (−, 0, +): five would run into each other under a small picture.
        colorbar.locator = MaxNLocator(nbins=2, symmetric=True)
        if columns:
            indices, activations = self.top_images()
            for position, (index, activation) in enumerate(zip(indices, activations)):
                panel = fig.add_subplot(grid[position // columns, 1 + position % columns])
                panel.imshow(self._images[index], cmap="gray_r", interpolation="nearest")
                panel.set_title(f"#{index}\nact {activation:.2f}", fontsize="small")
                panel.set_axis_off()
            fig.suptitle(f"{self._source()}: its {what} and the {len(indices)} images that excite it most")
        else:
            fig.suptitle(self._source())

    def _source(self) -> str:
        if self._layer_name is None:
            return f"Unit {self._unit} of the kernel"
        return f"Unit {self._unit} of layer {self._layer_name!r}"

    # -- widget -----------------------------------------------------------------
    def _build_widget(self) -> Any:
        import ipywidgets as widgets

        style = {"description_width": "60px"}
        # continuous_update=False: one redraw when the slider is let go, not
        # one per pixel dragged (each redraw is a matplotlib figure).
        self._unit_slider = widgets.IntSlider(
            value=self._unit, min=0, max=self._num_units - 1, description="unit",
            continuous_update=False, style=style, layout=widgets.Layout(width="420px"),
        )
        self._unit_slider.observe(
            lambda change: None if self._syncing else self.select(unit=change["new"]), names="value"
        )
        controls = [self._unit_slider]
        self._epoch_slider = None
        if self._snapshots is not None:
            self._epoch_slider = widgets.SelectionSlider(
                options=list(self._snapshots.epochs), value=self._epoch, description="epoch",
                continuous_update=False, style=style, layout=widgets.Layout(width="420px"),
            )
            self._epoch_slider.observe(
                lambda change: None if self._syncing else self.select(epoch=change["new"]), names="value"
            )
            controls.append(self._epoch_slider)
            self._since_start_box = widgets.Checkbox(
                value=self._since_start, description="change since start", indent=False,
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


# --- lesson 05: predictions -----------------------------------------------------------


class PredictionExplorer(_Explorer):
    """Step through images with the model's probabilities; or only its mistakes.

    Args:
        model_or_probabilities: a trained Keras model (``predict`` runs once,
            here, on all ``images``; a logits output gets a softmax), or its
            probabilities already computed, shape ``(N, classes)``.
        images: the images, shape ``(N, height, width)`` (or ``(N, h, w, 1)``).
        labels: their true classes, shape ``(N,)``.
        class_names: names to show instead of class numbers.

    Example:
        >>> explorer = tfc.PredictionExplorer(model.predict(x_test), x_test, y_test)
        >>> explorer.select(mistakes_only=True).state["correct"]   # only mistakes now
        False
        >>> explorer.next().caption()        # the next mistake, e.g.
        '#151: true 9, predicted 4 (61.2%) ✗ · mistake 2 of 243'
        >>> explorer          # last line of a cell: slider, buttons and pictures
    """

    _css_class = "tfc-prediction-explorer"

    def __init__(
        self,
        model_or_probabilities: Any,
        images: Any,
        labels: Any,
        *,
        class_names: Sequence[str] | None = None,
    ) -> None:
        from tfcourse import predictions as P

        super().__init__()
        self._images = P._as_images(images)
        count = len(self._images)
        self._labels = P._as_labels("labels", labels, length=count)
        self.from_logits = False
        if callable(getattr(model_or_probabilities, "predict", None)):
            model = model_or_probabilities
            wanted = _known_input_shape(model)
            one_image = tuple(self._images.shape[1:])  # (height, width), a channel axis dropped
            if wanted is not None and wanted not in (one_image, (*one_image, 1)):
                raise ValueError(expected(
                    f"images of shape (N, {', '.join(map(str, wanted))}), what the model takes",
                    "images", images, hint="Pass the images the model was trained on, e.g. x_test."))
            try:
                predicted = model.predict(images, verbose=0)
            except Exception as err:  # TensorFlow's own message is a graph trace
                raise ValueError(
                    f"model.predict(images) failed with {type(err).__name__}: "
                    f"{str(err).strip().splitlines()[0] if str(err).strip() else ''}. Expected images "
                    "the model can take, like those it was trained on.") from err
            outputs = _numeric_array("model output", predicted)
            if outputs.ndim != 2 or outputs.shape[0] != count:
                raise ValueError(
                    expected("a model whose output has shape (N, classes)", "model output", outputs)
                )
            outputs = outputs.astype(np.float64)
            if not _looks_like_probabilities(outputs):
                outputs = _softmax(outputs)
                self.from_logits = True
            self._probabilities = outputs
        else:
            if isinstance(model_or_probabilities, (str, bytes)) or model_or_probabilities is None:
                raise TypeError(expected(
                    "a trained Keras model (anything with .predict) or its probabilities, an "
                    "array of shape (examples, classes)", "model_or_probabilities",
                    model_or_probabilities))
            self._probabilities = P._as_probabilities("model_or_probabilities", model_or_probabilities, length=count)
        num_classes = self._probabilities.shape[1]
        self._class_names = P._as_class_names(class_names)
        if self._class_names is not None and len(self._class_names) != num_classes:
            raise ValueError(
                expected(f"{num_classes} class names, one per probability column", "class_names", class_names)
            )
        P._check_below("labels", self._labels, num_classes, "one per probability column")
        self._predicted = self._probabilities.argmax(axis=1)
        self._mistakes = np.flatnonzero(self._predicted != self._labels)
        self._mistakes_only = False
        self._index: int | None = 0

    # -- logic ------------------------------------------------------------------
    @property
    def _view(self) -> np.ndarray:
        return self._mistakes if self._mistakes_only else np.arange(len(self._labels))

    def select(
        self,
        *,
        index: int | None = None,
        position: int | None = None,
        mistakes_only: bool | None = None,
    ) -> PredictionExplorer:
        """Pick an image by its index in ``images`` or its position in the view.

        ``mistakes_only=True`` narrows the view to wrong predictions; the
        current image stays if it is one, else the next mistake is shown.

        Example:
            >>> explorer.select(index=42).state["true"]
            4
        """
        if index is not None and position is not None:
            raise ValueError(expected("either index or position, not both", "position", position))
        only = self._mistakes_only if mistakes_only is None else _check_bool("mistakes_only", mistakes_only)
        view = self._mistakes if only else np.arange(len(self._labels))
        current = self._index
        if index is not None:
            current = _check_whole("index", index, 0, len(self._labels) - 1)
            if only and current not in set(self._mistakes.tolist()):
                raise ValueError(
                    expected(
                        "the index of a mistake (mistakes_only is on)",
                        "index",
                        index,
                        hint="Turn mistakes_only off to see every image.",
                    )
                )
        elif position is not None:
            if view.size == 0:
                raise ValueError(expected("no position: there are no mistakes to show", "position", position))
            current = int(view[_check_whole("position", position, 0, view.size - 1)])
        if view.size == 0:
            current = None
        elif current is None or current not in set(view.tolist()):
            later = view[view > (current if current is not None else -1)]
            current = int(later[0]) if later.size else int(view[0])
        self._mistakes_only, self._index = only, current
        self._refresh()
        return self

    def next(self) -> PredictionExplorer:
        """The next image of the view (after the last: the first)."""
        return self._step(+1)

    def previous(self) -> PredictionExplorer:
        """The previous image of the view (before the first: the last)."""
        return self._step(-1)

    def _step(self, direction: int) -> PredictionExplorer:
        view = self._view
        if view.size == 0:
            return self
        position = int(np.searchsorted(view, self._index))
        return self.select(position=(position + direction) % view.size)

    def _name(self, label: int) -> str:
        return self._class_names[label] if self._class_names else str(label)

    @property
    def state(self) -> dict[str, Any]:
        """``index, position, count, mistakes_only, mistakes, true, predicted, confidence, correct``.

        With ``mistakes_only`` and no mistakes, ``index`` and the labels are ``None``.
        """
        view = self._view
        result: dict[str, Any] = {
            "index": self._index,
            "position": None,
            "count": int(view.size),
            "mistakes_only": self._mistakes_only,
            "mistakes": int(self._mistakes.size),
            "true": None,
            "predicted": None,
            "confidence": None,
            "correct": None,
        }
        if self._index is not None:
            i = self._index
            result.update(
                position=int(np.searchsorted(view, i)),
                true=int(self._labels[i]),
                predicted=int(self._predicted[i]),
                confidence=float(self._probabilities[i, self._predicted[i]]),
                correct=bool(self._predicted[i] == self._labels[i]),
            )
        return result

    def caption(self) -> str:
        """One line for the current image: true and predicted class, confidence."""
        state = self.state
        if state["index"] is None:
            return "No mistakes to show: every prediction is right."
        mark = RIGHT_MARK if state["correct"] else WRONG_MARK
        where = (
            f"mistake {state['position'] + 1} of {state['count']}"
            if self._mistakes_only
            else f"image {state['position'] + 1} of {state['count']}"
        )
        return (
            f"#{state['index']}: true {self._name(state['true'])}, predicted "
            f"{self._name(state['predicted'])} ({state['confidence']:.1%}) {mark} · {where}"
        )

    def __repr__(self) -> str:
        return f"PredictionExplorer({self.caption()})"

    # -- picture ----------------------------------------------------------------
    @property
    def _figsize(self) -> tuple[float, float]:
        classes = self._probabilities.shape[1]
        return (3.0 + max(4.0, 0.42 * classes), 3.2)

    def _draw(self, fig: Figure) -> None:
        from matplotlib.patches import Patch

        state = self.state
        image_ax, bar_ax = fig.subplots(1, 2, width_ratios=[1, 1.6])
        if state["index"] is None:
            for ax in (image_ax, bar_ax):
                ax.set_axis_off()
            image_ax.set_title("no mistakes")
            bar_ax.set_title("every prediction is right")
            fig.suptitle("Mistakes only: none to show")
            return
        i = state["index"]
        image_ax.imshow(self._images[i], cmap="gray_r", interpolation="nearest")
        image_ax.set_axis_off()
        correct = state["correct"]
        mark = RIGHT_MARK if correct else WRONG_MARK
        image_ax.set_title(
            f"#{i}  {mark}\ntrue {self._name(state['true'])}, predicted {self._name(state['predicted'])}",
            color=RIGHT_COLOR if correct else WRONG_COLOR,
            fontsize="medium",
        )
        classes = self._probabilities.shape[1]
        colours = [OTHER_COLOR] * classes
        colours[state["predicted"]] = RIGHT_COLOR if correct else WRONG_COLOR
        bars = bar_ax.bar(range(classes), self._probabilities[i], color=colours, edgecolor="black", linewidth=0.5)
        true_bar = bars[state["true"]]
        true_bar.set_hatch(TRUE_HATCH)
        true_bar.set_linewidth(1.5)
        if not correct:
            true_bar.set_facecolor(RIGHT_COLOR)
        for cls in {state["true"], state["predicted"]}:
            value = self._probabilities[i, cls]
            bar_ax.annotate(f"{value:.0%}", (cls, value), xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom", fontsize="small")
        bar_ax.set_xticks(range(classes), [self._name(c) for c in range(classes)],
                          rotation=45 if self._class_names and max(map(len, self._class_names)) > 2 else 0)
        bar_ax.set_ylim(0, 1.12)
        bar_ax.set_xlabel("class")
        bar_ax.set_ylabel("probability")
        bar_ax.set_title("the model's probabilities", fontsize="medium")
        legend = [
            Patch(facecolor=colours[state["predicted"]], edgecolor="black",
                  label="predicted (right)" if correct else "predicted (wrong)"),
            Patch(facecolor=RIGHT_COLOR if not correct else colours[state["predicted"]],
                  edgecolor="black", hatch=TRUE_HATCH, label="true class"),
        ]
        bar_ax.legend(handles=legend, fontsize="small", loc="upper right")
        where = "mistake" if self._mistakes_only else "image"
        fig.suptitle(f"{where.capitalize()} {state['position'] + 1} of {state['count']}")

    # -- widget -----------------------------------------------------------------
    def _build_widget(self) -> Any:
        import ipywidgets as widgets

        self._previous_button = widgets.Button(description="◀ previous", layout=widgets.Layout(width="110px"))
        self._next_button = widgets.Button(description="next ▶", layout=widgets.Layout(width="110px"))
        # Counted from 1 like the caption's "image 3 of 500"; select() counts from 0.
        self._position_slider = widgets.IntSlider(
            min=1, max=max(self._view.size, 1), description="image",
            continuous_update=False, style={"description_width": "65px"},
            layout=widgets.Layout(width="400px"),
        )
        self._mistakes_toggle = widgets.ToggleButton(
            value=self._mistakes_only, description=f"mistakes only ({self._mistakes.size})",
            icon="filter", layout=widgets.Layout(width="190px"),
        )
        self._caption = widgets.HTML()
        self._caption.add_class("tfc-caption")
        self._previous_button.on_click(lambda _: self.previous())
        self._next_button.on_click(lambda _: self.next())
        self._position_slider.observe(
            lambda change: None if self._syncing else self.select(position=change["new"] - 1), names="value"
        )
        self._mistakes_toggle.observe(
            lambda change: None if self._syncing else self.select(mistakes_only=change["new"]), names="value"
        )
        self._image = self._image_widget()
        controls = widgets.HBox(
            [self._previous_button, self._position_slider, self._next_button, self._mistakes_toggle]
        )
        return widgets.VBox([controls, self._caption, self._image])

    def _sync_controls(self) -> None:
        state = self.state
        empty = state["index"] is None
        # max before value: a value above the old max would be clipped.
        self._position_slider.max = max(state["count"], 1)
        self._position_slider.value = 1 if empty else state["position"] + 1
        for control in (self._position_slider, self._previous_button, self._next_button):
            control.disabled = empty
        self._position_slider.description = "mistake" if self._mistakes_only else "image"
        self._mistakes_toggle.value = self._mistakes_only
        self._caption.value = html.escape(self.caption())


# --- lesson 05: draw a digit ---------------------------------------------------------


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
    array = _numeric_array("pixels", pixels)
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


def _known_input_shape(model: Any) -> tuple[int, ...] | None:
    """The shape of one input the model takes, without the batch axis, when it is known."""
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):  # not built yet, or several inputs
        return None
    if not isinstance(shape, tuple) or not all(isinstance(d, (int, type(None))) for d in shape[1:]):
        return None
    if any(d is None for d in shape[1:]):
        return None
    return tuple(shape[1:])


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
        >>> image = tfc.preprocess_digit(drawing)
        >>> image.shape, image.dtype, float(image.max())
        ((28, 28), dtype('float32'), 1.0)
    """
    invert = _check_bool("invert", invert)
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


def _stamp_segment(raster: np.ndarray, start: tuple[float, float], end: tuple[float, float], radius: float) -> None:
    """Paint (set to 1) the pixels within ``radius`` of the segment start-end.

    The same shape the browser draws with a round-capped line of width
    2·radius, so the model gets what the student sees.
    """
    (x0, y0), (x1, y1) = start, end
    size_y, size_x = raster.shape
    left = max(int(math.floor(min(x0, x1) - radius)), 0)
    right = min(int(math.ceil(max(x0, x1) + radius)) + 1, size_x)
    top = max(int(math.floor(min(y0, y1) - radius)), 0)
    bottom = min(int(math.ceil(max(y0, y1) + radius)) + 1, size_y)
    if left >= right or top >= bottom:
        return
    ys, xs = np.mgrid[top:bottom, left:right]
    px, py = xs + 0.5, ys + 0.5  # pixel centres, as the browser samples them
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    t = np.zeros_like(px) if length2 == 0 else np.clip(((px - x0) * dx + (py - y0) * dy) / length2, 0, 1)
    distance2 = (px - (x0 + t * dx)) ** 2 + (py - (y0 + t * dy)) ** 2
    raster[top:bottom, left:right][distance2 <= radius * radius] = 1.0


def _model_input_shape(model: Any) -> tuple[int, ...]:
    shape = getattr(model, "input_shape", None)
    if not callable(model) or not isinstance(shape, tuple):
        raise TypeError(
            expected(
                "a built Keras model (one input, 28×28 = 784 values per image)",
                "model",
                model,
                hint="Start the model with keras.Input(shape=(28, 28)).",
            )
        )
    per_image = tuple(shape[1:])
    if not all(isinstance(size, int) for size in per_image) or math.prod(per_image) != MNIST_SIZE * MNIST_SIZE:
        raise ValueError(
            expected(
                "a model taking 28×28 = 784 values per image",
                "model.input_shape",
                shape,
            )
        )
    return per_image


class DrawDigit(_Explorer):
    """Draw a digit with the mouse; the model reads it after every stroke.

    The drawing is turned into a 28×28 MNIST image by
    :func:`preprocess_digit` (shown beside the canvas: what the model sees),
    then the model's probabilities are drawn as bars. Draw big and in the
    middle, as MNIST's writers did; "Clear" starts again.

    Strokes are kept in Python as they arrive, so the prediction never waits
    for the browser to send the canvas back.

    Args:
        model: a trained Keras model taking 28×28 (or 784) values in [0, 1].
        canvas_size: the canvas's side in pixels.
        class_names: names to show instead of class numbers.

    Example:
        >>> pad = tfc.DrawDigit(model)
        >>> pad                              # last line of a cell: draw in it
        >>> pad.draw_stroke([(140, 40), (140, 240)]).state["predicted"]
        1
    """

    _css_class = "tfc-draw-digit"
    BRUSH_FRACTION = 1 / 14  # 20 px on a 280 px canvas: MNIST-like strokes

    def __init__(self, model: Any, *, canvas_size: int = 280, class_names: Sequence[str] | None = None) -> None:
        from tfcourse import predictions as P

        super().__init__()
        self._model_shape = _model_input_shape(model)
        self._model = model
        self._canvas_size = _check_whole("canvas_size", canvas_size, 56, 2000)
        self._class_names = P._as_class_names(class_names)
        self._radius = self._canvas_size * self.BRUSH_FRACTION / 2
        self._raster = np.zeros((self._canvas_size, self._canvas_size), np.float32)
        self._strokes = 0
        self._last_point: tuple[float, float] | None = None
        self._probabilities: np.ndarray | None = None
        self._canvas: Any = None

    # -- logic ------------------------------------------------------------------
    def _check_point(self, point: Any, name: str) -> tuple[float, float]:
        try:
            x, y = point
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            raise TypeError(expected("an (x, y) pair of numbers", name, point)) from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(expected("finite coordinates", name, point))
        return x, y

    def draw_stroke(self, points: Sequence[tuple[float, float]]) -> DrawDigit:
        """Draw one stroke through ``points`` (canvas pixels, origin top-left), then predict.

        The same as drawing it with the mouse; for scripts and tests.

        Example:
            >>> pad.draw_stroke([(140, 40), (140, 240)])   # a vertical bar: a "1"
        """
        if isinstance(points, (str, bytes)) or not isinstance(points, (Sequence, np.ndarray)) or len(points) == 0:
            raise TypeError(expected("a non-empty list of (x, y) points", "points", points))
        checked = [self._check_point(p, f"points[{i}]") for i, p in enumerate(points)]
        self._pen_down(*checked[0])
        for x, y in checked[1:]:
            self._pen_move(x, y)
        self._pen_up()
        return self

    def clear(self) -> DrawDigit:
        """Wipe the drawing and the prediction."""
        self._raster[:] = 0
        self._strokes = 0
        self._last_point = None
        self._probabilities = None
        if self._canvas is not None:
            self._paint_background()
        self._refresh()
        return self

    def _pen_down(self, x: float, y: float) -> None:
        self._last_point = (x, y)
        _stamp_segment(self._raster, (x, y), (x, y), self._radius)
        if self._canvas is not None:
            self._canvas.fill_circle(x, y, self._radius)

    def _pen_move(self, x: float, y: float) -> None:
        if self._last_point is None:
            return  # the mouse moves without a button pressed
        _stamp_segment(self._raster, self._last_point, (x, y), self._radius)
        if self._canvas is not None:
            self._canvas.stroke_line(*self._last_point, x, y)
        self._last_point = (x, y)

    def _pen_up(self) -> None:
        if self._last_point is None:
            return
        self._last_point = None
        self._strokes += 1
        self._predict()
        self._refresh()

    @property
    def drawing(self) -> np.ndarray:
        """The canvas as the model's preprocessing receives it: (size, size), 0 or 1."""
        return self._raster.copy()

    @property
    def model_input(self) -> np.ndarray:
        """What the model sees: :func:`preprocess_digit` of the drawing, (28, 28)."""
        return preprocess_digit(self._raster)

    def _predict(self) -> None:
        image = self.model_input
        if not image.any():
            self._probabilities = None
            return
        batch = image.reshape((1, *self._model_shape))
        try:
            outputs = self._model(batch, training=False)
        except TypeError:  # a plain function without the training argument
            outputs = self._model(batch)
        if hasattr(outputs, "numpy"):
            outputs = outputs.numpy()
        outputs = np.asarray(outputs, dtype=np.float64).reshape(-1)
        self._probabilities = outputs if _looks_like_probabilities(outputs) else _softmax(outputs)

    def _name(self, label: int) -> str:
        return self._class_names[label] if self._class_names and label < len(self._class_names) else str(label)

    @property
    def state(self) -> dict[str, Any]:
        """``strokes, empty, predicted, confidence, probabilities``."""
        probabilities = self._probabilities
        predicted = None if probabilities is None else int(probabilities.argmax())
        return {
            "strokes": self._strokes,
            "empty": not self._raster.any(),
            "predicted": predicted,
            "confidence": None if probabilities is None else float(probabilities[predicted]),
            "probabilities": None if probabilities is None else [float(p) for p in probabilities],
        }

    def caption(self) -> str:
        """The prediction in words, or what to do."""
        state = self.state
        if state["predicted"] is None:
            return "Draw a digit in the black square (big, in the middle)."
        return f"Prediction: {self._name(state['predicted'])} ({state['confidence']:.0%} sure)"

    def __repr__(self) -> str:
        return f"DrawDigit({self.caption()})"

    # -- picture ----------------------------------------------------------------
    @property
    def _figsize(self) -> tuple[float, float]:
        return (6.4, 2.9)

    def _draw(self, fig: Figure) -> None:
        image_ax, bar_ax = fig.subplots(1, 2, width_ratios=[1, 1.7])
        image_ax.imshow(self.model_input, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        image_ax.set_title("what the model sees\n(28×28, centred)", fontsize="medium")
        image_ax.set_xticks([])
        image_ax.set_yticks([])
        state = self.state
        probabilities = self._probabilities
        classes = len(probabilities) if probabilities is not None else (len(self._class_names or []) or 10)
        values = probabilities if probabilities is not None else np.zeros(classes)
        colours = [OTHER_COLOR] * classes
        if state["predicted"] is not None:
            colours[state["predicted"]] = RIGHT_COLOR
        bar_ax.bar(range(classes), values, color=colours, edgecolor="black", linewidth=0.5)
        bar_ax.set_xticks(range(classes), [self._name(c) for c in range(classes)])
        bar_ax.set_ylim(0, 1.05)
        bar_ax.set_xlabel("class")
        bar_ax.set_ylabel("probability")
        if state["predicted"] is None:
            bar_ax.set_title("draw a digit to see the probabilities", fontsize="medium")
        else:
            bar_ax.set_title(
                f"predicted {self._name(state['predicted'])} ({state['confidence']:.0%})", fontsize="medium"
            )

    # -- widget -----------------------------------------------------------------
    def _paint_background(self) -> None:
        self._canvas.clear()
        self._canvas.fill_style = "black"
        self._canvas.fill_rect(0, 0, self._canvas_size, self._canvas_size)
        self._canvas.fill_style = "white"

    def _build_widget(self) -> Any:
        import ipywidgets as widgets
        from ipycanvas import Canvas

        side = f"{self._canvas_size}px"
        # A fixed CSS size: scaled to the cell's width the canvas would make a
        # student's strokes thinner than the brush the model expects.
        canvas = Canvas(width=self._canvas_size, height=self._canvas_size,
                        layout=widgets.Layout(width=side, height=side, min_width=side))
        canvas.add_class("tfc-canvas")
        canvas.stroke_style = "white"
        canvas.line_width = 2 * self._radius
        canvas.line_cap = "round"
        canvas.line_join = "round"
        self._canvas = canvas
        self._paint_background()
        # Redraw what was drawn before the widget existed (draw_stroke in code).
        if self._raster.any():
            canvas.put_image_data(np.repeat((self._raster[..., None] * 255).astype(np.uint8), 3, axis=2), 0, 0)
        canvas.on_mouse_down(lambda x, y: self._pen_down(x, y))
        canvas.on_mouse_move(lambda x, y: self._pen_move(x, y))
        canvas.on_mouse_up(lambda x, y: self._pen_up())
        canvas.on_mouse_out(lambda x, y: self._pen_up())
        # A finger on a tablet or an interactive whiteboard: the first touch draws.
        canvas.on_touch_start(lambda touches: self._pen_down(*touches[0]))
        canvas.on_touch_move(lambda touches: self._pen_move(*touches[0]))
        canvas.on_touch_end(lambda touches: self._pen_up())
        canvas.on_touch_cancel(lambda touches: self._pen_up())
        clear_button = widgets.Button(description="Clear", icon="eraser", layout=widgets.Layout(width=side))
        clear_button.add_class("tfc-clear")
        clear_button.on_click(lambda _: self.clear())
        self._caption = widgets.HTML()
        self._caption.add_class("tfc-caption")
        self._image = self._image_widget()
        left = widgets.VBox([canvas, clear_button])
        right = widgets.VBox([self._caption, self._image])
        return widgets.HBox([left, right])

    def _sync_controls(self) -> None:
        self._caption.value = f"<b>{html.escape(self.caption())}</b>"
