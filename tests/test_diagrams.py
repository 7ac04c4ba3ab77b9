"""Tests for tfcourse.diagrams: the architecture picture holds what lesson 01 says."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import tfcourse as tfc
from tfcourse.diagrams import ARCHITECTURE, LAYER_NAMES, layer_of, plot_architecture


pytestmark = pytest.mark.usefixtures("clean_matplotlib")  # the fixture is in tests/conftest.py


def _by_gid(ax, prefix):
    return [p for p in ax.patches if (p.get_gid() or "").startswith(prefix)]


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_exported_from_the_package():
    assert tfc.plot_architecture is plot_architecture


def test_one_band_per_layer_bottom_to_top():
    ax = plot_architecture()
    bands = _by_gid(ax, "layer:")
    assert [b.get_gid() for b in sorted(bands, key=lambda b: b.get_y())] == [
        f"layer:{name}" for name in LAYER_NAMES
    ]
    assert LAYER_NAMES[0] == "devices" and "high-level" in LAYER_NAMES[-1]


def test_every_item_is_a_box_with_its_label():
    ax = plot_architecture()
    items = [item for layer in ARCHITECTURE for item in layer.items]
    assert len(_by_gid(ax, "item:")) == len(items)
    assert len(_by_gid(ax, "call-arrow")) == len(ARCHITECTURE) - 1
    texts = _texts(ax)
    for item in items:
        assert item.split("\n")[0] in texts or item in texts, item
    for label in ("CPU", "TPU", "XLA", "tf.GradientTape", "Keras 3"):
        assert label in texts


def test_the_devices_named_by_the_lesson_are_drawn():
    drawn = " ".join(ARCHITECTURE[0].items)
    for word in ("CPU", "CUDA", "ROCm", "Metal", "TPU"):
        assert word in drawn


def test_estimator_is_struck_through_and_marked_removed():
    ax = plot_architecture()
    assert any("removed in TF 2.16" in t for t in _texts(ax))
    strikes = [line for line in ax.lines if line.get_gid() == "strike-through"]
    assert len(strikes) == 1
    (estimator,) = [t for t in ax.texts if t.get_text() == "Estimator API"]
    assert strikes[0].get_ydata()[0] == pytest.approx(estimator.get_position()[1])
    keras_box, estimator_box = _by_gid(ax, "item:Keras 3")[0], _by_gid(ax, "item:Estimator API")[0]
    assert keras_box.get_linestyle() == "-" and estimator_box.get_linestyle() != "-"


def test_title_and_no_ticks():
    ax = plot_architecture()
    assert ax.get_title()
    assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_highlight_emphasises_one_layer_and_fades_the_rest(name):
    ax = plot_architecture(highlight=name.upper())  # case is ignored
    bands = {b.get_gid(): b for b in _by_gid(ax, "layer:")}
    chosen = bands.pop(f"layer:{name}")
    assert all(chosen.get_linewidth() > b.get_linewidth() for b in bands.values())
    assert all(chosen.get_alpha() > b.get_alpha() for b in bands.values())


def test_no_highlight_draws_all_layers_alike():
    ax = plot_architecture()
    bands = _by_gid(ax, "layer:")
    assert len({b.get_linewidth() for b in bands}) == 1
    assert len({b.get_alpha() for b in bands}) == 1


def test_unknown_highlight_lists_the_names():
    with pytest.raises(ValueError) as err:
        plot_architecture(highlight="Estimator")
    message = str(err.value)
    assert message.startswith("Expected") and "Received: highlight=" in message
    for name in LAYER_NAMES:
        assert repr(name) in message


def test_highlight_of_wrong_type():
    with pytest.raises(TypeError, match="Received: highlight="):
        plot_architecture(highlight=2)


def test_ax_of_wrong_type():
    with pytest.raises(TypeError, match="Received: ax="):
        plot_architecture(ax="left")


def test_arguments_are_keyword_only():
    fig, ax = plt.subplots()
    with pytest.raises(TypeError):
        plot_architecture(ax)  # type: ignore[misc]


def test_draws_on_the_given_axes_without_a_new_figure():
    fig, (left, right) = plt.subplots(1, 2)
    before = plt.get_fignums()
    returned = plot_architecture(ax=right)
    assert returned is right and plt.get_fignums() == before
    assert _by_gid(right, "layer:") and not left.patches


def test_without_ax_makes_one_new_figure():
    before = len(plt.get_fignums())
    ax = plot_architecture()
    assert len(plt.get_fignums()) == before + 1
    assert ax.figure.axes == [ax]


def test_leaves_global_matplotlib_state_alone():
    before = dict(matplotlib.rcParams)
    plot_architecture(highlight="C++ core")
    after = dict(matplotlib.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()


def test_layer_of_reads_the_drawing():
    assert layer_of("xla") == "C++ core"
    assert layer_of("tf.GradientTape") == "low-level Python API"
    assert layer_of("Keras 3") == "high-level API"
    assert layer_of("TPU") == "devices"
    with pytest.raises(ValueError, match="Received: item="):
        layer_of("Theano")
    with pytest.raises(TypeError, match="Received: item="):
        layer_of(None)
