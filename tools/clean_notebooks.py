"""Execute and clean the lessons before they are committed.

Notebooks are committed clean: no outputs, except on cells tagged
``nbval-check-output``. Those keep their outputs and execution counts, and
nbval compares them on every test run, so they must hold only facts that are
the same on every machine and data source (tensor values, shapes, the
parameter table).

    python tools/clean_notebooks.py lessons/*.ipynb            # clean in place
    python tools/clean_notebooks.py --execute lessons/04_*.ipynb  # run, then clean
    python tools/clean_notebooks.py --check lessons/*.ipynb    # exit 1 if not clean

``tests/test_lesson_policy.py`` enforces the same rules.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat

CHECK_TAG = "nbval-check-output"
# Notebook metadata that changes with every run or machine.
VOLATILE_METADATA = ("widgets", "execution")


def is_checked(cell: nbformat.NotebookNode) -> bool:
    return CHECK_TAG in cell.get("metadata", {}).get("tags", [])


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip outputs and counts from every code cell not tagged for nbval checks."""
    for key in VOLATILE_METADATA:
        nb.metadata.pop(key, None)
    # Running a notebook records this machine's Python version; keep the name only.
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        for key in VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            continue
        if not is_checked(cell):
            cell.outputs = []
            cell.execution_count = None
    return nb


def execute(nb: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--execute", action="store_true", help="run each notebook first")
    mode.add_argument("--check", action="store_true", help="only report unclean notebooks")
    args = parser.parse_args(argv)
    unclean = []
    for path in args.notebooks:
        original = path.read_text(encoding="utf-8")
        nb = nbformat.reads(original, as_version=4)
        if args.execute:
            nb = execute(nb, path)
        nb = clean(nb)
        text = nbformat.writes(nb) + "\n"
        if args.check:
            if text != original:
                unclean.append(path)
        elif text != original:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    for path in unclean:
        print(f"not clean: {path} (run: python tools/clean_notebooks.py {path})")
    return 1 if unclean else 0


if __name__ == "__main__":
    sys.exit(main())
