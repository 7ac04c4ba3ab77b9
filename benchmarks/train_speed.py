"""How fast does the seed's MNIST recipe train here, and how fast can it go?

    python benchmarks/train_speed.py                  # 5 epochs, 3 repeats: a few minutes
    python benchmarks/train_speed.py --epochs 2 --repeats 2
    python benchmarks/train_speed.py --json           # the same figures as one JSON object

Four ways to train the same network (784-128-10, SGD at learning rate 0.01,
batches of 32, a new random order every epoch) are measured side by side in
ONE run, interleaved and repeated (seed, fast, fast+live, xla-loop, seed,
fast, ...), so that a busy moment of the machine hits them all alike:

1. ``seed``: the article's script as it is: ``x / 255.0`` (float64), ``Sequential``
   of ``Flatten``, ``Dense(128, relu)``, ``Dense(10, softmax)``, ``compile("sgd",
   "sparse_categorical_crossentropy", ["accuracy"])``, ``fit(epochs, batch_size=32)``.
   The article uses ``verbose=1`` and ``validation_data``; here every
   configuration trains with ``verbose=0`` and without validation, so that
   only training is timed (a progress bar costs time in a terminal, more in a
   notebook).
2. ``fast``: the course's configuration, same maths: float32 input
   (``x / np.float32(255)``), ``compile(..., jit_compile=True,
   steps_per_execution=<steps per epoch>)``, and one thread per operation
   (``tf.config.threading.set_intra_op_parallelism_threads(1)``: a batch of 32
   is far too small to share between cores, the hand-off costs more than it
   saves). Same optimizer string, same batch size, same shuffling by ``fit``.
3. ``fast+live``: (2) with ``tfc.LiveCurves(output=<text to a buffer>)``, the
   course's live-curve callback, which works at epoch ends only.
4. ``xla-loop``: lesson 03's hand-written network (four ``tf.Variable``s,
   Glorot-uniform start, cross-entropy from logits, ``assign_sub`` SGD at 0.01,
   batches of 32) with a whole epoch as ONE XLA-compiled ``tf.while_loop``
   (``tfc.speed.epoch_loop``), a new random order every epoch.

Every run happens in a fresh Python process, so its peak memory (resident set
size, ``ru_maxrss``) is its own: TensorFlow itself (~0.5 GB), the data, and
what the configuration adds (the float64 copy of the seed's recipe, 376 MB
for 60,000 images). Accuracy is measured after training, the same way for all
four (a NumPy forward pass with the trained weights over the whole training
and test sets).

Speed: ``samples/s`` is the number of training images divided by the time
of the fastest epoch after the first, over all repeats (the first epoch also
traces and compiles; its time is shown apart). The fastest, because other
programs on a shared machine can only slow an epoch down; the JSON output
also has every epoch of every run, and the median. The machine's ceiling:
the float32 FLOP/s of a 2048×2048 matrix product (best of several, measured
in this same run) divided by the FLOPs of training on one image,
3 × 2 × (784×128 + 128×10) = 609,792 (forward multiply-adds, then two products
of the same size backward).

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

        x_train = tf.constant(x_train_raw.reshape(-1, 784).astype(np.float32) / np.float32(255))
        y_train_t = tf.constant(y_train.astype(np.int32))

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

        def train_step(x, y):
            with tf.GradientTape() as tape:
                logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            for variable, gradient in zip(params, tape.gradient(loss, params)):
                variable.assign_sub(LEARNING_RATE * gradient)
            return loss

        run_epoch = tfcourse.speed.epoch_loop(train_step, batch_size=BATCH_SIZE, seed=seed)
        start = time.perf_counter()
        for _ in range(epochs):
            run_epoch(x_train, y_train_t)  # returns floats: the epoch is finished
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
            def on_epoch_end(self, epoch, logs=None):
                epoch_ends.append(time.perf_counter())

        callbacks = []
        if config == "seed":
            x_train = x_train_raw / 255.0  # the seed's float64
            model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        else:
            import io

            import tfcourse as tfc
            from tfcourse.live import TextOutput

            x_train = x_train_raw / np.float32(255)
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
        model.fit(x_train, y_train, epochs=epochs, batch_size=BATCH_SIZE, verbose=0, callbacks=callbacks)
        weights = model.get_weights()

    epoch_seconds = np.diff([start, *epoch_ends]).tolist()
    steady = epoch_seconds[1:] or epoch_seconds
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {
        "config": config,
        "num_samples": num_train,
        "epoch_seconds": epoch_seconds,
        "steady_epoch_seconds": statistics.median(steady),
        "samples_per_second": num_train / statistics.median(steady),
        "train_accuracy": accuracy(weights, x_train_raw, y_train),
        "test_accuracy": accuracy(weights, x_test_raw, y_test),
        "peak_rss_mb": peak_kb / 1024,
        "input_dtype": str(getattr(x_train, "dtype", "")),
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
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), *args], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(runs: list[dict]) -> dict:
    steady = [seconds for r in runs for seconds in (r["epoch_seconds"][1:] or r["epoch_seconds"])]
    fastest = min(steady)
    best = min(runs, key=lambda r: min(r["epoch_seconds"][1:] or r["epoch_seconds"]))
    return {
        "samples_per_second": best["num_samples"] / fastest,
        "epoch_seconds": fastest,
        "median_epoch_seconds": statistics.median(steady),
        "first_epoch_seconds": statistics.median(r["epoch_seconds"][0] for r in runs),
        "median_samples_per_second": best["num_samples"] / statistics.median(steady),
        "train_accuracy": statistics.mean(r["train_accuracy"] for r in runs),
        "test_accuracy": statistics.mean(r["test_accuracy"] for r in runs),
        "test_accuracy_each_run": [r["test_accuracy"] for r in runs],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "input_dtype": best["input_dtype"],
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
    base = report["results"]["seed"]["samples_per_second"]
    lines = [
        f"Data: {report['data']}",
        f"Epochs: {report['epochs']} · repeats: {report['repeats']} (interleaved, each run in a fresh process) · "
        "batch 32 · SGD lr 0.01 · verbose=0, no validation",
        "",
        f"{'configuration':44} {'samples/s':>10} {'epoch s':>8} {'1st ep. s':>9} {'train acc':>9} "
        f"{'test acc':>9} {'peak RSS':>9} {'x seed':>7} {'% ceiling':>9}",
    ]
    lines.append("-" * len(lines[-1]))
    for config, result in report["results"].items():
        lines.append(
            f"{TITLES[config]:44} {result['samples_per_second']:10,.0f} {result['epoch_seconds']:8.2f} "
            f"{result['first_epoch_seconds']:9.2f} {result['train_accuracy']:9.4f} {result['test_accuracy']:9.4f} "
            f"{result['peak_rss_mb']:6,.0f} MB {result['samples_per_second'] / base:6.1f}x "
            f"{100 * result['samples_per_second'] / ceiling:8.1f}%"
        )
    live = report["results"].get("fast+live", {}).get("callback_seconds_per_epoch")
    if live is not None:
        fast_epoch = report["results"]["fast"]["epoch_seconds"]
        lines.append(
            f"{'':44} tfc.LiveCurves itself: {live * 1e3:.2f} ms per epoch "
            f"({live / fast_epoch:.2%} of a (2) epoch), timed inside the callback"
        )
    lines += [
        "",
        "samples/s: training images / fastest epoch after the first, over all repeats (median in --json);",
        "1st ep.: first epoch incl. tracing and XLA compilation (median); accuracies: mean of the repeats.",
        "",
        f"Machine limit: {MATMUL_SIZE}x{MATMUL_SIZE} float32 matmul at {report['matmul_flops_per_second'] / 1e9:,.0f} GFLOP/s "
        f"(best of {report['repeats']} measurements)",
        f"  FLOPs to train on one image: 3 x 2 x (784x128 + 128x10) = {report['flops_per_sample']:,}",
        f"  ceiling: {report['matmul_flops_per_second'] / 1e9:,.0f} GFLOP/s / {report['flops_per_sample']:,} FLOP "
        f"= {ceiling:,.0f} samples/s",
        f"  one thread per operation (as (2)-(4) run with --intra-threads 1): {report['matmul_flops_per_second_one_thread'] / 1e9:,.0f} "
        f"GFLOP/s = {report['matmul_flops_per_second_one_thread'] / report['flops_per_sample']:,.0f} samples/s",
        "",
        "Targets:",
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
    args = parser.parse_args(argv)

    if args.worker == "flops":
        print(json.dumps(run_flops_worker()))
        return 0
    if args.worker == "flops-one-thread":
        print(json.dumps(run_flops_worker(intra_threads=1)))
        return 0
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.data, args.epochs, args.seed, args.intra_threads)))
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
