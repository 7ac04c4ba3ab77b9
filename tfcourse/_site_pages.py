"""What the course website's lesson pages are made of (shared by tfcourse/site.py).

- The editions: English (``lessons/``) and Chinese (``lessons/zh/``), each
  with its README, its course-map heading and the words its pages use.
- A translated page: the executed English notebook (its outputs) with each
  cell's text from the translated notebook, so nothing runs twice.
- Widgets as static HTML pictures of the state the executed notebook saved,
  and outputs that need a live server (TensorBoard) turned into a note.

Imports neither Sphinx nor TensorFlow.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass
from typing import Any, Mapping

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Outputs that only work with a live server behind them (TensorBoard's frame).
NEEDS_SERVER = re.compile(r"<iframe|<script", re.I)


# --- the editions -----------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per edition
class Edition:
    """One language of the course: where its files are, and the words of its pages."""

    language: str
    subfolder: str  # under lessons/, in the repository and on the site ("" for English)
    readme: str  # the home page's source, at the repository's root
    home: str  # the home page's document on the site
    course_map: str  # the README's '## ...' heading over the course-map tables
    words: Mapping[str, str]

    @property
    def folder(self) -> str:
        """``lessons`` or ``lessons/zh``: the lessons' folder in the repository and on the site."""
        return f"lessons/{self.subfolder}" if self.subfolder else "lessons"

    def lesson(self, name: str) -> str:
        """A lesson file name as a path under lessons/ ("zh/05_x.ipynb")."""
        return f"{self.subfolder}/{name}" if self.subfolder else name


ENGLISH = Edition("en", "", "README.md", "index", "Course map", {
    "binder": "Launch on Binder",
    "colab": "Open in Colab",
    "download": "Download the notebook",
    "interact": "Launch to interact.",
    "widget_picture": "A picture of this explorer as the lesson left it: the controls do not move here.",
    "widget_gone": "An interactive explorer was here: it needs a running kernel.",
    "widget_plain": "(an interactive widget: launch the lesson to use it)",
    "canvas": "a drawing pad: it needs a running kernel",
    "server": "This output needs a server running beside the notebook.",
    "server_plain": "(needs a running notebook: launch the lesson)",
    "unexecuted": ":::{note}\nThis page was built without running the lesson, so it shows no "
                  "outputs. Launch it to see them.\n:::",
    "one_group": "The lessons",
    "first_group": "Following the article",
    "later_group": "After the article",
    "more_group": "More lessons",
    "instructors": "For instructors",
    "launch_column": "launch",
    "launch_sentence": "Run the lessons with nothing to install on [Binder]({binder}) or "
                       "[Colab]({colab}), or on your own machine from [the repository]({github}).",
    "no_notes": "# Instructor notes\n\nNone yet.\n",
    # how the other edition's home page links here
    "switch": "**English:** [the course in English]({page})",
    "toctree_entry": "English",
})

CHINESE = Edition("zh", "zh", "README.zh-CN.md", "zh", "课程地图", {
    "binder": "在 Binder 上运行",
    "colab": "在 Colab 中打开",
    "download": "下载 notebook",
    "interact": "启动本课即可交互。",
    "widget_picture": "这是探索器在本课运行结束时的样子：这里的控件不能拖动。",
    "widget_gone": "这里原本是一个交互探索器：它需要运行中的内核。",
    "widget_plain": "（交互控件：启动本课即可使用）",
    "canvas": "手写板：需要运行中的内核",
    "server": "这个输出需要一个在 notebook 旁边运行的服务器。",
    "server_plain": "（需要运行中的 notebook：请启动本课）",
    "unexecuted": ":::{note}\n生成本页时没有运行这一课，所以页面上没有输出。启动本课即可看到。\n:::",
    "one_group": "课程",
    "first_group": "跟着文章学",
    "later_group": "文章之后",
    "more_group": "更多课程",
    "instructors": "给教师",
    "launch_column": "打开",
    "launch_sentence": "什么都不用装，就能在 [Binder]({binder}) 或 [Colab]({colab}) 上运行这些课程；"
                       "也可以从[代码仓库]({github})取得课程，在自己的电脑上运行。",
    "no_notes": "# 给教师的说明\n\n暂无。\n",
    "switch": "**中文版：** [中文课程]({page})",
    "toctree_entry": "中文版",
})

EDITIONS = (ENGLISH, CHINESE)


def edition_of(lesson: str) -> Edition:
    """The edition a lesson path under lessons/ belongs to: "zh/05_x.ipynb" is Chinese.

    Example:
        >>> edition_of("zh/05_x.ipynb").language, edition_of("05_x.ipynb").language
        ('zh', 'en')
    """
    folder = lesson.rpartition("/")[0]
    return next((edition for edition in EDITIONS if edition.subfolder == folder), ENGLISH)


# --- a translated page ------------------------------------------------------------


def source_text(value: Any) -> str:
    """A notebook field that may be a list of lines, as one string."""
    return "".join(value) if isinstance(value, list) else str(value or "")


def translated_notebook(executed: dict, translation: dict) -> tuple[dict | None, str]:
    """The executed notebook with each cell's text taken from its translation.

    The outputs, the saved widget state and the cells' metadata stay the
    executed notebook's; the sources (and a Markdown cell's attachments) are
    the translation's. The two must match cell for cell; when they do not,
    return ``(None, why)``.

    Example:
        >>> ran = {"metadata": {}, "cells": [
        ...     {"cell_type": "markdown", "metadata": {}, "source": "# Hello"},
        ...     {"cell_type": "code", "metadata": {}, "source": "1 + 1  # two",
        ...      "outputs": [{"output_type": "execute_result", "data": {"text/plain": "2"}}]}]}
        >>> zh = {"cells": [{"cell_type": "markdown", "source": "# 你好"},
        ...                 {"cell_type": "code", "source": "1 + 1  # 二", "outputs": []}]}
        >>> page, why = translated_notebook(ran, zh)
        >>> page["cells"][1]["source"], page["cells"][1]["outputs"][0]["data"]
        ('1 + 1  # 二', {'text/plain': '2'})
        >>> translated_notebook(ran, {"cells": zh["cells"][:1]})
        (None, 'it has 1 cells, the executed lesson 2')
    """
    ran, words = executed.get("cells", []), translation.get("cells", [])
    if len(ran) != len(words):
        return None, f"it has {len(words)} cells, the executed lesson {len(ran)}"
    for index, (cell, other) in enumerate(zip(ran, words)):
        if cell.get("cell_type") != other.get("cell_type"):
            return None, (f"its cell {index} is {other.get('cell_type')}, the executed lesson's "
                          f"is {cell.get('cell_type')}")
    page = copy.deepcopy(executed)
    for cell, other in zip(page["cells"], words):
        cell["source"] = source_text(other.get("source"))
        if "attachments" in other:
            cell["attachments"] = copy.deepcopy(other["attachments"])
    return page, ""


# --- widgets and live outputs as static HTML ---------------------------------------


def widget_models(notebook: dict) -> dict[str, dict]:
    """model_id -> {"name": ..., "state": ...}, with binary buffers put back in the state."""
    saved = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {})
    models = {}
    for model_id, model in saved.get("state", {}).items():
        state = dict(model.get("state", {}))
        for buffer in model.get("buffers", []):
            path = buffer.get("path", [])
            if len(path) == 1 and buffer.get("encoding") == "base64":
                state[path[0]] = {"base64": buffer.get("data", "")}
        models[model_id] = {"name": model.get("model_name", ""), "state": state}
    return models


def _image_html(state: dict) -> str:
    value = state.get("value")
    data = value.get("base64", "") if isinstance(value, dict) else ""
    if not data:
        return ""
    kind = state.get("format", "png")
    classes = " ".join(state.get("_dom_classes", []))
    return (f'<img class="tfc-static-figure {html.escape(classes)}" alt="the explorer\'s picture" '
            f'src="data:image/{html.escape(kind)};base64,{data}"/>')


def _control_html(name: str, state: dict) -> str:
    label = html.escape(str(state.get("description", "")))
    if name in ("ButtonModel",):
        return f'<span class="tfc-static-control tfc-static-button">{label}</span>' if label else ""
    if "options" in state or "_options_labels" in state:
        labels = state.get("_options_labels") or state.get("options") or []
        index = state.get("index")
        if isinstance(index, int) and 0 <= index < len(labels):
            value = labels[index]
        elif isinstance(index, list):
            value = ", ".join(str(labels[i]) for i in index if 0 <= i < len(labels))
        else:
            value = ""
    else:
        value = state.get("value", "")
        if isinstance(value, list):
            value = " to ".join(map(str, value))
        elif isinstance(value, bool):
            value = "on" if value else "off"
    text = f"{label} {html.escape(str(value))}".strip() if label else html.escape(str(value))
    return f'<span class="tfc-static-control">{text}</span>' if text else ""


def _widget_html(model_id: str, models: dict[str, dict], words: Mapping[str, str],
                 depth: int = 0) -> str:
    """A static HTML picture of a widget (and its children) as the saved state shows it."""
    model = models.get(model_id)
    if model is None or depth > 20:
        return ""
    name, state = model["name"], model["state"]
    if name in ("ImageModel",):
        return _image_html(state)
    if name in ("HTMLModel", "HTMLMathModel"):
        classes = html.escape(" ".join(state.get("_dom_classes", [])))
        return f'<div class="tfc-static-html {classes}">{state.get("value", "")}</div>'
    if name == "LabelModel":
        classes = html.escape(" ".join(state.get("_dom_classes", [])))
        return f'<div class="tfc-static-label {classes}">{html.escape(str(state.get("value", "")))}</div>'
    if "children" in state:  # HBox, VBox, Box, GridBox, Accordion, Tab
        parts = [_widget_html(ref.replace("IPY_MODEL_", ""), models, words, depth + 1)
                 for ref in state.get("children", []) if isinstance(ref, str)]
        direction = "row" if name == "HBoxModel" else "column"
        classes = html.escape(" ".join(state.get("_dom_classes", [])))
        inner = "".join(part for part in parts if part)
        return f'<div class="tfc-static-box tfc-static-{direction} {classes}">{inner}</div>' if inner else ""
    if name == "CanvasModel" or name.startswith("Canvas") or "canvas" in name.lower():
        return f'<div class="tfc-static-canvas">{html.escape(words["canvas"])}</div>'
    if name in ("OutputModel",):
        return ""
    return _control_html(name, state)


def static_widget(data: dict, models: dict[str, dict], links: str,
                  words: Mapping[str, str] = ENGLISH.words) -> dict:
    """The output bundle that stands in for a widget view on a page."""
    model_id = data.get(WIDGET_VIEW, {}).get("model_id", "")
    picture = _widget_html(model_id, models, words)
    what = words["widget_picture"] if picture else words["widget_gone"]
    note = (f'<p class="tfc-launch-note"><strong>{words["interact"]}</strong> {what} '
            f"{links}</p>")
    return {"text/html": f'<div class="tfc-static-widget">{picture}{note}</div>',
            "text/plain": words["widget_plain"]}


def server_note(links: str, words: Mapping[str, str] = ENGLISH.words) -> dict:
    """The output bundle that stands in for an output that needs a live server."""
    return {
        "text/html": ('<div class="tfc-static-widget"><p class="tfc-launch-note">'
                      f'<strong>{words["interact"]}</strong> {words["server"]} {links}</p></div>'),
        "text/plain": words["server_plain"],
    }


def needs_server(output: dict) -> bool:
    """Whether an output only works with a live server (JavaScript, a frame) behind it."""
    data = output.get("data", {})
    if "application/javascript" in data:
        return True
    return bool(NEEDS_SERVER.search(source_text(data.get("text/html", ""))))
