"""Live training curves while ``model.fit`` runs (lesson use: ``callbacks=[tfc.LiveCurves()]``).

Built the livelossplot way: one logger (the callback) collects the epoch logs,
and an *output* receives the whole history each time there is something new.
Two outputs ship here:

- :class:`NotebookOutput` draws one figure and updates it in place through an
  IPython display handle, so a notebook (and nbval) sees one output, not one
  per epoch as ``clear_output`` would leave;
- :class:`TextOutput` prints one line per epoch, for scripts and terminals.

Tests (and curious students) can plug in any object with a
``send(history: dict[str, list[float]]) -> None`` method, and optionally
``close()``, instead of drawing.

A hand-written training loop (lesson 03) feeds it the way ``fit`` does,
through the ordinary callback calls::

    live = tfc.LiveCurves()
    for epoch in range(5):
        ...  # train one epoch, then measure
        live.on_epoch_end(epoch, {"loss": loss, "accuracy": acc, "val_loss": ...})
    live.on_train_end()

This module imports Keras at the top because its whole job is a Keras
callback; it is only imported when ``tfc.LiveCurves`` is first used.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any, Protocol, TextIO, runtime_checkable

import keras

from tfcourse import curves
from tfcourse._plotting import new_or_checked_figure
from tfcourse._validation import check_positive_int, expected

__all__ = ["LiveCurves"]


@runtime_checkable
class Output(Protocol):
    """What LiveCurves needs from an output: ``send`` (``close`` is optional)."""

    def send(self, history: dict[str, list[float]]) -> None: ...


def in_notebook() -> bool:
    """True inside a Jupyter kernel (a frontend can show figures), else False."""
    # Not imported means not running under IPython: no need to import it here.
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    # Colab's and VS Code's shells subclass ZMQInteractiveShell; the terminal
    # IPython shell does not.
    return shell is not None and any(
        cls.__name__ == "ZMQInteractiveShell" for cls in type(shell).__mro__
    )


def _check_metrics(metrics: Any) -> tuple[str, ...] | None:
    if metrics is None:
        return None
    if isinstance(metrics, str):
        return (metrics,)
    if isinstance(metrics, Sequence) and metrics and all(isinstance(m, str) for m in metrics):
        return tuple(metrics)
    raise TypeError(expected("None, a metric name or a non-empty list of metric names", "metrics", metrics))


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.3e}"  # learning rates and exploding losses stay readable


class TextOutput:
    """Print one line per epoch: ``epoch 3: loss=0.4123 accuracy=0.8900 val_loss=...``.

    Example:
        >>> output = TextOutput()          # what tfc.LiveCurves(output="text") sends to
        >>> output.send({"loss": [0.9, 0.41], "accuracy": [0.7, 0.89]})
        epoch 1: loss=0.9000 accuracy=0.7000
        epoch 2: loss=0.4100 accuracy=0.8900
    """

    def __init__(self, metrics: str | Sequence[str] | None = None, *, file: TextIO | None = None) -> None:
        self.metrics = _check_metrics(metrics)
        self.file = file
        self._printed = 0

    def send(self, history: dict[str, list[float]]) -> None:
        names = curves.select_metrics(history, self.metrics)
        keys = [name for name in names if name in history]
        keys += [curves.VALIDATION_PREFIX + name for name in names if curves.VALIDATION_PREFIX + name in history]
        num_epochs = len(next(iter(history.values()))) if history else 0
        # sys.stdout is looked up now, not at construction, so redirection works.
        file = self.file if self.file is not None else sys.stdout
        for epoch in range(self._printed, num_epochs):
            parts = " ".join(f"{key}={_format_value(history[key][epoch])}" for key in keys)
            print(f"epoch {epoch + 1}: {parts}", file=file, flush=True)
        self._printed = num_epochs

    def close(self) -> None:
        """Nothing to release; the epoch count carries on if training goes on."""


class NotebookOutput:
    """One figure, drawn with :func:`tfcourse.plot_history`, updated in place.

    The first ``send`` shows the figure with ``display(fig, display_id=True)``;
    later ones redraw it and call ``handle.update(fig)``. The figure is closed
    in pyplot at once, so the notebook does not show a second copy when the
    cell ends. ``close()`` forgets the handle, so the next training run (often
    in another cell) gets its own figure.
    """

    def __init__(self, metrics: str | Sequence[str] | None = None) -> None:
        self.metrics = _check_metrics(metrics)
        self.figure = None
        self.handle = None
        self._shown = False

    def send(self, history: dict[str, list[float]]) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import display

        data = curves.history_dict(history)
        names = curves.select_metrics(data, self.metrics)
        if self.figure is None:
            self.figure = new_or_checked_figure(None, curves.figure_size(len(names)))
            plt.close(self.figure)  # we display it ourselves, exactly once
        else:
            self.figure.clear()
        curves.draw_history(self.figure, data, names)
        if not self._shown:
            self.handle = display(self.figure, display_id=True)
            self._shown = True
        elif self.handle is not None:  # display() returns None outside IPython
            self.handle.update(self.figure)

    def close(self) -> None:
        self.figure = None
        self.handle = None
        self._shown = False


class LiveCurves(keras.callbacks.Callback):
    """A Keras callback that draws the training curves while ``fit`` runs.

    Args:
        metrics: metric names to show (``"loss"``, ``"accuracy"``...; their
            ``val_`` curves come along); ``None`` shows every metric logged.
        output: ``"auto"`` (a live figure in Jupyter, text lines elsewhere,
            decided once here), ``"notebook"``, ``"text"``, or any object
            with a ``send(history)`` method (and optionally ``close()``).
        update_every: redraw every this many epochs (the last epoch is always
            drawn); drawing costs a fraction of a second.

    After training, ``.history`` holds ``{name: [value per epoch]}`` for every
    number Keras logged; an epoch where a metric was not logged (validation
    with ``validation_freq > 1``) holds ``nan``. Calling ``fit`` again with the
    same callback continues the curves.

    Example:
        >>> import keras, numpy as np, tfcourse as tfc
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        >>> model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> x, y = np.ones((8, 4), "float32"), np.zeros(8, "int64")
        >>> live = tfc.LiveCurves(output="text")   # the default, "auto", draws in Jupyter
        >>> _ = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0, callbacks=[live])  # doctest: +ELLIPSIS
        epoch 1: loss=... accuracy=... val_loss=... val_accuracy=...
        epoch 2: loss=... accuracy=... val_loss=... val_accuracy=...
        >>> len(live.history["val_accuracy"])
        2
    """

    def __init__(
        self,
        metrics: str | Sequence[str] | None = None,
        *,
        output: str | Output = "auto",
        update_every: int = 1,
    ) -> None:
        super().__init__()
        self.metrics = _check_metrics(metrics)
        self.update_every = check_positive_int("update_every", update_every)
        if isinstance(output, str):
            if output == "auto":
                output = "notebook" if in_notebook() else "text"
            if output == "notebook":
                output = NotebookOutput(self.metrics)
            elif output == "text":
                output = TextOutput(self.metrics)
            else:
                raise ValueError(
                    expected("'auto', 'notebook', 'text' or an object with a send(history) method", "output", output)
                )
        elif not callable(getattr(output, "send", None)):
            raise TypeError(
                expected("'auto', 'notebook', 'text' or an object with a send(history) method", "output", output)
            )
        self.output = output
        self.history: dict[str, list[float]] = {}
        self._num_epochs = 0
        self._sent_epochs = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for name, value in (logs or {}).items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue  # e.g. a per-class metric vector: not a curve
            # Pad a metric that starts late, so every list has one value per epoch.
            self.history.setdefault(name, [math.nan] * self._num_epochs).append(number)
        self._num_epochs += 1
        for values in self.history.values():
            if len(values) < self._num_epochs:  # a metric missing this epoch
                values.append(math.nan)
        if self._num_epochs % self.update_every == 0:
            self._send()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._num_epochs > self._sent_epochs:
            self._send()
        close = getattr(self.output, "close", None)
        if callable(close):
            close()

    def _send(self) -> None:
        if not self.history:
            return
        # A copy, so an output that keeps what it is sent sees each step as it was.
        self.output.send({name: list(values) for name, values in self.history.items()})
        self._sent_epochs = self._num_epochs
