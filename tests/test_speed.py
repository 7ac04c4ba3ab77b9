"""tfcourse.speed (lesson 06) and the benchmark's bookkeeping: logic, never timings.

The epoch loop is checked against plain NumPy SGD on the very same batches
(same shuffled order, the smaller last batch included), so a loop that skipped
a batch, reused one epoch's order, or mis-weighted the averages would fail.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfcourse import speed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LEARNING_RATE = 0.1


# --- mlp_training_flops ------------------------------------------------------------


def test_training_flops_are_three_times_two_per_weight():
    weights = 784 * 128 + 128 * 10
    assert speed.mlp_training_flops((784, 128, 10)) == 3 * 2 * weights
    assert speed.mlp_training_flops() == speed.mlp_training_flops((784, 128, 10))
    assert speed.mlp_training_flops([4, 5, 6, 7]) == 6 * (4 * 5 + 5 * 6 + 6 * 7)


@pytest.mark.parametrize(
    ("layer_sizes", "error"),
    [
        ("784,128", TypeError),
        (784, TypeError),
        ((784,), ValueError),
        ((784, 0, 10), ValueError),
        ((784, 12.5, 10), ValueError),
        ((784, True, 10), ValueError),
    ],
)
def test_training_flops_refuse_bad_layer_sizes(layer_sizes, error):
    with pytest.raises(error, match=r"Expected .*Received: layer_sizes="):
        speed.mlp_training_flops(layer_sizes)


# --- matmul_flops_per_second --------------------------------------------------------


def test_matmul_flops_are_measured():
    flops = speed.matmul_flops_per_second(64, repeats=2)
    assert isinstance(flops, float) and flops > 1e6  # any machine does a 64x64 product in well under 0.5 s


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [({"size": 0}, ValueError, "size"), ({"size": 2.0}, TypeError, "size"),
     ({"repeats": 0}, ValueError, "repeats"), ({"repeats": True}, TypeError, "repeats")],
)
def test_matmul_flops_refuse_bad_arguments(kwargs, error, name):
    # The course's rule: TypeError for a wrong type, ValueError for a wrong value.
    with pytest.raises(error, match=rf"Received: {name}="):
        speed.matmul_flops_per_second(**kwargs)


# --- epoch_loop: against NumPy SGD on the same batches -------------------------------


def _data(num_samples=10):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(num_samples, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5], dtype=np.float32) + 0.3).astype(np.float32)
    return x, y


def _linear_regression(tf):
    """A variable w, a mean-squared-error SGD step returning loss and a count (int)."""
    w = tf.Variable(tf.zeros(3))

    def train_step(x, y):
        with tf.GradientTape() as tape:
            error = tf.linalg.matvec(x, w) - y
            loss = tf.reduce_mean(error**2)
        w.assign_sub(LEARNING_RATE * tape.gradient(loss, w))
        return {"loss": loss, "close": tf.reduce_mean(tf.cast(tf.abs(error) < 1.0, tf.int32))}

    return w, train_step


def _numpy_epochs(x, y, *, batch_size, epochs, seed, shuffle):
    """The same SGD in float64 NumPy: weights and each epoch's batch-size-weighted mean loss."""
    rng = np.random.default_rng(seed)
    w = np.zeros(3)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
        total = 0.0
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            error = x[batch] @ w - y[batch]
            total += len(batch) * np.mean(error**2)
            w = w - LEARNING_RATE * 2 * x[batch].T @ error / len(batch)
        losses.append(total / len(x))
    return w, losses


@pytest.mark.parametrize("jit_compile", [True, False])
@pytest.mark.parametrize(("num_samples", "batch_size"), [(10, 4), (12, 4), (3, 4)])
def test_epoch_loop_matches_sgd_on_the_same_batches(tf, jit_compile, num_samples, batch_size):
    x, y = _data(num_samples)
    w, train_step = _linear_regression(tf)
    run_epoch = speed.epoch_loop(train_step, batch_size=batch_size, seed=3, jit_compile=jit_compile)
    logs = [run_epoch(tf.constant(x), tf.constant(y)) for _ in range(3)]

    expected_w, expected_losses = _numpy_epochs(x, y, batch_size=batch_size, epochs=3, seed=3, shuffle=True)
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose([log["loss"] for log in logs], expected_losses, rtol=1e-4)
    assert all(set(log) == {"loss", "close"} and 0 <= log["close"] <= 1 for log in logs)
    assert run_epoch.epochs_run == 3


def test_epoch_loop_shuffles_anew_every_epoch(tf):
    # One permutation reused for every epoch gives other weights than fresh ones.
    x, y = _data(10)
    w, train_step = _linear_regression(tf)
    run_epoch = speed.epoch_loop(train_step, batch_size=2, seed=5)
    for _ in range(2):
        run_epoch(x, y)  # NumPy arrays are accepted too
    reused_rng = np.random.default_rng(5)
    order = reused_rng.permutation(10)
    w_reused = np.zeros(3)
    for _ in range(2):
        for start in range(0, 10, 2):
            batch = order[start : start + 2]
            w_reused = w_reused - LEARNING_RATE * 2 * x[batch].T @ (x[batch] @ w_reused - y[batch]) / 2
    fresh, _ = _numpy_epochs(x, y, batch_size=2, epochs=2, seed=5, shuffle=True)
    np.testing.assert_allclose(w.numpy(), fresh, rtol=1e-4, atol=1e-5)
    assert not np.allclose(w.numpy(), w_reused, rtol=1e-4, atol=1e-5)


def test_epoch_loop_traces_once_and_reuses_the_compiled_loop(tf):
    # The step's Python body runs only while TensorFlow traces it: once, to learn what it
    # returns; the loop reuses that trace. A new order every epoch must not trace again.
    x, y = _data(12)
    w, step = _linear_regression(tf)
    traces = []

    def train_step(xb, yb):
        traces.append(xb.shape)
        return step(xb, yb)

    run_epoch = speed.epoch_loop(train_step, batch_size=4, seed=0)
    x_t, y_t = tf.constant(x), tf.constant(y)
    run_epoch(x_t, y_t)
    traced_by_first_epoch = len(traces)
    for _ in range(3):
        run_epoch(x_t, y_t)
    assert traced_by_first_epoch == 1 and len(traces) == 1, traces


def test_epoch_loop_without_a_seed_follows_the_global_seed(tf):
    # One seed rule with tfc.shuffled_batches: seed=None draws from NumPy's global generator,
    # which keras.utils.set_random_seed seeds, so a seeded run repeats exactly.
    import keras

    x, y = _data(10)
    weights = []
    for global_seed in (11, 11, 12):
        keras.utils.set_random_seed(global_seed)
        w, train_step = _linear_regression(tf)
        run_epoch = speed.epoch_loop(train_step, batch_size=2)
        for _ in range(2):
            run_epoch(x, y)
        weights.append(w.numpy())
    np.testing.assert_array_equal(weights[0], weights[1])
    assert not np.allclose(weights[0], weights[2])
    assert "seed=None" in repr(run_epoch)


def test_epoch_loop_without_shuffle_keeps_the_order(tf):
    x, y = _data(10)
    w, train_step = _linear_regression(tf)
    logs = speed.epoch_loop(train_step, batch_size=4, shuffle=False)(x, y)
    expected_w, expected_losses = _numpy_epochs(x, y, batch_size=4, epochs=1, seed=0, shuffle=False)
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-4, atol=1e-5)
    assert logs["loss"] == pytest.approx(expected_losses[0], rel=1e-4)


def test_epoch_loop_accepts_a_step_returning_only_the_loss(tf):
    x, y = _data(8)
    w = tf.Variable(tf.zeros(3))

    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.linalg.matvec(xb, w) - yb) ** 2)
        w.assign_sub(LEARNING_RATE * tape.gradient(loss, w))
        return loss

    run_epoch = speed.epoch_loop(train_step, batch_size=4, seed=1)
    logs = run_epoch(x, y)
    _, expected_losses = _numpy_epochs(x, y, batch_size=4, epochs=1, seed=1, shuffle=True)
    assert list(logs) == ["loss"] and logs["loss"] == pytest.approx(expected_losses[0], rel=1e-4)
    assert "epochs_run=1" in repr(run_epoch)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"train_step": "step"}, TypeError, "train_step"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": 3.0}, TypeError, "batch_size"),
        ({"shuffle": "yes"}, TypeError, "shuffle"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"jit_compile": 1}, TypeError, "jit_compile"),
    ],
)
def test_epoch_loop_refuses_bad_arguments(kwargs, error, name):
    arguments = {"train_step": lambda x, y: 0.0, **kwargs}
    step = arguments.pop("train_step")
    with pytest.raises(error, match=rf"Expected .*Received: {name}="):
        speed.epoch_loop(step, **arguments)


def test_epoch_loop_refuses_mismatched_or_empty_data(tf):
    _, train_step = _linear_regression(tf)
    run_epoch = speed.epoch_loop(train_step, batch_size=2)
    x, y = _data(6)
    with pytest.raises(ValueError, match=r"same number .*Received: shapes=\(\(6, 3\), \(5,\)\)"):
        run_epoch(x, y[:5])
    with pytest.raises(ValueError, match="Received: shapes="):
        run_epoch(x[:0], y[:0])
    with pytest.raises(TypeError, match="Received: x="):
        run_epoch(object(), y)
    assert run_epoch.epochs_run == 0


def test_epoch_loop_refuses_a_step_that_returns_no_scalar(tf):
    x, y = _data(4)
    w = tf.Variable(tf.zeros(3))

    def per_sample_loss(xb, yb):
        return (tf.linalg.matvec(xb, w) - yb) ** 2  # forgot the mean

    with pytest.raises(TypeError, match=r"scalar tensor.*Received: train_step\(x_batch, y_batch\)="):
        speed.epoch_loop(per_sample_loss, batch_size=2)(x, y)


# --- the benchmark's bookkeeping ------------------------------------------------------


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("train_speed", ROOT / "benchmarks" / "train_speed.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def _result(epoch_seconds, test_accuracy, *, first=None, process=None, epochs=5):
    """A summary as summarise() makes it: steady epochs of epoch_seconds, a first epoch of `first`."""
    first = epoch_seconds if first is None else first
    result = {
        "epoch_seconds": epoch_seconds, "samples_per_second": 60_000 / epoch_seconds,
        "first_epoch_seconds": first, "first_epoch_extra_seconds": first - epoch_seconds,
        "all_epochs_seconds": first + (epochs - 1) * epoch_seconds,
        "training_samples_per_second": 1.1 * 60_000 / epoch_seconds, "training_seconds": epoch_seconds / 1.1,
        "validation_seconds": 0.01, "train_accuracy": 0.9, "test_accuracy": test_accuracy, "peak_rss_mb": 1200.0,
        "callback_seconds_per_epoch": None,
    }
    if process is not None:
        result["process_seconds"] = process
        result["outside_epochs_seconds"] = process - result["all_epochs_seconds"]
    return result


def test_benchmark_chain_adds_one_change_per_row(bench):
    # Each row of the decomposition differs from the row above in exactly one setting.
    for above, below in zip(bench.CHAIN, bench.CHAIN[1:]):
        a, b = bench.asdict(bench.CONFIGS[above]), bench.asdict(bench.CONFIGS[below])
        changed = [key for key in a if key not in ("label", "title") and a[key] != b[key]]
        assert len(changed) == 1, (above, below, changed)
    assert bench.CHAIN[0] == "article" and bench.CHAIN[-1] == "fit"
    assert bench.CONFIGS["article-1thread"] == dataclasses.replace(bench.CONFIGS["article"], one_thread=True, label="(a1)",
                                                               title=bench.CONFIGS["article-1thread"].title)


def test_benchmark_checks_each_target_on_all_epochs_and_steady(bench):
    results = {
        "article": _result(3.0, 0.900, first=4.5),
        # 4.5x steady; its first epoch (1.25 s) pulls all epochs to 16.5 / (1.25 + 4 x 2/3) = 4.2x: both met.
        "fit": _result(2 / 3, 0.903, first=1.25),
        "fit+live": _result(0.71, 0.903),  # 6.5% slower than fit: missed
        # 12x steady, but 16.5 / (1.25 + 1) = 7.3x with the first epoch; and 0.015 off: both missed.
        "loop": _result(0.25, 0.915, first=1.25),
    }
    checks = {c["what"]: c for c in bench.check_targets(results, 5)}
    fit_all = checks["fit >= 4x article, all 5 epochs (first included)"]
    assert fit_all["ok"] and fit_all["value"] == pytest.approx(16.5 / (1.25 + 8 / 3))
    assert checks["fit >= 4x article, steady epochs"]["value"] == pytest.approx(4.5)
    assert checks["loop >= 10x article, steady epochs"]["ok"]
    loop_all = checks["loop >= 10x article, all 5 epochs (first included)"]
    assert not loop_all["ok"] and loop_all["value"] == pytest.approx(16.5 / 2.25)
    assert not checks["fit+live within 5% of fit (steady)"]["ok"]
    assert checks["fit test accuracy within 0.005 of article"]["ok"]
    assert not checks["loop test accuracy within 0.01 of article"]["ok"]


def test_benchmark_says_after_how_many_epochs_a_target_is_reached(bench):
    article = _result(3.0, 0.9, first=4.5)
    # 4.5 + 3 (n - 1) >= 10 (1.25 + 0.25 (n - 1))  <=>  n - 1 >= 8 / 0.5 = 16
    assert bench.epochs_to_reach(article, _result(0.25, 0.9, first=1.25), 10) == pytest.approx(17)
    assert bench.epochs_to_reach(article, _result(0.2, 0.9, first=0.2), 10) == 1.0  # met from the first epoch
    assert bench.epochs_to_reach(article, _result(0.75, 0.9, first=1.0), 4) is None  # steady 4x: never above


def test_benchmark_accuracy_is_that_of_the_network(bench):
    # Weights that copy pixel k of the first 10 to logit k: the predicted class is the brightest of them.
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(50, 28, 28), dtype=np.uint8)
    w1 = np.zeros((784, 128), np.float32)
    w1[np.arange(10), np.arange(10)] = 1.0
    w2 = np.zeros((128, 10), np.float32)
    w2[np.arange(10), np.arange(10)] = 1.0
    weights = [w1, np.zeros(128), w2, np.zeros(10)]
    brightest = images.reshape(50, -1)[:, :10].argmax(axis=1)
    assert bench.accuracy(weights, images, brightest) == 1.0
    assert bench.accuracy(weights, images, (brightest + 1) % 10) == 0.0


def test_benchmark_summary_has_three_views_from_every_run(bench):
    runs = [
        {"num_samples": 60, "epoch_seconds": [3.0, 2.0, 1.5], "validation_seconds": [0.5, 0.5, 0.5],
         "training_seconds": [2.5, 1.5, 1.0], "train_accuracy": 0.8, "test_accuracy": 0.7,
         "peak_rss_mb": 900.0, "input_dtype": "float32", "process_seconds": 12.0, "outside_epochs_seconds": 5.5,
         "after_last_epoch_seconds": 0.0},
        {"num_samples": 60, "epoch_seconds": [0.5, 1.0, 4.0], "validation_seconds": [0.1, 0.25, 0.2],
         "training_seconds": [0.4, 0.75, 3.8], "train_accuracy": 0.9, "test_accuracy": 0.8,
         "peak_rss_mb": 950.0, "input_dtype": "float32", "process_seconds": 10.0, "outside_epochs_seconds": 4.5,
         "after_last_epoch_seconds": 1.5},
    ]
    summary = bench.summarise(runs)
    # Steady: the first epochs (3.0 and 0.5 s, tracing and compiling) count in neither the median nor the fastest.
    assert summary["epoch_seconds"] == pytest.approx(1.75) and summary["samples_per_second"] == pytest.approx(60 / 1.75)
    assert summary["fastest_epoch_seconds"] == 1.0 and summary["fastest_samples_per_second"] == 60.0
    assert summary["first_epoch_seconds"] == pytest.approx(1.75)
    # All epochs: the median of the runs' sums (6.5 and 5.5 s); the first epoch's extra, run by run (1.25, -2.0).
    assert summary["all_epochs_seconds"] == pytest.approx(6.0)
    assert summary["first_epoch_extra_seconds"] == pytest.approx(-0.375)
    # The whole process: the median of the runs, as timed from outside.
    assert summary["process_seconds"] == pytest.approx(11.0) and summary["outside_epochs_seconds"] == 5.0
    # What fit does after its last epoch before it returns (letting go of its pipeline): outside the epochs.
    assert summary["after_last_epoch_seconds"] == pytest.approx(0.75)
    # Training alone: the median steady epoch once its validation is taken off (1.5, 1.0, 0.75, 3.8).
    assert summary["training_seconds"] == pytest.approx(1.25) and summary["training_samples_per_second"] == 48.0
    assert summary["validation_seconds"] == pytest.approx(0.375)
    assert summary["test_accuracy"] == pytest.approx(0.75) and summary["peak_rss_mb"] == 950.0


def _report(bench, results, epochs=5):
    """A report as main() builds it, from summaries."""
    bench.ratios(results)
    report = {
        "data": "stand-in: 60,000 training images", "data_name": "stand-in", "epochs": epochs, "repeats": 3,
        "seed": 7, "orders": [list(results), list(results)[::-1]], "intra_op_threads": 1,
        "machine": {"cpus": 2, "cpu_model": "Test CPU", "platform": "Linux"}, "date": "2026-12-02 00:00 UTC",
        "load_before": [0.1, 0.2, 0.3], "load_after": [0.4, 0.5, 0.6],
        "matmul_flops_per_second": 300e9, "matmul_flops_per_second_one_thread": 150e9,
        "flops_per_sample": 609_792, "ceiling_samples_per_second": 300e9 / 609_792, "results": results,
    }
    report["checks"] = bench.check_targets(results, epochs)
    return report


def test_benchmark_table_shows_three_views_the_decomposition_and_each_target(bench):
    results = {
        "article": _result(3.0, 0.90, first=4.5, process=25.0),
        "float32": _result(2.5, 0.90, first=4.0, process=22.0),
        "val-batch": _result(2.0, 0.90, first=3.5, process=20.0),
        "fit": _result(2 / 3, 0.903, first=2.0, process=8.0),
        "loop": _result(0.25, 0.905, first=1.25, process=5.0),
    }
    text = bench.table(_report(bench, results))
    assert "Three views, side by side" in text and "Decomposition" in text and "Training alone" in text
    assert "order shuffled in each repeat with --seed 7" in text and "repeat 2: (L)" in text
    assert "before 0.10, 0.20, 0.30 · after 0.40, 0.50, 0.60" in text
    # (b) 3.0 -> 2.5 s steady: 1.20x; (c) after it, 2.5 -> 2.0: 1.25x; process 22 -> 20: 1.10x.
    decomposition = text.split("Decomposition")[1].split("Where the targets")[0]
    assert "1.20x" in decomposition and "1.25x" in decomposition and "1.10x" in decomposition
    # The loop: 12x steady, 16.5 / 2.25 = 7.33x all epochs, 25 / 5 = 5x whole process.
    assert "12.00x" in text and "7.33x" in text and "5.00x" in text
    assert "17.0 epochs" in text  # when the loop would reach 10x, first epoch included
    assert "[MISSED] loop >= 10x article, all 5 epochs (first included): 7.33x" in text
    assert "[ok] loop >= 10x article, steady epochs: 12.00x" in text
    # Ready to paste, with where and when it was measured.
    assert "| the course's `fit` (lesson 06's speed-ups) | 0.67 s (**4.5×**) | 4.7 s (**3.5×**) | 8.0 s (**3.1×**) |" in text
    assert "on 2 cores (Test CPU), 2026-12-02 00:00 UTC" in text
    # The one-change-at-a-time rows, as Markdown: (b) 16.5 -> 14 s all epochs.
    assert "| x / np.float32(255) | 1.18× | 1.18× |" in text
    # Lesson 06's short table: ratios only.
    lesson = text.split("Ready to paste into lesson 06")[1]
    assert "| `fit` with this lesson's speed-ups | 4.5× | 3.5× | 3.1× |" in lesson
    assert "| one XLA call per epoch (`tfc.epoch_loop`) | 12.0× | 7.3× | 5.0× |" in lesson


def test_benchmark_prints_the_tables_of_a_saved_run(bench, tmp_path, capsys):
    results = {"article": _result(3.0, 0.90, first=4.5, process=25.0), "loop": _result(0.25, 0.905, first=1.25)}
    saved = tmp_path / "speed.json"
    saved.write_text(bench.json.dumps(_report(bench, results)))
    assert bench.main(["--tables-from", str(saved)]) == 0
    assert "Three views, side by side" in capsys.readouterr().out


def test_benchmark_worker_answers_through_its_result_file(bench):
    # A real worker in a fresh process, its output on a pseudo-terminal: the plumbing of every run.
    result = bench.in_fresh_process(["--worker", "flops-one-thread"])
    assert result["matmul_flops_per_second"] > 1e9


def test_benchmark_worker_failure_shows_its_error(bench):
    with pytest.raises(RuntimeError, match=r"worker \['--worker', 'nonsense'\] failed:(.|\n)*--worker: one of article"):
        bench.in_fresh_process(["--worker", "nonsense"])
