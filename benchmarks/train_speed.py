"""How fast does the seed's MNIST recipe train here, and how fast can it go?

    python benchmarks/train_speed.py                  # 5 epochs, 3 repeats: a few minutes
    python benchmarks/train_speed.py --epochs 2 --repeats 2
    python benchmarks/train_speed.py --json           # the same figures as one JSON object

Four ways to train the same network (784-128-10, SGD at learning rate 0.01,
batches of 32, a new random order every epoch, 5 epochs) are measured side by
side in ONE run, interleaved and repeated (seed, fast, fast+live, xla-loop,
seed, fast, ...), so that a busy moment of the machine hits them all alike.
Every epoch is a whole epoch as the article runs it: training, then
validation on the test set, with the progress shown:

1. ``seed``: the article's script as it is: ``x / 255.0`` (float64), ``Sequential``
   of ``Flatten``, ``Dense(128, relu)``, ``Dense(10, softmax)``, ``compile("sgd",
   "sparse_categorical_crossentropy", ["accuracy"])``, ``fit(x_train, y_train,
   epochs=5, verbose=1, validation_data=(x_test, y_test))``. Its standard output
   is a terminal (a pseudo-terminal), so Keras draws its live progress bar as
   it does for a student running the script.
2. ``fast``: lesson 06's speed-ups all together, same maths:
   float32 input (``x / np.float32(255)``), ``compile(..., jit_compile=True,
   steps_per_execution=<steps per epoch>)``, the batches from
   ``tfc.shuffled_batches`` (one ``tf.data`` pipeline for the whole training,
   a new order every epoch, batches gathered by one thread and prefetched),
   ``fit(..., validation_batch_size=1000)`` (validation makes no updates, so
   its batch size is free), and one thread per operation
   (``tf.config.threading.set_intra_op_parallelism_threads(1)``: a batch of 32
   is far too small to share between cores, the hand-off costs more than it
   saves). Same optimizer string, same batches of 32 in a new random order
   every epoch, same ``verbose=1`` and ``validation_data``.
3. ``fast+live``: (2) with ``tfc.LiveCurves(output=<text to a buffer>)``, the
   course's live-curve callback, which works at epoch ends only.
4. ``xla-loop``: lesson 03's hand-written network, trained as lesson 06 does (four ``tf.Variable``s,
   Glorot-uniform start, cross-entropy from logits, ``assign_sub`` SGD at 0.01,
   batches of 32) with a whole epoch as ONE XLA-compiled ``tf.while_loop``
   (``tfc.epoch_loop``), a new random order every epoch; the pixels stay
   uint8 in memory and are scaled to float32 inside the compiled step (a
   quarter of the bytes to read per batch; the same float32 values but for
   the last bit, as XLA multiplies by 1/255). Then the
   test set in one compiled call, and a line of progress per epoch.

Every run happens in a fresh Python process, so its peak memory (resident set
size, ``ru_maxrss``) is its own: TensorFlow itself (~0.5 GB), the data, and
what the configuration adds (the float64 copies of the seed's recipe, 439 MB
for 70,000 images). Accuracy is measured after training, the same way for all
four (a NumPy forward pass with the trained weights over the whole training
and test sets).

Speed: ``samples/s`` is the number of training images divided by the
median time of the epochs after the first, over all repeats (the first epoch
also traces and compiles; its time is shown apart). The median, not the
fastest: the epochs of ``fit`` vary by 10-20 % on a small machine (its
threads share the cores), and the fastest of a dozen is a lucky one rather
than what a student waits for. The JSON output also has the fastest epoch and
every epoch of every run. A second table takes each
epoch's validation time off, for training alone, and compares it with the
machine's ceiling: the float32 FLOP/s of a 2048×2048 matrix product (best of
several, measured in this same run) divided by the FLOPs of training on one
image, 3 × 2 × (784×128 + 128×10) = 609,792 (forward multiply-adds, then two
products of the same size backward).

Data: full MNIST where Keras's cache has it; else Fashion-MNIST from the
Debian package ``dataset-fashion-mnist`` (same shapes and size); else the
10,000 MNIST test images split 8,000/2,000 (``$TFCOURSE_DATA_DIR``). The table
says which.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CONFIGS = ("seed", "fast", "fast+live", "xla-loop")
TITLES = {
    "seed": "(1) seed: plain fit, x/255.0",
    "fast": "(2) f32 + XLA + steps_per_execution",
    "fast+live": "(3) = (2) + tfc.LiveCurves",
    "xla-loop": "(4) hand-written XLA epoch loop",
}
LAYERS = (784, 128, 10)
BATCH_SIZE = 32
LEARNING_RATE = 0.01  # SGD's default, what the seed's "sgd" means
# Validation makes no updates, so its batch size is not part of the maths: bigger
# batches, fewer steps, the same loss and accuracy (to float rounding).
VALIDATION_BATCH_SIZE = 1000
MATMUL_SIZE = 2048
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
# The 10,000 MNIST test images that the course's CI machines keep beside the checkout.
SHARED_MNIST_TEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"
# Targets of issue 5/6, as ratios of samples/s (and accuracy differences).
TARGETS = {"fast": 4.0, "xla-loop": 10.0}
LIVE_WITHIN = 0.05
ACCURACY_WITHIN = {"fast": 0.005, "fast+live": 0.005, "xla-loop": 0.01}


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


def run_worker(config: str, data_kind: str, epochs: int, seed: int, intra_threads: int = 1) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import resource

    import numpy as np

    (x_train_raw, y_train), (x_test_raw, y_test) = load(data_kind)[0]
    import tensorflow as tf
    import keras

    if config in ("fast", "fast+live", "xla-loop") and intra_threads:
        # Before any op runs: the pools are created with the first op.
        tf.config.threading.set_intra_op_parallelism_threads(intra_threads)
    keras.utils.set_random_seed(seed)
    num_train = len(x_train_raw)
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

    if config == "xla-loop":
        import tfcourse.speed

        # The pixels stay uint8 in memory, a quarter of the bytes of float32, and are
        # scaled inside the compiled step, where XLA fuses it into reading the batch.
        x_train = tf.constant(x_train_raw.reshape(-1, 784))
        y_train_t = tf.constant(y_train.astype(np.int32))
        x_test = tf.constant(x_test_raw.reshape(-1, 784))
        y_test_t = tf.constant(y_test.astype(np.int32))

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

        # fit's validation_data, by hand: the test set through the network once per epoch.
        validate = tf.function(loss_and_accuracy, jit_compile=True)
        run_epoch = tfcourse.speed.epoch_loop(train_step, batch_size=BATCH_SIZE, seed=seed)
        start = time.perf_counter()
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
        weights = [v.numpy() for v in params]
    else:
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

        callbacks = []
        if config == "seed":
            x_train, x_test = x_train_raw / 255.0, x_test_raw / 255.0  # the seed's float64
            model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        else:
            import io

            import tfcourse as tfc
            from tfcourse.live import TextOutput

            x_train, x_test = x_train_raw / np.float32(255), x_test_raw / np.float32(255)
            model.compile(
                optimizer="sgd",
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
                jit_compile=True,
                steps_per_execution=-(-num_train // BATCH_SIZE),  # a whole epoch per call
            )
            if config == "fast+live":
                live = tfc.LiveCurves(output=TextOutput(file=io.StringIO()))
                callbacks.append(live)
                # The callback's own cost, measured inside it: on a shared machine the
                # difference between whole epochs of (2) and (3) is mostly noise.
                for hook in ("on_epoch_end", "on_train_end"):
                    callback_seconds.append(0.0)
                    setattr(live, hook, timed(getattr(live, hook), len(callback_seconds) - 1))
        callbacks.append(EpochClock())  # last: its time includes the other callbacks' work
        start = time.perf_counter()
        # The article's call: progress bar (to this worker's terminal) and validation every epoch.
        if config == "seed":
            training_data = {"x": x_train, "y": y_train, "batch_size": BATCH_SIZE}
        else:
            training_data = {
                "x": tfc.shuffled_batches(x_train, y_train, batch_size=BATCH_SIZE),
                "steps_per_epoch": -(-num_train // BATCH_SIZE),  # the pipeline never ends
                "shuffle": False,  # it shuffles itself, a new order every epoch
                "validation_batch_size": VALIDATION_BATCH_SIZE,
            }
        model.fit(
            **training_data, epochs=epochs, verbose=1, validation_data=(x_test, y_test), callbacks=callbacks,
        )
        weights = model.get_weights()

    epoch_seconds = np.diff([start, *epoch_ends]).tolist()
    if len(validation_seconds) != len(epoch_seconds):
        raise RuntimeError(f"{config}: {len(epoch_seconds)} epochs but {len(validation_seconds)} validations timed")
    training_seconds = [whole - validation for whole, validation in zip(epoch_seconds, validation_seconds)]
    steady = epoch_seconds[1:] or epoch_seconds
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {
        "config": config,
        "num_samples": num_train,
        "epoch_seconds": epoch_seconds,
        "validation_seconds": validation_seconds,
        "training_seconds": training_seconds,
        "steady_epoch_seconds": statistics.median(steady),
        "samples_per_second": num_train / statistics.median(steady),
        "train_accuracy": accuracy(weights, x_train_raw, y_train),
        "test_accuracy": accuracy(weights, x_test_raw, y_test),
        "peak_rss_mb": peak_kb / 1024,
        "input_dtype": getattr(x_train.dtype, "name", str(x_train.dtype)),
        "callback_seconds_per_epoch": sum(callback_seconds) / epochs if callback_seconds else None,
    }


def run_flops_worker(intra_threads: int = 0) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    import tfcourse.speed

    if intra_threads:
        tf.config.threading.set_intra_op_parallelism_threads(intra_threads)

    return {"matmul_flops_per_second": tfcourse.speed.matmul_flops_per_second(MATMUL_SIZE, repeats=5)}


# --- the run: workers, interleaved -------------------------------------------------


def in_fresh_process(args: list[str]) -> dict:
    """Run this script as a worker in a new Python process; its result comes back through a file.

    The worker's standard output is a pseudo-terminal, as when a student runs
    the article's script in a terminal: Keras then draws its live progress bar,
    and the bar's cost is part of what is measured. (Without a terminal, on
    Windows, it goes nowhere and Keras prints one line per epoch.)
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
        process = subprocess.Popen(command, stdout=worker_end, stderr=subprocess.PIPE, text=True, env=env)
        if terminal is not None:
            os.close(worker_end)
            # Read (and drop) what the worker draws, or it would block on a full terminal.
            threading.Thread(target=_drain, args=(terminal,), daemon=True).start()
        _, stderr = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"worker {args} failed:\n{stderr[-3000:]}")
        return json.loads(result_file.read_text())


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
    return {
        "samples_per_second": num_samples / epoch,
        "epoch_seconds": epoch,
        "fastest_epoch_seconds": fastest,
        "fastest_samples_per_second": num_samples / fastest,
        "first_epoch_seconds": statistics.median(r["epoch_seconds"][0] for r in runs),
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


def check_targets(results: dict) -> list[dict]:
    base = results["seed"]
    checks = []
    for config, wanted in TARGETS.items():
        if config in results:
            ratio = results[config]["samples_per_second"] / base["samples_per_second"]
            checks.append({"what": f"{config} >= {wanted:g}x seed samples/s", "value": ratio, "ok": ratio >= wanted})
    if "fast" in results and "fast+live" in results:
        slower = 1 - results["fast+live"]["samples_per_second"] / results["fast"]["samples_per_second"]
        checks.append({"what": f"fast+live within {LIVE_WITHIN:.0%} of fast", "value": slower, "ok": slower <= LIVE_WITHIN})
    for config, within in ACCURACY_WITHIN.items():
        if config in results:
            gap = abs(results[config]["test_accuracy"] - base["test_accuracy"])
            checks.append({"what": f"{config} test accuracy within {within} of seed", "value": gap, "ok": gap <= within})
    return checks


def table(report: dict) -> str:
    ceiling = report["ceiling_samples_per_second"]
    one_thread_ceiling = report["matmul_flops_per_second_one_thread"] / report["flops_per_sample"]
    results = report["results"]
    base = results["seed"]
    lines = [
        f"Data: {report['data']}",
        f"Epochs: {report['epochs']} · repeats: {report['repeats']} (interleaved, each run in a fresh process) · "
        "batch 32 · SGD lr 0.01",
        "",
        "Whole epochs, as the article runs them: training, then validation on the test set, progress bar on",
    ]
    header = (
        f"{'configuration':44} {'samples/s':>10} {'epoch s':>8} {'1st ep. s':>9} {'x seed':>7} "
        f"{'train acc':>9} {'test acc':>9} {'peak RSS':>9}"
    )
    lines += [header, "-" * len(header)]
    for config, result in results.items():
        lines.append(
            f"{TITLES[config]:44} {result['samples_per_second']:10,.0f} {result['epoch_seconds']:8.2f} "
            f"{result['first_epoch_seconds']:9.2f} {result['samples_per_second'] / base['samples_per_second']:6.1f}x "
            f"{result['train_accuracy']:9.4f} {result['test_accuracy']:9.4f} {result['peak_rss_mb']:6,.0f} MB"
        )
    lines += ["", "Training alone (each epoch's validation time taken off), against the machine's limit"]
    header = (
        f"{'configuration':44} {'samples/s':>10} {'train s':>8} {'valid. s':>8} {'x seed':>7} "
        f"{'% ceiling':>9} {'% 1-thread':>10}"
    )
    lines += [header, "-" * len(header)]
    for config, result in results.items():
        speed = result["training_samples_per_second"]
        lines.append(
            f"{TITLES[config]:44} {speed:10,.0f} {result['training_seconds']:8.2f} "
            f"{result['validation_seconds']:8.3f} {speed / base['training_samples_per_second']:6.1f}x "
            f"{100 * speed / ceiling:8.1f}% {100 * speed / one_thread_ceiling:9.1f}%"
        )
    live = results.get("fast+live", {}).get("callback_seconds_per_epoch")
    if live is not None:
        fast_epoch = results["fast"]["epoch_seconds"]
        lines.append(
            f"{'':44} tfc.LiveCurves itself: {live * 1e3:.2f} ms per epoch "
            f"({live / fast_epoch:.2%} of a (2) epoch), timed inside the callback"
        )
    lines += [
        "",
        "samples/s: training images / median epoch after the first, over all repeats (fastest in --json);",
        "1st ep.: first epoch incl. tracing and XLA compilation (median); accuracies: mean of the repeats,",
        "measured after training by the same NumPy forward pass for all four.",
        "",
        f"Machine limit: {MATMUL_SIZE}x{MATMUL_SIZE} float32 matmul at {report['matmul_flops_per_second'] / 1e9:,.0f} GFLOP/s "
        f"(best of {report['repeats']} measurements)",
        f"  FLOPs to train on one image: 3 x 2 x (784x128 + 128x10) = {report['flops_per_sample']:,}",
        f"  ceiling: {report['matmul_flops_per_second'] / 1e9:,.0f} GFLOP/s / {report['flops_per_sample']:,} FLOP "
        f"= {ceiling:,.0f} samples/s",
        f"  on one thread: {report['matmul_flops_per_second_one_thread'] / 1e9:,.0f} GFLOP/s = "
        f"{one_thread_ceiling:,.0f} samples/s ((2)-(4) ran with threads per operation: "
        f"{report['intra_op_threads_for_2_to_4']})",
        "",
        "Targets (whole epochs):",
    ]
    for check in report["checks"]:
        value = check["value"]
        shown = f"{value:.2f}x" if "samples/s" in check["what"] else f"{value:.4f}"
        lines.append(f"  [{'ok' if check['ok'] else 'MISSED'}] {check['what']}: {shown}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per run (default 5, as the seed)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each configuration (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--data", choices=("auto", "mnist", "fashion", "mnist-test"), default="auto")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated subset of " + ",".join(CONFIGS))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--intra-threads", type=int, default=1,
        help="threads per operation for configurations 2-4 (default 1; 0 = TensorFlow's default, one per core)",
    )
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
            result = run_worker(args.worker, args.data, args.epochs, args.seed, args.intra_threads)
        Path(args.result).write_text(json.dumps(result))
        return 0

    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch compiles, the others are timed")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    configs = [c for c in args.configs.split(",") if c]
    if "seed" not in configs or any(c not in CONFIGS for c in configs):
        parser.error(f"--configs: a subset of {','.join(CONFIGS)} that includes seed")
    configs = [c for c in CONFIGS if c in configs]

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tfcourse from this checkout
    import tfcourse.speed

    data_kind = choose_data(args.data)
    description = load(data_kind)[1]
    log = sys.stderr
    print(f"{description}; {len(configs)} configurations x {args.repeats} repeats x {args.epochs} epochs", file=log)
    runs: dict[str, list[dict]] = {c: [] for c in configs}
    flops, flops_one_thread = [], []
    for repeat in range(args.repeats):
        flops.append(in_fresh_process(["--worker", "flops"])["matmul_flops_per_second"])
        flops_one_thread.append(in_fresh_process(["--worker", "flops-one-thread"])["matmul_flops_per_second"])
        for config in configs:
            result = in_fresh_process(
                ["--worker", config, "--data", data_kind, "--epochs", str(args.epochs),
                 "--seed", str(args.seed + repeat), "--intra-threads", str(args.intra_threads)]
            )
            runs[config].append(result)
            print(
                f"  repeat {repeat + 1}: {config:10} {result['samples_per_second']:9,.0f} samples/s (median epoch), "
                f"test accuracy {result['test_accuracy']:.4f}",
                file=log,
            )
    flops_per_sample = tfcourse.speed.mlp_training_flops(LAYERS)
    results = {c: summarise(runs[c]) for c in configs}
    report = {
        "data": description,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "batch_size": BATCH_SIZE,
        "learning_rate": LEARNING_RATE,
        "intra_op_threads_for_2_to_4": args.intra_threads or "TensorFlow's default",
        "matmul_flops_per_second": max(flops),
        "matmul_flops_per_second_each_run": flops,
        "matmul_flops_per_second_one_thread": max(flops_one_thread),
        "flops_per_sample": flops_per_sample,
        "ceiling_samples_per_second": max(flops) / flops_per_sample,
        "results": results,
    }
    for result in results.values():
        result["ratio_to_seed"] = result["samples_per_second"] / results["seed"]["samples_per_second"]
        result["percent_of_ceiling"] = 100 * result["samples_per_second"] / report["ceiling_samples_per_second"]
    report["checks"] = check_targets(results)
    report["runs"] = runs
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
