"""Where the course is: its folder, its lessons, and where a rehearsal's copies go.

The course folder is the checkout tfcourse runs from (installed editable), or
else the current folder, when either holds ``lessons/``. Used by ``doctor``
(the pinned ``requirements.txt``), ``run`` (the lessons by number) and the
course website (:mod:`tfcourse.site`).
"""

from __future__ import annotations

import re
from pathlib import Path

# The data sets the lessons load (tfcourse.data), in the order the course meets them.
DATASETS = ("mnist", "fashion_mnist")
# Lessons are NN_name.ipynb, numbered in course order.
LESSON_PATTERN = re.compile(r"^(\d{2})_\w+\.ipynb$")
# Where `python -m tfcourse run` keeps the executed copies, in the course folder.
REHEARSAL_FOLDER = Path("_build") / "rehearsal"


def course_root() -> Path | None:
    """The folder holding ``lessons/`` and ``requirements.txt``, or None when there is none.

    Example:
        >>> root = course_root()
        >>> root is None or (root / "lessons").is_dir()
        True
    """
    package_parent = Path(__file__).resolve().parents[2]  # tfcourse/cli/course.py
    for candidate in (package_parent, Path.cwd()):
        if (candidate / "lessons").is_dir():
            return candidate
    return None


def lessons_folder() -> Path | None:
    """The course's ``lessons/`` folder, or None outside a course folder."""
    root = course_root()
    return None if root is None else root / "lessons"


def lesson_files(folder: Path) -> list[Path]:
    """The lessons in ``folder`` (``NN_name.ipynb``), in course order.

    Example:
        >>> folder = lessons_folder()
        >>> folder is None or all(LESSON_PATTERN.match(p.name) for p in lesson_files(folder))
        True
    """
    return sorted(path for path in folder.glob("*.ipynb") if LESSON_PATTERN.match(path.name))


def default_requirements() -> Path | None:
    """The course's pinned ``requirements.txt``, or None when it is not found."""
    root = course_root()
    if root is not None and (root / "requirements.txt").is_file():
        return root / "requirements.txt"
    return None
