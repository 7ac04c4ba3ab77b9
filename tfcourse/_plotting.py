"""Figure helpers and the colour-blind-safe palette, shared by every module that draws.

One home, so that "right" is the same blue and "wrong" the same vermillion in
the curves, the galleries and the explorers. The package's modules import
from here; a student meets these colours through ``tfc.plot_history``,
``tfc.plot_gallery``, the explorers and the rest.

- The palette is Okabe and Ito's (2008): its colours stay apart with every
  common colour-vision deficiency. Colour is never the only cue: lines also
  change style, mistakes carry a ✗, the true class is hatched.
- :func:`new_or_checked_figure` and :func:`new_or_checked_axes` are the
  ``fig=None`` / ``ax=None`` rule of the plotting helpers: a new figure when
  None, else the caller's, checked.
- :func:`offscreen_figure` and :func:`figure_png` are for the explorers,
  whose pictures are shown as PNGs and must not pass through pyplot.

Only the standard library at import; matplotlib comes in inside the functions.

Example:
    >>> from tfcourse._plotting import RIGHT_COLOR, new_or_checked_figure
    >>> RIGHT_COLOR
    '#0072B2'
    >>> fig = new_or_checked_figure(None, (3, 2))
    >>> fig.get_size_inches().tolist()
    [3.0, 2.0]
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from tfcourse._validation import expected

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, FigureBase

# --- the palette -------------------------------------------------------------

# Okabe-Ito colours by name.
BLUE = "#0072B2"
VERMILLION = "#D55E00"
BLUISH_GREEN = "#009E73"
REDDISH_PURPLE = "#CC79A7"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREY = "#BBBBBB"  # not Okabe-Ito: a neutral for "everything else"

# What the colours mean across the course.
TRAIN_COLOR = BLUE
VALIDATION_COLOR = VERMILLION
RIGHT_COLOR = BLUE
WRONG_COLOR = VERMILLION
OTHER_COLOR = GREY
WARNING_COLOR = VERMILLION

# One colour per series (runs compared): the palette without its black and its
# yellow (too pale on white).
SERIES_COLORS = (BLUE, VERMILLION, BLUISH_GREEN, REDDISH_PURPLE, ORANGE, SKY_BLUE)
# A layer's weight variables (kernel, bias, ...): vermillion last, since beside
# a histogram it would read as "wrong" or "warning".
VARIABLE_COLORS = (BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, VERMILLION)

# ColorBrewer's diverging red-blue reads for colour-blind viewers; reversed so
# that positive weights are red (warm = "excites the unit"), negative blue.
WEIGHT_CMAP = "RdBu_r"

# Marks that say right or wrong without colour.
RIGHT_MARK = "✓"
WRONG_MARK = "✗"
TRUE_HATCH = "///"


# --- figures and axes ----------------------------------------------------------


def check_figure(fig: Any) -> None:
    """Refuse anything that is not an empty matplotlib (sub)figure.

    Example:
        >>> check_figure("my figure")
        Traceback (most recent call last):
        ...
        TypeError: Expected a matplotlib Figure (or None for a new one). Received: fig='my figure' (type str).
    """
    from matplotlib.figure import FigureBase

    if not isinstance(fig, FigureBase):
        raise TypeError(expected("a matplotlib Figure (or None for a new one)", "fig", fig))
    if fig.axes:
        raise ValueError(
            expected(
                "an empty Figure",
                "fig",
                fig,
                hint="This helper lays out its own panels: pass a new figure or call fig.clear() first.",
            )
        )


def new_or_checked_figure(fig: Any, figsize: tuple[float, float]) -> FigureBase:
    """A new constrained-layout figure of ``figsize`` when ``fig`` is None, else ``fig`` once checked empty."""
    if fig is None:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, layout="constrained")
    check_figure(fig)
    return fig


def new_or_checked_axes(ax: Any, figsize: tuple[float, float]) -> Axes:
    """New axes on a new constrained-layout figure when ``ax`` is None, else ``ax`` once checked.

    Example:
        >>> ax = new_or_checked_axes(None, (4, 3))
        >>> new_or_checked_axes(ax, (4, 3)) is ax
        True
    """
    from matplotlib.axes import Axes as MplAxes

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, layout="constrained")
        return ax
    if not isinstance(ax, MplAxes):
        raise TypeError(expected("a matplotlib Axes (or None for a new figure)", "ax", ax))
    return ax


def offscreen_figure(figsize: tuple[float, float]) -> Figure:
    """A constrained-layout figure made without pyplot.

    A pyplot figure would also be shown by the notebook's inline backend and
    stay in pyplot's list for ever; this one lives only with its owner.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = offscreen_figure((2, 2))
        >>> fig.number if hasattr(fig, "number") else "not in pyplot"
        'not in pyplot'
    """
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def figure_png(fig: FigureBase, *, dpi: int = 100) -> bytes:
    """The figure as PNG bytes.

    Example:
        >>> figure_png(offscreen_figure((1, 1)))[:4]
        b'\\x89PNG'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
