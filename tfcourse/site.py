"""The course as a static website: ``python -m tfcourse site``.

    python -m tfcourse site                    # from _build/rehearsal (python -m tfcourse run)
    python -m tfcourse site --execute          # run every lesson first, then build
    python -m tfcourse site --from-dir DIR     # executed copies made elsewhere
    python -m tfcourse site --out public/      # default: _build/site

The pages are built by Sphinx with MyST-NB and the book theme, offline (the
theme, the search index and MathJax come from installed packages). The home
page is the README's course map; each lesson is its executed notebook with
every output: figures, tables, the last state of Keras's progress bar. Widgets
that need a kernel become a static picture of their first state (read from the
widget state the executed notebook saved) with a "launch to interact" note;
outputs that need a live server (TensorBoard) become that note alone. Worked
solutions stay in their collapsed ``<details>`` blocks. Each lesson page has a
launch row: Binder, Colab, and the notebook to download.

Nothing here writes into ``lessons/``: the pages are made from copies, in a
source folder beside the output (``_build/site-source``).

This module also keeps the one copy of the Colab set-up snippet
(:data:`COLAB_SETUP`) that ``tools/add_colab_setup.py`` puts in every lesson.
Importing it imports neither Sphinx nor TensorFlow.
"""

from __future__ import annotations

import copy
import html
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from tfcourse._validation import expected

__all__ = [  # noqa: RUF022 (links, snippet, then the build)
    "REPOSITORY",
    "binder_url",
    "colab_url",
    "COLAB_SETUP",
    "COLAB_BADGE",
    "SiteBuild",
    "build_site",
    "clean_stream_text",
    "prepare_lesson",
]

Log = Callable[[str], None]

# --- where the course lives, and its launch links ----------------------------------

REPOSITORY = "tfcourse/tfcourse"
BRANCH = "main"
GITHUB_URL = f"https://github.com/{REPOSITORY}"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


def binder_url(lesson: str) -> str:
    """Binder's launch link for a lesson file name, opening it in JupyterLab.

    Example:
        >>> binder_url("05_training_mnist_with_keras.ipynb")
        'https://mybinder.org/v2/gh/tfcourse/tfcourse/HEAD?labpath=lessons/05_training_mnist_with_keras.ipynb'
    """
    return f"https://mybinder.org/v2/gh/{REPOSITORY}/HEAD?labpath=lessons/{lesson}"


def colab_url(lesson: str) -> str:
    """Colab's link for a lesson file name (Colab reads it from GitHub).

    Example:
        >>> colab_url("05_training_mnist_with_keras.ipynb")
        'https://colab.research.google.com/github/tfcourse/tfcourse/blob/main/lessons/05_training_mnist_with_keras.ipynb'
    """
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/lessons/{lesson}"


# --- Colab: the Setup cell's first lines -------------------------------------------

#: The first line of the snippet: how tools/add_colab_setup.py finds it again.
COLAB_SETUP_FIRST_LINE = (
    "# On Colab, or wherever the course's helper package is missing: install it, quietly."
)

#: Put at the top of every lesson's Setup cell (tools/add_colab_setup.py). Where
#: tfcourse imports (a course install, Binder) it does nothing; elsewhere it
#: pip-installs the package from the repository, or from $TFCOURSE_SOURCE (a
#: wheel, a folder, another branch), then goes on. On Colab it also turns on the
#: widget manager that third-party widgets (ipycanvas) need. No blank line
#: inside: the snippet ends at the first blank line after its first line.
COLAB_SETUP = f"""{COLAB_SETUP_FIRST_LINE}
try:
    import tfcourse
except ModuleNotFoundError:
    import importlib, os, subprocess, sys
    _source = os.environ.get("TFCOURSE_SOURCE", "tfcourse[colab] @ git+{GITHUB_URL}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", _source], check=True)
    importlib.invalidate_caches()
    if "google.colab" in sys.modules:  # ipycanvas's drawing pad is a custom widget
        from google.colab import output
        output.enable_custom_widget_manager()
"""


# --- notebooks into pages ------------------------------------------------------------

LAUNCH_NOTE = "Launch the lesson (Binder or Colab) to interact."
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# A Markdown line that is only launch badges: [![alt](image)](link), repeated.
BADGE_LINE = re.compile(r"^\s*(\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)\s*)+$")
MARKDOWN_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")
# Outputs that only work with a live server behind them (TensorBoard's frame).
NEEDS_SERVER = re.compile(r"<iframe|<script", re.I)


def clean_stream_text(text: str) -> str:
    r"""Text as a terminal or Jupyter shows it: each ``\r``-redrawn line in its last state.

    Keras redraws its progress bar with ``\r`` (and sometimes ``\b``); a page
    should show only the final bar of each epoch, not every redraw.

    Example:
        >>> clean_stream_text("1/5 [==>..]\r5/5 [=====] done\nnext\n")
        '5/5 [=====] done\nnext\n'
    """
    lines = []
    for line in text.split("\n"):
        if "\r" in line:
            parts = [part for part in line.split("\r") if part]
            line = parts[-1] if parts else ""
        if "\b" in line:
            kept: list[str] = []
            for char in line:
                if char == "\b":
                    if kept:
                        kept.pop()
                else:
                    kept.append(char)
            line = "".join(kept)
        lines.append(line)
    return "\n".join(lines)


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _widget_models(notebook: dict) -> dict[str, dict]:
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


def _widget_html(model_id: str, models: dict[str, dict], depth: int = 0) -> str:
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
        parts = [_widget_html(ref.replace("IPY_MODEL_", ""), models, depth + 1)
                 for ref in state.get("children", []) if isinstance(ref, str)]
        direction = "row" if name == "HBoxModel" else "column"
        classes = html.escape(" ".join(state.get("_dom_classes", [])))
        inner = "".join(part for part in parts if part)
        return f'<div class="tfc-static-box tfc-static-{direction} {classes}">{inner}</div>' if inner else ""
    if name == "CanvasModel" or name.startswith("Canvas") or "canvas" in name.lower():
        return ('<div class="tfc-static-canvas">a drawing pad: it needs a running kernel</div>')
    if name in ("OutputModel",):
        return ""
    return _control_html(name, state)


def _static_widget(data: dict, models: dict[str, dict], links: str) -> dict:
    """The output bundle that stands in for a widget view on a page."""
    model_id = data.get(WIDGET_VIEW, {}).get("model_id", "")
    picture = _widget_html(model_id, models)
    what = ("A picture of this explorer as the lesson left it: the controls do not move here."
            if picture else "An interactive explorer was here: it needs a running kernel.")
    note = (f'<p class="tfc-launch-note"><strong>Launch to interact.</strong> {what} '
            f"{links}</p>")
    return {"text/html": f'<div class="tfc-static-widget">{picture}{note}</div>',
            "text/plain": "(an interactive widget: launch the lesson to use it)"}


def _needs_server(output: dict) -> bool:
    data = output.get("data", {})
    if "application/javascript" in data:
        return True
    return bool(NEEDS_SERVER.search(_text(data.get("text/html", ""))))


def _launch_links(lesson: str) -> str:
    return (f'<a href="{html.escape(binder_url(lesson))}">Binder</a> · '
            f'<a href="{html.escape(colab_url(lesson))}">Colab</a>')


def launch_row(lesson: str, *, depth: int = 1) -> str:
    """The HTML launch row of a lesson page: Binder, Colab, download (depth: folders below the root)."""
    up = "../" * depth
    return (
        '<div class="tfc-launch">\n'
        f'<a class="tfc-launch-binder" href="{html.escape(binder_url(lesson))}">'
        f'<img src="{up}_static/binder-badge.svg" alt="Launch on Binder"/></a>\n'
        f'<a class="tfc-launch-colab" href="{html.escape(colab_url(lesson))}">'
        f'<img src="{up}_static/colab-badge.svg" alt="Open in Colab"/></a>\n'
        f'<a class="tfc-launch-download" href="{up}notebooks/{html.escape(lesson)}" '
        f'download="{html.escape(lesson)}">Download the notebook</a>\n'
        "</div>\n"
    )


def _rewrite_links(markdown: str, *, source_folder: str, lesson_names: set[str],
                   page_folder: str) -> str:
    """Point relative links at pages of the site, or at the repository on GitHub.

    ``source_folder`` is where the Markdown came from ("" for the root,
    "lessons"); ``page_folder`` where its page goes in the site.
    """

    def fix(match: re.Match) -> str:
        start, target, end = match.groups()
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target, re.I):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(source_folder, path)).replace(os.sep, "/")
        if resolved.startswith("lessons/") and Path(resolved).name in lesson_names:
            new = os.path.relpath(resolved, page_folder or ".")
        elif resolved == "lessons/README.md":
            new = os.path.relpath("lessons/instructor-notes.md", page_folder or ".")
        else:
            kind = "tree" if resolved.endswith("/") or "." not in Path(resolved).name else "blob"
            new = f"{GITHUB_URL}/{kind}/{BRANCH}/{resolved}"
        new = new.replace(os.sep, "/")
        return f"{start}{new}{'#' + anchor if anchor else ''}{end}"

    # Code spans and fences keep their text.
    pieces = re.split(r"(```.*?```|`[^`\n]*`)", markdown, flags=re.S)
    return "".join(piece if piece.startswith("`") else MARKDOWN_LINK.sub(fix, piece)
                   for piece in pieces)


def prepare_lesson(notebook: dict, lesson: str, *, lesson_names: set[str] | None = None) -> dict:
    """An executed lesson made into a page's notebook (a new dict; the input is kept).

    Streams keep each redrawn line's last state; widget views become a static
    picture of their saved state plus a launch note; outputs that need a live
    server become the note; the opening cell's badges become the launch row;
    relative links point at the site or at GitHub. The saved widget state is
    dropped (the page loads no widget JavaScript).
    """
    names = set(lesson_names or ()) | {lesson}
    page = copy.deepcopy(notebook)
    models = _widget_models(page)
    page.get("metadata", {}).pop("widgets", None)
    links = _launch_links(lesson)
    launch_done = False
    for index, cell in enumerate(page.get("cells", [])):
        if cell.get("cell_type") == "markdown":
            text = _rewrite_links(_text(cell.get("source")), source_folder="lessons",
                                  lesson_names=names, page_folder="lessons")
            if index == 0 and not launch_done:
                lines = text.split("\n")
                badge_at = next((i for i, line in enumerate(lines) if BADGE_LINE.match(line)), None)
                row = launch_row(lesson).rstrip("\n")
                if badge_at is not None:
                    lines[badge_at] = row
                else:  # just under the title
                    at = 1 if lines and lines[0].startswith("# ") else 0
                    lines[at:at] = ["", row, ""]
                text = "\n".join(lines)
                launch_done = True
            cell["source"] = text
            continue
        if cell.get("cell_type") != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                text = clean_stream_text(_text(output.get("text")))
                if outputs and outputs[-1].get("output_type") == "stream" and \
                        outputs[-1].get("name") == output.get("name"):
                    outputs[-1]["text"] = clean_stream_text(outputs[-1]["text"] + text)
                    continue
                output["text"] = text
            elif kind in ("display_data", "execute_result"):
                data = output.get("data", {})
                if WIDGET_VIEW in data:
                    output["data"] = _static_widget(data, models, links)
                    output.get("metadata", {}).pop(WIDGET_VIEW, None)
                elif _needs_server(output):
                    output["data"] = {
                        "text/html": ('<div class="tfc-static-widget"><p class="tfc-launch-note">'
                                      "<strong>Launch to interact.</strong> This output needs a "
                                      f"server running beside the notebook. {links}</p></div>"),
                        "text/plain": "(needs a running notebook: launch the lesson)",
                    }
            outputs.append(output)
        cell["outputs"] = outputs
    if not launch_done:
        page.setdefault("cells", []).insert(0, {"cell_type": "markdown", "metadata": {},
                                                "source": launch_row(lesson)})
    return page


# --- the home page and the instructor notes ----------------------------------------


def _section(markdown: str, heading: str) -> str:
    """The text of a '## heading' section, without its heading line."""
    match = re.search(rf"^## {re.escape(heading)}\s*$", markdown, re.M)
    if match is None:
        return ""
    rest = markdown[match.end():]
    end = re.search(r"^## ", rest, re.M)
    return rest[: end.start() if end else len(rest)].strip("\n")


def _with_launch_column(table_text: str) -> tuple[str, list[str]]:
    """README course-map tables with a launch column; also the lesson files in order."""
    out, order = [], []
    for line in table_text.split("\n"):
        row = re.match(r"^\|\s*(\d\d)\s*\|", line)
        if row:
            found = re.search(r"\((lessons/)?(\d\d_\w+\.ipynb)\)", line)
            lesson = found.group(2) if found else ""
            if lesson:
                order.append(lesson)
                line = (line.rstrip().rstrip("|").rstrip()
                        + f" | [Binder]({binder_url(lesson)}) · [Colab]({colab_url(lesson)}) |")
        elif re.match(r"^\|\s*#\s*\|", line):
            line = line.rstrip().rstrip("|").rstrip() + " | launch |"
        elif re.match(r"^\|[-| :]+\|\s*$", line):
            line = line.rstrip() + "---|"
        out.append(line)
    return "\n".join(out), order


def _home_page(readme: str, lessons: Sequence[str]) -> str:
    """index.md: the README's title, opening and course map, with a launch column."""
    title_match = re.search(r"^# (.+)$", readme, re.M)
    title = title_match.group(1).strip() if title_match else "tfcourse"
    start = title_match.end() if title_match else 0
    intro_end = re.search(r"^(\[!\[|## )", readme[start:], re.M)
    intro = readme[start: (start + intro_end.start()) if intro_end else start]
    course_map, _ = _with_launch_column(_section(readme, "Course map"))
    if not course_map.strip():
        raise ValueError("README.md has no '## Course map' section to make the home page from.")
    # One caption per README table: the article's lessons, then what comes after.
    grouped: list[list[str]] = []
    seen: set[str] = set()
    for block in re.split(r"\n\s*\n", course_map):
        found = [m.group(2) for m in re.finditer(r"\((lessons/)?(\d\d_\w+\.ipynb)\)", block)]
        found = [name for name in dict.fromkeys(found) if name not in seen]
        if found and re.search(r"^\|\s*\d\d", block, re.M):
            seen.update(found)
            grouped.append(found)
    captions = (["The lessons"] if len(grouped) == 1 else
                ["Following the article", *["After the article"] * (len(grouped) - 1)])
    missing = [name for name in lessons if name not in seen]
    if missing:
        grouped.append(missing)
        captions.append("More lessons")
    body = _rewrite_links(f"{intro.strip()}\n\n## Course map\n\n{course_map}\n",
                          source_folder="", lesson_names=set(lessons), page_folder="")
    launch = (f"Run the lessons with nothing to install on "
              f"[Binder]({binder_url(lessons[0])}) or [Colab]({colab_url(lessons[0])}), "
              f"or on your own machine from [the repository]({GITHUB_URL}).")
    toctrees = "".join(
        f"\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n"
        + "".join(f"lessons/{Path(name).stem}\n" for name in group) + "```\n"
        for caption, group in zip(captions, grouped)
    )
    toctrees += ("\n```{toctree}\n:hidden:\n:caption: For instructors\n\n"
                 "lessons/instructor-notes\n```\n")
    return f"# {title}\n\n{body}\n{launch}\n{toctrees}"


# --- Sphinx -----------------------------------------------------------------------

_CONF = '''\
# Written by tfcourse/site.py at every build: edit that file, not this one.
project = "tfcourse"
html_title = {title!r}
copyright = "the tfcourse authors"
extensions = ["myst_nb"]
exclude_patterns = ["_extra", "**.ipynb_checkpoints"]
html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["tfcourse-site.css"]
# a page without an icon makes the browser ask for /favicon.ico (a 404)
html_favicon = "_static/favicon.svg"
html_extra_path = ["_extra"]
html_show_sourcelink = False
html_copy_source = False  # the notebooks to download are in notebooks/
html_last_updated_fmt = None
# pydata-sphinx-theme logs a console error when no colour mode is set.
html_context = {{"default_mode": "light"}}
html_theme_options = {{
    "repository_url": {github!r},
    "repository_branch": {branch!r},
    "use_repository_button": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}}
# The pages are built from notebooks executed before: never run them again.
nb_execution_mode = "off"
# No widget JavaScript from a CDN: widgets are static pictures (tfcourse/site.py).
nb_ipywidgets_js = {{}}
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]
{mathjax}
'''


def _mathjax_lines(static: Path) -> str:
    """A local MathJax (jupyter-server-mathjax's copy), so the pages' maths renders offline.

    Without that package, maths stays as its TeX source: no page asks a CDN.
    """
    try:
        import jupyter_server_mathjax
    except ImportError:
        return ('# jupyter-server-mathjax is not installed: maths stays as TeX source\n'
                'myst_enable_extensions = ["colon_fence"]\n')
    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    # English is built in: the translations are not needed (a third of the files).
    shutil.copytree(source, static / "mathjax", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("localization"))
    return ('mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"\n'
            # that package keeps only the STIX-Web fonts
            'mathjax2_config = {"messageStyle": "none", "HTML-CSS": {"availableFonts": '
            '["STIX-Web"], "preferredFont": "STIX-Web", "webFont": "STIX-Web", '
            '"imageFont": None}}\n')


def _assets() -> Path:
    return Path(__file__).resolve().parent / "site_assets"


@dataclass(frozen=True)
class SiteBuild:
    """What ``site`` built: the home page, one page per lesson, and what was missing."""

    output: Path
    index: Path
    pages: list[Path]
    unexecuted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def _has_outputs(notebook: dict) -> bool:
    return any(cell.get("outputs") for cell in notebook.get("cells", [])
               if cell.get("cell_type") == "code")


def _errors(notebook: dict) -> list[int]:
    return [i for i, cell in enumerate(notebook.get("cells", []))
            if any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            and "raises-exception" not in cell.get("metadata", {}).get("tags", [])]


def _sources(notebook: dict) -> list[str]:
    return [_text(cell.get("source")) for cell in notebook.get("cells", [])]


def build_site(
    lessons: Sequence[int | str] | None = None,
    *,
    from_dir: str | os.PathLike[str] | None = None,
    execute: bool = False,
    output_dir: str | os.PathLike[str] | None = None,
    allow_unexecuted: bool = False,
    timeout: float | None = None,
    log: Log | None = print,
) -> SiteBuild:
    """Build the course website from executed lessons; return what was built.

    ``from_dir`` holds the executed copies (default ``_build/rehearsal``, what
    ``python -m tfcourse run`` writes). ``execute=True`` runs ``lessons``
    (default: all) there first, with :func:`tfcourse.cli.run_lessons`. A lesson
    with no executed copy stops the build, unless ``allow_unexecuted=True``:
    then its page shows the code without outputs, and a note says so.
    ``output_dir`` defaults to ``_build/site``; the Sphinx sources go beside
    it (``_build/site-source``). ``lessons/`` is only read.

    Example (not run here: it executes a lesson and runs Sphinx, a minute or so)::

        from tfcourse.site import build_site
        built = build_site([1], execute=True, allow_unexecuted=True, log=None)
        built.index.name   # 'index.html'
    """
    from tfcourse.cli import UsageError, run_lessons  # the rehearsal; imports no TensorFlow
    from tfcourse.cli.course import REHEARSAL_FOLDER, course_root, lesson_files

    if log is not None and not callable(log):
        raise TypeError(expected("a function taking a line of text, or None", "log", log))
    say: Log = log if log is not None else (lambda line: None)
    started = time.perf_counter()
    root = course_root()
    if root is None:
        raise UsageError("No lessons folder found: run from the course folder "
                         "(the one holding lessons/ and README.md).")
    lessons_dir = root / "lessons"
    every = lesson_files(lessons_dir)
    if not every:
        raise UsageError(f"{lessons_dir} holds no NN_name.ipynb lessons.")
    executed_dir = Path(from_dir) if from_dir is not None else root / REHEARSAL_FOLDER
    output = Path(output_dir) if output_dir is not None else root / "_build" / "site"
    output = output.expanduser().resolve()
    source = output.with_name(output.name + "-source")
    for folder in (output, source):
        if folder in (root.resolve(), lessons_dir.resolve()) or lessons_dir.resolve().is_relative_to(folder):
            raise UsageError(expected("an output folder outside the course's own folders",
                                      "output_dir", str(folder)))

    conf = source / "conf.py"
    if source.exists() and not (conf.is_file() and "tfcourse/site.py" in conf.read_text(
            encoding="utf-8", errors="replace")):
        raise UsageError(expected(f"no folder at {source} (the pages' sources go there)",
                                  "output_dir", str(output)))
    if output.is_dir() and any(output.iterdir()):
        if not ((output / "objects.inv").is_file() and (output / "searchindex.js").is_file()):
            raise UsageError(expected("an empty folder or a site built before", "output_dir",
                                      str(output), hint="It is emptied before each build."))

    failed: list[str] = []
    if execute:
        chosen = list(lessons) if lessons else None
        kwargs = {} if timeout is None else {"timeout": timeout}
        runs = run_lessons(chosen, output_dir=executed_dir, log=say, **kwargs)
        failed = [run.lesson.name for run in runs if not run.ok]
    elif lessons:
        raise UsageError("Naming lessons only makes sense with --execute: the site always "
                         "has every lesson.")

    import nbformat

    shutil.rmtree(source, ignore_errors=True)
    (source / "lessons").mkdir(parents=True)
    (source / "_extra" / "notebooks").mkdir(parents=True)
    static = source / "_static"
    shutil.copytree(_assets(), static)
    names = {path.name for path in every}
    unexecuted, stale = [], []
    for path in every:
        original = nbformat.read(path, as_version=4)
        shutil.copy2(path, source / "_extra" / "notebooks" / path.name)  # the download
        copy_path = executed_dir / path.name
        notebook = nbformat.read(copy_path, as_version=4) if copy_path.is_file() else None
        if notebook is None or not _has_outputs(notebook):
            if not allow_unexecuted:
                raise UsageError(
                    f"No executed copy of {path.name} in {executed_dir}: run "
                    f"'python -m tfcourse run' first, or build with --execute.")
            unexecuted.append(path.name)
            notebook = original
            notebook.cells.insert(1, nbformat.v4.new_markdown_cell(
                ":::{note}\nThis page was built without running the lesson, so it shows no "
                "outputs. Launch it to see them.\n:::"))
        elif _sources(notebook) != _sources(original):
            stale.append(path.name)
        if _errors(notebook) and path.name not in failed:
            failed.append(path.name)
        page = prepare_lesson(notebook, path.name, lesson_names=names)
        nbformat.write(nbformat.from_dict(page), source / "lessons" / path.name)
    if stale:
        say(f"Note: the executed copies of {', '.join(stale)} are older than the lessons "
            "(their cells differ); run them again for pages that match.")

    readme = (root / "README.md").read_text(encoding="utf-8")
    (source / "index.md").write_text(_home_page(readme, [p.name for p in every]), encoding="utf-8")
    notes_path = lessons_dir / "README.md"
    notes = (notes_path.read_text(encoding="utf-8") if notes_path.is_file()
             else "# Instructor notes\n\nNone yet.\n")
    (source / "lessons" / "instructor-notes.md").write_text(
        _rewrite_links(notes, source_folder="lessons", lesson_names=names,
                       page_folder="lessons"), encoding="utf-8")
    title = re.search(r"^# (.+)$", readme, re.M)
    (source / "conf.py").write_text(_CONF.format(
        title=title.group(1).strip() if title else "tfcourse", github=GITHUB_URL, branch=BRANCH,
        mathjax=_mathjax_lines(static)), encoding="utf-8")

    say(f"Building the site with Sphinx into {output}")
    shutil.rmtree(output, ignore_errors=True)  # a site built before: no stale pages stay
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "1",
               "-d", str(source / ".doctrees"), str(source), str(output)]
    done = subprocess.run(command, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONWARNINGS="ignore"))
    warnings = [line for line in done.stderr.splitlines() if line.strip()]
    for line in warnings:
        say(f"  {line}")
    if done.returncode != 0:
        raise RuntimeError(f"Sphinx failed (exit status {done.returncode}):\n" + done.stderr[-3000:])
    pages = [output / "lessons" / f"{path.stem}.html" for path in every]
    seconds = time.perf_counter() - started
    return SiteBuild(output, output / "index.html", pages, unexecuted, failed, warnings, seconds)
