"""Exercises of lesson 01 · TensorFlow at a glance.

The layers come from the drawing itself (:mod:`tfcourse.diagrams`), and the
device is read from a tensor made at checking time, so the checks follow the
picture and the machine rather than a stored answer.
"""

from __future__ import annotations

import re
from typing import Any

from tfcourse.diagrams import LAYER_NAMES, layer_of
from tfcourse.exercises._core import exercise

# What exercise 01.1 asks about, each with the drawn box that stands for it
# (the answer is the layer holding that box) and a nudge for a wrong answer.
WHERE_THINGS_LIVE: dict[str, tuple[str, str]] = {
    "tf.matmul": (
        "tf.Tensor",
        "you call it from Python with tf.Tensors; it wraps a C++ op but is not one itself.",
    ),
    "the MatMul kernel": (
        "kernels",
        "a kernel is the compiled code that does the arithmetic. What language is it written in?",
    ),
    "keras.layers.Dense": (
        "Keras 3",
        "it is a ready-made building block you stack into a model.",
    ),
    "AMD GPU": (
        "AMD GPU",
        "it is hardware; AMD's ROCm build of TensorFlow runs kernels on it.",
    ),
}

# Words that name a layer, so "C++", "core" or "Keras level" all count.
_LAYER_WORDS: dict[str, tuple[str, ...]] = {
    "devices": ("device", "hardware"),
    "C++ core": ("c++", "cpp", "core"),
    "low-level Python API": ("low",),
    "high-level API": ("high", "keras"),
}


def layer_named(text: str) -> str | None:
    """The layer a student's words name, or None when they name none or several."""
    words = text.strip().lower()
    hits = {name for name, keys in _LAYER_WORDS.items() if any(key in words for key in keys)}
    return hits.pop() if len(hits) == 1 else None


def _listed_layers() -> str:
    return ", ".join(repr(name) for name in LAYER_NAMES)


@exercise(
    "01.1",
    question=(
        "In which layer of the stack does each of these live: tf.matmul, "
        "the MatMul kernel, keras.layers.Dense, an AMD GPU? Answer with a dict "
        "from each of the four to a layer name."
    ),
    hints=(
        "Read the diagram from the bottom: devices, C++ core, low-level Python API, "
        "high-level API. What you call from Python sits above what does the arithmetic.",
        "Ask of each thing: is it hardware, compiled code that does the arithmetic, "
        "a Python function you call on tensors, or a ready-made building block for models? "
        "Those are the four layers, bottom to top.",
    ),
)
def _where_things_live(answer: Any) -> str | None:
    if not isinstance(answer, dict):
        example = "{'tf.matmul': 'low-level Python API', ...}"
        return (f"expected a dict such as {example} with the four things as keys; "
                f"got a {type(answer).__name__}.")
    given = {str(key).strip().lower(): value for key, value in answer.items()}
    missing = [thing for thing in WHERE_THINGS_LIVE if thing.lower() not in given]
    if missing:
        return f"the dict has no entry for {', '.join(repr(m) for m in missing)}."
    problems = []
    for thing, (drawn_as, nudge) in WHERE_THINGS_LIVE.items():
        value = given[thing.lower()]
        if value is Ellipsis:
            problems.append(f"{thing!r} still holds ...")
            continue
        chosen = layer_named(value) if isinstance(value, str) else None
        if chosen is None:
            problems.append(f"{thing!r}: {value!r} is not one layer name (use one of {_listed_layers()})")
        elif chosen != layer_of(drawn_as):
            problems.append(f"{thing!r} is not in the {chosen}: {nudge}")
    if problems:
        return "; ".join(problems) + "."
    return None


def device_type_named(answer: str) -> str:
    """A device type from "CPU", "gpu", "/GPU:0" or a full device string."""
    text = answer.strip()
    if "device:" in text.lower() or text.startswith("/"):
        import tensorflow as tf

        try:
            return (tf.DeviceSpec.from_string(text).device_type or "").upper()
        except ValueError:
            return ""  # not a device string at all
    return re.sub(r":\d+$", "", text).upper()


@exercise(
    "01.2",
    question=(
        "On this run, what type of device holds tf.constant([[1, 2], [3, 4]])? "
        "Answer with a string such as 'CPU' or 'GPU', read from the tensor."
    ),
    hints=(
        "The tensor itself knows where it lives: make it and ask it, rather than guessing "
        "from your machine.",
        "A tensor's .device is a string ending in 'device:<TYPE>:<number>'; "
        "tf.DeviceSpec.from_string reads such a string, and its .device_type is the type.",
    ),
)
def _constant_device(answer: Any) -> str | None:
    if hasattr(answer, "device") and not isinstance(answer, str):
        return ("that is the tensor itself; answer with its device type as a string, "
                "such as 'CPU'.")
    if not isinstance(answer, str):
        return f"expected a string such as 'CPU' or 'GPU'; got a {type(answer).__name__}."
    import tensorflow as tf

    from tfcourse.env import device_type

    # Made here, now, so the check holds on every machine (GPU or not).
    actual = device_type(tf.constant([[1, 2], [3, 4]]))
    given = device_type_named(answer)
    if given == actual:
        return None
    if not given:
        return f"{answer!r} names no device type; expected something like 'CPU' or 'GPU'."
    return (f"on this run the tensor is not on a {given}. Don't guess from the machine: "
            "read the tensor's .device.")


def _api_words(answer: str) -> str:
    text = answer.strip().lower()
    text = re.sub(r"^tf\.", "", text)
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    words = [w for w in text.split() if w not in {"the", "api", "apis", "tf", "tensorflow"}]
    # "Estimators" and "estimator" name the same API.
    return " ".join(w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words)


@exercise(
    "01.3",
    question=(
        "Which of TensorFlow's two high-level APIs of 2019 is no longer in "
        "TensorFlow since version 2.16? Answer with its name as a string."
    ),
    hints=(
        "TensorFlow had two high-level APIs in 2019; the diagram draws the one that is gone "
        "greyed and struck through.",
        "hasattr(tf, name) tells you whether TensorFlow still has a module of that name: "
        "try it with the lower-case names of both APIs.",
    ),
)
def _removed_api(answer: Any) -> str | None:
    from tfcourse.diagrams import REMOVED_ITEMS

    if not isinstance(answer, str):
        return f"expected the API's name as a string; got a {type(answer).__name__}."
    words = _api_words(answer)
    # The removed API is the one the diagram strikes through, e.g. "Estimator API".
    removed = {_api_words(item) for item in REMOVED_ITEMS}
    if words in removed:
        return None
    if "kera" in words:
        return ("Keras is alive and well: since TF 2.16 tf.keras *is* Keras 3. "
                "Which was the other high-level API?")
    if words in {"contrib", "session", "placeholder"}:
        return (f"{answer!r} went away earlier, with TensorFlow 2.0 in 2019. "
                "The question asks about the high-level API removed in 2.16.")
    return f"{answer!r} is not the API removed in TF 2.16."
