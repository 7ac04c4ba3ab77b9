"""What every explorer shares: the ``state`` / ``select()`` / ``draw()`` pattern and its checks.

:class:`Explorer` is the base class of the four explorers. A subclass
supplies the logic (``state``, ``select``), the picture (``_figsize``,
``_draw(fig)``) and the controls (``_build_widget``, ``_sync_controls``);
the base class draws off-screen, turns the figure into a PNG and builds the
widget the first time the explorer is displayed.

The explorers' argument checks (whole numbers in a range, booleans) are
tfcourse._validation's; a model's input shape is read here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfcourse._plotting import figure_png, offscreen_figure

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

PNG_DPI = 100


def model_input_shape(model: Any) -> tuple[int | None, ...] | None:
    """The shape of one input the model takes, without the batch axis; None when unknown.

    Unknown means: no ``input_shape`` (not a model, or not built yet), or
    several inputs. A size the model leaves open is None in the tuple.

    Example:
        >>> import keras
        >>> model_input_shape(keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten()]))
        (28, 28)
        >>> model_input_shape(object()) is None
        True
    """
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):  # not built yet, or several inputs
        return None
    if not isinstance(shape, tuple) or not all(isinstance(d, (int, type(None))) for d in shape[1:]):
        return None
    return tuple(shape[1:])


# --- the common shape of every explorer -------------------------------------------


class Explorer:
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
            # Not pyplot: the figure lives only in the explorer, shown as a PNG.
            self._figure = offscreen_figure(self._figsize)
        else:
            self._figure.clear()
            self._figure.set_size_inches(*self._figsize)
        self._draw(self._figure)
        return self._figure

    def to_png(self) -> bytes:
        """The current picture as PNG bytes (what the widget shows)."""
        return figure_png(self.draw(), dpi=PNG_DPI)

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
