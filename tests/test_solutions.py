"""Every worked solution runs, in its lesson, and passes its checker.

The lessons keep their worked solutions in collapsed Markdown blocks, so that
*Run All* never runs one in a student's kernel. Here each lesson is executed
once more with those blocks turned back into code cells, each followed by
``assert tfc.check(id, answer).passed``: a solution that stops working, or that
its checker stops accepting, fails this test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lesson_notebooks import LESSONS  # tests/lesson_notebooks.py


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_worked_solution_passes_its_checker(path: Path, lessons_run_with_solutions):
    # The run itself is the session fixture in tests/conftest.py. Some solutions
    # keep files for the student (tempfile.mkdtemp): under the suite they land
    # in the run's own temporary folder (../conftest.py), removed at the end.
    _, error = lessons_run_with_solutions[path]
    if error is not None:
        pytest.fail(f"{path.name} with its worked solutions run:\n{error}", pytrace=False)
