"""Exercises of lesson 09, saving and loading models.

The checkers recompute what a right answer must satisfy: the size of Adam's
state from the article's model's layer sizes; for a saved file, what is inside it
(opened and loaded here, as a student's later session would); for an
exported SavedModel, its serving endpoint called on fresh images and
compared with the same network computed in NumPy from the weights stored in
the export. Keras and TensorFlow are imported only when a file must be read.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tfcourse.exercises._answers import type_problem, whole_number
from tfcourse.exercises._core import exercise

__all__: list[str] = []  # the exercises register themselves; nothing to import

IMAGE_SHAPE = (28, 28)
PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
HIDDEN_UNITS = 128
CLASSES = 10

# Exercise 09.1: Adam keeps two running averages (momentum, velocity) per weight.
ADAM_SLOTS_PER_WEIGHT = 2
ADAM_SCALARS = 2  # the iteration counter and the learning rate

# Exercise 09.2: a smaller model of the student's own, saved to train on later.
HIDDEN_UNITS_09_2 = 64


def _seed_params(hidden: int = HIDDEN_UNITS) -> int:
    """Weights plus biases of the Flatten-Dense(hidden)-Dense(10) model."""
    return (PIXELS * hidden + hidden) + (hidden * CLASSES + CLASSES)


@exercise(
    "09.1",
    question="The article's model (784-128-10) is compiled with optimizer=\"adam\" and trained. "
    "Adam keeps, for every trainable weight, two running averages of the same shape "
    "(momentum and velocity). How many numbers do those running averages hold in "
    "the saved .keras file?",
    hints=(
        "A running average has the shape of the weight it follows, so one running average "
        "for every weight of the model holds as many numbers as the model has parameters.",
        "model.count_params() (or the layer formula of lesson 04) counts one copy; Adam keeps "
        "two. The iteration counter and the learning rate are not running averages.",
    ),
)
def _adam_state_size(answer: Any) -> str | None:
    count, problem = whole_number(answer, what="a count", why="a count of numbers is whole.")
    if problem:
        return problem
    params = _seed_params()
    right = ADAM_SLOTS_PER_WEIGHT * params
    if count == right:
        return None
    if count == params:
        return (f"{count:,} is one running average ({params:,} numbers, like the weights); "
                f"Adam keeps {ADAM_SLOTS_PER_WEIGHT} per weight.")
    if count == right + ADAM_SCALARS:
        return ("That counts the iteration counter and the learning rate too; the question "
                "asks only for the running averages.")
    if count in (right + params, right + params + ADAM_SCALARS):
        return "That adds the weights themselves; count only Adam's running averages."
    tensors = 2 * ADAM_SLOTS_PER_WEIGHT  # two Dense layers, a kernel and a bias each
    if count in (tensors, tensors * ADAM_SLOTS_PER_WEIGHT, tensors * ADAM_SLOTS_PER_WEIGHT + ADAM_SCALARS):
        return (f"{count} counts tensors (arrays); the question asks how many numbers "
                "they hold, like a parameter count.")
    if count == ADAM_SLOTS_PER_WEIGHT * (PIXELS * HIDDEN_UNITS + HIDDEN_UNITS * CLASSES):
        return "Biases get running averages too, not only the kernels."
    if count in (0, ADAM_SCALARS):
        return "Plain SGD keeps (almost) nothing per weight; Adam keeps two running averages per weight."
    return (f"{count:,} is not two running averages of the article's model's "
            f"{params:,} parameters.")


def _path_of(answer: Any) -> tuple[Path | None, str | None]:
    """The answer as a Path, or why it is not a file path."""
    if isinstance(answer, (str, os.PathLike)):
        return Path(answer), None
    import keras

    if isinstance(answer, keras.Model):
        return None, ("That is the model itself; the answer is the path of the file you "
                      "saved it to, e.g. answer = model_path.")
    return None, type_problem("a file path (a string or a pathlib.Path)", answer)


def _dense_units(model: Any) -> list[int]:
    import keras

    return [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)]


@exercise(
    "09.2",
    question=f"Build the article's model with {HIDDEN_UNITS_09_2} hidden units instead of "
    f"{HIDDEN_UNITS}, compile it, train it for one epoch, and save it so that a later "
    "session can continue training exactly where it stopped. The answer is the path of "
    "the saved file.",
    hints=(
        "Continuing later needs three things in the file: the architecture, the weights and "
        "the optimizer's state. Only one of the lesson's formats keeps all three.",
        "Build with build_article_model(64), compile and fit it, then model.save(path) with a path "
        "ending in .keras (a weights-only file or an export would not do).",
    ),
)
def _saved_to_continue_training(answer: Any) -> str | None:
    path, problem = _path_of(answer)
    if problem:
        return problem
    if not path.exists():
        return (f"There is no file at {str(path)!r}. Save the model first, and check it "
                "before its temporary folder is deleted.")
    if path.is_dir():
        return ("That is a folder, as model.export writes: a SavedModel for serving, which "
                "cannot be trained further in Keras. Save with model.save('....keras').")
    name = path.name
    if name.endswith(".weights.h5"):
        return ("A .weights.h5 file holds only the weights: no architecture, no optimizer "
                "state. Save the whole model with model.save('....keras').")
    if name.endswith(".h5"):
        return "That is the legacy HDF5 format; Keras 3's native format is .keras."
    if not name.endswith(".keras"):
        return f"Expected a file ending in .keras. Received: {name!r}."
    if not zipfile.is_zipfile(path):
        return f"{name} is not a .keras archive (a zip file); write it with model.save(path)."
    with zipfile.ZipFile(path) as archive:
        members = set(archive.namelist())
    missing = {"config.json", "model.weights.h5"} - members
    if missing:
        return f"The archive lacks {', '.join(sorted(missing))}: write it with model.save(path)."

    import keras

    try:
        model = keras.saving.load_model(path)
    except Exception as err:  # a student's custom objects, a broken file
        return f"keras.saving.load_model could not read it: {type(err).__name__}: {err}"
    if not model.inputs or tuple(model.inputs[0].shape[1:]) != IMAGE_SHAPE:
        shape = tuple(model.inputs[0].shape[1:]) if model.inputs else None
        return f"The saved model should take 28×28 images, keras.Input(shape={IMAGE_SHAPE}); it takes {shape}."
    units = _dense_units(model)
    if units != [HIDDEN_UNITS_09_2, CLASSES]:
        return (f"The saved model's Dense layers have {units} units; the exercise asks for "
                f"[{HIDDEN_UNITS_09_2}, {CLASSES}].")
    if not model.compiled or model.optimizer is None:
        return ("The model was saved before compile: it has no optimizer to continue with. "
                "Compile and train, then save.")
    steps = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    if steps == 0:
        return "Its optimizer has taken 0 steps: train the model (fit) before saving it."
    return None


def _serving_inputs() -> np.ndarray:
    """A blank image, a full one and a few random ones, as raw bytes 0-255."""
    rng = np.random.default_rng(9)
    images = rng.integers(0, 256, size=(4, *IMAGE_SHAPE), dtype=np.uint8)
    return np.concatenate([np.zeros((1, *IMAGE_SHAPE), np.uint8),
                           np.full((1, *IMAGE_SHAPE), 255, np.uint8), images])


def _seed_forward(images: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """Softmax(relu(flat(images) @ W1 + b1) @ W2 + b2), in float64."""
    kernel_1, bias_1, kernel_2, bias_2 = (w.astype(np.float64) for w in weights)
    flat = images.reshape(len(images), -1).astype(np.float64)
    logits = np.maximum(0, flat @ kernel_1 + bias_1) @ kernel_2 + bias_2
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def _seed_weights(variables: list[Any]) -> list[np.ndarray] | None:
    """The four tensors of the article's model among an export's variables, in order, or None."""
    arrays = [np.asarray(v.numpy()) for v in variables]
    for i, kernel in enumerate(arrays):
        if kernel.shape[:1] != (PIXELS,) or kernel.ndim != 2:
            continue
        hidden = kernel.shape[1]
        rest = arrays[i + 1:]
        wanted = [(hidden,), (hidden, CLASSES), (CLASSES,)]
        found = []
        for array in rest:
            if len(found) < 3 and array.shape == wanted[len(found)]:
                found.append(array)
        if len(found) == 3:
            return [kernel, *found]
    return None


@exercise(
    "09.3",
    question="A phone app will send raw 28×28 images as bytes (uint8, 0-255). Export the "
    "lesson's trained model for serving so that its 'serve' endpoint takes those raw "
    "images and divides by 255 itself. The answer is the export's folder.",
    hints=(
        "The division by 255 must move from your notebook into the exported model, as a "
        "layer in front of the trained ones, and the model's input must be declared as bytes.",
        "keras.Input(shape=(28, 28), dtype=\"uint8\") declares bytes; "
        "keras.layers.Rescaling(1 / 255) divides inside a model.",
        "Put those two in a new keras.Sequential, followed by the trained layers "
        "(*model.layers), and call its export(folder).",
    ),
)
def _exported_for_raw_images(answer: Any) -> str | None:
    path, problem = _path_of(answer)
    if problem:
        return problem
    if not path.exists():
        return (f"There is no export at {str(path)!r}. Export the model first, and check it "
                "before its temporary folder is deleted.")
    if path.is_file():
        return (f"{path.name} is a file; model.export(path) writes a folder (a SavedModel) "
                "for serving.")
    if not (path / "saved_model.pb").exists():
        return "That folder holds no saved_model.pb: write it with model.export(path)."

    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    signature = loaded.signatures.get("serving_default")
    if signature is None or not hasattr(loaded, "serve"):
        return "The export has no 'serve' endpoint: write it with model.export(path)."
    specs = list(signature.structured_input_signature[1].values())
    if len(specs) != 1:
        return f"The endpoint should take one input, the images; it takes {len(specs)}."
    spec = specs[0]
    if tuple(spec.shape[1:]) != IMAGE_SHAPE:
        return f"The endpoint should take 28×28 images; it takes shape {tuple(spec.shape)}."
    if spec.dtype != tf.uint8:
        return (f"The endpoint takes {spec.dtype.name} values; raw images are uint8 bytes, "
                "and the exported model's input must say so.")
    images = _serving_inputs()
    served = np.asarray(loaded.serve(tf.constant(images)))
    if served.shape != (len(images), CLASSES):
        return f"The endpoint should return {CLASSES} probabilities per image; it returns shape {served.shape}."
    weights = _seed_weights(list(getattr(loaded, "variables", [])))
    if weights is None:
        return "The export does not hold the article's model's weights (784×h kernel, then h, h×10, 10)."
    scaled = _seed_forward(images / 255.0, weights)
    if np.allclose(served, scaled, atol=1e-4):
        return None
    if np.allclose(served, _seed_forward(images.astype(np.float64), weights), atol=1e-4):
        return ("The endpoint feeds the raw 0-255 values to the network: the exported model "
                "must divide them by 255 itself, before its first trained layer.")
    return "The endpoint's outputs are not the article's model's predictions on the images divided by 255."
