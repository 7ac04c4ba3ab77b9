"""Tests for tfcourse.widgets: each explorer's logic, picture and controls, without a browser.

The real browser (JupyterLab + Chromium) is tests/test_browser.py; here the
widgets are built and driven from Python, as ipywidgets allows with no
frontend.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from widget_helpers import widgets_of  # tests/widget_helpers.py

from tfcourse._plotting import OTHER_COLOR, RIGHT_COLOR, WRONG_COLOR
from tfcourse.widgets import (
    DrawDigit,
    ParameterExplorer,
    PredictionExplorer,
    WeightExplorer,
    preprocess_digit,
)

keras = pytest.importorskip("keras")
ipywidgets = pytest.importorskip("ipywidgets")

# No plt.show(), no rcParams change (tests/conftest.py); the explorers do not
# even use pyplot, which the tests below check with _pyplot_figures().
pytestmark = pytest.mark.usefixtures("clean_matplotlib")


# --- helpers ---------------------------------------------------------------------


def _mlp(input_size: int, hidden: tuple[int, ...], classes: int) -> keras.Model:
    layers = [keras.Input(shape=(input_size,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden]
    layers.append(keras.layers.Dense(classes, activation="softmax"))
    return keras.Sequential(layers)


@pytest.fixture(scope="module")
def mnist_like_model() -> keras.Model:
    """28×28 in, a linear first layer (so activations are image·w + b), 10 out."""
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(6, name="hidden"),
            keras.layers.Dense(10, activation="softmax", name="output"),
        ]
    )


def _pyplot_figures() -> list[int]:
    import matplotlib.pyplot as plt

    return plt.get_fignums()


class FakeSnapshots:
    """What WeightExplorer reads from tfc.WeightSnapshots: epochs, kernels, biases."""

    def __init__(self, epochs, kernels, biases):
        self.epochs, self.kernels, self.biases = epochs, kernels, biases


class StubModel:
    """A model stand-in: fixed outputs, and a record of what it was given."""

    def __init__(self, outputs, input_shape=(None, 28, 28)):
        self.outputs = np.asarray(outputs, dtype=np.float32)
        self.input_shape = input_shape
        self.calls: list[np.ndarray] = []

    def __call__(self, batch, training=False):
        self.calls.append(np.array(batch))
        return self.outputs[None, :]


# --- ParameterExplorer -----------------------------------------------------------------


def test_parameter_explorer_counts_agree_with_keras():
    explorer = ParameterExplorer()
    assert explorer.state["total"] == _mlp(784, (128,), 10).count_params() == 101_770
    explorer.select(input_size=100, hidden=(64, 32), classes=5)
    state = explorer.state
    assert state["total"] == _mlp(100, (64, 32), 5).count_params()
    assert [name for name, _, _ in state["rows"]] == ["hidden_1", "hidden_2", "output"]
    assert state["rows"][0][2] == "100×64 + 64 = 6,464"


def test_parameter_explorer_layer_count_extends_with_the_last_width_and_trims():
    explorer = ParameterExplorer(hidden=(256, 32))
    assert explorer.select(hidden_layers=4).state["hidden"] == (256, 32, 32, 32)
    assert explorer.select(hidden_layers=1).state["hidden"] == (256,)
    state = explorer.select(hidden_layers=0).state
    assert state["hidden"] == () and state["total"] == _mlp(784, (), 10).count_params()
    assert explorer.select(hidden_layers=1).state["hidden"] == (ParameterExplorer.NEW_LAYER_UNITS,)


def test_parameter_explorer_html_shows_formulas_and_the_total():
    text = ParameterExplorer(hidden=(128,)).table_html()
    assert "784×128 + 128 = 100,480" in text
    assert "128×10 + 10 = 1,290" in text
    assert "101,770 parameters" in text
    assert "784 → 128 → 10" in text


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"input_size": 0}, ValueError),
        ({"input_size": "784"}, TypeError),
        ({"hidden": "128"}, TypeError),
        ({"hidden": (128, 0)}, ValueError),
        ({"hidden": (1,) * 5}, ValueError),
        ({"classes": True}, TypeError),
        ({"hidden_layers": 9}, ValueError),
        ({"hidden_layers": 1.0}, TypeError),
        ({"hidden": (8,), "hidden_layers": 2}, ValueError),
    ],
)
def test_parameter_explorer_rejects_bad_sizes_and_keeps_its_state(kwargs, error):
    explorer = ParameterExplorer(hidden=(16,))
    before = explorer.state
    with pytest.raises(error, match="Expected .* Received: "):
        explorer.select(**kwargs)
    assert explorer.state == before


def test_parameter_explorer_constructor_checks_too():
    with pytest.raises(ValueError, match="Received: classes=0"):
        ParameterExplorer(classes=0)


def test_parameter_explorer_controls_drive_the_table_and_follow_select():
    explorer = ParameterExplorer()
    box = explorer.widget
    sliders = {s.description: s for s in widgets_of(box, ipywidgets.IntSlider)}
    assert set(sliders) == {"input size", "hidden layers", "hidden_1 units", "classes"}
    html = next(w for w in widgets_of(box, ipywidgets.HTML) if "tfc-table" in w._dom_classes)
    sliders["hidden_1 units"].value = 64
    assert explorer.state["hidden"] == (64,)
    assert "784×64 + 64 = 50,240" in html.value
    sliders["hidden layers"].value = 2
    units = [s for s in widgets_of(box, ipywidgets.IntSlider) if s.description.endswith("units")]
    assert sorted(s.description for s in units) == ["hidden_1 units", "hidden_2 units"]
    explorer.select(input_size=3000, classes=7)
    assert (sliders["input size"].value, sliders["classes"].value) == (3000, 7)
    assert f"{_mlp(3000, (64, 64), 7).count_params():,} parameters" in html.value


def test_parameter_explorer_has_no_figure_and_says_so():
    with pytest.raises(NotImplementedError, match="table_html"):
        ParameterExplorer().draw()


# --- WeightExplorer ----------------------------------------------------------------------


def _one_hot_images() -> np.ndarray:
    """784 images, image j lit at pixel j only: its activation is w[j] + b."""
    return np.eye(784, dtype=np.float32).reshape(784, 28, 28)


def test_weight_explorer_ranks_images_by_activation():
    kernel = np.zeros((784, 3), np.float32)
    kernel[[10, 500, 42, 7], 2] = [4.0, 3.0, 2.0, 1.0]
    explorer = WeightExplorer(kernel, images=_one_hot_images(), k=3)
    state = explorer.select(unit=2).state
    assert state["top_indices"] == [10, 500, 42]
    assert state["top_activations"] == [4.0, 3.0, 2.0]
    np.testing.assert_array_equal(explorer.unit_weights(), kernel[:, 2].reshape(28, 28))


def test_weight_explorer_reads_the_first_dense_layer_of_a_model_live(mnist_like_model):
    hidden = mnist_like_model.get_layer("hidden")
    images = np.random.default_rng(0).random((50, 28, 28), dtype=np.float32)
    explorer = WeightExplorer(mnist_like_model, images=images, k=5)
    assert explorer.state["units"] == 6
    hidden.bias.assign(np.arange(6, dtype=np.float32))  # changed after the explorer was made
    explorer.select(unit=4)
    inputs = mnist_like_model.inputs[0]
    keras_activations = keras.Model(inputs, hidden(keras.layers.Flatten()(inputs))).predict(images, verbose=0)[:, 4]
    state = explorer.state
    np.testing.assert_allclose(state["top_activations"], np.sort(keras_activations)[::-1][:5], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(keras_activations[state["top_indices"]], state["top_activations"], rtol=1e-4, atol=1e-4)


def test_weight_explorer_steps_through_recorded_epochs():
    rng = np.random.default_rng(0)
    kernels = [rng.normal(size=(784, 4)).astype(np.float32) * scale for scale in (1, 2, 3)]
    biases = [np.zeros(4, np.float32), np.ones(4, np.float32), np.full(4, 2, np.float32)]
    explorer = WeightExplorer(kernels[0], snapshots=FakeSnapshots([0, 2, 4], kernels, biases), images=_one_hot_images())
    assert explorer.state["epoch"] == 4 and explorer.state["epochs"] == [0, 2, 4]
    explorer.select(unit=1, epoch=2)
    np.testing.assert_array_equal(explorer.unit_weights(), kernels[1][:, 1].reshape(28, 28))
    best = int(np.argmax(kernels[1][:, 1]))
    assert explorer.state["top_indices"][0] == best
    assert explorer.state["top_activations"][0] == pytest.approx(kernels[1][best, 1] + 1.0)


def test_weight_explorer_since_start_draws_what_training_added():
    rng = np.random.default_rng(1)
    kernels = [rng.normal(size=(784, 3)).astype(np.float32) for _ in range(3)]
    snapshots = FakeSnapshots([0, 1, 2], kernels, [None] * 3)
    explorer = WeightExplorer(kernels[-1], snapshots=snapshots, images=_one_hot_images(), k=4)
    ranked = explorer.select(unit=1).state["top_indices"]
    explorer.select(since_start=True)
    state = explorer.state
    assert state["since_start"] is True
    np.testing.assert_allclose(explorer.unit_weights().ravel(), kernels[2][:, 1] - kernels[0][:, 1])
    assert state["top_indices"] == ranked  # still ranked by the unit's real activation
    figure = explorer.select(epoch=0).draw()
    assert not explorer.unit_weights().any()  # no change before training
    assert figure.axes[0].get_title() == "unit 1: change since start before training"
    limit = float(max(np.abs(k[:, 1] - kernels[0][:, 1]).max() for k in kernels))
    assert figure.axes[0].images[0].get_clim() == pytest.approx((-limit, limit))
    assert WeightExplorer(kernels[-1], snapshots=snapshots, since_start=True).state["since_start"]


def test_weight_explorer_keeps_one_colour_scale_across_epochs():
    kernels = [np.full((784, 2), 0.1, np.float32), np.full((784, 2), 0.5, np.float32)]
    explorer = WeightExplorer(kernels[0], snapshots=FakeSnapshots([0, 1], kernels, [None, None]))
    limits = []
    for epoch in (0, 1):
        figure = explorer.select(epoch=epoch).draw()
        limits.append(figure.axes[0].images[0].get_clim())
    assert limits[0] == limits[1] == (-0.5, 0.5)


def test_weight_explorer_with_real_snapshots_after_a_few_steps(mnist_like_model):
    from tfcourse.snapshots import WeightSnapshots

    model = keras.models.clone_model(mnist_like_model)
    model.compile("sgd", "sparse_categorical_crossentropy")
    snapshots = WeightSnapshots("hidden")
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 28, 28), dtype=np.float32), rng.integers(0, 10, 64)
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[snapshots])
    explorer = WeightExplorer(model, snapshots=snapshots, images=x)
    assert explorer.state["epochs"] == [0, 1, 2]
    before = explorer.select(epoch=0).unit_weights()
    after = explorer.select(epoch=2).unit_weights()
    assert not np.array_equal(before, after)  # training moved the weights
    np.testing.assert_array_equal(after, model.get_layer("hidden").kernel.numpy()[:, 0].reshape(28, 28))


def test_weight_explorer_figure_shows_the_unit_and_its_top_images():
    kernel = np.random.default_rng(0).normal(size=(784, 3)).astype(np.float32)
    explorer = WeightExplorer(kernel, images=_one_hot_images()[:20], k=6)
    figure = explorer.select(unit=2).draw()
    titled = [ax for ax in figure.axes if ax.get_title()]
    assert titled[0].get_title() == "unit 2: weights"
    assert len(titled) == 1 + 6
    assert all(len(ax.images) == 1 for ax in titled)
    assert titled[1].get_title().startswith(f"#{explorer.state['top_indices'][0]}\nact ")
    assert "Unit 2 of the kernel" in figure.get_suptitle()
    assert explorer.draw() is figure  # redrawn in place, never a new figure
    assert len([ax for ax in figure.axes if ax.get_title()]) == 7
    assert _pyplot_figures() == []
    alone = WeightExplorer(kernel).draw()
    assert [ax.get_title() for ax in alone.axes if ax.get_title()] == ["unit 0: weights"]


@pytest.mark.parametrize(
    "make, error, fragment",
    [
        (lambda m: WeightExplorer(keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten()])), ValueError, "Dense"),
        (lambda m: WeightExplorer(np.zeros((3, 3, 1, 8))), ValueError, "convolution"),
        (lambda m: WeightExplorer(np.zeros((10, 4))), ValueError, "perfect square"),
        (lambda m: WeightExplorer(np.array([["a"]])), TypeError, "numeric"),
        (lambda m: WeightExplorer(m, images=np.zeros((5, 20, 20))), ValueError, "784 pixels"),
        (lambda m: WeightExplorer(m, images=np.array(["x"] * 4)), TypeError, "numeric array"),
        (lambda m: WeightExplorer(m, k=0), ValueError, "positive whole number"),
        (lambda m: WeightExplorer(m, snapshots=object()), TypeError, "WeightSnapshots"),
        (lambda m: WeightExplorer(m, snapshots=FakeSnapshots([], [], [])), ValueError, "recorded during training"),
        (lambda m: WeightExplorer(m, snapshots=FakeSnapshots([0], [np.zeros((784, 2))], [None])), ValueError, "(784, 6)"),
        (lambda m: WeightExplorer(m).select(unit=6), ValueError, "from 0 to 5"),
        (lambda m: WeightExplorer(m).select(unit=1.5), TypeError, "whole number"),
        (lambda m: WeightExplorer(m).select(epoch=1), ValueError, "no snapshots"),
        (lambda m: WeightExplorer(m, since_start=True), ValueError, "without snapshots"),
        (
            lambda m: WeightExplorer(m, snapshots=FakeSnapshots([0], [np.zeros((784, 6))], [None]), since_start="yes"),
            TypeError,
            "True or False",
        ),
        (
            lambda m: WeightExplorer(m, snapshots=FakeSnapshots([0, 5], [np.zeros((784, 6))] * 2, [None] * 2)).select(epoch=3),
            ValueError,
            "recorded epochs [0, 5]",
        ),
        (
            lambda m: WeightExplorer(m, snapshots=FakeSnapshots([0, 5], [np.zeros((784, 6))] * 2, [None] * 2)).select(epoch="5"),
            TypeError,
            "recorded epochs",
        ),
    ],
)
def test_weight_explorer_rejects_bad_input(mnist_like_model, make, error, fragment):
    with pytest.raises(error, match="Expected") as info:
        make(mnist_like_model)
    assert fragment in str(info.value)


def test_weight_explorer_controls_redraw_the_picture():
    rng = np.random.default_rng(0)
    kernels = [rng.normal(size=(784, 4)).astype(np.float32) for _ in range(3)]
    explorer = WeightExplorer(kernels[-1], snapshots=FakeSnapshots([0, 1, 2], kernels, [None] * 3))
    box = explorer.widget
    assert {"tfc-explorer", "tfc-weight-explorer"} <= set(box._dom_classes)
    (unit_slider,) = widgets_of(box, ipywidgets.IntSlider)
    (epoch_slider,) = widgets_of(box, ipywidgets.SelectionSlider)
    (image,) = widgets_of(box, ipywidgets.Image)
    assert (unit_slider.max, list(epoch_slider.options), epoch_slider.value) == (3, [0, 1, 2], 2)
    first = bytes(image.value)
    assert first.startswith(b"\x89PNG")
    unit_slider.value = 3
    assert explorer.state["unit"] == 3 and bytes(image.value) != first
    epoch_slider.value = 0
    assert explorer.state["epoch"] == 0
    (since_start,) = widgets_of(box, ipywidgets.Checkbox)
    since_start.value = True
    assert explorer.state["since_start"]
    explorer.select(unit=1, epoch=1, since_start=False)
    assert (unit_slider.value, epoch_slider.value, since_start.value) == (1, 1, False)


# --- PredictionExplorer --------------------------------------------------------------------


def _probabilities_with_mistakes(labels, wrong) -> np.ndarray:
    probabilities = np.full((len(labels), 10), 0.02)
    predicted = np.array(labels).copy()
    for i in wrong:
        predicted[i] = (labels[i] + 1) % 10
    probabilities[np.arange(len(labels)), predicted] = 0.82
    return probabilities


LABELS = np.array([3, 1, 4, 1, 5, 9, 2, 6])
WRONG = [1, 4, 6]


@pytest.fixture()
def explorer() -> PredictionExplorer:
    images = np.random.default_rng(0).random((len(LABELS), 28, 28), dtype=np.float32)
    return PredictionExplorer(_probabilities_with_mistakes(LABELS, WRONG), images, LABELS)


def test_prediction_explorer_reports_the_current_image(explorer):
    state = explorer.select(index=4).state
    assert state == {
        "index": 4, "position": 4, "count": 8, "mistakes_only": False, "mistakes": 3,
        "true": 5, "predicted": 6, "confidence": pytest.approx(0.82), "correct": False,
    }
    assert explorer.caption() == "#4: true 5, predicted 6 (82.0%) ✗ · image 5 of 8"


def test_prediction_explorer_mistakes_only_filters_and_steps_with_wraparound(explorer):
    explorer.select(index=2).select(mistakes_only=True)
    assert explorer.state["index"] == 4  # the next mistake after image 2
    assert explorer.state["count"] == 3 and explorer.state["position"] == 1
    assert [explorer.next().state["index"] for _ in range(3)] == [6, 1, 4]
    assert [explorer.previous().state["index"] for _ in range(2)] == [1, 6]
    assert explorer.select(mistakes_only=False).state["index"] == 6  # stays on the image
    assert explorer.select(position=7).state["index"] == 7
    assert explorer.next().state["index"] == 0


def test_prediction_explorer_without_mistakes_says_so():
    labels = np.array([0, 1, 2])
    explorer = PredictionExplorer(_probabilities_with_mistakes(labels, []), np.zeros((3, 28, 28)), labels)
    state = explorer.select(mistakes_only=True).state
    assert state["index"] is None and state["count"] == 0
    assert explorer.next().state["index"] is None
    assert "No mistakes" in explorer.caption()
    assert explorer.draw().get_suptitle() == "Mistakes only: none to show"


def test_prediction_explorer_runs_the_model_once_and_applies_softmax_to_logits(mnist_like_model):
    images = np.random.default_rng(0).random((12, 28, 28), dtype=np.float32)
    labels = np.arange(12) % 10
    calls = []

    class Counting:  # the model, with a count of predict calls
        input_shape = mnist_like_model.input_shape

        def predict(self, *args, **kwargs):
            calls.append(args)
            return mnist_like_model.predict(*args, **kwargs)

    from_model = PredictionExplorer(Counting(), images, labels)
    for _ in range(3):
        from_model.next().draw()
    from_model.select(mistakes_only=True)
    assert len(calls) == 1  # once, here; stepping and drawing reuse the probabilities
    expected_probabilities = mnist_like_model.predict(images, verbose=0)
    assert not from_model.from_logits
    predicted = int(expected_probabilities[5].argmax())
    assert from_model.select(index=5).state["predicted"] == predicted
    assert from_model.state["confidence"] == pytest.approx(float(expected_probabilities[5, predicted]), rel=1e-5)
    logits_model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])
    from_logits = PredictionExplorer(logits_model, images, labels)
    logits = logits_model.predict(images, verbose=0)
    softmax = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
    assert from_logits.from_logits
    assert from_logits.select(index=3).state["confidence"] == pytest.approx(float(softmax[3].max()), rel=1e-5)


@pytest.mark.parametrize(
    "args, kwargs, error, fragment",
    [
        ((np.full((8, 10), 0.1), np.zeros((8, 28, 28)), LABELS[:7]), {}, ValueError, "8 labels"),
        ((np.full((8,), 0.1), np.zeros((8, 28, 28)), LABELS), {}, ValueError, "(examples, classes)"),
        ((np.full((8, 10), 3.0), np.zeros((8, 28, 28)), LABELS), {}, ValueError, "Logits?"),
        ((np.full((8, 10), 0.1), np.zeros((8, 28)), LABELS), {}, ValueError, "images of shape"),
        ((np.full((8, 10), 0.1), np.zeros((8, 28, 28)), LABELS), {"class_names": ["a", "b"]}, ValueError, "10 class names"),
        ((np.full((8, 10), 0.1), np.zeros((8, 28, 28)), LABELS), {"class_names": "abc"}, TypeError, "class names"),
        ((np.full((8, 5), 0.2), np.zeros((8, 28, 28)), LABELS), {}, ValueError, "from 0 to 4"),
    ],
)
def test_prediction_explorer_rejects_bad_input(args, kwargs, error, fragment):
    with pytest.raises(error, match="Expected") as info:
        PredictionExplorer(*args, **kwargs)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"index": 8}, ValueError, "from 0 to 7"),
        ({"index": 1.0}, TypeError, "whole number"),
        ({"index": 0, "position": 0}, ValueError, "not both"),
        ({"mistakes_only": "yes"}, TypeError, "True or False"),
        ({"index": 0, "mistakes_only": True}, ValueError, "index of a mistake"),
        ({"position": 3, "mistakes_only": True}, ValueError, "from 0 to 2"),
    ],
)
def test_prediction_explorer_select_rejects_bad_choices_and_keeps_its_state(explorer, kwargs, error, fragment):
    before = explorer.select(index=2).state
    with pytest.raises(error, match="Expected") as info:
        explorer.select(**kwargs)
    assert fragment in str(info.value)
    assert explorer.state == before


def test_prediction_explorer_figure_highlights_true_and_predicted_classes(explorer):
    figure = explorer.select(index=1).draw()  # true 1, predicted 2
    image_ax, bar_ax = figure.axes
    assert len(image_ax.images) == 1 and "true 1, predicted 2" in image_ax.get_title()
    bars = bar_ax.patches
    assert len(bars) == 10
    assert matplotlib.colors.to_hex(bars[2].get_facecolor()) == WRONG_COLOR.lower()
    assert bars[1].get_hatch() and not bars[2].get_hatch()
    assert matplotlib.colors.to_hex(bars[5].get_facecolor()) == OTHER_COLOR.lower()
    assert (bar_ax.get_xlabel(), bar_ax.get_ylabel()) == ("class", "probability")
    right = explorer.select(index=0).draw()  # true 3, predicted 3
    assert right is figure
    assert matplotlib.colors.to_hex(right.axes[1].patches[3].get_facecolor()) == RIGHT_COLOR.lower()
    assert _pyplot_figures() == []


def test_prediction_explorer_uses_class_names():
    labels = np.array([0, 1])
    names = ["cat", "dog"]
    probabilities = np.array([[0.9, 0.1], [0.7, 0.3]])
    explorer = PredictionExplorer(probabilities, np.zeros((2, 4, 4)), labels, class_names=names)
    assert explorer.select(index=1).caption().startswith("#1: true dog, predicted cat (70.0%) ✗")
    labels_on_axis = [t.get_text() for t in explorer.draw().axes[1].get_xticklabels()]
    assert labels_on_axis == names


def test_prediction_explorer_controls_step_filter_and_redraw(explorer):
    box = explorer.widget
    assert "tfc-prediction-explorer" in box._dom_classes
    buttons = {b.description: b for b in widgets_of(box, ipywidgets.Button)}
    (slider,) = widgets_of(box, ipywidgets.IntSlider)
    (toggle,) = widgets_of(box, ipywidgets.ToggleButton)
    (image,) = widgets_of(box, ipywidgets.Image)
    caption = next(w for w in widgets_of(box, ipywidgets.HTML) if "tfc-caption" in w._dom_classes)
    # The slider counts from 1, like the caption's "image 2 of 8".
    assert (slider.min, slider.max, slider.value) == (1, 8, 1) and toggle.description == "mistakes only (3)"
    first = bytes(image.value)
    buttons["next ▶"].click()
    assert explorer.state["index"] == 1 and slider.value == 2 and bytes(image.value) != first
    assert "image 2 of 8" in caption.value
    toggle.value = True
    assert slider.max == 3 and explorer.state["index"] == 1 and "mistake 1 of 3" in caption.value
    slider.value = 3
    assert explorer.state["index"] == 6
    buttons["◀ previous"].click()
    assert explorer.state["index"] == 4 and slider.value == 2


# --- preprocess_digit -------------------------------------------------------------------------


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    return float((image * rows).sum() / image.sum()), float((image * cols).sum() / image.sum())


def _bounding_box(image: np.ndarray, threshold: float = 0.0) -> tuple[int, int]:
    rows, cols = np.flatnonzero((image > threshold).any(1)), np.flatnonzero((image > threshold).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_preprocess_digit_scales_a_stroke_into_the_20_pixel_box_and_centres_it():
    drawing = np.zeros((280, 280), np.uint8)
    drawing[10:170, 20:60] = 255  # a thick bar in the top-left corner, 160×40
    image = preprocess_digit(drawing)
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() >= 0 and image.max() == 1.0
    assert _bounding_box(image) == (20, 5)  # aspect ratio kept: 160×40 → 20×5
    row, col = _centre_of_mass(image)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5


@pytest.mark.filterwarnings("ignore::tfcourse.data.TestSetSplitWarning")
def test_preprocess_digit_turns_a_blown_up_mnist_digit_back_into_itself():
    from tfcourse.data import DataUnavailableError, load_mnist

    try:
        (_, _), (digits, _) = load_mnist()
    except DataUnavailableError as err:  # offline without data: the synthetic test above still runs
        pytest.skip(f"MNIST not available: {err}")
    same, correlations = 0, []
    for digit in digits[:40]:
        canvas = np.zeros((400, 400), np.uint8)
        canvas[30:310, 100:380] = np.kron(digit, np.ones((10, 10), np.uint8))  # off-centre, ×10
        image = preprocess_digit(canvas)
        original = digit.astype(np.float32) / 255
        same += bool(np.abs(image - original).max() < 0.02)
        correlations.append(np.corrcoef(image.ravel(), original.ravel())[0, 1])
    # MNIST's own faint edge pixels and rounding of the centre move a few
    # digits by a pixel; most come back exactly.
    assert same >= 28, same
    assert np.median(correlations) > 0.99


def test_preprocess_digit_reads_every_input_format_alike():
    drawing = np.zeros((100, 100), np.uint8)
    drawing[20:80, 45:55] = 255
    reference = preprocess_digit(drawing)
    rgba = np.zeros((100, 100, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = drawing  # white ink on a transparent canvas
    variants = {
        "float": drawing.astype(np.float32) / 255,
        "bool": drawing > 0,
        "rgb": np.repeat(drawing[..., None], 3, axis=2),
        "one channel": drawing[..., None],
        "rgba": rgba,
        "dark on light": preprocess_digit(255 - drawing, invert=True),
    }
    for name, variant in variants.items():
        result = variant if name == "dark on light" else preprocess_digit(variant)
        np.testing.assert_allclose(result, reference, atol=1e-6, err_msg=name)
    assert not preprocess_digit(np.zeros((50, 50))).any()


@pytest.mark.parametrize(
    "pixels, kwargs, error, fragment",
    [
        (np.zeros(10), {}, ValueError, "(height, width)"),
        (np.zeros((5, 5, 2)), {}, ValueError, "1, 3 or 4 channels"),
        (np.full((5, 5), 2.0), {}, ValueError, "divide by 255"),
        (np.full((5, 5), 300), {}, ValueError, "0 to 255"),
        (np.full((5, 5), np.nan), {}, ValueError, "0 to 1"),
        ([["a"]], {}, TypeError, "numeric"),
        (np.zeros((5, 5)), {"invert": "no"}, TypeError, "True or False"),
    ],
)
def test_preprocess_digit_rejects_bad_input(pixels, kwargs, error, fragment):
    with pytest.raises(error, match="Expected") as info:
        preprocess_digit(pixels, **kwargs)
    assert fragment in str(info.value)


# --- DrawDigit -------------------------------------------------------------------------------


def test_draw_digit_feeds_the_model_the_preprocessed_drawing():
    model = StubModel(np.eye(10)[1] * 0.9 + 0.01)
    pad = DrawDigit(model)
    assert pad.state == {"strokes": 0, "empty": True, "predicted": None, "confidence": None, "probabilities": None}
    pad.draw_stroke([(140, 40), (140, 240)])
    (batch,) = model.calls
    assert batch.shape == (1, 28, 28) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch[0], preprocess_digit(pad.drawing))
    state = pad.state
    assert (state["strokes"], state["empty"], state["predicted"]) == (1, False, 1)
    assert state["confidence"] == pytest.approx(0.91)
    assert pad.caption() == "Prediction: 1 (91% sure)"


def test_draw_digit_paints_the_brush_width_along_the_stroke():
    pad = DrawDigit(StubModel(np.full(10, 0.1)), canvas_size=280)
    pad.draw_stroke([(140, 40), (140, 240)])
    drawing = pad.drawing
    assert _bounding_box(drawing) == (220, 20)  # 200 px long plus round caps, 20 px brush
    assert drawing[140, 131] == 1 and drawing[140, 128] == 0 and drawing[29, 140] == 0


def test_draw_digit_reshapes_for_a_flat_input_and_softmaxes_logits():
    logits = np.array([0, 0, 5, 0, 0, 0, 0, 0, 0, 0], np.float32)
    model = StubModel(logits, input_shape=(None, 784))
    pad = DrawDigit(model).draw_stroke([(60, 60), (200, 200)])
    assert model.calls[0].shape == (1, 784)
    probabilities = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(pad.state["probabilities"], probabilities, rtol=1e-6)


def test_draw_digit_with_a_keras_model(mnist_like_model):
    pad = DrawDigit(mnist_like_model).draw_stroke([(100, 60), (180, 60), (120, 230)])
    expected = mnist_like_model.predict(pad.model_input[None], verbose=0)[0]
    np.testing.assert_allclose(pad.state["probabilities"], expected, rtol=1e-5, atol=1e-6)
    assert pad.state["predicted"] == int(expected.argmax())


def test_draw_digit_clear_starts_again():
    pad = DrawDigit(StubModel(np.eye(10)[7])).draw_stroke([(50, 50), (60, 200)])
    pad.clear()
    assert pad.state["empty"] and pad.state["predicted"] is None and pad.state["strokes"] == 0
    assert not pad.model_input.any()
    assert pad.caption().startswith("Draw a digit")


@pytest.mark.parametrize(
    "make, error, fragment",
    [
        (lambda: DrawDigit(object()), TypeError, "Keras model"),
        (lambda: DrawDigit(np.zeros((28, 28))), TypeError, "Keras model"),
        (lambda: DrawDigit(StubModel(np.zeros(10), input_shape=(None, 32, 32))), ValueError, "784"),
        (lambda: DrawDigit(StubModel(np.zeros(10)), canvas_size=10), ValueError, "canvas_size"),
        (lambda: DrawDigit(StubModel(np.zeros(10)), canvas_size=280.0), TypeError, "canvas_size"),
        (lambda: DrawDigit(StubModel(np.zeros(10))).draw_stroke([]), TypeError, "non-empty list"),
        (lambda: DrawDigit(StubModel(np.zeros(10))).draw_stroke([("a", 1)]), TypeError, "points[0]"),
        (lambda: DrawDigit(StubModel(np.zeros(10))).draw_stroke([(1, 2), (np.nan, 1)]), ValueError, "points[1]"),
    ],
)
def test_draw_digit_rejects_bad_input(make, error, fragment):
    with pytest.raises(error, match="Expected") as info:
        make()
    assert fragment in str(info.value)


def test_draw_digit_figure_shows_the_model_input_and_the_probabilities():
    pad = DrawDigit(StubModel(np.eye(10)[4] * 0.6 + 0.04)).draw_stroke([(100, 50), (100, 150), (200, 150)])
    figure = pad.draw()
    image_ax, bar_ax = figure.axes
    np.testing.assert_array_equal(image_ax.images[0].get_array(), pad.model_input)
    assert "what the model sees" in image_ax.get_title()
    assert len(bar_ax.patches) == 10 and bar_ax.get_title() == "predicted 4 (64%)"
    assert matplotlib.colors.to_hex(bar_ax.patches[4].get_facecolor()) == RIGHT_COLOR.lower()
    empty = DrawDigit(StubModel(np.zeros(10))).draw()
    assert empty.axes[1].get_title() == "draw a digit to see the probabilities"
    assert _pyplot_figures() == []


def test_draw_digit_mouse_events_reach_the_drawing_and_the_prediction():
    from ipycanvas import Canvas

    pad = DrawDigit(StubModel(np.eye(10)[3] * 0.7 + 0.03))
    box = pad.widget
    assert "tfc-draw-digit" in box._dom_classes
    (canvas,) = widgets_of(box, Canvas)
    (image,) = widgets_of(box, ipywidgets.Image)
    caption = next(w for w in widgets_of(box, ipywidgets.HTML) if "tfc-caption" in w._dom_classes)
    assert (canvas.width, canvas.height) == (280, 280) and "Draw a digit" in caption.value
    before = bytes(image.value)

    def send(event, x, y):  # what the browser sends when the mouse acts on the canvas
        canvas._handle_frontend_event(None, {"event": event, "x": x, "y": y}, [])

    send("mouse_move", 10, 10)  # moving without a button pressed draws nothing
    assert pad.state["empty"]
    send("mouse_down", 140, 40)
    for y in range(60, 241, 20):
        send("mouse_move", 140, y)
    send("mouse_up", 140, 240)
    assert pad.state["strokes"] == 1 and pad.state["predicted"] == 3
    assert "Prediction: 3" in caption.value and bytes(image.value) != before
    (clear,) = [b for b in widgets_of(box, ipywidgets.Button) if b.description == "Clear"]
    clear.click()
    assert pad.state["empty"] and "Draw a digit" in caption.value


# --- shared behaviour ------------------------------------------------------------------------


def test_explorers_show_as_widgets_with_their_own_text(mnist_like_model):
    images = np.zeros((3, 28, 28), np.float32)
    explorers = [
        ParameterExplorer(),
        WeightExplorer(mnist_like_model),
        PredictionExplorer(np.full((3, 10), 0.1), images, [0, 1, 2]),
        DrawDigit(mnist_like_model),
    ]
    for explorer in explorers:
        bundle = explorer._repr_mimebundle_()
        assert bundle["text/plain"] == repr(explorer)
        assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    assert repr(explorers[0]) == "ParameterExplorer(input_size=784, hidden=(128,), classes=10, total=101,770)"
    assert repr(explorers[1]) == "WeightExplorer(layer='hidden', unit=0 of 6)"


def test_parameter_explorer_rows_count_what_keras_counts_per_layer():
    """Each row of the explorer's table (not only the total) agrees with the Keras layer it stands for."""
    explorer = ParameterExplorer(input_size=20, hidden=(7, 3), classes=2)
    layers = [layer for layer in _mlp(20, (7, 3), 2).layers if layer.weights]
    rows = explorer.state["rows"]
    assert [params for _, params, _ in rows] == [layer.count_params() for layer in layers] == [147, 24, 8]
    assert [formula for _, _, formula in rows] == ["20×7 + 7 = 147", "7×3 + 3 = 24", "3×2 + 2 = 8"]
    assert explorer.select(hidden=(5,)).state["rows"][0][1] == _mlp(20, (5,), 2).layers[0].count_params()


def test_every_word_an_explorer_shows_comes_from_its_modules_text(monkeypatch, mnist_like_model):
    """Labels, titles and captions are read from one TEXT dict per module (where translations go)."""
    from tfcourse.widgets import draw_digit, parameter_explorer, prediction_explorer, weight_explorer

    monkeypatch.setitem(parameter_explorer.TEXT, "classes", "CLASSES")
    monkeypatch.setitem(weight_explorer.TEXT, "title", "UNIT {unit}")
    monkeypatch.setitem(prediction_explorer.TEXT, "next", "NEXT")
    monkeypatch.setitem(draw_digit.TEXT, "empty", "DRAW")
    sliders = widgets_of(ParameterExplorer().widget, ipywidgets.IntSlider)
    assert "CLASSES" in [s.description for s in sliders]
    assert WeightExplorer(mnist_like_model).select(unit=2).draw().axes[0].get_title() == "UNIT 2"
    explorer = PredictionExplorer(np.full((3, 10), 0.1), np.zeros((3, 28, 28)), [0, 1, 2])
    assert "NEXT" in [b.description for b in widgets_of(explorer.widget, ipywidgets.Button)]
    assert DrawDigit(mnist_like_model).caption() == "DRAW"
