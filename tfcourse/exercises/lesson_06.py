"""Exercises of lesson 06, training at the speed of the machine.

The counting checkers recompute their answer from the numbers in the question
(images, batch size, steps per execution, layer widths), so a right answer
reached another way passes too. The last exercise is a judgement (which
changes alter what the model learns); its answer follows from what each
option does, spelled out beside it. Its feedback says how many of the chosen
letters are wrong and how many are missing, with the idea behind the answer,
but never names a letter: guessing letters one by one must not give it away.
"""

from __future__ import annotations

import math
from typing import Any

from tfcourse.exercises._answers import number, type_problem, whole_number
from tfcourse.exercises._core import exercise

__all__: list[str] = []  # the exercises register themselves; nothing to import

# Exercise 06.1: a steps_per_execution that does not divide the epoch's steps.
TRAIN_IMAGES_06_1 = 60_000
BATCH_SIZE_06_1 = 32
STEPS_PER_EXECUTION_06_1 = 500

# Exercise 06.2: a wider hidden layer than the lesson's 128.
LAYERS_06_2 = (784, 256, 10)
LESSON_LAYERS = (784, 128, 10)
BACKWARD_FACTOR = 3  # forward + two products of the same size backward
OPERATIONS_PER_MULTIPLY_ADD = 2


def _steps(images: int, batch_size: int) -> int:
    return math.ceil(images / batch_size)


def _calls_per_epoch(images: int, batch_size: int, steps_per_execution: int) -> int:
    """Calls of the compiled function per epoch: the epoch's steps, in groups.

    Example:
        >>> _calls_per_epoch(60_000, 32, 500)  # 1,875 steps in groups of 500
        4
    """
    return math.ceil(_steps(images, batch_size) / steps_per_execution)


@exercise(
    "06.1",
    question=f"fit trains on {TRAIN_IMAGES_06_1:,} images with batch_size={BATCH_SIZE_06_1} and "
    f"compile(..., steps_per_execution={STEPS_PER_EXECUTION_06_1}). How many times per epoch does "
    "Python call the compiled training function?",
    hints=(
        "First count the SGD steps of one epoch (one per batch); then group them: each call "
        "runs up to steps_per_execution of them, and the last call runs whatever is left.",
        "Steps per epoch = ceil(images / batch_size); calls = ceil(steps / steps_per_execution) "
        "(math.ceil rounds up).",
    ),
)
def _calls_per_epoch_checker(answer: Any) -> str | None:
    value, problem = whole_number(answer, what="a number of calls",
                                  why="Python calls the function a whole number of times; the last call may run fewer steps.")
    if problem:
        return problem
    right = _calls_per_epoch(TRAIN_IMAGES_06_1, BATCH_SIZE_06_1, STEPS_PER_EXECUTION_06_1)
    if value == right:
        return None
    steps = _steps(TRAIN_IMAGES_06_1, BATCH_SIZE_06_1)
    if value == steps:
        return (
            f"{steps:,} is the number of steps, one call each without steps_per_execution; "
            f"with it, each call runs up to {STEPS_PER_EXECUTION_06_1} of them."
        )
    if value == steps // STEPS_PER_EXECUTION_06_1:
        left = steps - value * STEPS_PER_EXECUTION_06_1
        return (f"{value} calls of {STEPS_PER_EXECUTION_06_1} run {value * STEPS_PER_EXECUTION_06_1:,} steps; "
                f"the epoch has {left} steps left over: which call runs them?")
    if value == math.ceil(TRAIN_IMAGES_06_1 / STEPS_PER_EXECUTION_06_1):
        return "steps_per_execution counts steps (batches), not images: divide the number of steps by it."
    if value == 1:
        return (
            f"One call per epoch needs steps_per_execution of at least {steps:,} (the epoch's steps); "
            f"here it is {STEPS_PER_EXECUTION_06_1}."
        )
    return f"{value} calls of at most {STEPS_PER_EXECUTION_06_1} steps do not run the epoch's {steps:,} steps exactly once."


def _training_flops(layers: tuple[int, ...], *, factor: int = BACKWARD_FACTOR, per_multiply_add: int = OPERATIONS_PER_MULTIPLY_ADD) -> int:
    """FLOPs to train on one sample, as the lesson counts them.

    Example:
        >>> _training_flops((784, 128, 10))
        609792
    """
    weights = sum(a * b for a, b in zip(layers[:-1], layers[1:]))
    return factor * per_multiply_add * weights


@exercise(
    "06.2",
    question=f"The lesson's network is {'-'.join(map(str, LESSON_LAYERS))}. How many floating-point "
    f"operations does training on ONE image cost for a {'-'.join(map(str, LAYERS_06_2))} network "
    "(forward and backward pass, counted as in the lesson)?",
    hints=(
        "Every weight takes part in one multiply-add per image in the forward pass, and "
        "training adds a backward pass of about twice that work.",
        "FLOPs per image = 3 × 2 × (number of weights), with weights = inputs × units summed "
        "over both layers (biases left out), as section 2 counts them.",
    ),
)
def _training_flops_checker(answer: Any) -> str | None:
    value, problem = number(answer, what="a number of operations")
    if problem:
        return problem
    right = _training_flops(LAYERS_06_2)
    # Rounded answers such as 1.22e6 pass: the count is an estimate anyway.
    if math.isclose(value, right, rel_tol=0.005):
        return None
    if math.isclose(value, _training_flops(LAYERS_06_2, factor=1), rel_tol=0.005):
        return "That is the forward pass only; training adds the backward pass, about twice as much again (3× in all)."
    lesson_network = _training_flops(LESSON_LAYERS)
    if math.isclose(value, lesson_network, rel_tol=0.005):
        # 784-256-10 has twice the weights of 784-128-10: its multiply-adds give the same number.
        return (
            f"{lesson_network:,} is the lesson's {'-'.join(map(str, LESSON_LAYERS))} network, or the "
            f"multiply-adds of the {'-'.join(map(str, LAYERS_06_2))} one; count the wider network, with "
            "2 operations per multiply-add."
        )
    if math.isclose(value, _training_flops(LAYERS_06_2, per_multiply_add=1), rel_tol=0.005):
        return "That counts multiply-adds; each is 2 floating-point operations (a multiply and an add)."
    if math.isclose(value, _training_flops(LAYERS_06_2, factor=2), rel_tol=0.005):
        return "The backward pass makes TWO products the size of the forward one (for the weights and for the inputs): 3× the forward pass."
    hidden, output = LAYERS_06_2[0] * LAYERS_06_2[1], LAYERS_06_2[1] * LAYERS_06_2[2]
    if math.isclose(value, hidden + output, rel_tol=0.005):
        return f"{value:,.0f} is the number of weights; each costs a multiply-add (2 operations) forward, and training is 3× forward."
    return f"{value:,.0f} is not 3 × 2 × (number of weights) for the {'-'.join(map(str, LAYERS_06_2))} network."


# Exercise 06.3: which changes alter what the model learns?
CHANGES_06_3: dict[str, str] = {
    "a": "compile(..., steps_per_execution=100)",
    "b": "compile(..., jit_compile=True)",
    "c": "fit(..., batch_size=64)",
    "d": "x / np.float32(255) instead of x / 255.0",
    "e": "compile(optimizer=keras.optimizers.SGD(learning_rate=0.02), ...)",
    "f": "fit(..., validation_batch_size=1000)",
}
# The letters that change what the model learns, and why (comments, not messages:
# every wrong set gets the same feedback, so no reason is ever shown).
#   a: no, steps_per_execution only runs the same steps, several per call from Python
#   b: no, XLA compiles the same operations: the same step, up to the last digits
#   c: YES, a batch of 64 halves the updates per epoch, each averaging twice the images
#   d: no, Keras casts every batch to float32 before the first layer: the same pixels
#   e: YES, a learning rate of 0.02 makes every update twice as large
#   f: no, validation makes no updates: it scores the same weights in other batch sizes
CHANGES_THE_MATHS_06_3 = {"c", "e"}


def _letters(answer: Any) -> tuple[set[str] | None, str | None]:
    """The chosen letters as a set, from a set, list, tuple or a string such as "ce"."""
    if isinstance(answer, str):
        items = [c for c in answer.lower() if c.isalpha()]
    elif isinstance(answer, (set, frozenset, list, tuple)):
        if not all(isinstance(item, str) for item in answer):
            return None, 'Give letters as text, e.g. {"a", "d"}.'
        items = [item.strip().lower() for item in answer]
    else:
        return None, type_problem('a set of letters such as {"a", "d"}', answer)
    unknown = sorted(set(items) - set(CHANGES_06_3))
    if unknown:
        return None, f"Choose among the letters {', '.join(CHANGES_06_3)}; {', '.join(map(repr, unknown))} is not one of them."
    return set(items), None


@exercise(
    "06.3",
    question="Which of these changes alter what the model learns (its weights after training, "
    "beyond the last digits of rounding)? "
    + "; ".join(f"({k}) {v}" for k, v in CHANGES_06_3.items()),
    hints=(
        "Ask of each: does it change the updates (how many there are, which images each one "
        "averages, how large each is), or only how the same updates are run or scored?",
        "Look back at the lesson's checks: which runs of section 4 kept the same weights or "
        "scores as the plain run, and what did section 3 show about the batch size? For the "
        "learning rate, read the update θ ← θ − learning_rate × gradient.",
    ),
)
def _changes_the_maths(answer: Any) -> str | None:
    chosen, problem = _letters(answer)
    if problem:
        return problem
    if chosen == CHANGES_THE_MATHS_06_3:
        return None
    if not chosen:
        return "Some of these do change what the model learns; choose at least one letter."
    # Every wrong set gets the same words: no letter, no option, no count of right
    # or wrong choices, so trying letters one at a time reveals nothing.
    return "Not this set. " + IDEA_06_3


# What every wrong answer to 06.3 is told, whichever letters it holds.
IDEA_06_3 = (
    "A change alters what is learned only if it changes the updates: how many there are, which "
    "images each one averages, or how large each one is. Put that question to each option in "
    "turn, with what the lesson measured for it."
)
