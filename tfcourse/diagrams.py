"""Pictures drawn for the course, made by code so they stay true to the text.

Lesson use (01): ``tfc.plot_architecture(highlight="C++ core")`` draws
TensorFlow's layers, devices at the bottom and Keras at the top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from tfcourse._plotting import BLUISH_GREEN, GREY, ORANGE, REDDISH_PURPLE, SKY_BLUE, new_or_checked_axes
from tfcourse._validation import expected

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.axes import Axes

__all__ = ["plot_architecture"]


class Layer(NamedTuple):
    """One layer of the stack: its name (for ``highlight``), what it holds, its colour."""

    name: str
    items: tuple[str, ...]
    color: str


# Bottom to top. Colours are Okabe-Ito (tfcourse._plotting), distinguishable with every common
# colour-vision deficiency; each layer also has its own name, so colour is
# never the only cue.
ARCHITECTURE: tuple[Layer, ...] = (
    Layer("devices",
          ("CPU", "NVIDIA GPU\nCUDA, cuDNN", "AMD GPU\nROCm build", "Apple GPU\nMetal plugin", "TPU"),
          ORANGE),
    Layer("C++ core",
          ("kernels\nMatMul, Conv2D, …", "runtime\nplacement, memory", "XLA\ncompiler"),
          SKY_BLUE),
    Layer("low-level Python API",
          ("tf.Tensor", "tf.Variable", "tf.GradientTape", "tf.function"),
          BLUISH_GREEN),
    Layer("high-level API",
          ("Keras 3\nbackends: TensorFlow · JAX · PyTorch", "Estimator API"),
          REDDISH_PURPLE),
)

LAYER_NAMES: tuple[str, ...] = tuple(layer.name for layer in ARCHITECTURE)

REMOVED_ITEMS = {"Estimator API": "removed in TF 2.16"}
_REMOVED_GREY = GREY
_TEXT = "#000000"

# Drawing units: the axes span 0..100 across and one band per layer upwards.
_WIDTH = 100.0
_BAND = 20.0
_GAP = 4.0
_TITLE_WIDTH = 22.0
_CHIP_HEIGHT = 13.0


def layer_of(item: str) -> str:
    """The name of the layer that holds ``item`` as drawn, e.g. ``layer_of("XLA") == "C++ core"``.

    Matching ignores case and looks at the first line of each item.

    Example:
        >>> layer_of("tf.GradientTape")
        'low-level Python API'
    """
    if not isinstance(item, str):
        raise TypeError(expected("an item name as a string, such as 'XLA'", "item", item))
    wanted = item.strip().lower()
    for layer in ARCHITECTURE:
        for drawn in layer.items:
            if drawn.lower() == wanted or drawn.split("\n")[0].lower() == wanted:
                return layer.name
    known = ", ".join(repr(d.split("\n")[0]) for layer in ARCHITECTURE for d in layer.items)
    raise ValueError(expected(f"one of the drawn items ({known})", "item", item))


def _resolve_highlight(highlight: str | None) -> str | None:
    if highlight is None:
        return None
    listed = ", ".join(repr(name) for name in LAYER_NAMES)
    if not isinstance(highlight, str):
        raise TypeError(expected(f"None or one of the layer names {listed}", "highlight", highlight))
    for name in LAYER_NAMES:
        if highlight.strip().lower() == name.lower():
            return name
    raise ValueError(expected(f"None or one of the layer names {listed}", "highlight", highlight))


def plot_architecture(*, ax: Axes | None = None, highlight: str | None = None) -> Axes:
    """Draw TensorFlow's layers as stacked boxes, devices at the bottom, Keras on top.

    ``highlight`` names one layer (see ``LAYER_NAMES``, case ignored) to draw
    in full colour with a heavy border while the others fade. The Estimator
    API is drawn greyed and struck through: it was removed in TF 2.16.
    Draws on ``ax`` (a new figure when None) and returns it.

    Example:
        >>> import tfcourse as tfc
        >>> ax = tfc.plot_architecture(highlight="C++ core")
        >>> ax.get_title()
        'TensorFlow 2 in layers: a Python call runs down to a device'
    """
    chosen = _resolve_highlight(highlight)
    ax = new_or_checked_axes(ax, (10, 6.4))

    for level, layer in enumerate(ARCHITECTURE):
        faded = chosen is not None and layer.name != chosen
        bottom = level * (_BAND + _GAP)
        _draw_layer(ax, layer, bottom=bottom, faded=faded, emphasised=layer.name == chosen)
        if level:
            _draw_call_arrow(ax, top=bottom, bottom=bottom - _GAP)

    top = len(ARCHITECTURE) * (_BAND + _GAP) - _GAP
    ax.set_xlim(-1, _WIDTH + 1)
    ax.set_ylim(-1, top + 1)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("TensorFlow 2 in layers: a Python call runs down to a device")
    return ax


def _draw_call_arrow(ax: Axes, *, top: float, bottom: float) -> None:
    from matplotlib.patches import FancyArrowPatch

    # Calls flow downwards: each layer is built on the one below it.
    arrow = FancyArrowPatch((_TITLE_WIDTH / 2, top), (_TITLE_WIDTH / 2, bottom),
                            arrowstyle="-|>", mutation_scale=14, linewidth=1.5,
                            color=_TEXT, shrinkA=0, shrinkB=0)
    arrow.set_gid("call-arrow")
    ax.add_patch(arrow)


def _draw_layer(ax: Axes, layer: Layer, *, bottom: float, faded: bool, emphasised: bool) -> None:
    from matplotlib.patches import FancyBboxPatch

    alpha = 0.25 if faded else 1.0
    band = FancyBboxPatch(
        (0, bottom), _WIDTH, _BAND,
        boxstyle="round,pad=0,rounding_size=1.5",
        facecolor=layer.color, edgecolor=_TEXT,
        linewidth=3.0 if emphasised else 0.8, alpha=alpha if faded else 0.9,
    )
    band.set_gid(f"layer:{layer.name}")
    ax.add_patch(band)
    ax.text(_TITLE_WIDTH / 2, bottom + _BAND / 2, _title_case(layer.name),
            ha="center", va="center", fontsize=11, fontweight="bold",
            color=_TEXT, alpha=alpha)

    span = _WIDTH - _TITLE_WIDTH - 2
    slot = span / len(layer.items)
    for index, item in enumerate(layer.items):
        left = _TITLE_WIDTH + index * slot + 0.8
        _draw_item(ax, item, left=left, width=slot - 1.6,
                   bottom=bottom + (_BAND - _CHIP_HEIGHT) / 2, alpha=alpha)


def _draw_item(ax: Axes, item: str, *, left: float, width: float, bottom: float, alpha: float) -> None:
    from matplotlib.patches import FancyBboxPatch

    removed = REMOVED_ITEMS.get(item)
    chip = FancyBboxPatch(
        (left, bottom), width, _CHIP_HEIGHT,
        boxstyle="round,pad=0,rounding_size=1.2",
        facecolor="#EEEEEE" if removed else "#FFFFFF",
        edgecolor=_REMOVED_GREY if removed else _TEXT,
        linewidth=0.8, alpha=alpha, linestyle="--" if removed else "-",
    )
    chip.set_gid(f"item:{item.split(chr(10))[0]}")
    ax.add_patch(chip)
    centre_x = left + width / 2
    centre_y = bottom + _CHIP_HEIGHT / 2
    if removed:
        name_y = centre_y + 2.2
        ax.text(centre_x, name_y, item, ha="center", va="center", fontsize=10,
                color="#777777", alpha=alpha)
        # The strike-through says "gone" without relying on colour.
        half = min(width * 0.4, 0.6 * len(item))
        ax.plot([centre_x - half, centre_x + half], [name_y, name_y],
                color="#555555", linewidth=1.5, alpha=alpha, gid="strike-through")
        ax.text(centre_x, centre_y - 3.0, removed, ha="center", va="center", fontsize=9,
                fontstyle="italic", color="#555555", alpha=alpha)
    else:
        lines = item.split("\n")
        ax.text(centre_x, centre_y + (1.6 if len(lines) > 1 else 0), lines[0], ha="center",
                va="center", fontsize=10, color=_TEXT, alpha=alpha,
                family="monospace" if lines[0].startswith("tf.") else None)
        if len(lines) > 1:
            ax.text(centre_x, centre_y - 2.6, lines[1], ha="center", va="center",
                    fontsize=8, color="#333333", alpha=alpha)


def _title_case(name: str) -> str:
    text = name[0].upper() + name[1:]
    # Long names break after their first word to fit the title column.
    first, _, rest = text.partition(" ")
    return f"{first}\n{rest}" if len(text) > 12 and rest else text
