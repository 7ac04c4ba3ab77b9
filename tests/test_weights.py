"""Tests for tfcourse.weights (weight pictures) and tfcourse.snapshots."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfcourse.snapshots import WeightSnapshots  # noqa: E402
from tfcourse.weights import (  # noqa: E402
    WEIGHT_CMAP,
    plot_unit_across_epochs,
    plot_unit_weights,
    plot_weight_histograms,
)


pytestmark = pytest.mark.usefixtures("clean_matplotlib")  # the fixture is in tests/conftest.py


def mnist_like_model(hidden=8):
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(hidden, activation="relu", name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="output"),
        ]
    )


def images_of(fig):
    return [image for ax in fig.axes for image in ax.get_images()]


def panel_titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_images()]


# --- plot_unit_weights -------------------------------------------------------


def test_each_unit_is_a_picture_on_one_symmetric_diverging_scale():
    kernel = np.random.default_rng(0).normal(size=(784, 20))
    kernel[5, 19] = -7.0  # the largest magnitude sets the scale for every panel
    fig = plot_unit_weights(kernel)

    images = images_of(fig)
    assert len(images) == 20
    assert panel_titles(fig) == [f"unit {i}" for i in range(20)]
    for i, image in enumerate(images):
        assert image.get_array().shape == (28, 28)
        np.testing.assert_array_equal(image.get_array(), kernel[:, i].reshape(28, 28))
        assert image.get_clim() == (-7.0, 7.0)
        assert image.get_cmap().name == WEIGHT_CMAP
    colorbars = [ax for ax in fig.axes if not ax.get_images() and ax.collections]
    assert len(colorbars) == 1  # one shared colorbar
    assert len(fig.axes) == 21
    assert "20 units" in fig.get_suptitle()


def test_units_picks_the_first_n_or_the_listed_ones():
    kernel = np.random.default_rng(1).normal(size=(64, 12))
    assert panel_titles(plot_unit_weights(kernel, units=3)) == ["unit 0", "unit 1", "unit 2"]
    fig = plot_unit_weights(kernel, units=[7, 2])
    assert panel_titles(fig) == ["unit 7", "unit 2"]
    np.testing.assert_array_equal(images_of(fig)[0].get_array(), kernel[:, 7].reshape(8, 8))
    limit = np.abs(kernel[:, [7, 2]]).max()  # the scale follows the units shown
    assert images_of(fig)[0].get_clim() == pytest.approx((-limit, limit))
    assert "2 of 12 units" in fig.get_suptitle()


def test_many_units_default_to_the_first_128_in_a_16_column_grid():
    fig = plot_unit_weights(np.zeros((16, 200)))
    assert len(images_of(fig)) == 128
    gridspec = fig.axes[0].get_subplotspec().get_gridspec()
    assert (gridspec.nrows, gridspec.ncols) == (8, 16)


def test_image_shape_for_inputs_that_are_not_square():
    kernel = np.arange(200 * 3, dtype=float).reshape(200, 3)
    fig = plot_unit_weights(kernel, image_shape=(10, 20), ncols=2)
    assert images_of(fig)[0].get_array().shape == (10, 20)
    assert fig.axes[0].get_subplotspec().get_gridspec().ncols == 2


def test_a_dense_layer_of_a_model_is_drawn_with_its_name():
    model = mnist_like_model(hidden=8)
    fig = plot_unit_weights(model.layers[1])
    assert len(images_of(fig)) == 8
    expected = model.layers[1].kernel.numpy()
    np.testing.assert_allclose(images_of(fig)[3].get_array(), expected[:, 3].reshape(28, 28))
    assert "'hidden'" in fig.get_suptitle()


def test_given_figure_is_drawn_in_and_returned():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = Figure()
    assert plot_unit_weights(np.ones((4, 2)), fig=fig) is fig
    assert len(images_of(fig)) == 2
    assert plt.get_fignums() == []
    new = plot_unit_weights(np.ones((4, 2)))
    assert plt.get_fignums() == [new.number]


def test_layer_without_weights_is_named_in_the_error():
    model = mnist_like_model()
    with pytest.raises(ValueError, match="'flatten' has no weights to draw"):
        plot_unit_weights(model.get_layer("flatten"))
    with pytest.raises(ValueError, match="not built"):
        plot_unit_weights(keras.layers.Dense(3))


def test_a_whole_model_is_refused_with_a_hint():
    with pytest.raises(TypeError, match=r"model\.layers\[i\] or model\.get_layer\(name\)"):
        plot_unit_weights(mnist_like_model())


def test_a_convolution_kernel_is_refused_with_a_hint():
    conv = keras.layers.Conv2D(4, 3)
    conv.build((None, 28, 28, 1))
    with pytest.raises(ValueError, match="Dense layer"):
        plot_unit_weights(conv)
    with pytest.raises(ValueError, match="convolution kernel"):
        plot_unit_weights(np.zeros((3, 3, 1, 4)))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"units": 0}, ValueError, "from 1 to 6"),
        ({"units": 7}, ValueError, "from 1 to 6"),
        ({"units": [0, 6]}, ValueError, r"Out of range: \[6\]"),
        ({"units": [-1]}, ValueError, "from 0 to 5"),
        ({"units": []}, TypeError, "unit indices"),
        ({"units": [1.5]}, TypeError, "unit indices"),
        ({"units": "all"}, TypeError, "number of units"),
        ({"units": True}, TypeError, "number of units"),
        ({"image_shape": (5, 5)}, ValueError, "height × width"),
        ({"image_shape": (2, -8)}, TypeError, "positive whole numbers"),
        ({"image_shape": 16}, TypeError, "positive whole numbers"),
        ({"ncols": 0}, ValueError, "positive whole number"),
        ({"fig": "figure"}, TypeError, "matplotlib Figure"),
    ],
)
def test_bad_options_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_unit_weights(np.zeros((16, 6)), **kwargs)


def test_bad_kernels_are_refused():
    with pytest.raises(ValueError, match="not a square picture: pass image_shape"):
        plot_unit_weights(np.zeros((128, 10)))
    with pytest.raises(ValueError, match=r"shape \(inputs, units\)"):
        plot_unit_weights(np.zeros(16))
    with pytest.raises(TypeError, match="numeric kernel"):
        plot_unit_weights(np.array([["a", "b"]]))


# --- plot_weight_histograms --------------------------------------------------


def test_one_histogram_panel_per_layer_with_weights_counting_every_weight():
    model = mnist_like_model(hidden=8)
    fig = plot_weight_histograms(model, bins=20)

    assert [ax.get_title() for ax in fig.axes] == ["hidden", "output"]  # Flatten has none
    for ax, layer in zip(fig.axes, model.layers[1:]):
        kernel_bars, bias_bars = ax.containers
        assert len(kernel_bars) == 20
        assert sum(bar.get_height() for bar in kernel_bars) == layer.kernel.shape[0] * layer.kernel.shape[1]
        assert sum(bar.get_height() for bar in bias_bars) == layer.bias.shape[0]
        assert ax.get_xlabel() == "weight value"
        assert ax.get_ylabel() == "count"
        legend = [text.get_text() for text in ax.get_legend().get_texts()]
        assert legend[0].startswith("kernel") and legend[1].startswith("bias")
        assert kernel_bars[0].get_facecolor() != bias_bars[0].get_facecolor()
    assert fig.get_suptitle()


def test_histograms_of_chosen_layers_in_a_given_figure_on_a_log_scale():
    from matplotlib.figure import Figure

    model = mnist_like_model()
    fig = Figure()
    assert plot_weight_histograms(model.layers[2], fig=fig, log=True) is fig
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and "log" in ax.get_ylabel()
    assert len(plot_weight_histograms([model.layers[1], model.layers[2]]).axes) == 2


def test_histograms_need_weights():
    empty = keras.Sequential([keras.Input(shape=(4, 4)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="no layer has weights"):
        plot_weight_histograms(empty)
    with pytest.raises(TypeError, match="a Keras model, a layer or a list of layers"):
        plot_weight_histograms(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="positive whole number"):
        plot_weight_histograms(mnist_like_model(), bins=0)
    with pytest.raises(TypeError, match="True or False"):
        plot_weight_histograms(mnist_like_model(), log="yes")


# --- WeightSnapshots and plot_unit_across_epochs -----------------------------


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=64)
    return x, y


def train(model, data, callbacks, epochs):
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    x, y = data
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=callbacks)


def test_snapshots_record_before_training_and_after_each_epoch(digits):
    model = mnist_like_model()
    snaps = WeightSnapshots("hidden")
    train(model, digits, [snaps], epochs=3)

    assert snaps.epochs == [0, 1, 2, 3]
    assert len(snaps.kernels) == len(snaps.biases) == 4
    assert snaps.kernel_at(0).shape == (784, 8) and snaps.bias_at(0).shape == (8,)
    assert not np.allclose(snaps.kernel_at(0), snaps.kernel_at(3))  # training moved them
    np.testing.assert_array_equal(snaps.bias_at(0), np.zeros(8))  # kept as it was, not a live view
    np.testing.assert_array_equal(snaps.kernel_at(3), model.layers[1].kernel.numpy())

    # Training on with the same callback carries the epoch count on.
    train(model, digits, [snaps], epochs=1)
    assert snaps.epochs == [0, 1, 2, 3, 4]

    fig = plot_unit_across_epochs(snaps, 2)
    assert panel_titles(fig) == [f"epoch {e}" for e in range(5)]
    images = images_of(fig)
    np.testing.assert_array_equal(images[4].get_array(), snaps.kernel_at(4)[:, 2].reshape(28, 28))
    assert len({image.get_clim() for image in images}) == 1  # one shared scale
    assert "Unit 2" in fig.get_suptitle()
    assert panel_titles(plot_unit_across_epochs(snaps, 0, epochs=[0, 4])) == ["epoch 0", "epoch 4"]


def test_snapshots_every_n_epochs_keep_the_last_one(digits):
    snaps = WeightSnapshots(-1, every=2)  # the output layer, by index
    train(mnist_like_model(), digits, [snaps], epochs=3)
    assert snaps.epochs == [0, 2, 3]
    assert snaps.kernel_at(2).shape == (8, 10)


def begin(snaps, model):
    snaps.set_model(model)
    snaps.on_train_begin()


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ("dense", r"name of a layer of this model.*0: 'flatten', 1: 'hidden', 2: 'output'"),
        (3, r"layer index from -3 to 2.*0: 'flatten'"),
        (0, r"'flatten' has no kernel to record.*1: 'hidden'"),
    ],
)
def test_snapshots_of_a_missing_layer_name_the_available_ones(layer, message):
    with pytest.raises(ValueError, match=message):
        begin(WeightSnapshots(layer), mnist_like_model())


def test_snapshots_bad_arguments_and_unrecorded_epochs():
    with pytest.raises(TypeError, match="layer name, a layer index or a layer"):
        WeightSnapshots(1.5)
    with pytest.raises(ValueError, match="positive whole number"):
        WeightSnapshots("hidden", every=0)
    snaps = WeightSnapshots("hidden")
    with pytest.raises(ValueError, match="Nothing recorded yet"):
        snaps.kernel_at(0)
    begin(snaps, mnist_like_model())
    assert snaps.epochs == [0]
    with pytest.raises(ValueError, match=r"Recorded epochs: \[0\]"):
        snaps.kernel_at(5)
    with pytest.raises(TypeError, match="epoch number"):
        snaps.bias_at("last")


def test_plot_unit_across_epochs_refuses_bad_input():
    snaps = WeightSnapshots("hidden")
    with pytest.raises(ValueError, match="recorded during training"):
        plot_unit_across_epochs(snaps, 0)
    with pytest.raises(TypeError, match="WeightSnapshots"):
        plot_unit_across_epochs(np.zeros((784, 8)), 0)
    begin(snaps, mnist_like_model())
    with pytest.raises(ValueError, match="from 0 to 7"):
        plot_unit_across_epochs(snaps, 8)
    with pytest.raises(TypeError, match="unit index"):
        plot_unit_across_epochs(snaps, "3")
    with pytest.raises(ValueError, match=r"recorded ones \[0\]"):
        plot_unit_across_epochs(snaps, 0, epochs=[1])
