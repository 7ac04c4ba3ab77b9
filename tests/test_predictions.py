"""Tests for tfcourse.predictions: galleries, confusion matrix, confident mistakes."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from tfcourse.predictions import (
    RIGHT_COLOR,
    WRONG_COLOR,
    WRONG_MARK,
    ConfusionMatrix,
    most_confident_mistakes,
    plot_confident_mistakes,
    plot_confusion_matrix,
    plot_gallery,
)


pytestmark = pytest.mark.usefixtures("clean_matplotlib")  # the fixture is in tests/conftest.py


RNG = np.random.default_rng(0)
IMAGES = RNG.random((20, 28, 28), dtype=np.float32)
LABELS = np.arange(20) % 10


def one_hot_probabilities(predicted, confidence, num_classes=10):
    """Rows that put `confidence` on `predicted` and share the rest evenly."""
    confidence = np.broadcast_to(np.asarray(confidence, dtype=float), (len(predicted),))
    rest = (1 - confidence) / (num_classes - 1)
    probabilities = np.repeat(rest[:, np.newaxis], num_classes, axis=1)
    probabilities[np.arange(len(predicted)), predicted] = confidence
    return probabilities


def titles(fig):
    return [ax.get_title() for ax in fig.axes]


# --- plot_gallery ------------------------------------------------------------


def test_gallery_shows_the_first_n_images_with_true_labels():
    fig = plot_gallery(IMAGES, LABELS, n=12, ncols=4)
    assert len(fig.axes) == 12
    assert all(len(ax.get_images()) == 1 for ax in fig.axes)
    np.testing.assert_array_equal(fig.axes[5].get_images()[0].get_array(), IMAGES[5])
    assert titles(fig)[:3] == ["true 0", "true 1", "true 2"]
    assert fig.axes[0].get_images()[0].get_cmap().name == "gray_r"
    assert fig.axes[0].get_subplotspec().get_gridspec().ncols == 4
    assert fig.get_suptitle()


def test_gallery_marks_mistakes_by_text_and_colour():
    predictions = LABELS.copy()
    predictions[[1, 4]] = [7, 0]
    fig = plot_gallery(IMAGES, LABELS, predictions=predictions, n=6)
    texts = titles(fig)
    assert texts[0] == "true 0\npred 0"
    assert texts[1] == f"{WRONG_MARK} true 1\npred 7"
    wrong = [i for i, text in enumerate(texts) if WRONG_MARK in text]
    assert wrong == [1, 4]
    for i, ax in enumerate(fig.axes):
        color = WRONG_COLOR if i in wrong else RIGHT_COLOR
        assert matplotlib.colors.same_color(ax.title.get_color(), color)
    assert "2 wrong" in fig.get_suptitle()


def test_gallery_with_probabilities_shows_argmax_and_confidence():
    predicted = LABELS.copy()
    predicted[2] = 5
    probabilities = one_hot_probabilities(predicted, 0.98)
    fig = plot_gallery(IMAGES, LABELS, probabilities=probabilities, n=3)
    assert titles(fig) == ["true 0\npred 0 (98%)", "true 1\npred 1 (98%)", f"{WRONG_MARK} true 2\npred 5 (98%)"]


def test_gallery_uses_class_names_and_accepts_a_channel_axis():
    names = [f"class {c}" for c in "ABCDEFGHIJ"]
    fig = plot_gallery(IMAGES[..., np.newaxis], LABELS, predictions=LABELS, class_names=names, n=2)
    assert titles(fig) == ["true class A\npred class A", "true class B\npred class B"]
    assert fig.axes[0].get_images()[0].get_array().shape == (28, 28)


def test_gallery_with_fewer_images_than_n_and_a_given_figure():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = Figure()
    assert plot_gallery(IMAGES[:3], LABELS[:3], n=16, fig=fig) is fig
    assert len(fig.axes) == 3
    assert plt.get_fignums() == []
    new = plot_gallery(IMAGES[:3], LABELS[:3])
    assert plt.get_fignums() == [new.number]


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((IMAGES[0], LABELS[:1]), {}, ValueError, r"shape \(N, height, width\)"),
        ((np.zeros((2, 8, 8, 3)), [0, 1]), {}, ValueError, r"\(N, height, width, 1\)"),
        ((IMAGES, LABELS[:5]), {}, ValueError, "20 labels"),
        ((IMAGES, np.eye(10)[LABELS]), {}, ValueError, "argmax"),
        ((IMAGES, LABELS + 0.5), {}, ValueError, "whole-number class labels"),
        ((IMAGES, LABELS - 1), {}, ValueError, "0 or more"),
        ((IMAGES, LABELS), {"class_names": ["a", "b"]}, ValueError, r"from 0 to 1 \(one per class name\)"),
        ((IMAGES, LABELS), {"class_names": "digits"}, TypeError, "class names"),
        ((IMAGES, LABELS), {"probabilities": np.full((20, 5), 0.2)}, ValueError, "probability column"),
        ((IMAGES, LABELS), {"probabilities": np.full((20, 10), 2.0)}, ValueError, "between 0 and 1"),
        ((IMAGES, LABELS), {"probabilities": np.full((19, 10), 0.1)}, ValueError, "20 rows"),
        ((IMAGES, LABELS), {"predictions": np.full((20, 10), 0.1)}, ValueError, "as probabilities="),
        ((IMAGES, LABELS), {"predictions": LABELS[:3]}, ValueError, "20 labels"),
        (
            (IMAGES, LABELS),
            {"probabilities": np.full((20, 10), 0.1), "class_names": list("abc")},
            ValueError,
            "3 columns of probabilities",
        ),
        ((IMAGES, LABELS), {"n": 0}, ValueError, "positive whole number"),
        ((IMAGES, LABELS), {"ncols": -1}, ValueError, "positive whole number"),
        ((IMAGES, LABELS), {"fig": "figure"}, TypeError, "matplotlib Figure"),
    ],
)
def test_gallery_refuses_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_gallery(*args, **kwargs)


# --- ConfusionMatrix ---------------------------------------------------------

Y_TRUE = [0, 1, 1, 2, 2, 2]
Y_PRED = [0, 1, 2, 2, 2, 0]
# worked by hand: rows are true classes, columns predicted ones
HAND_MATRIX = [[1, 0, 0], [0, 1, 1], [1, 0, 2]]


def test_confusion_matrix_counts_by_hand():
    cm = ConfusionMatrix.from_predictions(Y_TRUE, Y_PRED)
    np.testing.assert_array_equal(cm.matrix, HAND_MATRIX)
    assert cm.matrix.dtype.kind == "i"
    assert cm.accuracy == pytest.approx(4 / 6)
    assert cm.most_confused() == [(1, 2, 1), (2, 0, 1)]
    assert cm.most_confused(k=1) == [(1, 2, 1)]


def test_confusion_matrix_matches_a_plain_loop_on_random_labels():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 7, 500)
    y_pred = np.where(rng.random(500) < 0.7, y_true, rng.integers(0, 7, 500))
    expected = np.zeros((7, 7), dtype=int)
    for t, p in zip(y_true, y_pred):
        expected[t, p] += 1
    cm = ConfusionMatrix.from_predictions(y_true, y_pred)
    np.testing.assert_array_equal(cm.matrix, expected)
    assert cm.accuracy == pytest.approx(np.mean(y_true == y_pred))
    (true, pred, count), *_ = cm.most_confused()
    off_diagonal = expected - np.diag(np.diag(expected))
    assert count == off_diagonal.max() and off_diagonal[true, pred] == count


def test_confusion_matrix_size_from_num_classes_or_class_names():
    assert ConfusionMatrix.from_predictions([0, 1], [1, 1], num_classes=4).matrix.shape == (4, 4)
    cm = ConfusionMatrix.from_predictions([0, 1], [1, 1], class_names=["cat", "dog", "fox"])
    assert cm.matrix.shape == (3, 3) and cm.class_names == ["cat", "dog", "fox"]


def test_confusion_matrix_plot_keeps_figure_axes_and_image():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    cm = ConfusionMatrix.from_predictions(Y_TRUE, Y_PRED)
    assert cm.plot(ax=ax) is cm
    assert cm.ax_ is ax and cm.figure_ is fig
    np.testing.assert_array_equal(cm.im_.get_array(), HAND_MATRIX)
    assert [[text.get_text() for text in row] for row in cm.text_] == [
        [str(v) for v in row] for row in HAND_MATRIX
    ]
    assert ax.get_xlabel() == "predicted label" and ax.get_ylabel() == "true label"
    assert "accuracy 66.7%" in ax.get_title()
    assert len(fig.axes) == 2  # the matrix and its colorbar
    assert cm.im_.get_cmap().name == "viridis"
    # Readable numbers: white on the darkest viridis cells, black on the lightest.
    assert cm.text_[0, 1].get_color() == "white"  # a zero count
    assert cm.text_[2, 2].get_color() == "black"  # the largest count


def test_confusion_matrix_normalized_rows_and_class_names():
    cm = ConfusionMatrix.from_predictions(Y_TRUE, Y_PRED, num_classes=4, class_names=list("abcd"))
    cm.plot(normalize=True, colorbar=False, cmap="cividis")
    shares = cm.im_.get_array()
    np.testing.assert_allclose(shares.sum(axis=1), [1, 1, 1, 0])  # class d never occurs: zeros, not nan
    assert cm.text_[2, 2].get_text() == "0.67"
    assert [label.get_text() for label in cm.ax_.get_xticklabels()] == list("abcd")
    assert len(cm.figure_.axes) == 1
    assert "share" in cm.ax_.get_title()


def test_plot_confusion_matrix_returns_the_axes():
    from matplotlib.axes import Axes

    ax = plot_confusion_matrix(Y_TRUE, Y_PRED)
    assert isinstance(ax, Axes)
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), HAND_MATRIX)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "message"),
    [
        ([0, 1, 2], [0, 1], {}, "as many predictions as true labels"),
        ([0, -1], [0, 1], {}, "0 or more"),
        ([0, 3], [0, 1], {"num_classes": 3}, r"from 0 to 2 \(num_classes\)"),
        ([0, 1.5], [0, 1], {}, "whole-number"),
        (["a", "b"], [0, 1], {}, "whole-number"),
        ([0, 1], np.eye(2), {}, "argmax"),
        ([], [], {}, "at least one label"),
        ([0, 1], [0, 1], {"num_classes": 3, "class_names": ["a", "b"]}, "3 class names"),
        ([0, 1], [0, 1], {"num_classes": 0}, "positive whole number"),
    ],
)
def test_confusion_matrix_refuses_bad_labels(y_true, y_pred, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConfusionMatrix.from_predictions(y_true, y_pred, **kwargs)


def test_confusion_matrix_refuses_bad_plot_options():
    cm = ConfusionMatrix.from_predictions(Y_TRUE, Y_PRED)
    with pytest.raises(ValueError, match="colormap name"):
        cm.plot(cmap="not-a-map")
    with pytest.raises(TypeError, match="True or False"):
        cm.plot(normalize="rows")
    with pytest.raises(TypeError, match="matplotlib Axes"):
        cm.plot(ax="axes")
    with pytest.raises(ValueError, match="positive whole number"):
        cm.most_confused(0)
    with pytest.raises(ValueError, match="square matrix"):
        ConfusionMatrix(np.zeros((2, 3), dtype=int))


# --- confident mistakes ------------------------------------------------------

# example:        0    1    2    3    4    5
TRUE = np.array([0, 1, 2, 0, 1, 2])
PRED = np.array([0, 2, 2, 1, 0, 1])
CONF = np.array([0.9, 0.6, 0.8, 0.95, 0.6, 0.7])
# mistakes are 1, 3, 4, 5; surest first: 3 (0.95), 5 (0.7), then 1 and 4 (0.6, dataset order)
SUREST_MISTAKES = [3, 5, 1, 4]


def test_most_confident_mistakes_order():
    probabilities = one_hot_probabilities(PRED, CONF, num_classes=3)
    np.testing.assert_array_equal(most_confident_mistakes(TRUE, probabilities), SUREST_MISTAKES)
    np.testing.assert_array_equal(most_confident_mistakes(TRUE, probabilities, k=2), SUREST_MISTAKES[:2])
    assert most_confident_mistakes(PRED, probabilities).size == 0


@pytest.mark.parametrize(
    ("probabilities", "kwargs", "message"),
    [
        (np.full(6, 0.5), {}, r"shape \(examples, classes\)"),
        (np.full((5, 3), 0.3), {}, "6 rows"),
        (np.full((6, 3), np.nan), {}, "finite probabilities"),
        (np.full((6, 3), -0.1), {}, "between 0 and 1"),
        (np.full((6, 2), 0.5), {}, "probability column"),
        (np.full((6, 3), 0.3), {"k": 0}, "positive whole number"),
    ],
)
def test_most_confident_mistakes_refuses_bad_input(probabilities, kwargs, message):
    with pytest.raises(ValueError, match=message):
        most_confident_mistakes(TRUE, probabilities, **kwargs)


def test_plot_confident_mistakes_shows_the_surest_mistakes_with_their_index():
    probabilities = one_hot_probabilities(PRED, CONF, num_classes=3)
    fig = plot_confident_mistakes(IMAGES[:6], TRUE, probabilities, k=3, class_names=["zero", "one", "two"])
    assert len(fig.axes) == 3
    assert [title.split("\n")[0] for title in titles(fig)] == [f"#{i}" for i in SUREST_MISTAKES[:3]]
    assert titles(fig)[0] == f"#3\n{WRONG_MARK} true zero\npred one (95%)"
    np.testing.assert_array_equal(fig.axes[1].get_images()[0].get_array(), IMAGES[5])
    assert "3 most confident mistakes (of 4)" in fig.get_suptitle()


def test_plot_confident_mistakes_without_mistakes_says_so():
    from matplotlib.figure import Figure

    fig = Figure()
    probabilities = one_hot_probabilities(TRUE, 0.9, num_classes=3)
    assert plot_confident_mistakes(IMAGES[:6], TRUE, probabilities, fig=fig) is fig
    (ax,) = fig.axes
    assert [text.get_text() for text in ax.texts] == ["no mistakes"]
    assert ax.get_images() == []


def test_plot_confident_mistakes_refuses_bad_input():
    probabilities = one_hot_probabilities(PRED, CONF, num_classes=3)
    with pytest.raises(ValueError, match="Expected 5 labels, one per example"):
        plot_confident_mistakes(IMAGES[:5], TRUE, probabilities)
    with pytest.raises(ValueError, match="2 columns of probabilities"):
        plot_confident_mistakes(IMAGES[:6], TRUE, probabilities, class_names=["a", "b"])
    with pytest.raises(ValueError, match="positive whole number"):
        plot_confident_mistakes(IMAGES[:6], TRUE, probabilities, ncols=0)
