"""What the model got right and wrong: image galleries and the confusion matrix.

Lesson use::

    probabilities = model.predict(x_test, verbose=0)
    tfc.plot_gallery(x_test, y_test, probabilities=probabilities)
    cm = tfc.ConfusionMatrix.from_predictions(y_test, probabilities.argmax(axis=1))
    cm.plot()
    cm.most_confused(3)
    tfc.plot_confident_mistakes(x_test, y_test, probabilities)

NumPy only at import; matplotlib comes in when something is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tfcourse._arrays import (
    NonFiniteImageWarning,
    as_array,
    as_class_names,
    as_images,
    as_labels,
    as_probabilities,
    check_labels_below,
)
from tfcourse._plotting import RIGHT_COLOR, WRONG_COLOR, WRONG_MARK, new_or_checked_axes, new_or_checked_figure
from tfcourse._validation import check_positive_int, expected

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, FigureBase

__all__ = [
    "plot_gallery",
    "ConfusionMatrix",
    "plot_confusion_matrix",
    "most_confident_mistakes",
    "plot_confident_mistakes",
    "NonFiniteImageWarning",
]

# A confusion matrix bigger than this is not something to look at (and 10**6
# classes would ask for 7 TiB): a bigger "label" is almost always a mistake.
MAX_CLASSES = 1000

# Right answers in blue, mistakes in vermillion with a ✗ (tfcourse._plotting):
# told apart with every common colour-vision deficiency, and not by colour alone.


# --- gallery -----------------------------------------------------------------


def _draw_gallery(
    fig: FigureBase,
    images: np.ndarray,
    labels: np.ndarray,
    predicted: np.ndarray | None,
    confidence: np.ndarray | None,
    class_names: list[str] | None,
    ncols: int,
    ids: np.ndarray | None = None,
) -> int:
    """Draw the grid; return the number of mistakes shown."""
    count = len(images)
    nrows = math.ceil(count / ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    finite = images[np.isfinite(images)] if images.dtype.kind == "f" else images
    # One grey scale for all panels, so a faint digit looks faint.
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)

    def name(label: int) -> str:
        return class_names[label] if class_names else str(label)

    mistakes = 0
    for i, ax in enumerate(axes[:count]):
        ax.imshow(images[i], cmap="gray_r", vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_axis_off()
        title = f"true {name(labels[i])}"
        color = "black"
        if predicted is not None:
            wrong = predicted[i] != labels[i]
            mistakes += int(wrong)
            # Two lines: "true 7 / pred 1 (98%)" on one line overlaps its neighbours.
            title += f"\npred {name(predicted[i])}"
            if confidence is not None:
                title += f" ({confidence[i]:.0%})"
            if wrong:
                title = f"{WRONG_MARK} {title}"
            color = WRONG_COLOR if wrong else RIGHT_COLOR
        if ids is not None:
            title = f"#{ids[i]}\n{title}"
        ax.set_title(title, fontsize="small", color=color)
    for ax in axes[count:]:
        ax.remove()
    return mistakes


def plot_gallery(
    images: Any,
    labels: Any,
    *,
    predictions: Any = None,
    probabilities: Any = None,
    class_names: Sequence[str] | None = None,
    n: int = 16,
    ncols: int = 8,
    fig: FigureBase | None = None,
) -> Figure | FigureBase:
    """Show the first ``n`` images, titled with the true (and predicted) label.

    Mistakes are titled in vermillion with a ✗, right answers in blue.

    Args:
        images: shape ``(N, height, width)`` or ``(N, height, width, 1)``.
        labels: the true class of each image, shape ``(N,)``.
        predictions: predicted classes, shape ``(N,)`` (optional).
        probabilities: ``model.predict`` output, shape ``(N, classes)``; gives
            the predicted class (argmax) and its confidence (optional).
        class_names: names to show instead of class numbers.
        n: how many images to show (the first ``n``).
        ncols: images per row.
        fig: an empty figure to draw in; ``None`` makes a new one.

    Returns:
        The figure, one axes per image.

    Example:
        >>> import tfcourse as tfc
        >>> images = np.zeros((4, 28, 28))              # x_test[:4]
        >>> probabilities = np.eye(10)[[7, 2, 1, 9]]    # model.predict(x_test[:4])
        >>> fig = tfc.plot_gallery(images, [7, 2, 1, 0], probabilities=probabilities)
        >>> fig.get_suptitle()
        '4 predictions: 3 right, 1 wrong (✗)'
    """
    images = as_images(images)
    count = len(images)
    labels = as_labels("labels", labels, length=count)
    names = as_class_names(class_names)
    n = check_positive_int("n", n)
    ncols = check_positive_int("ncols", ncols)
    predicted = confidence = None
    if predictions is not None:
        predictions_array = as_array("predictions", predictions)
        if predictions_array.ndim == 2:
            raise ValueError(
                expected(
                    "predicted class labels of shape (N,)",
                    "predictions",
                    predictions_array,
                    hint="This looks like model.predict output: pass it as probabilities=.",
                )
            )
        predicted = as_labels("predictions", predictions_array, length=count)
    if probabilities is not None:
        probabilities = as_probabilities("probabilities", probabilities, length=count)
        num_classes = probabilities.shape[1]
        if names is not None and len(names) != num_classes:
            raise ValueError(
                expected(
                    f"{len(names)} columns of probabilities, one per class name",
                    "probabilities",
                    probabilities,
                )
            )
        check_labels_below("labels", labels, num_classes, "one per probability column")
        if predicted is None:
            predicted = probabilities.argmax(axis=1)
        else:
            check_labels_below("predictions", predicted, num_classes, "one per probability column")
        confidence = probabilities[np.arange(count), predicted]
    if names is not None:
        check_labels_below("labels", labels, len(names), "one per class name")
        if predicted is not None:
            check_labels_below("predictions", predicted, len(names), "one per class name")
    shown = min(n, count)
    ncols = min(ncols, shown)
    nrows = math.ceil(shown / ncols)
    title_height = 0.45 if predicted is not None else 0.25
    fig = new_or_checked_figure(fig, (1.4 * ncols, (1.3 + title_height) * nrows + 0.4))
    mistakes = _draw_gallery(
        fig,
        images[:shown],
        labels[:shown],
        None if predicted is None else predicted[:shown],
        None if confidence is None else confidence[:shown],
        names,
        ncols,
    )
    if predicted is None:
        fig.suptitle(f"{shown} examples with their labels")
    else:
        fig.suptitle(f"{shown} predictions: {shown - mistakes} right, {mistakes} wrong ({WRONG_MARK})")
    return fig


# --- confusion matrix --------------------------------------------------------


def _text_color(rgba: Sequence[float]) -> str:
    """Black on light cells, white on dark ones (WCAG relative luminance)."""
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    return "black" if luminance > 0.179 else "white"


class ConfusionMatrix:
    """Counts of (true class, predicted class): compute once, plot as often as you like.

    Rows are true classes, columns predicted ones; the diagonal holds the right
    answers. Made like scikit-learn's ``ConfusionMatrixDisplay``: after
    ``plot()``, ``figure_``, ``ax_`` and ``im_`` are there to restyle.

    Example:
        >>> import tfcourse as tfc
        >>> y_test = [0, 1, 2, 2, 1, 0, 2, 1]
        >>> y_pred = [0, 2, 2, 2, 1, 0, 1, 1]   # model.predict(x_test).argmax(axis=1)
        >>> cm = tfc.ConfusionMatrix.from_predictions(y_test, y_pred)
        >>> cm.accuracy
        0.75
        >>> cm.most_confused(3)   # [(true, predicted, count), ...]
        [(1, 2, 1), (2, 1, 1)]
        >>> cm.plot(normalize=True)
        ConfusionMatrix(num_classes=3, accuracy=0.7500)
    """

    def __init__(self, matrix: Any, *, class_names: Sequence[str] | None = None) -> None:
        array = as_array("matrix", matrix)
        if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] == 0:
            raise ValueError(expected("a square matrix of counts", "matrix", array))
        if array.dtype.kind not in "iu" or array.min() < 0:
            raise ValueError(expected("whole, non-negative counts", "matrix", array))
        names = as_class_names(class_names)
        if names is not None and len(names) != array.shape[0]:
            raise ValueError(
                expected(f"{array.shape[0]} class names, one per row", "class_names", class_names)
            )
        self.matrix: np.ndarray = array.astype(np.int64)
        self.class_names = names
        self.figure_ = None
        self.ax_ = None
        self.im_ = None
        self.text_: np.ndarray | None = None
        self.colorbar_ = None

    @classmethod
    def from_predictions(
        cls,
        y_true: Any,
        y_pred: Any,
        *,
        num_classes: int | None = None,
        class_names: Sequence[str] | None = None,
    ) -> ConfusionMatrix:
        """Count each (true, predicted) pair.

        Args:
            y_true: true class labels, shape ``(N,)``.
            y_pred: predicted class labels, shape ``(N,)`` (for probabilities,
                take ``.argmax(axis=1)`` first).
            num_classes: size of the matrix; default: from ``class_names``,
                else the largest label + 1.
            class_names: names for the rows and columns.

        Example:
            >>> import tfcourse as tfc
            >>> cm = tfc.ConfusionMatrix.from_predictions([0, 1, 1], [0, 1, 0])
            >>> cm.matrix
            array([[1, 0],
                   [1, 1]])
        """
        true = as_labels("y_true", y_true)
        pred = as_labels("y_pred", y_pred)
        if true.size != pred.size:
            raise ValueError(
                expected(f"as many predictions as true labels ({true.size})", "len(y_pred)", pred.size)
            )
        names = as_class_names(class_names)
        if num_classes is not None:
            num_classes = check_positive_int("num_classes", num_classes)
            if num_classes > MAX_CLASSES:
                raise ValueError(expected(f"at most {MAX_CLASSES:,} classes (a matrix to look at)",
                                          "num_classes", num_classes))
            if names is not None and len(names) != num_classes:
                raise ValueError(
                    expected(f"{num_classes} class names (num_classes)", "class_names", class_names)
                )
        elif names is not None:
            num_classes = len(names)
        else:
            num_classes = int(max(true.max(), pred.max())) + 1
            if num_classes > MAX_CLASSES:
                raise ValueError(expected(f"labels below {MAX_CLASSES:,} (a matrix to look at)",
                                          "the largest label", num_classes - 1,
                                          hint="Pass class numbers, not e.g. pixel values or ids."))
        check_labels_below("y_true", true, num_classes, "num_classes")
        check_labels_below("y_pred", pred, num_classes, "num_classes")
        counts = np.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
        return cls(counts.reshape(num_classes, num_classes), class_names=names)

    @property
    def num_classes(self) -> int:
        return self.matrix.shape[0]

    @property
    def accuracy(self) -> float:
        """Share of examples on the diagonal."""
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else math.nan

    def most_confused(self, k: int = 5) -> list[tuple[int, int, int]]:
        """The ``k`` largest off-diagonal cells as ``(true, predicted, count)``.

        Example:
            >>> cm = ConfusionMatrix([[5, 1, 0], [3, 4, 2], [0, 1, 6]])
            >>> cm.most_confused(2)
            [(1, 0, 3), (1, 2, 2)]
        """
        k = check_positive_int("k", k)
        off_diagonal = self.matrix.copy()
        np.fill_diagonal(off_diagonal, 0)
        true, pred = np.nonzero(off_diagonal)
        counts = off_diagonal[true, pred]
        # Largest count first; ties in row-major order, so the result is stable.
        order = np.lexsort((pred, true, -counts))[:k]
        return [(int(true[i]), int(pred[i]), int(counts[i])) for i in order]

    def plot(
        self,
        *,
        ax: Axes | None = None,
        normalize: bool = False,
        cmap: Any = "viridis",
        colorbar: bool = True,
    ) -> ConfusionMatrix:
        """Draw the matrix with a count (or share) in each cell.

        Args:
            ax: axes to draw on; ``None`` makes a new figure.
            normalize: show each row as shares of its true class instead of
                counts (the diagonal is then the recall of each class).
            cmap: a matplotlib colormap (name); the default viridis reads for
                colour-blind viewers and in greyscale.
            colorbar: add a colorbar beside the axes.

        Returns:
            self, with ``figure_``, ``ax_``, ``im_`` and ``text_`` set.

        Example:
            >>> cm = ConfusionMatrix([[5, 1], [3, 4]])
            >>> cm.plot(normalize=True).ax_.set_title("Shares per true digit")  # doctest: +ELLIPSIS
            Text(...)
        """
        import matplotlib

        if not isinstance(normalize, bool):
            raise TypeError(expected("True or False", "normalize", normalize))
        if not isinstance(colorbar, bool):
            raise TypeError(expected("True or False", "colorbar", colorbar))
        if isinstance(cmap, str):
            try:
                cmap = matplotlib.colormaps[cmap]
            except KeyError:
                raise ValueError(expected("a matplotlib colormap name", "cmap", cmap)) from None
        elif not isinstance(cmap, matplotlib.colors.Colormap):
            raise TypeError(expected("a colormap or its name", "cmap", cmap))
        side = 5.5 + 0.25 * max(0, self.num_classes - 10)
        ax = new_or_checked_axes(ax, (side + 1.2, side))

        if normalize:
            row_totals = self.matrix.sum(axis=1, keepdims=True)
            # A class absent from y_true has an all-zero row: show zeros, not nan.
            values = np.divide(self.matrix, row_totals, out=np.zeros(self.matrix.shape), where=row_totals > 0)
            vmax = 1.0
        else:
            values = self.matrix
            vmax = max(int(values.max()), 1)
        image = ax.imshow(values, cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")

        size = self.num_classes
        texts = np.empty((size, size), dtype=object)
        if size <= 30:  # beyond that the numbers no longer fit in the cells
            fontsize = "medium" if size <= 10 else "small" if size <= 15 else "x-small"
            for row in range(size):
                for col in range(size):
                    value = values[row, col]
                    text = f"{value:.2f}" if normalize else f"{value:d}"
                    texts[row, col] = ax.text(
                        col,
                        row,
                        text,
                        ha="center",
                        va="center",
                        fontsize=fontsize,
                        color=_text_color(image.cmap(image.norm(value))),
                    )
        names = self.class_names or [str(i) for i in range(size)]
        ax.set_xticks(range(size), names, rotation=45 if self.class_names else 0, ha="right" if self.class_names else "center")
        ax.set_yticks(range(size), names)
        ax.set_xlabel("predicted label")
        ax.set_ylabel("true label")
        what = "share of each true class" if normalize else "counts"
        ax.set_title(f"Confusion matrix ({what}), accuracy {self.accuracy:.1%}")
        self.colorbar_ = ax.figure.colorbar(image, ax=ax, label=what) if colorbar else None
        self.figure_ = ax.figure
        self.ax_ = ax
        self.im_ = image
        self.text_ = texts
        return self

    def __repr__(self) -> str:
        return f"ConfusionMatrix(num_classes={self.num_classes}, accuracy={self.accuracy:.4f})"


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    ax: Axes | None = None,
    num_classes: int | None = None,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
    cmap: Any = "viridis",
    colorbar: bool = True,
) -> Axes:
    """Count and draw the confusion matrix in one call; return the axes.

    A shortcut for ``ConfusionMatrix.from_predictions(...).plot(...).ax_``:
    :class:`ConfusionMatrix` does all the counting and drawing. Keep the
    ``ConfusionMatrix`` when you also want ``most_confused`` or ``figure_``.

    Example:
        >>> import tfcourse as tfc
        >>> ax = tfc.plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])   # y_test, y_pred
        >>> ax.get_title()
        'Confusion matrix (counts), accuracy 75.0%'
    """
    matrix = ConfusionMatrix.from_predictions(y_true, y_pred, num_classes=num_classes, class_names=class_names)
    return matrix.plot(ax=ax, normalize=normalize, cmap=cmap, colorbar=colorbar).ax_


# --- confident mistakes ------------------------------------------------------


def most_confident_mistakes(y_true: Any, probabilities: Any, *, k: int = 12) -> np.ndarray:
    """Indices of the wrong predictions the model was surest of, surest first.

    Args:
        y_true: true class labels, shape ``(N,)``.
        probabilities: ``model.predict`` output, shape ``(N, classes)``.
        k: at most this many indices (fewer if there are fewer mistakes).

    Example:
        >>> import tfcourse as tfc
        >>> probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
        >>> worst = tfc.most_confident_mistakes([0, 0, 1, 1], probabilities, k=5)
        >>> worst                              # example 1 (80% sure), then example 2 (60%)
        array([1, 2])
        >>> probabilities[worst].max(axis=1)   # high, yet wrong
        array([0.8, 0.6])
    """
    labels = as_labels("y_true", y_true)
    probabilities = as_probabilities("probabilities", probabilities, length=labels.size)
    k = check_positive_int("k", k)
    check_labels_below("y_true", labels, probabilities.shape[1], "one per probability column")
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    order = np.argsort(-confidence, kind="stable")  # ties keep dataset order
    return wrong[order][:k]


def plot_confident_mistakes(
    images: Any,
    y_true: Any,
    probabilities: Any,
    *,
    k: int = 12,
    class_names: Sequence[str] | None = None,
    ncols: int = 6,
    fig: FigureBase | None = None,
) -> Figure | FigureBase:
    """Show the ``k`` mistakes the model was most confident about.

    Each panel is titled with the example's index (``#1234``), so you can look
    it up. Without mistakes the figure says so instead.

    Example:
        >>> import tfcourse as tfc
        >>> probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
        >>> fig = tfc.plot_confident_mistakes(np.zeros((4, 8, 8)), [0, 0, 1, 1], probabilities, k=12)
        >>> fig.get_suptitle()
        'The 2 most confident mistakes (of 2)'
    """
    images_array = as_images(images)
    labels = as_labels("y_true", y_true, length=len(images_array))
    names = as_class_names(class_names)
    ncols = check_positive_int("ncols", ncols)
    indices = most_confident_mistakes(labels, probabilities, k=k)
    probabilities = as_probabilities("probabilities", probabilities)
    if names is not None and len(names) != probabilities.shape[1]:
        raise ValueError(
            expected(f"{len(names)} columns of probabilities, one per class name", "probabilities", probabilities)
        )
    if indices.size == 0:
        fig = new_or_checked_figure(fig, (4.0, 2.0))
        ax = fig.subplots()
        ax.text(0.5, 0.5, "no mistakes", ha="center", va="center", fontsize="x-large")
        ax.set_axis_off()
        ax.set_title(f"Most confident mistakes: none among {labels.size} examples")
        return fig
    count = indices.size
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    fig = new_or_checked_figure(fig, (1.5 * ncols, 2.0 * nrows + 0.4))
    predicted = probabilities[indices].argmax(axis=1)
    _draw_gallery(
        fig,
        images_array[indices],
        labels[indices],
        predicted,
        probabilities[indices, predicted],
        names,
        ncols,
        ids=indices,
    )
    fig.suptitle(f"The {count} most confident mistakes (of {int(np.sum(probabilities.argmax(axis=1) != labels))})")
    return fig
