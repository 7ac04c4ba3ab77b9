"""Training curves after the fact: one panel per metric, training vs validation.

Lesson use: after ``history = model.fit(...)``, ``tfc.plot_history(history)``.
The same function draws the live curves of :class:`tfcourse.LiveCurves` and the
history dict a hand-written training loop builds (lesson 03).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tfcourse._validation import expected

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure, FigureBase

__all__ = ["plot_history"]

# Okabe-Ito palette: distinguishable with every common colour-vision deficiency.
TRAIN_COLOR = "#0072B2"  # blue
VALIDATION_COLOR = "#D55E00"  # vermillion

_VALIDATION_PREFIX = "val_"


def history_dict(history: Any) -> dict[str, list[float]]:
    """Return ``{name: [float per epoch]}`` from a Keras ``History`` or a dict.

    Anything with a ``.history`` mapping counts as a History (duck typing keeps
    TensorFlow out of this module). Values may be Python floats, NumPy scalars
    or scalar tensors.
    """
    source = getattr(history, "history", history)
    if not isinstance(source, Mapping):
        raise TypeError(
            expected(
                "a Keras History (the return value of model.fit) or a dict "
                "such as {'loss': [...], 'val_loss': [...]}",
                "history",
                history,
            )
        )
    if not source:
        raise ValueError(
            expected(
                "a history with at least one metric",
                "history",
                history,
                hint="Was the model trained (model.fit) before plotting?",
            )
        )
    curves: dict[str, list[float]] = {}
    for name, values in source.items():
        if not isinstance(name, str):
            raise TypeError(expected("metric names as strings", "history key", name))
        message = expected(f"a list of numbers, one per epoch, for {name!r}", f"history[{name!r}]", values)
        if isinstance(values, (str, bytes, Mapping)):
            raise TypeError(message)
        try:  # float() also takes NumPy scalars and scalar tensors from a custom loop
            curves[name] = [float(value) for value in values]
        except (TypeError, ValueError):
            raise TypeError(message) from None
    lengths = {name: len(values) for name, values in curves.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            expected(
                "the same number of epochs for every metric",
                "history lengths",
                lengths,
                hint="validation_freq > 1 records validation metrics less often; "
                "plot the training metrics alone or pad the gaps with float('nan').",
            )
        )
    if next(iter(lengths.values())) == 0:
        raise ValueError(
            expected(
                "at least one epoch in the history",
                "history",
                history,
                hint="Was the model trained (model.fit) before plotting?",
            )
        )
    return curves


def base_metrics(curves: Mapping[str, Any]) -> list[str]:
    """Metric names without the ``val_`` prefix, loss first, then in log order."""
    names: list[str] = []
    for name in curves:
        base = name[len(_VALIDATION_PREFIX):] if name.startswith(_VALIDATION_PREFIX) else name
        if base not in names:
            names.append(base)
    if "loss" in names:
        names.remove("loss")
        names.insert(0, "loss")
    return names


def select_metrics(curves: Mapping[str, Any], metrics: str | Sequence[str] | None) -> list[str]:
    """Check ``metrics`` against the history and return the base names to draw."""
    available = base_metrics(curves)
    if metrics is None:
        return available
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, Sequence) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise TypeError(
            expected("None, a metric name or a non-empty list of metric names", "metrics", metrics)
        )
    unknown = [m for m in metrics if m not in available]
    if unknown:
        raise ValueError(
            expected(
                f"metrics from this history: {', '.join(available)}",
                "metrics",
                list(metrics),
                hint="Validation curves come with their metric: ask for 'loss', not 'val_loss'.",
            )
        )
    return list(dict.fromkeys(metrics))  # drop repeats, keep order


def figure_size(num_panels: int) -> tuple[float, float]:
    """A figure size that keeps each metric panel readable."""
    ncols = min(num_panels, 3)
    nrows = math.ceil(num_panels / ncols)
    return (4.6 * ncols, 3.4 * nrows)


def check_figure(fig: Any) -> None:
    """Refuse anything that is not an empty matplotlib (sub)figure."""
    from matplotlib.figure import FigureBase

    if not isinstance(fig, FigureBase):
        raise TypeError(expected("a matplotlib Figure (or None for a new one)", "fig", fig))
    if fig.axes:
        raise ValueError(
            expected(
                "an empty Figure",
                "fig",
                fig,
                hint="This helper lays out its own panels: pass a new figure or call fig.clear() first.",
            )
        )


def draw_history(fig: FigureBase, curves: Mapping[str, list[float]], names: Sequence[str]) -> None:
    """Draw one panel per metric into ``fig`` (no checks: callers validated)."""
    from matplotlib.ticker import MaxNLocator

    ncols = min(len(names), 3)
    nrows = math.ceil(len(names) / ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    num_epochs = len(next(iter(curves.values())))
    epochs = np.arange(1, num_epochs + 1)
    # A single epoch is a single point: without markers the line is invisible.
    marker = "o" if num_epochs <= 30 else None
    for ax, name in zip(axes, names):
        has_train = name in curves
        has_validation = _VALIDATION_PREFIX + name in curves
        if has_train:
            ax.plot(epochs, curves[name], color=TRAIN_COLOR, marker=marker, markersize=4, label="training")
        if has_validation:
            ax.plot(
                epochs,
                curves[_VALIDATION_PREFIX + name],
                color=VALIDATION_COLOR,
                linestyle="--",
                marker=marker,
                markersize=4,
                label="validation",
            )
        if has_train and has_validation:
            title = f"{name}: training vs validation"
        else:
            title = f"{name} ({'training' if has_train else 'validation'})"
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0.5, num_epochs + 0.5)
        ax.grid(True, alpha=0.3)
        ax.legend()
    for ax in axes[len(names):]:
        ax.remove()
    fig.suptitle(f"Training history ({num_epochs} epoch{'s' if num_epochs != 1 else ''})")


def plot_history(
    history: Any,
    *,
    metrics: str | Sequence[str] | None = None,
    fig: FigureBase | None = None,
) -> Figure | FigureBase:
    """Plot training and validation curves, one panel per metric (loss first).

    Args:
        history: the ``History`` returned by ``model.fit`` (anything with a
            ``.history`` dict) or a dict such as
            ``{"loss": [...], "val_loss": [...], "accuracy": [...]}``.
        metrics: metric names to draw (``"loss"``, ``"accuracy"``...); the
            ``val_`` curve of each comes along. ``None`` draws them all.
        fig: an empty matplotlib figure to draw in; ``None`` makes a new one.

    Returns:
        The figure; its panels are ``fig.axes``.

    Example:
        >>> history = model.fit(x, y, epochs=5, validation_split=0.1)
        >>> fig = tfc.plot_history(history, metrics=["loss", "accuracy"])
    """
    curves = history_dict(history)
    names = select_metrics(curves, metrics)
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=figure_size(len(names)), layout="constrained")
    else:
        check_figure(fig)
    draw_history(fig, curves, names)
    return fig
