"""Parameter counts with the formula behind each one (lesson 04).

``model.summary()`` says a layer has 100,480 parameters; this module says
*why*: ``784×128 + 128 = 100,480``. Each formula is worked out from the layer's
configuration and input shape alone, then checked against the count Keras
reports. A formula that does not match is never shown: the row keeps Keras's
count and says the formula is unverified.

``mlp_parameter_table`` builds the same table from layer sizes alone, without
TensorFlow, for the parameter-explorer widget.
"""

from __future__ import annotations

import ast
import html
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from tfcourse._validation import expected

__all__ = [
    "LayerParams",
    "ParamTerm",
    "ParameterTable",
    "mlp_parameter_table",
    "parameter_table",
]

NO_PARAMETERS = "no parameters"


@dataclass(frozen=True)
class ParamTerm:
    """One weight tensor of a layer, as the formula predicts it.

    Example:
        >>> ParamTerm("kernel", (784, 128), trainable=True).count
        100352
    """

    weight: str
    shape: tuple[int, ...]
    trainable: bool

    @property
    def count(self) -> int:
        """How many numbers the weight holds (the product of its shape)."""
        return math.prod(self.shape)


@dataclass(frozen=True)
class LayerParams:
    """One row of a :class:`ParameterTable`: a layer and how its count comes.

    ``params``, ``trainable`` and ``non_trainable`` are always Keras's own
    counts. ``formula`` is shown only when it was checked against them
    (``None`` otherwise, with the reason in ``note``); ``terms`` lists the
    weights the formula adds up, for code that wants numbers, not text.

    Example:
        >>> row = LayerParams("dense", "Dense", "(None, 10)", 1290, 1290, 0,
        ...                   "128×10 + 10 = 1,290")
        >>> row.explanation
        '128×10 + 10 = 1,290'
    """

    name: str
    type: str
    output_shape: str
    params: int
    trainable: int
    non_trainable: int
    formula: str | None
    terms: tuple[ParamTerm, ...] = ()
    note: str = ""

    @property
    def explanation(self) -> str:
        """The formula when there is one, else the note saying why not."""
        return self.formula if self.formula is not None else self.note


@dataclass(frozen=True, repr=False)
class ParameterTable:
    """Per-layer parameter counts, their formulas and the model's totals.

    Print it for a plain-text table (deterministic, so a lesson can compare
    it); in a notebook it shows as an HTML table.

    Example:
        >>> table = mlp_parameter_table(784, [128], 10)
        >>> table.total, table["output"].formula
        (101770, '128×10 + 10 = 1,290')
    """

    rows: tuple[LayerParams, ...]
    total: int
    trainable: int
    non_trainable: int

    def __post_init__(self) -> None:
        if not isinstance(self.rows, tuple) or not all(
            isinstance(row, LayerParams) for row in self.rows
        ):
            raise TypeError(expected("a tuple of LayerParams", "rows", self.rows))
        for name in ("total", "trainable", "non_trainable"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(expected("a whole number >= 0", name, value))
        if self.trainable + self.non_trainable != self.total:
            raise ValueError(
                expected(
                    "trainable + non_trainable == total",
                    "(total, trainable, non_trainable)",
                    (self.total, self.trainable, self.non_trainable),
                )
            )

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[LayerParams]:
        return iter(self.rows)

    def __getitem__(self, key: int | str) -> LayerParams:
        """A row by position (``table[0]``) or by layer name (``table["dense"]``)."""
        if isinstance(key, str):
            for row in self.rows:
                if row.name == key:
                    return row
            names = ", ".join(repr(row.name) for row in self.rows)
            raise KeyError(expected(f"one of the layer names {names}", "key", key))
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            raise TypeError(expected("a row index or a layer name", "key", key))
        return self.rows[key]

    @property
    def rows_sum(self) -> int:
        """The rows added up; more than ``total`` when layers share weights."""
        return sum(row.params for row in self.rows)

    def _totals_lines(self) -> list[str]:
        lines = [
            f"Total params: {self.total:,}",
            f"Trainable: {self.trainable:,}",
            f"Non-trainable: {self.non_trainable:,}",
        ]
        if self.rows_sum != self.total:
            lines.append(
                f"(The rows add up to {self.rows_sum:,}: weights shared by "
                "several layers count once in the total.)"
            )
        return lines

    def to_text(self) -> str:
        """The table as aligned plain text, with a totals block at the end.

        Example:
            >>> print(mlp_parameter_table(4, [], 3).to_text().splitlines()[-3])
            Total params: 15
        """
        header = ("Layer (type)", "Output shape", "Param #", "Trainable",
                  "Non-trainable", "Formula")
        right_aligned = (False, False, True, True, True, False)
        body = [
            (
                f"{row.name} ({row.type})",
                row.output_shape,
                f"{row.params:,}",
                f"{row.trainable:,}",
                f"{row.non_trainable:,}",
                row.explanation,
            )
            for row in self.rows
        ]
        widths = [
            max(len(cells[i]) for cells in [header, *body]) for i in range(len(header))
        ]

        def line(cells: Sequence[str]) -> str:
            padded = [
                cell.rjust(width) if right else cell.ljust(width)
                for cell, width, right in zip(cells, widths, right_aligned)
            ]
            return "  ".join(padded).rstrip()

        rule = "  ".join("-" * width for width in widths)
        lines = [line(header), rule, *(line(cells) for cells in body), rule]
        return "\n".join(lines + self._totals_lines())

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return (
            f"ParameterTable(layers={len(self.rows)}, total={self.total:,}, "
            f"trainable={self.trainable:,}, non_trainable={self.non_trainable:,})"
        )

    def _repr_html_(self) -> str:
        # Colours are inherited, never set, so the table reads the same in
        # JupyterLab's light and dark themes.
        cell = "padding:2px 10px;"
        left, right = cell + "text-align:left;", cell + "text-align:right;"
        mono = "font-family:var(--jp-code-font-family, monospace);"
        headers = [("Layer", left), ("Type", left), ("Output shape", left),
                   ("Param #", right), ("Trainable", right),
                   ("Non-trainable", right), ("Formula", left)]
        rule = "border-bottom:1px solid currentColor;"
        parts = [
            '<table style="border-collapse:collapse;'
            'font-variant-numeric:tabular-nums;">',
            "<thead><tr>",
            *(f'<th style="{style}{rule}">{html.escape(text)}</th>'
              for text, style in headers),
            "</tr></thead><tbody>",
        ]
        for row in self.rows:
            explanation = html.escape(row.explanation)
            if row.formula is None or row.formula == NO_PARAMETERS:
                explanation = f"<em>{explanation}</em>"
            cells = [
                (html.escape(row.name), left + mono),
                (html.escape(row.type), left),
                (html.escape(row.output_shape), left + mono),
                (f"{row.params:,}", right),
                (f"{row.trainable:,}", right),
                (f"{row.non_trainable:,}", right),
                (explanation, left + mono),
            ]
            parts.append("<tr>")
            parts.extend(f'<td style="{style}">{text}</td>' for text, style in cells)
            parts.append("</tr>")
        parts.append("</tbody></table>")
        totals = "<br>".join(html.escape(text) for text in self._totals_lines())
        parts.append(f'<p style="margin:4px 10px;">{totals}</p>')
        return "".join(parts)


# ---------------------------------------------------------------------------
# Formulas. Each builder returns the expression as shown to the student and
# the weights it stands for; the expression is then evaluated as written, so
# the number on screen is the number that was checked against Keras.


@dataclass(frozen=True)
class _Formula:
    expression: str
    terms: tuple[ParamTerm, ...]


class _NoFormula(Exception):
    """A builder cannot say how this layer counts (the reason is the message)."""


def _n(value: int) -> str:
    return f"{value:,}"


def _product(*factors: int) -> str:
    return "×".join(_n(f) for f in factors)


def _evaluate(expression: str) -> int:
    """Evaluate a formula exactly as displayed (ints, ×, +, /, parentheses)."""
    tree = ast.parse(expression.replace("×", "*").replace(",", ""), mode="eval")

    def walk(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div) and right and left % right == 0:
                return left // right
        raise ValueError(f"not a parameter formula: {expression!r}")

    return walk(tree)


def _terms_total(terms: Sequence[ParamTerm]) -> int:
    return sum(term.count for term in terms)


def _dense_formula(inputs: int, units: int, use_bias: bool) -> _Formula:
    terms = [ParamTerm("kernel", (inputs, units), True)]
    expression = _product(inputs, units)
    if use_bias:
        terms.append(ParamTerm("bias", (units,), True))
        expression += f" + {_n(units)}"
    return _Formula(expression, tuple(terms))


def _last_dim(input_shape: tuple) -> int:
    size = input_shape[-1] if input_shape else None
    if not isinstance(size, int):
        raise _NoFormula("input size unknown")
    return size


def _channels(layer: Any, input_shape: tuple) -> int:
    axis = 1 if getattr(layer, "data_format", None) == "channels_first" else -1
    size = input_shape[axis] if len(input_shape) > 1 else None
    if not isinstance(size, int):
        raise _NoFormula("number of input channels unknown")
    return size


def _dense(layer: Any, input_shape: tuple) -> _Formula:
    return _dense_formula(_last_dim(input_shape), layer.units, layer.use_bias)


def _plus_bias(
    layer: Any, terms: list[ParamTerm], expression: str, shape: tuple, shown: str
) -> str:
    """Add the bias term of a convolution-like layer, when it has one."""
    if not layer.use_bias:
        return expression
    terms.append(ParamTerm("bias", shape, True))
    return f"{expression} + {shown}"


def _conv(layer: Any, input_shape: tuple) -> _Formula:
    channels = _channels(layer, input_shape)
    kernel = tuple(layer.kernel_size)
    groups = getattr(layer, "groups", 1)
    if groups == 1:
        expression = _product(*kernel, channels, layer.filters)
    else:
        expression = (f"{_product(*kernel)}×({_n(channels)}/{_n(groups)})"
                      f"×{_n(layer.filters)}")
    terms = [ParamTerm("kernel", kernel + (channels // groups, layer.filters), True)]
    expression = _plus_bias(layer, terms, expression, (layer.filters,), _n(layer.filters))
    return _Formula(expression, tuple(terms))


def _conv_transpose(layer: Any, input_shape: tuple) -> _Formula:
    channels = _channels(layer, input_shape)
    kernel = tuple(layer.kernel_size)
    # Keras stores the kernel as (..., filters, in); the product is the same.
    terms = [ParamTerm("kernel", kernel + (layer.filters, channels), True)]
    expression = _product(*kernel, channels, layer.filters)
    expression = _plus_bias(layer, terms, expression, (layer.filters,), _n(layer.filters))
    return _Formula(expression, tuple(terms))


def _depthwise(layer: Any, input_shape: tuple) -> _Formula:
    channels = _channels(layer, input_shape)
    kernel = tuple(layer.kernel_size)
    multiplier = layer.depth_multiplier
    terms = [ParamTerm("kernel", kernel + (channels, multiplier), True)]
    expression = _product(*kernel, channels, multiplier)
    expression = _plus_bias(
        layer, terms, expression, (channels * multiplier,), _product(channels, multiplier)
    )
    return _Formula(expression, tuple(terms))


def _separable(layer: Any, input_shape: tuple) -> _Formula:
    channels = _channels(layer, input_shape)
    kernel = tuple(layer.kernel_size)
    multiplier = layer.depth_multiplier
    terms = [
        ParamTerm("depthwise_kernel", kernel + (channels, multiplier), True),
        ParamTerm("pointwise_kernel",
                  (1,) * len(kernel) + (channels * multiplier, layer.filters), True),
    ]
    expression = (f"{_product(*kernel, channels, multiplier)}"
                  f" + {_product(channels, multiplier, layer.filters)}")
    expression = _plus_bias(layer, terms, expression, (layer.filters,), _n(layer.filters))
    return _Formula(expression, tuple(terms))


def _axis_sizes(input_shape: tuple, axis: int | Sequence[int]) -> tuple[int, ...]:
    axes = [axis] if isinstance(axis, int) else list(axis)
    try:
        sizes = tuple(input_shape[a] for a in sorted(axes))
    except IndexError:
        raise _NoFormula("normalised axis outside the input shape") from None
    if not all(isinstance(size, int) for size in sizes):
        raise _NoFormula("normalised axis size unknown")
    return sizes


def _times(count: int, sizes: tuple[int, ...]) -> str:
    return _product(*sizes) if count == 1 else _product(count, *sizes)


def _batch_norm(layer: Any, input_shape: tuple) -> _Formula:
    sizes = _axis_sizes(input_shape, layer.axis)
    learned = [name for name, on in (("gamma", layer.scale), ("beta", layer.center))
               if on]
    tracked = ["moving_mean", "moving_variance"]
    if getattr(layer, "renorm", False):
        tracked += ["moving_stddev", "renorm_mean", "renorm_stddev"]
    # Learned (trainable) part first, running statistics second: the two
    # terms are the Trainable and Non-trainable columns.
    parts = [_times(len(names), sizes) for names in (learned, tracked) if names]
    terms = tuple(ParamTerm(name, sizes, True) for name in learned) + tuple(
        ParamTerm(name, sizes, False) for name in tracked
    )
    return _Formula(" + ".join(parts), terms)


def _layer_norm(layer: Any, input_shape: tuple) -> _Formula:
    sizes = _axis_sizes(input_shape, layer.axis)
    rms = getattr(layer, "rms_scaling", False)
    names = []
    if layer.scale or rms:
        names.append("gamma")
    if layer.center and not rms:
        names.append("beta")
    if not names:
        return _Formula("0", ())
    return _Formula(_times(len(names), sizes),
                    tuple(ParamTerm(name, sizes, True) for name in names))


def _rms_norm(layer: Any, input_shape: tuple) -> _Formula:
    sizes = _axis_sizes(input_shape, layer.axis)
    return _Formula(_product(*sizes), (ParamTerm("scale", sizes, True),))


def _embedding(layer: Any, input_shape: tuple) -> _Formula:
    shape = (layer.input_dim, layer.output_dim)
    return _Formula(_product(*shape), (ParamTerm("embeddings", shape, True),))


def _rnn(layer: Any, input_shape: tuple) -> _Formula:
    import keras

    cell = layer.cell
    if isinstance(cell, keras.layers.LSTMCell):
        gates, bias_per_gate = 4, 1
    elif isinstance(cell, keras.layers.GRUCell):
        # reset_after keeps separate input and recurrent biases: two per gate.
        gates, bias_per_gate = 3, 2 if cell.reset_after else 1
    elif isinstance(cell, keras.layers.SimpleRNNCell):
        gates, bias_per_gate = 1, 1
    else:
        raise _NoFormula(f"no formula known for {type(cell).__name__}")
    inputs, units = _last_dim(input_shape), cell.units
    terms = [
        ParamTerm("kernel", (inputs, gates * units), True),
        ParamTerm("recurrent_kernel", (units, gates * units), True),
    ]
    weights = f"{_n(units)}×({_n(inputs)}+{_n(units)})"
    if cell.use_bias:
        bias_shape = (gates * units,) if bias_per_gate == 1 else (2, gates * units)
        terms.append(ParamTerm("bias", bias_shape, True))
        per_gate = f"{weights} + {_times(bias_per_gate, (units,))}"
        expression = per_gate if gates == 1 else f"{gates}×({per_gate})"
    else:
        expression = weights if gates == 1 else f"{gates}×{weights}"
    return _Formula(expression, tuple(terms))


def _bidirectional(layer: Any, input_shape: tuple) -> _Formula:
    forward = _formula_for(layer.forward_layer, input_shape)
    backward = _formula_for(layer.backward_layer, input_shape)
    terms = tuple(
        ParamTerm(f"{direction}_{term.weight}", term.shape, term.trainable)
        for direction, formula in (("forward", forward), ("backward", backward))
        for term in formula.terms
    )
    if forward.expression == backward.expression:
        return _Formula(f"2×({forward.expression})", terms)
    return _Formula(f"{forward.expression} + {backward.expression}", terms)


def _prelu(layer: Any, input_shape: tuple) -> _Formula:
    shape = list(input_shape[1:])
    for axis in layer.shared_axes or ():
        shape[axis - 1] = 1
    if not all(isinstance(size, int) for size in shape):
        raise _NoFormula("input shape unknown")
    shape = tuple(shape)
    return _Formula(_product(*shape), (ParamTerm("alpha", shape, True),))


def _builders() -> list[tuple[type, Callable[[Any, tuple], _Formula]]]:
    import keras

    L = keras.layers
    # Order matters only where classes inherit from one another.
    return [
        (L.Bidirectional, _bidirectional),
        (L.RNN, _rnn),
        (L.Dense, _dense),
        ((L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose), _conv_transpose),
        ((L.SeparableConv1D, L.SeparableConv2D), _separable),
        ((L.DepthwiseConv1D, L.DepthwiseConv2D), _depthwise),
        ((L.Conv1D, L.Conv2D, L.Conv3D), _conv),
        (L.BatchNormalization, _batch_norm),
        (L.LayerNormalization, _layer_norm),
        (L.RMSNormalization, _rms_norm),
        (L.Embedding, _embedding),
        (L.PReLU, _prelu),
    ]


def _formula_for(layer: Any, input_shape: tuple | None) -> _Formula:
    for classes, build in _builders():
        if isinstance(layer, classes):
            if input_shape is None:
                raise _NoFormula("no formula: input shape unknown")
            return build(layer, input_shape)
    raise _NoFormula(f"no formula known for {type(layer).__name__}")


# ---------------------------------------------------------------------------
# Reading a Keras model.


def _count(weights: Sequence[Any]) -> int:
    # The same sum Keras's summary uses (keras.src.utils.summary_utils).
    return int(sum(math.prod(w.shape) for w in weights))


def _format_shape(shape: Sequence[Any]) -> str:
    return f"({', '.join(str(size) for size in shape)})"


def _single_input_shape(layer: Any) -> tuple | None:
    import keras

    try:
        # The first call's inputs; a shared layer has the same weights anyway.
        flat = keras.tree.flatten(layer.input)
        shapes = [tuple(tensor.shape) for tensor in flat]
    except (AttributeError, ValueError):
        # Layers of a subclassed model were built by calling, not by a graph.
        built = getattr(layer, "_build_shapes_dict", None) or {}
        shapes = [tuple(shape) for shape in built.values()
                  if isinstance(shape, (tuple, list))]
    return shapes[0] if len(shapes) == 1 else None


def _output_shape(layer: Any) -> str:
    import keras

    try:
        outputs = layer.output
    except (AttributeError, ValueError):
        built = getattr(layer, "_build_shapes_dict", None)
        if not built:
            return "?"
        try:
            outputs = layer.compute_output_shape(**built)
        except Exception:  # any layer may refuse; "?" is what Keras shows
            return "?"
        shapes = keras.tree.map_shape_structure(_format_shape, outputs)
    else:
        shapes = keras.tree.map_structure(lambda t: _format_shape(t.shape), outputs)
    flat = keras.tree.flatten(shapes)
    if len(flat) == 1:
        return flat[0]
    return str(shapes).replace("'", "")


def _layer_row(layer: Any) -> LayerParams:
    import keras

    params = _count(layer.weights)
    trainable = _count(layer.trainable_weights)
    row = dict(
        name=layer.name,
        type=type(layer).__name__,
        output_shape=_output_shape(layer),
        params=params,
        trainable=trainable,
        non_trainable=_count(layer.non_trainable_weights),
    )
    if isinstance(layer, keras.Model):
        note = "nested model: its own parameter_table lists its layers"
        return LayerParams(**row, formula=None, note=note)
    if not layer.weights:
        return LayerParams(**row, formula=NO_PARAMETERS)
    unverified = f"formula unverified for {row['type']}: Keras's count shown"
    try:
        formula = _formula_for(layer, _single_input_shape(layer))
        value = _evaluate(formula.expression)
    except _NoFormula as reason:
        return LayerParams(**row, formula=None, note=str(reason))
    except (AttributeError, TypeError, ValueError, IndexError):
        # A subclass that looks like a known layer but is configured otherwise:
        # better no formula than a crash in the student's notebook.
        return LayerParams(**row, formula=None, note=unverified)
    frozen = not layer.trainable
    terms = tuple(
        ParamTerm(t.weight, t.shape, t.trainable and not frozen) for t in formula.terms
    )
    agrees = (
        value == params
        and _terms_total(terms) == params
        and _terms_total([t for t in terms if t.trainable]) == trainable
    )
    if not agrees:
        return LayerParams(**row, formula=None, note=unverified)
    return LayerParams(**row, formula=f"{formula.expression} = {_n(value)}",
                       terms=terms)


def parameter_table(model: Any) -> ParameterTable:
    """Count a built Keras model's parameters layer by layer, with formulas.

    Sequential, Functional and subclassed models work. A nested model is one
    row with Keras's count (call ``parameter_table`` on it to see inside). A
    layer used several times appears once, with the shapes of its first call.

    Example:
        >>> import keras, tfcourse as tfc
        >>> inputs = keras.Input(shape=(28, 28))
        >>> model = keras.Sequential([inputs, keras.layers.Flatten(),
        ...     keras.layers.Dense(128, activation="relu", name="hidden"),
        ...     keras.layers.Dense(10, activation="softmax", name="output")])
        >>> table = tfc.parameter_table(model)
        >>> table["hidden"].formula, table.total
        ('784×128 + 128 = 100,480', 101770)
    """
    import keras

    if not isinstance(model, keras.Model):
        hint = None
        if isinstance(model, keras.layers.Layer):
            hint = "Put the layer in a model first, e.g. keras.Sequential([...])."
        raise TypeError(expected("a Keras model", "model", model, hint=hint))
    if not model.built:
        raise ValueError(
            expected(
                "a built model (one whose layers know their input shapes)",
                "model",
                model,
                hint="Build it with keras.Input(shape=...) as the first layer "
                "or call model.build(...).",
            )
        )
    rows = tuple(_layer_row(layer) for layer in model.layers)
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    return ParameterTable(rows, trainable + non_trainable, trainable, non_trainable)


def _check_size(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(expected("a positive whole number", name, value))
    if value <= 0:
        raise ValueError(expected("a positive whole number", name, value))
    return int(value)


def mlp_parameter_table(
    input_size: int, hidden: Sequence[int], classes: int, *, use_bias: bool = True
) -> ParameterTable:
    """The table of a Dense-only network, from its sizes alone (no TensorFlow).

    Rows are named ``hidden_1`` ... ``hidden_n`` and ``output``; they match
    what :func:`parameter_table` gives for the same Keras model.

    Example:
        >>> import tfcourse as tfc
        >>> table = tfc.mlp_parameter_table(784, [128], 10)
        >>> [row.formula for row in table]
        ['784×128 + 128 = 100,480', '128×10 + 10 = 1,290']
    """
    input_size = _check_size("input_size", input_size)
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(expected("a sequence of layer sizes, e.g. [128, 64]",
                                 "hidden", hidden))
    hidden = [_check_size(f"hidden[{i}]", size) for i, size in enumerate(hidden)]
    classes = _check_size("classes", classes)
    if not isinstance(use_bias, bool):
        raise TypeError(expected("True or False", "use_bias", use_bias))

    sizes = [input_size, *hidden, classes]
    names = [f"hidden_{i}" for i in range(1, len(hidden) + 1)] + ["output"]
    rows = []
    for name, inputs, units in zip(names, sizes, sizes[1:]):
        formula = _dense_formula(inputs, units, use_bias)
        value = _evaluate(formula.expression)
        rows.append(
            LayerParams(name, "Dense", f"(None, {units})", value, value, 0,
                        f"{formula.expression} = {_n(value)}", formula.terms)
        )
    total = sum(row.params for row in rows)
    return ParameterTable(tuple(rows), total, total, 0)
