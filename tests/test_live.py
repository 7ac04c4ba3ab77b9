"""Tests for tfcourse.live.LiveCurves: a fake output over a tiny real fit."""

from __future__ import annotations

import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfcourse import live as live_module  # noqa: E402
from tfcourse.live import LiveCurves, NotebookOutput, TextOutput  # noqa: E402

EPOCHS = 3


pytestmark = pytest.mark.usefixtures("clean_matplotlib")  # the fixture is in tests/conftest.py


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((64, 4), dtype=np.float32)
    y = (x.sum(axis=1) > 2).astype("int32")
    return x, y


def fit(data, callback, *, epochs=EPOCHS):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data
    return model.fit(x, y, epochs=epochs, batch_size=16, validation_split=0.25, verbose=0, callbacks=[callback])


class FakeOutput:
    def __init__(self):
        self.sent = []
        self.closed = 0

    def send(self, history):
        self.sent.append(history)

    def close(self):
        self.closed += 1


class FakeHandle:
    def __init__(self):
        self.updates = []

    def update(self, obj):
        self.updates.append(obj)


def test_fake_output_gets_a_growing_history_matching_keras(data):
    output = FakeOutput()
    live = LiveCurves(output=output)
    history = fit(data, live)

    assert [len(sent["loss"]) for sent in output.sent] == [1, 2, 3]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(output.sent[-1])
    assert output.sent[0]["loss"] == [output.sent[-1]["loss"][0]]  # earlier sends are not mutated later
    assert output.closed == 1
    assert set(live.history) == set(history.history)
    for name, values in history.history.items():
        np.testing.assert_allclose(live.history[name], values)


def test_update_every_skips_epochs_but_always_sends_the_last(data):
    output = FakeOutput()
    fit(data, LiveCurves(output=output, update_every=2))
    assert [len(sent["loss"]) for sent in output.sent] == [2, 3]


def test_does_not_slow_keras_down_with_batch_hooks():
    # Overriding a batch-end hook makes Keras run callbacks synchronously.
    for hook in ("on_train_batch_end", "on_batch_end", "on_test_batch_end", "on_predict_batch_end"):
        assert getattr(LiveCurves, hook) is getattr(keras.callbacks.Callback, hook), hook


def test_text_output_prints_one_line_per_epoch(data, capsys):
    live = LiveCurves(output="text")
    assert isinstance(live.output, TextOutput)
    fit(data, live)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == EPOCHS
    for epoch, line in enumerate(lines, start=1):
        assert line.startswith(f"epoch {epoch}: ")
        assert f"loss={live.history['loss'][epoch - 1]:.4f}" in line
        assert "val_loss=" in line and "val_accuracy=" in line


def test_text_output_prints_only_new_epochs_and_chosen_metrics(capsys):
    output = TextOutput("loss")
    output.send({"loss": [0.9], "accuracy": [0.5], "val_loss": [1.0]})
    output.send({"loss": [0.9, 0.5], "accuracy": [0.5, 0.7], "val_loss": [1.0, float("nan")]})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["epoch 1: loss=0.9000 val_loss=1.0000", "epoch 2: loss=0.5000 val_loss=nan"]


def test_text_output_keeps_tiny_and_huge_numbers_readable(capsys):
    TextOutput().send({"loss": [12345678.0], "learning_rate": [1e-5]})
    line = capsys.readouterr().out.strip()
    assert "loss=1.235e+07" in line and "learning_rate=1.000e-05" in line


def test_notebook_output_displays_once_then_updates_in_place(monkeypatch):
    import IPython.display
    import matplotlib.pyplot as plt

    displayed = []
    handle = FakeHandle()

    def fake_display(obj, display_id=False):
        displayed.append((obj, display_id))
        return handle

    monkeypatch.setattr(IPython.display, "display", fake_display)
    live = LiveCurves(output="notebook")
    assert isinstance(live.output, NotebookOutput)
    live.on_train_begin()
    for epoch in range(EPOCHS):
        live.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 1.2 / (epoch + 1)})
    figure = live.output.figure
    live.on_train_end()

    assert len(displayed) == 1 and displayed[0] == (figure, True)
    assert handle.updates == [figure] * (EPOCHS - 1)
    assert plt.get_fignums() == []  # closed in pyplot: no extra copy when the cell ends
    (ax,) = figure.axes
    assert [len(line.get_xdata()) for line in ax.get_lines()] == [EPOCHS, EPOCHS]

    # The next fit (usually in a new cell) gets its own figure and display.
    live.on_train_begin()
    live.on_epoch_end(EPOCHS, {"loss": 0.2, "val_loss": 0.3})
    live.on_train_end()
    assert len(displayed) == 2 and displayed[1][0] is not figure
    assert len(handle.updates) == EPOCHS - 1


def test_auto_output_is_text_outside_a_kernel():
    assert isinstance(LiveCurves().output, TextOutput)


def test_auto_output_is_notebook_in_a_jupyter_kernel(monkeypatch):
    import IPython

    class ZMQInteractiveShell:
        pass

    class ColabShell(ZMQInteractiveShell):
        pass

    class TerminalInteractiveShell:
        pass

    for shell, expected_output in [
        (ZMQInteractiveShell(), NotebookOutput),
        (ColabShell(), NotebookOutput),
        (TerminalInteractiveShell(), TextOutput),
        (None, TextOutput),
    ]:
        monkeypatch.setattr(IPython, "get_ipython", lambda shell=shell: shell)
        assert isinstance(LiveCurves().output, expected_output), shell


def test_auto_output_without_ipython_imported_is_text(monkeypatch):
    monkeypatch.delitem(live_module.sys.modules, "IPython", raising=False)
    assert live_module.in_notebook() is False


def test_metrics_missing_in_a_later_epoch_are_padded_with_nan():
    output = FakeOutput()
    live = LiveCurves(output=output)
    live.on_train_begin()
    live.on_epoch_end(0, {"loss": 1.0, "per_class": np.array([0.1, 0.2])})
    live.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.7})
    live.on_epoch_end(2, {"loss": 0.4})
    assert live.history["loss"] == [1.0, 0.5, 0.4]
    assert math.isnan(live.history["val_loss"][0]) and math.isnan(live.history["val_loss"][2])
    assert live.history["val_loss"][1] == 0.7
    assert "per_class" not in live.history  # a vector is not a curve


def test_unknown_metric_is_reported_with_the_available_ones():
    live = LiveCurves("acc", output="text")
    with pytest.raises(ValueError, match="loss, accuracy"):
        live.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"output": "html"}, ValueError, "Expected 'auto', 'notebook', 'text'"),
        ({"output": object()}, TypeError, "send\\(history\\)"),
        ({"update_every": 0}, ValueError, "positive whole number"),
        ({"update_every": 1.5}, TypeError, "positive whole number"),
        ({"metrics": 3}, TypeError, "metric name"),
        ({"metrics": []}, TypeError, "metric name"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        LiveCurves(**kwargs)
