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

The Chinese edition (``lessons/zh/``, home page ``README.zh-CN.md``) gets its
pages beside the English ones (``lessons/zh/NN_*.html``, ``zh.html``) without
running anything again: each is the executed English lesson, outputs and all,
with every cell's text taken from the Chinese notebook (they match cell for
cell; a Chinese notebook that does not, or is missing, gets no page and a note
in the log). The words of the pages are in tfcourse/_site_pages.py.

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
from typing import Callable, Iterable, Mapping, Sequence

from tfcourse._site_pages import (
    EDITIONS,
    ENGLISH,
    WIDGET_VIEW,
    Edition,
    edition_of,
    needs_server,
    server_note,
    source_text,
    static_widget,
    translated_notebook,
    widget_models,
)
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
    "site_pages",
    "translated_notebook",
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

# A Markdown line that is only launch badges: [![alt](image)](link), repeated.
BADGE_LINE = re.compile(r"^\s*(\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)\s*)+$")
MARKDOWN_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")


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


def _launch_links(lesson: str) -> str:
    return (f'<a href="{html.escape(binder_url(lesson))}">Binder</a> · '
            f'<a href="{html.escape(colab_url(lesson))}">Colab</a>')


def launch_row(lesson: str, *, depth: int | None = None) -> str:
    """The HTML launch row of a lesson page: Binder, Colab, download.

    ``lesson`` is the notebook's path under lessons/ ("05_x.ipynb", or
    "zh/05_x.ipynb" for the Chinese edition, whose row speaks Chinese);
    ``depth`` is how many folders the page is below the site's root (default:
    where that lesson's page goes).

    Example:
        >>> row = launch_row("zh/05_x.ipynb")
        >>> 'href="../../notebooks/zh/05_x.ipynb" download="05_x.ipynb"' in row, "下载" in row
        (True, True)
    """
    words = edition_of(lesson).words
    up = "../" * (depth if depth is not None else 1 + lesson.count("/"))
    name = lesson.rpartition("/")[2]
    return (
        '<div class="tfc-launch">\n'
        f'<a class="tfc-launch-binder" href="{html.escape(binder_url(lesson))}">'
        f'<img src="{up}_static/binder-badge.svg" alt="{words["binder"]}"/></a>\n'
        f'<a class="tfc-launch-colab" href="{html.escape(colab_url(lesson))}">'
        f'<img src="{up}_static/colab-badge.svg" alt="{words["colab"]}"/></a>\n'
        f'<a class="tfc-launch-download" href="{up}notebooks/{html.escape(lesson)}" '
        f'download="{html.escape(name)}">{words["download"]}</a>\n'
        "</div>\n"
    )


def site_pages(lesson_names: Iterable[str]) -> dict[str, str]:
    """Repository path -> its page's source on the site, for a site with these lessons.

    ``lesson_names`` are paths under lessons/ ("05_x.ipynb", "zh/05_x.ipynb").
    Each edition's README is its home page, and ``lessons/.../README.md`` its
    instructor notes; an edition without lessons has no pages.

    Example:
        >>> pages = site_pages(["05_x.ipynb", "zh/05_x.ipynb"])
        >>> pages["lessons/zh/05_x.ipynb"], pages["lessons/zh/README.md"], pages["README.zh-CN.md"]
        ('lessons/zh/05_x.ipynb', 'lessons/zh/instructor-notes.md', 'zh.md')
    """
    pages = {f"lessons/{name}": f"lessons/{name}" for name in lesson_names}
    for edition in EDITIONS:
        if edition is ENGLISH or any(edition_of(name) is edition for name in lesson_names):
            pages[f"{edition.folder}/README.md"] = f"{edition.folder}/instructor-notes.md"
            pages[edition.readme] = f"{edition.home}.md"
    return pages


def _rewrite_links(markdown: str, *, source_folder: str, page_folder: str,
                   pages: Mapping[str, str]) -> str:
    """Point relative links at pages of the site, or at the repository on GitHub.

    ``source_folder`` is where the Markdown came from ("" for the root,
    "lessons", "lessons/zh"); ``page_folder`` where its page goes in the site;
    ``pages`` what the site has (:func:`site_pages`).
    """

    def fix(match: re.Match) -> str:
        start, target, end = match.groups()
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target, re.I):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(source_folder, path)).replace(os.sep, "/")
        if resolved in pages:
            new = os.path.relpath(pages[resolved], page_folder or ".")
        else:
            kind = "tree" if resolved.endswith("/") or "." not in Path(resolved).name else "blob"
            new = f"{GITHUB_URL}/{kind}/{BRANCH}/{resolved}"
        new = new.replace(os.sep, "/")
        return f"{start}{new}{'#' + anchor if anchor else ''}{end}"

    # Code spans and fences keep their text.
    pieces = re.split(r"(```.*?```|`[^`\n]*`)", markdown, flags=re.S)
    return "".join(piece if piece.startswith("`") else MARKDOWN_LINK.sub(fix, piece)
                   for piece in pieces)


def prepare_lesson(notebook: dict, lesson: str, *, lesson_names: Iterable[str] | None = None) -> dict:
    """An executed lesson made into a page's notebook (a new dict; the input is kept).

    Streams keep each redrawn line's last state; widget views become a static
    picture of their saved state plus a launch note; outputs that need a live
    server become the note; the opening cell's badges become the launch row;
    relative links point at the site or at GitHub. The saved widget state is
    dropped (the page loads no widget JavaScript). ``lesson`` and
    ``lesson_names`` (the site's other lessons) are paths under lessons/:
    "zh/05_x.ipynb" is a page of the Chinese edition, whose notes speak Chinese.
    """
    pages = site_pages({*(lesson_names or ()), lesson})
    words = edition_of(lesson).words
    folder = f"lessons/{lesson}".rpartition("/")[0]
    page = copy.deepcopy(notebook)
    models = widget_models(page)
    page.get("metadata", {}).pop("widgets", None)
    links = _launch_links(lesson)
    launch_done = False
    for index, cell in enumerate(page.get("cells", [])):
        if cell.get("cell_type") == "markdown":
            text = _rewrite_links(source_text(cell.get("source")), source_folder=folder,
                                  page_folder=folder, pages=pages)
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
                text = clean_stream_text(source_text(output.get("text")))
                if outputs and outputs[-1].get("output_type") == "stream" and \
                        outputs[-1].get("name") == output.get("name"):
                    outputs[-1]["text"] = clean_stream_text(outputs[-1]["text"] + text)
                    continue
                output["text"] = text
            elif kind in ("display_data", "execute_result"):
                data = output.get("data", {})
                if WIDGET_VIEW in data:
                    output["data"] = static_widget(data, models, links, words)
                    output.get("metadata", {}).pop(WIDGET_VIEW, None)
                elif needs_server(output):
                    output["data"] = server_note(links, words)
            outputs.append(output)
        cell["outputs"] = outputs
    if not launch_done:
        page.setdefault("cells", []).insert(0, {"cell_type": "markdown", "metadata": {},
                                                "source": launch_row(lesson)})
    return page


# --- the home pages and the instructor notes ---------------------------------------


def _section(markdown: str, heading: str) -> str:
    """The text of a '## heading' section, without its heading line."""
    match = re.search(rf"^## {re.escape(heading)}\s*$", markdown, re.M)
    if match is None:
        return ""
    rest = markdown[match.end():]
    end = re.search(r"^## ", rest, re.M)
    return rest[: end.start() if end else len(rest)].strip("\n")


def _lesson_links(edition: Edition) -> re.Pattern:
    """A course-map link to one of the edition's lessons; group 1 is its file name."""
    return re.compile(rf"\((?:{re.escape(edition.folder)}/)?(\d\d_\w+\.ipynb)\)")


def _with_launch_column(table_text: str, edition: Edition = ENGLISH) -> tuple[str, list[str]]:
    """README course-map tables with a launch column; also the lesson files in order."""
    out, order = [], []
    for line in table_text.split("\n"):
        row = re.match(r"^\|\s*(\d\d)\s*\|", line)
        if row:
            found = _lesson_links(edition).search(line)
            name = found.group(1) if found else ""
            if name:
                order.append(name)
                lesson = edition.lesson(name)
                line = (line.rstrip().rstrip("|").rstrip()
                        + f" | [Binder]({binder_url(lesson)}) · [Colab]({colab_url(lesson)}) |")
        elif re.match(r"^\|\s*#\s*\|", line):
            line = line.rstrip().rstrip("|").rstrip() + f" | {edition.words['launch_column']} |"
        elif re.match(r"^\|[-| :]+\|\s*$", line):
            line = line.rstrip() + "---|"
        out.append(line)
    return "\n".join(out), order


def _home_page(readme: str, lessons: Sequence[str], *, edition: Edition = ENGLISH,
               pages: Mapping[str, str] | None = None) -> str:
    """A home page: the edition's README title, opening and course map, with a launch column.

    ``lessons`` are the edition's lesson files that have pages; ``pages`` the
    whole site (:func:`site_pages`; default: these lessons alone). Every other
    edition's home page on the site gets a link and a toctree entry.
    """
    pages = pages if pages is not None else site_pages(edition.lesson(name) for name in lessons)
    words = edition.words
    title_match = re.search(r"^# (.+)$", readme, re.M)
    title = title_match.group(1).strip() if title_match else "tfcourse"
    start = title_match.end() if title_match else 0
    intro_end = re.search(r"^(\[!\[|## )", readme[start:], re.M)
    intro = readme[start: (start + intro_end.start()) if intro_end else start]
    course_map, _ = _with_launch_column(_section(readme, edition.course_map), edition)
    if not course_map.strip():
        raise ValueError(f"{edition.readme} has no '## {edition.course_map}' section to make "
                         "the home page from.")
    # One caption per README table: the article's lessons, then what comes after.
    grouped: list[list[str]] = []
    seen: set[str] = set()
    for block in re.split(r"\n\s*\n", course_map):
        found = [m.group(1) for m in _lesson_links(edition).finditer(block)]
        found = [name for name in dict.fromkeys(found) if name not in seen and name in lessons]
        if found and re.search(r"^\|\s*\d\d", block, re.M):
            seen.update(found)
            grouped.append(found)
    captions = ([words["one_group"]] if len(grouped) == 1 else
                [words["first_group"], *[words["later_group"]] * (len(grouped) - 1)])
    missing = [name for name in lessons if name not in seen]
    if missing:
        grouped.append(missing)
        captions.append(words["more_group"])
    body = _rewrite_links(f"{intro.strip()}\n\n## {edition.course_map}\n\n{course_map}\n",
                          source_folder="", page_folder="", pages=pages)
    first = edition.lesson(lessons[0])
    launch = words["launch_sentence"].format(binder=binder_url(first), colab=colab_url(first),
                                             github=GITHUB_URL)
    others = [other for other in EDITIONS
              if other is not edition and pages.get(other.readme) == f"{other.home}.md"]
    for other in others:
        if f"]({other.home}.md" not in body:
            launch += "\n\n" + other.words["switch"].format(page=f"{other.home}.md")
    toctrees = "".join(
        f"\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n"
        + "".join(f"{edition.folder}/{Path(name).stem}\n" for name in group) + "```\n"
        for caption, group in zip(captions, grouped)
    )
    toctrees += (f"\n```{{toctree}}\n:hidden:\n:caption: {words['instructors']}\n\n"
                 f"{edition.folder}/instructor-notes\n```\n")
    if edition is ENGLISH:  # the root: the other editions hang below it
        toctrees += "".join(f"\n```{{toctree}}\n:hidden:\n:caption: {other.words['toctree_entry']}"
                            f"\n\n{other.home}\n```\n" for other in others)
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
    #: pages of the other editions (lessons/zh/NN_*.html), made from the English runs
    translated_pages: list[Path] = field(default_factory=list)
    #: "lessons/zh/NN_x.ipynb: why" for each translated page not built
    skipped: list[str] = field(default_factory=list)

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
    return [source_text(cell.get("source")) for cell in notebook.get("cells", [])]


def _translation_files(root: Path, edition: Edition, say: Log) -> dict[str, Path]:
    """The edition's lessons by file name; none when it has no folder or no home page to hang on."""
    from tfcourse.cli.course import lesson_files

    folder, readme = root / edition.folder, root / edition.readme
    if not folder.is_dir():
        return {}
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    if not _section(text, edition.course_map).strip():
        say(f"Note: no pages for {edition.folder}/: their home page is made from "
            f"{edition.readme}'s '## {edition.course_map}' section, and it is missing.")
        return {}
    return {path.name: path for path in lesson_files(folder)}


def _translated(executed: dict, path: Path | None) -> tuple[dict | None, str]:
    """The page notebook of a translated lesson (see translated_notebook), or None and why not."""
    import nbformat

    if path is None:
        return None, "the translated notebook is missing (not written yet?)"
    try:
        translation = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as error:  # a translator may be writing it right now
        return None, f"it does not read as a notebook ({error})"
    return translated_notebook(executed, translation)


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
    translations = {edition: _translation_files(root, edition, say) for edition in EDITIONS
                    if edition is not ENGLISH}
    # path under lessons/ ("05_x.ipynb", "zh/05_x.ipynb") -> the notebook its page is made from
    page_notebooks: dict[str, dict] = {}
    unexecuted, stale, skipped = [], [], []
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
        elif _sources(notebook) != _sources(original):
            stale.append(path.name)
        if _errors(notebook) and path.name not in failed:
            failed.append(path.name)
        page_notebooks[path.name] = notebook
        for edition, files in translations.items():
            if not files:
                continue
            translated, why = _translated(notebook, files.get(path.name))
            if translated is None:
                skipped.append(f"{edition.folder}/{path.name}: {why}")
                continue
            page_notebooks[edition.lesson(path.name)] = translated
            (source / "_extra" / "notebooks" / edition.subfolder).mkdir(exist_ok=True)
            shutil.copy2(files[path.name], source / "_extra" / "notebooks" / edition.lesson(path.name))
    if stale:
        say(f"Note: the executed copies of {', '.join(stale)} are older than the lessons "
            "(their cells differ); run them again for pages that match.")
    for line in skipped:
        say(f"Note: no page for {line}.")
    for name, notebook in page_notebooks.items():
        if Path(name).name in unexecuted:
            notebook.cells.insert(1, nbformat.v4.new_markdown_cell(edition_of(name).words["unexecuted"]))
        page = prepare_lesson(notebook, name, lesson_names=page_notebooks)
        (source / "lessons" / name).parent.mkdir(exist_ok=True)
        nbformat.write(nbformat.from_dict(page), source / "lessons" / name)

    pages = site_pages(page_notebooks)
    readme = (root / "README.md").read_text(encoding="utf-8")
    for edition in EDITIONS:
        lessons_here = [Path(name).name for name in page_notebooks if edition_of(name) is edition]
        if not lessons_here:
            continue
        home = readme if edition is ENGLISH else (root / edition.readme).read_text(encoding="utf-8")
        (source / f"{edition.home}.md").write_text(
            _home_page(home, lessons_here, edition=edition, pages=pages), encoding="utf-8")
        notes_path = root / edition.folder / "README.md"
        notes = (notes_path.read_text(encoding="utf-8") if notes_path.is_file()
                 else edition.words["no_notes"])
        (source / edition.folder / "instructor-notes.md").write_text(
            _rewrite_links(notes, source_folder=edition.folder, page_folder=edition.folder,
                           pages=pages), encoding="utf-8")
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
    english = [output / "lessons" / f"{path.stem}.html" for path in every]
    others = [name for name in page_notebooks if edition_of(name) is not ENGLISH]
    translated = [output / "lessons" / Path(name).with_suffix(".html") for name in others]
    if others:
        folders = ", ".join(sorted({f"{edition_of(name).folder}/" for name in others}))
        say(f"Translated pages: {len(others)} in {folders}")
    seconds = time.perf_counter() - started
    return SiteBuild(output, output / "index.html", english, unexecuted, failed, warnings, seconds,
                     translated_pages=translated, skipped=skipped)
