"""Weights across epochs: a callback that keeps a copy of one layer's kernel.

Lesson use::

    snaps = tfc.WeightSnapshots("hidden")          # or an index: model.layers[i]
    model.fit(x, y, epochs=5, callbacks=[snaps])
    tfc.plot_unit_weights(snaps.kernel_at(0), units=8)   # before training
    tfc.plot_unit_weights(snaps.kernel_at(5), units=8)   # after five epochs

This module imports Keras at the top because its whole job is a Keras
callback; it is only imported when ``tfc.WeightSnapshots`` is first used.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from tfcourse._validation import check_positive_int, expected

__all__ = ["WeightSnapshots"]


def _copy(variable: Any) -> np.ndarray:
    """An owned NumPy copy: the snapshot must not follow the live variable."""
    # Variable.numpy() rather than keras.ops.convert_to_numpy, which warns on
    # Keras variables under NumPy 2 (DeprecationWarning about `copy`).
    value = variable.numpy() if hasattr(variable, "numpy") else keras.ops.convert_to_numpy(variable)
    return np.array(value, copy=True)


class WeightSnapshots(keras.callbacks.Callback):
    """Record one layer's kernel (and bias) before training and every few epochs.

    Only that layer's arrays are copied (a Dense 784×128 kernel is 400 kB per
    snapshot), never the model.

    Args:
        layer: the layer's name (``"dense"``) or its index in ``model.layers``
            (negative counts from the end), or the layer itself.
        every: record after every this many epochs; the last epoch of each
            ``fit`` is always recorded.

    Attributes:
        epochs: recorded epochs, ``0`` meaning before training. Epochs keep
            counting if ``fit`` is called again with the same callback.
        kernels: the kernel (NumPy array) at each recorded epoch.
        biases: the bias at each recorded epoch (``None`` without a bias).

    Example:
        >>> import keras, numpy as np, tfcourse as tfc
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="hidden"),
        ...                           keras.layers.Dense(2, activation="softmax")])
        >>> model.compile("sgd", "sparse_categorical_crossentropy")
        >>> snaps = tfc.WeightSnapshots("hidden", every=1)
        >>> _ = model.fit(np.ones((8, 4)), np.zeros(8), epochs=3, verbose=0, callbacks=[snaps])
        >>> snaps.epochs
        [0, 1, 2, 3]
        >>> snaps.kernel_at(3).shape       # (inputs, units) of the "hidden" layer
        (4, 3)
    """

    def __init__(self, layer: str | int | Any, *, every: int = 1) -> None:
        super().__init__()
        if isinstance(layer, bool) or not isinstance(layer, (str, int, keras.layers.Layer)):
            raise TypeError(expected("a layer name, a layer index or a layer", "layer", layer))
        self.layer = layer
        self.every = check_positive_int("every", every)
        self.epochs: list[int] = []
        self.kernels: list[np.ndarray] = []
        self.biases: list[np.ndarray | None] = []
        self._tracked: Any = None
        self._epochs_done = 0

    def _available(self) -> str:
        return ", ".join(f"{i}: {layer.name!r}" for i, layer in enumerate(self.model.layers))

    def _resolve_layer(self) -> Any:
        layers = self.model.layers
        if isinstance(self.layer, keras.layers.Layer):
            found = self.layer
        elif isinstance(self.layer, str):
            matches = [layer for layer in layers if layer.name == self.layer]
            if not matches:
                raise ValueError(
                    expected(
                        "the name of a layer of this model",
                        "layer",
                        self.layer,
                        hint=f"Layers: {self._available()}.",
                    )
                )
            found = matches[0]
        else:
            if not -len(layers) <= self.layer < len(layers):
                raise ValueError(
                    expected(
                        f"a layer index from {-len(layers)} to {len(layers) - 1}",
                        "layer",
                        self.layer,
                        hint=f"Layers: {self._available()}.",
                    )
                )
            found = layers[self.layer]
        if getattr(found, "kernel", None) is None:
            raise ValueError(
                expected(
                    "a layer with a kernel (such as Dense)",
                    "layer",
                    self.layer,
                    hint=f"Layer {found.name!r} has no kernel to record. Layers: {self._available()}.",
                )
            )
        return found

    def _record(self, epoch: int) -> None:
        if self.epochs and self.epochs[-1] == epoch:
            return
        layer = self._tracked
        self.kernels.append(_copy(layer.kernel))
        bias = getattr(layer, "bias", None)
        self.biases.append(None if bias is None else _copy(bias))
        self.epochs.append(epoch)

    def on_train_begin(self, logs: dict | None = None) -> None:
        layer = self._resolve_layer()
        if layer is not self._tracked:  # first fit, or a different model: start over
            self._tracked = layer
            self.epochs, self.kernels, self.biases = [], [], []
            self._epochs_done = 0
        self._record(self._epochs_done)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # Our own count, not Keras's `epoch`, so a second fit carries on from here.
        self._epochs_done += 1
        if self._epochs_done % self.every == 0:
            self._record(self._epochs_done)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._record(self._epochs_done)

    def _index(self, epoch: int) -> int:
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)):
            raise TypeError(expected("an epoch number (a whole number)", "epoch", epoch))
        if epoch not in self.epochs:
            hint = (
                f"Recorded epochs: {self.epochs}."
                if self.epochs
                else "Nothing recorded yet: pass this callback to model.fit(..., callbacks=[...])."
            )
            raise ValueError(expected("an epoch that was recorded", "epoch", epoch, hint=hint))
        return self.epochs.index(epoch)

    def kernel_at(self, epoch: int) -> np.ndarray:
        """The kernel recorded at ``epoch`` (0 = before training)."""
        return self.kernels[self._index(epoch)]

    def bias_at(self, epoch: int) -> np.ndarray | None:
        """The bias recorded at ``epoch`` (``None`` for a layer without bias)."""
        return self.biases[self._index(epoch)]
