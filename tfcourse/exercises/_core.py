"""The machinery behind self-checking exercises.

An exercise is a question in a lesson plus a checker here. The checker looks
at the student's answer and returns ``None`` when it is right, or a sentence
saying what is not right yet. It never holds a stored final answer to compare
with: it recomputes what the answer must satisfy (a shape, a count, a value
from the formula), so a correct answer reached another way passes too.

Hints come in steps, as a teacher gives them: the first answer that is not
right yet gets the idea, the next one the function or formula to use. The code
itself is never in a hint: it is the worked solution, a collapsed block under
the exercise in the lesson, opened only by the student who wants it.

Feedback keeps its message and hints in English; :meth:`Feedback.to_text`
shows them in the lesson's language (:mod:`tfcourse._language`, whose catalog
``tools/package_catalog.py`` fills from these modules' strings).
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from tfcourse._language import translate, translate_template

Checker = Callable[[Any], "str | None"]

SOLUTION_POINTER = "The worked solution is in the collapsed block under the exercise."


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id ("04.2"), what it asks, its hints in steps and its checker.

    ``hints[0]`` gives the idea; ``hints[1]`` (and any later step) names the
    function, formula or value to use. No hint holds the solution's code.
    """

    id: str
    question: str
    hints: tuple[str, ...]
    checker: Checker

    @property
    def hint(self) -> str:
        """The first hint: the idea."""
        return self.hints[0]


@dataclass(frozen=True)
class Feedback:
    """The result of :func:`tfcourse.check`, shown as a coloured line in a notebook.

    ``status`` is "correct", "not yet" or "unanswered"; ``passed`` is True only
    for "correct". A "not yet" carries the hint for this attempt: ``hint_step``
    counts from 1 and stops at the last hint.
    """

    exercise: Exercise
    status: str
    message: str
    hint_step: int = 0

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    @property
    def hint(self) -> str:
        """The hint shown with this feedback ("" unless the answer is not right yet)."""
        return self.exercise.hints[self.hint_step - 1] if self.hint_step else ""

    def to_text(self) -> str:
        """The feedback as the student reads it, in the lesson's language (``tfc.set_language``)."""
        mark = {"correct": "✔ Correct", "not yet": "✘ Not yet", "unanswered": "… Your turn"}[
            self.status
        ]
        lines = [translate_template("{mark} (exercise {id}): {message}").format(
            mark=translate(mark), id=self.exercise.id, message=translate(self.message))]
        if self.hint_step:
            total = len(self.exercise.hints)
            lines.append(translate_template("Hint {step} of {total}: {hint}").format(
                step=self.hint_step, total=total, hint=translate(self.hint)))
            if self.hint_step == total:
                lines.append(translate(SOLUTION_POINTER))
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
# Answers that were not right yet, per exercise, in this process (this kernel):
# each one earns the next hint step.
_ATTEMPTS: Counter[str] = Counter()


def exercise(exercise_id: str, *, question: str, hints: tuple[str, ...]) -> Callable[[Checker], Checker]:
    """Register ``checker`` as the exercise ``exercise_id`` (decorator).

    ``hints``: at least two steps, the idea first, then the function or
    formula to use.
    """
    if (not isinstance(hints, tuple) or len(hints) < 2
            or not all(isinstance(h, str) and h.strip() for h in hints)):
        raise ValueError(
            f"Exercise {exercise_id!r}: expected hints as a tuple of at least two "
            f"sentences (the idea, then the function to use). Received: {hints!r}."
        )

    def register(checker: Checker) -> Checker:
        if exercise_id in _REGISTRY:
            raise RuntimeError(f"Exercise {exercise_id!r} is registered twice.")
        _REGISTRY[exercise_id] = Exercise(exercise_id, question, hints, checker)
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
    _ATTEMPTS[ex.id] += 1
    return Feedback(ex, "not yet", problem, hint_step=min(_ATTEMPTS[ex.id], len(ex.hints)))
