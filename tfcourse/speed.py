"""Measuring training speed (lesson 06): the machine's limit and a whole epoch in one XLA call.

Two questions come up as soon as a student waits on ``fit``: *how fast could
this machine possibly train this model?* and *how close can I get?* This
module holds the plumbing for both; the ideas are written out in lesson 06.

- :func:`mlp_training_flops` counts the floating-point operations one training
  sample costs in a dense network (forward and backward pass), a pure function;
- :func:`matmul_flops_per_second` measures what this machine's TensorFlow
  reaches on one large float32 matrix product: the ceiling for dense networks;
- :func:`epoch_loop` turns a hand-written ``GradientTape`` step into one
  compiled call per epoch: batches are sliced from tensors inside a
  ``tf.while_loop`` and the whole loop is compiled by XLA, so Python and the
  TensorFlow runtime are visited once per epoch instead of once per batch.
  Same maths as the per-batch Python loop: same batches (a new random order
  every epoch, the last smaller batch included), same updates.

TensorFlow is imported inside the functions that need it, so
``import tfcourse`` stays light.

Compile cost is part of the design: the first call traces the loop and XLA
compiles it, once; later epochs with the same shapes reuse the compiled loop
without tracing again (a new order is a new value, not a new shape).

Example (a sketch: ``train_step`` and the tensors come from lesson 06)::

    import tfcourse as tfc
    tfc.mlp_training_flops((784, 128, 10))  # 609792
    run_epoch = tfc.epoch_loop(train_step, batch_size=32, seed=0)
    run_epoch(x_train, y_train)  # one epoch, one call: {'loss': 0.61..., 'accuracy': 0.84...}
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tfcourse._validation import check_positive_int, check_seed, expected, resolve_seed

__all__ = ["EpochLoop", "epoch_loop", "matmul_flops_per_second", "mlp_training_flops"]

# The backward pass of a dense layer is two matrix products the size of the
# forward one (gradient for the weights, gradient for the inputs): 3x forward.
TRAINING_PASSES = 3


def mlp_training_flops(layer_sizes: Sequence[int] = (784, 128, 10)) -> int:
    """Floating-point operations to train a dense network on ONE sample.

    A dense layer with ``n_in`` inputs and ``n_out`` units makes ``n_in * n_out``
    multiply-adds per sample, 2 operations each. Training adds the backward pass:
    one product of the same size for the weights' gradient, one for the inputs'
    gradient, so about 3 × 2 × (number of weights). Biases, activations and the
    loss are a rounding error next to that and are left out.

    Example:
        >>> mlp_training_flops((784, 128, 10))  # 3 * 2 * (784*128 + 128*10)
        609792
    """
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
        raise TypeError(expected("a sequence of layer widths such as (784, 128, 10)", "layer_sizes", layer_sizes))
    if len(layer_sizes) < 2:
        raise ValueError(
            expected("at least two layer widths (inputs and outputs)", "layer_sizes", layer_sizes)
        )
    for size in layer_sizes:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size <= 0:
            raise ValueError(expected("positive whole numbers as layer widths", "layer_sizes", layer_sizes))
    weights = sum(int(a) * int(b) for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    return TRAINING_PASSES * 2 * weights


def matmul_flops_per_second(size: int = 2048, *, repeats: int = 5) -> float:
    """Measure the float32 FLOP/s of one ``size × size`` matrix product, best of ``repeats``.

    A large product is the friendliest work a CPU or GPU can get: its speed is
    close to what the hardware can do, so it bounds how fast any dense network
    can train here. ``2 * size**3`` operations per product (a multiply and an
    add for every term). The product runs as a compiled ``tf.function`` on the
    default device; the first call (tracing, warm-up) is not timed. The best
    of several runs is taken, because other programs can only slow a run down.

    Example (the figure is this machine's)::

        flops = tfc.matmul_flops_per_second()
        print(f"{flops / 1e9:.0f} GFLOP/s")  # e.g. 180 GFLOP/s
    """
    size = check_positive_int("size", size)
    repeats = check_positive_int("repeats", repeats)
    import tensorflow as tf

    a = tf.random.stateless_uniform((size, size), seed=(1, 2), dtype=tf.float32)
    b = tf.random.stateless_uniform((size, size), seed=(3, 4), dtype=tf.float32)

    @tf.function
    def product_checksum(a, b):
        # Reduce to one number: copying size x size results back would be timed too.
        return tf.reduce_sum(tf.matmul(a, b))

    product_checksum(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        product_checksum(a, b).numpy()  # .numpy() waits for the result
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def _check_takes_two_arguments(train_step: Callable[..., Any]) -> None:
    """Refuse a step that cannot be called as train_step(x_batch, y_batch), before tracing."""
    function = getattr(train_step, "python_function", train_step)  # a tf.function's own
    try:
        inspect.signature(function).bind(None, None)
    except TypeError:
        raise TypeError(expected(
            "a function train_step(x_batch, y_batch) taking the batch's images and labels",
            "train_step", f"{getattr(function, '__name__', function)}{inspect.signature(function)}",
            hint="Add the missing parameter: def train_step(x, y): ...")) from None
    except ValueError:
        pass  # a builtin without a signature: let the call tell


class EpochLoop:
    """One epoch of a hand-written training step as one compiled call; see :func:`epoch_loop`.

    Calling it, ``loop(x, y)``, runs one epoch and returns the epoch's averages
    of what the step returned, as Python floats (``{"loss": ..., ...}``, like
    the logs of ``fit``). ``epochs_run`` counts the calls.
    """

    def __init__(
        self,
        train_step: Callable[[Any, Any], Any],
        *,
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int | None = None,
        jit_compile: bool = True,
    ) -> None:
        if not callable(train_step):
            raise TypeError(
                expected("a function train_step(x_batch, y_batch) that returns the batch's loss", "train_step", train_step)
            )
        _check_takes_two_arguments(train_step)
        self.train_step = train_step
        self.batch_size = check_positive_int("batch_size", batch_size)
        if not isinstance(shuffle, bool):
            raise TypeError(expected("True or False", "shuffle", shuffle))
        self.shuffle = shuffle
        self.seed = check_seed(seed)
        if not isinstance(jit_compile, bool):
            raise TypeError(expected("True or False", "jit_compile", jit_compile))
        self.jit_compile = jit_compile
        self.epochs_run = 0
        # The one seed rule, shared with shuffled_batches: None follows NumPy's
        # global generator, which keras.utils.set_random_seed seeds.
        self._rng = np.random.default_rng(resolve_seed(seed))
        self._whole_batches = None  # the compiled epoch, built on the first call
        self._one_step = None  # the compiled step, for a smaller last batch
        self._names: tuple[str, ...] | None = None

    def __repr__(self) -> str:
        return (
            f"EpochLoop(batch_size={self.batch_size}, shuffle={self.shuffle}, seed={self.seed}, "
            f"jit_compile={self.jit_compile}, epochs_run={self.epochs_run})"
        )

    def __call__(self, x: Any, y: Any) -> dict[str, float]:
        import tensorflow as tf

        x = self._as_tensor(tf, x, "x")
        y = self._as_tensor(tf, y, "y")
        if x.shape.rank == 0 or y.shape.rank == 0 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
            raise ValueError(
                expected(
                    "x and y with the same number (> 0) of samples along their first axis",
                    "shapes",
                    (tuple(x.shape), tuple(y.shape)),
                )
            )
        num_samples = int(x.shape[0])
        order = self._rng.permutation(num_samples) if self.shuffle else np.arange(num_samples)
        order = tf.constant(order, dtype=tf.int32)
        num_whole = num_samples // self.batch_size
        leftover = num_samples - num_whole * self.batch_size
        if self._whole_batches is None:
            self._build(tf, x, y)
        totals = np.zeros(len(self._names))
        if num_whole:
            totals += self._whole_batches(x, y, order).numpy().astype(np.float64)
        if leftover:  # like fit, the last smaller batch is a step too
            last = order[num_whole * self.batch_size :]
            outputs = self._one_step(tf.gather(x, last), tf.gather(y, last))
            totals += leftover * np.array([float(v) for v in self._flatten(outputs)])
        self.epochs_run += 1
        logs = {name: float(total / num_samples) for name, total in zip(self._names, totals)}
        broken = [name for name, value in logs.items() if not math.isfinite(value)]
        if broken:
            raise FloatingPointError(
                f"Epoch {self.epochs_run}: {', '.join(broken)} became {logs[broken[0]]} (NaN or "
                "infinite). The weights are now unusable: training diverged, or the data holds "
                "NaN. Fix: check the data (np.isfinite(x).all()), use a smaller learning rate, "
                "and start again from fresh weights.")
        return logs

    # --- plumbing ------------------------------------------------------------

    @staticmethod
    def _as_tensor(tf: Any, value: Any, name: str) -> Any:
        if tf.is_tensor(value):
            return value
        try:
            return tf.convert_to_tensor(value)
        except (TypeError, ValueError) as err:
            raise TypeError(expected("an array or tensor", name, value)) from err

    def _flatten(self, outputs: Any) -> list[Any]:
        if isinstance(outputs, dict):
            return [outputs[name] for name in self._names]
        return [outputs]

    def _build(self, tf: Any, x: Any, y: Any) -> None:
        batch_size = self.batch_size
        step = tf.function(self.train_step, jit_compile=self.jit_compile)
        # Trace the step once, without running it, to learn what it returns.
        traced = step.get_concrete_function(
            tf.TensorSpec((batch_size, *x.shape[1:]), x.dtype), tf.TensorSpec((batch_size, *y.shape[1:]), y.dtype)
        ).structured_outputs
        if isinstance(traced, dict) and traced and all(isinstance(k, str) for k in traced):
            names = tuple(traced)
            values = [traced[name] for name in names]
        else:
            names, values = ("loss",), [traced]
        for value in values:
            if not tf.is_tensor(value) or value.shape.rank != 0:
                raise TypeError(
                    expected(
                        "train_step to return one scalar tensor (the batch's loss) or a dict of "
                        "scalar tensors such as {'loss': ..., 'accuracy': ...}",
                        "train_step(x_batch, y_batch)",
                        traced,
                    )
                )
        self._names = names
        self._one_step = step
        flatten = self._flatten

        @tf.function(jit_compile=self.jit_compile)
        def whole_batches(x, y, order):
            num_batches = order.shape[0] // batch_size

            def body(i, totals):
                # tf.slice with a fixed size: XLA then knows every batch has
                # batch_size rows (a Python slice order[a:b] would not tell it).
                batch = tf.slice(order, [i * batch_size], [batch_size])
                # The step traced above, reused: its trace is found by its input shapes,
                # so the step is traced once, not once more inside the loop.
                outputs = flatten(step(tf.gather(x, batch), tf.gather(y, batch)))
                return i + 1, totals + batch_size * tf.stack([tf.cast(v, tf.float32) for v in outputs])

            _, totals = tf.while_loop(
                lambda i, _: i < num_batches, body, (tf.constant(0), tf.zeros(len(names), tf.float32))
            )
            return totals

        self._whole_batches = whole_batches


def epoch_loop(
    train_step: Callable[[Any, Any], Any],
    *,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int | None = None,
    jit_compile: bool = True,
) -> EpochLoop:
    """Compile a whole epoch of ``train_step`` into one call (a ``tf.while_loop`` under XLA).

    ``train_step(x_batch, y_batch)`` is your ``GradientTape`` step: it updates
    the variables (``assign_sub``) and returns the batch's loss as a scalar
    tensor, or a dict of scalar batch averages such as
    ``{"loss": loss, "accuracy": accuracy}``. Each call of the returned loop
    shuffles the samples (a new order every epoch, from ``seed``), cuts them
    into batches of ``batch_size`` (a smaller last batch too, as ``fit`` does)
    and runs the step on each, all batches but the last inside ONE compiled
    function. It returns the epoch's averages, weighted by batch size.

    ``seed=None`` follows the course's one seed rule, as
    :func:`tfcourse.shuffled_batches` does: the orders are drawn from NumPy's
    global generator when the loop is made, so after
    ``keras.utils.set_random_seed(n)`` a run repeats exactly.

    Pass ``x`` and ``y`` as tensors (``tf.constant(x_train)``) to avoid a copy
    of the data at every epoch. The first call traces the step and compiles
    the loop (about a second on a small machine): part of the first epoch,
    paid once per process. Later calls with the same shapes reuse
    the compiled loop without tracing again.

    Example (``params``, ``forward`` and the tensors as in lesson 06)::

        def train_step(x, y):
            with tf.GradientTape() as tape:
                loss = mean_cross_entropy(y, forward(x))
            for v, g in zip(params, tape.gradient(loss, params)):
                v.assign_sub(0.01 * g)
            return loss

        run_epoch = tfc.epoch_loop(train_step, batch_size=32, seed=0)
        for epoch in range(5):
            logs = run_epoch(x_train_t, y_train_t)  # {"loss": ...}
    """
    return EpochLoop(train_step, batch_size=batch_size, shuffle=shuffle, seed=seed, jit_compile=jit_compile)
