"""The helpers in Chinese: tfc.set_language, translated exercise feedback, and a catalog that cannot drift.

The catalog ``tfcourse/locale/zh/tfcourse.po`` is written by
``tools/package_catalog.py`` from the English source; the tests below fail
when the source has English the catalog does not translate, or when the
committed catalog differs from what the tool would write now.
"""

from __future__ import annotations

import shutil
import string
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from widget_helpers import widgets_of  # tests/widget_helpers.py

import tfcourse
from tfcourse import _language
from tfcourse._language import CATALOG_PATH, language, set_language, template_fields, translate
from tfcourse.exercises import check, get_exercise
from tfcourse.exercises._core import _ATTEMPTS, SOLUTION_POINTER

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import package_catalog  # noqa: E402 (tools/ is not a package)

RIGHT_04_1 = 784 * 64 + 64
WEIGHTS_ONLY_04_1 = 784 * 64


@pytest.fixture(autouse=True)
def english_afterwards():
    """Each test starts in English with no wrong answers to 04.1, and leaves it so."""
    set_language("en")
    _ATTEMPTS.pop("04.1", None)
    yield
    set_language("en")
    _ATTEMPTS.pop("04.1", None)


# --- choosing the language ------------------------------------------------------------------


def test_english_is_the_default_and_chinese_is_chosen_by_its_code():
    assert language() == "en"
    set_language("zh")
    assert language() == "zh"
    set_language("en")
    assert language() == "en"


@pytest.mark.parametrize("alias", ["zh-CN", "zh_CN"])
def test_the_locale_spellings_of_simplified_chinese_are_taken(alias):
    set_language(alias)
    assert language() == "zh"


@pytest.mark.parametrize("bad", ["fr", "ZH", "", None, 1, ["zh"]])
def test_other_languages_are_refused_in_keras_style(bad):
    with pytest.raises(ValueError, match=r"^Expected one of 'en', 'zh'\. Received: language="):
        set_language(bad)
    assert language() == "en"


def test_the_lessons_call_it_as_tfc_set_language():
    assert tfcourse.set_language is set_language and tfcourse.language is language


# --- feedback in Chinese --------------------------------------------------------------------


def test_a_right_answer_is_confirmed_in_chinese():
    set_language("zh")
    assert check("04.1", RIGHT_04_1).to_text() == "✔ 正确（练习 04.1）：做得好。"


def test_an_unanswered_exercise_asks_in_chinese():
    set_language("zh")
    assert check("04.1", ...).to_text() == "… 轮到你了（练习 04.1）：把 ... 换成你的答案，然后运行这个单元格。"


def test_a_wrong_answer_gets_its_hint_steps_and_the_solution_pointer_in_chinese():
    set_language("zh")
    hints = get_exercise("04.1").hints
    first, second = (check("04.1", 1).to_text() for _ in range(2))
    assert first.startswith("✘ 还不对（练习 04.1）：")
    assert f"提示 1/2：{translate(hints[0])}" in first and "每个单元" in first
    assert translate(SOLUTION_POINTER) not in first
    assert f"提示 2/2：{translate(hints[1])}" in second
    assert second.endswith("\n完整的参考解答在本练习下方折叠的代码块中。")
    html = check("04.1", 2)._repr_html_()
    assert "还不对" in html and "提示 2/2" in html


def test_a_message_made_by_an_f_string_comes_back_in_chinese_with_its_values():
    set_language("zh")
    message = check("04.1", WEIGHTS_ONLY_04_1).to_text().splitlines()[0]
    assert message == "✘ 还不对（练习 04.1）：50,176 只算了权重：64 个单元中的每一个还有一个偏置。"
    # the catalog's own example: the value in the English lands in the Chinese
    assert translate("A shape is a tuple with one number per axis; write (5,) for one axis, "
                     "or list every axis.") == "形状是一个元组，每个轴一个数；只有一个轴时写 (5,)，否则列出每个轴。"


def test_a_message_built_from_messages_is_translated_part_by_part():
    from tfcourse.exercises._answers import function_problem, number

    set_language("zh")
    # type_problem(f"a function such as {name} (...)", answer): a template inside a template
    assert translate(function_problem(0.5, name="sgd_update")) == (
        "应为一个函数，例如 sgd_update（写函数名，不要调用它）。收到的是：一个 float 类型的对象。")
    _, problem = number(True, what="a loss")  # "Your answer is True or False; a loss is a number."
    assert translate(problem) == "你的答案是 True 或 False；损失是一个数。"


def test_english_text_the_catalog_does_not_know_stays_english():
    set_language("zh")
    assert translate("checking your answer raised KeyError: 'x'") == "检查你的答案时引发了 KeyError：'x'"
    assert translate("Nothing like this is in the catalog.") == "Nothing like this is in the catalog."


def test_english_again_after_set_language_en():
    set_language("zh")
    assert "还不对" in check("04.1", 1).to_text()
    set_language("en")
    text = check("04.1", 1).to_text()
    assert text.startswith("✘ Not yet (exercise 04.1): 1 is not the count")
    assert "Hint 2 of 2: " in text and SOLUTION_POINTER in text
    assert translate("well done.") == "well done."


def test_the_feedback_keeps_its_english_fields_whatever_the_language():
    set_language("zh")
    feedback = check("04.1", WEIGHTS_ONLY_04_1)
    assert feedback.message.startswith("50,176 counts the weights only")
    assert feedback.hint == get_exercise("04.1").hints[0]


def test_the_catalog_is_read_only_when_chinese_is_first_needed():
    code = (
        "import sys, tfcourse, tfcourse.exercises\n"
        "from tfcourse import _language\n"
        "_language.set_language('zh')\n"
        "assert 'polib' not in sys.modules and 'tensorflow' not in sys.modules\n"
        "assert _language.translate('well done.') == '做得好。'\n"
        "assert 'polib' in sys.modules and 'tensorflow' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


# --- the explorers' controls in Chinese (their figures keep English words) ---------------------


def test_the_explorers_controls_and_captions_speak_chinese():
    ipywidgets = pytest.importorskip("ipywidgets")
    import numpy as np

    from tfcourse.widgets import ParameterExplorer, PredictionExplorer

    set_language("zh")
    box = ParameterExplorer().widget
    assert {s.description for s in widgets_of(box, ipywidgets.IntSlider)} == {
        "输入大小", "隐藏层数", "hidden_1 单元数", "类别数"}
    table = next(w for w in widgets_of(box, ipywidgets.HTML) if "tfc-table" in w._dom_classes)
    assert "101,770 个参数" in table.value and "以 float32 存储共 0.41 MB" in table.value

    labels = np.array([3, 1, 4])
    probabilities = np.full((3, 10), 0.02)
    probabilities[np.arange(3), [3, 2, 4]] = 0.82
    explorer = PredictionExplorer(probabilities, np.zeros((3, 28, 28), np.float32), labels)
    assert explorer.select(index=1).caption() == "#1：真实 1，预测 2（82.0%）✗ · 图像 2/3"
    buttons = {b.description for b in widgets_of(explorer.widget, ipywidgets.Button)}
    assert buttons == {"◀ 上一个", "下一个 ▶"}
    explorer.select(mistakes_only=True)
    slider, = widgets_of(explorer.widget, ipywidgets.IntSlider)
    assert slider.description == "错误" and explorer.caption().endswith("· 错误 1/1")

    set_language("en")
    assert explorer.caption() == "#1: true 1, predicted 2 (82.0%) ✗ · mistake 1 of 1"


# --- the catalog: complete, in step with the source, fields kept ----------------------------------


def _catalog() -> polib.POFile:
    return polib.pofile(str(CATALOG_PATH))


def test_every_english_message_has_its_chinese():
    catalog = _catalog()
    missing = [entry.msgid for entry in catalog if not entry.translated()]
    assert not missing, (
        f"{len(missing)} messages without a translation: fill their msgstr in "
        f"{CATALOG_PATH.relative_to(ROOT)}:\n  " + "\n  ".join(missing[:20]))
    assert len(catalog) > 400  # every exercise's question, hints and messages


def test_the_catalog_is_what_the_extraction_tool_writes_from_the_source():
    written = package_catalog.catalog_text(ROOT)
    assert written == CATALOG_PATH.read_text(encoding="utf-8"), (
        "The English in the source changed and the catalog did not follow: run "
        "python tools/package_catalog.py, then translate the empty msgstr entries.")


def _fields(template: str) -> set[tuple[str, str, str | None]]:
    """Each field of a format template with its format spec and conversion: {confidence:.0%}."""
    return {(name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(template) if name is not None}


def test_each_translation_keeps_the_fields_of_its_english():
    wrong = []
    for entry in _catalog():
        try:
            fields = _fields(entry.msgstr)
        except ValueError as err:  # a lone brace: "{" must be written "{{"
            wrong.append(f"{entry.msgstr!r}: {err}")
            continue
        if fields != _fields(entry.msgid):
            wrong.append(f"{entry.msgid!r} has {sorted(_fields(entry.msgid))}, "
                         f"its translation {sorted(fields)}")
        if entry.msgid.count("{{") != entry.msgstr.count("{{"):
            wrong.append(f"{entry.msgid!r}: literal braces differ in {entry.msgstr!r}")
    assert not wrong, "\n".join(wrong)
    assert template_fields("{value} is not a whole number: {why}") == ["value", "why"]
    assert _fields("{{code}} {total:,}") == {("total", ",", None)}


def test_every_template_finds_its_own_translation():
    """A message made from each template comes back as that template's Chinese, not another's.

    Each field holds a message of its own ("image", one word so that fields side by
    side split one way only), so the loose template "{what} is {kind}" is tried
    too, and the field is translated in turn.
    """
    set_language("zh")
    wrong = []
    for entry in _catalog():
        names = template_fields(entry.msgid)
        if not names:
            continue
        english = _language._fill(entry.msgid, dict.fromkeys(names, "image"))
        chinese = _language._fill(entry.msgstr, dict.fromkeys(names, "图像"))
        if translate(english) != chinese:
            wrong.append(f"{english!r}\n  gives {translate(english)!r}\n  not  {chinese!r}")
    assert not wrong, "\n".join(wrong)


def test_a_changed_english_hint_is_untranslated_until_someone_translates_it(tmp_path):
    """The drift check works: a copy of the source with one hint reworded."""
    shutil.copytree(ROOT / "tfcourse" / "exercises", tmp_path / "tfcourse" / "exercises")
    (tmp_path / package_catalog.CATALOG).parent.mkdir(parents=True)
    shutil.copy2(CATALOG_PATH, tmp_path / package_catalog.CATALOG)
    old = get_exercise("04.1").hints[0]
    new = "Each unit has one weight per input value, and a bias."
    lesson = tmp_path / "tfcourse" / "exercises" / "lesson_04.py"
    source = lesson.read_text(encoding="utf-8")
    assert source.count(f'"{old}"') == 1
    lesson.write_text(source.replace(f'"{old}"', f'"{new}"'), encoding="utf-8")

    text = package_catalog.catalog_text(tmp_path)
    assert text != CATALOG_PATH.read_text(encoding="utf-8")  # the sync test above would fail
    updated = {entry.msgid: entry for entry in polib.pofile(text)}
    assert updated[new].msgstr == "" and "exercise 04.1, hint 1" in updated[new].comment
    assert old not in updated  # the stale translation is gone, not kept for the new text
    assert len(polib.pofile(text).untranslated_entries()) == 1  # the completeness test fails too


def test_the_tool_reads_templates_from_f_strings_and_leaves_code_out(tmp_path):
    source = tmp_path / "tfcourse" / "exercises" / "lesson_99.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        '"""A docstring is not a message."""\n'
        "import re\n"
        "def _check(answer):\n"
        '    """Nor is this one."""\n'
        '    if re.fullmatch(r"\\d+ items? left", answer):\n'
        '        raise ValueError("errors stay English")\n'
        '    table = {"a key here": f"{answer:,} is not the count of {len(answer)} layers"}\n'
        '    more = "fewer" if answer else "more"\n'
        '    return "Count the weights, " + answer + " then add the biases."\n',
        encoding="utf-8")
    found = [m.msgid for m in package_catalog.extract(tmp_path, ("tfcourse/exercises/*.py",))]
    assert found == ["{answer} is not the count of {len} layers", "fewer", "more",
                     "Count the weights, {answer} then add the biases."]


def test_the_tool_reads_only_the_translated_words_of_an_explorer(tmp_path):
    source = tmp_path / "tfcourse" / "widgets" / "some_explorer.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "from tfcourse._language import translate, translate_template\n"
        'TEXT = {"clear": "Clear", "title": "a figure title, kept English",\n'
        '        "total": "{total:,} parameters"}\n'
        "button = translate(TEXT['clear'])\n"
        "ax_title = TEXT['title']\n"
        "caption = translate_template(TEXT['total']).format(total=1)\n",
        encoding="utf-8")
    found = [m.msgid for m in package_catalog.extract(tmp_path, (), ("tfcourse/widgets/*.py",))]
    assert found == ["Clear", "{total:,} parameters"]


def test_the_catalog_ships_in_the_wheel_configuration():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"locale/*/*.po"' in pyproject and '"polib~=1.2"' in pyproject
    assert _language.CATALOG_PATH.is_file()
