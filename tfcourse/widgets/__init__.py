"""Explorers: drag a slider, see the network change (lessons 04 and 05).

One module per explorer, plus what they share:

============================  =======================================================  ======
module                        what it holds                                            lesson
============================  =======================================================  ======
``parameter_explorer``        :class:`ParameterExplorer`: layer sizes in, parameter    04
                              table out, with the formula of every row
``weight_explorer``           :class:`WeightExplorer`: one first-layer unit's          05
                              weights as a 28×28 picture, at any recorded epoch, next
                              to the digits that excite it most
``prediction_explorer``       :class:`PredictionExplorer`: step through test images,   05
                              or only the mistakes, with the model's probabilities
``draw_digit``                :class:`DrawDigit`: draw a digit with the mouse and      05
                              watch the model read it
``digit_image``               :func:`preprocess_digit`: a drawing made into an MNIST   05
                              image the way MNIST itself was made
``_explorer``                 the base class every explorer shares and its argument
                              checks
============================  =======================================================  ======

Every explorer is plain Python first, built the same way:

- ``explorer.state``: a dict of what is shown now (selection and results);
- ``explorer.select(...)``: change the selection (checked like any helper);
- ``explorer.draw()``: the picture as a matplotlib ``Figure`` (made without
  pyplot, so nothing is shown twice); ``explorer.to_png()`` as PNG bytes
  (the parameter explorer's picture is a table: ``table_html()``);
- ``explorer.widget``: the ipywidgets controls, built on first display only.
  A notebook shows an explorer when it is the last expression of a cell.

So scripts, nbval and the unit tests use the logic without a browser, and the
controls only call the explorer's own methods (``select``, ``next``,
``clear``, ...). A figure is shown as a PNG in an ``ipywidgets.Image`` and
replaced in place: one output per explorer, never a pile of frames.

The words a student reads in an explorer (labels, titles, captions) are
gathered in the ``TEXT`` dict at the top of its module; the controls' and
captions' words go through ``tfcourse._language.translate`` (Chinese after
``tfc.set_language("zh")``), the figures' stay English.

ipywidgets, ipycanvas and matplotlib are imported inside the functions that
need them; this package itself imports only NumPy.
"""

from __future__ import annotations

from tfcourse.widgets.digit_image import DrawingWarning, preprocess_digit
from tfcourse.widgets.draw_digit import DrawDigit
from tfcourse.widgets.parameter_explorer import ParameterExplorer
from tfcourse.widgets.prediction_explorer import PredictionExplorer
from tfcourse.widgets.weight_explorer import WeightExplorer

__all__ = [
    "DrawDigit",
    "DrawingWarning",
    "ParameterExplorer",
    "PredictionExplorer",
    "WeightExplorer",
    "preprocess_digit",
]
