"""The course website (``python -m tfcourse site``), built and opened in headless Chromium.

The site is built from every lesson as the suite already runs it for
tests/test_solutions.py (the ``lessons_run_with_solutions`` fixture), with its
worked solutions put back as the collapsed blocks a student sees: every lesson
page has its outputs, and no lesson runs twice for it. Set
``TFCOURSE_SITE_FROM`` to a folder of executed lessons (``python -m tfcourse
run`` writes ``_build/rehearsal``) to test a site built from those instead.

Every page must render, show its figures, link only to pages that exist and
log no console error; no page may load anything from outside the site. The
Chinese pages (lessons/zh/) are made from the same runs with the Chinese text,
and are checked the same way.
Screenshots go to $TFCOURSE_ARTIFACTS/site (default test-artifacts/site/).
The browser part is marked ``browser`` like tests/test_browser.py.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from lesson_notebooks import load, student_view  # tests/lesson_notebooks.py
from tfcourse import site as site_module
from tfcourse._site_pages import CHINESE
from tfcourse.site import (
    build_site,
    clean_stream_text,
    prepare_lesson,
    site_pages,
    translated_notebook,
)

ROOT = Path(__file__).resolve().parents[1]


def _lessons_digest() -> dict[str, str]:
    """Every file under lessons/ and its SHA-256."""
    return {str(path.relative_to(ROOT)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted((ROOT / "lessons").rglob("*"))
            if path.is_file() and ".ipynb_checkpoints" not in path.parts}


@pytest.fixture(scope="module")
def site(tmp_path_factory, request):
    out = tmp_path_factory.mktemp("site") / "site"
    from_dir = os.environ.get("TFCOURSE_SITE_FROM")
    if not from_dir:
        runs = request.getfixturevalue("lessons_run_with_solutions")
        from_dir = tmp_path_factory.mktemp("executed")
        for path, (executed, error) in runs.items():
            if error is not None:
                pytest.fail(f"{path.name} does not run, so its page cannot be built:\n{error}")
            view = student_view(load(path), executed)
            (from_dir / path.name).write_text(json.dumps(view, indent=1), encoding="utf-8")
    before = _lessons_digest()
    built = build_site(from_dir=from_dir, output_dir=out, log=print)
    print(f"site built in {built.seconds:.0f} s")
    after = _lessons_digest()
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert changed == [], f"building the site changed lessons/: {changed}"
    return built


# --- without a browser --------------------------------------------------------------


def test_progress_bars_keep_each_line_last_state():
    keras_like = ("Epoch 1/2\n\r 1/63 ━━━━━━━━━━ 0s 1ms/step - loss: 2.3"
                  "\r63/63 ━━━━━━━━━━ 1s 2ms/step - loss: 0.51\nEpoch 2/2\n\b\b\bdone\n")
    assert clean_stream_text(keras_like) == (
        "Epoch 1/2\n63/63 ━━━━━━━━━━ 1s 2ms/step - loss: 0.51\nEpoch 2/2\ndone\n")
    assert clean_stream_text("ab\bc\r\n") == "ac\n"


def _notebook_with_widget() -> dict:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    state = {
        "box": {"model_name": "VBoxModel", "state": {
            "children": ["IPY_MODEL_slider", "IPY_MODEL_image"], "_dom_classes": ["tfc-explorer"]}},
        "slider": {"model_name": "IntSliderModel", "state": {"description": "unit", "value": 3}},
        "image": {"model_name": "ImageModel", "state": {"format": "png", "_dom_classes": ["tfc-figure"]},
                  "buffers": [{"path": ["value"], "encoding": "base64", "data": png}]},
    }
    return {
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": state}}},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# 05 · X\n\n[![Launch on Binder]"
             "(https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/a/b/HEAD)\n\n"
             "See [lesson 04](04_y.ipynb) and [the loader](../tfcourse/data.py)."},
            {"cell_type": "code", "metadata": {}, "source": "w", "execution_count": 1, "outputs": [
                {"output_type": "display_data", "metadata": {}, "data": {
                    "text/plain": "VBox()",
                    "application/vnd.jupyter.widget-view+json": {"model_id": "box"}}},
                {"output_type": "display_data", "metadata": {}, "data": {
                    "text/html": "<iframe src='http://localhost:6006'></iframe>"}},
            ]},
        ],
    }


def test_a_widget_becomes_a_picture_of_its_state_and_links_are_rewritten():
    notebook = _notebook_with_widget()
    page = prepare_lesson(notebook, "05_x.ipynb", lesson_names={"04_y.ipynb"})
    assert "widgets" in notebook["metadata"], "the input notebook must be left as it was"
    assert "widgets" not in page["metadata"]
    first = page["cells"][0]["source"]
    assert "mybinder.org/badge_logo.svg" not in first and 'class="tfc-launch"' in first
    assert "colab.research.google.com/github/tfcourse/tfcourse/blob/main/lessons/05_x.ipynb" in first
    assert "(04_y.ipynb)" in first
    assert "(https://github.com/tfcourse/tfcourse/blob/main/tfcourse/data.py)" in first
    widget, server = page["cells"][1]["outputs"]
    html = widget["data"]["text/html"]
    assert "application/vnd.jupyter.widget-view+json" not in widget["data"]
    assert 'src="data:image/png;base64,iVBOR' in html and "unit 3" in html
    assert "Launch to interact" in html
    assert "<iframe" not in server["data"]["text/html"]
    assert "Launch to interact" in server["data"]["text/html"]


def _chinese_twin(notebook: dict) -> dict:
    """The Chinese notebook of _notebook_with_widget(): same cells, Chinese text, no outputs."""
    return {
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# 05 · 某课\n\n[![在 Binder 上运行]"
             "(https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/a/b/HEAD)\n\n"
             "见[第 04 课](04_y.ipynb)、[教师说明](README.md)、[中文首页](../../README.zh-CN.md)、"
             "[English](../../README.md)、[英文第 04 课](../04_y.ipynb)和[第 06 课](06_z.ipynb)。"},
            {"cell_type": "code", "metadata": {}, "source": "w  # 探索器", "execution_count": None,
             "outputs": []},
        ],
    }


def test_a_chinese_page_has_the_english_outputs_and_the_chinese_text():
    english = _notebook_with_widget()
    merged, why = translated_notebook(english, _chinese_twin(english))
    assert why == "" and merged is not None
    assert english["cells"][1]["source"] == "w", "the executed notebook must be left as it was"
    names = {"04_y.ipynb", "05_x.ipynb", "zh/04_y.ipynb", "zh/05_x.ipynb"}  # no zh/06_z: skipped
    page = prepare_lesson(merged, "zh/05_x.ipynb", lesson_names=names)
    first, code = page["cells"][0]["source"], page["cells"][1]
    assert first.startswith("# 05 · 某课") and code["source"] == "w  # 探索器"
    assert len(code["outputs"]) == 2, "the English run's outputs"
    assert 'src="data:image/png;base64,iVBOR' in code["outputs"][0]["data"]["text/html"]
    assert "启动本课即可交互" in code["outputs"][0]["data"]["text/html"]
    assert "<iframe" not in code["outputs"][1]["data"]["text/html"]
    # the launch row: the Chinese notebook on Binder and Colab, its download two folders up
    assert "mybinder.org/badge_logo.svg" not in first
    assert "https://mybinder.org/v2/gh/tfcourse/tfcourse/HEAD?labpath=lessons/zh/05_x.ipynb" in first
    assert "https://colab.research.google.com/github/tfcourse/tfcourse/blob/main/lessons/zh/05_x.ipynb" in first
    assert 'href="../../notebooks/zh/05_x.ipynb" download="05_x.ipynb"' in first
    assert 'src="../../_static/binder-badge.svg"' in first and "下载 notebook" in first
    # relative links: pages of the site, or GitHub for a page the site does not have
    for link in ("(04_y.ipynb)", "(instructor-notes.md)", "(../../zh.md)", "(../../index.md)",
                 "(../04_y.ipynb)",
                 "(https://github.com/tfcourse/tfcourse/blob/main/lessons/zh/06_z.ipynb)"):
        assert link in first, link


def test_a_chinese_notebook_that_does_not_match_gets_no_page():
    english = _notebook_with_widget()
    shorter = _chinese_twin(english)
    shorter["cells"].pop()
    assert translated_notebook(english, shorter) == (None, "it has 1 cells, the executed lesson 2")
    swapped = _chinese_twin(english)
    swapped["cells"][1] = {"cell_type": "markdown", "metadata": {}, "source": "w"}
    page, why = translated_notebook(english, swapped)
    assert page is None and "cell 1 is markdown" in why and "code" in why


def _readme(title: str, heading: str, folder: str, names: list[str], link: str) -> str:
    rows = "".join(f"| {name[:2]} | [{name}]({folder}/{name}) | x |\n" for name in names)
    table = f"| # | lesson | what |\n|---|---|---|\n{rows}"
    return (f"# {title}\n\n{link}\n\nIntro.\n\n## {heading}\n\n{table}\n{table.replace('01', '07')}"
            f"\nNotes: [{folder}/README.md]({folder}/README.md).\n\n## Next\n")


def test_the_home_pages_link_each_other_and_skip_missing_chinese_pages():
    lessons = ["01_a.ipynb", "02_b.ipynb"]
    pages = site_pages([*lessons, "zh/01_a.ipynb"])  # zh/02_b has no page
    english = site_module._home_page(
        _readme("Course", "Course map", "lessons", lessons, ""), lessons, pages=pages)
    chinese = site_module._home_page(
        _readme("课程", CHINESE.course_map, "lessons/zh", lessons, "[English](README.md) · 中文"),
        ["01_a.ipynb"], edition=CHINESE, pages=pages)
    assert "](zh.md)" in english and ":caption: 中文版\n\nzh\n" in english
    assert "[English](index.md)" in chinese and "**English:**" not in chinese
    assert ":caption: 课程\n\nlessons/zh/01_a\n```" in chinese
    assert "lessons/zh/02_b\n" not in chinese, "a page that was not built is in no toctree"
    assert "(https://github.com/tfcourse/tfcourse/blob/main/lessons/zh/02_b.ipynb)" in chinese
    assert ":caption: 给教师\n\nlessons/zh/instructor-notes\n" in chinese
    assert "(lessons/zh/instructor-notes.md)" in chinese
    assert "| 打开 |" in chinese
    assert "labpath=lessons/zh/01_a.ipynb" in chinese and "blob/main/lessons/zh/01_a.ipynb" in chinese
    assert "lessons/zh" not in english.replace("](zh.md)", ""), "the English map stays English"


def _tiny_lesson(title: str, code: str, cells: int = 2, output: str | None = None) -> dict:
    import nbformat

    notebook = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    notebook.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\n{title}.")]
    for _ in range(cells - 1):
        cell = nbformat.v4.new_code_cell(code)
        if output is not None:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
            cell.execution_count = 1
        notebook.cells.append(cell)
    return notebook


def test_a_build_skips_the_chinese_pages_it_cannot_make(tmp_path, monkeypatch):
    """A course of three tiny lessons: one Chinese twin matches, one has a cell less, one is missing."""
    import nbformat

    import tfcourse.cli.course

    course, executed = tmp_path / "course", tmp_path / "executed"
    (course / "lessons" / "zh").mkdir(parents=True)
    executed.mkdir()
    names = ["01_a.ipynb", "02_b.ipynb", "03_c.ipynb"]
    for name in names:
        nbformat.write(_tiny_lesson(f"{name[:2]} · Lesson", "print(2)"), course / "lessons" / name)
        nbformat.write(_tiny_lesson(f"{name[:2]} · Lesson", "print(2)", output="2\n"), executed / name)
    nbformat.write(_tiny_lesson("01 · 第一课", "print(2)  # 二"), course / "lessons" / "zh" / names[0])
    nbformat.write(_tiny_lesson("02 · 第二课", "print(2)", cells=1), course / "lessons" / "zh" / names[1])
    (course / "README.md").write_text(_readme("Course", "Course map", "lessons", names, ""), encoding="utf-8")
    (course / "README.zh-CN.md").write_text(
        _readme("课程", CHINESE.course_map, "lessons/zh", names, "[English](README.md)"), encoding="utf-8")
    monkeypatch.setattr(tfcourse.cli.course, "course_root", lambda: course)
    lines: list[str] = []
    built = build_site(from_dir=executed, output_dir=tmp_path / "site", log=lines.append)

    assert [page.relative_to(built.output).as_posix() for page in built.translated_pages] == [
        "lessons/zh/01_a.html"]
    assert built.skipped == ["lessons/zh/02_b.ipynb: it has 1 cells, the executed lesson 2",
                             "lessons/zh/03_c.ipynb: the translated notebook is missing (not written yet?)"]
    for reason in built.skipped:
        assert f"Note: no page for {reason}." in lines
    assert built.warnings == [], "Sphinx warned (a page in no toctree, a broken link?)"
    page = (built.output / "lessons" / "zh" / "01_a.html").read_text(encoding="utf-8")
    assert "第一课" in page and "# 二" in page and "2\n" in page, "Chinese text, the English run's output"
    home = (built.output / "zh.html").read_text(encoding="utf-8")
    assert 'href="lessons/zh/01_a.html"' in home and 'href="index.html"' in home
    assert "github.com/tfcourse/tfcourse/blob/main/lessons/zh/02_b.ipynb" in home
    assert 'href="zh.html"' in built.index.read_text(encoding="utf-8")
    assert (built.output / "lessons" / "zh" / "instructor-notes.html").is_file()
    assert not (course / "lessons" / "zh" / "03_c.ipynb").exists(), "nothing written into lessons/"


def _pages(site) -> list[Path]:
    return sorted(p for p in site.output.rglob("*.html") if "_static" not in p.parts
                  and p.name not in ("genindex.html",))


def test_every_lesson_has_a_page_with_a_launch_row(site):
    for page in site.pages:
        text = page.read_text(encoding="utf-8")
        lesson = page.stem + ".ipynb"
        assert 'class="tfc-launch"' in text, page.name
        assert f"https://mybinder.org/v2/gh/tfcourse/tfcourse/HEAD?labpath=lessons/{lesson}" in text
        assert f"https://colab.research.google.com/github/tfcourse/tfcourse/blob/main/lessons/{lesson}" in text
        assert (site.output / "notebooks" / lesson).is_file(), f"no download for {lesson}"
    home = site.index.read_text(encoding="utf-8")
    for page in site.pages:
        assert f'href="lessons/{page.name}"' in home, f"the course map does not link {page.name}"
    assert (site.output / "lessons" / "instructor-notes.html").is_file()
    assert (site.output / "searchindex.js").is_file()


def test_the_chinese_pages_are_built_from_the_same_runs(site):
    """Each Chinese lesson has a page (or a reason it has none), linked from the Chinese home."""
    chinese = sorted((ROOT / "lessons" / "zh").glob("[0-9][0-9]_*.ipynb"))
    assert chinese, "no Chinese lessons to build pages from"
    built = {page.name: page for page in site.translated_pages}
    reasons = " ".join(site.skipped)
    home = (site.output / "zh.html").read_text(encoding="utf-8")
    for path in chinese:
        if f"lessons/zh/{path.name}:" in reasons:
            continue
        page = built[path.stem + ".html"]
        assert page.parent == site.output / "lessons" / "zh", page
        text = page.read_text(encoding="utf-8")
        assert f"https://mybinder.org/v2/gh/tfcourse/tfcourse/HEAD?labpath=lessons/zh/{path.name}" in text
        assert f"https://colab.research.google.com/github/tfcourse/tfcourse/blob/main/lessons/zh/{path.name}" in text
        assert f'href="../../notebooks/zh/{path.name}"' in text
        assert (site.output / "notebooks" / "zh" / path.name).is_file(), f"no download for zh/{path.name}"
        assert f'href="lessons/zh/{page.name}"' in home, f"the Chinese course map does not link {page.name}"
        english = (site.output / "lessons" / page.name).read_text(encoding="utf-8")
        assert text.count('class="cell_output') == english.count('class="cell_output'), \
            f"{page.name}: the Chinese page must show the English run's outputs"
        assert "<details" in text, f"{page.name}: no collapsed worked solutions"
    assert site.translated_pages, f"no Chinese page was built: {site.skipped}"
    assert 'href="zh.html"' in site.index.read_text(encoding="utf-8"), "the English home links 中文版"
    assert 'href="index.html"' in home, "the Chinese home links back to English"
    assert (site.output / "lessons" / "zh" / "instructor-notes.html").is_file()


def test_solutions_are_collapsed_and_nothing_loads_from_outside(site):
    external = re.compile(r'<(script|img|link|iframe)\b[^>]*\b(src|href)="(https?:)?//', re.I)
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        # the sidebar opens its own <details> around the current page's section
        article = text[text.find("<article"):text.rfind("</article>")]
        assert not re.search(r"<details[^>]*\bopen\b", article), f"{page.name}: a solution is open"
        found = external.search(text)
        assert found is None, f"{page.name} loads {text[found.start():found.start() + 200]}"
    for page in site.pages:
        assert "Worked solution" in page.read_text(encoding="utf-8"), page.name


# --- in a browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site.output)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _draws(notebook_path: Path) -> bool:
    notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    return any("image/png" in output.get("data", {}) or
               "application/vnd.jupyter.widget-view+json" in output.get("data", {})
               for cell in notebook["cells"] for output in cell.get("outputs", []))


@pytest.mark.browser
def test_every_page_renders_in_chromium(site, served, browser):
    artifacts = Path(os.environ.get("TFCOURSE_ARTIFACTS") or ROOT / "test-artifacts") / "site"
    artifacts.mkdir(parents=True, exist_ok=True)
    source = site.output.with_name(site.output.name + "-source")
    pages = [p.relative_to(site.output).as_posix() for p in _pages(site)]
    assert "index.html" in pages and len(site.pages) >= 12
    assert "zh.html" in pages and "lessons/zh/instructor-notes.html" in pages
    assert {f"lessons/zh/{p.name}" for p in site.translated_pages} <= set(pages)
    broken, problems = [], []
    for relative in pages:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        errors: list[str] = []
        outside: list[str] = []
        page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda err, e=errors: e.append(f"page error: {err}"))
        page.on("response", lambda r, e=errors: e.append(f"{r.status} {r.url}") if r.status >= 400 else None)

        def refuse(route, seen=outside):
            seen.append(route.request.url)
            route.abort()

        page.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), refuse)
        try:
            page.goto(urljoin(served, relative), wait_until="load")
            page.wait_for_load_state("networkidle")
            assert page.locator("main, article").first.inner_text().strip(), f"{relative} is empty"
            if relative.startswith("lessons/") and not relative.endswith("/instructor-notes.html"):
                assert page.locator(".tfc-launch a").count() == 3, f"{relative}: launch row"
                if _draws(source / Path(relative).with_suffix(".ipynb")):
                    images = page.locator("article img, main img")
                    assert images.count() > 1, f"{relative}: no figures"  # the badges are 2
                    unloaded = page.evaluate(
                        "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
                        ".map(i => i.src.slice(0, 80))")
                    assert unloaded == [], f"{relative}: pictures that did not load: {unloaded}"
                for details in page.locator("article details").all():
                    assert details.get_attribute("open") is None
                    code = details.locator("pre").first
                    if code.count():
                        assert not code.is_visible(), f"{relative}: a worked solution shows"
            if relative == "search.html":
                page.goto(urljoin(served, "search.html?q=GradientTape"), wait_until="load")
                page.wait_for_selector("#search-results li, ul.search li", timeout=20_000)
            hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
            for href in hrefs:
                parsed = urlparse(href)
                if not href.startswith(served):
                    continue
                target = site.output / parsed.path.lstrip("/")
                if parsed.path.endswith("/"):
                    target = target / "index.html"
                if not target.exists():
                    broken.append(f"{relative} -> {parsed.path}")
            page.screenshot(path=artifacts / (relative.replace("/", "_") + ".png"))
            if errors or outside:
                problems.append(f"{relative}: console {errors}; outside requests {outside}")
        except Exception:
            page.screenshot(path=artifacts / (relative.replace("/", "_") + "-failure.png"))
            raise
        finally:
            page.close()
    assert broken == [], "broken internal links:\n" + "\n".join(broken)
    assert problems == [], "\n".join(problems)
