"""The rules every lesson notebook follows, checked without running them.

nbval runs the lessons; this file checks how they are committed: clean (no
outputs but the nbval-checked facts), in order, and built the same way
(title, launch badge, Setup, Summary, Exercises with worked solutions that
never run in a student's kernel), in the student's voice and in the time they state.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lesson_notebooks import (  # tests/lesson_notebooks.py
    LESSONS,
    ROOT,
    is_solution,
    load,
    prose_words,
    solution_parts,
    source,
    study_minutes,
)

CHECK_TAG = "nbval-check-output"
NAME = re.compile(r"^(\d\d)_[a-z0-9]+(_[a-z0-9]+)*\.ipynb$")
BINDER = "https://mybinder.org/v2/gh/"


def test_there_are_lessons_numbered_from_01_without_gaps():
    assert LESSONS, "no notebooks in lessons/"
    numbers = []
    for path in LESSONS:
        match = NAME.match(path.name)
        assert match, f"{path.name}: expected NN_topic_in_snake_case.ipynb"
        numbers.append(int(match.group(1)))
    assert numbers == list(range(1, len(numbers) + 1)), numbers


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_committed_clean(path: Path):
    nb = load(path)
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", (
        "without a kernelspec JupyterLab asks which kernel to start"
    )
    assert "widgets" not in nb["metadata"], "widget state is saved: clean the notebook"
    counts = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        checked = CHECK_TAG in cell.get("metadata", {}).get("tags", [])
        if not checked:
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"cell {i} keeps output but is not tagged {CHECK_TAG}: "
                f"run python tools/clean_notebooks.py {path.relative_to(ROOT)}"
            )
            continue
        assert cell["outputs"], f"cell {i} is tagged {CHECK_TAG} but has no stored output"
        assert cell["execution_count"] is not None, f"cell {i}: checked output without a count"
        counts.append(cell["execution_count"])
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"cell {i} stores an error"
            assert out.get("name") != "stderr", f"cell {i} stores stderr output"
            text = json.dumps(out)
            assert not re.search(r"\b0x[0-9a-f]{6,}", text), f"cell {i}: memory address in output"
    assert counts == sorted(counts) and len(set(counts)) == len(counts), (
        f"checked cells were not run top to bottom: execution counts {counts}"
    )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_structure(path: Path):
    nb = load(path)
    cells = nb["cells"]
    first = source(cells[0])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# "), "title first"
    assert "What you will learn" in first, "the opening cell lists what you will learn"
    badge = f"{BINDER}"
    assert badge in first and f"labpath=lessons/{path.name}" in first, "Binder badge to this lesson"
    headings = [source(c).splitlines()[0] for c in cells if c["cell_type"] == "markdown"]
    for wanted in ("## Setup", "## Summary", "## Exercises"):
        assert any(h.startswith(wanted) for h in headings), f"missing section {wanted}"
    setup_at = next(i for i, c in enumerate(cells) if source(c).startswith("## Setup"))
    setup_code = source(cells[setup_at + 1])
    assert "import tfcourse as tfc" in setup_code and "tfc.setup_device()" in setup_code
    assert setup_code.index("tfc.setup_device()") < setup_code.find("import tensorflow") or (
        "import tensorflow" not in setup_code
    ), "setup_device() must run before TensorFlow is imported (CPU mode hides GPUs then)"
    assert "set_random_seed" in setup_code, "the Setup cell seeds the run"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_lesson_opens_on_colab(path: Path):
    from tfcourse.site import COLAB_SETUP, colab_url

    cells = load(path)["cells"]
    assert colab_url(path.name) in source(cells[0]), "an Open in Colab badge beside Binder's"
    setup_at = next(i for i, c in enumerate(cells) if source(c).startswith("## Setup"))
    assert source(cells[setup_at + 1]).startswith(COLAB_SETUP), (
        "the Setup cell starts with the Colab install snippet: python tools/add_colab_setup.py"
    )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_exercises_check_themselves_and_solutions_never_run_in_the_kernel(path: Path):
    cells = load(path)["cells"]
    number = path.name[:2]
    asked = []
    solved = []
    for i, cell in enumerate(cells):
        text = source(cell)
        if is_solution(cell):
            exercise_id, code = solution_parts(cell)  # raises with what is missing
            assert f'tfc.check("{exercise_id}", answer)' in code, (
                f"solution {exercise_id} ends by checking its answer with tfc.check"
            )
            assert asked and asked[-1] == exercise_id and cells[i - 1]["cell_type"] == "code", (
                f"solution {exercise_id} must follow its exercise's cell"
            )
            solved.append(exercise_id)
            continue
        if cell["cell_type"] != "code":
            continue
        assert not cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"), (
            f"cell {i} is a hidden code cell: Run All would still run it"
        )
        asked.extend(re.findall(r'tfc\.check\("(\d\d\.\d+)"', text))
    assert 2 <= len(asked) <= 4, f"expected 2 to 4 exercises, found {asked}"
    assert all(i.startswith(number + ".") for i in asked), asked
    assert asked == solved, f"each exercise needs one worked solution after it: {asked} vs {solved}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_exercise_gives_hints_in_steps(path: Path):
    from tfcourse.exercises import get_exercise

    ids = sorted(set(re.findall(r'tfc\.check\("(\d\d\.\d+)"', json.dumps(load(path)))))
    for exercise_id in ids:
        hints = get_exercise(exercise_id).hints
        assert len(hints) >= 2 and len(set(hints)) == len(hints), (
            f"{exercise_id}: expected at least two different hint steps (the idea, then "
            f"the function to use). Received: {hints}"
        )


# How the course was made, tested or developed: lessons speak to a student.
PROCESS_WORDS = re.compile(
    r"test machine|development machine|\bwe tried\b|\(we tried\)|our tests|the course's tests|"
    r"\bCI\b|\bnbval\b|when this (lesson|course) was written|cost this course|"
    r"automatic tests|the tests (compare|check|run)|this course's (tests|machine)",
    re.I,
)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lessons_speak_to_the_student_not_about_how_the_course_was_made(path: Path):
    for i, cell in enumerate(load(path)["cells"]):
        match = PROCESS_WORDS.search(source(cell))
        assert match is None, f"cell {i} says {match.group(0)!r}: lessons speak to students"


MAX_PROSE_WORDS = 2500


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_each_lesson_can_be_studied_in_its_stated_time(path: Path):
    words = prose_words(load(path))
    assert words <= MAX_PROSE_WORDS, f"{words} words of prose; at most about {MAX_PROSE_WORDS}"


def test_study_times_agree_in_the_lessons_and_both_course_maps():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    course_map = (ROOT / "lessons" / "README.md").read_text(encoding="utf-8")
    for path in LESSONS:
        minutes = study_minutes(load(path))
        assert minutes, f"{path.name}: the opening cell says **Time:** about N minutes to study"
        for name, text in (("README.md", readme), ("lessons/README.md", course_map)):
            rows = [line for line in text.splitlines()
                    if path.name in line and re.search(r"\|\s*\d+ min\b", line)]
            found = re.search(r"\|\s*(\d+) min\b", rows[0]) if len(rows) == 1 else None
            assert found and int(found.group(1)) == minutes, (
                f"{name} gives {path.name} {found.group(1) if found else 'no'} minutes "
                f"of study; the lesson says {minutes}"
            )


def test_course_map_lists_every_lesson():
    course_map = (ROOT / "lessons" / "README.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in LESSONS:
        assert path.name in course_map, f"lessons/README.md does not list {path.name}"
        assert path.name in readme, f"README.md does not list {path.name}"


@pytest.mark.parametrize("path", [*LESSONS, ROOT / "README.md", ROOT / "lessons" / "README.md"],
                         ids=lambda p: p.name if p.suffix == ".ipynb" else str(p.relative_to(ROOT)))
def test_every_package_file_a_lesson_names_exists(path: Path):
    """"from `tfcourse/curves.py`" sends a student to read that file: it must be there."""
    named = set(re.findall(r"tfcourse/[\w/]+\.py", path.read_text(encoding="utf-8")))
    missing = sorted(name for name in named if not (ROOT / name).is_file())
    assert not missing, f"{path.name} names files that do not exist: {missing}"
