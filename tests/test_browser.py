"""The explorers in a real JupyterLab, in a real browser (headless Chromium).

Widgets are what most often breaks for students ("Error displaying widget",
a jupyterlab_widgets that does not match ipywidgets), and no Python-side test
sees it. For each notebook that uses the explorers, this one starts a
JupyterLab of its own (a free local port, a fresh workspace and settings, its
own server log), opens the notebook, runs all cells, and checks what a
student would see: no error output, every explorer rendered with its
picture, a slider that changes the picture, a digit drawn with the mouse
that gets a prediction, and a browser console without errors.

Run only these:  pytest -m browser
Screenshots go to $TFCOURSE_ARTIFACTS (default: test-artifacts/browser/).

Skipped (with the reason) where Chromium or the playwright package is
missing; when the environment variable CI is set, that is a failure instead.
Chromium is Debian's (`apt-get install chromium`), never a Playwright
download.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]

# Lessons that show explorers. Add a lesson here when it gets one;
# test_every_lesson_with_an_explorer_is_listed fails until you do.
EXPLORER_LESSONS: tuple[str, ...] = (
    "04_keras_models_and_parameters.ipynb",
    "05_training_mnist_with_keras.ipynb",
)
DEMO_NOTEBOOK = "tests/notebooks/explorers_demo.ipynb"
# One Chinese lesson too: its Setup calls tfc.set_language("zh"), so its explorer
# must show Chinese labels (and still work).
CHINESE_LESSON = "lessons/zh/04_keras_models_and_parameters.ipynb"
NOTEBOOKS = (DEMO_NOTEBOOK, *(f"lessons/{name}" for name in EXPLORER_LESSONS), CHINESE_LESSON)

# Explorer class name in a notebook's code -> the CSS class its widget carries.
EXPLORER_CSS = {
    "ParameterExplorer": "tfc-parameter-explorer",
    "WeightExplorer": "tfc-weight-explorer",
    "PredictionExplorer": "tfc-prediction-explorer",
    "DrawDigit": "tfc-draw-digit",
}
SERVER_START_TIMEOUT_S = 90
RUN_ALL_TIMEOUT_S = 150
UPDATE_TIMEOUT_MS = 20_000
# Anything not served by our JupyterLab (the Binder badge of a lesson's first
# cell, say) gets an empty picture: the test needs no internet, and a blocked
# request is not a console error of ours.
EXTERNAL_URL = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")
EMPTY_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


# --- which notebooks ------------------------------------------------------------------


def _code(path: Path) -> str:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join(
        "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"
    )


def _explorers_used(path: Path) -> list[str]:
    code = _code(path)
    return [name for name in EXPLORER_CSS if re.search(rf"\b{name}\(", code)]


def test_every_lesson_with_an_explorer_is_listed():
    """Runs without a browser: a lesson that gains an explorer must be browser-tested."""
    using = sorted(p.name for p in (ROOT / "lessons").glob("*.ipynb") if _explorers_used(p))
    assert sorted(EXPLORER_LESSONS) == using, (
        "EXPLORER_LESSONS in tests/test_browser.py must list exactly the lessons that "
        f"show explorers: {using}"
    )


# --- browser and server ---------------------------------------------------------------


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("TFCOURSE_ARTIFACTS") or ROOT / "test-artifacts") / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _write_settings(folder: Path) -> None:
    settings = {
        # No news pop-up or update check covering the notebook.
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        # Every cell stays in the page, so every widget can be found and checked.
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for relative, values in settings.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


@pytest.fixture()
def lab(notebook, tmp_path_factory, artifacts):
    """A JupyterLab serving a temporary copy of this test's notebook; yields its base URL and log.

    One server, with its own log, per notebook: a traceback that one
    notebook's kernel writes to the log can only fail that notebook's test.
    """
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    target = root / notebook
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / notebook, target)
    _write_settings(base / "settings")
    port = _free_port()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", JUPYTER_CONFIG_DIR=str(base / "config"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    env.pop("MPLBACKEND", None)  # the kernel gets the inline backend, as a student's does
    log_path = artifacts / f"jupyterlab-{_artifact_name(notebook)}.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--port-retries=0",
        "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
        "--LabApp.expose_app_in_browser=True", f"--LabApp.workspaces_dir={base / 'workspaces'}",
        f"--LabApp.user_settings_dir={base / 'settings'}", f"--ServerApp.root_dir={root}", "--allow-root",
    ]
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer in {SERVER_START_TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, log_path
    finally:
        server.terminate()  # the server shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)  # its own session: only this server and its kernels
            server.wait()


# --- driving a notebook --------------------------------------------------------------------

NOTEBOOK_READY = """() => {
    const app = window.jupyterapp;
    const panel = app && app.shell.currentWidget;
    return !!(panel && panel.sessionContext && panel.content && panel.sessionContext.session
              && panel.sessionContext.session.kernel
              && panel.sessionContext.session.kernel.status === 'idle');
}"""

RUN_FINISHED = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
    const failed = cells.some(cell => cell.model.outputs.toJSON().some(o => o.output_type === 'error'));
    const executed = cells.every(cell => cell.model.executionCount !== null);
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return (failed || executed) && !!kernel && kernel.status === 'idle';
}"""

CELL_ERRORS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const found = [];
    panel.content.widgets.forEach((cell, index) => {
        if (cell.model.type !== 'code') return;
        for (const output of cell.model.outputs.toJSON()) {
            if (output.output_type === 'error') found.push(`cell ${index}: ${output.ename}: ${output.evalue}`);
        }
        if (cell.model.executionCount === null) found.push(`cell ${index}: not run`);
    });
    return found;
}"""


def _wait_until(page, script: str, *, timeout_s: float, what: str, polling: int = 250) -> None:
    """Wait until ``script`` returns true in the page; else fail saying what did not happen."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(script, timeout=timeout_s * 1000, polling=polling)
    except PlaywrightTimeout:
        raise AssertionError(f"{what} within {timeout_s:.0f} s") from None


def _wait_visible(locator, *, timeout_s: float, what: str) -> None:
    """Wait until the first match of ``locator`` is visible; else fail saying what did not show."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        locator.first.wait_for(state="visible", timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        raise AssertionError(f"{what} within {timeout_s:.0f} s") from None


def _image_source(explorer):
    return explorer.locator("img.tfc-figure").get_attribute("src")


def _drag_handle(page, slider, pixels: float) -> None:
    """Drag a slider's handle sideways with the mouse, as a student would."""
    handle = slider.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + pixels, y, steps=8)
    page.mouse.up()


def _wait_for_change(page, read, before, what: str):
    deadline = time.monotonic() + UPDATE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        now = read()
        if now != before:
            return now
        page.wait_for_timeout(200)
    raise AssertionError(f"{what} did not change within {UPDATE_TIMEOUT_MS / 1000:.0f} s")


def _check_figure_loaded(explorer, name: str) -> None:
    image = explorer.locator("img.tfc-figure")
    assert image.count() == 1, f"{name}: no figure"
    assert image.evaluate("img => img.complete && img.naturalWidth > 100"), f"{name}: the figure did not load"


def _artifact_name(notebook: str) -> str:
    """A notebook's name for its screenshots and log: zh-04_... for a Chinese lesson."""
    return ("zh-" if notebook.startswith("lessons/zh/") else "") + Path(notebook).stem


def _words(notebook: str):
    """English -> what the notebook's explorers show: Chinese for a lesson under lessons/zh/."""
    if not notebook.startswith("lessons/zh/"):
        return lambda text: text
    from tfcourse import _language

    def chinese(text: str) -> str:
        before = _language.language()
        _language.set_language("zh")
        try:
            return _language.translate_template(text)
        finally:
            _language.set_language(before)

    return chinese


def _exercise_parameter_explorer(page, explorer, say) -> None:
    table = explorer.locator(".tfc-table")
    total = re.escape(say("{total:,} parameters")).replace(re.escape("{total:,}"), r"[\d,]+")
    assert re.search(total, table.inner_text()), table.inner_text()
    assert explorer.locator(".widget-slider").count() >= 3  # input size, layers, classes
    classes = explorer.locator(".widget-slider", has_text=say("classes"))
    assert classes.count() == 1, f"no slider labelled {say('classes')!r}"
    before = table.inner_text()
    _drag_handle(page, classes, 40)
    _wait_for_change(page, table.inner_text, before, "the parameter table")


def _exercise_weight_explorer(page, explorer, say) -> None:
    _check_figure_loaded(explorer, "WeightExplorer")
    before = _image_source(explorer)
    _drag_handle(page, explorer.locator(".widget-slider", has_text="unit"), 80)
    before = _wait_for_change(page, lambda: _image_source(explorer), before, "the weight picture")
    since_start = explorer.get_by_label(say("change since start"))
    if since_start.count():  # only with snapshots
        since_start.click()  # on or off, whichever it was: the picture must follow
        _wait_for_change(page, lambda: _image_source(explorer), before, "the picture after 'change since start'")
    _check_figure_loaded(explorer, "WeightExplorer")


def _exercise_prediction_explorer(page, explorer, say) -> None:
    _check_figure_loaded(explorer, "PredictionExplorer")
    caption = explorer.locator(".tfc-caption")
    assert caption.inner_text().startswith("#0: true")
    before = _image_source(explorer)
    explorer.get_by_role("button", name="next ▶").click()
    before = _wait_for_change(page, lambda: _image_source(explorer), before, "the picture after 'next'")
    assert caption.inner_text().startswith("#1: true")
    _drag_handle(page, explorer.locator(".widget-slider"), 60)
    _wait_for_change(page, lambda: _image_source(explorer), before, "the picture after the slider")
    text = caption.inner_text()
    explorer.get_by_role("button", name=re.compile("mistakes only")).click()
    _wait_for_change(page, caption.inner_text, text, "the caption after 'mistakes only'")
    assert re.search(r"✗ · mistake \d+ of \d+$", caption.inner_text()), caption.inner_text()
    _check_figure_loaded(explorer, "PredictionExplorer")


def _exercise_draw_digit(page, explorer, say) -> str:
    caption = explorer.locator(".tfc-caption")
    assert caption.inner_text().startswith("Draw a digit")
    canvas = explorer.locator("canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box["width"] > 100 and box["height"] > 100, box

    def at(fx: float, fy: float) -> tuple[float, float]:
        return box["x"] + fx * box["width"], box["y"] + fy * box["height"]

    before = _image_source(explorer)
    page.mouse.move(*at(0.25, 0.2))
    page.mouse.down()
    page.mouse.move(*at(0.75, 0.2), steps=12)  # a 7: the bar...
    page.mouse.move(*at(0.45, 0.85), steps=16)  # ...and the stem
    page.mouse.up()
    prediction = _wait_for_change(page, caption.inner_text, caption.inner_text(), "the prediction")
    assert re.match(r"Prediction: \d \(\d+% sure\)", prediction), prediction
    _wait_for_change(page, lambda: _image_source(explorer), before, "the model's view of the drawing")
    _check_figure_loaded(explorer, "DrawDigit")
    return prediction


EXERCISES = {
    "tfc-parameter-explorer": _exercise_parameter_explorer,
    "tfc-weight-explorer": _exercise_weight_explorer,
    "tfc-prediction-explorer": _exercise_prediction_explorer,
    "tfc-draw-digit": _exercise_draw_digit,
}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_explorers_work_in_jupyterlab(notebook, browser, lab, artifacts):
    url, server_log = lab
    used = _explorers_used(ROOT / notebook)
    assert used, f"{notebook} shows no explorer: nothing to check in the browser"
    stem = _artifact_name(notebook)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(f"page error: {error}"))
    external: list[str] = []

    def stand_in(route) -> None:
        external.append(route.request.url)
        route.fulfill(status=200, content_type="image/svg+xml", body=EMPTY_SVG)

    page.route(EXTERNAL_URL, stand_in)
    try:
        started = time.monotonic()
        page.goto(f"{url}/lab/tree/{notebook}?reset", wait_until="domcontentloaded")
        _wait_until(page, NOTEBOOK_READY, timeout_s=SERVER_START_TIMEOUT_S,
                    what=f"{notebook}: the notebook did not open with an idle kernel")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        _wait_until(page, RUN_FINISHED, timeout_s=RUN_ALL_TIMEOUT_S, polling=500,
                    what=f"{notebook}: running all cells did not finish (or stop at an error)")
        ran = time.monotonic() - started
        errors = page.evaluate(CELL_ERRORS)
        assert errors == [], f"{notebook}: cells failed:\n" + "\n".join(errors)

        assert page.get_by_text("Error displaying widget").count() == 0
        for name in used:
            css = EXPLORER_CSS[name]
            explorer = page.locator(f".jp-OutputArea-output .{css}")
            _wait_visible(explorer, timeout_s=UPDATE_TIMEOUT_MS / 1000,
                          what=f"{notebook}: {name} did not render (no .{css} in any cell output)")
            for index in range(explorer.count()):
                one = explorer.nth(index)
                assert one.locator(".jupyter-widgets").count() > 0
                one.screenshot(path=artifacts / f"{stem}-{css}-{index}-before.png")
                result = EXERCISES[css](page, one, _words(notebook))
                one.screenshot(path=artifacts / f"{stem}-{css}-{index}-after.png")
                if result:
                    print(f"{notebook}: {name} {index}: {result}")
        page.screenshot(path=artifacts / f"{stem}-page.png")
        print(f"{notebook}: ran all cells in {ran:.1f} s; external requests answered locally: {external}")
        assert console_errors == [], "browser console errors:\n" + "\n".join(console_errors)
        # A widget callback that raised shows nowhere in the page; the kernel
        # logs it, in this notebook's own server log.
        kernel_log = server_log.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in kernel_log, (
            f"{notebook}: the kernel logged a traceback ({server_log}):\n"
            + kernel_log[max(kernel_log.index("Traceback") - 200, 0) :][:3000]
        )
    except Exception:
        page.screenshot(path=artifacts / f"{stem}-failure.png")
        raise
    finally:
        page.close()
