"""How fast does the article's Fashion-MNIST/MNIST script train here, where does each gain come from, and what does a student wait for?

    python benchmarks/train_speed.py                       # 5 epochs, 3 repeats, 11 configurations: ~15 minutes
    python benchmarks/train_speed.py --epochs 2 --repeats 1 --configs article,fit,loop   # a quick look
    python benchmarks/train_speed.py --json > speed.json   # every figure and every run as one JSON object
    python benchmarks/train_speed.py --seed 7              # the same order of configurations as a run with seed 7
    python benchmarks/train_speed.py --tables-from speed.json   # the tables of a saved run, again

The same network (784-128-10, SGD at learning rate 0.01, batches of 32, a new
random order every epoch) is trained several ways, each run in a fresh Python
process, all of them in every repeat, in an order shuffled anew for each
repeat from ``--seed`` (printed), so that a busy moment of the machine does
not always hit the same configuration. Every epoch is a whole epoch as the
article runs it: training, then validation on the test set, with the progress
shown; after the last epoch, the test set is evaluated once more, as the
article's script ends with ``model.evaluate``.

Three views of every run, side by side:

- **steady epochs**: the median epoch after the first (over all repeats):
  the speed of training once everything is traced and compiled;
- **all epochs**: the time from calling ``fit`` (or the first epoch of the
  loop, the training tensors made) to the end of the last epoch, the first
  epoch included: tracing the step into a graph and XLA's compilation, paid
  once per process;
- **whole process**: from starting the Python process to trained and
  evaluated: the interpreter, ``import tensorflow``, reading the data,
  building the model, all epochs, ``evaluate``. What a student who runs the
  script waits for. (Timed from the parent, which starts each run, to the
  moment the run reports it has evaluated; the accuracy check that follows
  is not counted.)

The configurations. The chain (a) to (h) goes from the article's script to
the course's fastest ``fit``, one change at a time, each added to the row
above it, so that each row's gain is that one change's:

(a) ``article``: the article's script as it is: ``x / 255.0`` (float64),
    ``Sequential`` of ``Flatten``, ``Dense(128, relu)``, ``Dense(10, softmax)``,
    ``compile("sgd", "sparse_categorical_crossentropy", ["accuracy"])``,
    ``fit(x_train, y_train, epochs=5, validation_data=(x_test, y_test))``
    (``verbose=1``: its standard output is a pseudo-terminal, so Keras draws
    the live progress bar at every step, as for a student in a terminal), then
    ``evaluate(x_test, y_test)``; TensorFlow's default threads.
(b) ``float32``: ``x / np.float32(255)``: the same float32 values, half the bytes.
(c) ``val-batch``: ``validation_batch_size=1000`` (and ``evaluate`` in batches
    of 1,000): validation makes no updates, so its batch size is free.
(d) ``verbose2``: ``verbose=2``: one line of progress per epoch instead of a
    bar redrawn at every step.
(e) ``threads``: one thread per operation
    (``tf.config.threading.set_intra_op_parallelism_threads(1)``, before any op):
    a batch of 32 is too small to share between cores.
(f) ``steps``: ``steps_per_execution`` = the steps of an epoch: Python calls
    the training function once per epoch.
(g) ``xla``: ``jit_compile=True``: XLA compiles the step.
(h) ``fit``: the batches from ``tfc.shuffled_batches`` (one ``tf.data``
    pipeline for the whole training, a new order every epoch, prefetched):
    the course's fastest ``fit``, as lesson 06 builds it.

And beside the chain:

(a1) ``article-1thread``: (a) with one thread per operation, the thread
     setting of (e)-(h) and of the loop.
(h+) ``fit+live``: (h) with ``tfc.LiveCurves`` (text to a buffer), whose own
     time is measured inside the callback.
(L)  ``loop``: lesson 06's hand-written network (four ``tf.Variable``s,
     Glorot-uniform start, cross-entropy from logits, ``assign_sub`` SGD) with a
     whole epoch as ONE XLA-compiled ``tf.while_loop`` (``tfc.epoch_loop``,
     compiled once, reused every epoch without retracing); the pixels stay
     uint8 and are scaled inside the compiled step; validation is one call of
     a plain ``tf.function`` (not XLA: one large product gains nothing from
     it, and its compilation would cost the first epoch); a line per epoch.

Every run's peak memory (``ru_maxrss``) is its own. Accuracy is measured
after the timed part, the same way for all (a NumPy forward pass over the
whole training and test sets with the trained weights).

A second set of tables: training alone (each epoch's validation taken off)
against the machine's ceiling: the float32 FLOP/s of a 2048x2048 matrix
product (best of several, in this same run) divided by the FLOPs of training
on one image, 3 x 2 x (784x128 + 128x10) = 609,792.

Data: full MNIST where Keras's cache has it; else Fashion-MNIST from the Debian
package ``dataset-fashion-mnist`` (/usr/share/datasets/fashion-mnist, same
shapes and size); else the 10,000 MNIST test images split 8,000/2,000
(``$TFCOURSE_DATA_DIR``). The header says which, with the machine and its load
average before and after the run: ratios measured side by side in one run are
the figures to quote, not absolute times.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

LAYERS = (784, 128, 10)
BATCH_SIZE = 32
LEARNING_RATE = 0.01  # SGD's default, what the article's "sgd" means
# Validation makes no updates, so its batch size is not part of the maths: bigger
# batches, fewer steps, the same loss and accuracy (to float rounding).
VALIDATION_BATCH_SIZE = 1000
MATMUL_SIZE = 2048
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
# The 10,000 MNIST test images that the course's CI machines keep beside the checkout.
SHARED_MNIST_TEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"


@dataclass(frozen=True)
class Config:
    """One way to train: what differs from the article's script."""

    label: str
    title: str
    float32: bool = False
    validation_batch: bool = False
    verbose: int = 1
    one_thread: bool = False
    steps_per_epoch_call: bool = False
    xla: bool = False
    pipeline: bool = False
    live: bool = False
    loop: bool = False


_ARTICLE = Config("(a)", "the article's script")
_FLOAT32 = Config("(b)", "+ x / np.float32(255)", float32=True)
_VAL = Config("(c)", "+ validation_batch_size=1000", float32=True, validation_batch=True)
_VERBOSE = Config("(d)", "+ verbose=2 (a line per epoch)", float32=True, validation_batch=True, verbose=2)
_THREADS = Config("(e)", "+ one thread per operation", float32=True, validation_batch=True, verbose=2, one_thread=True)
_STEPS = Config("(f)", "+ steps_per_execution=epoch", float32=True, validation_batch=True, verbose=2,
                one_thread=True, steps_per_epoch_call=True)
_XLA = Config("(g)", "+ jit_compile=True (XLA)", float32=True, validation_batch=True, verbose=2,
              one_thread=True, steps_per_epoch_call=True, xla=True)
_FIT = Config("(h)", "+ tfc.shuffled_batches: course's fit", float32=True, validation_batch=True, verbose=2,
              one_thread=True, steps_per_epoch_call=True, xla=True, pipeline=True)
CONFIGS: dict[str, Config] = {
    "article": _ARTICLE,
    "article-1thread": Config("(a1)", "the article's script, one thread/op", one_thread=True),
    "float32": _FLOAT32,
    "val-batch": _VAL,
    "verbose2": _VERBOSE,
    "threads": _THREADS,
    "steps": _STEPS,
    "xla": _XLA,
    "fit": _FIT,
    "fit+live": Config("(h+)", "course's fit + tfc.LiveCurves", **{
        **{k: v for k, v in asdict(_FIT).items() if k not in ("label", "title")}, "live": True}),
    "loop": Config("(L)", "hand loop: tfc.epoch_loop (XLA)", one_thread=True, verbose=2, loop=True),
}
# From the article's script to the course's fastest fit, one change per row.
CHAIN = ("article", "float32", "val-batch", "verbose2", "threads", "steps", "xla", "fit")
# The goals of this benchmark (issue 5/7), on the all-epochs view: what a student
# running the 5 epochs waits for in training, the first epoch's compilation included.
TARGETS = {"fit": 4.0, "loop": 10.0}
LIVE_WITHIN = 0.05
# The chain until (g) trains on the same batches as the article: same maths, rounding apart.
ACCURACY_WITHIN = {
    **{name: 0.005 for name in CHAIN[1:] if name != "fit"},
    "article-1thread": 0.005, "fit": 0.005, "fit+live": 0.005, "loop": 0.01,
}


# --- data ----------------------------------------------------------------------


def choose_data(requested: str) -> str:
    """Which data set to train on: 'mnist', 'fashion' or 'mnist-test' (the 8,000/2,000 split)."""
    import tfcourse as tfc

    if requested != "auto":
        return requested
    try:
        source = tfc.data_source("mnist")
    except tfc.DataUnavailableError:
        source = None
    if source is not None and source.kind != "download" and not source.test_split:
        return "mnist"
    if DEBIAN_FASHION.is_dir():
        return "fashion"
    return "mnist-test"


def load(kind: str):
    """(x_train, y_train), (x_test, y_test) as uint8, like Keras, and a one-line description."""
    import warnings

    import tfcourse as tfc

    if kind == "mnist":
        source = tfc.data_source("mnist")
        data = tfc.load_mnist()
        name = f"MNIST ({source.kind}: {source.path})"
    elif kind == "fashion":
        data = tfc.load_fashion_mnist(data_dir=DEBIAN_FASHION)
        name = f"Fashion-MNIST ({DEBIAN_FASHION}), same shapes as MNIST"
    else:
        with warnings.catch_warnings():
            # The benchmark says it in its table; the warning would repeat in every worker.
            warnings.simplefilter("ignore", tfc.TestSetSplitWarning)
            folder = os.environ.get("TFCOURSE_DATA_DIR") or SHARED_MNIST_TEST
            data = tfc.load_mnist(data_dir=folder)
        name = f"MNIST test set ({folder}) split 8,000 train / 2,000 test"
    (x_train, _), (x_test, _) = data
    return data, f"{name}: {len(x_train):,} training, {len(x_test):,} test images"


# --- one configuration, in its own process ---------------------------------------


def accuracy(weights, x, y) -> float:
    """Accuracy of the 784-128-10 network with these (kernel, bias, kernel, bias) on uint8 images x."""
    import numpy as np

    w1, b1, w2, b2 = (np.asarray(w, dtype=np.float32) for w in weights)
    correct = 0
    for start in range(0, len(x), 10_000):  # in chunks: no 60,000 x 128 float copy at once
        batch = x[start : start + 10_000].reshape(-1, 784).astype(np.float32) / np.float32(255)
        logits = np.maximum(batch @ w1 + b1, 0) @ w2 + b2
        correct += int(np.sum(logits.argmax(axis=1) == y[start : start + 10_000]))
    return correct / len(x)


def run_worker(name: str, data_kind: str, epochs: int, seed: int, intra_threads: int = 1) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import resource

    import numpy as np

    config = CONFIGS[name]
    (x_train_raw, y_train), (x_test_raw, y_test) = load(data_kind)[0]
    import tensorflow as tf
    import keras

    import tfcourse as tfc

    if config.one_thread and intra_threads:
        # Before any op runs: the pools are created with the first op.
        tf.config.threading.set_intra_op_parallelism_threads(intra_threads)
    keras.utils.set_random_seed(seed)
    num_train = len(x_train_raw)
    steps_per_epoch = -(-num_train // BATCH_SIZE)
    epoch_ends: list[float] = []
    validation_seconds: list[float] = []
    callback_seconds: list[float] = []

    def timed(method, slot):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                callback_seconds[slot] += time.perf_counter() - start

        return wrapper

    if config.loop:
        def glorot_uniform(fan_in, fan_out):
            limit = (6 / (fan_in + fan_out)) ** 0.5
            return tf.random.uniform((fan_in, fan_out), minval=-limit, maxval=limit)

        params = [
            tf.Variable(glorot_uniform(784, 128)),
            tf.Variable(tf.zeros(128)),
            tf.Variable(glorot_uniform(128, 10)),
            tf.Variable(tf.zeros(10)),
        ]
        w1, b1, w2, b2 = params

        def loss_and_accuracy(pixels, y):
            # x / np.float32(255) but for the last bit: XLA multiplies by 1/255 instead.
            x = tf.cast(pixels, tf.float32) / 255.0
            logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            accuracy = tf.reduce_mean(tf.cast(tf.argmax(logits, axis=1, output_type=tf.int32) == y, tf.float32))
            return loss, accuracy

        def train_step(x, y):
            with tf.GradientTape() as tape:
                loss, accuracy = loss_and_accuracy(x, y)
            for variable, gradient in zip(params, tape.gradient(loss, params)):
                variable.assign_sub(LEARNING_RATE * gradient)
            return {"loss": loss, "accuracy": accuracy}

        # fit's validation_data, by hand: the test set through the network in one call.
        # A plain tf.function: one large product gains nothing from XLA, and compiling
        # it would cost the first epoch a quarter of a second.
        validate = tf.function(loss_and_accuracy)
        run_epoch = tfc.epoch_loop(train_step, batch_size=BATCH_SIZE, seed=seed)
        start = time.perf_counter()
        # The pixels stay uint8 in memory, a quarter of the bytes of float32, and are
        # scaled inside the compiled step, where XLA fuses it into reading the batch.
        x_train = tf.constant(x_train_raw.reshape(-1, 784))
        y_train_t = tf.constant(y_train.astype(np.int32))
        x_test = tf.constant(x_test_raw.reshape(-1, 784))
        y_test_t = tf.constant(y_test.astype(np.int32))
        for epoch in range(epochs):
            logs = run_epoch(x_train, y_train_t)  # returns floats: the epoch is finished
            validation_start = time.perf_counter()
            val_loss, val_accuracy = (float(v) for v in validate(x_test, y_test_t))
            validation_seconds.append(time.perf_counter() - validation_start)
            # A hand-written loop's progress: one line per epoch, as fit's verbose=2.
            print(
                f"Epoch {epoch + 1}/{epochs} - accuracy: {logs['accuracy']:.4f} - loss: {logs['loss']:.4f} - "
                f"val_accuracy: {val_accuracy:.4f} - val_loss: {val_loss:.4f}",
                flush=True,
            )
            epoch_ends.append(time.perf_counter())
        fit_returned = time.perf_counter()  # nothing happens between the last epoch and here
        test_loss, test_accuracy = (float(v) for v in validate(x_test, y_test_t))  # the article's evaluate
        print(f"evaluate - accuracy: {test_accuracy:.4f} - loss: {test_loss:.4f}", flush=True)
        evaluated_at = time.time()
        weights = [v.numpy() for v in params]
        input_dtype = x_train.dtype.name
    else:
        if config.float32:
            x_train, x_test = x_train_raw / np.float32(255), x_test_raw / np.float32(255)
        else:
            x_train, x_test = x_train_raw / 255.0, x_test_raw / 255.0  # the article's float64
        model = keras.Sequential(
            [
                keras.Input(shape=(28, 28)),
                keras.layers.Flatten(),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )

        class EpochClock(keras.callbacks.Callback):
            """Notes when each epoch ends and how long its validation took."""

            def on_test_begin(self, logs=None):
                self.validation_start = time.perf_counter()

            def on_test_end(self, logs=None):
                validation_seconds.append(time.perf_counter() - self.validation_start)

            def on_epoch_end(self, epoch, logs=None):
                epoch_ends.append(time.perf_counter())

        compile_options = {}
        if config.steps_per_epoch_call:
            compile_options["steps_per_execution"] = steps_per_epoch  # a whole epoch per call
        if config.xla:
            compile_options["jit_compile"] = True
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"], **compile_options)
        callbacks = []
        if config.live:
            import io

            from tfcourse.live import TextOutput

            live = tfc.LiveCurves(output=TextOutput(file=io.StringIO()))
            callbacks.append(live)
            # The callback's own cost, measured inside it: on a shared machine the
            # difference between whole epochs of (h) and (h+) is mostly noise.
            for hook in ("on_epoch_end", "on_train_end"):
                callback_seconds.append(0.0)
                setattr(live, hook, timed(getattr(live, hook), len(callback_seconds) - 1))
        callbacks.append(EpochClock())  # last: its time includes the other callbacks' work
        validation_batch = VALIDATION_BATCH_SIZE if config.validation_batch else None
        start = time.perf_counter()
        if config.pipeline:
            training_data = {
                "x": tfc.shuffled_batches(x_train, y_train, batch_size=BATCH_SIZE),
                "steps_per_epoch": steps_per_epoch,  # the pipeline never ends
                "shuffle": False,  # it shuffles itself, a new order every epoch
            }
        else:
            training_data = {"x": x_train, "y": y_train, "batch_size": BATCH_SIZE}
        model.fit(
            **training_data, epochs=epochs, verbose=config.verbose, validation_data=(x_test, y_test),
            validation_batch_size=validation_batch, callbacks=callbacks,
        )
        # fit returns after its last epoch has ended: what it does then (letting go of
        # its data pipeline) counts in the whole process, not in the epochs.
        fit_returned = time.perf_counter()
        model.evaluate(x_test, y_test, batch_size=validation_batch, verbose=config.verbose)
        evaluated_at = time.time()
        weights = model.get_weights()
        input_dtype = x_train.dtype.name

    epoch_seconds = np.diff([start, *epoch_ends]).tolist()
    if len(validation_seconds) != len(epoch_seconds):
        raise RuntimeError(f"{name}: {len(epoch_seconds)} epochs but {len(validation_seconds)} validations timed")
    training_seconds = [whole - validation for whole, validation in zip(epoch_seconds, validation_seconds)]
    steady = epoch_seconds[1:] or epoch_seconds
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {
        "config": name,
        "seed": seed,
        "num_samples": num_train,
        "epoch_seconds": epoch_seconds,
        "all_epochs_seconds": sum(epoch_seconds),
        "after_last_epoch_seconds": fit_returned - epoch_ends[-1],
        "validation_seconds": validation_seconds,
        "training_seconds": training_seconds,
        "steady_epoch_seconds": statistics.median(steady),
        "samples_per_second": num_train / statistics.median(steady),
        "evaluated_at": evaluated_at,  # time.time(): the parent turns it into the whole-process time
        "train_accuracy": accuracy(weights, x_train_raw, y_train),
        "test_accuracy": accuracy(weights, x_test_raw, y_test),
        "peak_rss_mb": peak_kb / 1024,
        "input_dtype": input_dtype,
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "callback_seconds_per_epoch": sum(callback_seconds) / epochs if callback_seconds else None,
    }


def run_flops_worker(intra_threads: int = 0) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    import tfcourse as tfc

    if intra_threads:
        tf.config.threading.set_intra_op_parallelism_threads(intra_threads)

    return {"matmul_flops_per_second": tfc.matmul_flops_per_second(MATMUL_SIZE, repeats=5)}


# --- the run: workers, in a shuffled order -------------------------------------------


def in_fresh_process(args: list[str]) -> dict:
    """Run this script as a worker in a new Python process; its result comes back through a file.

    The worker's standard output is a pseudo-terminal, as when a student runs
    the article's script in a terminal: Keras then draws its live progress bar,
    and the bar's cost is part of what is measured. (Without a terminal, on
    Windows, it goes nowhere and Keras prints one line per epoch.) The result
    gains ``process_seconds``: from just before the process starts to the
    moment the worker noted ``evaluated_at``.
    """
    import tempfile
    import threading

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    with tempfile.TemporaryDirectory() as folder:
        result_file = Path(folder) / "result.json"
        command = [sys.executable, os.path.abspath(__file__), *args, "--result", str(result_file)]
        try:
            import pty

            terminal, worker_end = pty.openpty()
        except (ImportError, OSError):
            terminal, worker_end = None, subprocess.DEVNULL
        started = time.time()
        process = subprocess.Popen(command, stdout=worker_end, stderr=subprocess.PIPE, text=True, env=env)
        if terminal is not None:
            os.close(worker_end)
            # Read (and drop) what the worker draws, or it would block on a full terminal.
            threading.Thread(target=_drain, args=(terminal,), daemon=True).start()
        _, stderr = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"worker {args} failed:\n{stderr[-3000:]}")
        result = json.loads(result_file.read_text())
    if "evaluated_at" in result:
        result["process_seconds"] = result["evaluated_at"] - started
        # The rest: the interpreter, imports (TensorFlow's), data, model, fit's return, evaluate.
        result["outside_epochs_seconds"] = result["process_seconds"] - result["all_epochs_seconds"]
    return result


def _drain(terminal: int) -> None:
    try:
        while os.read(terminal, 65536):
            pass
    except OSError:  # the worker has exited and closed its end
        pass
    finally:
        os.close(terminal)


def summarise(runs: list[dict]) -> dict:
    def steady(key: str) -> list[float]:
        # Epochs after the first, of every repeat: the first also traces and compiles.
        return [seconds for r in runs for seconds in (r[key][1:] or r[key])]

    num_samples = runs[0]["num_samples"]
    epochs = steady("epoch_seconds")
    epoch, fastest = statistics.median(epochs), min(epochs)
    training = statistics.median(steady("training_seconds"))
    summary = {
        "samples_per_second": num_samples / epoch,
        "epoch_seconds": epoch,
        "fastest_epoch_seconds": fastest,
        "fastest_samples_per_second": num_samples / fastest,
        "first_epoch_seconds": statistics.median(r["epoch_seconds"][0] for r in runs),
        # What the first epoch costs beyond a steady one (tracing, compiling), run by run.
        "first_epoch_extra_seconds": statistics.median(
            r["epoch_seconds"][0] - statistics.median(r["epoch_seconds"][1:] or r["epoch_seconds"]) for r in runs
        ),
        "all_epochs_seconds": statistics.median(sum(r["epoch_seconds"]) for r in runs),
        "training_samples_per_second": num_samples / training,
        "training_seconds": training,
        "validation_seconds": statistics.median(steady("validation_seconds")),
        "train_accuracy": statistics.mean(r["train_accuracy"] for r in runs),
        "test_accuracy": statistics.mean(r["test_accuracy"] for r in runs),
        "test_accuracy_each_run": [r["test_accuracy"] for r in runs],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "input_dtype": runs[0]["input_dtype"],
        "callback_seconds_per_epoch": (
            statistics.median(r["callback_seconds_per_epoch"] for r in runs)
            if runs[0].get("callback_seconds_per_epoch") is not None else None
        ),
    }
    if all("after_last_epoch_seconds" in r for r in runs):
        summary["after_last_epoch_seconds"] = statistics.median(r["after_last_epoch_seconds"] for r in runs)
    if all("process_seconds" in r for r in runs):
        summary["process_seconds"] = statistics.median(r["process_seconds"] for r in runs)
        summary["outside_epochs_seconds"] = statistics.median(r["outside_epochs_seconds"] for r in runs)
    return summary


# The three views: the key of a summary holding seconds (less is faster), and a name.
VIEWS = (
    ("epoch_seconds", "steady epochs"),
    ("all_epochs_seconds", "all epochs"),
    ("process_seconds", "whole process"),
)


def ratios(results: dict, base: str = "article") -> None:
    """Add, to every result, each view's speed-up over ``base`` (its seconds / these seconds)."""
    for result in results.values():
        for key, _ in VIEWS:
            if key in result and key in results[base]:
                result[f"{key}_ratio"] = results[base][key] / result[key]
        result["ratio_to_article"] = result["epoch_seconds_ratio"]


def epochs_to_reach(base: dict, result: dict, target: float) -> float | None:
    """Epochs after which ``result`` would be ``target`` times faster than ``base``, first epochs included.

    With first epochs f and steady epochs s, n epochs take f + (n - 1) s: the
    ratio tends to the steady one as n grows, so it never reaches a target above
    that. None then.
    """
    f_base, s_base = base["first_epoch_seconds"], base["epoch_seconds"]
    f, s = result["first_epoch_seconds"], result["epoch_seconds"]
    if s_base <= target * s:
        return None
    return max(1.0, 1 + (target * f - f_base) / (s_base - target * s))


def check_targets(results: dict, epochs: int | None = None) -> list[dict]:
    base = results["article"]
    checks = []
    for config, wanted in TARGETS.items():
        if config not in results:
            continue
        result = results[config]
        if "all_epochs_seconds" in result:
            ratio = base["all_epochs_seconds"] / result["all_epochs_seconds"]
            checks.append({
                "what": f"{config} >= {wanted:g}x article, all {epochs or ''} epochs (first included)".replace("  ", " "),
                "value": ratio, "ok": ratio >= wanted, "ratio": True,
            })
        ratio = result["samples_per_second"] / base["samples_per_second"]
        checks.append({"what": f"{config} >= {wanted:g}x article, steady epochs", "value": ratio, "ok": ratio >= wanted,
                       "ratio": True})
    if "fit" in results and "fit+live" in results:
        slower = 1 - results["fit+live"]["samples_per_second"] / results["fit"]["samples_per_second"]
        checks.append({"what": f"fit+live within {LIVE_WITHIN:.0%} of fit (steady)", "value": slower,
                       "ok": slower <= LIVE_WITHIN, "ratio": False})
    for config, within in ACCURACY_WITHIN.items():
        if config in results:
            gap = abs(results[config]["test_accuracy"] - base["test_accuracy"])
            checks.append({"what": f"{config} test accuracy within {within} of article", "value": gap,
                           "ok": gap <= within, "ratio": False})
    return checks


# --- what the run prints --------------------------------------------------------------


def _row_name(name: str) -> str:
    return f"{CONFIGS[name].label:5} {CONFIGS[name].title}"


def _process(result: dict, key: str, width: int, fmt: str) -> str:
    return f"{result[key]:{width}{fmt}}" if key in result else f"{'-':>{width}}"


def views_table(report: dict) -> list[str]:
    results = report["results"]
    epochs = report["epochs"]
    lines = [
        f"Three views, side by side (median of {report['repeats']} repeats; x = times faster than (a))",
        f"  steady: an epoch after the first · all: the {epochs} epochs, the first (tracing, compiling) included "
        "· process: start to trained and evaluated, import tensorflow included",
    ]
    header = (
        f"{'configuration':45} {'steady s':>8} {'x':>6} {'1st ep. s':>9} {f'all {epochs} s':>8} {'x':>6} "
        f"{'process s':>9} {'x':>6} {'test acc':>8} {'peak RSS':>9}"
    )
    lines += [header, "-" * len(header)]
    for name, result in results.items():
        lines.append(
            f"{_row_name(name):45} {result['epoch_seconds']:8.2f} {result['epoch_seconds_ratio']:5.2f}x "
            f"{result['first_epoch_seconds']:9.2f} {result['all_epochs_seconds']:8.2f} "
            f"{result['all_epochs_seconds_ratio']:5.2f}x {_process(result, 'process_seconds', 9, '.2f')} "
            f"{result.get('process_seconds_ratio', float('nan')):5.2f}x {result['test_accuracy']:8.4f} "
            f"{result['peak_rss_mb']:6,.0f} MB"
        )
    return lines


def decomposition_table(report: dict) -> list[str]:
    results = report["results"]
    chain = [name for name in CHAIN if name in results]
    lines = [
        "Decomposition: from the article's script to the course's fit, one change per row",
        "  gain = the row above's seconds / this row's (> 1: the change helped); x (a) = cumulative",
    ]
    header = (
        f"{'change':45} {'steady s':>8} {'gain':>6} {'all s':>7} {'gain':>6} {'process s':>9} {'gain':>6} "
        f"{'x (a) all':>9}"
    )
    lines += [header, "-" * len(header)]
    previous = None
    for name in chain:
        result = results[name]
        cells = []
        for key, width in (("epoch_seconds", 8), ("all_epochs_seconds", 7), ("process_seconds", 9)):
            value = result.get(key)
            cells.append(f"{value:{width}.2f}" if value is not None else f"{'-':>{width}}")
            if previous is not None and value is not None and key in previous:
                cells.append(f"{previous[key] / value:5.2f}x")
            else:
                cells.append(f"{'':>6}")
        lines.append(f"{_row_name(name):45} {' '.join(cells)} {result['all_epochs_seconds_ratio']:8.2f}x")
        previous = result
    if "article-1thread" in results:
        result, base = results["article-1thread"], results["article"]
        lines.append(
            f"{_row_name('article-1thread'):45} beside the chain: "
            + " · ".join(
                f"{label} {base[key] / result[key]:.2f}x (a)" for key, label in VIEWS if key in result and key in base
            )
        )
    return lines


def first_epoch_table(report: dict) -> list[str]:
    results = report["results"]
    base = results["article"]
    epochs = report["epochs"]
    lines = [
        "Where the targets stand (all epochs, first included): the first epoch's extra cost against the budget",
        "  extra = first epoch - steady epoch (tracing, XLA compilation, pipeline start); budget = the largest first",
        f"  epoch that would still meet the target over {epochs} epochs at this steady speed",
    ]
    header = (
        f"{'configuration':45} {'target':>6} {'all x':>6} {'steady x':>8} {'1st ep. s':>9} {'extra s':>7} "
        f"{'budget s':>8} {'reaches it after':>16}"
    )
    lines += [header, "-" * len(header)]
    for name, target in TARGETS.items():
        if name not in results:
            continue
        result = results[name]
        budget = base["all_epochs_seconds"] / target - (epochs - 1) * result["epoch_seconds"]
        reach = epochs_to_reach(base, result, target)
        reach_text = "never (steady < target)" if reach is None else f"{reach:.1f} epochs"
        lines.append(
            f"{_row_name(name):45} {target:5.0f}x {result['all_epochs_seconds_ratio']:5.2f}x "
            f"{result['epoch_seconds_ratio']:7.2f}x {result['first_epoch_seconds']:9.2f} "
            f"{result['first_epoch_extra_seconds']:7.2f} {budget:8.2f} {reach_text:>16}"
        )
    lines.append(
        f"{_row_name('article'):45} {'':>6} {'':>6} {'':>8} {base['first_epoch_seconds']:9.2f} "
        f"{base['first_epoch_extra_seconds']:7.2f}   (the article's own first epoch also traces)"
    )
    for name, result in results.items():
        if "outside_epochs_seconds" in result and name in ("article", "xla", "fit", "loop"):
            after = result.get("after_last_epoch_seconds")
            lines.append(
                f"  {CONFIGS[name].label} whole process {result['process_seconds']:.2f} s = "
                f"{result['all_epochs_seconds']:.2f} s of epochs + {result['outside_epochs_seconds']:.2f} s around them "
                "(Python, import tensorflow, data, model; evaluate"
                + (f"; fit's return after its last epoch: {after:.2f} s)" if after is not None else ")")
            )
    return lines


def ceiling_table(report: dict) -> list[str]:
    ceiling = report["ceiling_samples_per_second"]
    one_thread_ceiling = report["matmul_flops_per_second_one_thread"] / report["flops_per_sample"]
    results = report["results"]
    base = results["article"]
    lines = ["Training alone (each epoch's validation time taken off), against the machine's limit"]
    header = (
        f"{'configuration':45} {'samples/s':>10} {'train s':>8} {'valid. s':>8} {'x (a)':>7} "
        f"{'% ceiling':>9} {'% 1-thread':>10}"
    )
    lines += [header, "-" * len(header)]
    for name, result in results.items():
        speed = result["training_samples_per_second"]
        lines.append(
            f"{_row_name(name):45} {speed:10,.0f} {result['training_seconds']:8.2f} "
            f"{result['validation_seconds']:8.3f} {speed / base['training_samples_per_second']:6.2f}x "
            f"{100 * speed / ceiling:8.1f}% {100 * speed / one_thread_ceiling:9.1f}%"
        )
    live = results.get("fit+live", {}).get("callback_seconds_per_epoch")
    if live is not None and "fit" in results:
        lines.append(
            f"{'':45} tfc.LiveCurves itself: {live * 1e3:.2f} ms per epoch "
            f"({live / results['fit']['epoch_seconds']:.2%} of a (h) epoch), timed inside the callback"
        )
    lines += [
        f"Machine limit: {MATMUL_SIZE}x{MATMUL_SIZE} float32 matmul at {report['matmul_flops_per_second'] / 1e9:,.0f} "
        f"GFLOP/s (best of {report['repeats']} measurements)",
        f"  FLOPs to train on one image: 3 x 2 x (784x128 + 128x10) = {report['flops_per_sample']:,}",
        f"  ceiling: {report['matmul_flops_per_second'] / 1e9:,.0f} GFLOP/s / {report['flops_per_sample']:,} FLOP "
        f"= {ceiling:,.0f} samples/s",
        f"  on one thread: {report['matmul_flops_per_second_one_thread'] / 1e9:,.0f} GFLOP/s = "
        f"{one_thread_ceiling:,.0f} samples/s (one-thread configurations ran with "
        f"{report['intra_op_threads']} thread(s) per operation)",
    ]
    return lines


def measured_on(report: dict) -> str:
    """Where, when and how the figures were measured: the sentence to cite them with."""
    machine = report["machine"]
    return (
        f"Measured by `python benchmarks/train_speed.py` on {machine['cpus']} cores ({machine['cpu_model']}), "
        f"{report['date']}, median of {report['repeats']} repeats; load average {report['load_before'][0]:.1f} "
        f"before, {report['load_after'][0]:.1f} after."
    )


def lesson_table(report: dict) -> list[str]:
    """Ratios only, three rows: the short table lesson 06 quotes."""
    results = report["results"]
    epochs = report["epochs"]
    names = {"fit": "`fit` with this lesson's speed-ups", "loop": "one XLA call per epoch (`tfc.epoch_loop`)"}
    lines = [
        f"| times faster than the article's script | steady epochs | all {epochs} epochs, first included | "
        "whole process |",
        "|---|---|---|---|",
    ]
    for name in ("fit", "loop"):
        if name in results:
            cells = [f"{results[name][f'{key}_ratio']:.1f}×" if f"{key}_ratio" in results[name] else "-"
                     for key, _ in VIEWS]
            lines.append(f"| {names[name]} | " + " | ".join(cells) + " |")
    return [*lines, "", measured_on(report)]


def markdown_table(report: dict) -> list[str]:
    """The figures to quote, as Markdown, with where and when they were measured."""
    results = report["results"]
    epochs = report["epochs"]
    rows = [name for name in ("article", "article-1thread", "fit", "fit+live", "loop") if name in results]
    names = {
        "article": "the article's script (`x / 255.0`, progress bar)",
        "article-1thread": "the same, one thread per operation",
        "fit": "the course's `fit` (lesson 06's speed-ups)",
        "fit+live": "the same with `tfc.LiveCurves`",
        "loop": "a whole epoch as one XLA call (`tfc.epoch_loop`)",
    }
    lines = [
        f"| {report['data_name']}, {epochs} epochs | steady epoch | all {epochs} epochs, first included | "
        "whole process |",
        "|---|---|---|---|",
    ]
    for name in rows:
        result = results[name]
        cells = [f"{result['epoch_seconds']:.2f} s", f"{result['all_epochs_seconds']:.1f} s"]
        if "process_seconds" in result:
            cells.append(f"{result['process_seconds']:.1f} s")
        if name != "article":
            cells = [
                f"{cell} (**{result[f'{key}_ratio']:.1f}×**)"
                for cell, (key, _) in zip(cells, VIEWS)
            ]
        lines.append(f"| {names[name]} | " + " | ".join(cells) + " |")
    chain = [name for name in CHAIN if name in results]
    if len(chain) > 1:
        lines += ["", f"| one change at a time (all {epochs} epochs, first included) | gain | times the article's |",
                  "|---|---|---|"]
        for above, name in zip(chain, chain[1:]):
            gain = results[above]["all_epochs_seconds"] / results[name]["all_epochs_seconds"]
            lines.append(f"| {CONFIGS[name].title.lstrip('+ ')} | {gain:.2f}× | "
                         f"{results[name]['all_epochs_seconds_ratio']:.2f}× |")
    return [*lines, "", measured_on(report)]


def table(report: dict) -> str:
    machine = report["machine"]
    lines = [
        f"Data: {report['data']}",
        f"Machine: {machine['cpus']} cores, {machine['cpu_model']}, {machine['platform']}; "
        f"TensorFlow {machine.get('tensorflow', '?')}, Keras {machine.get('keras', '?')}; {report['date']}",
        "Load average (1, 5, 15 min): before " + ", ".join(f"{v:.2f}" for v in report["load_before"])
        + " · after " + ", ".join(f"{v:.2f}" for v in report["load_after"])
        # "after" counts the benchmark's own runs (up to one per core): only "before" says
        # whether other programs were using the cores.
        + (" (busy: other programs were using the cores before it started)"
           if report["load_before"][0] > 0.5 * machine["cpus"] else " (the benchmark's own runs raise 'after')"),
        f"Epochs: {report['epochs']} · repeats: {report['repeats']} · order shuffled in each repeat with --seed "
        f"{report['seed']} · batch 32 · SGD lr 0.01 · each run in a fresh process",
    ]
    for repeat, order in enumerate(report["orders"], 1):
        lines.append(f"  repeat {repeat}: " + " ".join(CONFIGS[name].label for name in order))
    sections = [views_table(report), decomposition_table(report), first_epoch_table(report), ceiling_table(report)]
    for section in sections:
        lines += ["", *section]
    lines += ["", "Targets:"]
    for check in report["checks"]:
        value = check["value"]
        shown = f"{value:.2f}x" if check["ratio"] else f"{value:.4f}"
        lines.append(f"  [{'ok' if check['ok'] else 'MISSED'}] {check['what']}: {shown}")
    lines += ["", "Ready to paste into README.md (Markdown):", "", *markdown_table(report),
              "", "Ready to paste into lesson 06 (Markdown):", "", *lesson_table(report)]
    return "\n".join(lines)


def machine_facts() -> dict:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "platform": platform.platform(terse=True),
            "python": platform.python_version()}


def _load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:  # Windows has none
        return [float("nan")] * 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per run (default 5, as the article)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each configuration (default 3)")
    parser.add_argument(
        "--json", action="store_true",
        help="print one JSON object (every figure, every run) on standard output, the tables on standard error",
    )
    parser.add_argument("--data", choices=("auto", "mnist", "fashion", "mnist-test"), default="auto")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated subset of " + ",".join(CONFIGS))
    parser.add_argument(
        "--seed", type=int, default=None,
        help="shuffles the order of the configurations in each repeat and seeds training "
        "(repeat r uses seed + r); default: drawn, and printed",
    )
    parser.add_argument(
        "--intra-threads", type=int, default=1,
        help="threads per operation for the one-thread configurations (default 1; 0 = TensorFlow's default)",
    )
    parser.add_argument("--tables-from", metavar="FILE", help="print the tables of a run saved with --json, and stop")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: run one configuration
    parser.add_argument("--result", help=argparse.SUPPRESS)  # internal: where a worker writes its JSON
    args = parser.parse_args(argv)

    if args.worker:
        if args.worker not in (*CONFIGS, "flops", "flops-one-thread") or not args.result:
            parser.error(f"--worker: one of {', '.join(CONFIGS)}, flops, flops-one-thread, with --result FILE")
        if args.worker == "flops":
            result = run_flops_worker()
        elif args.worker == "flops-one-thread":
            result = run_flops_worker(intra_threads=1)
        else:
            result = run_worker(args.worker, args.data, args.epochs, args.seed or 0, args.intra_threads)
        Path(args.result).write_text(json.dumps(result))
        return 0

    if args.tables_from:
        print(table(json.loads(Path(args.tables_from).read_text())))
        return 0
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch compiles, the others are timed")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    configs = [c for c in args.configs.split(",") if c]
    if "article" not in configs or any(c not in CONFIGS for c in configs):
        parser.error(f"--configs: a subset of {','.join(CONFIGS)} that includes article")
    configs = [c for c in CONFIGS if c in configs]
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10_000)

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tfcourse from this checkout
    import tfcourse as tfc

    data_kind = choose_data(args.data)
    description = load(data_kind)[1]
    log = sys.stderr
    load_before = _load_average()
    print(f"{description}; {len(configs)} configurations x {args.repeats} repeats x {args.epochs} epochs; "
          f"--seed {seed}; load average {load_before[0]:.2f}", file=log)
    runs: dict[str, list[dict]] = {c: [] for c in configs}
    orders: list[list[str]] = []
    shuffler = random.Random(seed)
    flops, flops_one_thread = [], []
    for repeat in range(args.repeats):
        flops.append(in_fresh_process(["--worker", "flops"])["matmul_flops_per_second"])
        flops_one_thread.append(in_fresh_process(["--worker", "flops-one-thread"])["matmul_flops_per_second"])
        order = list(configs)
        shuffler.shuffle(order)
        orders.append(order)
        for position, config in enumerate(order):
            result = in_fresh_process(
                ["--worker", config, "--data", data_kind, "--epochs", str(args.epochs),
                 "--seed", str(seed + repeat), "--intra-threads", str(args.intra_threads)]
            )
            result.update(repeat=repeat, position=position)
            runs[config].append(result)
            print(
                f"  repeat {repeat + 1}: {CONFIGS[config].label:5} {config:16} steady {result['steady_epoch_seconds']:6.2f} s"
                f" · all {result['all_epochs_seconds']:6.2f} s · process {result['process_seconds']:6.2f} s"
                f" · test accuracy {result['test_accuracy']:.4f} · load {_load_average()[0]:.2f}",
                file=log,
            )
    load_after = _load_average()
    flops_per_sample = tfc.mlp_training_flops(LAYERS)
    results = {c: summarise(runs[c]) for c in configs}
    ratios(results)
    machine = machine_facts()
    import importlib.metadata

    for package in ("tensorflow", "keras"):
        try:
            machine[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    report = {
        "data": description,
        "data_name": description.split(" (")[0],
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine,
        "load_before": load_before,
        "load_after": load_after,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "seed": seed,
        "orders": orders,
        "batch_size": BATCH_SIZE,
        "learning_rate": LEARNING_RATE,
        "intra_op_threads": args.intra_threads or "TensorFlow's default",
        "configs": {name: asdict(CONFIGS[name]) for name in configs},
        "chain": [name for name in CHAIN if name in configs],
        "matmul_flops_per_second": max(flops),
        "matmul_flops_per_second_each_run": flops,
        "matmul_flops_per_second_one_thread": max(flops_one_thread),
        "flops_per_sample": flops_per_sample,
        "ceiling_samples_per_second": max(flops) / flops_per_sample,
        "results": results,
    }
    for result in results.values():
        result["percent_of_ceiling"] = 100 * result["samples_per_second"] / report["ceiling_samples_per_second"]
    for name in TARGETS:
        if name in results:
            results[name]["epochs_to_reach_target"] = epochs_to_reach(results["article"], results[name], TARGETS[name])
    report["checks"] = check_targets(results, args.epochs)
    report["markdown"] = "\n".join(markdown_table(report))
    report["markdown_lesson"] = "\n".join(lesson_table(report))
    report["runs"] = runs
    if args.json:  # the JSON on standard output, the tables beside it for the person watching
        print(table(report), file=log)
        print(json.dumps(report, indent=2))
    else:
        print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
