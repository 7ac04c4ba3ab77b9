"""Keep the Chinese catalog of the package's messages in step with the English source.

The text tfcourse's helpers show a student (exercise questions, hints and
feedback; the explorers' labels) is English in the source. This tool reads it
out of the source, strings and f-strings alike, and writes the catalog
``tfcourse/locale/zh/tfcourse.po`` that :mod:`tfcourse._language` translates
from::

    python tools/package_catalog.py           # update the catalog
    python tools/package_catalog.py --check   # exit 1 if it is stale or incomplete

Updating keeps every translation whose English is unchanged, adds new English
with an empty translation (fill it in), and drops entries whose English is
gone. An f-string becomes a template with a named field per value, e.g.
``f"{value:,} counts {EPOCHS} epochs"`` -> ``{value} counts {EPOCHS} epochs``;
the translation must keep the same fields (tests/test_language.py checks it).

What is read: in the explorers (tfcourse/widgets), the text given to
``translate`` or ``translate_template``, often by its key in the module's TEXT
table; in the exercises, every string and f-string, except
docstrings, dictionary keys and set members, comparisons, regular expressions,
``raise`` and ``assert`` (errors stay English), ``__all__``, markup and dicts
written out as code; and only text with words in it (two words in a row, a mark
and a word such as "✔ Correct", or a word chosen by an ``if ... else``).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
CATALOG = Path("tfcourse/locale/zh/tfcourse.po")
# the modules whose text a student reads, relative to the repository root: every
# string of the exercises; of the explorers, only the words they pass to
# translate or translate_template (their figures keep English labels)
SOURCES = ("tfcourse/exercises/*.py",)
TRANSLATED_ONLY = ("tfcourse/widgets/*.py",)

HEADER = """\
Simplified Chinese for the text tfcourse's helpers show a student.
Written by tools/package_catalog.py from the English source: run it after
changing that text, then translate every empty msgstr. Keep each {field}
and the code, numbers and quotes as they are."""
METADATA = {
    "Project-Id-Version": "tfcourse",
    "Language": "zh_CN",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
}

# two words in a row ("is not", "a loss", "{what} is"): text, not code or a single name
_WORDS = re.compile(r"[A-Za-z]+[,;:]? [A-Za-z]{2,}")
# a mark and a word: "✔ Correct"
_MARKED = re.compile(r"[^\w\s]+ [A-Za-z]{2,}")


@dataclass
class Message:
    msgid: str  # the English, a brace template ("{{" for a literal brace)
    paths: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _field_name(node: ast.expr) -> str:
    """A readable name for the value an f-string puts in a message."""
    if isinstance(node, ast.Name):
        return node.id.lstrip("_") or "value"
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("__"):  # type(answer).__name__ -> "type"
            return _field_name(node.value)
        return node.attr.lstrip("_") or "value"
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "join":
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Call) and first.args:  # ", ".join(map(repr, missing))
                first = first.args[-1]
            return _field_name(first) if isinstance(first, (ast.Name, ast.Attribute)) else "items"
        if isinstance(func, (ast.Name, ast.Attribute)):
            return _field_name(func)
    if isinstance(node, ast.Subscript):
        return _field_name(node.value)
    if isinstance(node, ast.BinOp):
        return _field_name(node.left)
    if isinstance(node, ast.BoolOp):
        return _field_name(node.values[0])
    if isinstance(node, ast.IfExp):
        return _field_name(node.body)
    return "value"


class _Template:
    """A message being put together: fixed text, and a named field per value."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.values: list[ast.expr] = []
        self._names: dict[str, str] = {}  # source of a value -> its field name

    def text(self, text: str) -> None:
        self.parts.append(_escape(text))

    def value(self, node: ast.expr) -> None:
        source = ast.unparse(node)
        if source not in self._names:
            name, taken = _field_name(node), set(self._names.values())
            unique, n = name, 2
            while unique in taken:
                unique, n = f"{name}_{n}", n + 1
            self._names[source] = unique
        self.parts.append("{" + self._names[source] + "}")
        self.values.append(node)

    @property
    def msgid(self) -> str:
        return "".join(self.parts)


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str))


def _string_sum(node: ast.AST) -> bool:
    """``"..." + x + f"..."``: a message put together with +."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return False
    return any(_is_text(part) or _string_sum(part) for part in (node.left, node.right))


class _Collector(ast.NodeVisitor):
    def __init__(self, path: str, *, translated_only: bool = False) -> None:
        self.path = path
        self.found: list[tuple[str, str]] = []  # (msgid, comment)
        self._comment = ""
        self._translated_only = translated_only
        self._text: dict[str, str] = {}  # the module's TEXT table: key -> English

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Module):  # TEXT = {"clear": "Clear", ...} at the top
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict) \
                        and any(isinstance(t, ast.Name) and t.id == "TEXT" for t in statement.targets):
                    self._text.update({
                        key.value: value.value
                        for key, value in zip(statement.value.keys, statement.value.values)
                        if isinstance(key, ast.Constant) and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)})
        super().visit(node)

    def _translated(self, node: ast.Call) -> None:
        """translate("...") or translate_template(TEXT["key"]): text named for translation."""
        argument = node.args[0] if node.args else None
        if isinstance(argument, ast.Subscript) and isinstance(argument.value, ast.Name) \
                and argument.value.id == "TEXT" and isinstance(argument.slice, ast.Constant):
            text = self._text.get(argument.slice.value)
            if text is None:
                raise ValueError(f"{self.path}: no TEXT[{argument.slice.value!r}] to translate")
        elif isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            text = argument.value
        else:
            return  # a message made elsewhere: read where it is made
        template = node.func.id == "translate_template"
        self.found.append((text if template else _escape(text), self._comment))

    # --- where the messages are ------------------------------------------------

    def _add(self, msgid: str, *, single_word: bool = False) -> None:
        if self._translated_only:
            return
        if msgid.startswith(("<", "{{", "[")):
            return  # markup, or a dict or list written out as code
        fixed = re.sub(r"\{[^{}]*\}", "X", msgid.replace("{{", "").replace("}}", ""))
        if _WORDS.search(fixed) or _MARKED.fullmatch(fixed) \
                or (single_word and re.fullmatch(r"\s*[A-Za-z]+\s*", fixed)):
            self.found.append((msgid, self._comment))

    def _template(self, node: ast.expr, template: _Template) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            template.text(node.value)
        elif isinstance(node, ast.JoinedStr):
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    template.value(part.value)
                else:
                    self._template(part, template)
        elif _string_sum(node):
            self._template(node.left, template)
            self._template(node.right, template)
        else:
            template.value(node)

    def _message(self, node: ast.expr) -> None:
        template = _Template()
        self._template(node, template)
        self._add(template.msgid)
        for value in template.values:  # messages inside the values: "or 'no layers'"
            self.visit(value)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self._message(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._message(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if _string_sum(node):
            self._message(node)
        else:
            self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        # "fewer" if ... else "more": a word chosen for a message
        for branch in (node.body, node.orelse):
            if isinstance(branch, ast.Constant) and isinstance(branch.value, str):
                self._add(_escape(branch.value), single_word=True)
            else:
                self.visit(branch)

    # --- what is not a message -------------------------------------------------

    def _body(self, body: list[ast.stmt]) -> None:
        if body and isinstance(body[0], ast.Expr) and _is_text(body[0].value):
            body = body[1:]  # the docstring
        for statement in body:
            self.visit(statement)

    def visit_Module(self, node: ast.Module) -> None:
        self._body(node.body)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._body(node.body)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for decorator in node.decorator_list:  # @exercise(...): the question and hints first
            self.visit(decorator)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        self._body(node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id == "re":
            return  # a regular expression
        if isinstance(func, ast.Name) and func.id in ("translate", "translate_template"):
            self._translated(node)
            for argument in node.args[1:]:
                self.visit(argument)
            return
        if isinstance(func, ast.Name) and func.id == "exercise" and node.args \
                and isinstance(node.args[0], ast.Constant):
            exercise_id = node.args[0].value
            for keyword in node.keywords:
                if keyword.arg == "question":
                    self._comment = f"exercise {exercise_id}, question"
                    self.visit(keyword.value)
                elif keyword.arg == "hints" and isinstance(keyword.value, ast.Tuple):
                    for step, hint in enumerate(keyword.value.elts, start=1):
                        self._comment = f"exercise {exercise_id}, hint {step}"
                        self.visit(hint)
                else:
                    self.visit(keyword.value)
            self._comment = ""
            return
        if isinstance(func, ast.Attribute) and func.attr == "join":
            for argument in node.args:  # not the separator
                self.visit(argument)
            return
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for value in node.values:  # keys are names to look up, not text to read
            self.visit(value)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.visit(node.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return
        self.generic_visit(node)

    def _skip(self, node: ast.AST) -> None:
        pass

    visit_Raise = visit_Assert = visit_Compare = visit_Set = _skip


def extract(root: Path = ROOT, sources: tuple[str, ...] = SOURCES,
            translated_only: tuple[str, ...] = TRANSLATED_ONLY) -> list[Message]:
    """The messages of the source under ``root``, in the order they first appear."""
    messages: dict[str, Message] = {}
    for pattern in (*sources, *translated_only):
        for path in sorted(root.glob(pattern)):
            relative = path.relative_to(root).as_posix()
            collector = _Collector(relative, translated_only=pattern in translated_only)
            collector.visit(ast.parse(path.read_text(encoding="utf-8"), relative))
            for msgid, comment in collector.found:
                message = messages.setdefault(msgid, Message(msgid))
                if relative not in message.paths:
                    message.paths.append(relative)
                if comment and comment not in message.comments:
                    message.comments.append(comment)
    return list(messages.values())


def _has_fields(msgid: str) -> bool:
    return bool(re.search(r"(?<!\{)\{[^{}]*\}", msgid.replace("{{", "").replace("}}", "")))


def updated_catalog(messages: list[Message], previous: polib.POFile | None) -> polib.POFile:
    """The catalog for ``messages``, keeping ``previous``'s translations of unchanged English."""
    known = {entry.msgid: entry for entry in previous or [] if not entry.obsolete}
    catalog = polib.POFile(wrapwidth=78)
    catalog.header = HEADER
    catalog.metadata = dict(METADATA)
    for message in messages:
        before = known.get(message.msgid)
        flags = ["python-brace-format"] if _has_fields(message.msgid) else []
        if before is not None and "fuzzy" in before.flags:
            flags.append("fuzzy")
        catalog.append(polib.POEntry(
            msgid=message.msgid,
            msgstr=before.msgstr if before is not None else "",
            comment="\n".join(message.comments),
            occurrences=[(path, "") for path in message.paths],
            flags=flags,
        ))
    return catalog


def catalog_text(root: Path = ROOT) -> str:
    """The catalog file as this tool would write it now for the source under ``root``."""
    path = root / CATALOG
    previous = polib.pofile(str(path)) if path.exists() else None
    return str(updated_catalog(extract(root), previous))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if the catalog is stale or has untranslated entries")
    args = parser.parse_args(argv)
    path = ROOT / CATALOG
    text = catalog_text()
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    untranslated = [entry.msgid for entry in polib.pofile(text).untranslated_entries()]
    if args.check:
        if text != current:
            print(f"{CATALOG} is stale: run python tools/package_catalog.py", file=sys.stderr)
        for msgid in untranslated:
            print(f"untranslated: {msgid!r}", file=sys.stderr)
        return 1 if text != current or untranslated else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    entries = len(polib.pofile(text))
    print(f"{CATALOG}: {entries} entries, {len(untranslated)} to translate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
