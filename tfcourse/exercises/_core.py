"""The machinery behind self-checking exercises.

An exercise is a question in a lesson plus a checker here. The checker looks
at the student's answer and returns ``None`` when it is right, or a sentence
saying what is not right yet. It never holds a stored final answer to compare
with: it recomputes what the answer must satisfy (a shape, a count, a value
from the formula), so a correct answer reached another way passes too.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Callable

Checker = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id ("04.2"), what it asks, a hint and its checker."""

    id: str
    question: str
    hint: str
    checker: Checker


@dataclass(frozen=True)
class Feedback:
    """The result of :func:`tfcourse.check`, shown as a coloured line in a notebook.

    ``status`` is "correct", "not yet" or "unanswered"; ``passed`` is True only
    for "correct".
    """

    exercise: Exercise
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    def to_text(self) -> str:
        mark = {"correct": "✔ Correct", "not yet": "✘ Not yet", "unanswered": "… Your turn"}[
            self.status
        ]
        lines = [f"{mark} (exercise {self.exercise.id}): {self.message}"]
        if self.status == "not yet":
            lines.append(f"Hint: {self.exercise.hint}")
        return "\n".join(lines)

    __str__ = to_text

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        # Shape and word carry the meaning as well as colour (colour-blind safe).
        colour = {"correct": "#0072B2", "not yet": "#D55E00", "unanswered": "#555555"}[self.status]
        body = "<br>".join(html.escape(line) for line in self.to_text().splitlines())
        return (
            f'<div style="border-left: 4px solid {colour}; padding: 4px 8px;">{body}</div>'
        )


_REGISTRY: dict[str, Exercise] = {}


def exercise(exercise_id: str, *, question: str, hint: str) -> Callable[[Checker], Checker]:
    """Register ``checker`` as the exercise ``exercise_id`` (decorator)."""

    def register(checker: Checker) -> Checker:
        if exercise_id in _REGISTRY:
            raise RuntimeError(f"Exercise {exercise_id!r} is registered twice.")
        _REGISTRY[exercise_id] = Exercise(exercise_id, question, hint, checker)
        return checker

    return register


def run_check(ex: Exercise, answer: Any) -> Feedback:
    if answer is Ellipsis:
        return Feedback(ex, "unanswered", "replace the ... with your answer, then run the cell.")
    try:
        problem = ex.checker(answer)
    except Exception as err:  # a wrong kind of answer must give feedback, not a traceback
        problem = f"checking your answer raised {type(err).__name__}: {err}"
    if problem is None:
        return Feedback(ex, "correct", "well done.")
    return Feedback(ex, "not yet", problem)
