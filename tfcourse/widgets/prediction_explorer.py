"""PredictionExplorer (lesson 05): step through images with the model's probabilities, or only its mistakes.

Inputs are checked like :func:`tfcourse.plot_gallery`'s (the same
coercions, from ``tfcourse._arrays``), and drawn in the same colours. See
:mod:`tfcourse.widgets` for the pattern every explorer follows.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tfcourse._arrays import (
    as_class_names,
    as_images,
    as_labels,
    as_probabilities,
    check_labels_below,
    numeric_array,
    probabilities_from_outputs,
)
from tfcourse._language import translate, translate_template
from tfcourse._plotting import OTHER_COLOR, RIGHT_COLOR, RIGHT_MARK, TRUE_HATCH, WRONG_COLOR, WRONG_MARK
from tfcourse._validation import check_bool, check_whole, expected
from tfcourse.widgets._explorer import Explorer, model_input_shape

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = ["PredictionExplorer"]

# Every word a student reads in this explorer, in one place. The controls and caption
# speak the lesson's language (translate, tfc.set_language); the figure's words stay
# English, as matplotlib may have no Chinese font. tools/package_catalog.py reads
# the translated ones into the catalog.
TEXT = {
    "previous": "◀ previous",
    "next": "next ▶",
    "image": "image",
    "mistake": "mistake",
    "mistakes_only": "mistakes only ({count})",
    "where": "{what} {position} of {count}",
    "caption": "#{index}: true {true}, predicted {predicted} ({confidence:.1%}) {mark} · {where}",
    "no_mistakes": "No mistakes to show: every prediction is right.",
    "no_mistakes_image": "no mistakes",
    "no_mistakes_bars": "every prediction is right",
    "no_mistakes_title": "Mistakes only: none to show",
    "image_title": "#{index}  {mark}\ntrue {true}, predicted {predicted}",
    "class": "class",
    "probability": "probability",
    "bars_title": "the model's probabilities",
    "predicted_right": "predicted (right)",
    "predicted_wrong": "predicted (wrong)",
    "true_class": "true class",
    "title_image": "Image {position} of {count}",
    "title_mistake": "Mistake {position} of {count}",
}


class PredictionExplorer(Explorer):
    """Step through images with the model's probabilities; or only its mistakes.

    Args:
        model_or_probabilities: a trained Keras model (``predict`` runs once,
            here, on all ``images``; a logits output gets a softmax), or its
            probabilities already computed, shape ``(N, classes)``.
        images: the images, shape ``(N, height, width)`` (or ``(N, h, w, 1)``).
        labels: their true classes, shape ``(N,)``.
        class_names: names to show instead of class numbers.

    Example:
        >>> import tfcourse as tfc
        >>> x_test, y_test = np.zeros((4, 28, 28)), np.array([7, 2, 1, 0])
        >>> probabilities = np.eye(10)[[7, 9, 1, 6]] * 0.9 + 0.01   # model.predict(x_test)
        >>> explorer = tfc.PredictionExplorer(probabilities, x_test, y_test)   # or (model, x_test, y_test)
        >>> explorer.select(mistakes_only=True).state["correct"]   # only mistakes now
        False
        >>> explorer.next().caption()        # the next mistake
        '#3: true 0, predicted 6 (91.0%) ✗ · mistake 2 of 2'
        >>> explorer          # last line of a cell: slider, buttons and pictures
        PredictionExplorer(#3: true 0, predicted 6 (91.0%) ✗ · mistake 2 of 2)
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
        super().__init__()
        self._images = as_images(images)
        count = len(self._images)
        self._labels = as_labels("labels", labels, length=count)
        self.from_logits = False
        if callable(getattr(model_or_probabilities, "predict", None)):
            model = model_or_probabilities
            wanted = model_input_shape(model)
            one_image = tuple(self._images.shape[1:])  # (height, width), a channel axis dropped
            known = wanted is not None and None not in wanted
            if known and wanted not in (one_image, (*one_image, 1)):
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
            outputs = numeric_array("model output", predicted)
            if outputs.ndim != 2 or outputs.shape[0] != count:
                raise ValueError(
                    expected("a model whose output has shape (N, classes)", "model output", outputs)
                )
            self._probabilities, self.from_logits = probabilities_from_outputs(outputs)
        else:
            if isinstance(model_or_probabilities, (str, bytes)) or model_or_probabilities is None:
                raise TypeError(expected(
                    "a trained Keras model (anything with .predict) or its probabilities, an "
                    "array of shape (examples, classes)", "model_or_probabilities",
                    model_or_probabilities))
            self._probabilities = as_probabilities("model_or_probabilities", model_or_probabilities, length=count)
        num_classes = self._probabilities.shape[1]
        self._class_names = as_class_names(class_names)
        if self._class_names is not None and len(self._class_names) != num_classes:
            raise ValueError(
                expected(f"{num_classes} class names, one per probability column", "class_names", class_names)
            )
        check_labels_below("labels", self._labels, num_classes, "one per probability column")
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
            >>> explorer = PredictionExplorer(np.eye(3), np.zeros((3, 8, 8)), [0, 2, 1])
            >>> explorer.select(index=2).state["true"]
            1
        """
        if index is not None and position is not None:
            raise ValueError(expected("either index or position, not both", "position", position))
        only = self._mistakes_only if mistakes_only is None else check_bool("mistakes_only", mistakes_only)
        view = self._mistakes if only else np.arange(len(self._labels))
        current = self._index
        if index is not None:
            current = check_whole("index", index, 0, len(self._labels) - 1)
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
            current = int(view[check_whole("position", position, 0, view.size - 1)])
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
            return translate(TEXT["no_mistakes"])
        mark = RIGHT_MARK if state["correct"] else WRONG_MARK
        where = translate_template(TEXT["where"]).format(what=self._what(), position=state["position"] + 1,
                                                         count=state["count"])
        return translate_template(TEXT["caption"]).format(
            index=state["index"], true=self._name(state["true"]), predicted=self._name(state["predicted"]),
            confidence=state["confidence"], mark=mark, where=where)

    def _what(self) -> str:
        """What the explorer steps through: "image", or "mistake" with mistakes only."""
        return translate(TEXT["mistake"]) if self._mistakes_only else translate(TEXT["image"])

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
            image_ax.set_title(TEXT["no_mistakes_image"])
            bar_ax.set_title(TEXT["no_mistakes_bars"])
            fig.suptitle(TEXT["no_mistakes_title"])
            return
        i = state["index"]
        image_ax.imshow(self._images[i], cmap="gray_r", interpolation="nearest")
        image_ax.set_axis_off()
        correct = state["correct"]
        mark = RIGHT_MARK if correct else WRONG_MARK
        image_ax.set_title(
            TEXT["image_title"].format(index=i, mark=mark, true=self._name(state["true"]),
                                       predicted=self._name(state["predicted"])),
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
        bar_ax.set_xlabel(TEXT["class"])
        bar_ax.set_ylabel(TEXT["probability"])
        bar_ax.set_title(TEXT["bars_title"], fontsize="medium")
        legend = [
            Patch(facecolor=colours[state["predicted"]], edgecolor="black",
                  label=TEXT["predicted_right"] if correct else TEXT["predicted_wrong"]),
            Patch(facecolor=RIGHT_COLOR if not correct else colours[state["predicted"]],
                  edgecolor="black", hatch=TRUE_HATCH, label=TEXT["true_class"]),
        ]
        bar_ax.legend(handles=legend, fontsize="small", loc="upper right")
        title = TEXT["title_mistake"] if self._mistakes_only else TEXT["title_image"]
        fig.suptitle(title.format(position=state["position"] + 1, count=state["count"]))

    # -- widget -----------------------------------------------------------------
    def _build_widget(self) -> Any:
        import ipywidgets as widgets

        self._previous_button = widgets.Button(description=translate(TEXT["previous"]), layout=widgets.Layout(width="110px"))
        self._next_button = widgets.Button(description=translate(TEXT["next"]), layout=widgets.Layout(width="110px"))
        # Counted from 1 like the caption's "image 3 of 500"; select() counts from 0.
        self._position_slider = widgets.IntSlider(
            min=1, max=max(self._view.size, 1), description=self._what(),
            continuous_update=False, style={"description_width": "65px"},
            layout=widgets.Layout(width="400px"),
        )
        self._mistakes_toggle = widgets.ToggleButton(
            value=self._mistakes_only, description=translate_template(TEXT["mistakes_only"]).format(count=self._mistakes.size),
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
        self._position_slider.description = self._what()
        self._mistakes_toggle.value = self._mistakes_only
        self._caption.value = html.escape(self.caption())
