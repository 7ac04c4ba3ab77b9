"""Reading the lessons' notebooks: their worked solutions, prose and study time.

Shared by tests/test_lesson_policy.py (how lessons are written) and
tests/test_solutions.py (every worked solution runs and passes its checker).
Imported as ``from lesson_notebooks import ...``: pytest's default import mode
puts this folder on sys.path for the test modules in it.

A worked solution is a Markdown cell tagged ``solution``, right after its
exercise, so that *Run All* never runs it in a student's kernel::

    <details>
    <summary><b>Worked solution (05.1)</b></summary>

    ```python
    answer = -np.log(1 / 10)
    tfc.check("05.1", answer)
    ```

    </details>
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
SOLUTION_TAG = "solution"
SOLUTION_SUMMARY = re.compile(r"<summary><b>Worked solution \((\d\d\.\d+)\)</b></summary>")
FENCED_PYTHON = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
FENCED_ANY = re.compile(r"^```.*?^```", re.S | re.M)
# "**Time:** about 40 minutes to study, 1 minute to run."
STUDY_TIME = re.compile(r"\*\*Time:\*\* about (\d+) minutes to study")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def is_solution(cell: dict) -> bool:
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def solution_parts(cell: dict) -> tuple[str, str]:
    """The exercise id and the Python code of a worked-solution cell.

    Raises ``ValueError`` naming what is missing.
    """
    text = source(cell)
    summary = SOLUTION_SUMMARY.search(text)
    code = FENCED_PYTHON.findall(text)
    if cell["cell_type"] != "markdown" or not text.lstrip().startswith("<details>") or not summary:
        raise ValueError("a worked solution is a Markdown cell that opens with <details> and "
                         "<summary><b>Worked solution (NN.k)</b></summary>")
    if len(code) != 1:
        raise ValueError(f"solution {summary.group(1)}: expected one ```python block, found {len(code)}")
    return summary.group(1), code[0]


def with_solutions_run(nb: dict) -> dict:
    """A copy of ``nb`` whose worked solutions are code cells that must pass their checker."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb["cells"]):
        if not is_solution(cell):
            continue
        exercise_id, code = solution_parts(cell)
        check = (f'assert tfc.check("{exercise_id}", answer).passed, '
                 f'"the worked solution of {exercise_id} does not pass its checker"')
        nb["cells"][i] = {
            "cell_type": "code",
            "execution_count": None,
            "id": cell.get("id", f"solution-{i}"),
            "metadata": {"tags": [SOLUTION_TAG]},
            "outputs": [],
            "source": code.rstrip("\n") + "\n" + check,
        }
    return nb


def prose_words(nb: dict) -> int:
    """Words a student reads in the Markdown cells: no code blocks, solutions, links or badges."""
    words = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown" or is_solution(cell):
            continue
        text = FENCED_ANY.sub(" ", source(cell))
        text = re.sub(r"\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)", " ", text)  # badges
        text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
        text = re.sub(r"<[^>]+>", " ", text)  # HTML tags
        words += len(re.findall(r"[A-Za-z0-9][\w'’.,:;!?()×/+\-−=]*", text))
    return words


def study_minutes(nb: dict) -> int | None:
    match = STUDY_TIME.search(source(nb["cells"][0]))
    return int(match.group(1)) if match else None


def execute_with_solutions(path: Path) -> tuple[dict | None, str | None]:
    """Run lesson ``path`` with its worked solutions as code cells, as a student's kernel would.

    Returns ``(executed notebook, None)``, or ``(None, the error)`` when a cell
    failed. Widget state is stored, so a site built from it can draw the
    explorers. (What the lesson keeps in the temporary folder lands in the test
    run's own, which ../conftest.py removes at the end.)
    """
    import nbclient
    import nbformat

    nb = nbformat.reads(json.dumps(with_solutions_run(load(path))), as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, startup_timeout=120, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},  # the lesson's own folder, as nbval
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        return None, str(err)
    return json.loads(nbformat.writes(nb)), None


def student_view(original: dict, executed: dict) -> dict:
    """``original`` with the outputs of ``executed`` (a run with solutions), solutions still collapsed.

    The solutions stand at the end of each lesson and change no output a
    student sees (the exercise cells say "Your turn" either way), so this is
    the notebook after a student's *Run All*.
    """
    view = copy.deepcopy(original)
    view["metadata"] = copy.deepcopy(executed.get("metadata", original["metadata"]))
    if len(view["cells"]) != len(executed["cells"]):
        raise ValueError("the executed notebook does not match the lesson cell for cell")
    for cell, ran in zip(view["cells"], executed["cells"]):
        if cell["cell_type"] == "code":
            cell["outputs"] = ran.get("outputs", [])
            cell["execution_count"] = ran.get("execution_count")
    return view
