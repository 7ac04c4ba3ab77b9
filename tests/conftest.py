"""Fixtures shared by the test modules in tests/ (the device and data set-up is in ../conftest.py).

Nothing here is autouse: a module asks for what it needs, e.g.
``pytestmark = pytest.mark.usefixtures("clean_matplotlib")``.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def clean_matplotlib(monkeypatch):
    """Agg backend; fail on plt.show() or a changed rcParams; close figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: shown.append(args))
    before = dict(matplotlib.rcParams)
    yield
    after = dict(matplotlib.rcParams)
    plt.close("all")
    assert not shown, "a helper called plt.show()"
    assert after == before, "a helper changed matplotlib.rcParams"


@pytest.fixture(scope="module")
def tf():
    """The tensorflow module, imported only by the tests that ask for it."""
    import tensorflow

    return tensorflow
