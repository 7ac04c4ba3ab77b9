"""Training curves after the fact: one panel per metric, training vs validation.

Lesson use: after ``history = model.fit(...)``, ``tfc.plot_history(history)``.
The same function draws the live curves of :class:`tfcourse.LiveCurves` and the
history dict a hand-written training loop builds (lesson 03).

``tfc.plot_histories({"SGD": h1, "Adam": h2})`` puts one metric of several
runs on one pair of axes, to compare models or optimizers (lesson 07).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tfcourse._plotting import (
    SERIES_COLORS,
    TRAIN_COLOR,
    VALIDATION_COLOR,
    WARNING_COLOR,
    new_or_checked_axes,
    new_or_checked_figure,
)
from tfcourse._validation import expected

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, FigureBase

__all__ = ["NonFiniteHistoryWarning", "plot_histories", "plot_history"]

#: Keras names a validation metric after its training metric with this prefix
#: ("loss" and "val_loss"); :mod:`tfcourse.live` reads histories the same way.
VALIDATION_PREFIX = "val_"

# One colour per run for plot_histories. Line styles and markers change with
# the colour, so runs stay apart in greyscale and for every reader.
RUN_COLORS = SERIES_COLORS
RUN_LINESTYLES = ("-", "--", "-.", ":")
RUN_MARKERS = ("o", "s", "^", "D", "v", "P")


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
        base = name[len(VALIDATION_PREFIX):] if name.startswith(VALIDATION_PREFIX) else name
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


def _finish_epoch_axes(ax: Any, ylabel: str, num_epochs: int) -> None:
    """Label a panel whose x axis counts epochs 1..num_epochs; whole-number ticks, a grid, a legend."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0.5, num_epochs + 0.5)
    ax.grid(True, alpha=0.3)
    ax.legend()


class NonFiniteHistoryWarning(UserWarning):
    """A metric in a training history is NaN or infinite: those epochs cannot be drawn."""


def non_finite_note(name: str, values: Sequence[float]) -> str | None:
    """A sentence naming the epochs where ``values`` are NaN or infinite, or None.

    Example:
        >>> non_finite_note("loss", [2.3, float("nan"), float("nan")])
        'loss is NaN at epochs 2-3 (not drawn): training diverged? Try a smaller learning rate.'
    """
    bad = [i + 1 for i, value in enumerate(values) if not math.isfinite(value)]
    if not bad:
        return None
    kinds = sorted({"NaN" if math.isnan(values[i - 1]) else "infinite" for i in bad})
    where = f"epoch {bad[0]}" if len(bad) == 1 else (
        f"epochs {bad[0]}-{bad[-1]}" if bad[-1] - bad[0] == len(bad) - 1
        else "epochs " + ", ".join(map(str, bad)))
    return (f"{name} is {' or '.join(kinds)} at {where} (not drawn): training diverged? "
            "Try a smaller learning rate.")


def draw_history(fig: FigureBase, curves: Mapping[str, list[float]], names: Sequence[str]) -> None:
    """Draw one panel per metric into ``fig`` (no checks: callers validated).

    A NaN or infinite value cannot be drawn: the panel says at which epochs,
    and a :class:`NonFiniteHistoryWarning` is raised, so a diverged run never
    shows as an empty or shortened curve without a word.
    """
    ncols = min(len(names), 3)
    nrows = math.ceil(len(names) / ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    num_epochs = len(next(iter(curves.values())))
    epochs = np.arange(1, num_epochs + 1)
    # A single epoch is a single point: without markers the line is invisible.
    marker = "o" if num_epochs <= 30 else None
    for ax, name in zip(axes, names):
        has_train = name in curves
        has_validation = VALIDATION_PREFIX + name in curves
        if has_train:
            ax.plot(epochs, curves[name], color=TRAIN_COLOR, marker=marker, markersize=4, label="training")
        if has_validation:
            ax.plot(
                epochs,
                curves[VALIDATION_PREFIX + name],
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
        notes = [note for key in (name, VALIDATION_PREFIX + name) if key in curves
                 for note in [non_finite_note(key, curves[key])] if note]
        if notes:
            warnings.warn(" ".join(notes), NonFiniteHistoryWarning, stacklevel=3)
            ax.text(0.5, 0.5, "\n".join(notes), transform=ax.transAxes, ha="center", va="center",
                    wrap=True, fontsize="small", color=WARNING_COLOR,
                    bbox={"facecolor": "white", "edgecolor": WARNING_COLOR})
        _finish_epoch_axes(ax, name, num_epochs)
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
        >>> import tfcourse as tfc
        >>> history = {"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6],   # or model.fit(...)
        ...            "accuracy": [0.7, 0.8, 0.85], "val_accuracy": [0.65, 0.75, 0.8]}
        >>> fig = tfc.plot_history(history, metrics=["loss", "accuracy"])
        >>> [ax.get_title() for ax in fig.axes]
        ['loss: training vs validation', 'accuracy: training vs validation']
    """
    curves = history_dict(history)
    names = select_metrics(curves, metrics)
    fig = new_or_checked_figure(fig, figure_size(len(names)))
    draw_history(fig, curves, names)
    return fig


def plot_histories(
    histories: Mapping[str, Any],
    *,
    metric: str = "val_accuracy",
    ax: Axes | None = None,
) -> Axes:
    """Draw one metric of several training runs on one pair of axes, to compare them.

    Args:
        histories: ``{run name: history}``, each history a Keras ``History``
            (the return value of ``model.fit``) or a dict of per-epoch lists,
            as :func:`plot_history` takes. Runs may have different numbers of
            epochs. The legend follows the dict's order.
        metric: the exact history key to draw, e.g. ``"val_accuracy"``,
            ``"val_loss"`` or ``"accuracy"``; every run must have it.
        ax: matplotlib axes to draw on; ``None`` makes a new figure.

    Returns:
        The axes, with one line per run, labelled with its name.

    Example:
        >>> import tfcourse as tfc
        >>> histories = {"SGD": {"val_accuracy": [0.80, 0.85]},   # or {"SGD": model_a.fit(...), ...}
        ...              "Adam": {"val_accuracy": [0.90, 0.93, 0.94]}}
        >>> ax = tfc.plot_histories(histories, metric="val_accuracy")
        >>> [line.get_label() for line in ax.get_lines()]
        ['SGD', 'Adam']
    """
    if not isinstance(histories, Mapping):
        raise TypeError(
            expected(
                "a dict of runs, {name: history}, e.g. {'SGD': history_sgd, 'Adam': history_adam}",
                "histories",
                histories,
            )
        )
    if not histories:
        raise ValueError(expected("at least one run", "histories", histories))
    if not isinstance(metric, str) or not metric:
        raise TypeError(expected("a metric name such as 'val_accuracy'", "metric", metric))
    runs: dict[str, list[float]] = {}
    for name, history in histories.items():
        if not isinstance(name, str) or not name:
            raise TypeError(
                expected("run names as non-empty strings (they go in the legend)", "run name", name)
            )
        try:
            curves = history_dict(history)
        except (TypeError, ValueError) as err:  # say which run is wrong
            raise type(err)(f"Run {name!r}: {err}") from None
        if metric not in curves:
            hint = (
                "Validation metrics appear only when fit gets validation_data or validation_split."
                if metric.startswith(VALIDATION_PREFIX)
                else None
            )
            raise ValueError(
                expected(
                    f"a metric that run {name!r} recorded: {', '.join(curves)}",
                    "metric",
                    metric,
                    hint=hint,
                )
            )
        runs[name] = curves[metric]

    ax = new_or_checked_axes(ax, (7.0, 4.2))
    longest = max(len(values) for values in runs.values())
    show_markers = longest <= 30  # markers on long runs only clutter
    for index, (name, values) in enumerate(runs.items()):
        ax.plot(
            np.arange(1, len(values) + 1),
            values,
            label=name,
            color=RUN_COLORS[index % len(RUN_COLORS)],
            linestyle=RUN_LINESTYLES[index % len(RUN_LINESTYLES)],
            marker=RUN_MARKERS[index % len(RUN_MARKERS)] if show_markers else None,
            markersize=5,
        )
    ax.set_title(f"{metric} per epoch: {len(runs)} run{'s' if len(runs) != 1 else ''} compared")
    _finish_epoch_axes(ax, metric, longest)
    return ax
