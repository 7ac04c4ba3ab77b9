"""Tests for tfcourse.curves.plot_history (no TensorFlow needed)."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

from tfcourse.curves import TRAIN_COLOR, VALIDATION_COLOR, plot_history

HISTORY = {
    # accuracy first on purpose: the loss panel must still come first
    "accuracy": [0.5, 0.7, 0.8],
    "loss": [1.0, 0.6, 0.4],
    "val_accuracy": [0.45, 0.6, 0.7],
    "val_loss": [1.1, 0.8, 0.6],
}


pytestmark = pytest.mark.usefixtures("clean_matplotlib")  # the fixture is in tests/conftest.py


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_one_panel_per_metric_loss_first_with_train_and_validation_lines():
    fig = plot_history(HISTORY)

    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy"]
    for ax, name in zip(fig.axes, ["loss", "accuracy"]):
        lines = lines_by_label(ax)
        assert set(lines) == {"training", "validation"}
        np.testing.assert_array_equal(lines["training"].get_xdata(), [1, 2, 3])
        np.testing.assert_allclose(lines["training"].get_ydata(), HISTORY[name])
        np.testing.assert_allclose(lines["validation"].get_ydata(), HISTORY["val_" + name])
        assert lines["validation"].get_linestyle() == "--"
        assert lines["training"].get_linestyle() == "-"
        assert matplotlib.colors.same_color(lines["training"].get_color(), TRAIN_COLOR)
        assert matplotlib.colors.same_color(lines["validation"].get_color(), VALIDATION_COLOR)
        assert ax.get_xlabel() == "epoch"
        assert name in ax.get_title()
        legend_texts = [text.get_text() for text in ax.get_legend().get_texts()]
        assert legend_texts == ["training", "validation"]
    assert fig.get_suptitle()


def test_epoch_ticks_are_whole_numbers():
    history = {"loss": list(np.linspace(1, 0.1, 7))}
    fig = plot_history(history)
    fig.canvas.draw()
    ticks = fig.axes[0].get_xticks()
    assert len(ticks) > 1
    np.testing.assert_array_equal(ticks, np.round(ticks))


def test_accepts_a_keras_like_history_and_numpy_scalars_from_a_custom_loop():
    # model.fit returns an object with a .history dict; lesson 03's loop
    # appends NumPy float32 scalars.
    history = SimpleNamespace(history={"loss": [np.float32(0.9), np.float32(0.5)]})
    fig = plot_history(history)
    assert len(fig.axes) == 1
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_allclose(line.get_ydata(), [0.9, 0.5])
    assert "training" in fig.axes[0].get_title()


def test_validation_only_metric_gets_its_own_panel():
    fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.2, 0.7], "val_auc": [0.6, 0.8]})
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "auc"]
    assert list(lines_by_label(fig.axes[1])) == ["validation"]


@pytest.mark.parametrize(
    ("metrics", "expected_panels"),
    [("accuracy", ["accuracy"]), (["accuracy", "loss"], ["accuracy", "loss"]), (None, ["loss", "accuracy"])],
)
def test_metrics_choose_and_order_the_panels(metrics, expected_panels):
    fig = plot_history(HISTORY, metrics=metrics)
    assert [ax.get_ylabel() for ax in fig.axes] == expected_panels


def test_given_figure_is_drawn_in_and_returned():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = Figure()
    returned = plot_history(HISTORY, fig=fig)
    assert returned is fig
    assert len(fig.axes) == 2
    assert plt.get_fignums() == []  # nothing new in pyplot


def test_without_figure_makes_exactly_one_new_figure():
    import matplotlib.pyplot as plt

    fig = plot_history(HISTORY)
    assert plt.get_fignums() == [fig.number]


def test_more_than_three_metrics_wrap_into_rows_without_empty_panels():
    history = {name: [1.0, 0.5] for name in ["loss", "a", "b", "c", "d"]}
    fig = plot_history(history)
    assert len(fig.axes) == 5


def test_unknown_metric_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"Expected metrics from this history: loss, accuracy") as info:
        plot_history(HISTORY, metrics=["loss", "acc"])
    assert "Received: metrics=" in str(info.value)


@pytest.mark.parametrize("metrics", [3, [], ["loss", 1]])
def test_metrics_of_the_wrong_type(metrics):
    with pytest.raises(TypeError, match="Expected None, a metric name"):
        plot_history(HISTORY, metrics=metrics)


@pytest.mark.parametrize(
    ("history", "error", "message"),
    [
        ({}, ValueError, "at least one metric"),
        ({"loss": [], "val_loss": []}, ValueError, "at least one epoch"),
        ({"loss": [1.0, 0.5], "val_loss": [1.0]}, ValueError, "same number of epochs"),
        ([1.0, 0.5], TypeError, "Keras History"),
        (SimpleNamespace(history=None), TypeError, "Keras History"),
        ({"loss": 0.5}, TypeError, "list of numbers"),
        ({"loss": "0.5"}, TypeError, "list of numbers"),
        ({"loss": [[1.0], [0.5]]}, TypeError, "list of numbers"),
        ({"loss": ["high", "low"]}, TypeError, "list of numbers"),
        ({1: [1.0]}, TypeError, "metric names as strings"),
    ],
)
def test_bad_histories_are_refused(history, error, message):
    with pytest.raises(error, match=message):
        plot_history(history)


def test_bad_figures_are_refused():
    import matplotlib.pyplot as plt

    with pytest.raises(TypeError, match="Expected a matplotlib Figure"):
        plot_history(HISTORY, fig="figure")
    busy, _ = plt.subplots()
    with pytest.raises(ValueError, match="Expected an empty Figure"):
        plot_history(HISTORY, fig=busy)


# --- plot_histories: one metric of several runs on one pair of axes -----------


RUNS = {
    "SGD": HISTORY,
    "Adam": {"loss": [0.5, 0.3], "val_loss": [0.6, 0.4], "val_accuracy": [0.8, 0.9], "accuracy": [0.8, 0.95]},
    "CNN": SimpleNamespace(history={"val_accuracy": [0.9, 0.95, 0.97, 0.98], "val_loss": [0.3, 0.2, 0.1, 0.1]}),
}


def test_histories_one_line_per_run_in_order_with_its_own_epochs():
    from tfcourse.curves import plot_histories

    ax = plot_histories(RUNS)

    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["SGD", "Adam", "CNN"]
    for line, run in zip(lines, RUNS.values()):
        values = getattr(run, "history", run)["val_accuracy"]
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, len(values) + 1))
        np.testing.assert_allclose(line.get_ydata(), values)
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "val_accuracy"
    assert "val_accuracy" in ax.get_title() and "3 runs" in ax.get_title()
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["SGD", "Adam", "CNN"]
    assert ax.get_xlim() == (0.5, 4.5)  # room for the longest run


def test_histories_runs_differ_in_colour_and_line_style():
    from tfcourse.curves import RUN_COLORS, plot_histories

    runs = {f"run {i}": {"val_loss": [1.0, 0.5]} for i in range(5)}
    lines = plot_histories(runs, metric="val_loss").get_lines()
    colours = [matplotlib.colors.to_hex(line.get_color()) for line in lines]
    assert colours == [c.lower() for c in RUN_COLORS[:5]]
    # Neighbouring runs also differ without colour (greyscale print, colour blindness).
    styles = [(line.get_linestyle(), line.get_marker()) for line in lines]
    assert all(a != b for a, b in zip(styles, styles[1:]))


def test_histories_draw_on_the_given_axes_and_return_them():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from tfcourse.curves import plot_histories

    ax = Figure().subplots()
    assert plot_histories(RUNS, metric="val_loss", ax=ax) is ax
    assert len(ax.get_lines()) == 3
    assert plt.get_fignums() == []  # nothing new in pyplot


def test_histories_without_axes_make_one_new_figure():
    import matplotlib.pyplot as plt

    from tfcourse.curves import plot_histories

    ax = plot_histories({"only": {"val_accuracy": [0.5]}})
    assert plt.get_fignums() == [ax.figure.number]
    assert "1 run compared" in ax.get_title()
    assert ax.get_lines()[0].get_marker() == "o"  # a one-epoch run is a visible point


def test_histories_a_metric_missing_from_one_run_names_the_run_and_what_it_has():
    from tfcourse.curves import plot_histories

    with pytest.raises(ValueError, match=r"run 'SGD' recorded: accuracy, loss, val_accuracy, val_loss") as info:
        plot_histories({"SGD": HISTORY, "no validation": {"loss": [1.0], "accuracy": [0.5]}}, metric="val_auc")
    assert "Received: metric='val_auc'" in str(info.value)
    with pytest.raises(ValueError, match=r"run 'no validation' recorded: loss, accuracy.*validation_data"):
        plot_histories({"SGD": HISTORY, "no validation": {"loss": [1.0], "accuracy": [0.5]}})


@pytest.mark.parametrize(
    ("histories", "metric", "error", "message"),
    [
        ([HISTORY], "val_accuracy", TypeError, "Expected a dict of runs"),
        (HISTORY["loss"], "val_accuracy", TypeError, "Expected a dict of runs"),
        ({}, "val_accuracy", ValueError, "Expected at least one run"),
        ({"SGD": HISTORY}, 3, TypeError, "Expected a metric name"),
        ({"SGD": HISTORY}, "", TypeError, "Expected a metric name"),
        ({1: HISTORY}, "val_accuracy", TypeError, "run names as non-empty strings"),
        ({"": HISTORY}, "val_accuracy", TypeError, "run names as non-empty strings"),
        ({"broken": [0.5, 0.6]}, "val_accuracy", TypeError, "Run 'broken': Expected a Keras History"),
        ({"empty": {}}, "val_accuracy", ValueError, "Run 'empty': Expected a history with at least one metric"),
    ],
)
def test_histories_bad_input_is_refused(histories, metric, error, message):
    from tfcourse.curves import plot_histories

    with pytest.raises(error, match=message):
        plot_histories(histories, metric=metric)


def test_histories_bad_axes_are_refused():
    from tfcourse.curves import plot_histories

    with pytest.raises(TypeError, match="Expected a matplotlib Axes"):
        plot_histories(RUNS, ax="axes")
