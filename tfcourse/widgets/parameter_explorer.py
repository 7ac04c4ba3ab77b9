"""ParameterExplorer (lesson 04): sliders for a Dense network's sizes, the parameter table live.

Pure Python: the table is :func:`tfcourse.mlp_parameter_table`, so no
TensorFlow is needed. See :mod:`tfcourse.widgets` for the pattern every
explorer follows.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tfcourse._language import translate, translate_template
from tfcourse._validation import check_whole, expected
from tfcourse.widgets._explorer import Explorer

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

    from tfcourse.params import ParameterTable

__all__ = ["ParameterExplorer"]

# Every word a student reads in this explorer, in one place, in the lesson's language
# (translate, tfc.set_language); tools/package_catalog.py reads them into the catalog.
TEXT = {
    "input_size": "input size",
    "hidden_layers": "hidden layers",
    "units": "hidden_{number} units",
    "classes": "classes",
    "total": "{total:,} parameters",
    "sizes": "for layer sizes {sizes} ({megabytes:.2f} MB as float32, 4 bytes each)",
}


class ParameterExplorer(Explorer):
    """Sliders for a Dense network's sizes; the parameter table follows live.

    Each row shows its formula (inputs × units + units), so a student sees
    which slider moves which number. Pure Python: no TensorFlow needed.

    Args:
        input_size: inputs per example (784 for a flattened 28×28 image).
        hidden: units of each hidden layer, e.g. ``(128,)`` or ``(256, 128)``.
        classes: units of the output layer.

    Example:
        >>> import tfcourse as tfc
        >>> explorer = tfc.ParameterExplorer(input_size=784, hidden=(128,), classes=10)
        >>> explorer.state["total"]
        101770
        >>> explorer.select(hidden=(32,)).state["total"]
        25450
        >>> explorer          # last line of a cell: the sliders and the table
        ParameterExplorer(input_size=784, hidden=(32,), classes=10, total=25,450)
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
            >>> ParameterExplorer().select(hidden_layers=2).state["hidden"]
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
            count = check_whole("hidden_layers", hidden_layers, 0, self.MAX_HIDDEN_LAYERS)
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
    def table(self) -> ParameterTable:
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
        total = html.escape(translate_template(TEXT["total"]).format(total=table.total))
        about = translate_template(TEXT["sizes"]).format(sizes=html.escape(sizes), megabytes=megabytes)
        headline = f'<p class="tfc-total" style="margin:4px 10px;"><b>{total}</b> {about}</p>'
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
            description=translate(TEXT["input_size"]), style=style, layout=wide,
        )
        self._layers_slider = widgets.IntSlider(
            value=len(self._hidden), min=0, max=self.MAX_HIDDEN_LAYERS,
            description=translate(TEXT["hidden_layers"]), style=style, layout=wide,
        )
        self._classes_slider = widgets.IntSlider(
            value=self._classes, min=1, max=max(self.MAX_CLASSES, self._classes),
            description=translate(TEXT["classes"]), style=style, layout=wide,
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
            min=1, max=self.MAX_UNITS,
            description=translate_template(TEXT["units"]).format(number=position + 1),
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
