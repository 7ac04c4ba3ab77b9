"""The Chinese lessons (lessons/zh/) cannot drift from the English ones.

They are built by ``tools/translate_lessons.py`` from the English lessons and
one catalog per lesson (lessons/zh/po/*.po). These tests fail when an English
text changed and its translation is stale or missing, when a committed Chinese
file differs from its regeneration, or when a Chinese lesson's code differs
from the English beyond comments and the one ``tfc.set_language("zh")`` line.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import translate_lessons as tl  # noqa: E402 (after the path set-up)
from lesson_notebooks import load, source  # noqa: E402 (tests/lesson_notebooks.py)

SOURCES = tl.english_sources()
LESSONS = [path for path in SOURCES if path.suffix == ".ipynb"]
ids = [path.name for path in SOURCES]


def _code_without_comments(code: str) -> list[str]:
    """Code's tokens with comments dropped; magics and shell lines compared as lines."""
    try:
        return [token.string for token in tokenize.generate_tokens(io.StringIO(code).readline)
                if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [re.sub(r"\s+#.*$", "", line) for line in code.split("\n")
                if line.strip() and not line.lstrip().startswith("#")]


def _cells(path: Path) -> list[dict]:
    return load(path)["cells"]


@pytest.mark.parametrize("english", SOURCES, ids=ids)
def test_catalog_matches_the_english_text(english):
    catalog = tl.load_catalog(english)
    assert catalog is not None, f"{tl.catalog_path(english)} is missing: run tools/translate_lessons.py update"
    expected = tl.catalog_text(tl.updated_catalog(english, catalog))
    assert tl.catalog_path(english).read_text(encoding="utf-8") == expected, (
        f"{tl.catalog_path(english).name} does not match {english.name}'s English text: "
        "run `python tools/translate_lessons.py update`, translate, then `build`")


@pytest.mark.parametrize("english", SOURCES, ids=ids)
def test_every_entry_is_translated_and_current(english):
    catalog = tl.load_catalog(english)
    todo = [entry.msgid[:70] for entry in catalog if not entry.msgstr or "fuzzy" in entry.flags]
    assert not todo, f"{tl.catalog_path(english).name}: {len(todo)} entries missing or fuzzy, e.g. {todo[:3]}"


@pytest.mark.parametrize("english", SOURCES, ids=ids)
def test_translations_keep_code_links_and_numbers(english):
    """Inline code, link targets and numbers are facts: a translation keeps every one."""
    lost = []
    for entry in tl.load_catalog(english):
        for pattern in (r"`[^`\n]+`", r"\]\([^)\s]+\)", r"(?<![\w.])\d+(?:[.,]\d+)*"):
            for fact in set(re.findall(pattern, entry.msgid)):
                if fact not in entry.msgstr:
                    lost.append(f"{fact!r} in: {entry.msgid[:60]!r}")
    assert not lost, f"{english.name}: translations lost {len(lost)} facts:\n" + "\n".join(lost[:10])


@pytest.mark.parametrize("english", SOURCES, ids=ids)
def test_committed_chinese_file_is_its_regeneration(english):
    target = tl.chinese_path(english)
    assert target.exists(), f"{target} is missing: run tools/translate_lessons.py build"
    assert target.read_text(encoding="utf-8") == tl.chinese_text(english), (
        f"{target.relative_to(ROOT)} differs from what English + catalog build: "
        "edit the catalog (never the Chinese notebook), then run `build`")


@pytest.mark.parametrize("english", LESSONS, ids=[p.name for p in LESSONS])
def test_chinese_code_is_the_english_code(english):
    english_cells, chinese_cells = _cells(english), _cells(tl.chinese_path(english))
    assert [c["cell_type"] for c in english_cells] == [c["cell_type"] for c in chinese_cells]
    added = 0
    for en, zh in zip(english_cells, chinese_cells):
        assert en.get("metadata") == zh.get("metadata"), "cell tags and metadata are the same"
        if en["cell_type"] != "code":
            continue
        en_code, zh_code = source(en), source(zh)
        if tl.SET_LANGUAGE in zh_code.split("\n"):
            zh_code = "\n".join(line for line in zh_code.split("\n") if line != tl.SET_LANGUAGE)
            added += 1
        assert _code_without_comments(zh_code) == _code_without_comments(en_code), (
            f"cell {en.get('id')} of {english.name}: the Chinese code differs beyond comments")
        assert en.get("outputs") == zh.get("outputs"), "outputs are copied from the English lesson"
    assert added == 1, f"exactly one Setup line sets the language; found {added}"


def test_a_changed_english_sentence_makes_its_entry_stale(tmp_path):
    """What the drift tests rely on: a changed block gets a fuzzy entry that build refuses."""
    english = tmp_path / "lesson.md"
    english.write_text("# Title\n\nTensors have a shape.\n\n```python\nx = 1  # one\n```\n",
                       encoding="utf-8")
    catalog = tl.updated_catalog(english, None)
    for entry, chinese in zip(catalog, ["# 标题", "张量有形状。", "一"]):
        entry.msgstr = chinese
    translate = tl.translator(catalog, english)
    assert tl._translate_markdown(english.read_text(encoding="utf-8"), translate) == (
        "# 标题\n\n张量有形状。\n\n```python\nx = 1  # 一\n```\n")

    english.write_text(english.read_text(encoding="utf-8").replace("a shape", "a shape and a dtype"),
                       encoding="utf-8")
    updated = tl.updated_catalog(english, catalog)
    stale = [entry for entry in updated if "fuzzy" in entry.flags]
    assert [(e.msgid, e.previous_msgid, e.msgstr) for e in stale] == [
        ("Tensors have a shape and a dtype.", "Tensors have a shape.", "张量有形状。")]
    with pytest.raises(tl.TranslationMissing, match="fuzzy"):
        tl._translate_markdown(english.read_text(encoding="utf-8"), tl.translator(updated, english))


def test_comment_blocks_are_translated_as_units_and_code_is_kept():
    code = "import x\n# first line\n# second line\ny = f(x)  # why\n%timeit y\n"
    units = [c.text for c in tl._comments(code)]
    assert units == ["first line\nsecond line", "why"]
    out = tl._translate_code(code, {"first line\nsecond line": "第一\n第二\n第三", "why": "原因"}.__getitem__)
    assert out == "import x\n# 第一\n# 第二\n# 第三\ny = f(x)  # 原因\n%timeit y\n"


def test_lesson_links_open_the_chinese_notebook():
    badge = ("[![Binder](b.svg)](https://mybinder.org/v2/gh/tfcourse/tfcourse/HEAD?labpath=lessons/05_x.ipynb)"
             " [![Colab](c.svg)](https://colab.research.google.com/github/tfcourse/tfcourse/blob/main/lessons/05_x.ipynb)")
    out = tl._translate_markdown(badge, lambda text: text)
    assert "labpath=lessons/zh/05_x.ipynb" in out and "blob/main/lessons/zh/05_x.ipynb" in out


# --- The Chinese entrance: README.zh-CN.md ----------------------------------

README_ZH = ROOT / "README.zh-CN.md"


def _first_command_after(text: str, marker: str | None = None) -> str:
    if marker:
        text = text.split(marker, 1)[1]
    return re.search(r"```bash\n(.*?)\n", text).group(1)


def test_chinese_readme_gives_the_same_two_commands():
    english, chinese = (ROOT / "README.md").read_text(encoding="utf-8"), README_ZH.read_text(encoding="utf-8")
    assert "README.zh-CN.md" in english.split("\n## ", 1)[0], "README.md links the Chinese README at its top"
    assert _first_command_after(chinese, "<!-- test-command -->") == _first_command_after(english, "<!-- test-command -->")
    start_en, start_zh = _first_command_after(english), _first_command_after(chinese)
    assert start_zh == start_en.replace("lessons/", "lessons/zh/"), start_zh
    assert (ROOT / "lessons" / "zh").is_dir()


def test_chinese_readme_links_and_launches_every_chinese_lesson():
    text = README_ZH.read_text(encoding="utf-8")
    for english in LESSONS:
        chinese = f"lessons/zh/{english.name}"
        assert f"]({chinese})" in text, f"the course map links {chinese}"
        assert f"labpath={chinese})" in text, f"a Binder badge opens {chinese}"
        assert f"/blob/main/{chinese})" in text, f"a Colab badge opens {chinese}"
    for link in re.findall(r"\]\(((?!https?://)[^)#]+)\)", text):
        assert (ROOT / link).exists(), f"README.zh-CN.md links a missing file: {link}"


def test_jupyterlab_can_speak_chinese():
    """The language pack the Chinese README tells students to choose is installed."""
    from importlib.metadata import entry_points

    assert "zh_CN" in {entry.name for entry in entry_points(group="jupyterlab.languagepack")}
    for requirements in ("requirements.txt", "binder/requirements.txt"):
        assert "jupyterlab-language-pack-zh-CN" in (ROOT / requirements).read_text(encoding="utf-8")
