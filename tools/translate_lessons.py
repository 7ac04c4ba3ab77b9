"""The Chinese lessons (lessons/zh/), built from the English ones and one catalog per lesson.

    python tools/translate_lessons.py update   # bring lessons/zh/po/*.po up to the English text
    python tools/translate_lessons.py build    # write lessons/zh/*.ipynb and README.md
    python tools/translate_lessons.py build 05 # only lesson 05 (update takes names too)
    python tools/translate_lessons.py check    # exit 1 if a catalog or a Chinese file is stale

The English lessons are the source. Each catalog (a gettext PO file, read and
written with polib) is keyed by English text: one entry per Markdown block (a
paragraph, a list, a table, a heading) and per code comment. Code is never
translated: a Chinese lesson's code cells are the English cells with their
comments in Chinese, one ``tfc.set_language("zh")`` line in Setup (so the
exercises and explorers answer in Chinese), and the same outputs. Links that
open a lesson on Binder or Colab point at the Chinese notebook.

When an English block changes, ``update`` gives its entry the new msgid with
the old translation kept as a *fuzzy* suggestion (``#| msgid`` shows the old
English), as gettext's msgmerge does; ``build`` refuses a catalog with a
missing or fuzzy entry and names each one. ``tests/test_translations.py``
fails on any of this, so a translation cannot drift silently.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import io
import json
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat
import polib

sys.path.insert(0, str(Path(__file__).resolve().parent))
import package_catalog  # noqa: E402 (the PO header both catalogs share)

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = ROOT / "lessons"
CHINESE = ENGLISH / "zh"
CATALOGS = CHINESE / "po"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
COURSE_MAP = "README.md"  # lessons/README.md, the course map and instructor notes

# The one line of code a Chinese lesson adds, right after ``import tfcourse as tfc``.
SET_LANGUAGE = 'tfc.set_language("zh")  # 练习反馈和交互控件用中文'
IMPORT_TFCOURSE = "import tfcourse as tfc"

FENCE = re.compile(r"^[ \t]*```.*?^[ \t]*```[ \t]*$", re.S | re.M)
BLANK_LINES = re.compile(r"(\n[ \t]*\n(?:[ \t]*\n)*)")
# What is not prose in a Markdown block: tags, link targets, inline code.
NOT_PROSE = re.compile(r"<[^>]+>|\]\([^)]*\)|`[^`]*`|https?://\S+")
WORDS = re.compile(r"[A-Za-z]{2,}")
# Comments that are instructions to tools, not to the reader.
TOOL_COMMENT = re.compile(r"#\s*(noqa|type:|pragma|fmt:|doctest|pylint|!)")
# Links that open a lesson (Binder's labpath, Colab's blob path) follow the language.
LESSON_LINK = re.compile(r"(labpath=lessons/|/blob/main/lessons/)(?=\d\d_)")


class TranslationMissing(Exception):
    """A catalog has no usable translation for some English text."""


@dataclass(frozen=True)
class Unit:
    """One piece of English to translate: its text and where it is (for the catalog)."""

    text: str
    where: str


# --- Markdown ---------------------------------------------------------------


def _is_prose(block: str) -> bool:
    return bool(WORDS.search(NOT_PROSE.sub(" ", block)))


def _markdown_pieces(text: str) -> list[tuple[str, str]]:
    """Split Markdown into ("prose"|"code"|"keep", text) pieces that concatenate back to it."""
    pieces: list[tuple[str, str]] = []
    position = 0
    for fence in FENCE.finditer(text):
        pieces.extend(_prose_pieces(text[position:fence.start()]))
        pieces.append(("code", fence.group(0)))
        position = fence.end()
    pieces.extend(_prose_pieces(text[position:]))
    return pieces


def _prose_pieces(text: str) -> list[tuple[str, str]]:
    pieces = []
    for index, part in enumerate(BLANK_LINES.split(text)):
        if index % 2 or not part.strip():
            pieces.append(("keep", part))
            continue
        # Leading/trailing newlines of a part stay outside the translated text.
        body = part.strip("\n")
        start = part.index(body)
        pieces.append(("keep", part[:start]))
        pieces.append(("prose" if _is_prose(body) else "keep", body))
        pieces.append(("keep", part[start + len(body):]))
    return [piece for piece in pieces if piece[1]]


def _fenced_code(fence: str) -> tuple[str, str, str]:
    """A fence's opening line, its code and its closing line."""
    first, _, rest = fence.partition("\n")
    body, _, last = rest.rpartition("\n")
    return first + "\n", body + "\n" if body else "", last


# --- Code comments ----------------------------------------------------------


@dataclass(frozen=True)
class _Comment:
    first_line: int  # 0-based
    last_line: int
    column: int
    text: str  # without "#", lines joined by "\n"
    trailing: bool


def _comment_tokens(code: str) -> list[tuple[int, int, str, bool]]:
    """(line, column, text, trailing) of every comment; lines without Python (magics) by line."""
    lines = code.split("\n")
    try:
        found = []
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.COMMENT:
                line, column = token.start[0] - 1, token.start[1]
                trailing = bool(lines[line][:column].strip())
                found.append((line, column, token.string, trailing))
        return found
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [(number, len(line) - len(line.lstrip()), line.strip(), False)
                for number, line in enumerate(lines) if line.lstrip().startswith("#")]


def _comments(code: str) -> list[_Comment]:
    """Comments to translate: runs of whole-line comments (one unit) and trailing ones."""
    comments: list[_Comment] = []
    for line, column, raw, trailing in _comment_tokens(code):
        if TOOL_COMMENT.match(raw) or not WORDS.search(raw):
            continue
        text = re.sub(r"^#+ ?", "", raw)
        previous = comments[-1] if comments else None
        if (not trailing and previous and not previous.trailing
                and previous.last_line == line - 1 and previous.column == column):
            comments[-1] = _Comment(previous.first_line, line, column,
                                    previous.text + "\n" + text, False)
        else:
            comments.append(_Comment(line, line, column, text, trailing))
    return comments


def _translate_code(code: str, translate) -> str:
    lines = code.split("\n")
    for comment in reversed(_comments(code)):
        chinese = translate(comment.text)
        if comment.trailing:
            if "\n" in chinese:
                raise TranslationMissing(f"a trailing comment's translation must be one line: {chinese!r}")
            line = lines[comment.first_line]
            lines[comment.first_line] = line[:comment.column] + "# " + chinese
        else:
            indent = lines[comment.first_line][:comment.column]
            lines[comment.first_line:comment.last_line + 1] = [
                indent + "# " + part for part in chinese.split("\n")]
    return "\n".join(lines)


# --- Units and translation of a whole file ----------------------------------


def _markdown_units(text: str, where: str) -> list[Unit]:
    units = []
    for kind, piece in _markdown_pieces(text):
        if kind == "prose":
            units.append(Unit(piece, where))
        elif kind == "code":
            units.extend(Unit(c.text, where) for c in _comments(_fenced_code(piece)[1]))
    return units


def _translate_markdown(text: str, translate) -> str:
    out = []
    for kind, piece in _markdown_pieces(text):
        if kind == "prose":
            piece = translate(piece)
        elif kind == "code":
            first, body, last = _fenced_code(piece)
            piece = first + _translate_code(body, translate) + last
        out.append(piece)
    return LESSON_LINK.sub(r"\1zh/", "".join(out))


def _source(cell: dict) -> str:
    value = cell.get("source", "")
    return "".join(value) if isinstance(value, list) else value


def notebook_units(notebook: dict, name: str) -> list[Unit]:
    """Every piece of English in a lesson, in reading order."""
    units: list[Unit] = []
    for number, cell in enumerate(notebook["cells"]):
        where = f"{name}:cell {number}"
        if cell["cell_type"] == "markdown":
            units.extend(_markdown_units(_source(cell), where))
        elif cell["cell_type"] == "code":
            units.extend(Unit(c.text, where) for c in _comments(_source(cell)))
    return units


def with_set_language(code: str) -> str:
    """Setup's code with the Chinese lesson's one extra line after ``import tfcourse as tfc``."""
    lines = code.split("\n")
    index = lines.index(IMPORT_TFCOURSE)
    return "\n".join(lines[:index + 1] + [SET_LANGUAGE] + lines[index + 1:])


def translate_notebook(notebook: dict, translate) -> dict:
    """The Chinese lesson: Markdown and comments through ``translate``, code and outputs kept."""
    chinese = copy.deepcopy(notebook)
    language_set = False
    for cell in chinese["cells"]:
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            text = _translate_markdown(text, translate)
        elif cell["cell_type"] == "code":
            if not language_set and IMPORT_TFCOURSE in text.split("\n"):
                text = with_set_language(text)
                language_set = True
            text = _translate_code(text, translate)
        cell["source"] = text
    if not language_set:
        raise TranslationMissing(f"no code cell has the line {IMPORT_TFCOURSE!r}")
    return chinese


# --- Catalogs ---------------------------------------------------------------


def catalog_path(english: Path) -> Path:
    return CATALOGS / (english.stem + ".po")


def english_sources() -> list[Path]:
    return [*sorted(ENGLISH.glob(LESSON_GLOB)), ENGLISH / COURSE_MAP]


def units_of(english: Path) -> list[Unit]:
    if english.suffix == ".ipynb":
        return notebook_units(json.loads(english.read_text(encoding="utf-8")), english.name)
    return _markdown_units(english.read_text(encoding="utf-8"), english.name)


def updated_catalog(english: Path, old: polib.POFile | None) -> polib.POFile:
    """The catalog for ``english``: its units in order, with every translation ``old`` can give."""
    catalog = polib.POFile(wrapwidth=0)
    catalog.metadata = dict(package_catalog.METADATA)
    known = {e.msgid: e for e in old if not e.obsolete} if old else {}
    entries: dict[str, polib.POEntry] = {}
    for unit in units_of(english):
        if unit.text in entries:
            continue
        entry = polib.POEntry(msgid=unit.text, msgstr="", comment=unit.where)
        previous = known.get(unit.text)
        if previous is not None and previous.msgstr:
            entry.msgstr = previous.msgstr
            entry.flags = list(previous.flags)
            entry.previous_msgid = previous.previous_msgid
        elif known:
            # A changed English block: offer the closest old translation, marked fuzzy.
            close = difflib.get_close_matches(unit.text, list(known), n=1, cutoff=0.6)
            if close and known[close[0]].msgstr:
                entry.msgstr = known[close[0]].msgstr
                entry.flags = ["fuzzy"]
                entry.previous_msgid = close[0]
        entries[unit.text] = entry
    for entry in entries.values():
        catalog.append(entry)
    return catalog


def load_catalog(english: Path) -> polib.POFile | None:
    path = catalog_path(english)
    return polib.pofile(str(path), wrapwidth=0) if path.exists() else None


def translator(catalog: polib.POFile | None, english: Path):
    """A function English -> Chinese for one file that refuses missing or fuzzy entries."""
    table = {e.msgid: e for e in catalog} if catalog else {}

    def translate(text: str) -> str:
        entry = table.get(text)
        if entry is None or not entry.msgstr or "fuzzy" in entry.flags:
            state = "missing" if entry is None or not entry.msgstr else "fuzzy (the English changed)"
            raise TranslationMissing(
                f"{catalog_path(english).relative_to(ROOT)}: the translation of this text is "
                f"{state}:\n{text}\nRun `python tools/translate_lessons.py update`, translate "
                "the entry (and remove its fuzzy flag), then `build`.")
        return entry.msgstr

    return translate


def chinese_path(english: Path) -> Path:
    return CHINESE / english.name


def chinese_text(english: Path, catalog: polib.POFile | None = None) -> str:
    """The Chinese file's exact text, built from ``english`` and its catalog (read if not given)."""
    translate = translator(catalog if catalog is not None else load_catalog(english), english)
    if english.suffix == ".ipynb":
        notebook = nbformat.reads(english.read_text(encoding="utf-8"), as_version=4)
        return nbformat.writes(nbformat.from_dict(translate_notebook(notebook, translate))) + "\n"
    return _translate_markdown(english.read_text(encoding="utf-8"), translate)


def catalog_text(catalog: polib.POFile) -> str:
    return str(catalog) + "\n"


# --- Commands ---------------------------------------------------------------


def _chosen(names: list[str]) -> list[Path]:
    """The English sources named (by number, stem or file name), or all of them."""
    sources = english_sources()
    if not names:
        return sources

    def named(name: str, path: Path) -> bool:
        return name in (path.name, path.stem, path.name[:2])

    chosen = [path for path in sources if any(named(name, path) for name in names)]
    unknown = [name for name in names if not any(named(name, path) for path in sources)]
    if unknown:
        raise SystemExit(f"no English lesson or course map named {', '.join(unknown)}")
    return chosen


def update(names: list[str] | None = None) -> int:
    CATALOGS.mkdir(parents=True, exist_ok=True)
    for english in _chosen(names or []):
        catalog = updated_catalog(english, load_catalog(english))
        catalog_path(english).write_text(catalog_text(catalog), encoding="utf-8")
        todo = sum(1 for e in catalog if not e.msgstr or "fuzzy" in e.flags)
        print(f"{catalog_path(english).relative_to(ROOT)}: {len(catalog)} entries, {todo} to translate")
    return 0


def build(names: list[str] | None = None) -> int:
    problems = 0
    for english in _chosen(names or []):
        try:
            text = chinese_text(english)
        except TranslationMissing as err:
            print(err, file=sys.stderr)
            problems += 1
            continue
        chinese_path(english).write_text(text, encoding="utf-8")
        print("wrote", chinese_path(english).relative_to(ROOT))
    return 1 if problems else 0


def check() -> int:
    stale = []
    for english in english_sources():
        old = load_catalog(english)
        if old is None or catalog_text(updated_catalog(english, old)) != catalog_path(english).read_text(encoding="utf-8"):
            stale.append(f"{catalog_path(english).relative_to(ROOT)} is not up to date: run update")
            continue
        try:
            text = chinese_text(english, old)
        except TranslationMissing as err:
            stale.append(str(err).splitlines()[0])
            continue
        target = chinese_path(english)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(f"{target.relative_to(ROOT)} differs from its regeneration: run build")
    print("\n".join(stale) or "the Chinese lessons are up to date")
    return 1 if stale else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "build", "check"])
    parser.add_argument("lessons", nargs="*", metavar="LESSON",
                        help="update or build only these (e.g. 05 or README.md); default: all")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check()
    return {"update": update, "build": build}[args.command](args.lessons)


if __name__ == "__main__":
    sys.exit(main())
