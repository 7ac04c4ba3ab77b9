"""The rules every lesson notebook follows, checked without running them.

nbval runs the lessons; this file checks how they are committed: clean (no
outputs but the nbval-checked facts), in order, and built the same way
(title, launch badge, Setup, Summary, Exercises with worked solutions).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
CHECK_TAG = "nbval-check-output"
NAME = re.compile(r"^(\d\d)_[a-z0-9]+(_[a-z0-9]+)*\.ipynb$")
BINDER = "https://mybinder.org/v2/gh/"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


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
def test_exercises_check_themselves_with_a_hidden_worked_solution(path: Path):
    cells = load(path)["cells"]
    number = path.name[:2]
    asked = set()
    solved = set()
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        text = source(cell)
        ids = re.findall(r'tfc\.check\("(\d\d\.\d+)"', text)
        if "solution" in cell.get("metadata", {}).get("tags", []):
            assert cell["metadata"].get("jupyter", {}).get("source_hidden"), "hide solutions"
            assert ".passed" in text, "a worked solution asserts that it passes"
            solved.update(ids)
        else:
            asked.update(ids)
    assert 2 <= len(asked) <= 4, f"expected 2 to 4 exercises, found {sorted(asked)}"
    assert all(i.startswith(number + ".") for i in asked), sorted(asked)
    assert asked == solved, f"exercises without a worked solution: {sorted(asked - solved)}"


def test_course_map_lists_every_lesson():
    course_map = (ROOT / "lessons" / "README.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in LESSONS:
        assert path.name in course_map, f"lessons/README.md does not list {path.name}"
        assert path.name in readme, f"README.md does not list {path.name}"
