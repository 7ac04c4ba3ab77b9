"""DrawDigit (lesson 05): draw a digit with the mouse and watch the model read it.

The canvas is ipycanvas's; every stroke is also painted into a NumPy raster
here, with the brush the browser uses, so the prediction never waits for the
browser to send the picture back. :func:`tfcourse.preprocess_digit` turns the
raster into the 28×28 image the model sees. See :mod:`tfcourse.widgets` for
the pattern every explorer follows.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tfcourse._arrays import as_class_names, probabilities_from_outputs, to_numpy
from tfcourse._language import translate, translate_template
from tfcourse._plotting import OTHER_COLOR, RIGHT_COLOR
from tfcourse._validation import check_whole, expected
from tfcourse.widgets._explorer import Explorer, model_input_shape
from tfcourse.widgets.digit_image import MNIST_SIZE, preprocess_digit

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = ["DrawDigit"]

# Every word a student reads in this explorer, in one place. The controls and caption
# speak the lesson's language (translate, tfc.set_language); the figure's words stay
# English, as matplotlib may have no Chinese font. tools/package_catalog.py reads
# the translated ones into the catalog.
TEXT = {
    "clear": "Clear",
    "empty": "Draw a digit in the black square (big, in the middle).",
    "prediction": "Prediction: {name} ({confidence:.0%} sure)",
    "model_view": "what the model sees\n(28×28, centred)",
    "class": "class",
    "probability": "probability",
    "bars_empty": "draw a digit to see the probabilities",
    "bars_title": "predicted {name} ({confidence:.0%})",
}


def _mnist_input_shape(model: Any) -> tuple[int, ...]:
    """The shape of one input of ``model`` if it takes one 28×28 image (784 values), else a clear error."""
    shape = model_input_shape(model) if callable(model) else None
    if shape is None:
        raise TypeError(
            expected(
                "a built Keras model (one input, 28×28 = 784 values per image)",
                "model",
                model,
                hint="Start the model with keras.Input(shape=(28, 28)).",
            )
        )
    if not all(isinstance(size, int) for size in shape) or math.prod(shape) != MNIST_SIZE * MNIST_SIZE:
        raise ValueError(
            expected(
                "a model taking 28×28 = 784 values per image",
                "model.input_shape",
                model.input_shape,
            )
        )
    return shape


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


class DrawDigit(Explorer):
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
        >>> import keras, tfcourse as tfc
        >>> model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
        ...     keras.layers.Dense(10, activation="softmax")])   # trained on MNIST in the lesson
        >>> pad = tfc.DrawDigit(model)
        >>> pad                              # last line of a cell: draw in it
        DrawDigit(Draw a digit in the black square (big, in the middle).)
        >>> pad.draw_stroke([(140, 40), (140, 240)]).state["strokes"]
        1
        >>> pad.caption()                    # a trained model: 'Prediction: 1 (99% sure)'
        'Prediction: ... sure)'
    """

    _css_class = "tfc-draw-digit"
    BRUSH_FRACTION = 1 / 14  # 20 px on a 280 px canvas: MNIST-like strokes

    def __init__(self, model: Any, *, canvas_size: int = 280, class_names: Sequence[str] | None = None) -> None:
        super().__init__()
        self._model_shape = _mnist_input_shape(model)
        self._model = model
        self._canvas_size = check_whole("canvas_size", canvas_size, 56, 2000)
        self._class_names = as_class_names(class_names)
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
            >>> import keras
            >>> pad = DrawDigit(keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)]))
            >>> pad.draw_stroke([(140, 40), (140, 240)]).model_input.shape   # a vertical bar: a "1"
            (28, 28)
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
        self._probabilities, _ = probabilities_from_outputs(to_numpy(outputs).reshape(-1))

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
            return translate(TEXT["empty"])
        return translate_template(TEXT["prediction"]).format(name=self._name(state["predicted"]),
                                                             confidence=state["confidence"])

    def __repr__(self) -> str:
        return f"DrawDigit({self.caption()})"

    # -- picture ----------------------------------------------------------------
    @property
    def _figsize(self) -> tuple[float, float]:
        return (6.4, 2.9)

    def _draw(self, fig: Figure) -> None:
        image_ax, bar_ax = fig.subplots(1, 2, width_ratios=[1, 1.7])
        image_ax.imshow(self.model_input, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        image_ax.set_title(TEXT["model_view"], fontsize="medium")
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
        bar_ax.set_xlabel(TEXT["class"])
        bar_ax.set_ylabel(TEXT["probability"])
        if state["predicted"] is None:
            bar_ax.set_title(TEXT["bars_empty"], fontsize="medium")
        else:
            title = TEXT["bars_title"].format(name=self._name(state["predicted"]), confidence=state["confidence"])
            bar_ax.set_title(title, fontsize="medium")

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
        clear_button = widgets.Button(description=translate(TEXT["clear"]), icon="eraser",
                                      layout=widgets.Layout(width=side))
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
