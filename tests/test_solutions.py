"""Every worked solution runs, in its lesson, and passes its checker.

The lessons keep their worked solutions in collapsed Markdown blocks, so that
*Run All* never runs one in a student's kernel. Here each lesson is executed
once more with those blocks turned back into code cells, each followed by
``assert tfc.check(id, answer).passed``: a solution that stops working, or that
its checker stops accepting, fails this test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lesson_notebooks import LESSONS, load, with_solutions_run  # tests/lesson_notebooks.py

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_worked_solution_passes_its_checker(path: Path, tmp_path, monkeypatch):
    # Some solutions keep files for the student to look at (tempfile.mkdtemp):
    # here they land in this test's own folder, which pytest removes.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    nb = nbformat.reads(json.dumps(with_solutions_run(load(path))), as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, startup_timeout=120, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},  # the lesson's own folder, as nbval
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        pytest.fail(f"{path.name} with its worked solutions run:\n{err}", pytrace=False)
