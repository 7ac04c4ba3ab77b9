"""Fixtures shared by the test modules in tests/ (the device and data set-up is in ../conftest.py).

Nothing here is autouse: a module asks for what it needs, e.g.
``pytestmark = pytest.mark.usefixtures("clean_matplotlib")``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Debian's Chromium, driven by playwright, as known to work here (no browser download).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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


@pytest.fixture
def offline_keras_home(monkeypatch, tmp_path) -> Path:
    """An empty Keras home in tmp_path, no $TFCOURSE_DATA_DIR, and no downloads.

    A test that reaches Keras's download fails: the data tests must pass
    offline, and must not read a cache this machine happens to have.
    """
    from tfcourse import data

    monkeypatch.delenv("TFCOURSE_DATA_DIR", raising=False)
    home = tmp_path / "keras-home"
    home.mkdir()
    # tfcourse.data reads KERAS_HOME at each call (keras_datasets_folder); Keras
    # itself never runs here: its download is replaced below.
    monkeypatch.setenv("KERAS_HOME", str(home))

    def no_download(spec):
        pytest.fail(f"a test tried to download {spec.name} with Keras")

    monkeypatch.setattr(data, "_download_with_keras", no_download)
    return home


def browser_unavailable(reason: str) -> None:
    """Skip a browser test, with the reason; fail it where CI is set (it must run there)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser test must run here)")
    pytest.skip(reason)


def chromium_executable() -> str | None:
    candidates = [
        os.environ.get("TFCOURSE_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        "/usr/bin/chromium",
    ]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for the module's tests (tests/test_browser.py, tests/test_site.py)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("the playwright package is not installed (pip install -r requirements.txt)")
    executable = chromium_executable()
    if executable is None:
        browser_unavailable("no Chromium found (Debian: apt-get install chromium; or set TFCOURSE_CHROMIUM)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def lessons_run_with_solutions() -> dict:
    """Every lesson executed once with its worked solutions as code cells.

    ``{lesson path: (executed notebook, None) or (None, error)}``. Shared by
    tests/test_solutions.py (each solution passes its checker) and
    tests/test_site.py (the website built from these runs), so the suite runs
    the lessons this way once.
    """
    pytest.importorskip("nbclient")
    from lesson_notebooks import LESSONS, execute_with_solutions

    return {path: execute_with_solutions(path) for path in LESSONS}
