"""Tests for tfcourse.params: every count agrees with Keras, every formula is right."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

import tfcourse.params as params_module
from tfcourse.params import (
    LayerParams,
    ParameterTable,
    ParamTerm,
    mlp_parameter_table,
    parameter_table,
)

keras = pytest.importorskip("keras")
layers = keras.layers


def _count(weights) -> int:
    return sum(int(w.numpy().size) for w in weights)


def _seed_model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            layers.Flatten(name="flatten"),
            layers.Dense(128, activation="relu", name="hidden"),
            layers.Dense(10, activation="softmax", name="output"),
        ],
        name="seed",
    )


# --- many architectures: the table always agrees with Keras ----------------


def _mlp_without_bias():
    return keras.Sequential([
        keras.Input((20,)),
        layers.Dense(7, use_bias=False, name="probe"),
        layers.Dense(3, use_bias=False),
    ])


def _conv1d():
    return keras.Sequential([
        keras.Input((50, 6)),
        layers.Conv1D(16, 5, name="probe"),
        layers.MaxPooling1D(2),
        layers.GlobalAveragePooling1D(),
    ])


def _conv2d():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, name="probe"),
        layers.MaxPooling2D(),
        layers.Conv2D(8, (3, 5), use_bias=False),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(10),
    ])


def _conv2d_no_bias():
    return keras.Sequential([
        keras.Input((9, 9, 3)),
        layers.Conv2D(4, 2, use_bias=False, name="probe"),
    ])


def _conv2d_groups():
    return keras.Sequential([
        keras.Input((10, 10, 16)),
        layers.Conv2D(8, 3, groups=4, name="probe"),
    ])


def _conv2d_channels_first():
    return keras.Sequential([
        keras.Input((3, 12, 12)),
        layers.Conv2D(6, 3, data_format="channels_first", name="probe"),
    ])


def _depthwise():
    return keras.Sequential([
        keras.Input((12, 12, 5)),
        layers.DepthwiseConv2D(3, depth_multiplier=2, name="probe"),
        layers.Activation("relu"),
    ])


def _separable():
    return keras.Sequential([
        keras.Input((12, 12, 3)),
        layers.SeparableConv2D(16, 3, name="probe"),
        layers.Reshape((100, 16)),
        layers.SeparableConv1D(4, 2, use_bias=False, depth_multiplier=3),
    ])


def _conv_transpose():
    return keras.Sequential([
        keras.Input((4, 4, 6)),
        layers.Conv2DTranspose(5, 3, name="probe"),
    ])


def _batch_norm():
    return keras.Sequential([
        keras.Input((8, 8, 6)),
        layers.BatchNormalization(name="probe"),
    ])


def _batch_norm_no_center():
    return keras.Sequential([
        keras.Input((30,)),
        layers.BatchNormalization(center=False, name="probe"),
        layers.BatchNormalization(center=False, scale=False),
    ])


def _layer_norm():
    return keras.Sequential([
        keras.Input((5, 12)),
        layers.LayerNormalization(name="probe"),
        layers.LayerNormalization(axis=[-2, -1], center=False),
        layers.RMSNormalization(),
    ])


def _embedding_simple_rnn():
    return keras.Sequential([
        keras.Input((7,)),
        layers.Embedding(1000, 16),
        layers.SimpleRNN(8, name="probe"),
    ])


def _embedding_lstm():
    return keras.Sequential([
        keras.Input((7,)),
        layers.Embedding(500, 12),
        layers.LSTM(6, return_sequences=True, name="probe"),
        layers.LSTM(4, use_bias=False),
    ])


def _gru_reset_after():
    return keras.Sequential([
        keras.Input((7,)),
        layers.Embedding(100, 10),
        layers.GRU(5, name="probe"),
    ])


def _gru_reset_before():
    return keras.Sequential([
        keras.Input((7,)),
        layers.Embedding(100, 10),
        layers.GRU(5, reset_after=False, name="probe"),
    ])


def _bidirectional():
    return keras.Sequential([
        keras.Input((6, 4)),
        layers.Bidirectional(layers.LSTM(3), name="probe"),
    ])


def _two_branches():
    inputs = keras.Input((12,), name="features")
    wide = layers.Dense(5, name="probe")(inputs)
    deep = layers.Dense(4, activation="relu")(inputs)
    deep = layers.Dense(3)(deep)
    merged = layers.Concatenate()([wide, deep])
    return keras.Model(inputs, layers.Dense(1)(merged))


def _prelu():
    return keras.Sequential([
        keras.Input((4, 4, 3)),
        layers.PReLU(shared_axes=[1, 2], name="probe"),
    ])


# model builder, the probe layer's expected formula (worked by hand)
ARCHITECTURES = {
    "mlp_without_bias": (_mlp_without_bias, "20×7 = 140"),
    "conv1d": (_conv1d, "5×6×16 + 16 = 496"),
    "conv2d": (_conv2d, "3×3×1×32 + 32 = 320"),
    "conv2d_no_bias": (_conv2d_no_bias, "2×2×3×4 = 48"),
    "conv2d_groups": (_conv2d_groups, "3×3×(16/4)×8 + 8 = 296"),
    "conv2d_channels_first": (_conv2d_channels_first, "3×3×3×6 + 6 = 168"),
    "depthwise": (_depthwise, "3×3×5×2 + 5×2 = 100"),
    "separable": (_separable, "3×3×3×1 + 3×1×16 + 16 = 91"),
    "conv_transpose": (_conv_transpose, "3×3×6×5 + 5 = 275"),
    "batch_norm": (_batch_norm, "2×6 + 2×6 = 24"),
    "batch_norm_no_center": (_batch_norm_no_center, "30 + 2×30 = 90"),
    "layer_norm": (_layer_norm, "2×12 = 24"),
    "simple_rnn": (_embedding_simple_rnn, "8×(16+8) + 8 = 200"),
    "lstm": (_embedding_lstm, "4×(6×(12+6) + 6) = 456"),
    "gru_reset_after": (_gru_reset_after, "3×(5×(10+5) + 2×5) = 255"),
    "gru_reset_before": (_gru_reset_before, "3×(5×(10+5) + 5) = 240"),
    "bidirectional": (_bidirectional, "2×(4×(3×(4+3) + 3)) = 192"),
    "two_branches": (_two_branches, "12×5 + 5 = 65"),
    "prelu": (_prelu, "1×1×3 = 3"),
}


@pytest.mark.parametrize("build, probe_formula", ARCHITECTURES.values(),
                         ids=ARCHITECTURES.keys())
def test_table_agrees_with_keras(build, probe_formula):
    model = build()
    table = parameter_table(model)

    assert table.total == model.count_params()
    assert table.trainable == _count(model.trainable_weights)
    assert table.non_trainable == _count(model.non_trainable_weights)
    assert [row.name for row in table] == [layer.name for layer in model.layers]
    for row, layer in zip(table, model.layers):
        assert row.type == type(layer).__name__
        assert row.params == layer.count_params()
        assert row.trainable == _count(layer.trainable_weights)
        assert row.non_trainable == _count(layer.non_trainable_weights)
        # every layer here has a formula, and its printed result is the count
        assert row.formula is not None, row.note
        if layer.weights:
            assert row.formula.endswith(f"= {layer.count_params():,}")
            assert sum(term.count for term in row.terms) == layer.count_params()
        else:
            assert row.formula == "no parameters"
            assert row.terms == ()
    assert table["probe"].formula == probe_formula


def test_seed_model_rows():
    model = _seed_model()
    table = parameter_table(model)

    assert [(r.name, r.type, r.output_shape, r.params, r.trainable,
             r.non_trainable, r.formula) for r in table] == [
        ("flatten", "Flatten", "(None, 784)", 0, 0, 0, "no parameters"),
        ("hidden", "Dense", "(None, 128)", 100_480, 100_480, 0,
         "784×128 + 128 = 100,480"),
        ("output", "Dense", "(None, 10)", 1_290, 1_290, 0, "128×10 + 10 = 1,290"),
    ]
    assert (table.total, table.trainable, table.non_trainable) == (101_770, 101_770, 0)
    assert table["hidden"].terms == (
        ParamTerm("kernel", (784, 128), True), ParamTerm("bias", (128,), True))


def test_seed_model_text_table():
    text = parameter_table(_seed_model()).to_text()
    lines = text.splitlines()

    assert lines[0].split() == ["Layer", "(type)", "Output", "shape", "Param", "#",
                                "Trainable", "Non-trainable", "Formula"]
    assert lines[2].split() == ["flatten", "(Flatten)", "(None,", "784)", "0", "0",
                                "0", "no", "parameters"]
    assert lines[3].startswith("hidden (Dense)")
    assert lines[3].endswith("784×128 + 128 = 100,480")
    assert "100,480" in lines[3].split()
    assert lines[4].startswith("output (Dense)")
    assert lines[4].endswith("128×10 + 10 = 1,290")
    assert lines[-3:] == ["Total params: 101,770", "Trainable: 101,770",
                          "Non-trainable: 0"]
    # aligned columns: the counts end at the same place on every row
    ends = {line.index(count) + len(count)
            for line, count in zip(lines[2:5], ["0", "100,480", "1,290"])}
    assert len(ends) == 1
    assert str(parameter_table(_seed_model())) == text
    assert all(line == line.rstrip() for line in lines)


def test_text_is_stable_across_builds():
    assert parameter_table(_seed_model()).to_text() == \
        parameter_table(_seed_model()).to_text()


def test_repr_is_short_and_deterministic():
    table = parameter_table(_seed_model())
    assert repr(table) == ("ParameterTable(layers=3, total=101,770, "
                           "trainable=101,770, non_trainable=0)")
    assert "0x" not in repr(table)


def test_html_table_escapes_names():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, name="<b>&x")])
    page = parameter_table(model)._repr_html_()

    assert page.count("<table") == 1 and "</table>" in page
    assert page.count("<tr>") == 2  # header + one layer
    assert "&lt;b&gt;&amp;x" in page
    assert "<b>&x" not in page
    assert "4×2 + 2 = 10" in page
    assert "Total params: 10" in page
    # no fixed colours, so dark and light themes both read it
    assert "color:#" not in page and "background" not in page


def test_batch_norm_split_and_frozen_layer():
    model = keras.Sequential([
        keras.Input((10,)),
        layers.Dense(16, name="frozen"),
        layers.BatchNormalization(name="bn"),
        layers.Dense(2, name="head"),
    ])
    before = parameter_table(model)
    assert (before["bn"].trainable, before["bn"].non_trainable) == (32, 32)
    assert [t.trainable for t in before["bn"].terms] == [True, True, False, False]

    model.get_layer("frozen").trainable = False
    after = parameter_table(model)
    frozen = after["frozen"]
    assert (frozen.params, frozen.trainable, frozen.non_trainable) == (176, 0, 176)
    assert frozen.formula == "10×16 + 16 = 176"
    assert not any(term.trainable for term in frozen.terms)
    assert after.total == before.total == model.count_params()
    assert after.trainable == before.trainable - 176 == _count(model.trainable_weights)
    assert after.non_trainable == _count(model.non_trainable_weights)


class _Scale(layers.Layer):
    """A custom layer the module knows nothing about."""

    def build(self, input_shape):
        self.factor = self.add_weight(shape=(input_shape[-1], 2))

    def call(self, inputs):
        return inputs * self.factor[:, 0]


def test_custom_layer_reports_keras_count_without_formula():
    model = keras.Sequential([keras.Input((5,)), _Scale(name="scale"),
                              layers.Dense(1)])
    row = parameter_table(model)["scale"]

    assert row.params == model.get_layer("scale").count_params() == 10
    assert row.formula is None
    assert row.note == "no formula known for _Scale"
    assert row.explanation == row.note
    assert "no formula known for _Scale" in parameter_table(model).to_text()


def test_a_formula_that_disagrees_with_keras_is_never_shown(monkeypatch):
    def wrong_dense(layer, input_shape):
        return params_module._Formula("1×1", (ParamTerm("kernel", (1, 1), True),))

    monkeypatch.setattr(params_module, "_dense", wrong_dense)
    table = parameter_table(_seed_model())
    row = table["hidden"]

    assert row.formula is None
    assert "unverified" in row.note
    assert row.params == 100_480  # Keras's count stays
    assert "1×1" not in table.to_text()


def test_lora_dense_is_flagged_not_miscounted():
    dense = layers.Dense(3, name="tuned")
    model = keras.Sequential([keras.Input((4,)), dense])
    dense.enable_lora(2)
    row = parameter_table(model)["tuned"]
    assert row.params == dense.count_params()
    assert row.formula is None and "unverified" in row.note


def test_nested_model_is_one_row_with_keras_count():
    inner = keras.Sequential([keras.Input((3,)), layers.Dense(4)], name="inner")
    outer = keras.Sequential([keras.Input((3,)), inner, layers.Dense(1)])
    table = parameter_table(outer)

    assert table["inner"].params == inner.count_params() == 16
    assert table["inner"].formula is None and "nested model" in table["inner"].note
    assert table.total == outer.count_params()


def test_subclassed_model():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.recurrent = layers.GRU(3)
            self.head = layers.Dense(2)

        def call(self, inputs):
            return self.head(self.recurrent(inputs))

    model = Tiny()
    model(keras.ops.zeros((1, 4, 5)))
    table = parameter_table(model)
    assert table.total == model.count_params()
    assert all(row.formula is not None for row in table)


def test_model_built_with_build_call():
    model = keras.Sequential([layers.Dense(3, name="d")])
    model.build((None, 6))
    assert parameter_table(model)["d"].formula == "6×3 + 3 = 21"


# --- bad input ---------------------------------------------------------------


def test_unbuilt_model_is_refused():
    model = keras.Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match=r"Expected a built model.*Received: model=") \
            as error:
        parameter_table(model)
    assert "keras.Input(shape=...)" in str(error.value)
    assert "model.build(" in str(error.value)


@pytest.mark.parametrize("not_a_model", [None, "model", [1, 2], 3.0])
def test_non_model_is_refused(not_a_model):
    with pytest.raises(TypeError, match=r"Expected a Keras model\. Received: model="):
        parameter_table(not_a_model)


def test_a_single_layer_is_refused_with_a_hint():
    with pytest.raises(TypeError, match="Put the layer in a model first"):
        parameter_table(layers.Dense(3))


# --- the pure-Python table for the explorer widget ---------------------------


def test_mlp_table_matches_keras_model():
    sizes, hidden, classes = 30, [12, 7], 4
    model = keras.Sequential(
        [keras.Input((sizes,))]
        + [layers.Dense(units, name=f"hidden_{i}") for i, units in enumerate(hidden, 1)]
        + [layers.Dense(classes, name="output")]
    )
    from_keras = parameter_table(model)
    from_sizes = mlp_parameter_table(sizes, hidden, classes)

    assert from_sizes == from_keras
    assert from_sizes.to_text() == from_keras.to_text()


def test_mlp_table_seed_and_no_bias():
    table = mlp_parameter_table(784, (128,), 10)
    assert [row.formula for row in table] == ["784×128 + 128 = 100,480",
                                              "128×10 + 10 = 1,290"]
    assert table.total == table.trainable == 101_770
    no_bias = mlp_parameter_table(784, [], 10, use_bias=False)
    assert [row.formula for row in no_bias] == ["784×10 = 7,840"]
    assert no_bias.total == 7_840


@pytest.mark.parametrize(
    "args, kwargs, error, name",
    [
        ((0, [3], 2), {}, ValueError, "input_size"),
        ((-4, [3], 2), {}, ValueError, "input_size"),
        ((4.0, [3], 2), {}, TypeError, "input_size"),
        ((True, [3], 2), {}, TypeError, "input_size"),
        ((4, [3, 0], 2), {}, ValueError, r"hidden\[1\]"),
        ((4, ["3"], 2), {}, TypeError, r"hidden\[0\]"),
        ((4, "32", 2), {}, TypeError, "hidden"),
        ((4, 32, 2), {}, TypeError, "hidden"),
        ((4, [3], 0), {}, ValueError, "classes"),
        ((4, [3], None), {}, TypeError, "classes"),
        ((4, [3], 2), {"use_bias": 1}, TypeError, "use_bias"),
    ],
)
def test_mlp_table_validates(args, kwargs, error, name):
    with pytest.raises(error, match=rf"Expected .*\. Received: {name}="):
        mlp_parameter_table(*args, **kwargs)


# --- the table object itself -------------------------------------------------


def test_table_lookup():
    table = mlp_parameter_table(4, [3], 2)
    assert len(table) == 2
    assert table[0] is table["hidden_1"]
    assert table[-1].name == "output"
    with pytest.raises(KeyError, match="Received: key="):
        table["missing"]
    with pytest.raises(TypeError, match="Received: key="):
        table[1.5]


def _row(name: str, params: int) -> LayerParams:
    return LayerParams(name, "Dense", "(None, 1)", params, params, 0, None,
                       note="shared")


def test_table_validates_its_fields():
    with pytest.raises(TypeError, match="Received: rows="):
        ParameterTable([_row("a", 1)], 1, 1, 0)
    with pytest.raises(ValueError, match="Received: total="):
        ParameterTable((), -1, 0, 0)
    with pytest.raises(ValueError, match="trainable \\+ non_trainable == total"):
        ParameterTable((), 5, 1, 1)


def test_shared_weights_are_explained_in_totals():
    table = ParameterTable((_row("a", 6), _row("b", 6)), 6, 6, 0)
    assert "The rows add up to 12" in table.to_text()
    assert "The rows add up to 12" in table._repr_html_()


@pytest.mark.parametrize("expression", ["2**8", "3-1", "7/2", "__import__('os')"])
def test_formula_evaluator_accepts_only_formulas(expression):
    with pytest.raises(ValueError):
        params_module._evaluate(expression)
