"""The language the helpers speak to a student: English, or Simplified Chinese.

A Chinese lesson says so once, in its Setup: ``tfc.set_language("zh")``. From
then on the text a student reads (exercise feedback and hints, the explorers'
labels) goes through :func:`translate`; error messages stay English.

The translations live in one gettext catalog, ``locale/zh/tfcourse.po``, keyed
by the English text and written by ``tools/package_catalog.py``, which reads it
out of the source. Many messages are f-strings, so a catalog key is the
message's template, with a named field where the f-string has a value::

    msgid "{value} is not a whole number: {why}"
    msgstr "{value} 不是整数：{why}"

:func:`translate` gets the finished English message. It looks it up as it is;
failing that, it matches it against the templates (the ones with the most
fixed text first) and fills the Chinese template with what the fields held,
each translated in turn, because messages are built from messages (the ``why``
above is one). A message joined from parts ("…; …") or closed by a full stop
the template lacks is also read part by part; of the readings, the one that
leaves the least English wins. Text the catalog does not know comes back
unchanged, in English.

The catalog is read on the first translation into Chinese, so ``import
tfcourse`` stays light, and an English lesson never reads it.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path

from tfcourse._validation import check_choice

__all__ = ["LANGUAGES", "CATALOG_PATH", "language", "set_language", "translate",
           "translate_template", "template_fields"]

#: The languages the helpers speak: English (the default) and Simplified Chinese.
LANGUAGES = ("en", "zh")
# Other spellings of Simplified Chinese a student may write.
_ALIASES = {"zh-CN": "zh", "zh_CN": "zh", "zh-cn": "zh", "zh_cn": "zh", "zh-Hans": "zh"}

#: The Chinese catalog, English text -> Chinese (tools/package_catalog.py writes it).
CATALOG_PATH = Path(__file__).resolve().parent / "locale" / "zh" / "tfcourse.po"
# how many matching templates to weigh against each other for one message
_READINGS = 3
# a template with fewer letters than this outside its fields is loose
_LOOSE_BELOW = 6

_current = "en"


def set_language(code: str) -> None:
    """Make the helpers speak ``code``: "en" (English) or "zh" (Simplified Chinese).

    "zh-CN" and "zh_CN" are taken for "zh". The choice holds for this kernel,
    until the next call.

    Example:
        >>> import tfcourse as tfc
        >>> tfc.set_language("zh")
        >>> tfc.set_language("en")
    """
    global _current
    if isinstance(code, str):
        code = _ALIASES.get(code, code)
    _current = check_choice("language", code, LANGUAGES)


def language() -> str:
    """The language the helpers speak now: "en" or "zh"."""
    return _current


def translate(text: str) -> str:
    """``text``, a finished English message, in the current language.

    In English, or for text the catalog does not know, ``text`` itself.

    Example:
        >>> translate("well done.")
        'well done.'
    """
    if _current == "en" or not isinstance(text, str) or not text.strip():
        return text
    return _chinese().translate(text)


def translate_template(template: str) -> str:
    """The current language's version of a template that is a catalog key, to ``.format``.

    For text built in one place from a template, e.g.
    ``translate_template("Hint {step} of {total}: {hint}").format(...)``;
    the template itself in English or when the catalog lacks it.
    """
    if _current == "en":
        return template
    return _chinese().templates.get(template, template)


def template_fields(template: str) -> list[str]:
    """The field names of a brace template, in order ("{{" and "}}" are literal braces).

    Example:
        >>> template_fields("{value} is not a whole number: {why}")
        ['value', 'why']
    """
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


# --- the catalog -------------------------------------------------------------


def _literal_text(template: str) -> str:
    """A template without fields as the text it stands for ("{{" -> "{")."""
    return "".join(literal for literal, *_ in string.Formatter().parse(template))


def _fill(template: str, values: dict[str, str]) -> str:
    """A template with its fields replaced by ``values`` (no format specs, no attribute look-ups)."""
    return "".join(literal + (values[name] if name is not None else "")
                   for literal, name, _, _ in string.Formatter().parse(template))


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression that matches what ``template`` formats to, a group per field."""
    parts, seen = [], set()
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is None:
            continue
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
    return re.compile("".join(parts), re.DOTALL)


@dataclass
class _Catalog:
    exact: dict[str, str]  # a message without fields -> its translation
    templates: dict[str, str]  # every msgid, as written -> its msgstr
    # (a template's pattern, its translation, whether its fixed text is too short to
    # tell a message by: "{what} is {kind}" fits any sentence with "is" in it)
    patterns: list[tuple[re.Pattern[str], str, bool]]
    done: dict[str, str] = field(default_factory=dict)  # translations made so far

    @classmethod
    def read(cls, path: Path) -> "_Catalog":
        import polib  # only here: an English lesson never needs it

        exact, templates, patterns = {}, {}, []
        for entry in polib.pofile(str(path)).translated_entries():
            templates[entry.msgid] = entry.msgstr
            if not template_fields(entry.msgid):
                exact[_literal_text(entry.msgid)] = _literal_text(entry.msgstr)
            else:
                fixed = _english_left(_literal_text(entry.msgid))
                patterns.append((fixed, entry.msgid, _pattern(entry.msgid), entry.msgstr))
        # the template with the most fixed text first: it says the most about the message
        patterns.sort(key=lambda item: (-item[0], item[1]))
        return cls(exact, templates, [(pattern, msgstr, fixed < _LOOSE_BELOW)
                                      for fixed, _, pattern, msgstr in patterns])

    def translate(self, text: str, depth: int = 0) -> str:
        if text in self.exact:
            return self.exact[text]
        if text in self.done:
            return self.done[text]
        if depth > 6:  # fields within fields: real messages nest two or three deep
            return text
        readings = []
        for pattern, msgstr, loose in self.patterns:
            match = pattern.fullmatch(text)
            if match:
                found = match.groupdict()
                values = {name: self.translate(value, depth + 1) for name, value in found.items()}
                if loose and any(values[name] == found[name] and re.search("[A-Za-z]", found[name])
                                 for name in found):
                    continue  # a loose template fits only known messages (and numbers)
                readings.append(_fill(msgstr, values))
                if len(readings) == _READINGS:
                    break
        if "; " in text:  # problems joined into one message: each in its own words
            parts = self._joined(text.split("; "), depth)
            if parts is not None:
                readings.append("；".join([part.removesuffix("。") for part in parts[:-1]]
                                         + parts[-1:]))
        if text.endswith("."):  # a sentence closed after the fact: "; ".join(...) + "."
            inner = self.translate(text[:-1], depth + 1)
            if inner != text[:-1]:
                readings.append(inner if inner.endswith(("。", "？", "！")) else inner + "。")
        # Several readings: the one that leaves the least English (a loose template
        # such as "{what} is {kind}" can swallow a joined message whole).
        best = min(readings, key=_english_left) if readings else text
        self.done[text] = best
        return best


    def _joined(self, pieces: list[str], depth: int) -> list[str] | None:
        """The best way to read "; "-joined pieces as several messages, each translated.

        A message may hold "; " itself, so the pieces are grouped: of all the ways
        to cut them into runs, the one whose translations leave the least English.
        None when no cut translates anything.
        """
        # best[i]: (English left, translations) for the first i pieces
        best: list[tuple[int, list[str]]] = [(0, [])]
        for end in range(1, len(pieces) + 1):
            options = []
            for start in range(end):
                if start == 0 and end == len(pieces):
                    continue  # the whole message: read as one already
                piece = "; ".join(pieces[start:end])
                part = self.translate(piece, depth + 1)
                options.append((best[start][0] + _english_left(part), best[start][1] + [part]))
            best.append(min(options, key=lambda option: option[0]))
        parts = best[-1][1]
        return parts if "; ".join(parts) != "; ".join(pieces) else None


def _english_left(text: str) -> int:
    return len(re.findall(r"[A-Za-z]", text))


_catalog: _Catalog | None = None


def _chinese() -> _Catalog:
    global _catalog
    if _catalog is None:
        _catalog = _Catalog.read(CATALOG_PATH)
    return _catalog
